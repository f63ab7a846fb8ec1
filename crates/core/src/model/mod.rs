//! normalize: parsed documents -> the workspace model, the Rego `input`.
//!
//! Pipelines (from CloudFormation or the CodePipeline API), CodeBuild projects and
//! buildspecs become plain serializable objects; each carries its `source` (file + path)
//! so a policy can blame it and `locate` can find its span.

mod buildspec;
mod cloudformation;
mod codebuild;
mod codepipeline;
mod commands;
mod conditions;
mod gates;
mod link;
mod resolve;
mod scanners;
mod secrets;
mod shell;

pub use gates::{Assignment, GateRules, ProjectGate};
pub use secrets::{SecretRules, DEFAULT_NAME_PATTERN as DEFAULT_SECRET_NAME_PATTERN};

use crate::discover::Kind;
use crate::parse::{Document, Limits, MappedText, Node, ParseError, PathBuf};
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Where a model object was read from: a file and a path into it (see [`PathBuf`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceRef {
    /// Display path of the file.
    pub file: String,
    /// JSON-pointer-like path; `#` enters an embedded document.
    pub path: String,
}

impl SourceRef {
    pub(crate) fn new(file: &str, path: &PathBuf) -> Self {
        SourceRef {
            file: file.to_string(),
            path: path.0.clone(),
        }
    }
}

/// The files checked together, as policies see them.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Workspace {
    /// Every pipeline, with stages in order.
    pub pipelines: Vec<Pipeline>,
    /// CodeBuild projects by key.
    pub projects: BTreeMap<String, Project>,
    /// Buildspecs (repo files and inline ones) by key.
    pub buildspecs: BTreeMap<String, Buildspec>,
    /// The raw parsed files, for policies that want them as written.
    pub documents: Vec<DocumentInfo>,
    /// Values that decide a governance outcome but could not be resolved from the checked
    /// files (each fails the check through `unverifiable-pipeline-value`).
    pub unresolved: Vec<Unresolved>,
}

/// A decisive value that could not be known: what it decides, why, and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    /// What the value decides, e.g. `the category of action Build/App`.
    pub what: String,
    /// The value as written, in the author's syntax (`!Ref Category` reads `{"Ref":"Category"}`).
    pub value: String,
    /// Why it cannot be known, e.g. `parameter \`Category\` may be overridden when deployed`.
    pub reason: String,
    /// The value.
    pub source: SourceRef,
}

/// A raw parsed file in `input.documents`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    /// Display path.
    pub file: String,
    /// What it was classified as.
    pub kind: Kind,
    /// The first YAML document (or the JSON value), CloudFormation tags in long form;
    /// null unless a loaded policy reads `input.documents`.
    pub content: Json,
}

/// A pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct Pipeline {
    /// Pipeline name (literal) or a rendering of the expression that names it.
    pub name: String,
    /// `V1` or `V2` (absent means V1).
    #[serde(rename = "type")]
    pub pipeline_type: String,
    /// Where the pipeline came from: `cloudformation` or `api`.
    pub format: String,
    /// The region it lives in, when a dump says (`metadata.pipelineArn`).
    pub region: Option<String>,
    /// Stages in execution order.
    pub stages: Vec<Stage>,
    /// The declaration.
    pub source: SourceRef,
}

/// A pipeline stage.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// 0-based position.
    pub index: usize,
    /// Stage name.
    pub name: String,
    /// Actions (array order carries no meaning; `run_order` does).
    pub actions: Vec<Action>,
    /// V2 `beforeEntry` conditions as written, or null.
    pub before_entry: Json,
    /// Its entry condition can skip it (a `SKIP` result, or one that cannot be resolved):
    /// what it holds may not run.
    pub skippable: bool,
    /// Its `OnFailure` result lets the pipeline go on after an action fails (`SKIP`), so
    /// its gates stop nothing.
    pub failure_continues: bool,
    /// Exists only under a CloudFormation condition.
    pub conditional: bool,
    /// The stage.
    pub source: SourceRef,
}

