//! discover: walk the given paths (respecting `.gitignore`), read candidate files, and
//! classify each parsed file by its content and conventional name.

use crate::parse::{Limits, Node};
use crate::source::SourceFile;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a file is, as far as stagegate is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A CodeBuild buildspec (`version` + `phases`/`batch`, or named `buildspec*.yml`).
    Buildspec,
    /// A CloudFormation template (CDK `*.template.json` included).
    Cloudformation,
    /// A CodePipeline declaration: `get-pipeline` output, `create-pipeline` input, or bare.
    Codepipeline,
    /// CodeBuild projects: `batch-get-projects` output or `create-project` input.
    Codebuild,
}

/// A file read for checking.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The file.
    pub file: Arc<SourceFile>,
    /// Named on the command line (or given in memory): an input whatever its content.
    pub explicit: bool,
}

/// A file that could not be read.
#[derive(Debug, Clone)]
pub struct ReadError {
    /// Display path.
    pub path: String,
    /// Why.
    pub message: String,
    /// The text read so far and the byte offset of the problem, when there is a place to
    /// point at (invalid UTF-8).
    pub at: Option<(Arc<SourceFile>, usize)>,
}

/// Walks `paths` and reads every YAML/JSON file found; files named explicitly are read
/// whatever their extension.
pub fn discover(paths: &[PathBuf], limits: &Limits) -> (Vec<Candidate>, Vec<ReadError>) {
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    let mut errors = Vec::new();
    // one working directory for every display path of this walk, not one lookup a file
    let cwd = std::env::current_dir().ok();
    let display_path = |p: &Path| display_path_in(cwd.as_deref(), p);
    for path in paths {
        if path.is_dir() {
            // only the repository's .gitignore files decide; `.ignore`, the user's global
            // gitignore and .git/info/exclude are not what the repository says it holds
            let walker = ignore::WalkBuilder::new(path)
                .hidden(false)
                .require_git(false)
                .ignore(false)
                .git_global(false)
                .git_exclude(false)
                .filter_entry(|e| e.file_name() != ".git")
                .sort_by_file_name(|a, b| a.cmp(b))
                .build();
            for entry in walker {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        if has_input_extension(e.path()) {
                            found.push((e.into_path(), false));
                        }
                    }
                    Ok(_) => {}
                    Err(err) => errors.push(ReadError {
                        path: display_path(path),
                        message: err.to_string(),
                        at: None,
                    }),
                }
            }
        } else if path.exists() {
            found.push((path.clone(), true));
        } else {
            errors.push(ReadError {
                path: display_path(path),
                message: "no such file or directory".into(),
                at: None,
            });
        }
    }
    // a file reached twice (`check . pipeline.yaml`) is read once; one walk (links are
    // not followed) reaches each file once, so resolving every path is only needed for more
    if paths.len() > 1 {
        let mut seen = std::collections::HashSet::new();
        found.retain(|(path, _)| seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())));
    }
    let mut candidates = Vec::new();
    for (path, explicit) in found {
        match read(&path, limits) {
            Ok(text) => candidates.push(Candidate {
                file: Arc::new(SourceFile::new(display_path(&path), text)),
                explicit,
            }),
            Err(Unreadable::Other(message)) => errors.push(ReadError {
                path: display_path(&path),
                message,
                at: None,
            }),
            Err(Unreadable::Utf8 { lossy, offset }) => errors.push(ReadError {
                path: display_path(&path),
                message: "not valid UTF-8".into(),
                at: Some((
                    Arc::new(SourceFile::new(display_path(&path), lossy)),
                    offset,
                )),
            }),
        }
    }
    (candidates, errors)
}

enum Unreadable {
    Other(String),
    Utf8 { lossy: String, offset: usize },
}

fn read(path: &Path, limits: &Limits) -> Result<String, Unreadable> {
    use std::io::Read as _;
    let other = |e: std::io::Error| Unreadable::Other(e.to_string());
    let file = std::fs::File::open(path).map_err(other)?;
    let len = file.metadata().map_err(other)?.len();
    let too_large = |len: u64| {
        Unreadable::Other(format!(
            "file is {len} bytes, larger than the {} byte limit (see --max-file-size)",
            limits.max_file_bytes
        ))
    };
    if len > limits.max_file_bytes {
        return Err(too_large(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    // a file that grows while it is read still stops at the limit
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(other)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        Unreadable::Utf8 {
            lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            offset,
        }
    })
}

fn has_input_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    )
}

