//! Policy fixtures: small workspaces whose files mark the findings a policy must report.
//!
//! A mark is `# expect: <id>[, <id>]` at the end of the line where a violation's primary
//! location starts (YAML), or a line `<file>:<line> <id>` in an `expect.txt` beside files
//! that cannot hold comments (JSON, lines inside block scalars). A policy folder holds
//! `fixtures/violating/<case>/` (marks required) and `fixtures/compliant/<case>/` (none).

use crate::source::display_path;
use crate::{Linter, Report};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (file relative to the case folder, line, policy id)
pub type Mark = (String, usize, String);

/// Case folders directly below `dir`, sorted.
pub fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The marks of a case folder; an `expect.txt` line that does not read is an error.
pub fn expected(case: &Path) -> Result<BTreeSet<Mark>, String> {
    let mut marks = BTreeSet::new();
    for file in files_below(case) {
        let name = file
            .strip_prefix(case)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        if name == "expect.txt" || name.ends_with("/expect.txt") {
            let dir = name.strip_suffix("expect.txt").unwrap_or("");
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let parsed = line.split_once(' ').and_then(|(loc, id)| {
                    let (f, l) = loc.rsplit_once(':')?;
                    Some((format!("{dir}{f}"), l.parse().ok()?, id.trim().to_string()))
                });
                match parsed {
                    Some(mark) => {
                        marks.insert(mark);
                    }
                    None => {
                        return Err(format!(
                            "{}:{}: expected `<file>:<line> <policy id>`",
                            file.display(),
                            n + 1
                        ))
                    }
                }
            }
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if let Some((_, ids)) = line.split_once("# expect:") {
                for id in ids.split(',') {
                    marks.insert((name.clone(), i + 1, id.trim().to_string()));
                }
            }
        }
    }
    Ok(marks)
}

/// The marks a report's violations would carry, relative to the case folder.
pub fn actual(report: &Report, case: &Path) -> BTreeSet<Mark> {
    let prefix = format!("{}/", display_path(case));
    report
        .violations
        .iter()
        .map(|v| {
            let rel = v
                .location
                .path
                .strip_prefix(&prefix)
                .unwrap_or(&v.location.path);
            (rel.to_string(), v.location.line, v.policy.clone())
        })
        .collect()
}

/// The outcome of one fixture case.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    /// Policy id.
    pub policy: String,
    /// `violating/<case>` or `compliant/<case>`.
    pub case: String,
    /// Marked but not reported.
    pub missing: Vec<Mark>,
    /// Reported but not marked.
    pub unexpected: Vec<Mark>,
    /// Anything that made the case unusable (unreadable marks, input problems).
    pub problems: Vec<String>,
}

impl CaseOutcome {
    /// Whether the case holds.
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.problems.is_empty()
    }
}

/// Compares one case folder with what `linter` reports for it.
pub fn check_case(linter: &Linter, policy: &str, case: &Path, violating: bool) -> CaseOutcome {
    let kind = if violating { "violating" } else { "compliant" };
    let name = case
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_string());
    let mut outcome = CaseOutcome {
        policy: policy.to_string(),
        case: format!("{kind}/{name}"),
        missing: Vec::new(),
        unexpected: Vec::new(),
        problems: Vec::new(),
    };
    let want = match expected(case) {
        Ok(w) => w,
        Err(e) => {
            outcome.problems.push(e);
            return outcome;
        }
    };
    if violating && want.is_empty() {
        outcome
            .problems
            .push("a violating fixture needs at least one expectation mark".into());
    }
    if !violating && !want.is_empty() {
        outcome
            .problems
            .push("a compliant fixture must not carry expectation marks".into());
    }
    let report = linter.check_paths(&[case]);
    outcome
        .problems
        .extend(report.errors.iter().map(|e| match &e.location {
            Some(l) => format!("{}:{}:{}: {}", l.path, l.line, l.column, e.message),
            None => e.message.clone(),
        }));
    let got = actual(&report, case);
    outcome.missing = want.difference(&got).cloned().collect();
    outcome.unexpected = got.difference(&want).cloned().collect();
    outcome
}

/// Runs every fixture case of every policy of `linter` found under `root/<id>/fixtures`,
/// each with that policy alone. Policies without a fixtures folder are listed in the
/// second result.
///
/// ```no_run
/// let linter = stagegate::Linter::builder().policy_dir("my-policies")?.build()?;
/// let (outcomes, without) = stagegate::fixtures::run(&linter, "my-policies".as_ref());
/// for o in outcomes.iter().filter(|o| !o.passed()) {
///     eprintln!("{}: {} fails", o.policy, o.case);
/// }
/// assert!(without.is_empty(), "policies without fixtures: {without:?}");
/// # Ok::<(), stagegate::Error>(())
/// ```
pub fn run(linter: &Linter, root: &Path) -> (Vec<CaseOutcome>, Vec<String>) {
    let mut outcomes = Vec::new();
    let mut without = Vec::new();
    for policy in linter.policies() {
        let id = &policy.metadata.id;
        let fixtures = root.join(id).join("fixtures");
        let Some(only) = linter.only(id).filter(|_| fixtures.is_dir()) else {
            without.push(id.clone());
            continue;
        };
        for (sub, violating) in [("violating", true), ("compliant", false)] {
            for case in cases(&fixtures.join(sub)) {
                outcomes.push(check_case(&only, id, &case, violating));
            }
        }
    }
    (outcomes, without)
}
