//! normalize: a pipeline declaration (CloudFormation `Properties` or API `pipeline`) ->
//! [`Pipeline`], stages in order, actions with `run_order` defaulting to 1.

use super::resolve::Resolved;
use super::{
    display, field, link::PendingLink, list_items, literal, Action, Builder, EnvVar, Pipeline,
    SourceRef, Stage,
};
use crate::parse::{Node, PathBuf, Value};
use serde_json::{Map, Value as Json};

/// Adds the pipeline declared by `decl` (at `path` in `file`); `logical_id`: its
/// CloudFormation resource's, which names it when it has no `Name`.
pub(crate) fn normalize(
    b: &mut Builder<'_>,
    file: &str,
    decl: &Node,
    path: PathBuf,
    format: &str,
    logical_id: Option<&str>,
) {
    let pipeline_index = b.out.workspace.pipelines.len();
    let name = field(decl, "Name").map_or_else(
        || logical_id.map_or_else(|| "(unnamed pipeline)".to_string(), str::to_string),
        // a name known only when deployed reads as its author wrote it (`!Sub app-${Env}`)
        |(n, _)| match b.resolve(file, n).certain() {
            Some(resolved) => resolved.to_string(),
            None => super::author_syntax(n, file),
        },
    );
    let pipeline_type = field(decl, "PipelineType")
        .and_then(|(n, _)| literal(n))
        .unwrap_or_else(|| "V1".into());
    let mut stages = Vec::new();
    match field(decl, "Stages") {
        Some((list, key)) if matches!(list.value, Value::Seq(_)) => {
            let stages_path = path.join(key);
            // alternatives of one `Fn::If` share a position: neither runs before the other
            let items = list_items(list, &stages_path);
            if let Some(over) = items.iter().find(|i| i.index >= MAX_STAGES) {
                b.error(
                    file,
                    over.node.span,
                    format!("a pipeline has at most {MAX_STAGES} stages (a CodePipeline quota); stages beyond it are not checked"),
                );
            }
            for item in items.into_iter().filter(|i| i.index < MAX_STAGES) {
                let mut stage = build_stage(
                    b,
                    file,
                    item.node,
                    item.path,
                    (pipeline_index, item.index),
                    &name,
                );
                stage.conditional = !item.conditions.is_empty();
                for action in &mut stage.actions {
                    action.conditional |= stage.conditional;
                    let mut conditions = item.conditions.clone();
                    conditions.append(&mut action.conditions);
                    action.conditions = conditions;
                }
                stages.push(stage);
            }
        }
        // a Terraform `dynamic "stage"`: the stages are known only from a collection
        Some((other, _)) if other.get(crate::parse::UNEVALUATED).is_some() => b.unresolved(
            file,
            (decl, &path),
            other,
            format!("the stages of pipeline {name}"),
            b.resolve(file, other).unknown_reason(),
        ),
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
        region: None,
        arn: None,
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
            let items = list_items(list, &stage_path.join(key));
            if let Some(over) = items.iter().find(|i| i.index >= MAX_ACTIONS) {
                b.error(
                    file,
                    over.node.span,
                    format!("a stage has at most {MAX_ACTIONS} actions (a CodePipeline quota); actions beyond it are not checked"),
                );
            }
            for item in items.into_iter().filter(|i| i.index < MAX_ACTIONS) {
                let Some((mut action, project_node)) = build_action(b, file, item.node, &item.path)
                else {
                    continue;
                };
                action.conditional = !item.conditions.is_empty();
                action.conditions = item.conditions;
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
        Some((other, _)) if other.get(crate::parse::UNEVALUATED).is_some() => b.unresolved(
            file,
            (stage, &stage_path),
            other,
            format!("the actions of stage {stage_name} in pipeline {pipeline_name}"),
            b.resolve(file, other).unknown_reason(),
        ),
        Some((other, key)) => b.error(
            file,
            other.span,
            format!("`{key}` must be a list of actions"),
        ),
        None if stage.is_map() => b.error(file, stage.span, "stage has no `Actions`"),
        None => {}
    }
    let mut out = Stage {
        index: stage_index,
        name: stage_name,
        actions,
        before_entry: field(stage, "BeforeEntry").map_or(Json::Null, |(n, _)| n.to_json()),
        skippable: false,
        skip_condition: None,
        failure_continues: false,
        conditional: false,
        source: SourceRef::new(file, &stage_path),
    };
    super::conditions::stage_conditions(
        b,
        file,
        stage,
        &stage_path,
        &mut out,
        (pipeline_index, pipeline_name),
    );
    out
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
    let name = field(node, "Name").map_or_else(String::new, |(n, _)| display(n));
    let type_id = field(node, "ActionTypeId").map(|(n, _)| n);
    if type_id.is_none_or(|t| !t.is_map()) {
        b.error(
            file,
            node.span,
            "action has no `ActionTypeId` mapping (category, owner, provider)",
        );
    }
    let variants = type_id.map(type_variants).unwrap_or_default();
    let mut types = ActionType::default();
    for (part, valid) in [
        ("Category", CATEGORIES),
        ("Owner", OWNERS),
        ("Provider", &[][..]),
    ] {
        let mut values: Vec<String> = Vec::new();
        let mut known = true;
        for t in &variants {
            let Some((n, key)) = field(t, part) else {
                continue;
            };
            match b.resolve(file, n) {
                Resolved::Known {
                    values: v,
                    assumed: false,
                } => {
                    for value in v {
                        if !valid.is_empty() && !valid.contains(&value.as_str()) {
                            b.error(
                                file,
                                n.span,
                                format!(
                                    "`{key}` must be one of {}, got `{value}`",
                                    valid.join(", ")
                                ),
                            );
                        }
                        if !values.contains(&value) {
                            values.push(value);
                        }
                    }
                }
                Resolved::Known { assumed: true, .. } => {
                    known = false;
                    b.unresolved(
                        file,
                        (node, path),
                        n,
                        format!("the {} of action {name}", part.to_lowercase()),
                        "only a parameter default supplies it, and the stack may be deployed with another value".into(),
                    );
                }
                Resolved::Unknown(why) => {
                    known = false;
                    b.unresolved(
                        file,
                        (node, path),
                        n,
                        format!("the {} of action {name}", part.to_lowercase()),
                        why,
                    );
                }
            }
        }
        let slot = match part {
            "Category" => &mut types.categories,
            "Owner" => &mut types.owners,
            _ => &mut types.providers,
        };
        *slot = if known { values } else { Vec::new() };
    }
    let run_order = match field(node, "RunOrder") {
        None => 1,
        Some((n, key)) => match b.resolve(file, n) {
            Resolved::Known { values, assumed } if values.len() == 1 => {
                let text = values.first().map_or("", |v| v.trim());
                match text.parse::<i64>() {
                    Ok(v) if (1..=999).contains(&v) => {
                        if assumed {
                            b.unresolved(
                                file,
                                (node, path),
                                n,
                                format!("the run order of action {name}"),
                                "only a parameter default supplies it, and the stack may be deployed with another value".into(),
                            );
                        }
                        v
                    }
                    _ => {
                        b.error(
                            file,
                            n.span,
                            format!("`{key}` must be an integer from 1 to 999, got `{text}`"),
                        );
                        1
                    }
                }
            }
            Resolved::Known { .. } => {
                b.unresolved(
                    file,
                    (node, path),
                    n,
                    format!("the run order of action {name}"),
                    "it depends on a condition (`Fn::If`)".into(),
                );
                1
            }
            Resolved::Unknown(why) => {
                b.unresolved(
                    file,
                    (node, path),
                    n,
                    format!("the run order of action {name}"),
                    why,
                );
                1
            }
        },
    };
    let mut configuration = Map::new();
    let mut project_node = None;
    let mut config_key = "Configuration";
    if let Some((config, key)) = field(node, "Configuration") {
        config_key = key;
        for e in config.entries() {
            let value = if e.key == "EnvironmentVariables" {
                // an expression (`!Sub`, `!Join`) is decoded once resolved; what cannot be
                // resolved could set anything, so it is not verifiable
                let text = match e.value.as_str() {
                    Some(t) => Some(t.to_string()),
                    None => match b.resolve(file, &e.value) {
                        Resolved::Known {
                            values,
                            assumed: false,
                        } if values.len() == 1 => values.into_iter().next(),
                        // values known only when deployed (`${AWS::Region}`) leave the
                        // names readable: stand-ins take their place
                        _ => match with_stand_ins(&e.value) {
                            Some(t) => Some(t),
                            None => {
                                b.unresolved(
                                    file,
                                    (node, path),
                                    &e.value,
                                    format!("the environment variables of action {name}"),
                                    "they are built by an expression stagegate cannot read".into(),
                                );
                                None
                            }
                        },
                    },
                };
                match text.map(|t| decode_env_vars_text(&t)) {
                    Some(Ok(v)) => v,
                    Some(Err(why)) => {
                        b.error(file, e.value.span, why);
                        e.value.to_json()
                    }
                    None => e.value.to_json(),
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
    // a V2 Commands action's shell commands sit beside its configuration
    if let Some((commands, _)) = field(node, "Commands") {
        configuration.insert("Commands".into(), commands.to_json());
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
    let variables = env_vars(
        configuration.get("EnvironmentVariables"),
        SourceRef::new(file, &path.join(config_key).join("EnvironmentVariables")),
    );
    // a blank override replaces nothing
    let buildspec_override = configuration
        .iter()
        .find(|(k, v)| {
            k.eq_ignore_ascii_case("BuildspecOverride")
                && match v {
                    Json::Null => false,
                    Json::String(s) => !s.trim().is_empty(),
                    _ => true,
                }
        })
        .map(|(key, _)| super::Fact {
            reason: key.clone(),
            source: SourceRef::new(file, &path.join(config_key).join(key.as_str())),
        });
    let action = Action {
        run_order,
        variables,
        buildspec_override,
        configuration,
        region: field(node, "Region").and_then(|(n, _)| literal(n)),
        namespace: field(node, "Namespace").map(|(n, _)| display(n)),
        input_artifacts: artifacts("InputArtifacts"),
        output_artifacts: artifacts("OutputArtifacts"),
        project_name: project_node.map(display),
        ..Action::declared(name, types, SourceRef::new(file, path))
    };
    Some((action, project_node))
}

/// The decoded `EnvironmentVariables` of an action as variables; the list is one string in
/// the definition, so each is located at the entry that holds them.
fn env_vars(list: Option<&Json>, source: SourceRef) -> Vec<EnvVar> {
    let text = |v: Option<&Json>| match v {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    list.and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|v| EnvVar {
            name: text(v.get("name")),
            value: text(v.get("value")),
            var_type: v
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or("PLAINTEXT")
                .to_string(),
            secret: None,
            source: source.clone(),
        })
        .collect()
}

/// CodePipeline's quotas: stages in a pipeline and actions in a stage. Beyond them a
/// pipeline cannot be created, and the work of checking it would grow without bound.
const MAX_STAGES: usize = 50;
const MAX_ACTIONS: usize = 50;

/// The action categories CodePipeline accepts.
const CATEGORIES: &[&str] = &[
    "Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute",
];
/// The action owners CodePipeline accepts.
const OWNERS: &[&str] = &["AWS", "ThirdParty", "Custom"];

/// The resolved parts of an action's type: every value each can take (several under
/// `Fn::If`), or none when one cannot be resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct ActionType {
    pub categories: Vec<String>,
    pub owners: Vec<String>,
    pub providers: Vec<String>,
}

impl ActionType {
    /// The type is known and single: `(category, owner, provider)`.
    pub(crate) fn single(&self) -> Option<(&str, &str, &str)> {
        match (&self.categories[..], &self.owners[..], &self.providers[..]) {
            ([c], [o], [p]) => Some((c, o, p)),
            _ => None,
        }
    }
}

/// The mappings an `ActionTypeId` may be: itself, or each branch of an `Fn::If`.
fn type_variants(node: &Node) -> Vec<&Node> {
    match node.get("Fn::If").filter(|_| node.entries().len() == 1) {
        Some(args) => args
            .items()
            .iter()
            .skip(1)
            .take(2)
            .flat_map(type_variants)
            .collect(),
        None => vec![node],
    }
}

/// The text of an `Fn::Sub` or `Fn::Join` with a stand-in for every value known only when
/// deployed, so that the JSON around them still reads.
fn with_stand_ins(node: &Node) -> Option<String> {
    const STAND_IN: &str = "__CFN_VALUE__";
    if let Some(template) = node.get("Fn::Sub").and_then(|a| {
        a.as_str()
            .or_else(|| a.items().first().and_then(Node::as_str))
    }) {
        let mut out = String::new();
        let mut rest = template;
        while let Some((before, after)) = rest.split_once("${") {
            out.push_str(before);
            let (inner, tail) = after.split_once('}')?;
            match inner.strip_prefix('!') {
                Some(lit) => {
                    out.push_str("${");
                    out.push_str(lit);
                    out.push('}');
                }
                None => out.push_str(STAND_IN),
            }
            rest = tail;
        }
        out.push_str(rest);
        return Some(out);
    }
    let args = node.get("Fn::Join")?;
    let (sep, parts) = (args.items().first()?.as_str()?, args.items().get(1)?);
    let parts: Vec<String> = parts
        .items()
        .iter()
        .map(|p| {
            p.as_str()
                .map_or_else(|| STAND_IN.to_string(), str::to_string)
        })
        .collect();
    Some(parts.join(sep))
}

/// CodeBuild action `EnvironmentVariables` is a JSON-encoded string; decoded here so that
/// policies never call `json.unmarshal` (a bad string would abort the whole evaluation).
/// A string that is not a JSON list of `{name, value, type?}` is an error.
fn decode_env_vars_text(text: &str) -> Result<Json, String> {
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
