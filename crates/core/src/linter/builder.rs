//! Configures a linter: policies, governance data, repository configuration, waivers.

use super::Linter;
use crate::config::RepoConfig;
use crate::date::Date;
use crate::error::Error;
use crate::governance::Governance;
use crate::parse::Limits;
use crate::policy::{PolicySet, PolicySources};
use crate::source::SourceFile;
use crate::waiver::WaiverSettings;
use std::path::Path;
use std::sync::Arc;

/// Configures a [`Linter`].
#[derive(Debug)]
pub struct LinterBuilder {
    sources: PolicySources,
    select: Option<Vec<String>>,
    limits: Limits,
    governance: Governance,
    config: RepoConfig,
    use_waivers: bool,
    report_unused_waivers: bool,
    today: Date,
    require: Vec<String>,
    terraform_vars: std::collections::BTreeMap<String, String>,
}

impl Default for LinterBuilder {
    fn default() -> Self {
        LinterBuilder {
            sources: PolicySources::default(),
            select: None,
            limits: Limits::default(),
            governance: Governance::default(),
            config: RepoConfig::default(),
            use_waivers: true,
            report_unused_waivers: false,
            today: Date::today(),
            require: Vec::new(),
            terraform_vars: Default::default(),
        }
    }
}

impl LinterBuilder {
    /// Adds the built-in policy pack.
    pub fn builtin_policies(mut self) -> Self {
        self.sources.builtin();
        self
    }

    /// Adds only the built-in helper library (`data.stagegate.lib`), for user policies
    /// without the built-in pack. A folder that brings its own `stagegate.lib` replaces it.
    pub fn builtin_lib(mut self) -> Self {
        self.sources.builtin_lib();
        self
    }

    /// Adds the policies in a folder (`<id>/policy.rego` with METADATA, helpers, tests).
    pub fn policy_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        self.sources.dir(dir.as_ref())?;
        Ok(self)
    }

    /// Adds one Rego module from memory (a policy when it has METADATA, else a helper).
    pub fn policy_text(mut self, path: &str, text: &str) -> Self {
        self.sources.text(path, text);
        self
    }

    /// Reads governance data (which actions are gates and locked, policy parameters).
    pub fn governance_file(self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = crate::config::read_config_file(path, false).map_err(|message| Error::Io {
            path: path.display().to_string(),
            message,
        })?;
        self.governance_text(&crate::source::display_path(path), &text)
    }

    /// Governance data from memory.
    pub fn governance_text(mut self, name: &str, text: &str) -> Result<Self, Error> {
        self.governance = Governance::parse(Arc::new(SourceFile::new(name, text)))
            .map_err(|problems| Error::Config { problems })?;
        Ok(self)
    }

    /// Applies a repository configuration: policy selection, severity overrides, waivers.
    /// What it may not do to non-waivable policies becomes error findings.
    pub fn repo_config(mut self, config: RepoConfig) -> Self {
        self.config = config;
        self
    }

    /// Honours waivers (config, governance, inline comments); on by default.
    pub fn waivers(mut self, on: bool) -> Self {
        self.use_waivers = on;
        self
    }

    /// Notes waivers that matched no finding.
    pub fn report_unused_waivers(mut self, on: bool) -> Self {
        self.report_unused_waivers = on;
        self
    }

    /// The date waiver expiry and phased enforcement are judged against (default: today).
    pub fn today(mut self, date: Date) -> Self {
        self.today = date;
        self
    }

    /// Runs only the policies with these ids.
    pub fn select(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.select = Some(ids.into_iter().map(Into::into).collect());
        self
    }

    /// Makes a check that finds no pipeline (`"pipelines"`) or no buildspec
    /// (`"buildspecs"`) incomplete (exit 2) rather than a pass. Governance data can require
    /// the same (`require:`).
    pub fn require(mut self, what: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.require.extend(what.into_iter().map(Into::into));
        self
    }

    /// A Terraform variable value, as `terraform apply -var name=value` passes it: the
    /// root modules that declare the variable get it (it wins over tfvars and defaults).
    pub fn terraform_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.terraform_vars.insert(name.into(), value.into());
        self
    }

    /// The values of a Terraform variables file, as `terraform apply -var-file` reads it
    /// (`*.tfvars` HCL, or `*.tfvars.json`); a value that is no literal is an error.
    pub fn terraform_var_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = crate::config::read_config_file(path, false).map_err(|message| Error::Io {
            path: path.display().to_string(),
            message,
        })?;
        let file = SourceFile::new(crate::source::display_path(path), text);
        let values = crate::parse::terraform_var_file(&file).map_err(|e| Error::Config {
            problems: vec![crate::error::Located::new(
                &Arc::new(file.clone()),
                e.span,
                e.message,
            )],
        })?;
        self.terraform_vars.extend(values);
        Ok(self)
    }

    /// Replaces the input size and nesting bounds.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Loads, compiles and test-evaluates the policies.
    pub fn build(self) -> Result<Linter, Error> {
        let mut policies = PolicySet::load(self.sources, self.governance.policy_data())?;
        let problems = self.governance.check_against(&policies);
        if !problems.is_empty() {
            return Err(Error::Config { problems });
        }
        if let Some(select) = &self.select {
            if let Some(unknown) = select.iter().find(|id| policies.policy(id).is_none()) {
                return Err(Error::UnknownPolicy {
                    id: unknown.clone(),
                });
            }
            policies.retain(|p| select.contains(&p.metadata.id));
        }
        let gov = self.governance;
        policies.lock(&gov.locked_policies);
        let config_findings = apply_repo_config(&mut policies, &self.config)?;
        let waivers = WaiverSettings {
            repo: if self.use_waivers {
                self.config.waivers.clone()
            } else {
                Vec::new()
            },
            platform: if self.use_waivers {
                gov.waivers.clone()
            } else {
                Vec::new()
            },
            inline: self.use_waivers,
            report_unused: self.report_unused_waivers,
            today: self.today,
        };
        let mut require = self.require;
        require.extend(gov.require.iter().cloned());
        require.sort();
        require.dedup();
        Ok(Linter {
            terraform_vars: self.terraform_vars,
            require,
            policies,
            gates: gov.gates,
            limits: self.limits,
            waivers,
            enforce_from: gov.enforce_from,
            config_findings,
        })
    }
}

