//! normalize: recognise security gates (SCA, SAST, secrets, IaC scans) by action, provider
//! and project names, and by the tools their inline buildspecs run.

use super::{Evidence, SourceRef, Workspace};
use analysis::{analyze, Analysis};
use ordering::{lineage, lock_claimed_gates, merge_branch_gates, protection};

mod analysis;
mod ordering;
use regex::Regex;

/// Rules that make an action a gate of a role, and which roles are locked.
#[derive(Debug, Clone)]
pub struct GateRules {
    /// (role, pattern over a normalized name: lower case, words split by spaces).
    pub name_patterns: Vec<(String, Regex)>,
    /// (role, pattern over a simple command as it runs: the program, then its arguments;
    /// anchored at the program). Added to the built-in scanners.
    pub command_patterns: Vec<(String, Regex)>,
    /// The built-in scanner table is used (`Some`); governance data may turn it off.
    pub builtin_scanners: Option<()>,
    /// Projects governance data declares as gates.
    pub projects: Vec<ProjectGate>,
    /// Roles whose actions are locked by the platform.
    pub locked_roles: Vec<String>,
    /// Actions named in governance data.
    pub assignments: Vec<Assignment>,
    /// Template transforms (macros) governance data says do not touch pipelines or
    /// projects.
    pub harmless_transforms: Vec<String>,
    /// What makes an environment variable's name read as a secret.
    pub secrets: super::SecretRules,
}

/// An action named in governance data, with what it is.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// Pipeline name (`*` wildcards allowed), or any.
    pub pipeline: Option<String>,
    /// Stage name, or any.
    pub stage: Option<String>,
    /// Action name, or any.
    pub action: Option<String>,
    /// Project name, or any.
    pub project: Option<String>,
    /// Roles given.
    pub roles: Vec<String>,
    /// Locked or unlocked regardless of roles.
    pub locked: Option<bool>,
}

impl Assignment {
    /// Whether every field that is set matches.
    pub fn matches(
        &self,
        pipeline: &str,
        stage: &str,
        action: &str,
        project: Option<&str>,
    ) -> bool {
        let ok = |want: &Option<String>, have: Option<&str>| match want {
            None => true,
            Some(w) => have.is_some_and(|h| crate::glob::name(w, h)),
        };
        ok(&self.pipeline, Some(pipeline))
            && ok(&self.stage, Some(stage))
            && ok(&self.action, Some(action))
            && ok(&self.project, project)
    }
}

impl Default for GateRules {
    fn default() -> Self {
        let build = |rules: &[(&str, &str)]| {
            rules
                .iter()
                .map(|(role, re)| {
                    // the patterns are constants; a typo is a programming error caught by tests.
                    // ASCII word boundaries: the words are ASCII, and Unicode ones cost compile
                    // time and keep the lazy DFA from matching non-ASCII text
                    let re = regex::RegexBuilder::new(re)
                        .unicode(false)
                        .build()
                        .unwrap_or_else(|e| panic!("built-in gate pattern: {e}"));
                    ((*role).to_string(), re)
                })
                .collect()
        };
        GateRules {
            name_patterns: build(&[
                (
                    "sca",
                    r"\b(sca|software composition|dependency (check|scan|scanning|audit)|owasp|snyk|trivy|grype|osv)\b",
                ),
                (
                    "sast",
                    r"\b(sast|static (code |application )?(security )?(analysis|scan|scanning)|codeguru|semgrep|sonar(qube|cloud| scanner)?|bandit|checkmarx|codeql|fortify|brakeman|gosec)\b",
                ),
                (
                    "secrets",
                    r"\b(secrets? (scan|scanning|detection|detect|check)|gitleaks|trufflehog|detect secrets|git secrets)\b",
                ),
                (
                    "iac",
                    r"\b(iac (scan|scanning|security|check)|checkov|cfn nag|cfn guard|tfsec|cdk nag|kics|terrascan)\b",
                ),
            ]),
            builtin_scanners: Some(()),
            projects: Vec::new(),
            command_patterns: Vec::new(),
            locked_roles: vec!["sca".to_string()],
            assignments: Vec::new(),
            harmless_transforms: Vec::new(),
            secrets: super::SecretRules::default(),
        }
    }
}

