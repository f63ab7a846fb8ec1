//! Governance data: the platform-owned YAML that says which actions are security gates and
//! locked, and sets policy parameters, without editing Rego. Validated against
//! `schemas/governance.schema.json`; every problem is located in the file.

use crate::date::Date;
use crate::error::Located;
use crate::model::GateRules;
use crate::parse::{self, Limits, Node};
use crate::source::{SourceFile, Span};
use regex::Regex;
use serde_json::Value as Json;
use std::sync::Arc;

/// The JSON Schema of governance files.
pub const SCHEMA: &str = include_str!("../../../schemas/governance.schema.json");

/// Loaded governance data.
#[derive(Debug, Clone)]
pub struct Governance {
    /// Gate recognition rules derived from it.
    pub gates: GateRules,
    /// The file as JSON, given to policies as `data.stagegate.governance`.
    pub data: Json,
    /// Policies the platform locks against repository waivers (`policies.<id>.waivable: false`).
    pub locked_policies: Vec<String>,
    /// Phased enforcement: before the date, findings are reported at warning level.
    pub enforce_from: Vec<(String, Date)>,
    /// Platform-granted waivers.
    pub waivers: Vec<crate::waiver::Waiver>,
    /// Where each policy id and parameter the file names is written, to check them against
    /// the loaded policies: (policy id, parameter key, its value, `file:line:column`).
    pub(crate) references: Vec<Reference>,
    /// What every check must find (`pipelines`, `buildspecs`).
    pub require: Vec<String>,
}

/// A policy id (and parameter) named in governance data, located.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub policy: String,
    pub param: Option<(String, Json)>,
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Governance {
    /// Problems with the policy ids and parameters it names, against the loaded policies:
    /// an unknown id or key, a value of the wrong type, a pattern that does not compile.
    /// Each would otherwise leave a platform setting silently without effect.
    pub(crate) fn check_against(&self, policies: &crate::policy::PolicySet) -> Vec<Located> {
        let mut out = Vec::new();
        for r in &self.references {
            if policies.policy(&r.policy).is_none() {
                out.push(Located::new(
                    &r.file,
                    r.span,
                    format!("no loaded policy has the id `{}`", r.policy),
                ));
                continue;
            }
            let Some((key, value)) = &r.param else {
                continue;
            };
            let known = policies.parameters(&r.policy);
            let Some((_, default)) = known.iter().find(|(k, _)| k == key) else {
                let names: Vec<&str> = known.iter().map(|(k, _)| k.as_str()).collect();
                out.push(Located::new(
                    &r.file,
                    r.span,
                    if names.is_empty() {
                        format!("policy `{}` reads no parameters", r.policy)
                    } else {
                        format!(
                            "policy `{}` has no parameter `{key}` (it reads: {})",
                            r.policy,
                            names.join(", ")
                        )
                    },
                ));
                continue;
            };
            let problem = if key.ends_with("_pattern") {
                match value.as_str() {
                    Some(text) => Regex::new(text)
                        .err()
                        .map(|e| format!("`{key}` is not a valid regular expression: {e}")),
                    None => Some(format!("`{key}` must be a regular expression (a string)")),
                }
            } else if default.starts_with('[') && !value.is_array() {
                Some(format!("`{key}` must be a list"))
            } else if default.starts_with('"') && !value.is_string() {
                Some(format!("`{key}` must be a string"))
            } else {
                None
            };
            if let Some(message) = problem {
                out.push(Located::new(&r.file, r.span, message));
            }
        }
        out
    }
}

impl Default for Governance {
    fn default() -> Self {
        Governance {
            gates: GateRules::default(),
            data: Json::Object(Default::default()),
            locked_policies: Vec::new(),
            enforce_from: Vec::new(),
            waivers: Vec::new(),
            references: Vec::new(),
            require: Vec::new(),
        }
    }
}

