//! Repository configuration, waivers (config, inline, governance) and non-waivable policies.

use stagegate::config::RepoConfig;
use stagegate::waiver::REFUSED;
use stagegate::Date;
use stagegate::{source::SourceFile, Linter, Report, Severity};
use std::sync::Arc;

const BUILDSPEC: &str = "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: 18.x\n      java: latest   # stagegate: ignore[buildspec-unpinned-runtime] pinned by the image\n  build:\n    commands: [make]\n";

const PIPELINE: &str = "Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Name: app
      Stages:
        - Name: Build
          Actions:
            - Name: Build   # stagegate: ignore[build-without-sca] we scan elsewhere
              ActionTypeId: {Category: Build}
";

fn config(text: &str) -> RepoConfig {
    RepoConfig::parse(Arc::new(SourceFile::new(".stagegate.yaml", text))).unwrap()
}

fn run(config_text: &str, governance: Option<&str>, today: &str) -> Report {
    let mut b = Linter::builder()
        .builtin_policies()
        .repo_config(config(config_text))
        .report_unused_waivers(true)
        .today(Date::parse(today).unwrap());
    if let Some(g) = governance {
        b = b.governance_text("governance.yaml", g).unwrap();
    }
    b.build()
        .unwrap()
        .check_sources([("buildspec.yml", BUILDSPEC), ("pipeline.yaml", PIPELINE)])
}

fn active<'a>(r: &'a Report, policy: &str) -> Vec<&'a stagegate::Violation> {
    r.active().filter(|v| v.policy == policy).collect()
}

const WAIVE_NODE: &str = "waivers:\n  - policy: buildspec-unpinned-runtime\n    paths: ['buildspec.yml']\n    reason: Node 18 line is pinned by the image\n    expires: 2026-12-31\n    ticket: SEC-12\n";

#[test]
fn config_and_inline_waivers_waive_waivable_findings() {
    let r = run(WAIVE_NODE, None, "2026-06-01");
    assert!(
        active(&r, "buildspec-unpinned-runtime").is_empty(),
        "{:#?}",
        r.violations
    );
    let kinds: Vec<&str> = r
        .violations
        .iter()
        .filter(|v| v.policy == "buildspec-unpinned-runtime")
        .map(|v| v.suppression.as_ref().unwrap().kind.as_str())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"config"));
    assert_eq!(r.summary.waived, r.waived());
}

#[test]
fn an_expired_waiver_no_longer_waives_and_says_so() {
    let r = run(WAIVE_NODE, None, "2027-01-01");
    let left = active(&r, "buildspec-unpinned-runtime");
    assert_eq!(left.len(), 1, "{:#?}", r.violations);
    assert_eq!(left[0].location.line, 5);
    assert!(
        r.notes
            .iter()
            .any(|n| n.message.contains("expired on 2026-12-31")),
        "{:#?}",
        r.notes
    );
}

#[test]
fn an_unused_waiver_is_reported() {
    let cfg = "waivers:\n  - policy: codebuild-privileged-mode\n    paths: ['**']\n    reason: docker builds need it\n";
    let r = run(cfg, None, "2026-06-01");
    let note = r
        .notes
        .iter()
        .find(|n| n.message.contains("matched no finding"))
        .unwrap();
    assert_eq!(note.path, ".stagegate.yaml:2");
}

#[test]
fn inline_ignore_of_a_non_waivable_policy_is_refused_with_an_error_finding() {
    let r = run("", None, "2026-06-01");
    assert_eq!(
        active(&r, "build-without-sca").len(),
        1,
        "the finding stays"
    );
    let refused = active(&r, REFUSED);
    assert_eq!(refused.len(), 1, "{:#?}", r.violations);
    assert_eq!(refused[0].severity, Severity::Error);
    assert_eq!(
        (refused[0].location.path.as_str(), refused[0].location.line),
        ("pipeline.yaml", 9)
    );
}

