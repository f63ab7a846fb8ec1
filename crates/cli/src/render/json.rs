//! render: `--format json`, schema version 1 (field order is part of the contract).

use serde::Serialize;
use stagegate::{Location, Report};

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    summary: &'a stagegate::Summary,
    findings: Vec<FindingOut<'a>>,
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
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    message: &'a str,
    location: Option<&'a Location>,
    related: &'a [stagegate::Related],
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
        findings: report
            .violations
            .iter()
            .map(|v| FindingOut {
                policy: &v.policy,
                title: &v.title,
                severity: v.severity.as_str(),
                message: &v.message,
                location: &v.location,
                related: &v.related,
                fingerprint: &v.fingerprint,
            })
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