/// A pipeline action.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// Action name.
    pub name: String,
    /// Pipeline name (for messages).
    pub pipeline: String,
    /// Index of the pipeline in `input.pipelines`.
    pub pipeline_index: usize,
    /// Stage name.
    pub stage: String,
    /// Stage position.
    pub stage_index: usize,
    /// `Source`, `Build`, `Test`, `Deploy`, `Approval`, `Invoke`, `Compute`.
    pub category: String,
    /// `AWS`, `ThirdParty`, `Custom`.
    pub owner: String,
    /// e.g. `CodeBuild`.
    pub provider: String,
    /// `action`, or the stage condition a `Commands` rule belongs to (`BeforeEntry rule`
    /// runs before the stage's actions, with `run_order` 0; `OnSuccess rule` after them,
    /// with 1000).
    pub origin: String,
    /// Group within the stage; missing means 1; equal means parallel.
    pub run_order: i64,
    /// Provider configuration, `EnvironmentVariables` decoded into a list.
    pub configuration: Map<String, Json>,
    /// The region it runs in, when it says (`Region`, cross-region actions).
    pub region: Option<String>,
    /// The namespace of its output variables (`Namespace`), if any.
    pub namespace: Option<String>,
    /// Input artifact names.
    pub input_artifacts: Vec<String>,
    /// Output artifact names.
    pub output_artifacts: Vec<String>,
    /// Key of the CodeBuild project it runs, when it could be resolved.
    pub project: Option<String>,
    /// How the project is named in the action (`ProjectName`), literal or expression.
    pub project_name: Option<String>,
    /// Why `project` is null, when the action names a project: `is not among the checked
    /// files`, `is imported from another stack (...)`, `names several projects`.
    pub project_unresolved: Option<String>,
    /// Keys of every project the `ProjectName` could name, when it names more than one
    /// (then `project` is null: the link is ambiguous).
    pub project_candidates: Vec<String>,
    /// Verified security-gate roles (`sca`, `sast`, `secrets`, `iac`): named in governance
    /// data, an AWS-managed scanner, or a platform-owned buildspec that runs a scanner.
    pub roles: Vec<String>,
    /// Roles its names or commands claim that could not be verified.
    pub claimed_roles: Vec<String>,
    /// Why each role was or was not accepted.
    pub gate_evidence: Vec<Evidence>,
    /// Whether the platform locks this action: it claims a locked role (SCA by default),
    /// or governance data says so.
    pub locked: bool,
    /// Runs code for ordering purposes: a Build, Test or Compute action (or one whose type
    /// cannot be resolved, or a stage-condition rule that runs commands) that is not a
    /// verified gate.
    pub is_build: bool,
    /// A Deploy action (or one that may be, under `Fn::If`).
    pub is_deploy: bool,
    /// Exists only under a CloudFormation condition (`Fn::If` on the action or its stage),
    /// so it cannot be relied on to run.
    pub conditional: bool,
    /// What must hold for it to run: `Cond` / `!Cond` for the `Fn::If` branches it is
    /// written in, `skip:<stage>` when its stage can be skipped. A gate protects only
    /// actions whose conditions include all of its own.
    pub conditions: Vec<String>,
    /// The source artifacts (outputs of Source actions) its inputs derive from.
    pub source_artifacts: Vec<String>,
    /// The source artifacts a CodeBuild or Commands action's commands work on: those of its
    /// primary input (`PrimarySource`, else the first input) when it has several, since
    /// `--scan .` scans the primary source only; otherwise `source_artifacts`.
    pub scanned_artifacts: Vec<String>,
    /// The roles of the verified gates that protect it: each finishes before it starts,
    /// runs whenever it runs (its `conditions` are among this action's) and reads every
    /// source it builds from. `lib.protects` says the same of one gate.
    pub protected_by: Vec<String>,
    /// Every verified gate of its pipeline (itself aside) protects it.
    pub after_every_gate: bool,
    /// Environment variables of the action and its project that change what a buildspec
    /// runs (`BASH_ENV`, `PATH`, `LD_PRELOAD`, ...) or take their value from another
    /// action's output variables.
    pub environment_overrides: Vec<EnvVar>,
    /// Its own `EnvironmentVariables` (a CodeBuild action's), each located at the entry
    /// that holds them.
    pub variables: Vec<EnvVar>,
    /// The resolved type, for classification.
    #[serde(skip)]
    pub(crate) types: codepipeline::ActionType,
    /// Claims a locked role without being verified; locked when it stands before a build.
    #[serde(skip)]
    pub(crate) locked_claim: bool,
    /// The action.
    pub source: SourceRef,
}

