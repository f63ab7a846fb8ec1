//! The whole flow for one workspace: discover → parse → normalize → evaluate → locate.

use crate::config::RepoConfig;
use crate::date::Date;
use crate::discover::{self, classify, name_says_input, Candidate, Discovered, ReadError};
use crate::error::Error;
use crate::locate::{self, Sources};
use crate::model::{self, Classified, GateRules, Normalized, Workspace};
use crate::parse::{self, Limits};
use crate::policy::{Policy, PolicySet};
use crate::report::{Location, Note, Problem, Related, Report};
use crate::source::SourceFile;
use crate::waiver::WaiverSettings;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use builder::apply_repo_config;
pub use builder::LinterBuilder;

mod builder;

/// Checks workspaces against a set of policies. Build once, check many times; cheap to
/// share across threads.
#[derive(Debug, Clone)]
pub struct Linter {
    policies: PolicySet,
    gates: GateRules,
    limits: Limits,
    waivers: WaiverSettings,
    enforce_from: Vec<(String, Date)>,
    /// Findings about the configuration itself (refused disables and downgrades), added to
    /// every report.
    config_findings: Vec<crate::Violation>,
    /// What every check must find (`pipelines`, `buildspecs`), else it is incomplete.
    require: Vec<String>,
    /// Terraform variable values given as `-var` / `-var-file` would give them.
    terraform_vars: std::collections::BTreeMap<String, String>,
}

impl Linter {
    /// Phased enforcement: before its `enforce-from` date an error is reported as a warning.
    fn phase_in(&self, v: &mut crate::Violation) {
        if let Some((_, date)) = self.enforce_from.iter().find(|(id, _)| id == &v.policy) {
            if self.waivers.today < *date && v.severity == crate::Severity::Error {
                v.severity = crate::Severity::Warning;
                v.message = format!(
                    "{} (reported as a warning until it is enforced from {date})",
                    v.message
                );
            }
        }
    }

    /// Starts a builder with no policies.
    ///
    /// ```
    /// let linter = stagegate::Linter::builder()
    ///     .builtin_policies()
    ///     .governance_text("governance.yaml", "locked-roles: [sca]\n")?
    ///     .build()?;
    /// assert!(linter.policies().iter().any(|p| p.metadata.id == "build-without-sca"));
    /// # Ok::<(), stagegate::Error>(())
    /// ```
    pub fn builder() -> LinterBuilder {
        LinterBuilder::default()
    }

    /// The loaded policies.
    pub fn policies(&self) -> &[Policy] {
        self.policies.policies()
    }

    /// A copy that runs only the policy `id`, or `None` when no policy has that id.
    pub fn only(&self, id: &str) -> Option<Linter> {
        let mut linter = self.clone();
        linter.policies.retain(|p| p.metadata.id == id);
        (!linter.policies().is_empty()).then_some(linter)
    }

    /// A copy that also applies a repository configuration (selection, severities,
    /// waivers), as an audit does for each workspace that has one. Cheap: the policies are
    /// not compiled again.
    pub fn with_repo_config(&self, config: &RepoConfig) -> Result<Linter, Error> {
        let mut linter = self.clone();
        let refusals = apply_repo_config(&mut linter.policies, config)?;
        linter.config_findings.extend(refusals);
        if linter.waivers.inline {
            linter.waivers.repo.extend(config.waivers.iter().cloned());
        }
        Ok(linter)
    }

    /// A copy that notes (or not) waivers that matched no finding.
    pub fn with_unused_waiver_report(&self, on: bool) -> Linter {
        let mut linter = self.clone();
        linter.waivers.report_unused = on;
        linter
    }

    /// A copy without the policies `ids`.
    pub fn without(&self, ids: &[String]) -> Linter {
        let mut linter = self.clone();
        linter.policies.retain(|p| !ids.contains(&p.metadata.id));
        linter
    }

    /// The loaded policy set (to run its Rego tests).
    pub fn policy_set(&self) -> &PolicySet {
        &self.policies
    }

