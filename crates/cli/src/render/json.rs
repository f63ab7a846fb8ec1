//! render: `--format json`, schema version 1 (field order is part of the contract).

use serde::Serialize;
use stagegate::{Location, Report};

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    summary: &'a stagegate::Summary,
    findings: Vec<FindingOut<'a>>,
    waived: Vec<FindingOut<'a>>,
    errors: Vec<ErrorOut<'a>>,
    notes: &'a [stagegate::Note],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    policy: &'a str,
    title: &'a str,
    severity: &'a str,
    message: &'a str,
    location: &'a Location,
    related: &'a [stagegate::Related],
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a stagegate::Suppression>,
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    message: &'a str,
    location: Option<&'a Location>,
    related: &'a [stagegate::Related],
}

fn finding(v: &stagegate::Violation) -> FindingOut<'_> {
    FindingOut {
        policy: &v.policy,
        title: &v.title,
        severity: v.severity.as_str(),
        message: &v.message,
        location: &v.location,
        related: &v.related,
        fingerprint: &v.fingerprint,
        suppression: v.suppression.as_ref(),
    }
}

/// The report as one JSON document.
pub fn render(report: &Report) -> String {
    let out = Output {
        version: 1,
        tool: Tool {
            name: "stagegate",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: &report.summary,
        findings: report.active().map(finding).collect(),
        waived: report
            .violations
            .iter()
            .filter(|v| v.suppression.is_some())
            .map(finding)
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| ErrorOut {
                message: &e.message,
                location: e.location.as_ref(),
                related: &e.related,
            })
            .collect(),
        notes: &report.notes,
    };
    let mut text =
        serde_json::to_string_pretty(&out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