impl Action {
    /// An action as declared, of the resolved type `types`, before any fact about it is
    /// computed; the builders of the model fill in what they read.
    pub(crate) fn declared(
        name: String,
        types: codepipeline::ActionType,
        source: SourceRef,
    ) -> Action {
        let one = |v: &[String]| match v {
            [only] => only.clone(),
            [] => String::new(),
            many => many.join("|"),
        };
        Action {
            name,
            pipeline: String::new(),
            pipeline_index: 0,
            stage: String::new(),
            stage_index: 0,
            category: one(&types.categories),
            owner: one(&types.owners),
            provider: one(&types.providers),
            origin: "action".into(),
            run_order: 1,
            configuration: Map::new(),
            region: None,
            namespace: None,
            input_artifacts: Vec::new(),
            output_artifacts: Vec::new(),
            project: None,
            project_name: None,
            project_unresolved: None,
            project_candidates: Vec::new(),
            roles: Vec::new(),
            claimed_roles: Vec::new(),
            gate_evidence: Vec::new(),
            locked: false,
            locked_claim: false,
            is_build: false,
            is_deploy: false,
            conditional: false,
            conditions: Vec::new(),
            source_artifacts: Vec::new(),
            scanned_artifacts: Vec::new(),
            protected_by: Vec::new(),
            after_every_gate: false,
            environment_overrides: Vec::new(),
            variables: Vec::new(),
            types,
            source,
        }
    }
}

/// Why an action is, or is not, a gate of some role.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The role.
    pub role: String,
    /// Whether this evidence makes the role verified.
    pub accepted: bool,
    /// Human reason, e.g. `runs \`snyk test\` in its inline buildspec`, or why a claim was
    /// not accepted: `named like SCA (action name "SCA"), but its project runs the
    /// repository's buildspec.yml`.
    pub reason: String,
    /// What it points at.
    pub source: SourceRef,
}

/// A CodeBuild project.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    /// Key in `input.projects`.
    pub key: String,
    /// Name, when literal or resolvable.
    pub name: Option<String>,
    /// The name as written when it is an expression (`{"Ref":"AWS::StackName"}`).
    pub name_expr: Option<Json>,
    /// CloudFormation logical id, for templates.
    pub logical_id: Option<String>,
    /// The project ARN (`arn` in `batch-get-projects` output), when known.
    pub arn: Option<String>,
    /// `Source.Type`.
    pub source_type: Option<String>,
    /// Where the buildspec comes from.
    pub buildspec: BuildspecRef,
    /// Build environment.
    pub environment: Environment,
    /// The project.
    pub source: SourceRef,
}

/// Where a project's buildspec comes from, and so who owns it.
#[derive(Debug, Clone, Serialize)]
pub struct BuildspecRef {
    /// `inline` (platform-owned), `file` (repo path), `s3`, `default` (`buildspec.yml` in
    /// the source root), or `unresolved` (an expression).
    pub kind: String,
    /// The path or ARN for `file`/`s3`/`default`.
    pub path: Option<String>,
    /// Key in `input.buildspecs` when the buildspec is known (inline, or a checked repo file).
    pub document: Option<String>,
    /// The `BuildSpec` entry, or the `Source` entry when absent.
    pub source: SourceRef,
}

/// A project's build environment.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Environment {
    /// `PrivilegedMode`.
    pub privileged_mode: bool,
    /// Image.
    pub image: Option<String>,
    /// Environment variables.
    pub variables: Vec<EnvVar>,
}

/// An environment variable of a project or a pipeline action.
#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value as written (an expression is rendered as JSON).
    pub value: String,
    /// `PLAINTEXT` (default), `PARAMETER_STORE`, `SECRETS_MANAGER`.
    #[serde(rename = "type")]
    pub var_type: String,
    /// Why it reads as a secret (its value looks like a credential, or its name matches
    /// the governance pattern), whatever its type; null when it does not.
    pub secret: Option<String>,
    /// The variable.
    pub source: SourceRef,
}