/// Splits CamelCase, kebab-case and snake_case into lower-case words: `OWASPDependencyCheck`
/// and `owasp-dependency_check` both read `owasp dependency check`.
pub fn normalize_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 8);
    let mut prev: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let before = prev.replace(c);
        if !c.is_alphanumeric() {
            out.push(' ');
            continue;
        }
        if before.is_some_and(|p| p.is_alphanumeric() && p.is_ascii_digit() != c.is_ascii_digit()) {
            out.push(' ');
        } else if let Some(prev) = before.filter(|_| c.is_uppercase()) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A project the platform declares as a gate in governance data (`gates.projects`),
/// defined outside the checked files or within them.
#[derive(Debug, Clone, Default)]
pub struct ProjectGate {
    /// The CodeBuild project name.
    pub name: String,
    /// Roles it verifies.
    pub roles: Vec<String>,
    /// The sha256 (hex) its inline buildspec must have: the project must then be among the
    /// checked files, with exactly that buildspec.
    pub sha256: Option<String>,
}

/// Environment variables that change what a shell or an interpreter runs before or
/// instead of the buildspec's commands.
const OVERRIDING_VARIABLES: &[&str] = &[
    "BASH_ENV",
    "ENV",
    "PATH",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "IFS",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "NODE_OPTIONS",
    "NODE_PATH",
    "PERL5OPT",
    "PERL5LIB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "NPM_CONFIG_USERCONFIG",
    "HOME",
    "GIT_CONFIG_GLOBAL",
];

/// Source action output variables that the source provider sets, not the developer.
const SOURCE_VARIABLES_SET_BY_PROVIDER: &[&str] = &[
    "CommitId",
    "FullRepositoryName",
    "RepositoryName",
    "ConnectionArn",
    "ProviderType",
    "VersionId",
    "ETag",
    "ImageDigest",
    "ImageURI",
    "RegistryId",
];

