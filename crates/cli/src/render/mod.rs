//! render: one module per `--format`.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use stagegate::Policy;

/// `stagegate explain ID`.
/// What `waiver-not-allowed` findings mean: stagegate reports them itself, no policy does.
pub fn explain_refused() -> String {
    format!(
        "{} (error, built-in)\n\nA repository tried to waive, disable or downgrade a non-waivable policy\n\n\
The platform marks its governance policies non-waivable (`waivable: false` in their METADATA,\n\
or `policies.<id>.waivable: false` in governance data). A repository's `.stagegate.yaml`\n\
waiver, `ignore`, `select` or `severity`, or an inline `# stagegate: ignore[...]`\n\
comment, that would hide or soften one of their findings is refused: the finding stays, and\n\
this error says where the attempt is written.\n\nRemediation:\n  \
Remove the waiver or setting from the repository. If the platform accepts the risk, it\n  \
waives the finding in its governance data (`waivers:`), which the repository does not own.\n",
        stagegate::REFUSED
    )
}

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