#[test]
fn config_cannot_waive_disable_or_downgrade_a_non_waivable_policy() {
    let cfg = "ignore: [build-without-sca, buildspec-unpinned-runtime]\nseverity:\n  locked-buildspec-not-inline: note\nwaivers:\n  - policy: build-without-sca\n    action: Build\n    reason: we scan elsewhere\n";
    let r = run(cfg, None, "2026-06-01");
    assert_eq!(
        active(&r, "build-without-sca").len(),
        1,
        "still runs, not waived"
    );
    assert!(
        active(&r, "buildspec-unpinned-runtime").is_empty(),
        "a waivable policy can be disabled"
    );
    let refused: Vec<usize> = active(&r, REFUSED)
        .iter()
        .map(|v| v.location.line)
        .collect();
    // the ignore entry, the severity entry, the waiver (and the inline comment)
    assert!(
        refused.contains(&1) && refused.contains(&3) && refused.contains(&5),
        "{refused:?}"
    );
}

#[test]
fn the_platform_can_waive_and_lock_policies() {
    let gov = "version: 1\nwaivers:\n  - policy: build-without-sca\n    pipeline: app\n    reason: SCA runs in the upstream pipeline\npolicies:\n  buildspec-unpinned-runtime:\n    waivable: false\n";
    let r = run(WAIVE_NODE, Some(gov), "2026-06-01");
    let b = r
        .violations
        .iter()
        .find(|v| v.policy == "build-without-sca")
        .unwrap();
    assert_eq!(b.suppression.as_ref().unwrap().kind, "governance");
    // now locked: the repository waiver and the inline comment are refused
    assert_eq!(active(&r, "buildspec-unpinned-runtime").len(), 2);
    assert!(active(&r, REFUSED).len() >= 2);
}

#[test]
fn phased_enforcement_reports_errors_as_warnings_before_the_date() {
    let gov = "policies:\n  build-without-sca:\n    enforce-from: 2027-01-01\n";
    let r = Linter::builder()
        .builtin_policies()
        .governance_text("g.yaml", gov)
        .unwrap()
        .waivers(false)
        .today(Date::parse("2026-06-01").unwrap())
        .build()
        .unwrap()
        .check_sources([("pipeline.yaml", PIPELINE)]);
    let v = r
        .violations
        .iter()
        .find(|v| v.policy == "build-without-sca")
        .unwrap();
    assert_eq!(v.severity, Severity::Warning);
    assert!(v.message.contains("enforced from 2027-01-01"));
}

#[test]
fn no_waivers_shows_everything() {
    let r = Linter::builder()
        .builtin_policies()
        .repo_config(config(WAIVE_NODE))
        .waivers(false)
        .build()
        .unwrap()
        .check_sources([("buildspec.yml", BUILDSPEC)]);
    assert_eq!(active(&r, "buildspec-unpinned-runtime").len(), 2);
    assert_eq!(r.waived(), 0);
}

#[test]
fn governance_that_names_what_does_not_exist_is_a_located_error() {
    let load = |text: &str| match stagegate::Linter::builder()
        .builtin_policies()
        .governance_text("gov.yaml", text)
        .and_then(|b| b.build())
    {
        Ok(_) => String::new(),
        Err(e) => e.to_string(),
    };
    let typo = load("policies:\n  buildspec-masked-failures:\n    waivable: false\n");
    assert!(
        typo.contains("gov.yaml:2:3")
            && typo.contains("no loaded policy has the id `buildspec-masked-failures`"),
        "{typo}"
    );
    let key = load("params:\n  buildspec-plaintext-secret:\n    secret_name_patern: x\n");
    assert!(
        key.contains("gov.yaml:3:5") && key.contains("has no parameter `secret_name_patern`"),
        "{key}"
    );
    let regex =
        load("params:\n  buildspec-plaintext-secret:\n    secret_name_pattern: '(unclosed'\n");
    assert!(regex.contains("not a valid regular expression"), "{regex}");
    let number = load("params:\n  codebuild-plaintext-secret:\n    secret_name_pattern: 5\n");
    assert!(number.contains("must be a regular expression"), "{number}");
    let list = load("params:\n  codebuild-privileged-mode:\n    allowed_projects: docker\n");
    assert!(list.contains("must be a list"), "{list}");
    let ok = load("params:\n  codebuild-privileged-mode:\n    allowed_projects: [docker]\n");
    assert!(ok.is_empty(), "{ok}");
}

