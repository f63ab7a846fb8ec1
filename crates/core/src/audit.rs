//! Audit sweeps: many workspaces (repositories or account dumps), each checked on its own,
//! in parallel, handed to a sink as each finishes so memory stays flat as targets grow.

use crate::{Error, Linter, Report};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One workspace of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Folder checked.
    pub path: PathBuf,
    /// Stable name: the path relative to its root (`.` for a root itself).
    pub name: String,
    /// Folders below `path` that are workspaces of their own, left out of this one.
    pub exclude: Vec<PathBuf>,
    /// What is known to be missing from it before it is checked (a scope of a collection
    /// that could not be read whole): each is a problem of its report, so it is incomplete.
    pub problems: Vec<String>,
}

/// How targets are found under each root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each immediate subfolder of a root is a workspace.
    PerDir,
    /// A root holding `.git` (a folder, or the file of a worktree or submodule) is one
    /// workspace. Otherwise every folder below it, at any depth and through links that
    /// stay inside the root, that holds `.git` is one, and so is every folder that holds a
    /// real API dump (a file that parses and reads as `get-pipeline` or
    /// `batch-get-projects` output, JSON or YAML); the root itself is one more, holding
    /// everything the others do not, so that every file is checked in some workspace.
    Detect,
}

/// Finds the workspaces under `roots`, sorted by name. A target is named by its path below
/// its root (`.` for the root itself); with several roots, the root's folder name comes
/// first, or the root as given when two roots share a folder name, so that no two targets
/// of one sweep share a name (a baseline entry of one is never another's).
pub fn targets(roots: &[PathBuf], split: Split) -> Vec<Target> {
    let mut out = Vec::new();
    let folder_name = |root: &Path| {
        root.canonicalize()
            .ok()
            .as_deref()
            .and_then(Path::file_name)
            .or_else(|| root.file_name())
            .map_or_else(
                || root.to_string_lossy().to_string(),
                |n| n.to_string_lossy().to_string(),
            )
    };
    let labels: Vec<String> = roots
        .iter()
        .map(|root| {
            let name = folder_name(root);
            let shared = roots.iter().filter(|r| folder_name(r) == name).count() > 1;
            if shared {
                crate::source::display_path(root)
            } else {
                name
            }
        })
        .collect();
    let mut checked = std::collections::HashSet::new();
    for (root, label) in roots.iter().zip(&labels) {
        // a root given twice is swept once
        if !checked.insert(root.canonicalize().unwrap_or_else(|_| root.clone())) {
            continue;
        }
        let name_of = |p: &Path| {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            match (roots.len() > 1, rel.is_empty()) {
                (false, true) => ".".to_string(),
                (false, false) => rel,
                (true, true) => label.clone(),
                (true, false) => format!("{label}/{rel}"),
            }
        };
        // a collection's manifest adds what it records as missing, never takes a folder
        // out; a repository's is the repository's own file, not the platform's record
        if !root.join(".git").exists() && root.join(crate::collection::MANIFEST).is_file() {
            collection_targets(&mut out, root, &name_of);
            continue;
        }
        let first = out.len();
        match split {
            Split::PerDir => {
                let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != ".git"))
                    .collect();
                dirs.sort();
                // files beside the folders belong to no folder: the root checks them
                let with_root = crate::discover::holds_inputs(root, &dirs);
                push_targets(&mut out, root, dirs, with_root, &name_of);
            }
            Split::Detect => {
                let mut found = Vec::new();
                let mut collections = Vec::new();
                if !root.join(".git").exists() {
                    let mut seen = std::collections::HashSet::new();
                    let top = root.canonicalize().unwrap_or_else(|_| root.clone());
                    detect(root, &top, &mut seen, &mut found, &mut collections);
                }
                found.sort();
                collections.sort();
                // the root holds what no other workspace does (its own dumps, stray
                // templates): it is a workspace too whenever anything is left for it
                let taken: Vec<PathBuf> = found.iter().chain(&collections).cloned().collect();
                let with_root = taken.is_empty() || crate::discover::holds_inputs(root, &taken);
                if with_root {
                    out.push(Target {
                        name: name_of(root),
                        path: root.clone(),
                        exclude: taken,
                        problems: Vec::new(),
                    });
                }
                push_targets(&mut out, root, found, false, &name_of);
                missing_from_collections(&mut out, first, root, &name_of);
                for c in &collections {
                    collection_targets(&mut out, c, &name_of);
                }
                continue;
            }
        }
        missing_from_collections(&mut out, first, root, &name_of);
    }
    out
}

