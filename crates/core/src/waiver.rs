//! Waivers: which findings a repository or the platform accepts, why, and until when, and
//! their application to a report. Policies that the platform marks non-waivable cannot be
//! waived, disabled or downgraded by a repository; an attempt is itself an error finding.

use crate::date::Date;
use crate::error::Located;
use crate::parse::Node;
use crate::report::{Location, Note, Report, Suppression, Violation};
use crate::severity::Severity;
use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// Policy id of the findings that report a refused waiver, disable or downgrade.
pub const REFUSED: &str = "waiver-not-allowed";

/// A waiver from repository configuration or governance data.
#[derive(Debug, Clone)]
pub struct Waiver {
    /// Policy id.
    pub policy: String,
    /// Path globs (`*` within a segment, `**` across segments), relative to where the
    /// checked paths are displayed.
    pub paths: Vec<String>,
    /// Pipeline name (`*` wildcards).
    pub pipeline: Option<String>,
    /// Stage name.
    pub stage: Option<String>,
    /// Action name.
    pub action: Option<String>,
    /// Why the finding is accepted.
    pub reason: String,
    /// Last day the waiver applies.
    pub expires: Option<Date>,
    /// Who owns it.
    pub owner: Option<String>,
    /// Tracking ticket.
    pub ticket: Option<String>,
    /// Where it is written.
    pub location: Location,
    /// Granted by the platform (governance data) rather than the repository.
    pub platform: bool,
    /// Folder that `paths` are relative to (the configuration file's folder), when known.
    pub base: Option<std::path::PathBuf>,
}

/// Reads waivers from a `waivers` list node.
pub(crate) fn waivers_of(
    file: &Arc<SourceFile>,
    list: Option<&Node>,
    platform: bool,
) -> (Vec<Waiver>, Vec<Located>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let at = |span: Span, message: String| Located::new(file, span, message);
    for w in list.map(Node::items).unwrap_or_default() {
        let s = |k: &str| w.get(k).and_then(Node::as_str).map(str::to_string);
        // a date that does not exist would otherwise be a waiver that never expires
        if let Some(node) = w.get("expires") {
            if node.as_str().and_then(Date::parse).is_none() {
                problems.push(at(
                    node.span,
                    format!(
                        "`expires` must be a date that exists, YYYY-MM-DD, got `{}`",
                        node.as_str().unwrap_or("")
                    ),
                ));
            }
        }
        if let Some(paths) = w.get("paths") {
            for p in paths.items() {
                if let Err(e) = crate::glob::path_matcher(p.as_str().unwrap_or("")) {
                    problems.push(at(p.span, format!("invalid path pattern: {e}")));
                }
            }
        }
        out.push(Waiver {
            policy: s("policy").unwrap_or_default(),
            paths: w.strings("paths"),
            pipeline: s("pipeline"),
            stage: s("stage"),
            action: s("action"),
            reason: s("reason").unwrap_or_default(),
            expires: s("expires").and_then(|d| Date::parse(&d)),
            owner: s("owner"),
            ticket: s("ticket"),
            location: Location::new(file, w.span),
            platform,
            base: None,
        });
    }
    (out, problems)
}

impl Waiver {
    fn matches(&self, v: &Violation) -> bool {
        if self.policy != v.policy {
            return false;
        }
        if !self.paths.is_empty() {
            let path = self.relative(&v.location.path);
            if !self.paths.iter().any(|g| crate::glob::path(g, &path)) {
                return false;
            }
        }
        let subject = v.subject.as_ref();
        let ok = |want: &Option<String>, have: Option<&String>| match want {
            None => true,
            Some(w) => have.is_some_and(|h| crate::glob::name(w, h)),
        };
        ok(&self.pipeline, subject.map(|s| &s.pipeline))
            && ok(&self.stage, subject.map(|s| &s.stage))
            && ok(&self.action, subject.map(|s| &s.action))
    }

    /// A finding's path relative to the configuration's folder (as displayed otherwise).
    fn relative(&self, path: &str) -> String {
        let Some(base) = &self.base else {
            return path.to_string();
        };
        let abs = std::path::Path::new(path)
            .canonicalize()
            .unwrap_or_else(|_| std::path::PathBuf::from(path));
        match abs.strip_prefix(base) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => path.to_string(),
        }
    }

    fn suppression(&self) -> Suppression {
        Suppression {
            kind: if self.platform {
                "governance"
            } else {
                "config"
            }
            .into(),
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
            owner: self.owner.clone(),
            ticket: self.ticket.clone(),
            location: Some(self.location.clone()),
        }
    }
}

