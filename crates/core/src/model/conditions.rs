//! normalize: V2 stage conditions (`BeforeEntry`, `OnSuccess`, `OnFailure`) -> what they
//! let happen: a stage that can be skipped, a failure the pipeline goes on after, and rules
//! that run commands on the source (which build, for ordering).

use super::codepipeline::ActionType;
use super::resolve::Resolved;
use super::{display, field, Action, Builder, SourceRef, Stage};
use crate::parse::{Node, PathBuf};
use serde_json::Map;

/// Reads the stage's conditions into `stage`: `skippable`, `failure_continues`, and one
/// action per `Commands` rule (before every action for `BeforeEntry`, after them for
/// `OnSuccess`).
pub(crate) fn stage_conditions(
    b: &mut Builder<'_>,
    file: &str,
    node: &Node,
    path: &PathBuf,
    stage: &mut Stage,
    (pipeline_index, pipeline_name): (usize, &str),
) {
    for (key, run_order) in [("BeforeEntry", 0), ("OnSuccess", 1000), ("OnFailure", 1000)] {
        let Some((block, block_key)) = field(node, key) else {
            continue;
        };
        let block_path = path.join(block_key);
        let mut results: Vec<&Node> = Vec::new();
        if let Some((r, _)) = field(block, "Result") {
            results.push(r);
        }
        // a Terraform `dynamic` block: its conditions, and so their results, are unknown
        let unevaluated = |n: &Node| n.get(crate::parse::UNEVALUATED).is_some();
        if unevaluated(block) {
            results.push(block);
        }
        if let Some((conditions, _)) = field(block, "Conditions").filter(|(c, _)| unevaluated(c)) {
            results.push(conditions);
        }
        if let Some((conditions, ckey)) = field(block, "Conditions") {
            for (i, c) in conditions.items().iter().enumerate() {
                let cpath = block_path.join(ckey).join(i);
                if let Some((r, _)) = field(c, "Result") {
                    results.push(r);
                }
                if key == "OnFailure" {
                    continue;
                }
                if let Some((rules, _)) = field(c, "Rules").filter(|(r, _)| unevaluated(r)) {
                    // a rule may run commands on the source: a build nobody can order
                    b.unresolved(
                        file,
                        (node, path),
                        rules,
                        format!("the {key} rules of stage {}", stage.name),
                        b.resolve(file, rules).unknown_reason(),
                    );
                }
                if let Some((rules, rkey)) = field(c, "Rules") {
                    for (j, rule) in rules.items().iter().enumerate() {
                        let rpath = cpath.join(rkey).join(j);
                        if let Some(action) =
                            commands_rule(b, file, rule, &rpath, stage, run_order, key)
                        {
                            stage.actions.push(Action {
                                pipeline: pipeline_name.to_string(),
                                pipeline_index,
                                ..action
                            });
                        }
                    }
                }
            }
        }
        for result in results {
            let skips = match b.resolve(file, result) {
                Resolved::Known {
                    values,
                    assumed: false,
                } => values.iter().any(|v| v.trim().eq_ignore_ascii_case("SKIP")),
                Resolved::Known { .. } => {
                    b.unresolved(
                        file,
                        (node, path),
                        result,
                        format!("the {key} result of stage {}", stage.name),
                        "only a parameter default supplies it, and the stack may be deployed with another value".into(),
                    );
                    true
                }
                Resolved::Unknown(why) => {
                    b.unresolved(
                        file,
                        (node, path),
                        result,
                        format!("the {key} result of stage {}", stage.name),
                        why,
                    );
                    true
                }
            };
            if skips && key == "BeforeEntry" {
                stage.skippable = true;
                stage.skip_condition = Some(SourceRef::new(file, &block_path));
            }
            if skips && key == "OnFailure" {
                stage.failure_continues = true;
            }
        }
    }
    if stage.skippable {
        let literal = format!("skip:{}", stage.name);
        for action in &mut stage.actions {
            action.conditions.push(literal.clone());
        }
    }
}

/// A rule of type `Commands`: it runs shell commands on its input artifacts when the
/// condition is checked, so for ordering it is a build.
fn commands_rule(
    b: &mut Builder<'_>,
    file: &str,
    rule: &Node,
    path: &PathBuf,
    stage: &Stage,
    run_order: i64,
    block: &str,
) -> Option<Action> {
    let (type_id, _) = field(rule, "RuleTypeId")?;
    let provider = field(type_id, "Provider").map(|(n, _)| n)?;
    let provider = b.resolve(file, provider);
    let runs_commands = match &provider {
        Resolved::Known { values, .. } => values.iter().any(|v| v == "Commands"),
        // an unknown rule type may run commands: fail closed
        Resolved::Unknown(_) => true,
    };
    if !runs_commands {
        return None;
    }
    let name =
        field(rule, "Name").map_or_else(|| "(unnamed rule)".to_string(), |(n, _)| display(n));
    let mut configuration = Map::new();
    if let Some((commands, _)) = field(rule, "Commands") {
        configuration.insert("Commands".into(), commands.to_json());
    }
    let artifacts = field(rule, "InputArtifacts")
        .map(|(list, _)| {
            list.items()
                .iter()
                .filter_map(|a| field(a, "Name").map(|(n, _)| display(n)))
                .collect()
        })
        .unwrap_or_default();
    let types = ActionType {
        categories: vec!["Compute".into()],
        owners: vec!["AWS".into()],
        providers: vec!["Commands".into()],
    };
    Some(Action {
        stage: stage.name.clone(),
        stage_index: stage.index,
        origin: format!("{block} rule"),
        run_order,
        configuration,
        input_artifacts: artifacts,
        is_build: true,
        ..Action::declared(
            format!("{name} ({block} rule)"),
            types,
            SourceRef::new(file, path),
        )
    })
}