    /// Checks the files found under `paths` together as one workspace. Files named directly
    /// are inputs whatever their name; files met in a directory walk are inputs when their
    /// content (or conventional name) says so.
    ///
    /// ```no_run
    /// let linter = stagegate::Linter::builder()
    ///     .builtin_policies()
    ///     .governance_file("platform/governance.yaml")?
    ///     .build()?;
    /// let report = linter.check_paths(&["."]);
    /// for v in report.active() {
    ///     println!("{}:{}: {} [{}]", v.location.path, v.location.line, v.message, v.policy);
    /// }
    /// // a check that could not read everything is incomplete, never a pass
    /// assert!(report.errors.is_empty());
    /// # Ok::<(), stagegate::Error>(())
    /// ```
    pub fn check_paths<P: AsRef<Path>>(&self, paths: &[P]) -> Report {
        self.check_paths_excluding(paths, &[])
    }

    /// [`Linter::check_paths`] with the folders `exclude` (other workspaces of a sweep)
    /// left out of the walk.
    pub fn check_paths_excluding<P: AsRef<Path>>(
        &self,
        paths: &[P],
        exclude: &[PathBuf],
    ) -> Report {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let found = discover::discover_excluding(&paths, exclude, &self.limits);
        // a live collection among the checked files misses what its manifest says
        let missing: Vec<String> = found
            .candidates
            .iter()
            .map(|c| Path::new(&c.file.path))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n == crate::collection::MANIFEST)
            })
            .filter_map(Path::parent)
            .flat_map(|dir| {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                crate::collection::missing_in(dir, exclude)
            })
            .collect();
        let mut report = self.check_candidates(found, &roots(&paths));
        for message in missing {
            if !report.errors.iter().any(|e| e.message == message) {
                report.errors.push(Problem {
                    message,
                    location: None,
                    related: Vec::new(),
                });
            }
        }
        report.summary.errors = report.errors.len();
        report
    }

    /// Checks in-memory files `(name, text)` together as one workspace; no filesystem used.
    pub fn check_sources<I, N, T>(&self, sources: I) -> Report
    where
        I: IntoIterator<Item = (N, T)>,
        N: Into<String>,
        T: Into<String>,
    {
        self.check_candidates(self.candidates(sources), &[])
    }

    /// The workspace model of in-memory files `(name, text)`, and the problems met building
    /// it (no policy is evaluated).
    pub fn model_sources<I, N, T>(&self, sources: I) -> (Workspace, Report)
    where
        I: IntoIterator<Item = (N, T)>,
        N: Into<String>,
        T: Into<String>,
    {
        let prepared = self.prepare(self.candidates(sources));
        (prepared.normalized.workspace, prepared.report)
    }

    /// In-memory files as inputs named explicitly; those over the size limit as problems.
    fn candidates<I, N, T>(&self, sources: I) -> Discovered
    where
        I: IntoIterator<Item = (N, T)>,
        N: Into<String>,
        T: Into<String>,
    {
        let mut candidates = Vec::new();
        let mut too_big = Vec::new();
        for (name, text) in sources {
            let (name, text): (String, String) = (name.into(), text.into());
            if text.len() as u64 > self.limits.max_file_bytes {
                too_big.push(ReadError {
                    message: format!(
                        "file is {} bytes, larger than the {} byte limit",
                        text.len(),
                        self.limits.max_file_bytes
                    ),
                    path: name,
                    at: None,
                });
                continue;
            }
            candidates.push(Candidate {
                file: Arc::new(SourceFile::new(name, text)),
                explicit: true,
            });
        }
        Discovered {
            candidates,
            errors: too_big,
            ..Discovered::default()
        }
    }

    /// The workspace model (the Rego `input`) of the files under `paths`, and a report of
    /// the problems met building it (no policy is evaluated).
    pub fn model_paths<P: AsRef<Path>>(&self, paths: &[P]) -> (Workspace, Report) {
        let paths: Vec<PathBuf> = paths.iter().map(|p| p.as_ref().to_path_buf()).collect();
        let prepared = self.prepare(discover::discover(&paths, &self.limits));
        (prepared.normalized.workspace, prepared.report)
    }

    /// Parse, classify and normalize; problems and notes go into the report.
    fn prepare(&self, found: Discovered) -> Prepared {
        let Discovered {
            candidates,
            errors: read_errors,
            notes,
            ignored,
        } = found;
        let mut report = Report::default();
        report.notes.extend(
            notes
                .into_iter()
                .map(|(path, message)| Note { path, message }),
        );
        report.summary.ignored = ignored.len();
        if !ignored.is_empty() {
            report.notes.push(Note {
                path: String::new(),
                message: format!(
                    "{} untracked file{} excluded by .gitignore not read: {}",
                    ignored.len(),
                    if ignored.len() == 1 { "" } else { "s" },
                    ignored.join(", ")
                ),
            });
        }
        for e in read_errors {
            match e.at {
                Some((file, offset)) => {
                    report.sources.insert(e.path.clone(), file.clone());
                    report.errors.push(Problem {
                        message: e.message,
                        location: Some(Location::new(
                            &file,
                            crate::source::Span::new(offset, offset),
                        )),
                        related: Vec::new(),
                    });
                }
                None => report.errors.push(Problem {
                    message: format!("{}: cannot read: {}", e.path, e.message),
                    location: None,
                    related: Vec::new(),
                }),
            }
        }
        let mut classified = Vec::new();
        // Terraform files are read a module (a folder) at a time
        let mut terraform = Vec::new();
        let mut parsed = Vec::new();
        for Candidate { file, explicit } in candidates {
            let path = file.path.clone();
            report.sources.insert(path.clone(), file.clone());
            if file.text.trim().is_empty() {
                report.notes.push(Note {
                    path,
                    message: "empty file; skipped".into(),
                });
                continue;
            }
            if parse::is_terraform(&path) {
                terraform.push((file, explicit));
                continue;
            }
            let result = parse::parse(file.clone(), &self.limits);
            parsed.push((file, explicit, result));
        }
        if !terraform.is_empty() {
            let explicit: std::collections::HashSet<String> = terraform
                .iter()
                .filter(|(_, e)| *e)
                .map(|(f, _)| f.path.clone())
                .collect();
            let files = terraform.into_iter().map(|(f, _)| f).collect();
            for (file, result) in parse::parse_terraform_with(files, &self.terraform_vars) {
                let named = explicit.contains(&file.path);
                parsed.push((file, named, result));
            }
        }
        // a module's files are named together (`check *.tf`): one that holds only its
        // variables or locals is read for them, not refused
        let modules_with_inputs: std::collections::HashSet<&str> = parsed
            .iter()
            .filter_map(|(file, _, result)| {
                let doc = result.as_ref().ok()?;
                (doc.format == parse::Format::Hcl
                    && doc.root().and_then(|r| classify(&file.path, r)).is_some())
                .then(|| file.path.rsplit_once('/').map_or(".", |(d, _)| d))
            })
            .collect();
        let modules_with_inputs: std::collections::HashSet<String> = modules_with_inputs
            .into_iter()
            .map(str::to_string)
            .collect();
        for (file, explicit, result) in parsed {
            let path = file.path.clone();
            let module_file = path.ends_with(".tf")
                && modules_with_inputs.contains(path.rsplit_once('/').map_or(".", |(d, _)| d));
            match result {
                Ok(document) => match document.root().and_then(|r| classify(&path, r)) {
                    Some(kind) => {
                        if let Some(root) = document.root() {
                            for (message, span) in unknown_tags(root) {
                                report
                                    .errors
                                    .push(problem(&file, parse::ParseError::new(message, span)));
                            }
                        }
                        classified.push(Classified { document, kind });
                    }
                    // a file named on the command line is an input: one stagegate cannot
                    // read as one is not checked, and the check says so
                    None if explicit && !module_file => report.errors.push(problem(
                        &file,
                        parse::ParseError::new(
                            "not a pipeline, CodeBuild project, template or buildspec stagegate can read",
                            document.root().map_or(crate::source::Span::new(0, 0), |r| r.span),
                        ),
                    )),
                    None => report.summary.skipped += 1,
                },
                Err(e) => {
                    // an unreadable Terraform file may declare a pipeline: never a skip
                    if explicit
                        || name_says_input(&path)
                        || parse::is_terraform(&path)
                        || discover::text_says_input(&file.text)
                    {
                        report.errors.push(problem(&file, e));
                    } else {
                        let lc = file.line_column(e.span.start);
                        report.notes.push(Note {
                            path,
                            message: format!(
                                "skipped: not valid YAML/JSON at {}:{} ({}); a template or JSONC file?",
                                lc.line, lc.column, e.message
                            ),
                        });
                    }
                }
            }
        }
        let normalized = model::normalize(
            &classified,
            &self.limits,
            &self.gates,
            self.policies.reads_documents(),
        );
        for e in &normalized.errors {
            if let Some(file) = report.sources.get(&e.file).cloned() {
                report.errors.push(problem(&file, e.error.clone()));
            }
        }
        report.summary.files = classified.len();
        report.checked_files = classified
            .iter()
            .map(|c| c.document.file.path.clone())
            .collect();
        report.summary.pipelines = normalized.workspace.pipelines.len();
        let buildspecs = normalized.workspace.buildspecs.len();
        if report.summary.pipelines == 0 && buildspecs == 0 {
            report.notes.push(Note {
                path: String::new(),
                message:
                    "no pipeline and no buildspec among the checked files: nothing was checked"
                        .into(),
            });
        }
        for what in &self.require {
            let missing = match what.as_str() {
                "pipelines" => report.summary.pipelines == 0,
                "buildspecs" => buildspecs == 0,
                _ => false,
            };
            if missing {
                report.errors.push(Problem {
                    message: format!(
                        "no {} among the checked files, and the check requires them",
                        what.trim_end_matches('s')
                    ),
                    location: None,
                    related: Vec::new(),
                });
            }
        }
        Prepared {
            report,
            classified,
            normalized,
        }
    }

    /// `roots`: display prefixes (`dir/`) of the checked folders, which fingerprints leave
    /// out of file names.
    fn check_candidates(&self, found: Discovered, roots: &[String]) -> Report {
        let Prepared {
            mut report,
            classified,
            normalized,
        } = self.prepare(found);
        let (findings, eval_errors) = self.policies.evaluate(&normalized.workspace);
        for e in eval_errors {
            report.errors.push(Problem {
                message: format!(
                    "policy `{}` failed to evaluate, so the check fails: {}",
                    e.policy, e.message
                ),
                location: None,
                related: Vec::new(),
            });
        }
        let sources = Sources {
            documents: classified
                .iter()
                .map(|c| (c.document.file.path.as_str(), &c.document))
                .collect(),
            embedded: &normalized.embedded,
        };
        let subjects: std::collections::HashMap<&crate::model::SourceRef, crate::Subject> =
            normalized
                .workspace
                .pipelines
                .iter()
                .flat_map(|p| &p.stages)
                .flat_map(|s| &s.actions)
                .map(|a| {
                    (
                        &a.source,
                        crate::Subject {
                            pipeline: a.pipeline.clone(),
                            stage: a.stage.clone(),
                            action: a.name.clone(),
                        },
                    )
                })
                .collect();
        // the ARN of the pipeline or project that holds a place, when its dump names one,
        // by file: a region's dump holds many projects, and every finding asks
        let mut resources: std::collections::HashMap<&str, Vec<(&str, &str)>> =
            std::collections::HashMap::new();
        let pipelines = normalized.workspace.pipelines.iter();
        let arns = pipelines
            .filter_map(|p| Some((&p.source, p.arn.as_deref()?)))
            .chain(
                normalized
                    .workspace
                    .projects
                    .values()
                    .filter_map(|p| Some((&p.source, p.arn.as_deref()?))),
            );
        for (source, arn) in arns {
            resources
                .entry(source.file.as_str())
                .or_default()
                .push((source.path.as_str(), arn));
        }
        let resource_of = |at: &crate::model::SourceRef| {
            resources
                .get(at.file.as_str())?
                .iter()
                .filter(|(base, _)| {
                    at.path == *base
                        || at
                            .path
                            .strip_prefix(base)
                            .is_some_and(|rest| rest.starts_with(['/', '#']))
                })
                .max_by_key(|(base, _)| base.len())
                .map(|(_, arn)| arn.to_string())
        };
        let names = crate::fingerprint::Names::new(&normalized.workspace, roots);
        for finding in &findings {
            let Some(policy) = self.policies.policy(&finding.policy) else {
                continue;
            };
            match locate::locate(finding, policy, &sources, &names) {
                Ok(mut v) => {
                    v.subject = finding
                        .at
                        .first()
                        .and_then(|t| subjects.get(&t.source))
                        .cloned();
                    v.resource = finding.at.first().and_then(|t| resource_of(&t.source));
                    self.phase_in(&mut v);
                    report.violations.push(v);
                }
                Err(message) => report.errors.push(Problem {
                    message,
                    location: None,
                    related: Vec::new(),
                }),
            }
        }
        crate::waiver::apply(&mut report, &self.waivers);
        report
            .violations
            .extend(self.config_findings.iter().cloned());
        report.violations.sort_by(|a, b| {
            (
                &a.location.path,
                a.location.line,
                a.location.column,
                &a.policy,
                &a.fingerprint,
            )
                .cmp(&(
                    &b.location.path,
                    b.location.line,
                    b.location.column,
                    &b.policy,
                    &b.fingerprint,
                ))
        });
        report.summary.findings = report.active().count();
        report.summary.waived = report.waived();
        report.summary.errors = report.errors.len();
        report
    }
}

