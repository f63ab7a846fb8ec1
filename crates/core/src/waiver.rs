//! Repository configuration (`.stagegate.yaml`) and waivers: which findings a repository
//! accepts, why, and until when. Policies that the platform marks non-waivable cannot be
//! waived, disabled or downgraded here; an attempt is itself an error finding.

use crate::error::{Error, Located};
use crate::parse::{self, Limits, Node, PathBuf};
use crate::report::{Location, Note, Report, Suppression, Violation};
use crate::severity::Severity;
use crate::source::{SourceFile, Span};
use serde_json::Value as Json;
use std::sync::Arc;

/// The JSON Schema of `.stagegate.yaml`.
pub const SCHEMA: &str = include_str!("../../../schemas/config.schema.json");

/// Policy id of the findings that report a refused waiver, disable or downgrade.
pub const REFUSED: &str = "waiver-not-allowed";

/// A calendar date (no time zone: waivers expire at the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, a day that exists in the Gregorian calendar.
    pub fn parse(s: &str) -> Option<Date> {
        let text = s.trim();
        // exactly the form the schemas ask for: jiff also reads other ISO 8601 forms
        if text.len() != 10
            || text.as_bytes().get(4) != Some(&b'-')
            || text.as_bytes().get(7) != Some(&b'-')
        {
            return None;
        }
        let d: jiff::civil::Date = text.parse().ok()?;
        Some(Date::from_civil(d))
    }

    fn from_civil(d: jiff::civil::Date) -> Date {
        Date {
            year: i32::from(d.year()),
            month: u32::try_from(d.month()).unwrap_or(1),
            day: u32::try_from(d.day()).unwrap_or(1),
        }
    }

    /// Today in UTC.
    pub fn today() -> Date {
        Date::from_civil(
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date(),
        )
    }

    /// The date `days` after 1970-01-01 (1970-01-01 itself when out of range).
    pub fn from_days(days: i64) -> Date {
        let epoch = jiff::civil::date(1970, 1, 1);
        let d = jiff::Span::new()
            .try_days(days)
            .ok()
            .and_then(|span| epoch.checked_add(span).ok())
            .unwrap_or(epoch);
        Date::from_civil(d)
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

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
    pub fail_on: Option<String>,
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

impl RepoConfig {
    /// Parses and validates a configuration file.
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
            fail_on: root
                .get("fail-on")
                .and_then(Node::as_str)
                .map(str::to_string),
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

/// An inline `# stagegate: ignore[ID, ...] reason` comment on a finding's lines.
fn inline_ignore(report: &Report, v: &Violation) -> Option<(Suppression, Location)> {
    let file = report.sources.get(&v.location.path)?;
    for line_no in v.location.line..=v.location.end_line.max(v.location.line) {
        let start = file.offset_of(line_no, 0);
        let line = file.text.get(start..)?.lines().next().unwrap_or("");
        let Some(at) = line.find("# stagegate: ignore[") else {
            continue;
        };
        let rest = line.get(at + "# stagegate: ignore[".len()..).unwrap_or("");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_compare_and_come_from_days() {
        assert!(Date::parse("2026-01-31").unwrap() < Date::parse("2026-02-01").unwrap());
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_417).to_string(), "2025-11-25");
    }

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
        assert_eq!(c.fail_on.as_deref(), Some("warning"));
        assert_eq!(c.ignore[0].0, "buildspec-legacy-version");
        assert_eq!(c.waivers[0].expires, Date::parse("2026-12-31"));
    }
}
