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
    /// Its text and display path.
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

/// What a walk found: the files read, the files that could not be read, and what it left
/// out on purpose.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Files read.
    pub candidates: Vec<Candidate>,
    /// Files that could not be read.
    pub errors: Vec<ReadError>,
    /// (display path, why) of what was left out: links that leave the checked folder.
    pub notes: Vec<(String, String)>,
    /// Untracked files with an input's name that `.gitignore` excludes, not read.
    pub ignored: Vec<String>,
}

/// Walks `paths` and reads every file with an input's name (YAML, JSON, templates); files
/// named explicitly are read whatever their name.
///
/// `.gitignore` decides only for files git does not track: in a git work tree every
/// tracked file is read whatever `.gitignore` says, and `cdk.out/` (CDK's output, produced
/// to be checked) is always read. Without git metadata (a CodePipeline source artifact,
/// an export) nothing tells tracked from untracked, so nothing is left out. Links are
/// followed while they stay inside the checked folder; a link that leaves it is noted, not
/// read.
pub fn discover(paths: &[PathBuf], limits: &Limits) -> Discovered {
    discover_excluding(paths, &[], limits)
}

/// [`discover`] with the folders `exclude` left out of every walk.
pub fn discover_excluding(paths: &[PathBuf], exclude: &[PathBuf], limits: &Limits) -> Discovered {
    let mut out = Discovered::default();
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    // one working directory for every display path of this walk, not one lookup a file
    let cwd = std::env::current_dir().ok();
    let display_path = |p: &Path| crate::source::display_path_in(cwd.as_deref(), p);
    let mut saw_link = false;
    for path in paths {
        if path.is_dir() {
            let walked = walk(path, exclude);
            saw_link |= walked.links;
            out.errors
                .extend(walked.errors.into_iter().map(|message| ReadError {
                    path: display_path(path),
                    message,
                    at: None,
                }));
            // resolved only when a link needs checking: a system call per workspace counts
            // in a sweep of thousands
            let root = std::cell::OnceCell::new();
            let root = || root.get_or_init(|| path.canonicalize().unwrap_or_else(|_| path.clone()));
            let excluded = if walked.gitignores {
                gitignored(path, &walked.files)
            } else {
                Vec::new()
            };
            for (file, via_link) in walked.files {
                if via_link {
                    match file.canonicalize() {
                        Ok(target) if target.starts_with(root()) => {}
                        Ok(target) => {
                            out.notes.push((
                                display_path(&file),
                                format!(
                                    "not read: a link to {}, outside the checked folder",
                                    target.display()
                                ),
                            ));
                            continue;
                        }
                        Err(e) => {
                            out.errors.push(ReadError {
                                path: display_path(&file),
                                message: format!("cannot follow the link: {e}"),
                                at: None,
                            });
                            continue;
                        }
                    }
                }
                if excluded.contains(&file) {
                    out.ignored.push(display_path(&file));
                    continue;
                }
                found.push((file, false));
            }
        } else if path.exists() {
            found.push((path.clone(), true));
        } else {
            out.errors.push(ReadError {
                path: display_path(path),
                message: "no such file or directory".into(),
                at: None,
            });
        }
    }
    // a file reached twice (`check . pipeline.yaml`, or through a link) is read once
    if paths.len() > 1 || saw_link {
        let mut seen = std::collections::HashSet::new();
        found.retain(|(path, _)| seen.insert(path.canonicalize().unwrap_or_else(|_| path.clone())));
    }
    for (path, explicit) in found {
        match read(&path, limits) {
            Ok(text) => out.candidates.push(Candidate {
                file: Arc::new(SourceFile::new(display_path(&path), text)),
                explicit,
            }),
            Err(Unreadable::Other(message)) => out.errors.push(ReadError {
                path: display_path(&path),
                message,
                at: None,
            }),
            Err(Unreadable::Utf8 { lossy, offset }) => out.errors.push(ReadError {
                path: display_path(&path),
                message: "not valid UTF-8".into(),
                at: Some((
                    Arc::new(SourceFile::new(display_path(&path), lossy)),
                    offset,
                )),
            }),
        }
    }
    out
}