/// A buildspec: a repo file (developer-owned) or inline in a project (platform-owned).
#[derive(Debug, Clone, Serialize)]
pub struct Buildspec {
    /// Key in `input.buildspecs`.
    pub key: String,
    /// `platform` (inline) or `developer` (repo file).
    pub owner: String,
    /// `version` as written (`0.2`).
    pub version: Option<String>,
    /// Every command, phase by phase (`finally` blocks included).
    pub commands: Vec<Command>,
    /// `phases.install.runtime-versions` with versions as written (`3.10` stays `3.10`).
    pub runtime_versions: BTreeMap<String, String>,
    /// `env.variables`, each of type `PLAINTEXT` (values as written, an expression as JSON).
    pub variables: Vec<EnvVar>,
    /// For an inline buildspec written as one literal, when governance data pins some
    /// project (`gates.projects[].sha256`): the sha256 of its text (hex).
    pub sha256: Option<String>,
    /// For platform-owned buildspecs: the commands that run code from the repository
    /// (`./scripts/x.sh`, `make`, `npm ci`, ...), with why.
    pub repository_code: Vec<Fact>,
    /// For platform-owned buildspecs: the command lines that let a failure pass (`|| true`,
    /// `; exit 0`, `set +e`) or run a script downloaded at build time (`curl ... | sh`).
    pub weakened: Vec<Fact>,
    /// The whole buildspec as JSON.
    pub content: Json,
    /// The buildspec root.
    pub source: SourceRef,
}

/// Something stagegate found, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    /// What it is, in words.
    pub reason: String,
    /// Where.
    pub source: SourceRef,
}

/// One buildspec command.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// Phase name.
    pub phase: String,
    /// In the phase's `finally` block: it runs whatever happened, and its status does not
    /// fail the build.
    pub finally: bool,
    /// The command text.
    pub text: String,
    /// The construct with which it discards its own failure (`|| true`, `|| :`,
    /// `|| exit 0`, `; exit 0`, `set +e`), the first one it uses; null when none.
    pub masks: Option<String>,
    /// How it runs a script it downloads (`pipes a download into a shell`, ...); null when
    /// it runs none.
    pub runs_download: Option<String>,
    /// The command.
    pub source: SourceRef,
}

/// A located problem found while building the model (e.g. an inline buildspec that
/// does not parse).
#[derive(Debug, Clone)]
pub struct ModelError {
    /// File.
    pub file: String,
    /// The error, spans in that file.
    pub error: ParseError,
}

/// A parsed file and what it was classified as.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The parsed file.
    pub document: Document,
    /// Its kind.
    pub kind: Kind,
}

/// Documents embedded in strings, by file and the path of the string.
pub type EmbeddedIndex = HashMap<(String, String), Node>;

/// The model and what `locate` needs beyond the parsed files.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The model.
    pub workspace: Workspace,
    /// Embedded documents.
    pub embedded: EmbeddedIndex,
    /// Problems met while normalizing.
    pub errors: Vec<ModelError>,
}

/// Shared state while normalizing one workspace.
pub(crate) struct Builder<'a> {
    pub limits: &'a Limits,
    pub gates: &'a GateRules,
    pub out: Normalized,
    /// Unlinked actions: (pipeline index, stage index, action index, ProjectName node, file).
    pub pending_links: Vec<link::PendingLink>,
    /// CloudFormation context of each template, by file.
    pub templates: HashMap<String, cloudformation::TemplateContext>,
    /// CloudFormation exports of every template: name -> (file, the output's `Value`).
    pub exports: HashMap<String, Vec<(String, Node)>>,
}

impl Builder<'_> {
    /// Resolves a value of `file` in its template's scope (literal values elsewhere).
    pub(crate) fn resolve(&self, file: &str, node: &Node) -> resolve::Resolved {
        match self.templates.get(file) {
            Some(scope) => scope.resolve(node),
            None => resolve::Scope::default().resolve(node),
        }
    }

    /// Records a decisive value that cannot be resolved: `node`, found below `within`
    /// (at `within_path`).
    pub(crate) fn unresolved(
        &mut self,
        file: &str,
        (within, within_path): (&Node, &PathBuf),
        node: &Node,
        what: String,
        reason: String,
    ) {
        let path = node_path(within, within_path, node).0;
        self.out.workspace.unresolved.push(Unresolved {
            what,
            value: author_syntax(node, file),
            reason,
            source: SourceRef {
                file: file.to_string(),
                path,
            },
        });
    }

    /// Records a located structural problem (the check then exits 2).
    pub(crate) fn error(
        &mut self,
        file: &str,
        span: crate::source::Span,
        message: impl Into<String>,
    ) {
        self.out.errors.push(ModelError {
            file: file.to_string(),
            error: ParseError {
                message: message.into(),
                span,
                related: Vec::new(),
            },
        });
    }
}