/// A folder of a collection (an account's, a region's), or a collection taken as one
/// workspace, misses what the collection's manifest says it misses: each target of `root`
/// (those from `first` on) takes what overlaps it, and the root takes the rest (a region
/// that failed whole left no dumps, so no workspace of its own), as a workspace of its own
/// when it is none yet.
fn missing_from_collections(
    out: &mut Vec<Target>,
    first: usize,
    root: &Path,
    name_of: &impl Fn(&Path) -> String,
) {
    let mut taken = std::collections::HashSet::new();
    for t in out.iter_mut().skip(first) {
        let missing = crate::collection::missing_from(&t.path);
        taken.extend(missing.iter().cloned());
        t.problems.extend(missing);
    }
    let rest: Vec<String> = crate::collection::missing_from(root)
        .into_iter()
        .filter(|m| !taken.contains(m))
        .collect();
    if rest.is_empty() {
        return;
    }
    let others: Vec<PathBuf> = out.iter().skip(first).map(|t| t.path.clone()).collect();
    match out.iter_mut().skip(first).find(|t| t.path == root) {
        Some(t) => t.problems.extend(rest),
        None => out.push(Target {
            name: name_of(root),
            path: root.to_path_buf(),
            exclude: others,
            problems: rest,
        }),
    }
}

/// The workspaces of a collection: one per scope its manifest lists, whether or not the
/// scope's folder holds anything, with the scope's failures; one per account that failed
/// outside its regions; and whatever else the folder holds, found as in any other folder
/// (dumps the manifest does not list are checked all the same), with the collection itself
/// when it holds inputs besides its manifest or the manifest says the sweep did not end.
fn collection_targets(out: &mut Vec<Target>, root: &Path, name_of: &impl Fn(&Path) -> String) {
    use crate::collection::{Manifest, MANIFEST};
    type Folders = std::collections::BTreeMap<PathBuf, Vec<String>>;
    let mut scopes = Folders::new();
    let mut outside = Folders::new();
    match Manifest::load(root) {
        Ok(Some(manifest)) => {
            for s in &manifest.scopes {
                let t = scope_target(root, s);
                scopes.entry(t.path).or_default().extend(t.problems);
            }
            if manifest.finished.is_none() {
                outside
                    .entry(root.to_path_buf())
                    .or_default()
                    .push(crate::collection::UNFINISHED.to_string());
            }
            for f in &manifest.failures {
                let folder = match (&f.account, &f.region) {
                    (Some(a), Some(r)) => root.join(a).join(r),
                    (Some(a), None) => root.join(a),
                    _ => root.to_path_buf(),
                };
                match scopes.get_mut(&folder) {
                    Some(problems) => problems.push(f.describe()),
                    None => outside.entry(folder).or_default().push(f.describe()),
                }
            }
        }
        Ok(None) => {}
        // a collection whose manifest does not read cannot say what it misses
        Err(message) => outside.entry(root.to_path_buf()).or_default().push(message),
    }
    // dump folders and repositories below it that no scope holds; a collection nested in
    // it that holds scopes of its own manifest is a folder like any other
    let mut found = Vec::new();
    let mut nested = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let top = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    detect(root, &top, &mut seen, &mut found, &mut nested);
    let in_scope = |p: &Path| scopes.keys().any(|s| p.starts_with(s));
    let holds_scope = |p: &Path| scopes.keys().any(|s| s.starts_with(p));
    found.retain(|p| !in_scope(p));
    nested.retain(|p| !in_scope(p));
    let (nested, plain): (Vec<PathBuf>, Vec<PathBuf>) =
        nested.into_iter().partition(|p| !holds_scope(p));
    found.extend(plain);
    // one workspace per folder, whatever put it there: a scope, a failure, a dump
    let mut folders = scopes;
    for f in found {
        folders.entry(f).or_default();
    }
    let root_problems = outside.remove(root).unwrap_or_default();
    for (path, problems) in outside {
        folders.entry(path).or_default().extend(problems);
    }
    let mut taken: Vec<PathBuf> = folders.keys().cloned().collect();
    taken.extend(nested.iter().cloned());
    let stray = crate::discover::input_files(root, &taken)
        .iter()
        .any(|f| f.file_name().is_none_or(|n| n != MANIFEST) || f.parent() != Some(root));
    if stray || !root_problems.is_empty() {
        out.push(Target {
            name: name_of(root),
            path: root.to_path_buf(),
            exclude: taken.clone(),
            problems: root_problems,
        });
    }
    for (path, problems) in folders {
        // a folder holding others (an account's, above its regions) checks only its own
        let exclude = taken
            .iter()
            .filter(|f| **f != path && f.starts_with(&path))
            .cloned()
            .collect();
        out.push(Target {
            name: name_of(&path),
            path,
            exclude,
            problems,
        });
    }
    for c in &nested {
        collection_targets(out, c, name_of);
    }
}