impl Governance {
    /// Parses, validates and applies a governance file.
    pub fn parse(file: Arc<SourceFile>) -> Result<Governance, Vec<Located>> {
        let at = |span: Span, message: String| Located::new(&file, span, message);
        let doc = parse::parse(file.clone(), &Limits::default())
            .map_err(|e| vec![at(e.span, e.message)])?;
        let Some(root) = doc.root() else {
            return Ok(Governance::default());
        };
        crate::config::validate(&file, root, SCHEMA)?;
        let data = root.to_json();
        let mut gates = GateRules::default();
        let mut problems = Vec::new();
        let g = root.get("gates");
        if g.and_then(|g| g.get("replace-default-patterns"))
            .and_then(Node::as_str)
            == Some("true")
        {
            gates.name_patterns.clear();
            gates.command_patterns.clear();
            gates.builtin_scanners = None;
        }
        for (key, target) in [("name-patterns", 0), ("command-patterns", 1)] {
            for role in g
                .and_then(|g| g.get(key))
                .map(Node::entries)
                .unwrap_or_default()
            {
                for p in role.value.items() {
                    let text = p.as_str().unwrap_or_default();
                    // a command pattern reads a command from its program on, so a scanner named
                    // in an argument (`echo scanner`) does not match
                    let pattern = if target == 0 {
                        format!("(?i){text}")
                    } else {
                        format!("(?i)^(?:{text})")
                    };
                    match Regex::new(&pattern) {
                        Ok(re) => {
                            let list = if target == 0 {
                                &mut gates.name_patterns
                            } else {
                                &mut gates.command_patterns
                            };
                            list.push((role.key.clone(), re));
                        }
                        Err(e) => {
                            problems.push(at(p.span, format!("invalid regular expression: {e}")))
                        }
                    }
                }
            }
        }
        for a in g
            .and_then(|g| g.get("actions"))
            .map(Node::items)
            .unwrap_or_default()
        {
            let s = |k: &str| a.get(k).and_then(Node::as_str).map(str::to_string);
            gates.assignments.push(crate::model::Assignment {
                pipeline: s("pipeline"),
                stage: s("stage"),
                action: s("action"),
                project: s("project"),
                roles: a.strings("roles"),
                locked: a.get("locked").and_then(Node::as_str).map(|v| v == "true"),
            });
        }
        for p in g
            .and_then(|g| g.get("projects"))
            .map(Node::items)
            .unwrap_or_default()
        {
            gates.projects.push(crate::model::ProjectGate {
                name: p
                    .get("name")
                    .and_then(Node::as_str)
                    .unwrap_or_default()
                    .to_string(),
                roles: p.strings("roles"),
                sha256: p
                    .get("sha256")
                    .and_then(Node::as_str)
                    .map(str::to_ascii_lowercase),
            });
        }
        gates.harmless_transforms = root.strings("harmless-transforms");
        // the secret-name patterns are read by the model; one that does not compile is
        // reported against the policy that declares it (`check_against`)
        for (policy, names) in [
            (
                "buildspec-plaintext-secret",
                &mut gates.secrets.buildspec_names,
            ),
            (
                "codebuild-plaintext-secret",
                &mut gates.secrets.codebuild_names,
            ),
        ] {
            let pattern = root
                .get("params")
                .and_then(|p| p.get(policy))
                .and_then(|p| p.get("secret_name_pattern"))
                .and_then(Node::as_str);
            if let Some(Ok(re)) = pattern.map(Regex::new) {
                *names = re;
            }
        }
        if root.get("locked-roles").is_some() {
            gates.locked_roles = root.strings("locked-roles");
        }
        let mut locked_policies = Vec::new();
        let mut enforce_from = Vec::new();
        for p in root.get("policies").map(Node::entries).unwrap_or_default() {
            if p.value.get("waivable").and_then(Node::as_str) == Some("false") {
                locked_policies.push(p.key.clone());
            }
            if let Some(d) = p.value.get("enforce-from") {
                match d.as_str().and_then(Date::parse) {
                    Some(date) => enforce_from.push((p.key.clone(), date)),
                    None => {
                        problems.push(at(d.span, "enforce-from must be a date YYYY-MM-DD".into()))
                    }
                }
            }
        }
        let mut references = Vec::new();
        for section in ["policies", "params"] {
            for p in root.get(section).map(Node::entries).unwrap_or_default() {
                references.push(Reference {
                    policy: p.key.clone(),
                    param: None,
                    file: file.clone(),
                    span: p.key_span,
                });
                if section == "params" {
                    for k in p.value.entries() {
                        references.push(Reference {
                            policy: p.key.clone(),
                            param: Some((k.key.clone(), k.value.to_json())),
                            file: file.clone(),
                            span: k.key_span,
                        });
                    }
                }
            }
        }
        for w in root.get("waivers").map(Node::items).unwrap_or_default() {
            if let Some(id) = w.get("policy") {
                references.push(Reference {
                    policy: id.as_str().unwrap_or_default().to_string(),
                    param: None,
                    file: file.clone(),
                    span: id.span,
                });
            }
        }
        let (waivers, waiver_problems) =
            crate::waiver::waivers_of(&file, root.get("waivers"), true);
        problems.extend(waiver_problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Governance {
            gates,
            data,
            locked_policies,
            enforce_from,
            waivers,
            references,
            require: root.strings("require"),
        })
    }

    /// `data.stagegate` for policies: `params` and the whole file as `governance`.
    pub fn policy_data(&self) -> Json {
        let params = self
            .data
            .get("params")
            .cloned()
            .unwrap_or_else(|| Json::Object(Default::default()));
        serde_json::json!({"stagegate": {"params": params, "governance": self.data}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Governance, Vec<Located>> {
        Governance::parse(Arc::new(SourceFile::new("gov.yaml", text)))
    }

    #[test]
    fn schema_errors_are_located() {
        let errs =
            load("version: 1\ngates:\n  actions:\n    - action: SCA\n      roles: [scanner]\n")
                .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().starts_with("gov.yaml:5:"), "{:?}", errs);
        let errs = load("version: 1\nlocked_roles: [sca]\n").unwrap_err();
        assert!(errs[0].message.contains("locked_roles"), "{:?}", errs);
    }

    #[test]
    fn bad_regex_is_located() {
        let errs = load("gates:\n  name-patterns:\n    sca: ['(unclosed']\n").unwrap_err();
        assert!(errs[0].to_string().starts_with("gov.yaml:3:11: "));
    }

    #[test]
    fn assignments_and_patterns_apply() {
        let g = load("gates:\n  name-patterns:\n    sca: ['\\bblack ?duck\\b']\n  actions:\n    - pipeline: 'app-*'\n      action: Audit\n      roles: [sca]\nlocked-roles: [sca, sast]\nparams:\n  x: {k: 1}\n").unwrap();
        assert!(g
            .gates
            .name_patterns
            .iter()
            .any(|(r, re)| r == "sca" && re.is_match("blackduck")));
        assert!(g.gates.assignments[0].matches("app-web", "Build", "Audit", None));
        assert!(!g.gates.assignments[0].matches("other", "Build", "Audit", None));
        assert_eq!(g.gates.locked_roles, ["sca", "sast"]);
        assert_eq!(g.policy_data()["stagegate"]["params"]["x"]["k"], 1);
    }
}
