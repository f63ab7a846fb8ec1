//! normalize: recognise security gates (SCA, SAST, secrets, IaC scans) by action, provider
//! and project names, and by the tools their inline buildspecs run.

use super::{Evidence, Workspace};
use regex::Regex;

/// Rules that make an action a gate of a role, and which roles are locked.
#[derive(Debug, Clone)]
pub struct GateRules {
    /// (role, pattern over a normalized name: lower case, words split by spaces).
    pub name_patterns: Vec<(String, Regex)>,
    /// (role, pattern over a lower-cased buildspec command).
    pub command_patterns: Vec<(String, Regex)>,
    /// Roles whose actions are locked by the platform.
    pub locked_roles: Vec<String>,
    /// Actions named in governance data.
    pub assignments: Vec<crate::governance::Assignment>,
}

impl Default for GateRules {
    fn default() -> Self {
        let build = |rules: &[(&str, &str)]| {
            rules
                .iter()
                .map(|(role, re)| {
                    // the patterns are constants; a typo is a programming error caught by tests.
                    // ASCII word boundaries: the words are ASCII, and Unicode ones cost compile
                    // time and keep the lazy DFA from matching non-ASCII text
                    let re = regex::RegexBuilder::new(re)
                        .unicode(false)
                        .build()
                        .unwrap_or_else(|e| panic!("built-in gate pattern: {e}"));
                    ((*role).to_string(), re)
                })
                .collect()
        };
        GateRules {
            name_patterns: build(&[
                (
                    "sca",
                    r"\b(sca|software composition|dependency (check|scan|scanning|audit)|owasp|snyk|trivy|grype|osv)\b",
                ),
                (
                    "sast",
                    r"\b(sast|static (code |application )?(security )?(analysis|scan|scanning)|codeguru|semgrep|sonar(qube|cloud| scanner)?|bandit|checkmarx|codeql|fortify|brakeman|gosec)\b",
                ),
                (
                    "secrets",
                    r"\b(secrets? (scan|scanning|detection|detect|check)|gitleaks|trufflehog|detect secrets|git secrets)\b",
                ),
                (
                    "iac",
                    r"\b(iac (scan|scanning|security|check)|checkov|cfn nag|cfn guard|tfsec|cdk nag|kics|terrascan)\b",
                ),
            ]),
            command_patterns: build(&[
                (
                    "sca",
                    r"(dependency-check|\bsnyk (test|monitor)\b|\btrivy (fs|filesystem|image|repo|repository|rootfs|sbom)\b|\bgrype\b|\bosv-scanner\b|\bnpm audit\b|\byarn audit\b|\bpip-audit\b|\bsafety check\b)",
                ),
                (
                    "sast",
                    r"\b(semgrep|bandit|sonar-scanner|codeql|brakeman|gosec)\b",
                ),
                (
                    "secrets",
                    r"\b(gitleaks|trufflehog|detect-secrets|git secrets)\b",
                ),
                (
                    "iac",
                    r"(\bcheckov\b|\bcfn_nag|\bcfn-nag|\btfsec\b|\bkics\b|\bterrascan\b|\bcfn-guard\b|\btrivy config\b)",
                ),
            ]),
            locked_roles: vec!["sca".to_string()],
            assignments: Vec::new(),
        }
    }
}

/// Splits CamelCase, kebab-case and snake_case into lower-case words: `OWASPDependencyCheck`
/// and `owasp-dependency_check` both read `owasp dependency check`.
pub fn normalize_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    let mut prev: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let before = prev.replace(c);
        if !c.is_alphanumeric() {
            out.push(' ');
            continue;
        }
        if before.is_some_and(|p| p.is_alphanumeric() && p.is_ascii_digit() != c.is_ascii_digit()) {
            out.push(' ');
        } else if let Some(prev) = before.filter(|_| c.is_uppercase()) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Sets `roles`, `gate_evidence` and `locked` on every action.
