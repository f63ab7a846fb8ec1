//! The result of a check: located violations, problems, notes and a summary. Owned,
//! `Send`, serializable; the CLI renders it.

use crate::severity::Severity;
pub use crate::source::Location;
use crate::source::SourceFile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A secondary place of a violation, with what it is.
#[derive(Debug, Clone, Serialize)]
pub struct Related {
    /// Label.
    pub message: String,
    /// Where.
    pub location: Location,
}

/// A located finding.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// Policy id.
    pub policy: String,
    /// Policy title.
    pub title: String,
    /// Severity from METADATA.
    pub severity: Severity,
    /// The finding's message.
    pub message: String,
    /// Primary place.
    pub location: Location,
    /// Label of the primary place.
    #[serde(skip)]
    pub label: Option<String>,
    /// Related places.
    pub related: Vec<Related>,
    /// Stable identity across line moves: policy + logical paths, no line numbers.
    pub fingerprint: String,
    /// Secret values to mask in any rendering of source text (never serialized).
    #[serde(skip)]
    pub redact: Vec<String>,
    /// The pipeline action it is about, when it is about one.
    pub subject: Option<Subject>,
    /// The ARN of the pipeline or CodeBuild project it is about, when its dump says
    /// (`metadata.pipelineArn`, a project's `arn`): what a console link keys on.
    pub resource: Option<String>,
    /// The model objects it names (file + logical path), primary first.
    #[serde(skip)]
    pub targets: Vec<crate::model::SourceRef>,
    /// Whether repository configuration may waive it.
    pub waivable: bool,
    /// Why it is accepted, when a waiver applies; a waived violation does not fail the check.
    pub suppression: Option<Suppression>,
}

/// The pipeline action a violation is about.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Subject {
    /// Pipeline name.
    pub pipeline: String,
    /// Stage name.
    pub stage: String,
    /// Action name.
    pub action: String,
}

/// A waiver that applies to a violation.
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    /// `config` (repository), `governance` (platform) or `inline` (comment).
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Last day, when set.
    pub expires: Option<String>,
    /// Owner, when set.
    pub owner: Option<String>,
    /// Ticket, when set.
    pub ticket: Option<String>,
    /// Where the waiver is written.
    pub location: Option<Location>,
}

/// Masks a secret for display: at most its first three characters stay visible, and only
/// when it is long enough that they give nothing away.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = if n >= 12 { 3 } else { 0 };
    secret
        .chars()
        .take(keep)
        .chain(std::iter::repeat_n('*', n - keep))
        .collect()
}

/// `text` with every occurrence of each secret masked; byte length is kept when the
/// secret is ASCII, so spans into the text stay valid.
pub fn redact_text(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        let masked = if s.is_ascii() {
            mask(s)
        } else {
            "*".repeat(s.len())
        };
        out = out.replace(s.as_str(), &masked);
    }
    out
}

/// A file or policy that could not be fully checked. Any problem fails the check.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// What went wrong.
    pub message: String,
    /// Where, when known.
    pub location: Option<Location>,
    /// Other places that explain it.
    pub related: Vec<Related>,
}

/// Something worth saying that does not fail the check (a skipped file).
#[derive(Debug, Clone, Serialize)]
pub struct Note {
    /// Display path.
    pub path: String,
    /// What happened.
    pub message: String,
}

/// Counts.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    /// Input files checked (parsed and recognised).
    pub files: usize,
    /// Pipelines modelled.
    pub pipelines: usize,
    /// Unwaived violations.
    pub findings: usize,
    /// Waived violations.
    pub waived: usize,
    /// Problems.
    pub errors: usize,
    /// Files read that are no input (other YAML and JSON).
    pub skipped: usize,
    /// Untracked files with an input's name that `.gitignore` excludes, not read.
    pub ignored: usize,
}

/// Everything one check produced.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Counts.
    pub summary: Summary,
    /// Violations, ordered by file, line, policy.
    pub violations: Vec<Violation>,
    /// Problems (bad input files, failing policies).
    pub errors: Vec<Problem>,
    /// Skipped files and other notes.
    pub notes: Vec<Note>,
    /// The files read, for rendering snippets.
    #[serde(skip)]
    pub sources: BTreeMap<String, Arc<SourceFile>>,
    /// Display paths of the files that were checked (recognised inputs).
    #[serde(skip)]
    pub checked_files: Vec<String>,
}

impl Report {
    /// The most severe unwaived violation's severity, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.active().map(|v| v.severity).max()
    }

    /// Unwaived violations.
    pub fn active(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.suppression.is_none())
    }

    /// Counts unwaived violations at a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.active().filter(|v| v.severity == severity).count()
    }

    /// Counts waived violations.
    pub fn waived(&self) -> usize {
        self.violations.len() - self.active().count()
    }
}
