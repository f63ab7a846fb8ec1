//! A collection: the dumps `stagegate collect aws` writes of live accounts, one folder per
//! account and region, and the manifest of what was read and what could not be.
//!
//! ```text
//! DIR/stagegate-collection.json                  the manifest
//! DIR/ACCOUNT/REGION/pipelines/NAME.json         get-pipeline output, one per pipeline
//! DIR/ACCOUNT/REGION/codebuild-projects-NNN.json batch-get-projects output, 100 projects each
//! ```
//!
//! An audit of such a folder takes its workspaces from the manifest, and a scope that was
//! not read whole is an incomplete workspace: an account that could not be entered or a
//! region whose pipelines could not be listed never reads as an empty pass.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest's file name, at the top of the collection.
pub const MANIFEST: &str = "stagegate-collection.json";

/// What an unfinished collection misses.
pub const UNFINISHED: &str = "the collection did not finish (its sweep was interrupted, or \
     still runs): what it holds may not be all there is";

/// The manifest format this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// What a collection holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The source: `aws`.
    pub source: String,
    /// The identity the sweep started from (`sts:GetCallerIdentity` ARN), when known.
    pub caller: Option<String>,
    /// When the sweep started and ended (RFC 3339, UTC).
    pub started: String,
    /// When the sweep ended; none while it runs, or when it was interrupted (an audit then
    /// calls the collection incomplete).
    pub finished: Option<String>,
    /// Every account and region read, or tried.
    pub scopes: Vec<Scope>,
    /// What failed outside any one region: an account that could not be entered, regions
    /// that could not be listed. Each makes the collection incomplete.
    pub failures: Vec<Failure>,
    /// What was left out for a reason that is no failure (an account that is not ACTIVE).
    pub skipped: Vec<String>,
}

/// One account and region.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scope {
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// Its folder, relative to the collection (`ACCOUNT/REGION`).
    pub folder: String,
    /// Pipelines written.
    pub pipelines: usize,
    /// CodeBuild projects written.
    pub projects: usize,
    /// What could not be read here; empty when the scope was read whole.
    pub failures: Vec<Failure>,
    /// What was left out for a reason that is no failure (a pipeline deleted during the
    /// sweep).
    pub skipped: Vec<String>,
}

/// A call that failed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Failure {
    /// Account id, when the failure is about one.
    pub account: Option<String>,
    /// Region, when the failure is about one.
    pub region: Option<String>,
    /// The IAM action of the call (`codepipeline:GetPipeline`): what a role lacking it
    /// needs.
    pub action: String,
    /// What it was called on (a pipeline name, a role ARN), when not the whole scope.
    pub resource: Option<String>,
    /// The service's error code (`AccessDeniedException`), or the kind of failure
    /// (`dispatch`, `timeout`).
    pub code: String,
    /// The service's message.
    pub message: String,
}

impl Failure {
    /// One line naming the scope, the call and the cause.
    pub fn describe(&self) -> String {
        let scope = match (&self.account, &self.region) {
            (Some(a), Some(r)) => format!("{a}/{r}: "),
            (Some(a), None) => format!("{a}: "),
            (None, Some(r)) => format!("{r}: "),
            (None, None) => String::new(),
        };
        let on = self
            .resource
            .as_ref()
            .map_or(String::new(), |r| format!(" on {r}"));
        let hint = if is_access_denied(&self.code) {
            format!(" (the role needs {})", self.action)
        } else {
            String::new()
        };
        format!(
            "{scope}{}{on} failed: {}: {}{hint}",
            self.action, self.code, self.message
        )
    }
}

/// Whether an error code says the caller may not make the call.
pub fn is_access_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "AuthorizationError"
            | "AccessDeniedForDependencyException"
    )
}

impl Manifest {
    /// Reads the manifest of the collection at `dir`: `Ok(None)` when `dir` holds none.
    pub fn load(dir: &Path) -> Result<Option<Manifest>, String> {
        let path = dir.join(MANIFEST);
        if !path.is_file() {
            return Ok(None);
        }
        let display = crate::source::display_path(&path);
        let text =
            crate::config::read_config_file(&path, false).map_err(|e| format!("{display}: {e}"))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| format!("{display}: {e}"))?;
        if manifest.version != FORMAT_VERSION {
            return Err(format!(
                "{display}: manifest version {} (this stagegate reads version {FORMAT_VERSION})",
                manifest.version
            ));
        }
        // accounts and regions name folders: only plain ones, so no entry reaches outside
        let account_ok = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
        let region_ok = |r: &str| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        for s in &manifest.scopes {
            if !account_ok(&s.account)
                || !region_ok(&s.region)
                || s.folder != format!("{}/{}", s.account, s.region)
            {
                return Err(format!(
                    "{display}: scope folder `{}` is not ACCOUNT/REGION of its scope",
                    s.folder
                ));
            }
        }
        let failures = manifest
            .failures
            .iter()
            .chain(manifest.scopes.iter().flat_map(|s| &s.failures));
        for f in failures {
            if !f.account.as_deref().is_none_or(account_ok)
                || !f.region.as_deref().is_none_or(region_ok)
            {
                return Err(format!(
                    "{display}: a failure names the account {:?} and region {:?}",
                    f.account, f.region
                ));
            }
        }
        if manifest.finished.is_some() && manifest.scopes.is_empty() && manifest.failures.is_empty()
        {
            return Err(format!(
                "{display}: the manifest records no scope and no failure: a sweep reads at least one"
            ));
        }
        Ok(Some(manifest))
    }

    /// What it records as missing from the folders (`ACCOUNT/REGION`, `ACCOUNT`) that
    /// `within` takes: their failures, and an unfinished sweep or a failure of no account,
    /// which every folder misses.
    fn missing(&self, within: impl Fn(&str) -> bool) -> Vec<String> {
        let mut missing = Vec::new();
        if self.finished.is_none() {
            missing.push(UNFINISHED.to_string());
        }
        for s in self.scopes.iter().filter(|s| within(&s.folder)) {
            missing.extend(s.failures.iter().map(Failure::describe));
        }
        for f in &self.failures {
            let folder = match (&f.account, &f.region) {
                (Some(a), Some(r)) => format!("{a}/{r}"),
                (Some(a), None) => a.clone(),
                _ => String::new(),
            };
            if folder.is_empty() || within(&folder) {
                missing.push(f.describe());
            }
        }
        missing
    }

    /// Whether the sweep ended, every scope was read whole and nothing failed outside them.
    pub fn complete(&self) -> bool {
        self.finished.is_some()
            && self.failures.is_empty()
            && self.scopes.iter().all(|s| s.failures.is_empty())
    }
}

