//! render: `--format junit`, JUnit XML for CodeBuild report groups and CI test views: one
//! test suite per policy, one test case per checked file. A case fails (one `<failure>`,
//! every finding in its text) when it holds a finding that fails the check; findings below
//! `--fail-on` leave it passing and are listed in its `<system-out>`.

use stagegate::{Policy, Report, Severity};

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML; `fails`: the lowest severity that fails the check (`None`:
/// findings never do).
pub fn render(report: &Report, policies: &[Policy], fails: Option<Severity>) -> String {
    let mut suites = String::new();
    let (mut total_tests, mut total_failures) = (0, 0);
    let mut ids: Vec<&str> = policies.iter().map(|p| p.metadata.id.as_str()).collect();
    for v in &report.violations {
        if !ids.contains(&v.policy.as_str()) {
            ids.push(&v.policy);
        }
    }
    let mut files: Vec<&str> = report.checked_files.iter().map(String::as_str).collect();
    for v in &report.violations {
        if !files.contains(&v.location.path.as_str()) {
            files.push(&v.location.path);
        }
    }
    for id in ids {
        let mut cases = String::new();
        let (mut tests, mut failures, mut skipped) = (0, 0, 0);
        for file in &files {
            tests += 1;
            let found: Vec<_> = report
                .violations
                .iter()
                .filter(|v| v.policy == id && v.location.path == *file)
                .collect();
            let active: Vec<_> = found.iter().filter(|v| v.suppression.is_none()).collect();
            cases.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(id),
                xml(file)
            ));
            if active.is_empty() && found.is_empty() {
                cases.push_str("/>\n");
                continue;
            }
            cases.push_str(">\n");
            if active.is_empty() {
                skipped += 1;
                cases.push_str("      <skipped message=\"waived\"/>\n");
            }
            let line = |v: &stagegate::Violation| {
                format!(
                    "{}:{}:{}: {} ({})",
                    v.location.path,
                    v.location.line,
                    v.location.column,
                    v.message,
                    v.severity.as_str()
                )
            };
            let (failing, passing): (Vec<&stagegate::Violation>, Vec<&stagegate::Violation>) =
                active
                    .iter()
                    .map(|v| **v)
                    .partition(|v| fails.is_some_and(|t| v.severity >= t));
            if let Some(first) = failing.first() {
                failures += 1;
                let text: Vec<String> = failing.iter().map(|v| line(v)).collect();
                let message = if failing.len() == 1 {
                    first.message.clone()
                } else {
                    format!("{} findings; the first: {}", failing.len(), first.message)
                };
                cases.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    xml(&message),
                    first.severity.as_str(),
                    xml(&text.join("\n"))
                ));
            }
            if !passing.is_empty() {
                let text: Vec<String> = passing.iter().map(|v| line(v)).collect();
                cases.push_str(&format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&text.join("\n"))
                ));
            }
            cases.push_str("    </testcase>\n");
        }
        total_tests += tests;
        total_failures += failures;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\">\n{cases}  </testsuite>\n",
            xml(id)
        ));
    }
    if !report.errors.is_empty() {
        let mut cases = String::new();
        for e in &report.errors {
            let name = e.location.as_ref().map_or_else(
                || "run".to_string(),
                |l| format!("{}:{}:{}", l.path, l.line, l.column),
            );
            cases.push_str(&format!(
                "    <testcase classname=\"stagegate\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>\n",
                xml(&name),
                xml(&e.message)
            ));
        }
        suites.push_str(&format!(
            "  <testsuite name=\"stagegate-input\" tests=\"{n}\" failures=\"0\" errors=\"{n}\">\n{cases}  </testsuite>\n",
            n = report.errors.len()
        ));
    }
    // run settings that dropped or softened governance policies, as properties of a suite
    // of their own (JUnit has no run-level notes)
    let settings: Vec<&str> = report
        .notes
        .iter()
        .filter(|n| n.path.is_empty())
        .map(|n| n.message.as_str())
        .collect();
    if !settings.is_empty() {
        let properties: String = settings
            .iter()
            .map(|m| {
                format!(
                    "      <property name=\"stagegate.run-setting\" value=\"{}\"/>\n",
                    xml(m)
                )
            })
            .collect();
        suites.push_str(&format!(
            "  <testsuite name=\"stagegate-run-settings\" tests=\"0\" failures=\"0\" errors=\"0\">\n    <properties>\n{properties}    </properties>\n  </testsuite>\n"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"stagegate\" tests=\"{}\" failures=\"{total_failures}\" errors=\"{}\">\n{suites}</testsuites>\n",
        total_tests + report.errors.len(),
        report.errors.len()
    )
}
