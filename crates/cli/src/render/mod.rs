//! render: one module per `--format`.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use stagegate::Policy;

/// `stagegate explain ID`.
pub fn explain(policy: &Policy) -> String {
    let m = &policy.metadata;
    let mut out = format!(
        "{} ({}, {})\n\n{}\n\n",
        m.id,
        m.severity.as_str(),
        policy.origin,
        m.title
    );
    out.push_str(m.description.trim_end());
    out.push_str("\n\nRemediation:\n");
    for line in m.remediation.trim_end().lines() {
        out.push_str(&format!("  {line}\n"));
    }
    if !m.related_resources.is_empty() {
        out.push_str("\nSee also:\n");
        for link in &m.related_resources {
            out.push_str(&format!("  {link}\n"));
        }
    }
    if !m.waivable {
        out.push_str("\nThis policy cannot be waived by repository configuration.\n");
    }
    out
}