#[test]
fn waivers_with_days_that_do_not_exist_are_located_errors() {
    for day in ["2020-13-01", "2024-12-32", "2024-00-10", "2023-02-29"] {
        let text = format!(
            "version: 1\nwaivers:\n  - policy: buildspec-unpinned-runtime\n    paths: ['**']\n    reason: pinned by the image\n    expires: {day}\n"
        );
        let errors = stagegate::config::RepoConfig::parse(std::sync::Arc::new(
            stagegate::source::SourceFile::new(".stagegate.yaml", text),
        ))
        .expect_err(day);
        assert!(
            errors[0].location.line == 6 && errors[0].location.path == ".stagegate.yaml",
            "{day}: {errors:?}"
        );
    }
    assert!(stagegate::Date::parse("2024-02-29").is_some());
}

#[cfg(unix)]
#[test]
fn a_config_that_links_out_of_its_folder_is_refused_unread() {
    let dir = std::env::temp_dir().join(format!("stagegate-cfglink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join(".stagegate.yaml");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
    let error = stagegate::config::RepoConfig::load(&link).unwrap_err();
    assert!(
        error.to_string().contains("outside its folder"),
        "{error:?}"
    );
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink("/proc/self/status", &link).unwrap();
    assert!(stagegate::config::RepoConfig::load(&link).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn governance_sets_the_secret_name_pattern_the_model_applies() {
    let buildspec =
        "version: 0.2\nenv:\n  variables:\n    DB_PASSWORD: hunter2\n    VAULT_ROLE_ID: r-1\nphases:\n  build:\n    commands: [make]\n";
    let check = |governance: Option<&str>| {
        let mut b = Linter::builder().builtin_policies();
        if let Some(g) = governance {
            b = b.governance_text("governance.yaml", g).unwrap();
        }
        let report = b
            .build()
            .unwrap()
            .check_sources([("buildspec.yml", buildspec)]);
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        let mut lines: Vec<usize> = active(&report, "buildspec-plaintext-secret")
            .iter()
            .map(|v| v.location.line)
            .collect();
        lines.sort_unstable();
        lines
    };
    assert_eq!(
        check(None),
        [4],
        "the default pattern reads DB_PASSWORD only"
    );
    assert_eq!(
        check(Some(
            "params:\n  buildspec-plaintext-secret:\n    secret_name_pattern: '(?i)^vault_'\n"
        )),
        [5],
        "the governance pattern replaces the default"
    );
}

/// Terraform comments (`#` and `//`) waive what a waivable policy finds and are refused,
/// with the finding kept, for a non-waivable one.
#[test]
fn terraform_comments_waive_like_yaml_comments() {
    let tf = r#"resource "aws_codebuild_project" "docker" {
  name = "docker-build"
  environment {
    image           = "aws/codebuild/standard:7.0"
    privileged_mode = "true" // stagegate: ignore[codebuild-privileged-mode] builds images
  }
  source {
    type = "CODEPIPELINE"
  }
}
resource "aws_codepipeline" "p" {
  name = "p"
  stage {
    name = "Build"
    action {
      name     = "Build" # stagegate: ignore[build-without-sca] we scan elsewhere
      category = "Build"
      owner    = "AWS"
      provider = "CodeBuild"
      version  = "1"
      configuration = {
        ProjectName = aws_codebuild_project.docker.name
      }
    }
  }
}
"#;
    let r = Linter::builder()
        .builtin_policies()
        .build()
        .unwrap()
        .check_sources([("main.tf", tf)]);
    let privileged: Vec<_> = r
        .violations
        .iter()
        .filter(|v| v.policy == "codebuild-privileged-mode")
        .collect();
    assert_eq!(privileged.len(), 1, "{:#?}", r.violations);
    assert_eq!(
        privileged[0].suppression.as_ref().map(|s| s.kind.as_str()),
        Some("inline")
    );
    assert_eq!(
        active(&r, "build-without-sca").len(),
        1,
        "the finding stays"
    );
    let refused = active(&r, REFUSED);
    assert_eq!(refused.len(), 1, "{:#?}", r.violations);
    assert_eq!(refused[0].location.line, 16);
}
