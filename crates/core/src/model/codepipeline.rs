//! normalize: a pipeline declaration (CloudFormation `Properties` or API `pipeline`) ->
//! [`Pipeline`], stages in order, actions with `run_order` defaulting to 1.

use super::{
    display, field, link::PendingLink, list_items, literal, Action, Builder, Pipeline, SourceRef,
    Stage,
};
use crate::parse::{Node, PathBuf, Value};
use serde_json::{Map, Value as Json};

/// Adds the pipeline declared by `decl` (at `path` in `file`).
pub(crate) fn normalize(b: &mut Builder<'_>, file: &str, decl: &Node, path: PathBuf, format: &str) {
    let pipeline_index = b.out.workspace.pipelines.len();
    let name =
        field(decl, "Name").map_or_else(|| "(unnamed pipeline)".to_string(), |(n, _)| display(n));
    let pipeline_type = field(decl, "PipelineType")
        .and_then(|(n, _)| literal(n))
        .unwrap_or_else(|| "V1".into());
    let mut stages = Vec::new();
    match field(decl, "Stages") {
        Some((list, key)) if matches!(list.value, Value::Seq(_)) => {
            let stages_path = path.join(key);
            // alternatives of one `Fn::If` share a position: neither runs before the other
            for item in list_items(list, &stages_path) {
                let mut stage = build_stage(
                    b,
                    file,
                    item.node,
                    item.path,
                    (pipeline_index, item.index),
                    &name,
                );
                stage.conditional = item.conditional;
                for action in &mut stage.actions {
                    action.conditional |= item.conditional;
                }
                stages.push(stage);
            }
        }
        Some((other, key)) => b.error(
            file,
            other.span,
            format!("`{key}` must be a list of stages"),
        ),
        None => b.error(file, decl.span, "pipeline has no `Stages`"),
    }
    b.out.workspace.pipelines.push(Pipeline {
        name,
        pipeline_type,
        format: format.to_string(),
        stages,
        source: SourceRef::new(file, &super::object_path(&path)),
    });
}

fn build_stage(
    b: &mut Builder<'_>,
    file: &str,
    stage: &Node,
    stage_path: PathBuf,
    (pipeline_index, stage_index): (usize, usize),
    pipeline_name: &str,
) -> Stage {
    if !stage.is_map() {
        b.error(
            file,
            stage.span,
            "a stage must be a mapping with `Name` and `Actions`",
        );
    }
    let stage_name = field(stage, "Name").map_or_else(String::new, |(n, _)| display(n));
    let mut actions = Vec::new();
    match field(stage, "Actions") {
        Some((list, key)) if matches!(list.value, Value::Seq(_)) => {
            for item in list_items(list, &stage_path.join(key)) {
                let Some((mut action, project_node)) = build_action(b, file, item.node, &item.path)
                else {
                    continue;
                };
                action.conditional = item.conditional;
                action.pipeline = pipeline_name.to_string();
                action.pipeline_index = pipeline_index;
                action.stage = stage_name.clone();
                action.stage_index = stage_index;
                if let Some(node) = project_node {
                    b.pending_links.push(PendingLink {
                        pipeline: pipeline_index,
                        stage: stage_index,
                        action: actions.len(),
                        file: file.to_string(),
                        name: node.clone(),
                    });
                }
                actions.push(action);
            }
        }
        Some((other, key)) => b.error(
            file,
            other.span,
            format!("`{key}` must be a list of actions"),
        ),
        None if stage.is_map() => b.error(file, stage.span, "stage has no `Actions`"),
        None => {}
    }
    Stage {
        index: stage_index,
        name: stage_name,
        actions,
        before_entry: field(stage, "BeforeEntry").map_or(Json::Null, |(n, _)| n.to_json()),
        conditional: false,
        source: SourceRef::new(file, &stage_path),
    }
}