/// Sets `roles`, `claimed_roles`, `gate_evidence`, `locked`, `is_build`, `is_deploy`,
/// `environment_overrides` and `source_artifacts` on every action.
pub(crate) fn classify(ws: &mut Workspace, rules: &GateRules) {
    // each platform-owned buildspec is read once, for its facts and for every action
    // that runs it
    let mut analyses: std::collections::HashMap<String, Analysis> = Default::default();
    for spec in ws.buildspecs.values_mut().filter(|b| b.owner == "platform") {
        let commands: Vec<(&str, bool, SourceRef)> = spec
            .commands
            .iter()
            .map(|c| (c.text.as_str(), c.finally, c.source.clone()))
            .collect();
        let analysis = analyze(&commands, rules);
        let facts = |list: &[(String, SourceRef)]| -> Vec<super::Fact> {
            list.iter()
                .map(|(reason, source)| super::Fact {
                    reason: reason.clone(),
                    source: source.clone(),
                })
                .collect()
        };
        spec.repository_code = facts(&analysis.repo_code);
        spec.weakened = facts(&analysis.weakened);
        analyses.insert(spec.key.clone(), analysis);
    }
    let projects = &ws.projects;
    let buildspecs = &ws.buildspecs;
    for pipeline in &mut ws.pipelines {
        // namespaces of actions that are no source: their variables are whatever a build
        // or an invoke wrote
        let build_namespaces: Vec<String> = pipeline
            .stages
            .iter()
            .flat_map(|s| &s.actions)
            .filter(|a| a.category != "Source")
            .filter_map(|a| a.namespace.clone())
            .collect();
        for stage in &mut pipeline.stages {
            let failure_continues = stage.failure_continues;
            for action in &mut stage.actions {
                let project = action.project.as_ref().and_then(|k| projects.get(k));
                action.environment_overrides = overrides(action, project, &build_namespaces);
                let mut evidence = claims(action, project, rules);
                let mut accepted: Vec<Evidence> = Vec::new();
                let mut refusal: Option<String> = None;
                // governance data pins the project's buildspec and the checked one differs
                let mut pin_broken = false;
                let mut locked_override = None;
                let project_name = project
                    .and_then(|p| p.name.as_deref())
                    .or(action.project_name.as_deref().filter(|_| {
                        action.project.is_none() && action.project_candidates.is_empty()
                    }));
                for a in &rules.assignments {
                    if !a.matches(&action.pipeline, &action.stage, &action.name, project_name) {
                        continue;
                    }
                    for role in &a.roles {
                        accepted.push(Evidence {
                            role: role.clone(),
                            accepted: true,
                            reason: "named as a gate in governance data".into(),
                            source: action.source.clone(),
                        });
                    }
                    locked_override = a.locked.or(locked_override);
                }
                let single = action
                    .types
                    .single()
                    .map(|(c, o, p)| (c.to_string(), o.to_string(), p.to_string()));
                match single
                    .as_ref()
                    .map(|(c, o, p)| (c.as_str(), o.as_str(), p.as_str()))
                {
                    None => refusal = Some("its action type is not one known value".into()),
                    Some(_) if action.origin != "action" => {
                        refusal = Some("a stage-condition rule is not a gate".into())
                    }
                    Some(("Invoke", "AWS", "InspectorScan")) => {
                        let mode = action
                            .configuration
                            .get("InspectorRunMode")
                            .and_then(|v| v.as_str());
                        if mode == Some("SourceCodeScan") {
                            accepted.push(Evidence {
                                role: "sca".into(),
                                accepted: true,
                                reason: "is an Amazon Inspector source code scan (AWS-managed)"
                                    .into(),
                                source: action.source.clone(),
                            });
                        } else {
                            refusal = Some("an Inspector scan verifies SCA only with InspectorRunMode SourceCodeScan".into());
                        }
                    }
                    Some(("Build" | "Test", "AWS", "CodeBuild")) => {
                        for g in &rules.projects {
                            if project_name == Some(g.name.as_str()) {
                                let actual = project
                                    .and_then(|p| p.buildspec.document.as_ref())
                                    .and_then(|k| buildspecs.get(k))
                                    .and_then(|b| b.sha256.as_deref());
                                match (&g.sha256, project.map(|p| p.buildspec.kind.as_str())) {
                                    (Some(want), _) if actual != Some(want.as_str()) => {
                                        pin_broken = true;
                                        refusal = Some(match actual {
                                            Some(have) => format!(
                                                "governance data pins project {}'s buildspec to sha256 {want}, but its inline buildspec hashes to {have}",
                                                g.name
                                            ),
                                            None => format!(
                                                "governance data pins project {}'s buildspec by sha256, and no inline buildspec of it is among the checked files",
                                                g.name
                                            ),
                                        });
                                    }
                                    (_, None | Some("inline")) => {
                                        for role in &g.roles {
                                            accepted.push(Evidence {
                                                role: role.clone(),
                                                accepted: true,
                                                reason: format!("runs project {}, a gate in governance data", g.name),
                                                source: action.source.clone(),
                                            });
                                        }
                                    }
                                    (_, Some(_)) => refusal = Some(format!(
                                        "governance data names project {} as a gate, but the checked files define it with a buildspec the repository owns",
                                        g.name
                                    )),
                                }
                            }
                        }
                        match project {
                            None if !action.project_candidates.is_empty() => {
                                refusal.get_or_insert_with(|| {
                                    format!(
                                        "its project name {} names several projects",
                                        action.project_name.as_deref().unwrap_or("")
                                    )
                                });
                            }
                            None => {
                                refusal.get_or_insert_with(|| {
                                    format!(
                                        "its project {} is not among the checked files",
                                        action.project_name.as_deref().unwrap_or("(none)")
                                    )
                                });
                            }
                            Some(p) if p.buildspec.kind != "inline" => {
                                refusal.get_or_insert_with(|| match p.buildspec.kind.as_str() {
                                    "file" | "default" => format!(
                                        "its project runs the repository's {}",
                                        p.buildspec.path.as_deref().unwrap_or("buildspec.yml")
                                    ),
                                    "s3" => "its project reads its buildspec from S3".into(),
                                    _ => "its project's buildspec cannot be resolved".into(),
                                });
                            }
                            Some(p) => {
                                let empty = Analysis::default();
                                let analysis = p
                                    .buildspec
                                    .document
                                    .as_ref()
                                    .and_then(|k| analyses.get(k))
                                    .unwrap_or(&empty);
                                verify(analysis, &mut accepted, &mut refusal);
                                // any spelling, even blank: the gate errs toward a finding
                                if action
                                    .configuration
                                    .keys()
                                    .any(|k| k.eq_ignore_ascii_case("BuildspecOverride"))
                                {
                                    accepted.clear();
                                    refusal = Some(
                                        "its BuildspecOverride replaces the platform's buildspec"
                                            .into(),
                                    );
                                }
                            }
                        }
                    }
                    Some(("Compute", "AWS", "Commands")) => {
                        let base = crate::parse::PathBuf(action.source.path.clone());
                        let key = "Commands";
                        let api = action.source.file.ends_with(".json")
                            && !action.source.path.starts_with("/Resources");
                        let list: Vec<(String, SourceRef)> = action
                            .configuration
                            .get(key)
                            .and_then(|v| v.as_array())
                            .map(|items| {
                                items
                                    .iter()
                                    .enumerate()
                                    .filter_map(|(i, v)| {
                                        v.as_str().map(|t| {
                                            (
                                                t.to_string(),
                                                SourceRef {
                                                    file: action.source.file.clone(),
                                                    path: base
                                                        .join(if api {
                                                            "commands"
                                                        } else {
                                                            "Commands"
                                                        })
                                                        .join(i)
                                                        .0,
                                                },
                                            )
                                        })
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        let commands: Vec<(&str, bool, SourceRef)> = list
                            .iter()
                            .map(|(t, s)| (t.as_str(), false, s.clone()))
                            .collect();
                        verify(&analyze(&commands, rules), &mut accepted, &mut refusal);
                    }
                    Some((category, _, provider)) => {
                        refusal = Some(format!(
                            "it is a {category} action by {provider}, not a scan stagegate can verify"
                        ));
                    }
                }
                if pin_broken {
                    accepted.clear();
                }
                if failure_continues && !accepted.is_empty() {
                    refusal = Some("its stage's OnFailure result SKIP lets the pipeline go on after a failed scan".into());
                    accepted.clear();
                }
                if let Some(v) = action.environment_overrides.first() {
                    if !accepted.is_empty() {
                        refusal = Some(format!(
                            "its environment sets {}, which changes what its buildspec runs",
                            v.name
                        ));
                        accepted.clear();
                    }
                }
                let mut roles: Vec<String> = accepted.iter().map(|e| e.role.clone()).collect();
                roles.sort();
                roles.dedup();
                let mut claimed: Vec<String> = evidence
                    .iter()
                    .map(|e| e.role.clone())
                    .filter(|r| !roles.contains(r))
                    .collect();
                claimed.sort();
                claimed.dedup();
                for e in &mut evidence {
                    if roles.contains(&e.role) {
                        e.accepted = true;
                        continue;
                    }
                    let why = refusal.clone().unwrap_or_else(|| {
                        format!(
                            "its commands run no {} scanner that can fail the build",
                            e.role.to_uppercase()
                        )
                    });
                    e.reason = format!(
                        "named like {} ({}), but {why}",
                        e.role.to_uppercase(),
                        e.reason
                    );
                }
                evidence.extend(accepted);
                action.locked = locked_override
                    .unwrap_or_else(|| roles.iter().any(|r| rules.locked_roles.contains(r)));
                action.locked_claim = locked_override.is_none()
                    && !action.locked
                    && claimed.iter().any(|r| rules.locked_roles.contains(r));
                let categories = &action.types.categories;
                action.is_build = action.origin != "action"
                    || roles.is_empty()
                        && (categories.is_empty()
                            || categories
                                .iter()
                                .any(|c| matches!(c.as_str(), "Build" | "Test" | "Compute")));
                action.is_deploy = categories.iter().any(|c| c == "Deploy");
                action.roles = roles;
                action.claimed_roles = claimed;
                action.gate_evidence = evidence;
            }
        }
        lineage(pipeline);
        merge_branch_gates(pipeline);
        lock_claimed_gates(pipeline);
        protection(pipeline);
    }
}

/// A platform-owned command list's analysis as accepted evidence, or the first refusal.
fn verify(analysis: &Analysis, accepted: &mut Vec<Evidence>, refusal: &mut Option<String>) {
    if let Some((why, _)) = analysis.repo_code.first() {
        refusal.get_or_insert_with(|| format!("its buildspec runs repository code ({why})"));
        return;
    }
    for (role, reason, source) in &analysis.gates {
        if !accepted
            .iter()
            .any(|e| &e.role == role && e.reason.starts_with("runs `"))
        {
            accepted.push(Evidence {
                role: role.clone(),
                accepted: true,
                reason: reason.clone(),
                source: source.clone(),
            });
        }
    }
    if let Some((_, why)) = analysis.refused.first() {
        if accepted.is_empty() {
            refusal.get_or_insert_with(|| why.clone());
        }
    }
}

/// Claims from names: the action's name, provider and project name matched against the
/// name patterns. Evidence, never proof.
fn claims(
    action: &super::Action,
    project: Option<&super::Project>,
    rules: &GateRules,
) -> Vec<Evidence> {
    let mut names = vec![
        ("action name", action.name.clone(), action.source.clone()),
        (
            "action provider",
            action.provider.clone(),
            action.source.clone(),
        ),
    ];
    if let Some(p) = project {
        let name = p
            .name
            .clone()
            .or_else(|| p.logical_id.clone())
            .unwrap_or_default();
        names.push(("project name", name, p.source.clone()));
    } else if let Some(n) = &action.project_name {
        names.push(("project name", n.clone(), action.source.clone()));
    }
    let mut out = Vec::new();
    for (what, name, source) in names {
        let normalized = normalize_name(&name);
        for (role, re) in &rules.name_patterns {
            if re.is_match(&normalized) {
                out.push(Evidence {
                    role: role.clone(),
                    accepted: false,
                    reason: format!("{what} \"{name}\""),
                    source: source.clone(),
                });
            }
        }
    }
    out
}

/// Variables of the action and its project that change what the buildspec runs, or whose
/// value another action, a developer or whoever starts the pipeline sets at run time.
fn overrides(
    action: &super::Action,
    project: Option<&super::Project>,
    build_namespaces: &[String],
) -> Vec<super::EnvVar> {
    let mut vars: Vec<super::EnvVar> = project
        .map(|p| p.environment.variables.clone())
        .unwrap_or_default();
    vars.extend(action.variables.iter().cloned());
    vars.into_iter()
        .filter(|v| {
            OVERRIDING_VARIABLES.contains(&v.name.to_ascii_uppercase().as_str())
                || super::resolve::runtime_variable(&v.value).is_some_and(|r| {
                    let inner = r.trim_start_matches("#{").trim_end_matches('}');
                    let (ns, var) = inner.split_once('.').unwrap_or((inner, ""));
                    // pipeline variables are set by whoever starts the pipeline, a build's
                    // by its buildspec; of a source's, the commit id and repository are the
                    // provider's, a commit message, branch or author what the developer wrote
                    let platform_set = ns == "codepipeline"
                        || ns != "variables"
                            && !build_namespaces.iter().any(|b| b == ns)
                            && SOURCE_VARIABLES_SET_BY_PROVIDER.contains(&var);
                    !platform_set
                })
        })
        .collect()
}

fn first_line(text: &str) -> &str {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    match line.char_indices().nth(60) {
        Some((i, _)) => line.get(..i).unwrap_or(line),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_in_every_case_style() {
        assert_eq!(
            normalize_name("OWASPDependencyCheck"),
            "owasp dependency check"
        );
        assert_eq!(normalize_name("dependency_check"), "dependency check");
        assert_eq!(normalize_name("sca-scan"), "sca scan");
        assert_eq!(normalize_name("Sca2"), "sca 2");
    }

    #[test]
    fn default_rules_recognise_gates_not_builds() {
        let rules = GateRules::default();
        let roles = |name: &str| -> Vec<&str> {
            let n = normalize_name(name);
            rules
                .name_patterns
                .iter()
                .filter(|(_, re)| re.is_match(&n))
                .map(|(r, _)| r.as_str())
                .collect()
        };
        assert_eq!(roles("SCA"), ["sca"]);
        assert_eq!(roles("SoftwareCompositionAnalysis"), ["sca"]);
        assert_eq!(roles("dependency-scan"), ["sca"]);
        assert_eq!(roles("SecretsScan"), ["secrets"]);
        assert_eq!(roles("SAST"), ["sast"]);
        assert!(roles("BuildAndTest").is_empty());
        assert!(roles("Scan").is_empty());
        assert!(roles("Cascade").is_empty());
    }
}