/// Whether a walk of `dir`, leaving out `exclude`, meets any file with an input's name.
pub(crate) fn holds_inputs(dir: &Path, exclude: &[PathBuf]) -> bool {
    !walk(dir, exclude).files.is_empty()
}

/// The files with an input's name below `dir`, less the `exclude` folders.
pub(crate) fn input_files(dir: &Path, exclude: &[PathBuf]) -> Vec<PathBuf> {
    walk(dir, exclude).files.into_iter().map(|(p, _)| p).collect()
}

/// One folder's walk: files with an input's name (and whether a link led to them),
/// whether any `.gitignore` was met, whether any link was followed.
struct Walked {
    files: Vec<(PathBuf, bool)>,
    gitignores: bool,
    links: bool,
    errors: Vec<String>,
}

fn walk(dir: &Path, exclude: &[PathBuf]) -> Walked {
    let mut out = Walked {
        files: Vec::new(),
        gitignores: false,
        links: false,
        errors: Vec::new(),
    };
    // every file is visited; what .gitignore says is decided afterwards, for untracked
    // files only. Following links, the walker stops at a loop.
    // excluded folders are compared by what they are, so a link to one is left out too;
    // a sweep excludes one folder per workspace from its root, so they are looked up by hash
    let exclude: std::collections::HashSet<PathBuf> = exclude
        .iter()
        .map(|x| x.canonicalize().unwrap_or_else(|_| x.clone()))
        .collect();
    let excluded = move |e: &ignore::DirEntry| {
        !exclude.is_empty()
            && e.file_type().is_some_and(|t| t.is_dir())
            && e.path()
                .canonicalize()
                .is_ok_and(|real| exclude.contains(&real))
    };
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(true)
        .filter_entry(move |e| e.file_name() != ".git" && !excluded(e))
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                let is_link = e.path_is_symlink();
                if is_link {
                    out.links = true;
                }
                if e.file_name() == ".gitignore" {
                    out.gitignores = true;
                }
                if e.file_type().is_some_and(|t| t.is_file()) && has_input_extension(e.path()) {
                    // a file below a followed folder link is reached through it too
                    let via_link = is_link || (out.links && below_link(dir, e.path()));
                    out.files.push((e.into_path(), via_link));
                }
            }
            Err(err) => {
                // a loop of links is where following stops, not a problem with the input
                if !err.to_string().contains("loop") {
                    out.errors.push(err.to_string());
                }
            }
        }
    }
    out
}

/// Whether a component of `path` below `root` is a symbolic link.
fn below_link(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return true;
    };
    let mut at = root.to_path_buf();
    let mut components = rel.components().peekable();
    while let Some(c) = components.next() {
        at.push(c);
        if components.peek().is_some()
            && std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink())
        {
            return true;
        }
    }
    false
}

/// The files of `walked` that `.gitignore` excludes and git does not track: only in a git
/// work tree whose tracked files git can list, and never below `cdk.out/`.
fn gitignored(dir: &Path, walked: &[(PathBuf, bool)]) -> Vec<PathBuf> {
    let Some(tracked) = tracked_files(dir) else {
        return Vec::new();
    };
    let kept: std::collections::HashSet<PathBuf> = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(true)
        .ignore(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(true)
        .filter_entry(|e| e.file_name() != ".git")
        .build()
        .filter_map(Result::ok)
        .map(ignore::DirEntry::into_path)
        .collect();
    walked
        .iter()
        .map(|(p, _)| p)
        .filter(|p| !kept.contains(*p))
        .filter(|p| !p.components().any(|c| c.as_os_str() == "cdk.out"))
        .filter(|p| {
            p.strip_prefix(dir)
                .map_or(true, |rel| !tracked.contains(rel))
        })
        .cloned()
        .collect()
}

/// Paths (relative to `dir`) of the files git tracks below `dir`, or `None` when `dir` is
/// not in a git work tree or git cannot list them.
fn tracked_files(dir: &Path) -> Option<std::collections::HashSet<PathBuf>> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "-z", "--cached"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        out.stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned()))
            .collect(),
    )
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

