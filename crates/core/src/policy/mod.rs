//! evaluate: load Rego policies (built-in pack and user folders), compile them once, and
//! evaluate them over a workspace model.

mod backend;
mod finding;
mod input;
mod metadata;
mod rego;
mod together;
mod vm;

pub use finding::Finding;
pub use metadata::{parse_metadata, PolicyMetadata, Severity};

use crate::error::Error;
use crate::model::Workspace;
use crate::source::SourceFile;
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, OnceLock};

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// One policy: its metadata, Rego package and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// METADATA.
    #[serde(flatten)]
    pub metadata: PolicyMetadata,
    /// Rego package, e.g. `stagegate.policies.build_without_sca`.
    pub package: String,
    /// `built-in` or the policy file's path.
    pub origin: String,
}

/// A Rego file to load.
#[derive(Debug, Clone)]
struct RegoFile {
    file: Arc<SourceFile>,
    builtin: bool,
}

/// Lines of one policy module evaluated by the Rego tests.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Module path.
    pub path: String,
    /// Number of lines evaluated.
    pub covered: usize,
    /// Line numbers never evaluated.
    pub not_covered: Vec<u32>,
}

/// The result of one Rego `test_*` rule.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// `file: test_name`.
    pub name: String,
    /// Passed, or why not.
    pub result: Result<(), String>,
}

/// A policy that could not be evaluated (fail closed: the check fails).
#[derive(Debug, Clone)]
pub struct EvalError {
    /// Policy id.
    pub policy: String,
    /// What went wrong.
    pub message: String,
}

/// The loaded policies: the interpreter (for Rego tests and the few policies the virtual
/// machine cannot run) and the compiled bytecode program that evaluates the rest.
#[derive(Clone)]
pub struct PolicySet {
    /// Built on first need when the built-in pack runs alone on the machine.
    engine: OnceLock<regorus::Engine>,
    modules: Vec<Arc<SourceFile>>,
    data: regorus::Value,
    vm: Option<vm::Compiled>,
    policies: Vec<Policy>,
    tests: Vec<Arc<SourceFile>>,
    reads_documents: bool,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("policies", &self.policies)
            .finish()
    }
}

/// Collects Rego files for a [`PolicySet`].
#[derive(Debug, Default, Clone)]
pub struct PolicySources {
    files: Vec<RegoFile>,
}

impl PolicySources {
    /// Adds the built-in pack (embedded in the binary).
    pub fn builtin(&mut self) {
        self.add_builtin(|_| true);
    }

    /// Adds only the built-in helper library (`data.stagegate.lib`), for user policies run
    /// without the built-in pack.
    pub fn builtin_lib(&mut self) {
        self.add_builtin(|path| path.starts_with("policies/lib/"));
    }

    fn add_builtin(&mut self, keep: impl Fn(&str) -> bool) {
        for (path, text) in BUILTIN_FILES {
            let already = self.files.iter().any(|f| f.builtin && f.file.path == *path);
            if keep(path) && !already {
                self.files.push(RegoFile {
                    file: Arc::new(SourceFile::new(*path, *text)),
                    builtin: true,
                });
            }
        }
    }

    /// Adds every `.rego` file below `dir` (`<id>/policy.rego`, helpers, `*_test.rego`).
    pub fn dir(&mut self, dir: &Path) -> Result<(), Error> {
        if !dir.is_dir() {
            return Err(Error::Io {
                path: dir.display().to_string(),
                message: "not a directory".into(),
            });
        }
        let mut paths = Vec::new();
        let walker = ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| Error::Io {
                path: dir.display().to_string(),
                message: e.to_string(),
            })?;
            if entry.path().extension().is_some_and(|e| e == "rego") {
                paths.push(entry.into_path());
            }
        }
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            self.files.push(RegoFile {
                file: Arc::new(SourceFile::new(crate::source::display_path(&path), text)),
                builtin: false,
            });
        }
        Ok(())
    }

    /// Adds one policy from memory.
    pub fn text(&mut self, path: &str, text: &str) {
        self.files.push(RegoFile {
            file: Arc::new(SourceFile::new(path, text)),
            builtin: false,
        });
    }
}