/// Builds the workspace model from classified documents.
pub fn normalize(
    docs: &[Classified],
    limits: &Limits,
    gates: &GateRules,
    with_documents: bool,
) -> Normalized {
    let mut b = Builder {
        limits,
        gates,
        out: Normalized::default(),
        pending_links: Vec::new(),
        templates: HashMap::new(),
        exports: HashMap::new(),
    };
    for doc in docs {
        let Some(root) = doc.document.root() else {
            continue;
        };
        let file = doc.document.file.path.clone();
        if matches!(doc.kind, Kind::Cloudformation | Kind::Buildspec) {
            // CloudFormation and CodeBuild read one document; stagegate must not check a
            // different one than they deploy
            if let Some(second) = doc.document.roots.iter().filter(|r| !r.is_null()).nth(1) {
                b.error(
                    &file,
                    second.span,
                    "a second YAML document: AWS reads one document per template or buildspec, so this file cannot be verified",
                );
            }
        }
        b.out.workspace.documents.push(DocumentInfo {
            file: file.clone(),
            kind: doc.kind,
            // the raw tree is large; build it only when a policy reads input.documents
            content: if with_documents {
                root.to_json()
            } else {
                Json::Null
            },
        });
        match doc.kind {
            Kind::Cloudformation => cloudformation::normalize(&mut b, &doc.document, root),
            Kind::Codepipeline => {
                let (decl, path) = match root.get("pipeline") {
                    Some(p) => (p, PathBuf::root().join("pipeline")),
                    None => (root, PathBuf::root()),
                };
                codepipeline::normalize(&mut b, &file, decl, path, "api");
                let region = root
                    .get("metadata")
                    .and_then(|m| m.get("pipelineArn"))
                    .and_then(Node::as_str)
                    .and_then(arn_region);
                if let Some(p) = b.out.workspace.pipelines.last_mut() {
                    p.region = region;
                }
            }
            Kind::Codebuild => {
                if !root.items().is_empty() {
                    // `batch-get-projects --query projects` writes the bare list
                    for (i, p) in root.items().iter().enumerate() {
                        let path = PathBuf::root().join(i);
                        codebuild::normalize(&mut b, &doc.document, p, path, None);
                    }
                } else if let Some(projects) = root.get("projects") {
                    let base = PathBuf::root().join("projects");
                    for (i, p) in projects.items().iter().enumerate() {
                        codebuild::normalize(&mut b, &doc.document, p, base.join(i), None);
                    }
                } else {
                    codebuild::normalize(&mut b, &doc.document, root, PathBuf::root(), None);
                }
            }
            Kind::Buildspec => {
                for (span, message) in buildspec::validate(root) {
                    b.error(&file, span, message);
                }
                let bs =
                    buildspec::normalize(&file, root, &PathBuf::root(), "developer", file.clone());
                b.out.workspace.buildspecs.insert(file.clone(), bs);
            }
        }
    }
    link::link(&mut b);
    // secrets first: the overrides gates lists are copies of these variables
    secrets::classify(&mut b.out.workspace, &b.gates.secrets);
    gates::classify(&mut b.out.workspace, b.gates);
    commands::classify(&mut b.out.workspace);
    b.out
}

