//! The gate against the repository it governs: every case of `fixtures/adversarial` run as
//! the platform's locked check runs it (the binary, the case's own `.stagegate.yaml`, the
//! platform's `governance.yaml` when the case has one), with the outcome its `expect.yaml`
//! states. A bypass case must end in error findings (exit 1) or an incomplete check
//! (exit 2); a compliant case must pass (exit 0).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Cases whose attack is not closed yet, with what is missing. Each is asserted to still
/// miss its expectation, so closing one fails this test until it leaves the list.
const OPEN: &[(&str, &str)] = &[];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

struct Expect {
    exit: i32,
    findings: Vec<String>,
}

/// Reads the two keys the harness needs from `expect.yaml` (`exit: N`, `findings: [a, b]`).
fn expect(case: &Path) -> Expect {
    let path = case.join("expect.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut exit = None;
    let mut findings = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("exit:") {
            exit = v.trim().parse().ok();
        }
        if let Some(v) = line.strip_prefix("findings:") {
            let list = v.trim().trim_start_matches('[').trim_end_matches(']');
            findings = Some(
                list.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect(),
            );
        }
    }
    Expect {
        exit: exit.unwrap_or_else(|| panic!("{}: no `exit: N`", path.display())),
        findings: findings.unwrap_or_else(|| panic!("{}: no `findings: [...]`", path.display())),
    }
}

fn cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let dir = root().join("fixtures/adversarial");
    for class in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if !class.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(class.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            if case.path().join("expect.yaml").is_file() {
                out.push(case.path());
            }
        }
    }
    out.sort();
    out
}

/// What went differently from the expectation, or `None` when the case holds.
fn run(case: &Path) -> Option<String> {
    let want = expect(case);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagegate"));
    cmd.arg("check").arg("--format").arg("json");
    let governance = case.join("governance.yaml");
    if governance.is_file() {
        cmd.arg("--governance").arg(&governance);
    }
    let out = cmd
        .arg(case)
        .current_dir(case)
        .env_remove("CI")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let errors: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["policy"].as_str().map(str::to_string))
        .collect();
    let missing: Vec<&String> = want
        .findings
        .iter()
        .filter(|id| !errors.contains(id))
        .collect();
    if code == want.exit && missing.is_empty() {
        return None;
    }
    Some(format!(
        "exit {code} (want {}), error findings {errors:?}, missing {missing:?}, input errors {}, stderr {}",
        want.exit,
        report["errors"],
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

#[test]
fn every_adversarial_case_ends_as_expected() {
    let all = cases();
    assert!(all.len() >= 60, "only {} cases", all.len());
    let base = root().join("fixtures/adversarial");
    let mut failures = Vec::new();
    let mut still_open = Vec::new();
    for case in &all {
        let name = case
            .strip_prefix(&base)
            .unwrap()
            .to_string_lossy()
            .to_string();
        let open = OPEN.iter().find(|(n, _)| *n == name);
        match (run(case), open) {
            (None, None) => {}
            (Some(why), None) => failures.push(format!("{name}: {why}")),
            (Some(_), Some(_)) => still_open.push(name),
            (None, Some(_)) => failures.push(format!(
                "{name}: now holds; remove it from OPEN in this test"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(still_open.len(), OPEN.len());
}

#[test]
fn compliant_cases_exist_for_every_heuristic_the_issue_names() {
    let base = root().join("fixtures/adversarial/compliant");
    for case in [
        "post-build-image-scan",
        "notification-named-after-scanner",
        "deploy-of-sca-service",
        "inspector-scan-sca",
        "sca-in-both-if-branches",
        "commands-action-sca",
        "seed-pattern",
    ] {
        assert_eq!(expect(&base.join(case)).exit, 0, "{case}");
    }
}