/// The names AWS users give inputs: YAML and JSON, CloudFormation's own extensions
/// (`*.template`, `*.cfn`), and Terraform's (`*.tf`, `*.tfvars`), in any letter case.
fn has_input_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| matches!(e.as_str(), "yml" | "yaml" | "json" | "template" | "cfn" | "tf" | "tfvars"))
}

/// Whether the file name alone says the file is a stagegate input (so a parse failure
/// is an error, not a skip).
pub fn name_says_input(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    (name.starts_with("buildspec") && yaml) || name_says_template(&name)
}

/// Whether text that does not parse still reads as a stagegate input (so a syntax error in
/// it fails the check instead of skipping the file).
pub fn text_says_input(text: &str) -> bool {
    // JSON may spell any character as `\uXXXX`: read the escapes before looking
    let unescaped;
    let text = if text.contains("\\u") {
        unescaped = unescape_json(text);
        unescaped.as_str()
    } else {
        text
    };
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
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    // a conventional name says what the file is, whatever it holds (an extra `Resources:`
    // key does not make a buildspec a template): a wrong shape is then an error
    if name.starts_with("buildspec") && (name.ends_with(".yml") || name.ends_with(".yaml")) {
        return Some(Kind::Buildspec);
    }
    if name_says_template(&name) {
        return Some(Kind::Cloudformation);
    }
    if let Some(resources) = root.get("Resources") {
        let aws_types = resources.entries().iter().any(|e| {
            e.key.starts_with("Fn::ForEach::")
                || e.value
                    .get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.starts_with("AWS::") || t.starts_with("Custom::"))
        });
        if aws_types || root.get("AWSTemplateFormatVersion").is_some() {
            return Some(Kind::Cloudformation);
        }
    }
    // a bare declaration's stages hold actions (Azure Pipelines' `stages` hold jobs)
    let has_action_stages = |p: &Node| {
        p.get("stages")
            .is_some_and(|s| s.items().iter().any(|st| st.get("actions").is_some()))
    };
    if root
        .get("pipeline")
        .is_some_and(|p| p.get("stages").is_some())
        || (root.get("name").is_some() && has_action_stages(root))
    {
        return Some(Kind::Codepipeline);
    }
    let is_project = |p: &Node| {
        p.get("name").is_some() && p.get("source").is_some_and(|s| s.get("type").is_some())
    };
    if root.get("projects").is_some_and(|p| !p.items().is_empty())
        || root.get("projectsNotFound").is_some()
        || is_project(root)
        // `batch-get-projects --query projects` writes the bare list
        || (!root.items().is_empty() && root.items().iter().all(is_project))
    {
        return Some(Kind::Codebuild);
    }
    if root.get("version").is_some()
        && (root.get("phases").is_some() || root.get("batch").is_some())
    {
        return Some(Kind::Buildspec);
    }
    None
}

/// `*.template`, `*.cfn` and `*.template.json|yaml|yml`, `*.cfn.json|yaml|yml` (lower case).
fn name_says_template(name: &str) -> bool {
    if name.ends_with(".template") || name.ends_with(".cfn") {
        return true;
    }
    name.rsplit_once('.').is_some_and(|(stem, ext)| {
        matches!(ext, "json" | "yaml" | "yml")
            && (stem.ends_with(".template") || stem.ends_with(".cfn"))
    })
}

/// `\uXXXX` escapes replaced by their characters (others kept), for [`text_says_input`].
fn unescape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("\\u") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let hex = rest.get(i + 2..i + 6).unwrap_or("");
        match u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
            Some(c) if hex.len() == 4 => {
                out.push(c);
                rest = rest.get(i + 6..).unwrap_or("");
            }
            _ => {
                out.push_str("\\u");
                rest = rest.get(i + 2..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
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