/// Local tags that are not CloudFormation intrinsics (`!Reff`): CloudFormation rejects the
/// template, and guessing what they mean could hide a violation.
fn unknown_tags(root: &parse::Node) -> Vec<(String, crate::source::Span)> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if let Some(tag) = node.tag.as_deref() {
            let is_intrinsic = node.entries().len() == 1
                && node
                    .entries()
                    .iter()
                    .any(|e| e.key == "Ref" || e.key == "Condition" || e.key.starts_with("Fn::"));
            if tag.starts_with('!') && !tag.starts_with("!!") && !is_intrinsic {
                out.push((
                    format!("unknown tag `{tag}` (not a CloudFormation intrinsic function)"),
                    node.span,
                ));
            }
        }
        match &node.value {
            parse::Value::Scalar(..) => {}
            parse::Value::Seq(items) => stack.extend(items.iter()),
            parse::Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
        }
    }
    out
}

/// A workspace parsed and modelled, before evaluation.
struct Prepared {
    report: Report,
    classified: Vec<Classified>,
    normalized: Normalized,
}

fn problem(file: &SourceFile, e: parse::ParseError) -> Problem {
    Problem {
        message: e.message,
        location: Some(Location::new(file, e.span)),
        related: e
            .related
            .into_iter()
            .map(|(message, span)| Related {
                message,
                location: Location::new(file, span),
            })
            .collect(),
    }
}

/// The display prefixes (`dir/`) of the folders among `paths`: what the names of the files
/// found in them start with.
fn roots(paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter(|p| p.is_dir())
        .map(|p| crate::source::display_path(p))
        .filter(|d| !d.is_empty() && d != ".")
        .map(|d| format!("{}/", d.trim_end_matches('/')))
        .collect()
}