/// A path relative to the working directory when it lies below it, with `/` separators.
pub fn display_path(path: &Path) -> String {
    display_path_in(std::env::current_dir().ok().as_deref(), path)
}

/// [`display_path`] against a working directory already looked up.
pub(crate) fn display_path_in(cwd: Option<&Path>, path: &Path) -> String {
    let rel = cwd
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Whether the file name alone says the file is a stagegate input (so a parse failure
/// is an error, not a skip).
pub fn name_says_input(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    (name.starts_with("buildspec") && yaml)
        || name.ends_with(".template.json")
        || name.ends_with(".template.yaml")
        || name.ends_with(".template.yml")
}

/// Whether text that does not parse still reads as a stagegate input (so a syntax error in
/// it fails the check instead of skipping the file).
pub fn text_says_input(text: &str) -> bool {
    text.contains("AWS::CodePipeline::Pipeline")
        || text.contains("AWS::CodeBuild::Project")
        || text.contains("AWSTemplateFormatVersion")
        || (text.contains("\"pipeline\"") && text.contains("\"stages\""))
        || (text.contains("\"projects\"") && text.contains("\"buildspec\""))
        || (text.lines().any(|l| l.starts_with("version:"))
            && text.lines().any(|l| l.starts_with("phases:")))
}

/// Classifies a parsed document by content first, then by name.
pub fn classify(path: &str, root: &Node) -> Option<Kind> {
    if let Some(resources) = root.get("Resources") {
        let aws_types = resources.entries().iter().any(|e| {
            e.value
                .get("Type")
                .and_then(Node::as_str)
                .is_some_and(|t| t.starts_with("AWS::") || t.starts_with("Custom::"))
        });
        if aws_types || root.get("AWSTemplateFormatVersion").is_some() {
            return Some(Kind::Cloudformation);
        }
    }
    if root
        .get("pipeline")
        .is_some_and(|p| p.get("stages").is_some())
        || (root.get("stages").is_some() && root.get("name").is_some())
    {
        return Some(Kind::Codepipeline);
    }
    if root.get("projects").is_some_and(|p| !p.items().is_empty())
        || (root.get("name").is_some()
            && root.get("source").is_some_and(|s| s.get("type").is_some()))
    {
        return Some(Kind::Codebuild);
    }
    if root.get("version").is_some()
        && (root.get("phases").is_some() || root.get("batch").is_some())
    {
        return Some(Kind::Buildspec);
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    // a file named as a buildspec is one, whatever it holds: a wrong shape is an error there
    if name.starts_with("buildspec") && (name.ends_with(".yml") || name.ends_with(".yaml")) {
        return Some(Kind::Buildspec);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn kind(path: &str, text: &str) -> Option<Kind> {
        let doc = parse(Arc::new(SourceFile::new(path, text)), &Limits::default()).unwrap();
        classify(path, doc.root().unwrap())
    }

    #[test]
    fn classifies_by_content() {
        assert_eq!(
            kind("x.yml", "version: 0.2\nphases: {}\n"),
            Some(Kind::Buildspec)
        );
        assert_eq!(
            kind(
                "t.yaml",
                "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n"
            ),
            Some(Kind::Cloudformation)
        );
        assert_eq!(
            kind(
                "p.json",
                r#"{"pipeline": {"name": "p", "stages": []}, "metadata": {}}"#
            ),
            Some(Kind::Codepipeline)
        );
        assert_eq!(
            kind(
                "p.json",
                r#"{"projects": [{"name": "a"}], "projectsNotFound": []}"#
            ),
            Some(Kind::Codebuild)
        );
        assert_eq!(kind("other.yml", "jobs: {}\n"), None);
        assert_eq!(
            kind("buildspec-sca.yml", "env: {}\n"),
            Some(Kind::Buildspec)
        );
    }

    #[test]
    fn conventional_names_are_inputs() {
        assert!(name_says_input("ci/buildspec_release.yml"));
        assert!(name_says_input("cdk.out/Stack.template.json"));
        assert!(!name_says_input("chart/templates/deploy.yaml"));
    }
}
