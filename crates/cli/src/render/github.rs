//! render: `--format github`, workflow commands that GitHub Actions shows as annotations.

use stagegate::{Report, Severity};

/// Escapes a workflow-command message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error`/`::warning`/`::notice` line per unwaived violation and problem.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for v in report.active() {
        let command = match v.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let l = &v.location;
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&l.path),
            l.line,
            l.column,
            l.end_line,
            l.end_column,
            property(&format!("{}: {}", v.policy, v.title)),
            data(&v.message)
        ));
    }
    for e in &report.errors {
        match &e.location {
            Some(l) => out.push_str(&format!(
                "::error file={},line={},col={},title=stagegate could not check this file::{}\n",
                property(&l.path),
                l.line,
                l.column,
                data(&e.message)
            )),
            None => out.push_str(&format!(
                "::error title=stagegate could not check everything::{}\n",
                data(&e.message)
            )),
        }
    }
    // how the run was configured, when it dropped or softened governance policies
    for n in report.notes.iter().filter(|n| n.path.is_empty()) {
        out.push_str(&format!(
            "::warning title=stagegate run settings::{}\n",
            data(&n.message)
        ));
    }
    out
}
