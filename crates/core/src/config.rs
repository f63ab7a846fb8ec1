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

/// Validates `root` against a JSON Schema; errors located in `file`, at the key or value
/// that is wrong, and said in the file's terms rather than the schema's.
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
            let (span, message) = explain(&file.text, root, &tokens, &e, &schema);
            let message = if path.is_empty() {
                message
            } else {
                format!("{path}: {message}")
            };
            at(span, message)
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Where a schema error is shown and what it says: an unknown key at that key (with the
/// keys allowed there), a missing one at its mapping's first line, a wrong value at the
/// value.
fn explain(
    text: &str,
    root: &Node,
    tokens: &[String],
    e: &jsonschema::ValidationError<'_>,
    schema: &Json,
) -> (Span, String) {
    use jsonschema::error::ValidationErrorKind as Kind;
    let node = node_at(root, tokens);
    let entry = root.resolve(tokens).0;
    let first_line = |span: Span| -> Span {
        let covered = text.get(span.start..span.end).unwrap_or_default();
        match covered.split_once('\n') {
            Some((line, _)) => Span {
                start: span.start,
                end: span.start + line.trim_end().len(),
            },
            None => span,
        }
    };
    let subschema = schema_at(schema, e.schema_path().as_str());
    match e.kind() {
        Kind::AdditionalProperties { unexpected } => {
            let key = unexpected.first().cloned().unwrap_or_default();
            let span = node
                .and_then(|n| n.entries().iter().find(|x| x.key == key))
                .map_or(first_line(entry), |x| x.key_span);
            let allowed: Vec<String> = subschema
                .and_then(|s| s.get("properties"))
                .and_then(Json::as_object)
                .map(|p| p.keys().map(|k| format!("`{k}`")).collect())
                .unwrap_or_default();
            let mut message = format!("unknown key `{key}`");
            if !allowed.is_empty() {
                message.push_str(&format!(" (allowed here: {})", allowed.join(", ")));
            }
            (span, message)
        }
        Kind::AnyOf { .. } => {
            // `anyOf` of `required` alternatives: one of these keys must be there
            let keys: Vec<String> = subschema
                .and_then(|s| s.get("anyOf"))
                .and_then(Json::as_array)
                .map(|alts| {
                    alts.iter()
                        .filter_map(|a| a.get("required")?.as_array()?.first()?.as_str())
                        .map(|k| format!("`{k}`"))
                        .collect()
                })
                .unwrap_or_default();
            let message = if keys.is_empty() {
                e.to_string()
            } else {
                format!("needs one of {} to say what it applies to", keys.join(", "))
            };
            (first_line(entry), message)
        }
        Kind::Required { property } => (
            first_line(entry),
            format!("`{}` is missing", property.as_str().unwrap_or_default()),
        ),
        Kind::Enum { options } => {
            let allowed: Vec<String> = options
                .as_array()
                .map(|o| o.iter().map(|v| v.to_string()).collect())
                .unwrap_or_default();
            (
                node.map_or(entry, |n| n.span),
                format!("{} is not one of {}", e.instance(), allowed.join(", ")),
            )
        }
        _ => (node.map_or(entry, |n| n.span), e.to_string()),
    }
}

/// The node `tokens` names, if the whole path is there.
fn node_at<'a>(root: &'a Node, tokens: &[String]) -> Option<&'a Node> {
    let mut node = root;
    for t in tokens {
        node = match node.get(t) {
            Some(n) => n,
            None => t.parse::<usize>().ok().and_then(|i| node.items().get(i))?,
        };
    }
    Some(node)
}

/// The schema object that a keyword of `path` (a JSON pointer into the schema, through
/// `$ref`s) belongs to.
fn schema_at<'a>(schema: &'a Json, path: &str) -> Option<&'a Json> {
    let mut tokens: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    tokens.pop();
    let mut node = schema;
    for t in &tokens {
        node = if t == "$ref" {
            let target = node.get("$ref")?.as_str()?.strip_prefix('#')?;
            schema.pointer(target)?
        } else {
            node.get(t)
                .or_else(|| t.parse::<usize>().ok().and_then(|i| node.get(i)))?
        };
    }
    Some(node)
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

    /// Each schema error is at the key or value that is wrong, in the file's terms.
    #[test]
    fn schema_errors_name_the_wrong_key_or_value() {
        let text = "version: 1\nwaivers:\n  - policy: x\n    reason: accepted risk\n  - policy: y\n    paths: [a]\n    reason: fine then\n    expirse: 2027-01-01\nfail-on: eror\n";
        let f = Arc::new(SourceFile::new(".stagegate.yaml", text));
        let errs: Vec<String> = RepoConfig::parse(f)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert!(
            errs.contains(&".stagegate.yaml:3:5: /waivers/0: needs one of `paths`, `pipeline`, `stage`, `action` to say what it applies to".to_string()),
            "{errs:#?}"
        );
        let unknown = errs.iter().find(|e| e.contains("expirse")).unwrap();
        assert!(
            unknown.starts_with(".stagegate.yaml:8:5: /waivers/1: unknown key `expirse` (allowed here: `policy`, "),
            "{unknown}"
        );
        assert!(unknown.contains("`expires`"), "{unknown}");
        assert!(
            errs.contains(&r#".stagegate.yaml:9:10: /fail-on: "eror" is not one of "error", "warning", "note", "never""#.to_string()),
            "{errs:#?}"
        );
    }
}
