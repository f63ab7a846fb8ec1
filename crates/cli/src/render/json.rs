//! render: `--format json` (and audit's JSON Lines), schema version 1 (field order is part
//! of the contract). One workspace is written the same way by `check` (the whole report)
//! and by `audit` (one entry of `workspaces`), so either report is a baseline for both.

use serde::Serialize;
use stagegate::{Location, Report};

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    kind: &'static str,
    tool: Tool,
    #[serde(flatten)]
    workspace: WorkspaceOut<'a>,
}

#[derive(Serialize)]
pub struct Tool {
    name: &'static str,
    version: &'static str,
}

/// This build of stagegate, as reports name it.
pub const TOOL: Tool = Tool {
    name: "stagegate",
    version: env!("CARGO_PKG_VERSION"),
};

/// One workspace's findings, waived findings (a baseline's among them), problems and
/// notes.
#[derive(Serialize)]
pub struct WorkspaceOut<'a> {
    target: &'a str,
    summary: &'a stagegate::Summary,
    findings: Vec<FindingOut<'a>>,
    waived: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    notes: &'a [stagegate::Note],
}

/// A finding as every JSON output writes it.
#[derive(Serialize)]
pub struct FindingOut<'a> {
    policy: &'a str,
    title: &'a str,
    severity: &'a str,
    message: &'a str,
    location: &'a Location,
    related: &'a [stagegate::Related],
    fingerprint: &'a str,
    /// The ARN of the pipeline or project, when its dump names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a stagegate::Suppression>,
}

/// A problem (the check is incomplete) as every JSON output writes it.
#[derive(Serialize)]
pub struct ErrorOut<'a> {
    message: &'a str,
    location: Option<&'a Location>,
    related: &'a [stagegate::Related],
}

/// One line of audit's JSON Lines: the workspace, then the finding or problem.
#[derive(Serialize)]
pub struct Line<'a, T: Serialize> {
    pub target: &'a str,
    #[serde(flatten)]
    pub item: T,
}

/// The finding as JSON outputs write it.
pub fn finding(v: &stagegate::Violation) -> FindingOut<'_> {
    FindingOut {
        policy: &v.policy,
        title: &v.title,
        severity: v.severity.as_str(),
        message: &v.message,
        location: &v.location,
        related: &v.related,
        fingerprint: &v.fingerprint,
        resource: v.resource.as_deref(),
        suppression: v.suppression.as_ref(),
    }
}

/// The problem as JSON outputs write it.
pub fn error(e: &stagegate::Problem) -> ErrorOut<'_> {
    ErrorOut {
        message: &e.message,
        location: e.location.as_ref(),
        related: &e.related,
    }
}

/// The workspace `target` of a report.
pub fn workspace<'a>(target: &'a str, report: &'a Report) -> WorkspaceOut<'a> {
    WorkspaceOut {
        target,
        summary: &report.summary,
        findings: report.active().map(finding).collect(),
        waived: report
            .violations
            .iter()
            .filter(|v| v.suppression.is_some())
            .map(finding)
            .collect(),
        errors: report.errors.iter().map(error).collect(),
        notes: &report.notes,
    }
}

/// A `check` report as one JSON document; `target` names the checked folder.
pub fn render(report: &Report, target: &str) -> String {
    let out = Output {
        version: 1,
        kind: "check",
        tool: TOOL,
        workspace: workspace(target, report),
    };
    let mut text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
