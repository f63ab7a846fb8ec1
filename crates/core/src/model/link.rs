//! normalize: link each CodeBuild action to its project across all files checked together.
//!
//! `ProjectName` may be a literal, a `Ref` to a project's logical id (or to a parameter
//! with a default), or an expression; identical expressions name the same project. What
//! cannot be resolved keeps `project: null` and its `project_name` as written.

use super::resolve::Resolved;
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

/// What a `ProjectName` links to: every project it may name, or why none.
#[derive(Debug, Default)]
struct Link {
    candidates: Vec<String>,
    why: Option<String>,
}

/// The project name in a `ProjectName` value: itself, or the name in a project ARN
/// (`arn:aws:codebuild:REGION:ACCOUNT:project/NAME`).
fn project_name_of(value: &str) -> &str {
    match value.strip_prefix("arn:") {
        Some(rest) if rest.contains(":codebuild:") => {
            rest.rsplit_once(":project/").map_or(value, |(_, n)| n)
        }
        _ => value,
    }
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
    let file_of = |key: &str| ws.projects.get(key).map(|p| p.source.file.as_str());
    let mut resolved = Vec::new();
    let mut wrong_refs = Vec::new();
    for pending in &b.pending_links {
        let ctx = b.templates.get(&pending.file);
        let mut outcome = Link::default();
        if let Some(target) = pending.name.get("Ref").and_then(Node::as_str) {
            match ctx.and_then(|c| c.resource_types.get(target)) {
                Some(t) if t == "AWS::CodeBuild::Project" => {
                    outcome.candidates.push(format!("{}:{target}", pending.file));
                }
                Some(t) => wrong_refs.push((
                    pending.file.clone(),
                    pending.name.span,
                    format!("`ProjectName` refers to `{target}`, which is a {t}, not an AWS::CodeBuild::Project"),
                )),
                None => {}
            }
        }
        if let Some(import) = pending
            .name
            .get("Fn::ImportValue")
            .filter(|_| outcome.candidates.is_empty())
        {
            let scope_resolution = match ctx {
                Some(c) => c.resolve(import),
                None => super::resolve::Scope::default().resolve(import),
            };
            if let Some(name) = scope_resolution.certain() {
                for (file, value) in b.exports.get(name).into_iter().flatten() {
                    let target = value.get("Ref").and_then(Node::as_str);
                    let scope = b.templates.get(file);
                    match target {
                        Some(t)
                            if scope
                                .and_then(|s| s.resource_types.get(t))
                                .is_some_and(|ty| ty == "AWS::CodeBuild::Project") =>
                        {
                            outcome.candidates.push(format!("{file}:{t}"));
                        }
                        _ => {
                            let exported =
                                scope.and_then(|s| s.resolve(value).certain().map(str::to_string));
                            for key in exported
                                .iter()
                                .flat_map(|n| by_name.get(project_name_of(n)).into_iter().flatten())
                            {
                                outcome.candidates.push((*key).to_string());
                            }
                        }
                    }
                }
            }
        }
        if outcome.candidates.is_empty() {
            let resolution = match ctx {
                Some(c) => c.resolve(&pending.name),
                None => super::resolve::Scope::default().resolve(&pending.name),
            };
            match resolution {
                Resolved::Known { values, .. } => {
                    for value in &values {
                        if let Some(var) = super::resolve::runtime_variable(value) {
                            outcome.why = Some(format!(
                                "is set by the pipeline variable {var} when the pipeline runs"
                            ));
                            outcome.candidates.clear();
                            break;
                        }
                        let name = project_name_of(value);
                        for key in by_name.get(name).into_iter().flatten() {
                            if !outcome.candidates.iter().any(|k| k == key) {
                                outcome.candidates.push((*key).to_string());
                            }
                        }
                    }
                    // a Terraform project whose name stagegate could not evaluate may be
                    // the one that carries this name: a name alone does not pick between them
                    if !outcome.candidates.is_empty() {
                        for (key, project) in &ws.projects {
                            let terraform = file_of(key).is_some_and(|f| f.ends_with(".tf"));
                            if terraform
                                && project.name.is_none()
                                && !outcome.candidates.iter().any(|k| k == key)
                            {
                                outcome.candidates.push(key.clone());
                            }
                        }
                    }
                }
                Resolved::Unknown(why) => outcome.why = Some(format!("is {why}")),
            }
        }
        if outcome.candidates.is_empty() && pending.name.as_str().is_none() {
            // an expression (`!Ref AWS::StackName`, `!Sub ...`) names the same thing only
            // inside one template
            let expr = pending.name.to_json().to_string();
            outcome.candidates = by_expr
                .get(&expr)
                .into_iter()
                .flatten()
                .filter(|k| file_of(k) == Some(pending.file.as_str()))
                .map(|k| (*k).to_string())
                .collect();
            if !outcome.candidates.is_empty() {
                outcome.why = None;
            }
        }
        if outcome.candidates.is_empty() && outcome.why.is_none() {
            outcome.why = Some("is not among the checked files".into());
        }
        outcome.candidates.retain(|k| ws.projects.contains_key(k));
        // a dump of several regions holds projects of one name in each: the action runs
        // the one in its own region
        let pipeline = ws.pipelines.get(pending.pipeline);
        let action_region = pipeline
            .and_then(|p| p.stages.get(pending.stage))
            .and_then(|s| s.actions.get(pending.action))
            .and_then(|a| a.region.clone())
            .or_else(|| pipeline.and_then(|p| p.region.clone()));
        if let Some(region) = &action_region {
            outcome.candidates.retain(|k| {
                let project_region = ws
                    .projects
                    .get(k)
                    .and_then(|p| p.arn.as_deref())
                    .and_then(super::arn_region);
                project_region.is_none_or(|r| &r == region)
            });
        }
        resolved.push(outcome);
    }
    for (file, span, message) in wrong_refs {
        b.error(&file, span, message);
    }
    for (pending, outcome) in b.pending_links.iter().zip(resolved) {
        let action = b
            .out
            .workspace
            .pipelines
            .get_mut(pending.pipeline)
            .and_then(|p| p.stages.get_mut(pending.stage))
            .and_then(|s| s.actions.get_mut(pending.action));
        if let Some(action) = action {
            action.project_name = Some(super::author_syntax(&pending.name, &pending.file));
            match outcome.candidates.as_slice() {
                [one] => action.project = Some(one.clone()),
                [] => action.project_unresolved = outcome.why,
                _ => {
                    action.project_unresolved = Some("names several projects".into());
                    action.project_candidates = outcome.candidates;
                }
            }
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
