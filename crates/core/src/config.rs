//! Repository configuration (`.stagegate.yaml`): which policies run, at which severity,
//! when the check fails, and the repository's waivers; and the bounded reading and schema
//! validation that configuration and governance files share.

use crate::error::{Error, Located};
use crate::parse::{self, Limits, Node, PathBuf};
use crate::report::Location;
use crate::severity::Severity;
use crate::source::{SourceFile, Span};
use crate::waiver::{waivers_of, Waiver};
use serde_json::Value as Json;
use std::sync::Arc;

/// When a check fails on its findings: at one of this severity or above, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Note,
    /// Never on findings (problems still make the check incomplete).
    Never,
}

impl FailOn {
    /// Parses `error`, `warning`, `note` or `never`.
    pub fn parse(s: &str) -> Option<FailOn> {
        match s {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "note" => Some(FailOn::Note),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }

    /// The lowest severity that fails the check; `None` for never.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

/// The JSON Schema of `.stagegate.yaml`.
pub const SCHEMA: &str = include_str!("../../../schemas/config.schema.json");

/// Parsed `.stagegate.yaml`.
#[derive(Debug, Clone, Default)]
pub struct RepoConfig {
    /// Run only these policies.
    pub select: Option<Vec<(String, Location)>>,
    /// Do not run these policies.
    pub ignore: Vec<(String, Location)>,
    /// Severity overrides.
    pub severity: Vec<(String, Severity, Location)>,
    /// `fail-on`.
    pub fail_on: Option<FailOn>,
    /// Waivers.
    pub waivers: Vec<Waiver>,
    /// The file, for snippets of refusals.
    pub file: Option<Arc<SourceFile>>,
}

/// Validates `root` against a JSON Schema; errors located in `file`.
pub(crate) fn validate(
    file: &Arc<SourceFile>,
    root: &Node,
    schema: &str,
) -> Result<(), Vec<Located>> {
    let at = |span: Span, message: String| Located::new(file, span, message);
    let schema: Json =
        serde_json::from_str(schema).map_err(|e| vec![at(root.span, format!("schema: {e}"))])?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| vec![at(root.span, format!("schema: {e}"))])?;
    let data = root.to_json();
    let errors: Vec<Located> = validator
        .iter_errors(&data)
        .map(|e| {
            let path = e.instance_path().as_str().to_string();
            let tokens = PathBuf::segments(&path)
                .into_iter()
                .next()
                .unwrap_or_default();
            let message = if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            };
            at(root.resolve(&tokens).0, message)
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

impl RepoConfig {
    /// Parses and validates a configuration file.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let file = Arc::new(stagegate::SourceFile::new(".stagegate.yaml", "fail-on: warning\n"));
    /// let config = stagegate::RepoConfig::parse(file).expect("valid");
    /// assert_eq!(config.fail_on, Some(stagegate::FailOn::Warning));
    /// ```
    pub fn parse(file: Arc<SourceFile>) -> Result<RepoConfig, Vec<Located>> {
        let doc = parse::parse(file.clone(), &Limits::default())
            .map_err(|e| vec![Located::new(&file, e.span, e.message)])?;
        let Some(root) = doc.root().filter(|r| !r.is_null()) else {
            return Ok(RepoConfig {
                file: Some(file),
                ..RepoConfig::default()
            });
        };
        validate(&file, root, SCHEMA)?;
        let (waivers, problems) = waivers_of(&file, root.get("waivers"), false);
        if !problems.is_empty() {
            return Err(problems);
        }
        let ids = |key: &str| -> Vec<(String, Location)> {
            root.get(key)
                .map(|l| {
                    l.items()
                        .iter()
                        .filter_map(|n| {
                            Some((n.as_str()?.to_string(), Location::new(&file, n.span)))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let severity = root
            .get("severity")
            .map(Node::entries)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let s = Severity::parse(e.value.as_str()?)?;
                Some((e.key.clone(), s, Location::new(&file, e.span())))
            })
            .collect();
        Ok(RepoConfig {
            select: root.get("select").map(|_| ids("select")),
            ignore: ids("ignore"),
            severity,
            // the schema allows only the four words
            fail_on: root
                .get("fail-on")
                .and_then(Node::as_str)
                .and_then(FailOn::parse),
            waivers,
            file: Some(file),
        })
    }

    /// Reads a configuration file; waiver `paths` are then relative to its folder.
    pub fn load(path: &std::path::Path) -> Result<RepoConfig, Error> {
        let text = read_config_file(path, true).map_err(|message| Error::Io {
            path: crate::source::display_path(path),
            message,
        })?;
        let file = Arc::new(SourceFile::new(crate::source::display_path(path), text));
        let mut config = RepoConfig::parse(file).map_err(|problems| Error::Config { problems })?;
        let base = path
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(std::path::Path::to_path_buf));
        for w in &mut config.waivers {
            w.base.clone_from(&base);
        }
        Ok(config)
    }

    /// Finds `.stagegate.yaml` (or `.yml`) in `start` or the nearest folder above it.
    pub fn discover(start: &std::path::Path) -> Option<std::path::PathBuf> {
        let start = start.canonicalize().ok()?;
        let mut dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            for name in [".stagegate.yaml", ".stagegate.yml"] {
                let candidate = d.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
            dir = d.parent();
        }
        None
    }
}

/// Largest configuration or governance file read.
pub(crate) const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads a configuration file: a regular file of at most [`MAX_CONFIG_BYTES`]. With
/// `same_folder`, a link to a file outside the folder it sits in (a repository's
/// `.stagegate.yaml` pointing anywhere on the machine) is refused unread.
pub(crate) fn read_config_file(
    path: &std::path::Path,
    same_folder: bool,
) -> Result<String, String> {
    use std::io::Read as _;
    let link = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if same_folder && link.file_type().is_symlink() {
        let target = path.canonicalize().map_err(|e| e.to_string())?;
        let folder = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| p.canonicalize().ok());
        if !folder.is_some_and(|f| target.starts_with(f)) {
            return Err("is a link to a file outside its folder; not read".into());
        }
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("is not a regular file; not read".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!("is larger than {MAX_CONFIG_BYTES} bytes; not read"));
    }
    String::from_utf8(bytes).map_err(|_| "is not valid UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    #[test]
    fn config_is_validated_with_locations() {
        let f = Arc::new(SourceFile::new(
            ".stagegate.yaml",
            "version: 1\nwaivers:\n  - policy: build-without-sca\n    paths: [a.yaml]\n",
        ));
        let errs = RepoConfig::parse(f).unwrap_err();
        assert!(errs[0].message.contains("reason"), "{errs:?}");
        assert!(errs[0].to_string().starts_with(".stagegate.yaml:3:5: "));
        let f = Arc::new(SourceFile::new(".stagegate.yaml", "fail-on: warning\nignore: [buildspec-legacy-version]\nwaivers:\n  - policy: x\n    reason: accepted risk\n    action: Build\n    expires: 2026-12-31\n"));
        let c = RepoConfig::parse(f).unwrap();
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert_eq!(c.ignore[0].0, "buildspec-legacy-version");
        assert_eq!(c.waivers[0].expires, Date::parse("2026-12-31"));
    }
}
