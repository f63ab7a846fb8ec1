//! The built binary as a user runs it: exit codes, formats, errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn stagegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn compliant_seed_exits_0() {
    let o = stagegate(&["check", "fixtures/e2e/seed"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 errors, 0 warnings, 0 notes in 2 files (1 pipeline)"));
}

#[test]
fn violations_exit_1_with_located_plain_diagnostics() {
    let o = stagegate(&["check", "fixtures/e2e/seed-violating"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("build-without-sca"), "{out}");
    assert!(
        out.contains("[fixtures/e2e/seed-violating/pipeline.yaml:232:15]"),
        "{out}"
    );
    assert!(
        out.contains("[fixtures/e2e/seed-violating/pipeline.yaml:165:9]"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
    assert!(out.contains("3 errors, 0 warnings, 0 notes in 2 files (1 pipeline)"));
}

#[test]
fn fail_on_never_exits_0_with_findings() {
    let o = stagegate(&["check", "--fail-on", "never", "fixtures/e2e/seed-violating"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn json_report_has_schema_version_1_and_relative_paths() {
    let o = stagegate(&["check", "--format", "json", "fixtures/e2e/get-pipeline"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "stagegate");
    assert_eq!(v["summary"]["findings"], 3);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["version", "kind", "tool", "target", "summary", "findings", "waived", "errors", "notes"]
    );
    let f = &v["findings"][0];
    let fkeys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        fkeys,
        [
            "policy",
            "title",
            "severity",
            "message",
            "location",
            "related",
            "fingerprint",
            "resource"
        ]
    );
    assert_eq!(
        f["location"]["path"],
        "fixtures/e2e/get-pipeline/pipeline.json"
    );
    // the dump's metadata.pipelineArn: what a console link keys on
    assert_eq!(
        f["resource"],
        "arn:aws:codepipeline:eu-west-1:111122223333:app-pipeline"
    );
    assert!(f["location"]["line"].as_u64().unwrap() > 1);
}

#[test]
fn bad_input_exits_2_and_other_files_are_still_checked() {
    let dir = std::env::temp_dir().join(format!("stagegate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("buildspec.yml");
    std::fs::write(&bad, "version: 0.2\nphases:\n  build: [\n").unwrap();
    let o = stagegate(&[
        "check",
        "--format",
        "json",
        bad.to_str().unwrap(),
        "fixtures/e2e/seed-violating",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["findings"], 3);
    assert_eq!(v["errors"][0]["location"]["line"], 4);
}

#[test]
fn missing_path_and_broken_policy_dir_exit_2() {
    assert_eq!(stagegate(&["check", "no/such/dir"]).status.code(), Some(2));
    let dir = std::env::temp_dir().join(format!("stagegate-pol-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("x")).unwrap();
    std::fs::write(
        dir.join("x/policy.rego"),
        "# METADATA\n# title: t\npackage x\n",
    )
    .unwrap();
    let o = stagegate(&[
        "check",
        "--policies",
        dir.to_str().unwrap(),
        "fixtures/e2e/seed",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("METADATA is missing"));
}

#[test]
fn policies_explain_and_test_subcommands() {
    let o = stagegate(&["policies"]);
    assert!(stdout(&o).contains("build-without-sca"));
    let o = stagegate(&["explain", "locked-buildspec-not-inline"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Remediation:"));
    assert_eq!(stagegate(&["explain", "nope"]).status.code(), Some(2));
    let o = stagegate(&["test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(" passed, 0 failed"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        stagegate(&["check", "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn secrets_are_never_printed_in_full() {
    let case = "policies/buildspec-plaintext-secret/fixtures/violating/repo-file";
    let text = std::fs::read_to_string(root().join(case).join("buildspec.yml")).unwrap();
    let secret = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("DB_PASSWORD:"))
        .and_then(|v| v.split('#').next())
        .map(|v| v.trim().to_string())
        .unwrap();
    assert!(secret.len() >= 8);
    for format in ["human", "json"] {
        let o = stagegate(&["check", "--format", format, case]);
        assert_eq!(o.status.code(), Some(1));
        let out = stdout(&o);
        assert!(out.contains("DB_PASSWORD"), "{format}: {out}");
        assert!(!out.contains(&secret), "{format} output shows the secret");
    }
}

#[test]
fn test_subcommand_on_a_user_folder_checks_rego_tests_and_fixtures() {
    let dir = std::env::temp_dir().join(format!("stagegate-user-{}", std::process::id()));
    let case = dir.join("no-manual-approval/fixtures/violating/one");
    std::fs::create_dir_all(&case).unwrap();
    std::fs::create_dir_all(dir.join("no-manual-approval/fixtures/compliant/empty")).unwrap();
    std::fs::write(
        dir.join("no-manual-approval/policy.rego"),
        "# METADATA\n# title: Deploy without approval\n# description: d\n# custom:\n#   id: no-manual-approval\n#   severity: warning\n#   remediation: r\npackage stagegate.policies.no_manual_approval\n\nimport data.stagegate.lib\n\ndeny contains f if {\n\tsome a in lib.actions\n\ta.category == \"Deploy\"\n\tf := {\"message\": \"no approval\", \"at\": a.source}\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("no-manual-approval/policy_test.rego"),
        "package stagegate.policies.no_manual_approval_test\n\nimport data.stagegate.policies.no_manual_approval\n\ntest_empty if {\n\tcount(no_manual_approval.deny) == 0 with input as {\"pipelines\": []}\n}\n",
    )
    .unwrap();
    std::fs::write(
        case.join("pipeline.yaml"),
        "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      Stages:\n        - Name: Prod\n          Actions:\n            - Name: Deploy   # expect: no-manual-approval\n              ActionTypeId: {Category: Deploy}\n",
    )
    .unwrap();
    let o = stagegate(&["test", dir.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("PASS rego"), "{out}");
    assert!(
        out.contains("PASS fixture no-manual-approval violating/one"),
        "{out}"
    );
    assert!(out.contains("3 passed, 0 failed"), "{out}");
    // a wrong mark fails the run
    std::fs::write(
        case.join("pipeline.yaml"),
        "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      Stages:\n        - Name: Prod   # expect: no-manual-approval\n          Actions:\n            - Name: Deploy\n              ActionTypeId: {Category: Deploy}\n",
    )
    .unwrap();
    let o = stagegate(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("expected but not reported: pipeline.yaml:6 no-manual-approval"));
    // broken METADATA: located error, exit 2
    std::fs::write(
        dir.join("no-manual-approval/policy.rego"),
        "# METADATA\n# title: t\npackage x\n",
    )
    .unwrap();
    let o = stagegate(&["test", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("policy.rego:1:"));
}

#[test]
fn select_and_ignore_choose_policies() {
    let o = stagegate(&[
        "check",
        "--format",
        "json",
        "--ignore",
        "build-without-sca",
        "fixtures/e2e/seed-violating",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["policy"] != "build-without-sca"));
    assert_eq!(
        stagegate(&["check", "--ignore", "nope", "fixtures/e2e/seed"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_worked_example_policy_passes_its_own_tests() {
    let o = stagegate(&["test", "examples/policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("PASS fixture prod-deploy-without-approval violating/no-approval"));
}

#[test]
fn exit_codes_follow_fail_on_from_flag_and_config() {
    let dir = std::env::temp_dir().join(format!("stagegate-failon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("buildspec.yml"),
        "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: 18.x\n  build:\n    commands: [make]\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    assert_eq!(
        stagegate(&["check", d]).status.code(),
        Some(0),
        "warnings only"
    );
    assert_eq!(
        stagegate(&["check", "--fail-on", "warning", d])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        stagegate(&["check", "--fail-on", "note", d]).status.code(),
        Some(1)
    );
    std::fs::write(dir.join(".stagegate.yaml"), "fail-on: warning\n").unwrap();
    assert_eq!(
        stagegate(&["check", d]).status.code(),
        Some(1),
        "config fail-on"
    );
    assert_eq!(
        stagegate(&["check", "--fail-on", "error", d]).status.code(),
        Some(0),
        "flag wins"
    );
    std::fs::write(
        dir.join(".stagegate.yaml"),
        "fail-on: warning\nwaivers:\n  - policy: buildspec-unpinned-runtime\n    paths: ['buildspec.yml']\n    reason: Node 18 is the image default\n",
    )
    .unwrap();
    let o = stagegate(&["check", d]);
    assert_eq!(o.status.code(), Some(0), "waived: {}", stdout(&o));
    assert!(stdout(&o).contains("1 waived"));
    assert_eq!(
        stagegate(&["check", "--no-waivers", d]).status.code(),
        Some(1)
    );
    std::fs::write(dir.join(".stagegate.yaml"), "fail-on: sometimes\n").unwrap();
    let o = stagegate(&["check", d]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".stagegate.yaml:1:"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn init_writes_a_valid_config_and_integrations_pass_their_own_check() {
    let dir = std::env::temp_dir().join(format!("stagegate-init-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    assert_eq!(stagegate(&["init", d]).status.code(), Some(0));
    assert_eq!(
        stagegate(&["init", d]).status.code(),
        Some(2),
        "does not overwrite"
    );
    let cfg = dir.join(".stagegate.yaml");
    let o = stagegate(&[
        "check",
        "--config",
        cfg.to_str().unwrap(),
        "fixtures/e2e/seed",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = stagegate(&["check", "integrations"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("in 1 file"));
    assert!(stdout(&stagegate(&["man"])).contains(".TH stagegate"));
}

/// Policy ids complete where an id is asked for (`explain` in bash and zsh, `--select` and
/// `--ignore` in every shell clap writes for).
#[test]
fn completions_offer_the_policy_ids() {
    for shell in ["bash", "zsh", "fish"] {
        let script = stdout(&stagegate(&["completions", shell]));
        for id in ["build-without-sca", "buildspec-remote-script"] {
            assert!(script.contains(id), "{shell}: {id} missing");
        }
        if shell != "fish" {
            assert!(script.contains("waiver-not-allowed"), "{shell}");
        }
    }
}

/// `stagegate man SUB` prints SUB's own page, `--dir` writes them all, and each has an
/// EXIT STATUS section.
#[test]
fn every_subcommand_has_a_man_page_with_its_exit_status() {
    let dir = std::env::temp_dir().join(format!("stagegate-man-{}", std::process::id()));
    let o = stagegate(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    pages.sort();
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".SH \"EXIT STATUS\""), "{page}");
        assert!(text.contains(".SH \"SEE ALSO\""), "{page}");
    }
    std::fs::remove_dir_all(&dir).ok();
    for sub in [
        "check", "audit", "merge", "test", "explain", "policies", "init",
    ] {
        assert!(pages.contains(&format!("stagegate-{sub}.1")), "{pages:?}");
        let page = stdout(&stagegate(&["man", sub]));
        assert!(page.contains(&format!(".TH stagegate-{sub} 1")), "{page}");
    }
    // the root page links to pages that now exist
    let root_page = stdout(&stagegate(&["man"]));
    assert!(root_page.contains("stagegate\\-check(1)"), "{root_page}");
    let check = stdout(&stagegate(&["man", "check"]));
    assert!(check.contains("\\-\\-fail\\-on"));
    assert_eq!(stagegate(&["man", "nope"]).status.code(), Some(2));
}

fn audit_corpus(name: &str) -> PathBuf {
    // three small workspaces: two violating, one compliant, plus one broken
    let dir = std::env::temp_dir().join(format!("stagegate-audit-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (ws, src) in [
        ("a-seed", "fixtures/e2e/seed"),
        ("b-violating", "fixtures/e2e/seed-violating"),
        ("c-api", "fixtures/e2e/get-pipeline"),
    ] {
        std::fs::create_dir_all(dir.join(ws)).unwrap();
        for e in std::fs::read_dir(root().join(src))
            .unwrap()
            .filter_map(Result::ok)
        {
            std::fs::copy(e.path(), dir.join(ws).join(e.file_name())).unwrap();
        }
    }
    dir
}

fn audit_json(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let o = stagegate(args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    (o.status.code(), v)
}

fn normalized(mut v: serde_json::Value) -> serde_json::Value {
    let ws = v["workspaces"].as_array_mut().unwrap();
    ws.sort_by(|a, b| a["target"].as_str().cmp(&b["target"].as_str()));
    v
}

#[test]
fn audit_merge_of_shards_equals_an_unsharded_run() {
    let dir = audit_corpus("shards");
    let d = dir.to_str().unwrap();
    let (code, full) = audit_json(&["audit", "--workspace-per-dir", "--format", "json", d]);
    assert_eq!(code, Some(1));
    assert_eq!(full["summary"]["workspaces"], 3);
    let mut shard_files = Vec::new();
    for k in 1..=2 {
        // reports go beside the audited root: a file inside it is audited too
        let out = dir.with_file_name(format!(
            "{}-shard-{k}.json",
            dir.file_name().unwrap().to_string_lossy()
        ));
        let shard = format!("{k}/2");
        let o = stagegate(&[
            "audit",
            "--workspace-per-dir",
            "--format",
            "json",
            "--shard",
            &shard,
            "--output",
            out.to_str().unwrap(),
            d,
        ]);
        assert!(matches!(o.status.code(), Some(0 | 1)));
        shard_files.push(out);
    }
    let mut args = vec!["merge"];
    args.extend(shard_files.iter().map(|p| p.to_str().unwrap()));
    let (code, merged) = audit_json(&args);
    assert_eq!(code, Some(0));
    let (full, merged) = (normalized(full), normalized(merged));
    assert_eq!(full["workspaces"], merged["workspaces"]);
    assert_eq!(full["summary"]["findings"], merged["summary"]["findings"]);
    assert_eq!(full["summary"]["by_policy"], merged["summary"]["by_policy"]);
    assert_eq!(full["targets"], 3);
    assert_eq!(merged["targets"], 3);
    // each shard says which it is, of how many, and how many workspaces it and the sweep hold
    let shard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&shard_files[1]).unwrap()).unwrap();
    assert_eq!(shard["shard"]["index"], 2);
    assert_eq!(shard["shard"]["count"], 2);
    assert_eq!(shard["shard"]["of_targets"], 3);
    assert_eq!(
        shard["targets"].as_u64(),
        Some(shard["workspaces"].as_array().unwrap().len() as u64)
    );
    let (a, b) = (
        shard_files[0].to_str().unwrap(),
        shard_files[1].to_str().unwrap(),
    );
    let refused = |args: &[&str], says: &str| {
        let o = stagegate(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(&["merge", a], "shard 2/2 missing");
    refused(&["merge", a, b, a], "shard 1/2 again");
    let whole = dir.with_file_name("stagegate-whole.json");
    std::fs::write(&whole, full.to_string()).unwrap();
    refused(&["merge", a, b, whole.to_str().unwrap()], "overlap");
    // a report cut short (fewer workspaces than it says it has) is refused
    let mut cut = shard.clone();
    cut["workspaces"].as_array_mut().unwrap().clear();
    std::fs::write(&whole, cut.to_string()).unwrap();
    refused(
        &["merge", a, whole.to_str().unwrap()],
        "the report is incomplete",
    );
    std::fs::remove_file(&whole).ok();
    std::fs::remove_dir_all(&dir).ok();
    for f in shard_files {
        std::fs::remove_file(f).ok();
    }
}

#[test]
fn audit_baseline_reports_new_and_fixed() {
    let dir = audit_corpus("baseline");
    let d = dir.to_str().unwrap();
    let base = std::env::temp_dir().join(format!("stagegate-baseline-{}.json", std::process::id()));
    let o = stagegate(&[
        "audit",
        "--workspace-per-dir",
        "--format",
        "json",
        "--output",
        base.to_str().unwrap(),
        d,
    ]);
    assert_eq!(o.status.code(), Some(1));
    // nothing changed: nothing new, nothing fixed, exit 0
    let (code, v) = audit_json(&[
        "audit",
        "--workspace-per-dir",
        "--format",
        "json",
        "--baseline",
        base.to_str().unwrap(),
        d,
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(v["summary"]["baseline"]["new"], 0);
    assert_eq!(
        v["summary"]["baseline"]["fixed"].as_array().unwrap().len(),
        0
    );
    // fix one workspace (replace it with the compliant seed), break another finding in
    std::fs::copy(
        dir.join("a-seed/pipeline.yaml"),
        dir.join("b-violating/pipeline.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("a-seed/buildspec.yaml"),
        "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      python: latest\n  build:\n    commands: [make]\n",
    )
    .unwrap();
    let (_, v) = audit_json(&[
        "audit",
        "--workspace-per-dir",
        "--format",
        "json",
        "--fail-on",
        "warning",
        "--baseline",
        base.to_str().unwrap(),
        d,
    ]);
    assert_eq!(v["summary"]["baseline"]["new"], 1, "{v:#}");
    // the violating seed had three findings: the build, the deploy and the locked buildspec
    assert_eq!(
        v["summary"]["baseline"]["fixed"].as_array().unwrap().len(),
        3,
        "{v:#}"
    );
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&base).ok();
}

#[test]
fn audit_continues_past_a_broken_workspace_and_exits_2() {
    let dir = audit_corpus("broken");
    std::fs::create_dir_all(dir.join("d-broken")).unwrap();
    std::fs::write(
        dir.join("d-broken/buildspec.yml"),
        "version: 0.2\nphases: [\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let o = stagegate(&[
        "audit",
        "--workspace-per-dir",
        "--format",
        "jsonl",
        "--jobs",
        "2",
        d,
    ]);
    assert_eq!(o.status.code(), Some(2));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines
        .iter()
        .any(|l| l["error"].is_string() && l["target"].as_str().unwrap().ends_with("d-broken")));
    assert!(
        lines.iter().filter(|l| l["policy"].is_string()).count() >= 4,
        "other workspaces still checked"
    );
    let summary = stdout(&stagegate(&["audit", "--workspace-per-dir", d]));
    assert!(summary.contains("4 workspaces"), "{summary}");
    assert!(summary.contains("1 incomplete workspace"), "{summary}");
    // the summary says why: the workspace and its first problem, located
    let why = summary
        .lines()
        .skip_while(|l| !l.starts_with("incomplete workspaces"))
        .nth(1)
        .unwrap_or_default();
    assert!(why.trim_start().starts_with("d-broken: "), "{summary}");
    assert!(
        why.contains(".yaml:") || why.contains(".yml:") || why.contains(".json:"),
        "{why}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn audit_applies_each_workspace_config_and_reports_unused_waivers() {
    let dir = audit_corpus("config");
    std::fs::write(
        dir.join("b-violating/.stagegate.yaml"),
        "waivers:\n  - policy: build-without-sca\n    action: BuildAndTest\n    reason: tries to waive a non-waivable policy\n  - policy: codebuild-privileged-mode\n    paths: ['**']\n    reason: never matches\n",
    )
    .unwrap();
    let d = dir.to_str().unwrap();
    let o = stagegate(&["audit", "--workspace-per-dir", "--format", "jsonl", d]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let b: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"].as_str().unwrap().ends_with("b-violating"))
        .collect();
    assert!(
        b.iter().any(|l| l["policy"] == "waiver-not-allowed"),
        "{b:#?}"
    );
    assert!(
        b.iter().any(|l| l["policy"] == "build-without-sca"),
        "not waived: {b:#?}"
    );
    assert!(
        b.iter().any(|l| l["note"]
            .as_str()
            .is_some_and(|n| n.contains("matched no finding"))),
        "{b:#?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn operator_overrides_of_governance_policies_are_recorded_in_every_format() {
    let base = [
        "check",
        "--fail-on",
        "never",
        "--ignore",
        "build-without-sca",
        "fixtures/e2e/seed-violating",
    ];
    let with = |format: &str| {
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let o = stagegate(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "the operator's flags are honoured"
        );
        stdout(&o)
    };
    let json: serde_json::Value = serde_json::from_str(&with("json")).unwrap();
    let notes: Vec<&str> = json["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("--fail-on never")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("--ignore build-without-sca")),
        "{notes:?}"
    );
    let sarif: serde_json::Value = serde_json::from_str(&with("sarif")).unwrap();
    let notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notifications.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .contains("--fail-on never")));
    assert!(with("human").contains("info: run with --fail-on never"));
    assert!(
        with("github").contains("::warning title=stagegate run settings::run with --fail-on never")
    );
    assert!(with("junit").contains("stagegate.run-setting"));
}

#[test]
fn repository_fail_on_never_does_not_pass_governance_errors() {
    let dir = std::env::temp_dir().join(format!("stagegate-failon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = root().join("fixtures/e2e/seed-violating");
    for name in ["pipeline.yaml", "buildspec.yaml"] {
        std::fs::copy(src.join(name), dir.join(name)).unwrap();
    }
    std::fs::write(dir.join(".stagegate.yaml"), "version: 1\nfail-on: never\n").unwrap();
    let o = stagegate(&["check", "--format", "json", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["notes"][0]["message"]
        .as_str()
        .unwrap()
        .contains("does not apply to the errors of non-waivable policies"));
}

#[test]
fn a_finding_far_along_a_minified_line_is_shown_cut_at_its_real_column() {
    let dir = std::env::temp_dir().join(format!("stagegate-longline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pad: String = (0..1500)
        .map(|i| {
            format!(
                r#""Pad{i}":{{"Type":"AWS::S3::Bucket","Properties":{{"BucketName":"{}"}}}},"#,
                "b".repeat(40)
            )
        })
        .collect();
    let text = format!(
        r#"{{"Resources":{{{pad}"Pipeline":{{"Type":"AWS::CodePipeline::Pipeline","Properties":{{"Stages":[{{"Name":"Source","Actions":[{{"Name":"Source","ActionTypeId":{{"Category":"Source","Owner":"AWS","Provider":"S3","Version":"1"}},"OutputArtifacts":[{{"Name":"Src"}}]}}]}},{{"Name":"Build","Actions":[{{"Name":"Build","ActionTypeId":{{"Category":"Build","Owner":"AWS","Provider":"CodeBuild","Version":"1"}},"InputArtifacts":[{{"Name":"Src"}}]}}]}}]}}}}}}}}"#
    );
    // the build action's `Name` member, 1-based
    let column = text.rfind(r#""Name":"Build","ActionTypeId""#).unwrap() + 1;
    std::fs::write(dir.join("min.template.json"), &text).unwrap();
    let o = stagegate(&["check", "--color", "never", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(
        out.contains(&format!("min.template.json:1:{column}]")),
        "{out}"
    );
    assert!(
        out.lines().all(|l| l.chars().count() < 400),
        "a snippet line was not cut"
    );
}

#[test]
fn require_pipelines_makes_a_check_that_found_none_incomplete() {
    let o = stagegate(&[
        "check",
        "--require",
        "pipelines",
        "fixtures/e2e/seed/buildspec.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("no pipeline among the checked files"));
    let o = stagegate(&["check", "--require", "pipelines", "fixtures/e2e/seed"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn explain_knows_every_id_stagegate_prints() {
    let listed = stdout(&stagegate(&["policies"]));
    let mut ids: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    ids.push("waiver-not-allowed");
    for id in ids {
        let o = stagegate(&["explain", id]);
        assert_eq!(o.status.code(), Some(0), "explain {id}");
        assert!(stdout(&o).starts_with(id), "explain {id}: {}", stdout(&o));
    }
}

#[test]
fn quiet_still_says_why_a_check_is_incomplete() {
    let bad = "fixtures/hostile/duplicate-keys.template.yaml";
    let o = stagegate(&["check", "--quiet", bad]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("error: ") && err.contains("duplicate-keys.template.yaml:"),
        "{err}"
    );
}

#[test]
fn init_creates_the_folder_it_is_given() {
    let dir = std::env::temp_dir().join(format!("stagegate-init-{}/sub/dir", std::process::id()));
    let _ = std::fs::remove_dir_all(dir.parent().unwrap().parent().unwrap());
    let o = stagegate(&["init", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(dir.join(".stagegate.yaml").is_file());
}

#[test]
fn policies_list_as_json() {
    let o = stagegate(&["policies", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert!(list.len() > 10);
    let secret = list
        .iter()
        .find(|p| p["id"] == "codebuild-plaintext-secret")
        .unwrap();
    assert_eq!(
        secret["parameters"],
        serde_json::json!(["secret_name_pattern"])
    );
    assert!(list
        .iter()
        .any(|p| p["id"] == "build-without-sca" && p["waivable"] == false));
}

#[test]
fn audit_json_lists_workspaces_in_target_order_whatever_the_threads() {
    let order = |jobs: &str| -> Vec<String> {
        let o = stagegate(&[
            "audit",
            "--workspace-per-dir",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--jobs",
            jobs,
            "fixtures/e2e",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["target"].as_str().unwrap().to_string())
            .collect()
    };
    let one = order("1");
    assert!(one.len() > 3);
    let mut sorted = one.clone();
    sorted.sort();
    assert_eq!(one, sorted);
    for _ in 0..3 {
        assert_eq!(order("2"), one);
    }
}

/// The shipped CodeBuild policy gate, placed as its header says (after the SCA action,
/// before the build), keeps the seed pipeline compliant; placed beside SCA it is a build
/// that SCA does not protect.
#[test]
fn the_documented_policy_gate_setup_passes() {
    let dir = std::env::temp_dir().join(format!("stagegate-policy-gate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let seed = root().join("fixtures/e2e/seed");
    std::fs::copy(seed.join("buildspec.yaml"), dir.join("buildspec.yaml")).unwrap();
    std::fs::copy(
        root().join("integrations/codebuild/policy-gate.template.yaml"),
        dir.join("policy-gate.template.yaml"),
    )
    .unwrap();
    let pipeline = std::fs::read_to_string(seed.join("pipeline.yaml")).unwrap();
    let gate = |run_order: u32| {
        format!(
            "            - Name: PolicyGate
              ActionTypeId:
                Category: Build
                Owner: AWS
                Provider: CodeBuild
                Version: 1
              RunOrder: {run_order}
              Configuration:
                ProjectName: platform-policy-gate
              InputArtifacts:
                - Name: SourceOutput
            - Name: BuildAndTest
"
        )
    };
    let with_gate = |run_order: u32| {
        assert!(pipeline.contains("            - Name: BuildAndTest\n"));
        pipeline
            .replacen("            - Name: BuildAndTest\n", &gate(run_order), 1)
            .replacen("              RunOrder: 2\n              Configuration:\n                ProjectName: !Ref AppBuildProject", "              RunOrder: 3\n              Configuration:\n                ProjectName: !Ref AppBuildProject", 1)
    };
    std::fs::write(dir.join("pipeline.yaml"), with_gate(2)).unwrap();
    let o = stagegate(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    std::fs::write(dir.join("pipeline.yaml"), with_gate(1)).unwrap();
    let o = stagegate(&["check", dir.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "beside SCA the gate is an unprotected build"
    );
    assert!(stdout(&o).contains("Build/PolicyGate"), "{}", stdout(&o));
}

#[test]
fn an_unknown_select_id_names_the_flag() {
    let o = stagegate(&["check", "--select", "no-such-policy", "fixtures/e2e/seed"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--select no-such-policy: no policy has this id"),
        "{err}"
    );
}

fn stagegate_with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(args)
        .current_dir(root())
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn check_dash_reads_one_file_from_standard_input() {
    let pipeline = std::fs::read(root().join("fixtures/e2e/seed-violating/pipeline.yaml")).unwrap();
    let o = stagegate_with_stdin(
        &[
            "check",
            "-",
            "-f",
            "concise",
            "--stdin-filename",
            "ci/pipeline.yaml",
        ],
        &pipeline,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("ci/pipeline.yaml:232:15: error[build-without-sca]"),
        "{}",
        stdout(&o)
    );
    // a buildspec is known by its name or its content; the default name is <stdin>
    let o = stagegate_with_stdin(
        &["check", "-", "-f", "concise"],
        b"version: 0.2\nphases:\n  build:\n    commands:\n      - curl -s https://x.example/i.sh | bash\n",
    );
    assert!(
        stdout(&o).contains("<stdin>:5:9: warning[buildspec-remote-script]"),
        "{}",
        stdout(&o)
    );
    // nothing, not text, or not an input: the check is incomplete
    for bad in [&b""[..], b"\xff\xfe", b"foo: 1\n"] {
        let o = stagegate_with_stdin(&["check", "-"], bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stdout(&o));
    }
    let o = stagegate_with_stdin(&["check", "-", "fixtures/e2e/seed"], b"version: 0.2\n");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("checked alone"));
}

/// Each pre-commit hook runs a binary this repository builds: `language: rust` from the
/// root package (what `cargo install --path .` installs), `language: system` the CLI's.
#[test]
fn pre_commit_hooks_run_binaries_this_repository_builds() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let root_manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let cli_manifest = std::fs::read_to_string(root().join("crates/cli/Cargo.toml")).unwrap();
    assert!(root_manifest.starts_with("# ") && root_manifest.contains("\n[package]\n"));
    let mut languages = Vec::new();
    let mut entry = None;
    for line in hooks.lines().map(str::trim) {
        if let Some(e) = line.strip_prefix("entry:") {
            entry = e.split_whitespace().next().map(str::to_string);
        }
        if let Some(language) = line.strip_prefix("language:") {
            let language = language.trim().to_string();
            let program = entry.take().expect("entry before language");
            let manifest = match language.as_str() {
                "rust" => &root_manifest,
                "system" => &cli_manifest,
                other => panic!("unexpected hook language {other}"),
            };
            assert!(
                manifest.contains(&format!("name = \"{program}\"")),
                "{language} hook runs {program}, which its manifest does not build"
            );
            languages.push(language);
        }
    }
    assert_eq!(languages, ["rust", "system"]);
}

/// The shipped integrations stay true to the repository: the image recipe builds with the
/// Rust that `rust-version` names and copies what the build reads; the workflow caches the
/// build and holds the permissions SARIF upload needs on a private repository.
#[test]
fn integrations_agree_with_the_repository() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let rust_version = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap();
    let docker = std::fs::read_to_string(root().join("integrations/codebuild/Dockerfile")).unwrap();
    assert!(
        docker.contains(&format!("FROM rust:{rust_version}-")),
        "the Dockerfile's Rust image is not rust-version {rust_version}"
    );
    assert!(docker.contains("cargo build --locked --release -p stagegate-cli"));
    // everything the build reads: the workspace, the embedded policies and schemas, and
    // the root package's source
    for copied in [
        "Cargo.toml Cargo.lock",
        "crates",
        "policies",
        "schemas",
        "integrations/pre-commit",
    ] {
        assert!(docker.contains(&format!("COPY {copied} ")), "COPY {copied}");
    }
    let template =
        std::fs::read_to_string(root().join("integrations/codebuild/policy-gate.template.yaml"))
            .unwrap();
    assert!(template.contains("integrations/codebuild/Dockerfile"));
    let workflow =
        std::fs::read_to_string(root().join("integrations/github-actions/stagegate.yml")).unwrap();
    for needed in [
        "security-events: write",
        "actions: read",
        "contents: read",
        "uses: actions/cache@",
        "if: steps.cache.outputs.cache-hit != 'true'",
        "cargo install --locked",
        "--format github --output-sarif stagegate.sarif",
    ] {
        assert!(workflow.contains(needed), "workflow lacks {needed}");
    }
}

/// `--var` and `--var-file` give Terraform variables the values `terraform apply` would be
/// given: a run order that only they supply is then known; a file only `-var-file` reads
/// is otherwise unknown, and a variables file that is not literal is an error.
#[test]
fn terraform_var_and_var_file_give_root_module_values() {
    let sweep = std::env::temp_dir().join(format!("stagegate-tfvars-{}", std::process::id()));
    let dir = sweep.join("ws");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = root().join("fixtures/e2e/terraform-seed");
    for f in [
        "pipeline.tf",
        "codebuild.tf",
        "variables.tf",
        "buildspec.yaml",
    ] {
        let text = std::fs::read_to_string(seed.join(f)).unwrap();
        let text = if f == "pipeline.tf" {
            text.replacen("run_order       = 1", "run_order       = var.sca_order", 1)
        } else if f == "variables.tf" {
            format!("{text}\nvariable \"sca_order\" {{}}\n")
        } else {
            text
        };
        std::fs::write(dir.join(f), text).unwrap();
    }
    let d = dir.to_str().unwrap();
    let code = |extra: &[&str]| {
        let mut args = vec!["check", "-f", "concise"];
        args.extend(extra);
        args.push(d);
        let o = stagegate(&args);
        (
            o.status.code(),
            stdout(&o),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    let (c, out, _) = code(&[]);
    assert_eq!(c, Some(1), "{out}");
    assert!(
        out.contains("unverifiable-pipeline-value") && out.contains("sca_order"),
        "{out}"
    );
    assert_eq!(code(&["--var", "sca_order=1"]).0, Some(0));
    std::fs::write(dir.join("prod.tfvars"), "sca_order = 1\n").unwrap();
    let prod = dir.join("prod.tfvars");
    assert_eq!(code(&[]).0, Some(1));
    assert_eq!(code(&["--var-file", prod.to_str().unwrap()]).0, Some(0));
    // a later --var wins over the file
    assert_eq!(
        code(&["--var-file", prod.to_str().unwrap(), "--var", "sca_order=3"]).0,
        Some(1)
    );
    let bad = std::env::temp_dir().join(format!("stagegate-bad-{}.tfvars", std::process::id()));
    std::fs::write(&bad, "sca_order = local.x\n").unwrap();
    let (c, _, err) = code(&["--var-file", bad.to_str().unwrap()]);
    assert_eq!(c, Some(2));
    assert!(
        err.contains("not a literal") && err.contains(":1:1"),
        "{err}"
    );
    assert_eq!(code(&["--var", "nonsense"]).0, Some(2));
    // audit gives every workspace's root modules the same values
    std::fs::remove_file(&prod).unwrap();
    let s = sweep.to_str().unwrap();
    let audit = |extra: &[&str]| {
        let mut args = vec!["audit", "--workspace-per-dir"];
        args.extend(extra);
        args.push(s);
        stagegate(&args).status.code()
    };
    assert_eq!(audit(&[]), Some(1));
    assert_eq!(audit(&["--var", "sca_order=1"]), Some(0));
    std::fs::remove_dir_all(&sweep).ok();
    std::fs::remove_file(&bad).ok();
}