/// The region of an ARN (`arn:aws:codebuild:eu-west-1:...`), when it has one.
pub(crate) fn arn_region(arn: &str) -> Option<String> {
    let region = arn.strip_prefix("arn:")?.split(':').nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// The path of `target` inside `root` (at `base`), found by its span; `base` when it is not
/// below `root`.
pub(crate) fn node_path(root: &Node, base: &PathBuf, target: &Node) -> PathBuf {
    fn walk(node: &Node, path: &PathBuf, target: crate::source::Span) -> Option<PathBuf> {
        if node.span == target {
            return Some(path.clone());
        }
        if node.span.start > target.start || node.span.end < target.end {
            return None;
        }
        for e in node.entries() {
            if let Some(p) = walk(&e.value, &path.join(&e.key), target) {
                return Some(p);
            }
        }
        for (i, item) in node.items().iter().enumerate() {
            if let Some(p) = walk(item, &path.join(i), target) {
                return Some(p);
            }
        }
        None
    }
    walk(root, base, target.span).unwrap_or_else(|| base.clone())
}

/// The path that names a model object: a CloudFormation resource (its logical id) rather
/// than its `Properties`, so findings show the resource's line.
pub(crate) fn object_path(path: &PathBuf) -> PathBuf {
    match path.0.strip_suffix("/Properties") {
        Some(resource) if path.0.starts_with("/Resources/") => PathBuf(resource.to_string()),
        _ => path.clone(),
    }
}

/// The text of a scalar, whatever its style.
pub(crate) fn literal(node: &Node) -> Option<String> {
    node.as_str().map(str::to_string)
}

/// The lower-case hex sha256 of a text.
pub(crate) fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A value as its author wrote it: a literal, `!Ref X`-style short forms for YAML
/// templates, JSON otherwise.
pub(crate) fn author_syntax(node: &Node, file: &str) -> String {
    if let Some(s) = literal(node) {
        return s;
    }
    let json = file.ends_with(".json");
    match node.entries() {
        [e] if !json && (e.key == "Ref" || e.key.starts_with("Fn::")) => {
            let tag = e.key.trim_start_matches("Fn::");
            let arg = match literal(&e.value) {
                Some(s) => s,
                None => e.value.to_json().to_string(),
            };
            format!("!{tag} {arg}")
        }
        _ => node.to_json().to_string(),
    }
}

/// A literal's text, or the compact JSON of an expression.
pub(crate) fn display(node: &Node) -> String {
    literal(node).unwrap_or_else(|| node.to_json().to_string())
}

/// The entry under a CloudFormation (`PascalCase`) key or its API (`camelCase` or lower
/// case) spelling.
pub(crate) fn field<'n>(node: &'n Node, pascal: &str) -> Option<(&'n Node, &'n str)> {
    let mut camel = pascal.to_string();
    if let Some(first) = camel.get(..1) {
        camel.replace_range(..1, &first.to_ascii_lowercase());
    }
    let lower = pascal.to_ascii_lowercase();
    let found = [pascal, camel.as_str(), lower.as_str()]
        .into_iter()
        .find_map(|k| node.entry(k));
    found.map(|e| (&e.value, e.key.as_str()))
}

/// One element of a list after `Fn::If` expansion.
pub(crate) struct ListItem<'n> {
    pub node: &'n Node,
    pub path: PathBuf,
    /// Position of the written element; both branches of an `Fn::If` share it.
    pub index: usize,
    /// The `Fn::If` branches it is written in: `Cond` or `!Cond`; empty when it always
    /// exists.
    pub conditions: Vec<String>,
}

/// Items of a list, with `Fn::If` elements expanded to both branches (each marked
/// conditional: it may not exist) and `AWS::NoValue` dropped.
pub(crate) fn list_items<'n>(list: &'n Node, path: &PathBuf) -> Vec<ListItem<'n>> {
    let mut out = Vec::new();
    for (i, item) in list.items().iter().enumerate() {
        expand_if(item, path.join(i), i, Vec::new(), &mut out);
    }
    out
}

fn expand_if<'n>(
    node: &'n Node,
    path: PathBuf,
    index: usize,
    conditions: Vec<String>,
    out: &mut Vec<ListItem<'n>>,
) {
    if let Some(args) = node.get("Fn::If").filter(|_| node.entries().len() == 1) {
        let base = path.join("Fn::If");
        let name = args
            .items()
            .first()
            .map_or_else(|| "?".to_string(), display);
        for (i, branch) in args.items().iter().enumerate().skip(1).take(2) {
            let mut c = conditions.clone();
            c.push(if i == 1 {
                name.clone()
            } else {
                format!("!{name}")
            });
            expand_if(branch, base.join(i), index, c, out);
        }
        return;
    }
    if node.get("Ref").and_then(Node::as_str) == Some("AWS::NoValue") {
        return;
    }
    out.push(ListItem {
        node,
        path,
        index,
        conditions,
    });
}