/// An inline `# stagegate: ignore[ID, ...] reason` comment on a finding's lines (`//` too
/// in Terraform).
fn inline_ignore(report: &Report, v: &Violation) -> Option<(Suppression, Location)> {
    let file = report.sources.get(&v.location.path)?;
    for line_no in v.location.line..=v.location.end_line.max(v.location.line) {
        let start = file.offset_of(line_no, 0);
        let line = file.text.get(start..)?.lines().next().unwrap_or("");
        // Terraform comments also start with `//`
        let marker = ["# stagegate: ignore[", "// stagegate: ignore["]
            .into_iter()
            .filter(|m| m.starts_with('#') || v.location.path.ends_with(".tf"))
            .find_map(|m| line.find(m).map(|at| (at, m.len())));
        let Some((at, len)) = marker else {
            continue;
        };
        let rest = line.get(at + len..).unwrap_or("");
        let Some((ids, reason)) = rest.split_once(']') else {
            continue;
        };
        if ids.split(',').any(|id| id.trim() == v.policy) {
            let location = Location::new(file, Span::new(start + at, start + line.len()));
            return Some((
                Suppression {
                    kind: "inline".into(),
                    reason: reason.trim().to_string(),
                    expires: None,
                    owner: None,
                    ticket: None,
                    location: Some(location.clone()),
                },
                location,
            ));
        }
    }
    None
}

/// What waiving may do in one check.
#[derive(Debug, Clone)]
pub struct WaiverSettings {
    /// Repository waivers (config file).
    pub repo: Vec<Waiver>,
    /// Platform waivers (governance data).
    pub platform: Vec<Waiver>,
    /// Honour inline `# stagegate: ignore[...]` comments.
    pub inline: bool,
    /// Report waivers that matched nothing.
    pub report_unused: bool,
    /// The date expiry is judged against.
    pub today: Date,
}

/// A refusal finding located at `location`.
pub(crate) fn refusal(message: String, location: Location) -> Violation {
    let fingerprint = crate::fingerprint::hash(&[REFUSED, &location.path, &message]);
    Violation {
        policy: REFUSED.into(),
        title:
            "Repository configuration tries to waive, disable or downgrade a non-waivable policy"
                .into(),
        severity: Severity::Error,
        message,
        fingerprint,
        location,
        label: Some("not allowed here".into()),
        related: Vec::new(),
        redact: Vec::new(),
        subject: None,
        resource: None,
        targets: Vec::new(),
        waivable: false,
        suppression: None,
    }
}

/// Applies waivers to the report's violations: marks waived ones, refuses waivers of
/// non-waivable policies (as error findings), and notes expired and unused waivers.
pub fn apply(report: &mut Report, settings: &WaiverSettings) {
    let mut used_repo = vec![false; settings.repo.len()];
    let mut used_platform = vec![false; settings.platform.len()];
    let mut refusals = Vec::new();
    let mut notes = Vec::new();
    let count = report.violations.len();
    for i in 0..count {
        let Some(v) = report.violations.get(i).cloned() else {
            continue;
        };
        let mut suppression = None;
        for (w, used) in settings.platform.iter().zip(used_platform.iter_mut()) {
            if w.matches(&v) {
                *used = true;
                if w.expires.is_some_and(|d| d < settings.today) {
                    notes.push(expired_note(w));
                } else if suppression.is_none() {
                    suppression = Some(w.suppression());
                }
            }
        }
        for (w, used) in settings.repo.iter().zip(used_repo.iter_mut()) {
            if !w.matches(&v) {
                continue;
            }
            *used = true;
            if !v.waivable {
                refusals.push(refusal(
                    format!("policy {} cannot be waived from repository configuration; only the platform's governance data can waive it", v.policy),
                    w.location.clone(),
                ));
            } else if w.expires.is_some_and(|d| d < settings.today) {
                notes.push(expired_note(w));
            } else if suppression.is_none() {
                suppression = Some(w.suppression());
            }
        }
        if settings.inline {
            if let Some((s, location)) = inline_ignore(report, &v) {
                if v.waivable {
                    suppression = suppression.or(Some(s));
                } else {
                    refusals.push(refusal(
                        format!("policy {} cannot be waived by an inline comment; only the platform's governance data can waive it", v.policy),
                        location,
                    ));
                }
            }
        }
        if let Some(target) = report.violations.get_mut(i) {
            target.suppression = suppression;
        }
    }
    if settings.report_unused {
        for (w, used) in settings
            .repo
            .iter()
            .zip(&used_repo)
            .chain(settings.platform.iter().zip(&used_platform))
        {
            if !used {
                notes.push(Note {
                    path: format!("{}:{}", w.location.path, w.location.line),
                    message: format!("waiver for {} matched no finding; remove it", w.policy),
                });
            }
        }
    }
    refusals.sort_by(|a, b| {
        (&a.location.path, a.location.line).cmp(&(&b.location.path, b.location.line))
    });
    refusals.dedup_by(|a, b| a.location == b.location && a.message == b.message);
    report.violations.extend(refusals);
    report.notes.extend(notes);
}

fn expired_note(w: &Waiver) -> Note {
    Note {
        path: format!("{}:{}", w.location.path, w.location.line),
        message: format!(
            "waiver for {} expired on {}; its findings are reported again",
            w.policy,
            w.expires.map_or_else(String::new, |d| d.to_string())
        ),
    }
}
