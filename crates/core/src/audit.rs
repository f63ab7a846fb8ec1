//! Audit sweeps: many workspaces (repositories or account dumps), each checked on its own,
//! in parallel, handed to a sink as each finishes so memory stays flat as targets grow.

use crate::{Linter, Report, Violation};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One workspace of a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Folder checked.
    pub path: PathBuf,
    /// Stable name: the path relative to its root (`.` for a root itself).
    pub name: String,
}

/// How targets are found under each root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// Each immediate subfolder of a root is a workspace.
    PerDir,
    /// A root holding `.git` is one workspace; otherwise every folder below it that holds
    /// `.git` or AWS API dumps (`get-pipeline`, `batch-get-projects` JSON) is one; a root
    /// with neither is one workspace.
    Detect,
}

/// Finds the workspaces under `roots`, sorted by name.
pub fn targets(roots: &[PathBuf], split: Split) -> Vec<Target> {
    let mut out = Vec::new();
    for root in roots {
        let name_of = |p: &Path| {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/");
            let root_name = root.file_name().map_or_else(
                || root.to_string_lossy().to_string(),
                |n| n.to_string_lossy().to_string(),
            );
            if rel.is_empty() {
                root_name
            } else {
                format!("{root_name}/{rel}")
            }
        };
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
                out.extend(dirs.into_iter().map(|p| Target {
                    name: name_of(&p),
                    path: p,
                }));
            }
            Split::Detect => {
                let mut found = Vec::new();
                if root.join(".git").exists() {
                    found.push(root.clone());
                } else {
                    detect(root, 0, &mut found);
                }
                if found.is_empty() {
                    found.push(root.clone());
                }
                found.sort();
                out.extend(found.into_iter().map(|p| Target {
                    name: name_of(&p),
                    path: p,
                }));
            }
        }
    }
    out
}

fn detect(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    let mut dumps = false;
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if p.file_name().is_some_and(|n| n == ".git") {
                found.push(dir.to_path_buf());
                return;
            }
            subdirs.push(p);
        } else if !dumps && p.extension().is_some_and(|x| x == "json") {
            dumps = is_api_dump(&p);
        }
    }
    if dumps && depth > 0 {
        found.push(dir.to_path_buf());
        return;
    }
    for s in subdirs {
        detect(&s, depth + 1, found);
    }
}

fn is_api_dump(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 2048];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let text = String::from_utf8_lossy(head.get(..n).unwrap_or_default());
    text.contains("\"pipeline\"") || text.contains("\"projects\"")
}

/// Stable 64-bit hash (FNV-1a) used for sharding and fingerprints.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The targets of shard `k` of `n` (1-based): a deterministic split by the hash of each
/// target's name, so separate machines can each take one shard.
pub fn shard(targets: Vec<Target>, k: usize, n: usize) -> Vec<Target> {
    let n = n.max(1) as u64;
    targets
        .into_iter()
        .filter(|t| stable_hash(&t.name) % n == (k.saturating_sub(1) as u64))
        .collect()
}

/// A fingerprint that does not depend on where the sweep runs: target name, policy, and
/// the logical paths of what the finding names, with files relative to the target.
pub fn fingerprint(target: &Target, v: &Violation) -> String {
    Fingerprinter::new(target).of(v)
}

/// Fingerprints the findings of one target, whose display path is looked up once.
pub struct Fingerprinter<'a> {
    target: &'a Target,
    /// The target's display path and a `/`: what file paths below it start with.
    prefix: String,
}

impl<'a> Fingerprinter<'a> {
    /// For the findings of `target`.
    pub fn new(target: &'a Target) -> Self {
        let prefix = format!("{}/", crate::discover::display_path(&target.path));
        Fingerprinter { target, prefix }
    }

    /// The finding's fingerprint, as [`fingerprint`] gives it.
    pub fn of(&self, v: &Violation) -> String {
        let mut key = format!("{}\0{}", self.target.name, v.policy);
        for t in &v.targets {
            let file = t.file.strip_prefix(&self.prefix).unwrap_or(&t.file);
            key.push('\0');
            key.push_str(file);
            key.push('\0');
            key.push_str(&t.path);
        }
        if v.targets.is_empty() {
            key.push('\0');
            key.push_str(&v.fingerprint);
        }
        format!("{:016x}", stable_hash(&key))
    }
}

/// Checks every target with `jobs` threads (0: one per core), calling `sink` with each
/// report as soon as its workspace is done. Results arrive in completion order.
pub fn sweep<F>(linter: &Linter, targets: &[Target], jobs: usize, sink: F) -> Result<(), String>
where
    F: Fn(&Target, Report) + Sync + Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    pool.install(|| {
        targets.par_iter().for_each(|t| {
            sink(t, check_target(linter, t));
        });
    });
    Ok(())
}

/// Checks one target with its own `.stagegate.yaml` when it has one (unused waivers noted).
/// A configuration that does not load is a problem of that workspace, not of the sweep.
pub fn check_target(linter: &Linter, target: &Target) -> Report {
    let config_path = [".stagegate.yaml", ".stagegate.yml"]
        .iter()
        .map(|n| target.path.join(n))
        .find(|p| p.is_file());
    let Some(path) = config_path else {
        return linter.check_paths(&[&target.path]);
    };
    let configured = crate::waiver::RepoConfig::load(&path)
        .map_err(|errors| {
            errors
                .into_iter()
                .map(|e| format!("{}: {}", e.location, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .and_then(|config| linter.with_repo_config(&config).map_err(|e| e.to_string()));
    match configured {
        Ok(l) => l
            .with_unused_waiver_report(true)
            .check_paths(&[&target.path]),
        Err(message) => {
            let mut report = linter.check_paths(&[&target.path]);
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
