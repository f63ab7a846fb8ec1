//! render: `--format sarif`, SARIF 2.1.0 for code-scanning services.

use serde::Serialize;
use stagegate::{Location, Policy, Report, Severity};

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
    invocations: Vec<Invocation>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Config,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Config {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: Fingerprints,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties>,
}

/// What a result is about beyond its file: the ARN of the live resource.
#[derive(Serialize)]
struct ResultProperties {
    resource: String,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "stagegate/v1")]
    stagegate: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: Physical,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    region: Region,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<SarifLocation>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub code scanning ranks security results by this score (0-10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Note => "2.0",
    }
}

fn location(loc: &Location, id: Option<usize>, message: Option<String>) -> SarifLocation {
    SarifLocation {
        id,
        physical_location: Physical {
            artifact_location: Artifact {
                uri: loc.path.clone(),
            },
            region: Region {
                start_line: loc.line,
                start_column: loc.column,
                end_line: loc.end_line,
                // SARIF's end column is exclusive
                end_column: loc.end_column + 1,
            },
        },
        message: message.map(|text| Text { text }),
    }
}

fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

fn rule(id: &str, title: &str, description: &str, help: &str, severity: Severity) -> Rule {
    Rule {
        id: id.to_string(),
        name: camel(id),
        short_description: Text {
            text: title.to_string(),
        },
        full_description: Text {
            text: description.trim().to_string(),
        },
        help: Text {
            text: help.trim().to_string(),
        },
        help_uri: None,
        default_configuration: Config {
            level: level(severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(severity),
            tags: vec!["security", "ci-cd"],
        },
    }
}

/// One SARIF log for the reports of one workspace (`check`) or many (`audit`), with one
/// rule per loaded policy.
pub struct SarifLog {
    rules: Vec<Rule>,
    results: Vec<SarifResult>,
    notifications: Vec<Notification>,
    successful: bool,
}

impl SarifLog {
    /// A log with no result yet.
    pub fn new(policies: &[Policy]) -> Self {
        let rules = policies
            .iter()
            .map(|p| {
                let m = &p.metadata;
                Rule {
                    help_uri: m.related_resources.first().cloned(),
                    ..rule(&m.id, &m.title, &m.description, &m.remediation, m.severity)
                }
            })
            .collect();
        SarifLog {
            rules,
            results: Vec::new(),
            notifications: Vec::new(),
            successful: true,
        }
    }

    /// Adds a report's findings, its problems and its run notes. `target` names the
    /// workspace of a sweep in problems that have no location.
    pub fn add(&mut self, report: &Report, target: Option<&str>) {
        for v in &report.violations {
            let rule_index = match self.rules.iter().position(|r| r.id == v.policy) {
                Some(i) => i,
                None => {
                    self.rules.push(rule(
                        &v.policy,
                        &v.title,
                        &v.title,
                        "Waive or change this policy only in the platform's governance data.",
                        v.severity,
                    ));
                    self.rules.len() - 1
                }
            };
            self.results.push(SarifResult {
                rule_id: v.policy.clone(),
                rule_index,
                level: level(v.severity),
                message: Text {
                    text: v.message.clone(),
                },
                locations: vec![location(&v.location, None, v.label.clone())],
                related_locations: v
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| location(&r.location, Some(i + 1), Some(r.message.clone())))
                    .collect(),
                partial_fingerprints: Fingerprints {
                    stagegate: v.fingerprint.clone(),
                },
                suppressions: v
                    .suppression
                    .iter()
                    .map(|s| Suppression {
                        kind: if s.kind == "inline" {
                            "inSource"
                        } else {
                            "external"
                        },
                        status: "accepted",
                        justification: s.reason.clone(),
                    })
                    .collect(),
                properties: v
                    .resource
                    .clone()
                    .map(|resource| ResultProperties { resource }),
            });
        }
        let in_target = |text: &str| match target {
            Some(t) => format!("{t}: {text}"),
            None => text.to_string(),
        };
        self.successful &= report.errors.is_empty();
        for e in &report.errors {
            self.notifications.push(Notification {
                level: "error",
                message: Text {
                    text: if e.location.is_some() {
                        e.message.clone()
                    } else {
                        in_target(&e.message)
                    },
                },
                locations: e.location.iter().map(|l| location(l, None, None)).collect(),
            });
        }
        // run settings that dropped or softened governance policies
        for n in report.notes.iter().filter(|n| n.path.is_empty()) {
            self.notifications.push(Notification {
                level: "warning",
                message: Text {
                    text: in_target(&n.message),
                },
                locations: Vec::new(),
            });
        }
    }

    /// The log as SARIF 2.1.0 JSON.
    pub fn finish(self) -> String {
        let log = Log {
            schema: "https://json.schemastore.org/sarif-2.1.0.json",
            version: "2.1.0",
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "stagegate",
                        version: env!("CARGO_PKG_VERSION"),
                        information_uri: "https://example.invalid/stagegate",
                        rules: self.rules,
                    },
                },
                results: self.results,
                invocations: vec![Invocation {
                    execution_successful: self.successful,
                    tool_execution_notifications: self.notifications,
                }],
            }],
        };
        let mut text = serde_json::to_string_pretty(&log)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        text.push('\n');
        text
    }
}

/// The report as a SARIF 2.1.0 log with one rule per loaded policy.
pub fn render(report: &Report, policies: &[Policy]) -> String {
    let mut log = SarifLog::new(policies);
    log.add(report, None);
    log.finish()
}