/// Applies repository selection and severity overrides; refusing them for non-waivable
/// policies, which keep running at their own severity.
pub(super) fn apply_repo_config(
    policies: &mut PolicySet,
    config: &RepoConfig,
) -> Result<Vec<crate::Violation>, Error> {
    let mut refusals = Vec::new();
    let known = |policies: &PolicySet, id: &str, at: &crate::Location| -> Result<(), Error> {
        if policies.policy(id).is_none() && id != crate::waiver::REFUSED {
            return Err(Error::Policy {
                path: format!("{}:{}:{}", at.path, at.line, at.column),
                message: format!("no policy has the id `{id}`"),
            });
        }
        Ok(())
    };
    let waivable =
        |policies: &PolicySet, id: &str| policies.policy(id).is_none_or(|p| p.metadata.waivable);
    let mut drop: Vec<String> = Vec::new();
    for (id, at) in &config.ignore {
        known(policies, id, at)?;
        if waivable(policies, id) {
            drop.push(id.clone());
        } else {
            refusals.push(crate::waiver::refusal(
                format!(
                    "policy {id} cannot be disabled from repository configuration; it still runs"
                ),
                at.clone(),
            ));
        }
    }
    if let Some(select) = &config.select {
        for (id, at) in select {
            known(policies, id, at)?;
        }
        let at = select.first().map(|(_, at)| at.clone());
        for p in policies.policies() {
            let id = &p.metadata.id;
            if select.iter().any(|(s, _)| s == id) {
                continue;
            }
            if p.metadata.waivable {
                drop.push(id.clone());
            } else if let Some(at) = &at {
                refusals.push(crate::waiver::refusal(
                    format!("`select` leaves out policy {id}, which cannot be disabled from repository configuration; it still runs"),
                    at.clone(),
                ));
            }
        }
    }
    for (id, severity, at) in &config.severity {
        known(policies, id, at)?;
        if waivable(policies, id) {
            policies.set_severity(id, *severity);
        } else {
            refusals.push(crate::waiver::refusal(
                format!("policy {id} cannot be downgraded from repository configuration; it keeps its severity"),
                at.clone(),
            ));
        }
    }
    policies.retain(|p| !drop.contains(&p.metadata.id));
    Ok(refusals)
}
