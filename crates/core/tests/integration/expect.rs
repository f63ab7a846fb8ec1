//! Expectation marks: `# expect: <id>[, <id>]` on the line where a violation's primary span
//! starts (YAML), or `expect.txt` lines `<file>:<line> <id>` beside JSON files.

use stagegate::Report;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (file relative to the fixture folder, line, policy id)
pub type Mark = (String, usize, String);

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// Fixture folders directly below `dir`.
pub fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn expected(case: &Path) -> BTreeSet<Mark> {
    let mut marks = BTreeSet::new();
    let mut files: Vec<PathBuf> = walk(case);
    files.sort();
    for file in files {
        let name = file
            .strip_prefix(case)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        if name == "expect.txt" || name.ends_with("/expect.txt") {
            for line in text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
            {
                let (loc, id) = line
                    .split_once(' ')
                    .expect("expect.txt: `<file>:<line> <id>`");
                let (f, n) = loc.rsplit_once(':').expect("expect.txt: `<file>:<line>`");
                let dir = Path::new(&name)
                    .parent()
                    .map(|p| p.to_string_lossy().to_string())
                    .unwrap_or_default();
                let f = if dir.is_empty() {
                    f.to_string()
                } else {
                    format!("{dir}/{f}")
                };
                marks.insert((f, n.parse().unwrap(), id.trim().to_string()));
            }
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if let Some(at) = line.find("# expect:") {
                for id in line[at + "# expect:".len()..].split(',') {
                    marks.insert((name.clone(), i + 1, id.trim().to_string()));
                }
            }
        }
    }
    marks
}

pub fn actual(report: &Report, case: &Path) -> BTreeSet<Mark> {
    let prefix = case.to_string_lossy().replace('\\', "/");
    report
        .violations
        .iter()
        .map(|v| {
            let rel = v
                .location
                .path
                .strip_prefix(&format!("{prefix}/"))
                .unwrap_or(&v.location.path);
            (rel.to_string(), v.location.line, v.policy.clone())
        })
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Asserts marks == violations, with a readable diff, and that the check was complete.
pub fn check_case(report: &Report, case: &Path) {
    assert!(
        report.errors.is_empty(),
        "{}: problems: {:#?}",
        case.display(),
        report.errors
    );
    let want = expected(case);
    let got = actual(report, case);
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{}:\n  expected but not reported: {missing:?}\n  reported but not expected: {extra:?}\n  messages: {:#?}",
        case.display(),
        report.violations.iter().map(|v| format!("{}:{} {}", v.location.path, v.location.line, v.message)).collect::<Vec<_>>()
    );
}
