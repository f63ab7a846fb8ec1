//! normalize: a buildspec root node -> [`Buildspec`] with its commands and runtime versions.

use super::{literal, Buildspec, Command, EnvVar, Fact, SourceRef};
use crate::parse::{Node, PathBuf};
use std::collections::BTreeMap;

/// Phases in execution order.
const PHASES: &[&str] = &["install", "pre_build", "build", "post_build"];

/// Checks the shape CodeBuild requires; returns (span, message) per problem.
pub(crate) fn validate(root: &Node) -> Vec<(crate::source::Span, String)> {
    let mut problems = Vec::new();
    if !root.is_map() {
        problems.push((
            root.span,
            "a buildspec must be a mapping with `version` and `phases`".to_string(),
        ));
        return problems;
    }
    match root.get("version").and_then(literal) {
        Some(v) if v == "0.1" || v == "0.2" => {}
        Some(v) => problems.push((
            root.get("version").map_or(root.span, |n| n.span),
            format!("buildspec `version` must be 0.2 (or legacy 0.1), got `{v}`"),
        )),
        None => problems.push((root.span, "buildspec has no `version`".to_string())),
    }
    if let Some(phases) = root.get("phases") {
        if !phases.is_map() && !phases.is_null() {
            problems.push((
                phases.span,
                "`phases` must be a mapping of install, pre_build, build, post_build".into(),
            ));
        }
        for e in phases.entries() {
            if !PHASES.contains(&e.key.as_str()) {
                problems.push((
                    e.key_span,
                    format!(
                        "unknown phase `{}` (CodeBuild runs only install, pre_build, build, post_build)",
                        e.key
                    ),
                ));
                continue;
            }
            for list in ["commands", "finally"] {
                if let Some(c) = e.value.get(list) {
                    let is_list = matches!(c.value, crate::parse::Value::Seq(_))
                        && c.items().iter().all(|i| i.as_str().is_some());
                    if c.as_str().is_none() && !is_list {
                        problems.push((
                            c.span,
                            format!("`{list}` must be a list of command strings"),
                        ));
                    }
                }
            }
        }
    }
    problems
}

/// Builds the buildspec model; `base` is the path of the root (ends in `#` when embedded).
pub(crate) fn normalize(
    file: &str,
    root: &Node,
    base: &PathBuf,
    owner: &str,
    key: String,
) -> Buildspec {
    let version = root.get("version").and_then(literal);
    let mut commands = Vec::new();
    let mut runtime_versions = BTreeMap::new();
    let phases_path = base.join("phases");
    if let Some(phases) = root.get("phases") {
        for phase in PHASES {
            let Some(p) = phases.get(phase) else { continue };
            let phase_path = phases_path.join(phase);
            for list in ["commands", "finally"] {
                let Some(cmds) = p.get(list) else { continue };
                let list_path = phase_path.join(list);
                let command = |text: String, path: &PathBuf| Command {
                    phase: (*phase).to_string(),
                    finally: list == "finally",
                    text,
                    masks: None,
                    runs_download: None,
                    source: SourceRef::new(file, path),
                };
                // `commands` may be a single scalar (CDK writes one) instead of a list
                if let Some(text) = literal(cmds).filter(|_| !cmds.is_null()) {
                    commands.push(command(text, &list_path));
                }
                for (i, c) in cmds.items().iter().enumerate() {
                    if let Some(text) = literal(c) {
                        commands.push(command(text, &list_path.join(i)));
                    }
                }
            }
            if let Some(rv) = p.get("runtime-versions") {
                for e in rv.entries() {
                    if let Some(v) = literal(&e.value) {
                        runtime_versions.insert(e.key.clone(), v);
                    }
                }
            }
        }
    }
    let variables_path = base.join("env").join("variables");
    let variables = root
        .get("env")
        .and_then(|env| env.get("variables"))
        .map(|vars| {
            vars.entries()
                .iter()
                .map(|e| EnvVar {
                    name: e.key.clone(),
                    value: if e.value.is_null() {
                        String::new()
                    } else {
                        literal(&e.value).unwrap_or_else(|| e.value.to_json().to_string())
                    },
                    var_type: "PLAINTEXT".into(),
                    secret: None,
                    source: SourceRef::new(file, &variables_path.join(e.key.as_str())),
                })
                .collect()
        })
        .unwrap_or_default();
    let batch_buildspecs = batch_buildspecs(file, root, base);
    Buildspec {
        key,
        owner: owner.to_string(),
        version,
        commands,
        runtime_versions,
        variables,
        batch_buildspecs,
        sha256: None,
        repository_code: Vec::new(),
        weakened: Vec::new(),
        content: root.to_json(),
        source: SourceRef::new(file, base),
    }
}

/// The batch tasks of a buildspec that name a buildspec of their own.
fn batch_buildspecs(file: &str, root: &Node, base: &PathBuf) -> Vec<Fact> {
    // a blank buildspec replaces nothing
    let names_one = |task: &Node| {
        task.get("buildspec")
            .is_some_and(|b| !b.is_null() && b.as_str().is_none_or(|s| !s.trim().is_empty()))
    };
    let mut out = Vec::new();
    let Some(batch) = root.get("batch") else {
        return out;
    };
    let batch_path = base.join("batch");
    for kind in ["build-list", "build-graph"] {
        for (i, task) in batch
            .get(kind)
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if names_one(task) {
                let name = task
                    .get("identifier")
                    .and_then(Node::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                out.push(Fact {
                    reason: format!("{kind} task {name}"),
                    source: SourceRef::new(file, &batch_path.join(kind).join(i).join("buildspec")),
                });
            }
        }
    }
    if let Some(matrix) = batch.get("build-matrix") {
        for part in ["static", "dynamic"] {
            if matrix.get(part).is_some_and(names_one) {
                out.push(Fact {
                    reason: format!("build-matrix {part}"),
                    source: SourceRef::new(
                        file,
                        &batch_path.join("build-matrix").join(part).join("buildspec"),
                    ),
                });
            }
        }
    }
    out
}
