//! The workspace model: what policies read as `input`, every object with its `source`.

use super::codepipeline;
use crate::discover::Kind;
use crate::parse::PathBuf;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

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
    /// Where the value is written (file and path): findings about it point here.
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
    /// Its ARN, when a dump says (`metadata.pipelineArn`).
    pub arn: Option<String>,
    /// Stages in execution order.
    pub stages: Vec<Stage>,
    /// Where the pipeline is written (file and path): findings about it point here.
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
    /// The `BeforeEntry` entry that can skip it, when it can.
    pub skip_condition: Option<SourceRef>,
    /// Its `OnFailure` result lets the pipeline go on after an action fails (`SKIP`), so
    /// its gates stop nothing.
    pub failure_continues: bool,
    /// Exists only under a CloudFormation condition.
    pub conditional: bool,
    /// Where the stage is written (file and path): findings about it point here.
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
    /// Its `BuildspecOverride` (however the key is spelled) when set to something: the key
    /// as written, located at the entry.
    pub buildspec_override: Option<Fact>,
    /// The resolved type, for classification.
    #[serde(skip)]
    pub(crate) types: codepipeline::ActionType,
    /// Claims a locked role without being verified; locked when it stands before a build.
    #[serde(skip)]
    pub(crate) locked_claim: bool,
    /// Where the action is written (file and path): findings about it point here.
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
            buildspec_override: None,
            types,
            source,
        }
    }
}

/// Why an action is, or is not, a gate of some role.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The role it is evidence for (`sca`, `sast`, `secrets`, `iac`).
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
    /// Where the project is written (file and path): findings about it point here.
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
    /// Where the variable is written (file and path): findings about it point here.
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
    /// Batch tasks that name a buildspec of their own (`build-list task scan`,
    /// `build-matrix dynamic`), located at their `buildspec` entry.
    pub batch_buildspecs: Vec<Fact>,
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
    /// Where it is (file and path).
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
    /// Where the command is written (file and path): findings about it point here.
    pub source: SourceRef,
}
