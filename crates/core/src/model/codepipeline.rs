//! normalize: a pipeline declaration (CloudFormation `Properties` or API `pipeline`) ->
//! [`Pipeline`], stages in order, actions with `run_order` defaulting to 1.

use super::{
    display, field, link::PendingLink, list_items, literal, Action, Builder, Pipeline, SourceRef,
    Stage,
};
use crate::parse::{Node, PathBuf};
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
    if let Some((list, key)) = field(decl, "Stages") {
        let stages_path = path.join(key);
        for (stage_index, (stage, stage_path)) in
            list_items(list, &stages_path).into_iter().enumerate()
        {
            let stage_name = field(stage, "Name").map_or_else(String::new, |(n, _)| display(n));
            let mut actions = Vec::new();
            if let Some((list, key)) = field(stage, "Actions") {
                for (action, action_path) in list_items(list, &stage_path.join(key)) {
                    let (action, project_node) = build_action(file, action, &action_path);
                    let action = Action {
                        pipeline: name.clone(),
                        pipeline_index,
                        stage: stage_name.clone(),
                        stage_index,
                        ..action
                    };
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
            stages.push(Stage {
                index: stage_index,
                name: stage_name,
                actions,
                before_entry: field(stage, "BeforeEntry").map_or(Json::Null, |(n, _)| n.to_json()),
                source: SourceRef::new(file, &stage_path),
            });
        }
    }
    b.out.workspace.pipelines.push(Pipeline {
        name,
        pipeline_type,
        format: format.to_string(),
        stages,
        source: SourceRef::new(file, &super::object_path(&path)),
    });
}

fn build_action<'n>(file: &str, node: &'n Node, path: &PathBuf) -> (Action, Option<&'n Node>) {
    let type_id = field(node, "ActionTypeId").map(|(n, _)| n);
    let type_field = |k: &str| {
        type_id
            .and_then(|t| field(t, k))
            .map_or_else(String::new, |(n, _)| display(n))
    };
    let run_order = field(node, "RunOrder")
        .and_then(|(n, _)| literal(n))
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let mut configuration = Map::new();
    let mut project_node = None;
    if let Some((config, _)) = field(node, "Configuration") {
        for e in config.entries() {
            let value = if e.key == "EnvironmentVariables" {
                decode_env_vars(&e.value)
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
        source: SourceRef::new(file, path),
    };
    (action, project_node)
}

/// CodeBuild action `EnvironmentVariables` is a JSON-encoded string; decoded here so that
/// policies never call `json.unmarshal` (a bad string would abort the whole evaluation).
/// An undecodable value (an intrinsic, broken JSON) is kept as written.
fn decode_env_vars(node: &Node) -> Json {
    let Some(text) = node.as_str() else {
        return node.to_json();
    };
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Array(items)) => Json::Array(
            items
                .into_iter()
                .map(|mut v| {
                    if let Json::Object(o) = &mut v {
                        o.entry("type").or_insert_with(|| Json::from("PLAINTEXT"));
                    }
                    v
                })
                .collect(),
        ),
        _ => Json::String(text.to_string()),
    }
}