/// The workspace of one scope of the collection at `root`, named by its folder: what an
/// audit checks as soon as the scope is written.
pub fn scope_target(root: &Path, scope: &crate::collection::Scope) -> Target {
    Target {
        name: scope.folder.clone(),
        path: root.join(&scope.folder),
        exclude: Vec::new(),
        problems: scope
            .failures
            .iter()
            .map(crate::collection::Failure::describe)
            .collect(),
    }
}

/// Adds the workspaces `found` below `root`, and the root itself (less them) first when
/// `with_root`.
fn push_targets(
    out: &mut Vec<Target>,
    root: &Path,
    found: Vec<PathBuf>,
    with_root: bool,
    name_of: &impl Fn(&Path) -> String,
) {
    if with_root {
        out.push(Target {
            name: name_of(root),
            path: root.to_path_buf(),
            exclude: found.clone(),
            problems: Vec::new(),
        });
    }
    out.extend(found.into_iter().map(|p| Target {
        name: name_of(&p),
        path: p,
        exclude: Vec::new(),
        problems: Vec::new(),
    }));
}

/// Adds every folder below `dir` that is a workspace of its own: a repository (`.git`,
/// folder or file) or a folder of API dumps. Links are followed while they stay inside the
/// root (`top`), each folder once.
fn detect(
    dir: &Path,
    top: &Path,
    seen: &mut std::collections::HashSet<PathBuf>,
    found: &mut Vec<PathBuf>,
    collections: &mut Vec<PathBuf>,
) {
    let Ok(real) = dir.canonicalize() else {
        return;
    };
    if !real.starts_with(top) || !seen.insert(real) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut subdirs = Vec::new();
    let mut dumps = false;
    let below_top = dir.canonicalize().is_ok_and(|d| d != top);
    let repository = entries.iter().any(|e| e.file_name() == ".git");
    if below_top && !repository && dir.join(crate::collection::MANIFEST).is_file() {
        collections.push(dir.to_path_buf());
        return;
    }
    for e in &entries {
        let p = e.path();
        if e.file_name() == ".git" {
            if dir != top && dir.canonicalize().is_ok_and(|d| d != top) {
                found.push(dir.to_path_buf());
                return;
            }
            continue;
        }
        // `is_dir` follows links: a linked account folder is walked like any other
        if p.is_dir() {
            subdirs.push(p);
        } else if !dumps {
            dumps = is_api_dump(&p);
        }
    }
    if dumps && dir.canonicalize().is_ok_and(|d| d != top) {
        found.push(dir.to_path_buf());
        return;
    }
    for s in subdirs {
        detect(&s, top, seen, found, collections);
    }
}

/// A file that parses and reads as `get-pipeline` / `batch-get-projects` output, whatever
/// its name or the order of its keys: what makes a folder a dump folder.
fn is_api_dump(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    if !(name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")) {
        return false;
    }
    let Ok(text) = crate::config::read_config_file(path, false) else {
        // too large or not UTF-8: the workspace that holds it reports it
        return false;
    };
    let file = std::sync::Arc::new(crate::source::SourceFile::new(name.clone(), text));
    let Ok(doc) = crate::parse::parse(file, &crate::parse::Limits::default()) else {
        return false;
    };
    let is_dump = |root: &crate::parse::Node| {
        root.get("pipeline")
            .is_some_and(|p| p.get("stages").is_some())
            || root.get("projects").is_some_and(|p| !p.items().is_empty())
            || root.get("projectsNotFound").is_some()
    };
    doc.root().is_some_and(is_dump)
}