fn build_action<'n>(
    b: &mut Builder<'_>,
    file: &str,
    node: &'n Node,
    path: &PathBuf,
) -> Option<(Action, Option<&'n Node>)> {
    if !node.is_map() {
        b.error(file, node.span, "an action must be a mapping");
        return None;
    }
    let type_id = field(node, "ActionTypeId").map(|(n, _)| n);
    if type_id.is_none_or(|t| !t.is_map()) {
        b.error(
            file,
            node.span,
            "action has no `ActionTypeId` mapping (category, owner, provider)",
        );
    }
    let type_field = |k: &str| {
        type_id
            .and_then(|t| field(t, k))
            .map_or_else(String::new, |(n, _)| display(n))
    };
    let run_order = match field(node, "RunOrder") {
        None => 1,
        Some((n, key)) => {
            let text = b
                .templates
                .get(file)
                .and_then(|t| t.resolve_string(n))
                .or_else(|| literal(n));
            match text.as_deref().map(str::trim).map(str::parse::<i64>) {
                Some(Ok(v)) if (1..=999).contains(&v) => v,
                _ => {
                    b.error(
                        file,
                        n.span,
                        format!(
                            "`{key}` must be an integer from 1 to 999, got `{}`",
                            display(n)
                        ),
                    );
                    1
                }
            }
        }
    };
    let mut configuration = Map::new();
    let mut project_node = None;
    if let Some((config, _)) = field(node, "Configuration") {
        for e in config.entries() {
            let value = if e.key == "EnvironmentVariables" {
                match decode_env_vars(&e.value) {
                    Ok(v) => v,
                    Err(why) => {
                        b.error(file, e.value.span, why);
                        e.value.to_json()
                    }
                }
            } else {
                e.value.to_json()
            };
            if e.key == "ProjectName" {
                project_node = Some(&e.value);
            }
            configuration.insert(e.key.clone(), value);
        }
    }
    let artifacts = |k: &str| -> Vec<String> {
        field(node, k)
            .map(|(list, _)| {
                list.items()
                    .iter()
                    .filter_map(|a| {
                        field(a, "Name")
                            .map(|(n, _)| display(n))
                            .or_else(|| literal(a))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let action = Action {
        name: field(node, "Name").map_or_else(String::new, |(n, _)| display(n)),
        pipeline: String::new(),
        pipeline_index: 0,
        stage: String::new(),
        stage_index: 0,
        category: type_field("Category"),
        owner: type_field("Owner"),
        provider: type_field("Provider"),
        run_order,
        configuration,
        input_artifacts: artifacts("InputArtifacts"),
        output_artifacts: artifacts("OutputArtifacts"),
        project: None,
        project_name: project_node.map(display),
        roles: Vec::new(),
        gate_evidence: Vec::new(),
        locked: false,
        conditional: false,
        source: SourceRef::new(file, path),
    };
    Some((action, project_node))
}

/// CodeBuild action `EnvironmentVariables` is a JSON-encoded string; decoded here so that
/// policies never call `json.unmarshal` (a bad string would abort the whole evaluation).
/// An expression (`Fn::Sub`, `Fn::Join`) is kept as written; a string that is not a JSON
/// list of `{name, value, type?}` is an error.
fn decode_env_vars(node: &Node) -> Result<Json, String> {
    let Some(text) = node.as_str() else {
        return Ok(node.to_json());
    };
    let items = match serde_json::from_str::<Json>(text) {
        Ok(Json::Array(items)) => items,
        Ok(_) => return Err("`EnvironmentVariables` must be a JSON list of {name, value, type}".into()),
        Err(e) => {
            return Err(format!(
                "`EnvironmentVariables` is not valid JSON: {e} (it must be a JSON-encoded list of {{name, value, type}})"
            ))
        }
    };
    items
        .into_iter()
        .map(|mut v| match &mut v {
            Json::Object(o) if o.get("name").is_some_and(Json::is_string) => {
                o.entry("type").or_insert_with(|| Json::from("PLAINTEXT"));
                Ok(v)
            }
            _ => Err(format!(
                "`EnvironmentVariables` entries must be objects with a string `name`, got {v}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Json::Array)
}
