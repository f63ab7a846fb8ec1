//! Fixture helpers for the tests: the repository root and a case check with a readable diff.

use stagegate::fixtures::{actual, expected};
use stagegate::Report;
use std::path::{Path, PathBuf};

pub use stagegate::fixtures::cases;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// Asserts marks == violations, with a readable diff, and that the check was complete.
pub fn check_case(report: &Report, case: &Path) {
    assert!(
        report.errors.is_empty(),
        "{}: problems: {:#?}",
        case.display(),
        report.errors
    );
    let want = expected(case).unwrap();
    let got = actual(report, case);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}:\n  expected but not reported: {missing:?}\n  reported but not expected: {extra:?}\n  messages: {:#?}",
        case.display(),
        report
            .violations
            .iter()
            .map(|v| format!("{}:{} {}", v.location.path, v.location.line, v.message))
            .collect::<Vec<_>>()
    );
}