pub(crate) fn classify(ws: &mut Workspace, rules: &GateRules) {
    for pipeline in &mut ws.pipelines {
        for stage in &mut pipeline.stages {
            for action in &mut stage.actions {
                let mut evidence = Vec::new();
                let mut names = vec![
                    ("action name", action.name.clone(), action.source.clone()),
                    (
                        "action provider",
                        action.provider.clone(),
                        action.source.clone(),
                    ),
                ];
                let project = action.project.as_ref().and_then(|k| ws.projects.get(k));
                if let Some(p) = project {
                    let name = p
                        .name
                        .clone()
                        .or_else(|| p.logical_id.clone())
                        .unwrap_or_default();
                    names.push(("project name", name, p.source.clone()));
                } else if let Some(n) = &action.project_name {
                    names.push(("project name", n.clone(), action.source.clone()));
                }
                for (what, name, source) in names {
                    let normalized = normalize_name(&name);
                    for (role, re) in &rules.name_patterns {
                        if re.is_match(&normalized) {
                            evidence.push(Evidence {
                                role: role.clone(),
                                reason: format!("{what} \"{name}\""),
                                source: source.clone(),
                            });
                        }
                    }
                }
                let inline = project
                    .filter(|p| p.buildspec.kind == "inline")
                    .and_then(|p| p.buildspec.document.as_ref())
                    .and_then(|k| ws.buildspecs.get(k));
                for cmd in inline.map(|b| b.commands.as_slice()).unwrap_or_default() {
                    let lower = cmd.text.to_lowercase();
                    for (role, re) in &rules.command_patterns {
                        if re.is_match(&lower)
                            && !evidence
                                .iter()
                                .any(|e| &e.role == role && e.reason.starts_with("runs"))
                        {
                            evidence.push(Evidence {
                                role: role.clone(),
                                reason: format!("runs `{}`", first_line(&cmd.text)),
                                source: cmd.source.clone(),
                            });
                        }
                    }
                }
                let project_name = project.and_then(|p| p.name.as_deref());
                let mut locked_override = None;
                for a in &rules.assignments {
                    if !a.matches(&action.pipeline, &action.stage, &action.name, project_name) {
                        continue;
                    }
                    for role in &a.roles {
                        evidence.push(Evidence {
                            role: role.clone(),
                            reason: "named in governance data".into(),
                            source: action.source.clone(),
                        });
                    }
                    locked_override = a.locked.or(locked_override);
                }
                let mut roles: Vec<String> = evidence.iter().map(|e| e.role.clone()).collect();
                roles.sort();
                roles.dedup();
                action.locked = locked_override
                    .unwrap_or_else(|| roles.iter().any(|r| rules.locked_roles.contains(r)));
                action.roles = roles;
                action.gate_evidence = evidence;
            }
        }
    }
}

fn first_line(text: &str) -> &str {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match line.char_indices().nth(60) {
        Some((i, _)) => line.get(..i).unwrap_or(line),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_in_every_case_style() {
        assert_eq!(
            normalize_name("OWASPDependencyCheck"),
            "owasp dependency check"
        );
        assert_eq!(normalize_name("dependency_check"), "dependency check");
        assert_eq!(normalize_name("sca-scan"), "sca scan");
        assert_eq!(normalize_name("Sca2"), "sca 2");
    }

    #[test]
    fn default_rules_recognise_gates_not_builds() {
        let rules = GateRules::default();
        let roles = |name: &str| -> Vec<&str> {
            let n = normalize_name(name);
            rules
                .name_patterns
                .iter()
                .filter(|(_, re)| re.is_match(&n))
                .map(|(r, _)| r.as_str())
                .collect()
        };
        assert_eq!(roles("SCA"), ["sca"]);
        assert_eq!(roles("SoftwareCompositionAnalysis"), ["sca"]);
        assert_eq!(roles("dependency-scan"), ["sca"]);
        assert_eq!(roles("SecretsScan"), ["secrets"]);
        assert_eq!(roles("SAST"), ["sast"]);
        assert!(roles("BuildAndTest").is_empty());
        assert!(roles("Scan").is_empty());
        assert!(roles("Cascade").is_empty());
    }
}
