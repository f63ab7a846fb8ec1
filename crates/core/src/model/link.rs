//! normalize: link each CodeBuild action to its project across all files checked together.
//!
//! `ProjectName` may be a literal, a `Ref` to a project's logical id (or to a parameter
//! with a default), or an expression; identical expressions name the same project. What
//! cannot be resolved keeps `project: null` and its `project_name` as written.

use super::Builder;
use crate::parse::Node;
use std::collections::BTreeMap;

/// An action waiting for its project to be found.
#[derive(Debug, Clone)]
pub(crate) struct PendingLink {
    pub pipeline: usize,
    pub stage: usize,
    pub action: usize,
    pub file: String,
    pub name: Node,
}

/// Resolves every pending link; also links `file` buildspecs to checked repo buildspecs.
pub(crate) fn link(b: &mut Builder<'_>) {
    let ws = &b.out.workspace;
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut by_expr: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in ws.projects.values() {
        if let Some(n) = &p.name {
            by_name.entry(n).or_default().push(&p.key);
        }
        if let Some(e) = &p.name_expr {
            by_expr.entry(e.to_string()).or_default().push(&p.key);
        }
    }
    let mut resolved = Vec::new();
    let mut wrong_refs = Vec::new();
    for pending in &b.pending_links {
        let ctx = b.templates.get(&pending.file);
        let same_file_first = |keys: &[&str]| -> Option<String> {
            keys.iter()
                .find(|k| k.starts_with(&format!("{}:", pending.file)))
                .or_else(|| keys.first())
                .map(|k| (*k).to_string())
        };
        let mut key = None;
        if let Some(target) = pending.name.get("Ref").and_then(Node::as_str) {
            match ctx.and_then(|c| c.resource_types.get(target)) {
                Some(t) if t == "AWS::CodeBuild::Project" => {
                    key = Some(format!("{}:{target}", pending.file));
                }
                Some(t) => wrong_refs.push((
                    pending.file.clone(),
                    pending.name.span,
                    format!("`ProjectName` refers to `{target}`, which is a {t}, not an AWS::CodeBuild::Project"),
                )),
                None => {}
            }
        }
        if key.is_none() {
            let name = match ctx {
                Some(c) => c.resolve_string(&pending.name),
                None => pending.name.as_str().map(str::to_string),
            };
            key = name.and_then(|n| by_name.get(n.as_str()).and_then(|k| same_file_first(k)));
        }
        if key.is_none() {
            // an expression (`!Ref AWS::StackName`, `!Sub ...`) names the same thing only
            // inside one template
            let expr = pending.name.to_json().to_string();
            let prefix = format!("{}:", pending.file);
            key = by_expr
                .get(&expr)
                .and_then(|keys| keys.iter().find(|k| k.starts_with(&prefix)))
                .map(|k| (*k).to_string());
        }
        resolved.push(key.filter(|k| ws.projects.contains_key(k)));
    }
    for (file, span, message) in wrong_refs {
        b.error(&file, span, message);
    }
    for (pending, key) in b.pending_links.iter().zip(resolved) {
        let action = b
            .out
            .workspace
            .pipelines
            .get_mut(pending.pipeline)
            .and_then(|p| p.stages.get_mut(pending.stage))
            .and_then(|s| s.actions.get_mut(pending.action));
        if let Some(action) = action {
            action.project = key;
        }
    }
    // a project reading a repo file links to that file when it is among the inputs
    let repo_files: Vec<String> = b
        .out
        .workspace
        .buildspecs
        .values()
        .filter(|bs| bs.owner == "developer")
        .map(|bs| bs.key.clone())
        .collect();
    for project in b.out.workspace.projects.values_mut() {
        let spec = &mut project.buildspec;
        if spec.kind != "file" && spec.kind != "default" {
            continue;
        }
        let Some(path) = spec.path.as_deref() else {
            continue;
        };
        let wanted = path.trim_start_matches("./");
        // the shortest matching path is the one nearest the checked root
        spec.document = repo_files
            .iter()
            .filter(|f| *f == wanted || f.ends_with(&format!("/{wanted}")))
            .min_by_key(|f| (f.matches('/').count(), (*f).clone()))
            .cloned();
    }
}