/// The targets of shard `k` of `n` (1-based): a deterministic split by the hash of each
/// target's name, so separate machines can each take one shard.
pub fn shard(targets: Vec<Target>, k: usize, n: usize) -> Vec<Target> {
    let n = n.max(1) as u64;
    targets
        .into_iter()
        .filter(|t| crate::fingerprint::fnv(&[&t.name]) % n == (k.saturating_sub(1) as u64))
        .collect()
}

/// Checks every target with `jobs` threads (0: one per core), calling `sink` with each
/// report as soon as its workspace is done. Targets are taken in order; results arrive in
/// completion order, close to it.
///
/// ```no_run
/// use stagegate::audit::{sweep, targets, Split};
/// let linter = stagegate::Linter::builder().builtin_policies().build()?;
/// let found = targets(&["accounts".into()], Split::Detect);
/// sweep(&linter, &found, 0, |target, report| {
///     eprintln!("{}: {} finding(s)", target.name, report.active().count());
/// })?;
/// # Ok::<(), stagegate::Error>(())
/// ```
pub fn sweep<F>(linter: &Linter, targets: &[Target], jobs: usize, sink: F) -> Result<(), Error>
where
    F: Fn(&Target, Report) + Sync + Send,
{
    sweep_stream(linter, targets.iter().cloned(), jobs, |_, t, r| sink(t, r))
}

/// [`sweep`] over targets that arrive while the sweep runs (scopes of a live collection as
/// each is written): `sink` gets each target's place in the order they arrived.
pub fn sweep_stream<I, F>(linter: &Linter, targets: I, jobs: usize, sink: F) -> Result<(), Error>
where
    I: Iterator<Item = Target> + Send,
    F: Fn(usize, &Target, Report) + Sync + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::Threads {
            message: e.to_string(),
        })?;
    // each thread takes the next target in order (not a half of the list each), so
    // workspaces finish close to their order and a sink that writes in order holds few
    pool.install(|| {
        targets.enumerate().par_bridge().for_each(|(i, t)| {
            let report = check_target(linter, &t);
            sink(i, &t, report);
        });
    });
    Ok(())
}

/// Checks one target with its own `.stagegate.yaml` when it has one (unused waivers noted).
/// A configuration that does not load is a problem of that workspace, not of the sweep;
/// so is each of the target's known [`problems`](Target::problems).
pub fn check_target(linter: &Linter, target: &Target) -> Report {
    let mut report = if target.problems.is_empty() || target.path.exists() {
        check_configured(linter, target)
    } else {
        // nothing was written for it: its problems say why
        Report::default()
    };
    for message in &target.problems {
        if !report.errors.iter().any(|e| &e.message == message) {
            report.errors.push(crate::Problem {
                message: message.clone(),
                location: None,
                related: Vec::new(),
            });
        }
    }
    report.summary.errors = report.errors.len();
    report
}

fn check_configured(linter: &Linter, target: &Target) -> Report {
    let config_path = [".stagegate.yaml", ".stagegate.yml"]
        .iter()
        .map(|n| target.path.join(n))
        .find(|p| p.is_file());
    let Some(path) = config_path else {
        return linter.check_paths_excluding(&[&target.path], &target.exclude);
    };
    let configured = crate::config::RepoConfig::load(&path)
        .and_then(|config| linter.with_repo_config(&config))
        .map_err(|e| e.to_string());
    match configured {
        Ok(l) => l
            .with_unused_waiver_report(true)
            .check_paths_excluding(&[&target.path], &target.exclude),
        Err(message) => {
            let mut report = linter.check_paths_excluding(&[&target.path], &target.exclude);
            report.errors.push(crate::Problem {
                message: format!("repository configuration: {message}"),
                location: None,
                related: Vec::new(),
            });
            report.summary.errors = report.errors.len();
            report
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Target {
        Target {
            exclude: Vec::new(),
            problems: Vec::new(),
            path: PathBuf::from(name),
            name: name.to_string(),
        }
    }

    #[test]
    fn shards_partition_the_targets() {
        let all: Vec<Target> = (0..500).map(|i| t(&format!("repo-{i}"))).collect();
        let n = 7;
        let mut seen: Vec<String> = Vec::new();
        for k in 1..=n {
            let part = shard(all.clone(), k, n);
            assert!(!part.is_empty());
            seen.extend(part.into_iter().map(|t| t.name));
        }
        seen.sort();
        let mut want: Vec<String> = all.into_iter().map(|t| t.name).collect();
        want.sort();
        assert_eq!(seen, want, "no loss, no overlap");
    }
}
