//! Baselines: the findings of an earlier JSON report (`check` or `audit`), by workspace and
//! fingerprint, that a run reports as known rather than new.
//!
//! Each entry stands for one finding: a second finding with the same fingerprint in the
//! same workspace is new. Entries name their workspace (the checked folder's name for
//! `check`, the target name for `audit`), so one workspace's accepted finding never hides
//! another's.

use serde_json::Value as Json;
use std::collections::{BTreeSet, HashMap};

/// The unmatched entries of a baseline.
#[derive(Debug, Default)]
pub struct Baseline {
    left: HashMap<(String, String), usize>,
    /// Workspaces this run checked: only their unmatched entries are fixed.
    checked: BTreeSet<String>,
}

impl Baseline {
    /// Reads a `check --format json` or `audit --format json` report.
    pub fn read(path: &std::path::Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: Json = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a stagegate JSON report: {e}", path.display()))?;
        let mut b = Baseline::default();
        // a report written with a baseline lists what it knew among the waived findings:
        // they stay known in the next run
        let mut add = |workspace: &str, entry: &Json| {
            let known = entry["waived"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["suppression"]["kind"] == "baseline");
            let findings = entry["findings"].as_array().into_iter().flatten();
            for f in findings.chain(known) {
                if let Some(fp) = f["fingerprint"].as_str() {
                    *b.left
                        .entry((workspace.to_string(), fp.to_string()))
                        .or_insert(0) += 1;
                }
            }
        };
        match (v["workspaces"].as_array(), v["target"].as_str()) {
            (Some(list), _) => {
                for w in list {
                    let Some(name) = w["target"].as_str() else {
                        return Err(format!(
                            "{}: a workspace of the report has no `target`",
                            path.display()
                        ));
                    };
                    add(name, w);
                }
            }
            (None, Some(name)) => add(name, &v),
            (None, None) => {
                return Err(format!(
                    "{}: not a stagegate JSON report (no `target` or `workspaces`); reports of versions before 0.2 cannot be baselines",
                    path.display()
                ))
            }
        }
        Ok(b)
    }

    /// Records that `workspace` was checked, so its unmatched entries count as fixed.
    pub fn checked(&mut self, workspace: &str) {
        self.checked.insert(workspace.to_string());
    }

    /// Whether the baseline holds this finding; the entry is used up.
    pub fn take(&mut self, workspace: &str, fingerprint: &str) -> bool {
        let key = (workspace.to_string(), fingerprint.to_string());
        match self.left.get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    /// Marks the findings of `workspace` the baseline holds as known (suppressed, kind
    /// `baseline`), and notes how many there are and how many of them belong to
    /// non-waivable policies, so every output shows that the baseline hid them.
    pub fn apply(&mut self, workspace: &str, report: &mut stagegate::Report, file: &str) {
        self.checked(workspace);
        let (mut known, mut locked) = (0, 0);
        for v in &mut report.violations {
            if v.suppression.is_some() || !self.take(workspace, &v.fingerprint) {
                continue;
            }
            known += 1;
            if !v.waivable {
                locked += 1;
            }
            v.suppression = Some(stagegate::Suppression {
                kind: "baseline".into(),
                reason: format!("in the baseline {file}"),
                expires: None,
                owner: None,
                ticket: None,
                location: None,
            });
        }
        if known > 0 {
            report.notes.push(stagegate::Note {
                path: String::new(),
                message: format!(
                    "run with --baseline {file}: {known} known finding(s) not reported as new{}",
                    if locked > 0 {
                        format!(", {locked} of them of non-waivable policies")
                    } else {
                        String::new()
                    }
                ),
            });
        }
        report.summary.findings = report.active().count();
        report.summary.waived = report.waived();
    }

    /// The entries of checked workspaces that no finding matched: what was fixed, as
    /// `workspace: fingerprint`, sorted.
    pub fn fixed(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .left
            .iter()
            .filter(|((w, _), n)| **n > 0 && self.checked.contains(w))
            .flat_map(|((w, fp), n)| std::iter::repeat_n(format!("{w}: {fp}"), *n))
            .collect();
        out.sort();
        out
    }
}

/// The name a `check` gives its workspace in reports and baselines: the name of the folder
/// it checked (the parent of a file named alone), as `audit` names that folder below its
/// root; `.` for several paths.
pub fn workspace_name(paths: &[std::path::PathBuf]) -> String {
    let folder = match paths {
        [one] if one.is_dir() => one.clone(),
        [one] => one
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| ".".into(), std::path::Path::to_path_buf),
        _ => return ".".into(),
    };
    folder
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
        .unwrap_or_else(|| folder.to_string_lossy().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_absorbs_one_finding_of_its_own_workspace() {
        let mut b = Baseline::default();
        b.left.insert(("a".into(), "f1".into()), 1);
        b.checked("a");
        b.checked("b");
        assert!(!b.take("b", "f1"), "another workspace's entry");
        assert!(b.take("a", "f1"));
        assert!(
            !b.take("a", "f1"),
            "a second finding of one fingerprint is new"
        );
        assert!(b.fixed().is_empty());
        b.left.insert(("a".into(), "f2".into()), 1);
        b.left.insert(("c".into(), "f3".into()), 1);
        assert_eq!(
            b.fixed(),
            ["a: f2"],
            "only checked workspaces have fixed findings"
        );
    }
}
