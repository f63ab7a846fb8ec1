//! Every output format on the same fixtures: golden files (regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p stagegate-cli --test formats`), the JSON report against its
//! schema, and fingerprints that survive inserted lines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn stagegate_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env_remove("COLUMNS")
        .output()
        .unwrap()
}

fn stagegate(args: &[&str]) -> Output {
    stagegate_in(&root(), args)
}

/// The version appears in JSON and SARIF; keep the golden files release-independent.
fn scrub(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "<version>")
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let actual = scrub(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert!(
        expected == actual,
        "{name} differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

const CASES: &[&str] = &["fixtures/e2e/seed-violating", "fixtures/e2e/get-pipeline"];

#[test]
fn every_format_matches_its_golden_file() {
    for format in ["human", "concise", "json", "sarif", "github", "junit"] {
        let mut args = vec!["check", "--format", format, "--color", "never"];
        args.extend(CASES);
        let o = stagegate(&args);
        assert_eq!(o.status.code(), Some(1), "{format}");
        let ext = match format {
            "human" | "concise" | "github" => "txt",
            "junit" => "xml",
            _ => "json",
        };
        golden(
            &format!("seed.{format}.{ext}"),
            &String::from_utf8(o.stdout).unwrap(),
        );
    }
}

/// Human output wraps to `COLUMNS`, keeps each suggested command on one line to copy, and
/// cuts source lines wider than the terminal.
#[test]
fn human_output_fits_the_terminal_width() {
    for columns in [50, 80, 160] {
        let o = Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .args(["check", "--color", "never", "fixtures/e2e/seed-violating"])
            .current_dir(root())
            .env("COLUMNS", columns.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        for id in ["build-without-sca", "locked-buildspec-not-inline"] {
            let command = format!("`stagegate explain {id}`");
            assert!(
                text.lines().any(|l| l.contains(&command)),
                "{command} is split at {columns} columns:\n{text}"
            );
        }
        // a line may pass the width only where one word (a command, a path) is longer; a
        // label under a snippet starts below the middle of its span, and miette does not wrap
        // it; the summary stays one line for scripts
        let summary = text.lines().last().unwrap_or_default();
        assert!(summary.starts_with("3 errors"), "{summary}");
        for line in text.lines().filter(|l| !l.contains("╰──") && *l != summary) {
            let width = line.chars().count();
            let words = line.split(' ').chain(line.split('`').skip(1).step_by(2));
            let longest_word = words.map(|w| w.chars().count() + 2).max().unwrap_or(0);
            assert!(
                width <= columns || longest_word + 12 > columns,
                "{width} > {columns}: {line}"
            );
        }
    }
}

#[test]
fn json_report_validates_against_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let bad = root().join("fixtures/hostile/duplicate-keys.template.yaml");
    let mut args = vec!["check", "--format", "json", bad.to_str().unwrap()];
    args.extend(CASES);
    let o = stagegate(&args);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!report["errors"].as_array().unwrap().is_empty());
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let sweep = stagegate(&[
        "audit",
        "--workspace-per-dir",
        "--format",
        "json",
        root().join("fixtures/e2e").to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&sweep.stdout).unwrap();
    assert!(report["workspaces"].as_array().unwrap().len() > 3);
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn several_formats_in_one_run() {
    let dir = std::env::temp_dir().join(format!("stagegate-outputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, sarif, junit) = (dir.join("r.json"), dir.join("r.sarif"), dir.join("r.xml"));
    let o = stagegate(&[
        "check",
        "--format",
        "github",
        "--output-json",
        json.to_str().unwrap(),
        "--output-sarif",
        sarif.to_str().unwrap(),
        "--output-junit",
        junit.to_str().unwrap(),
        CASES[0],
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("::error file="));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(j["summary"]["findings"], 3);
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 3);
    assert!(std::fs::read_to_string(&junit)
        .unwrap()
        .contains("<testsuites"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fingerprints_stay_equal_when_lines_are_inserted_above() {
    let dir = std::env::temp_dir().join(format!("stagegate-fp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = root().join("fixtures/e2e/seed-violating");
    for name in ["pipeline.yaml", "buildspec.yaml"] {
        std::fs::copy(src.join(name), dir.join(name)).unwrap();
    }
    let run = |dir: &Path| -> Vec<(String, u64, String)> {
        let o = stagegate_in(dir, &["check", "--format", "sarif", "."]);
        let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut out: Vec<_> = s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                    r["partialFingerprints"]["stagegate/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect();
        out.sort();
        out
    };
    let before = run(&dir);
    let text = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    std::fs::write(dir.join("pipeline.yaml"), format!("# a\n# b\n# c\n{text}")).unwrap();
    let after = run(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(before.len(), 3);
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.0, a.0);
        assert_eq!(b.1 + 3, a.1, "lines moved");
        assert_eq!(b.2, a.2, "fingerprint changed");
    }
}

/// `(tests, failures, test cases, failure elements, most failures in one case)` of each
/// `<testsuite>` of a JUnit document.
fn junit_suites(xml: &str) -> Vec<(usize, usize, usize, usize, usize)> {
    let attr = |head: &str, name: &str| -> usize {
        let key = format!("{name}=\"");
        head.split(&key)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    xml.split("<testsuite ")
        .skip(1)
        .map(|suite| {
            let head = suite.split('>').next().unwrap();
            let body = suite.split("</testsuite>").next().unwrap();
            let cases: Vec<&str> = body.split("<testcase ").skip(1).collect();
            let most = cases
                .iter()
                .map(|c| {
                    c.split("</testcase>")
                        .next()
                        .unwrap()
                        .matches("<failure ")
                        .count()
                })
                .max()
                .unwrap_or(0);
            (
                attr(head, "tests"),
                attr(head, "failures"),
                cases.len(),
                body.matches("<failure ").count(),
                most,
            )
        })
        .collect()
}

#[test]
fn junit_counts_match_its_elements_and_only_failing_findings_fail() {
    let mut args = vec!["check", "--format", "junit"];
    args.extend(CASES);
    let xml = String::from_utf8(stagegate(&args).stdout).unwrap();
    let suites = junit_suites(&xml);
    assert!(suites.len() > 10);
    for (tests, failures, cases, failure_elements, most) in suites {
        assert_eq!(tests, cases, "tests= counts the test cases");
        assert_eq!(
            failures, failure_elements,
            "failures= counts the failure elements"
        );
        assert!(most <= 1, "one failure element per test case at most");
    }
    // warnings do not fail a check at the default --fail-on error: they fail no test
    let warnings = stagegate(&[
        "check",
        "--format",
        "junit",
        "policies/buildspec-masked-failure/fixtures/violating/repo-file",
    ]);
    assert_eq!(warnings.status.code(), Some(0));
    let xml = String::from_utf8(warnings.stdout).unwrap();
    assert!(xml.contains("failures=\"0\""), "{xml}");
    assert!(!xml.contains("<failure "), "{xml}");
    assert!(
        xml.contains("<system-out>"),
        "the warnings are listed: {xml}"
    );
}
