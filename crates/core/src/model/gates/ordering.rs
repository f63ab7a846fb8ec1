//! normalize: ordering facts of a pipeline's actions once their roles are known: which
//! claimed gates are locked, which verified gates protect each action, and which sources
//! each action builds from.

use crate::model::SourceRef;

/// An action that claims a locked role (named like SCA) without being verified is locked
/// when it stands where a gate would: before some build, or reading the source itself
/// (or nothing). There it is the platform's gate and must be one (the locked-* policies
/// say why it is not). A scan of what a build produced (an image scan reading the build's
/// output, after it) gates nothing and stays the developers'.
pub(super) fn lock_claimed_gates(pipeline: &mut crate::model::Pipeline) {
    let builds: Vec<(usize, i64)> = pipeline
        .stages
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| a.is_build && !a.locked_claim)
        .map(|a| (a.stage_index, a.run_order))
        .collect();
    let sources: Vec<String> = pipeline
        .stages
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| a.category == "Source")
        .flat_map(|a| a.output_artifacts.iter().cloned())
        .collect();
    for action in pipeline.stages.iter_mut().flat_map(|s| &mut s.actions) {
        if action.locked_claim {
            let at = (action.stage_index, action.run_order);
            let reads_source = action.input_artifacts.is_empty()
                || action.input_artifacts.iter().any(|a| sources.contains(a));
            action.locked = reads_source || builds.iter().any(|b| at < *b);
            action.is_build = !action.locked && action.is_build;
        }
    }
}

/// Sets each action's `protected_by` and `after_every_gate`: which verified gates protect
/// it, computed once here so that the ordering policies stay linear in the actions.
pub(super) fn protection(pipeline: &mut crate::model::Pipeline) {
    struct Gate {
        at: (usize, i64),
        roles: Vec<String>,
        conditions: Vec<String>,
        sources: Vec<String>,
        source: SourceRef,
    }
    let gates: Vec<Gate> = pipeline
        .stages
        .iter()
        .flat_map(|s| &s.actions)
        .filter(|a| !a.roles.is_empty())
        .map(|a| Gate {
            at: (a.stage_index, a.run_order),
            roles: a.roles.clone(),
            conditions: a.conditions.clone(),
            sources: a.scanned_artifacts.clone(),
            source: a.source.clone(),
        })
        .collect();
    for action in pipeline.stages.iter_mut().flat_map(|s| &mut s.actions) {
        let mut roles: Vec<String> = Vec::new();
        let mut every = true;
        for g in &gates {
            if g.source == action.source {
                continue;
            }
            let protects = g.at < (action.stage_index, action.run_order)
                && g.conditions.iter().all(|c| action.conditions.contains(c))
                && action
                    .source_artifacts
                    .iter()
                    .all(|s| g.sources.contains(s));
            if protects {
                roles.extend(g.roles.iter().cloned());
            } else {
                every = false;
            }
        }
        roles.sort();
        roles.dedup();
        action.protected_by = roles;
        action.after_every_gate = every;
    }
}

/// Sets each action's `source_artifacts`: the outputs of Source actions its inputs derive
/// from, following artifacts through the actions that read and write them in order.
pub(super) fn lineage(pipeline: &mut crate::model::Pipeline) {
    let mut origin: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    let mut order: Vec<&mut crate::model::Action> = pipeline
        .stages
        .iter_mut()
        .flat_map(|s| s.actions.iter_mut())
        .collect();
    order.sort_by_key(|a| (a.stage_index, a.run_order));
    for action in order {
        let mut sources: Vec<String> = Vec::new();
        for input in &action.input_artifacts {
            match origin.get(input) {
                Some(s) => sources.extend(s.iter().cloned()),
                None => sources.push(input.clone()),
            }
        }
        sources.sort();
        sources.dedup();
        let primary = action
            .configuration
            .get("PrimarySource")
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| action.input_artifacts.first().cloned());
        let runs_commands = matches!(action.provider.as_str(), "CodeBuild" | "Commands");
        action.scanned_artifacts = match primary {
            Some(p) if runs_commands && action.input_artifacts.len() > 1 => {
                origin.get(&p).cloned().unwrap_or_else(|| vec![p])
            }
            _ => sources.clone(),
        };
        for out in &action.output_artifacts {
            let derived = if action.category == "Source" {
                vec![out.clone()]
            } else {
                sources.clone()
            };
            origin.insert(out.clone(), derived);
        }
        action.source_artifacts = sources;
    }
}

/// Two gates of the same role written as both branches of one `Fn::If`, in the same place
/// (stage and run order): one of them always runs, so neither branch's condition limits
/// what they protect.
pub(super) fn merge_branch_gates(pipeline: &mut crate::model::Pipeline) {
    for stage in &mut pipeline.stages {
        let mut merged: Vec<usize> = Vec::new();
        for (i, a) in stage.actions.iter().enumerate() {
            for (j, b) in stage.actions.iter().enumerate().skip(i + 1) {
                let (Some((ca, rest_a)), Some((cb, rest_b))) =
                    (a.conditions.split_last(), b.conditions.split_last())
                else {
                    continue;
                };
                let opposite = ca.strip_prefix('!') == Some(cb.as_str())
                    || cb.strip_prefix('!') == Some(ca.as_str());
                let shares_a_role = a.roles.iter().any(|r| b.roles.contains(r));
                if opposite
                    && rest_a == rest_b
                    && a.run_order == b.run_order
                    && shares_a_role
                    && a.source_artifacts == b.source_artifacts
                {
                    merged.extend([i, j]);
                }
            }
        }
        for (k, action) in stage.actions.iter_mut().enumerate() {
            if merged.contains(&k) {
                action.conditions.pop();
                action.conditional = action.conditions.iter().any(|c| !c.starts_with("skip:"));
            }
        }
    }
}