/// The interpreter over these modules and data.
fn build_engine(
    modules: &[Arc<SourceFile>],
    data: &regorus::Value,
) -> Result<regorus::Engine, Error> {
    let mut engine = regorus::Engine::new();
    engine.add_data(data.clone()).map_err(|e| Error::Engine {
        message: format!("cannot load the governance data: {e}"),
    })?;
    for module in modules {
        engine
            .add_policy(module.path.clone(), module.text.clone())
            .map_err(|e| Error::Policy {
                path: module.path.clone(),
                message: format!("{e}"),
            })?;
    }
    Ok(engine)
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("_test.rego")
}

impl PolicySet {
    /// Parses METADATA, compiles every module, and evaluates each policy once over an empty
    /// workspace, so that a broken policy fails here rather than on the tenth file.
    pub fn load(sources: PolicySources, data: serde_json::Value) -> Result<PolicySet, Error> {
        // every module's package as regorus reads it: the built-in ones recorded when the
        // pack was compiled, the others parsed here (a module that does not parse is an
        // error now, located by the engine)
        let mut packages: Vec<Option<String>> = Vec::new();
        for f in &sources.files {
            let package = if is_test_file(&f.file.path) {
                None
            } else if f.builtin {
                BUILTIN_PACKAGES
                    .iter()
                    .find(|(path, _)| *path == f.file.path)
                    .map(|(_, p)| (*p).to_string())
            } else {
                Some(
                    rego::outline(&f.file.path, &f.file.text)
                        .map_err(|message| Error::Policy {
                            path: f.file.path.clone(),
                            message,
                        })?
                        .package,
                )
            };
            packages.push(package);
        }
        let package_of = |i: usize| packages.get(i).cloned().flatten();
        // a user folder that brings its own helper library replaces the built-in one
        let user_lib = sources
            .files
            .iter()
            .enumerate()
            .any(|(i, f)| !f.builtin && package_of(i).as_deref() == Some("stagegate.lib"));
        let files: Vec<(&RegoFile, Option<String>)> = sources
            .files
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                !(user_lib && f.builtin && package_of(*i).as_deref() == Some("stagegate.lib"))
            })
            .map(|(i, f)| (f, package_of(i)))
            .collect();
        let data = regorus::Value::from(data);
        let mut policies: Vec<Policy> = Vec::new();
        let mut tests = Vec::new();
        let mut modules = Vec::new();
        for (rego, package) in &files {
            let path = rego.file.path.clone();
            if is_test_file(&path) {
                tests.push(rego.file.clone());
                continue;
            }
            modules.push(rego.file.clone());
            // a module with METADATA declares a policy; others are helper libraries
            if !rego.file.text.lines().any(|l| l.trim() == "# METADATA") {
                continue;
            }
            let metadata = parse_metadata(&rego.file).map_err(|e| Error::Config {
                problems: vec![crate::error::Located::new(&rego.file, e.span, e.message)],
            })?;
            let package = package.clone().ok_or_else(|| Error::Policy {
                path: path.clone(),
                message: "no `package` declaration".into(),
            })?;
            if let Some(other) = policies.iter().find(|p| p.metadata.id == metadata.id) {
                return Err(Error::Policy {
                    path,
                    message: format!(
                        "policy id `{}` is already defined by {}",
                        metadata.id, other.origin
                    ),
                });
            }
            policies.push(Policy {
                metadata,
                package,
                origin: if rego.builtin {
                    "built-in".into()
                } else {
                    path
                },
            });
        }
        // whether a policy reads `input.documents` cannot be told from its text (an alias
        // of `input` reads it too), and its content is large: it is filled whenever a policy
        // of the user's own runs, since none of the built-in pack reads it
        let reads_documents = files
            .iter()
            .any(|(f, _)| !f.builtin && !is_test_file(&f.file.path));
        let vm = backend::machine_for(&files, user_lib, &data)?;
        let mut set = PolicySet {
            engine: OnceLock::new(),
            modules,
            data,
            vm,
            policies,
            tests,
            reads_documents,
        };
        let on_machine = set.compiled_count() == set.policies.len();
        // the interpreter is needed now for other policies (and reports their syntax errors
        // here); evaluating on the stored engine leaves it prepared: regorus analyses the
        // modules once instead of on every workspace
        let mut engine = if on_machine {
            None
        } else {
            Some(build_engine(&set.modules, &set.data)?)
        };
        let (_, errors) = set.evaluate_with(engine.as_mut(), &Workspace::default());
        if let Some(engine) = engine {
            set.engine = OnceLock::from(engine);
        }
        if let Some(e) = errors.into_iter().next() {
            let origin = set
                .policy(&e.policy)
                .map_or_else(|| e.policy.clone(), |p| p.origin.clone());
            return Err(Error::Policy {
                path: origin,
                message: format!("policy `{}` fails to evaluate: {}", e.policy, e.message),
            });
        }
        Ok(set)
    }

    /// The interpreter with every module and the data, built on first need.
    fn engine(&self) -> Result<&regorus::Engine, Error> {
        if let Some(engine) = self.engine.get() {
            return Ok(engine);
        }
        let mut engine = build_engine(&self.modules, &self.data)?;
        // one query analyses the modules, so that clones made per workspace start prepared
        engine
            .eval_query("true".into(), false)
            .map_err(|e| Error::Policy {
                path: "(policies)".into(),
                message: format!("{e}"),
            })?;
        Ok(self.engine.get_or_init(|| engine))
    }

    /// Whether any loaded module reads `input.documents` (or `input["documents"]`), so the
    /// raw files must be part of the input (building them costs as much as the model).
    pub fn reads_documents(&self) -> bool {
        self.reads_documents
    }

    /// Every loaded policy.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// A policy by id.
    pub fn policy(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.metadata.id == id)
    }

    /// Marks these policies non-waivable (the platform locks them).
    /// The parameters policy `id` reads: those its METADATA declares (`custom.parameters`,
    /// read by the model) and those read with `lib.param("id", "key", default)` in any
    /// loaded module, each with the default as written.
    pub fn parameters(&self, id: &str) -> Vec<(String, String)> {
        let call = format!("lib.param(\"{id}\", \"");
        let mut out: Vec<(String, String)> = self
            .policy(id)
            .map(|p| p.metadata.parameters.clone())
            .unwrap_or_default();
        for module in &self.modules {
            for (at, _) in module.text.match_indices(&call) {
                let rest = module.text.get(at + call.len()..).unwrap_or("");
                let Some((key, tail)) = rest.split_once('"') else {
                    continue;
                };
                let default = tail
                    .trim_start_matches([',', ' '])
                    .split(')')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                if !out.iter().any(|(k, _)| k == key) {
                    out.push((key.to_string(), default));
                }
            }
        }
        out
    }

    pub fn lock(&mut self, ids: &[String]) {
        for p in &mut self.policies {
            if ids.contains(&p.metadata.id) {
                p.metadata.waivable = false;
            }
        }
    }

    /// Overrides a policy's severity.
    pub fn set_severity(&mut self, id: &str, severity: Severity) {
        for p in &mut self.policies {
            if p.metadata.id == id {
                p.metadata.severity = severity;
            }
        }
    }

    /// Keeps only the policies `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&Policy) -> bool) {
        self.policies.retain(keep);
    }

    /// Evaluates every policy's `deny` set over the workspace. A policy that errors or
    /// returns malformed findings is reported in the second list: the check must fail.
    pub fn evaluate(&self, workspace: &Workspace) -> (Vec<Finding>, Vec<EvalError>) {
        self.evaluate_with(None, workspace)
    }

    /// Evaluates every policy on the tree-walking interpreter only: the reference that the
    /// bytecode machine must agree with (tests compare the two).
    pub fn evaluate_interpreted(&self, workspace: &Workspace) -> (Vec<Finding>, Vec<EvalError>) {
        // built here so that the copy below shares it instead of building its own
        if let Err(e) = self.engine() {
            let error = EvalError {
                policy: "(all)".into(),
                message: e.to_string(),
            };
            return (Vec::new(), vec![error]);
        }
        let reference = PolicySet {
            vm: None,
            ..self.clone()
        };
        reference.evaluate_with(None, workspace)
    }

    /// How many policies the bytecode machine evaluates (the rest run on the interpreter).
    pub fn compiled_count(&self) -> usize {
        self.vm.as_ref().map_or(0, |vm| {
            self.policies
                .iter()
                .filter(|p| vm.covers(&p.package))
                .count()
        })
    }

    /// Evaluates on the bytecode program where it covers a policy, else on the interpreter:
    /// `engine` when given (load time), else a clone of the stored one made on first need.
    fn evaluate_with(
        &self,
        engine: Option<&mut regorus::Engine>,
        workspace: &Workspace,
    ) -> (Vec<Finding>, Vec<EvalError>) {
        let mut findings = Vec::new();
        let mut errors = Vec::new();
        let input = match input::to_input(workspace) {
            Ok(v) => v,
            Err(e) => {
                errors.push(EvalError {
                    policy: "(all)".into(),
                    message: format!("cannot serialize the workspace model: {e}"),
                });
                return (findings, errors);
            }
        };
        let mut run = match backend::Run::start(self, engine, &input) {
            Ok(run) => run,
            Err(message) => {
                errors.push(EvalError {
                    policy: "(all)".into(),
                    message,
                });
                return (findings, errors);
            }
        };
        for policy in &self.policies {
            let id = &policy.metadata.id;
            let decoded = run
                .deny(policy)
                .and_then(|v| Finding::decode_set(id, &v));
            match decoded {
                Ok(mut f) => findings.append(&mut f),
                Err(message) => errors.push(EvalError {
                    policy: id.clone(),
                    message,
                }),
            }
        }
        run.finish();
        (findings, errors)
    }

    /// Runs every `test_*` rule of the loaded `*_test.rego` files.
    pub fn run_tests(&self) -> Result<Vec<TestOutcome>, Error> {
        self.run_tests_with_coverage(false).map(|(tests, _)| tests)
    }

    /// Runs the Rego tests; with `coverage`, also reports which lines of each non-test
    /// module they evaluated.
    pub fn run_tests_with_coverage(
        &self,
        coverage: bool,
    ) -> Result<(Vec<TestOutcome>, Vec<Coverage>), Error> {
        let mut engine = self.engine()?.clone();
        engine.set_enable_coverage(coverage);
        let mut results = Vec::new();
        for file in &self.tests {
            engine
                .add_policy(file.path.clone(), file.text.clone())
                .map_err(|e| Error::Policy {
                    path: file.path.clone(),
                    message: format!("{e}"),
                })?;
        }
        for file in &self.tests {
            let outline =
                rego::outline(&file.path, &file.text).map_err(|message| Error::Policy {
                    path: file.path.clone(),
                    message,
                })?;
            let package = outline.package;
            let names: Vec<&str> = outline
                .rules
                .iter()
                .filter_map(|r| r.strip_prefix("test_"))
                .collect();
            for name in names {
                let rule = format!("data.{package}.test_{name}");
                let outcome = match engine.eval_rule(rule.clone()) {
                    Ok(v) if v == regorus::Value::from(true) => Ok(()),
                    Ok(v) => Err(format!("evaluated to {v}")),
                    Err(e) => Err(format!("{e}")),
                };
                results.push(TestOutcome {
                    name: format!("{}: test_{name}", file.path),
                    result: outcome,
                });
            }
        }
        let mut covered = Vec::new();
        if coverage {
            let report = engine.get_coverage_report().map_err(|e| Error::Engine {
                message: format!("cannot report coverage: {e}"),
            })?;
            for f in report.files {
                if is_test_file(&f.path) {
                    continue;
                }
                covered.push(Coverage {
                    path: f.path,
                    covered: f.covered.len(),
                    not_covered: f.not_covered.into_iter().collect(),
                });
            }
        }
        Ok((results, covered))
    }
}