/// Builds the text of an inline buildspec from a string, `Fn::Sub` or `Fn::Join`,
/// mapped onto the outer file; placeholders stand in for substitutions.
pub(crate) fn inline_text(file: &crate::source::SourceFile, node: &Node) -> Option<MappedText> {
    if node.as_str().is_some() {
        return MappedText::from_scalar(file, node);
    }
    if let Some(arg) = node.get("Fn::Sub").filter(|_| node.entries().len() == 1) {
        let template = if arg.as_str().is_some() {
            arg
        } else {
            arg.items().first()?
        };
        let raw = MappedText::from_scalar(file, template)?;
        return Some(substitute(&raw));
    }
    if let Some(arg) = node.get("Fn::Join").filter(|_| node.entries().len() == 1) {
        let (sep, parts) = (arg.items().first()?, arg.items().get(1)?);
        let sep_text = sep.as_str().unwrap_or("");
        let mut out = MappedText::default();
        for (i, part) in parts.items().iter().enumerate() {
            if i > 0 {
                out.push_str(sep_text, sep.span);
            }
            match part.as_str() {
                Some(_) => out.push_mapped(&MappedText::from_scalar(file, part)?),
                None => out.push_str("__CFN_VALUE__", part.span),
            }
        }
        return Some(out);
    }
    None
}

/// `Fn::Sub` text: `${!X}` is a literal `${X}`; other `${...}` become placeholders.
fn substitute(raw: &MappedText) -> MappedText {
    let text = raw.text.as_str();
    let mut out = MappedText::default();
    let mut i = 0;
    // every index below comes from `find` of an ASCII delimiter, so it is a char boundary
    while let Some(at) = text.get(i..).and_then(|t| t.find("${")).map(|rel| i + rel) {
        out.push_slice(raw, i..at);
        let Some(close) = text.get(at..).and_then(|t| t.find('}')).map(|rel| at + rel) else {
            i = at;
            break;
        };
        let inner = text.get(at + 2..close).unwrap_or("");
        if inner.starts_with('!') {
            // `${!X}` is the literal text `${X}`
            out.push_slice(raw, at..at + 2);
            out.push_slice(raw, at + 3..close + 1);
        } else {
            out.push_str("__CFN_SUB__", raw.range_at(at));
        }
        i = close + 1;
    }
    out.push_slice(raw, i..text.len());
    out
}

/// Parses an inline buildspec and registers it; returns its key, or records the error.
pub(crate) fn add_inline_buildspec(
    b: &mut Builder<'_>,
    file: &Arc<crate::source::SourceFile>,
    node: &Node,
    path: &PathBuf,
) -> Option<String> {
    let text = inline_text(file, node)?;
    match crate::parse::parse_embedded(&text, b.limits) {
        Ok(root) => {
            for (span, message) in buildspec::validate(&root) {
                b.error(&file.path, span, format!("inline buildspec: {message}"));
            }
            let key = format!("{}{}", file.path, path);
            let mut bs =
                buildspec::normalize(&file.path, &root, &path.embedded(), "platform", key.clone());
            // what governance data may pin: the text as deployed, when it is one literal
            // (hashed only when governance data pins some project)
            if b.gates.projects.iter().any(|p| p.sha256.is_some()) {
                bs.sha256 = node.as_str().map(|_| sha256_hex(&text.text));
            }
            b.out.workspace.buildspecs.insert(key.clone(), bs);
            b.out
                .embedded
                .insert((file.path.clone(), path.0.clone()), root);
            Some(key)
        }
        Err(mut error) => {
            error.message = format!("inline buildspec does not parse: {}", error.message);
            b.out.errors.push(ModelError {
                file: file.path.clone(),
                error,
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_escapes_and_placeholders() {
        let mut raw = MappedText::default();
        raw.push_str(
            "echo ${!HOME} ${AWS::Region} done",
            crate::source::Span::new(0, 1),
        );
        assert_eq!(substitute(&raw).text, "echo ${HOME} __CFN_SUB__ done");
    }
}