/// What a collection records as missing from `path` (the collection itself, or a folder of
/// it such as `ACCOUNT` or `ACCOUNT/REGION`): the failures of its scopes and accounts, and
/// an unfinished sweep. A check of part of a collection is incomplete as an audit of it
/// would be. Empty when `path` lies in no collection.
pub fn missing_from(path: &Path) -> Vec<String> {
    let Ok(path) = path.canonicalize() else {
        return Vec::new();
    };
    // a scope folder is two levels below its collection; a pipeline dump four
    for root in path.ancestors().take(5) {
        let manifest = match Manifest::load(root) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(message) => return vec![message],
        };
        let below = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        // a scope or account folder and the path overlap when one holds the other
        let overlaps = |folder: &str| {
            below.is_empty()
                || folder == below
                || folder.starts_with(&format!("{below}/"))
                || below.starts_with(&format!("{folder}/"))
        };
        return manifest.missing(overlaps);
    }
    Vec::new()
}

/// What the collection at `dir` records as missing outside the `exclude` folders (other
/// workspaces of a sweep, which take their own): for a manifest met in a walk, so that a
/// collection inside a checked folder (a repository, a folder of dumps) keeps its failures.
pub fn missing_in(dir: &Path, exclude: &[std::path::PathBuf]) -> Vec<String> {
    let manifest = match Manifest::load(dir) {
        Ok(Some(m)) => m,
        Ok(None) => return Vec::new(),
        Err(message) => return vec![message],
    };
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let dir = real(dir);
    let exclude: Vec<std::path::PathBuf> = exclude.iter().map(|e| real(e)).collect();
    manifest.missing(|folder| {
        let path = dir.join(folder);
        !exclude.iter().any(|e| path.starts_with(e))
    })
}

/// The ARN of a pipeline: what a console link or an inventory keys on.
pub fn pipeline_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:codepipeline:{region}:{account}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_call_names_the_action_the_role_needs() {
        let f = Failure {
            account: Some("222233334444".into()),
            region: Some("eu-west-1".into()),
            action: "codepipeline:ListPipelines".into(),
            resource: None,
            code: "AccessDeniedException".into(),
            message: "not authorized".into(),
        };
        assert_eq!(
            f.describe(),
            "222233334444/eu-west-1: codepipeline:ListPipelines failed: AccessDeniedException: \
             not authorized (the role needs codepipeline:ListPipelines)"
        );
    }

    #[test]
    fn a_scope_folder_outside_the_collection_is_refused() {
        let bad_failure = Failure {
            account: Some("/etc".into()),
            ..Failure::default()
        };
        let dir = std::env::temp_dir().join(format!("stagegate-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut m = Manifest {
            version: FORMAT_VERSION,
            source: "aws".into(),
            ..Manifest::default()
        };
        m.scopes.push(Scope {
            folder: "../elsewhere".into(),
            ..Scope::default()
        });
        std::fs::write(dir.join(MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
        let err = Manifest::load(&dir).unwrap_err();
        assert!(err.contains("is not ACCOUNT/REGION of its scope"), "{err}");
        m.scopes[0].account = "111122223333".into();
        m.scopes[0].region = "eu-west-1".into();
        m.scopes[0].folder = "111122223333/eu-west-1".into();
        std::fs::write(dir.join(MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(Manifest::load(&dir).unwrap(), Some(m.clone()));
        m.failures.push(bad_failure);
        std::fs::write(dir.join(MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
        let err = Manifest::load(&dir).unwrap_err();
        assert!(err.contains("a failure names the account"), "{err}");
        m.failures.clear();
        m.scopes.clear();
        m.finished = Some("2026-12-02T00:00:00Z".into());
        std::fs::write(dir.join(MANIFEST), serde_json::to_string(&m).unwrap()).unwrap();
        let err = Manifest::load(&dir).unwrap_err();
        assert!(err.contains("records no scope and no failure"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
