//! render: `--format human`, rustc-style diagnostics with source snippets (miette).

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use stagegate::{Location, Report, Severity};
use std::fmt;
use std::sync::Arc;

/// A diagnostic built from a violation or a problem.
#[derive(Debug)]
struct Diag {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: Option<NamedSource<Arc<str>>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
        }
    }
}

/// File texts for snippets, with every secret any finding names masked.
struct Sources<'a> {
    report: &'a Report,
    secrets: Vec<String>,
    cache: std::collections::HashMap<String, Arc<str>>,
}

impl Sources<'_> {
    fn named(&mut self, path: &str) -> Option<NamedSource<Arc<str>>> {
        let text = match self.cache.get(path) {
            Some(t) => t.clone(),
            None => {
                let raw = &self.report.sources.get(path)?.text;
                let t: Arc<str> = Arc::from(stagegate::redact_text(raw, &self.secrets).as_str());
                self.cache.insert(path.to_string(), t.clone());
                t
            }
        };
        Some(NamedSource::new(path, text).with_language("yaml"))
    }
}

/// The span to underline: its first line only, so a whole action does not fill the screen
/// (JSON keeps the full region).
fn first_line(report: &Report, loc: &Location) -> SourceSpan {
    let mut end = loc.span.end;
    if let Some(text) = report.sources.get(&loc.path).map(|f| f.text.as_str()) {
        if let Some(rest) = text.get(loc.span.start..loc.span.end) {
            if let Some(nl) = rest.find('\n') {
                end = loc.span.start + rest[..nl].trim_end().len();
            }
        }
    }
    SourceSpan::new(loc.span.start.into(), end - loc.span.start)
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// Renders every violation and problem, then notes and a summary line.
pub fn render(report: &Report, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(100)
        .with_context_lines(1);
    let mut sources = Sources {
        report,
        secrets: report
            .violations
            .iter()
            .flat_map(|v| v.redact.iter().cloned())
            .collect(),
        cache: Default::default(),
    };
    let mut out = String::new();
    let emit = |d: &Diag, out: &mut String| {
        let mut s = String::new();
        if handler.render_report(&mut s, d).is_err() {
            s = format!("{}\n", d.message);
        }
        out.push_str(&s);
        out.push('\n');
    };
    for v in report.active() {
        let labels = vec![LabeledSpan::new_primary_with_span(
            v.label.clone(),
            first_line(report, &v.location),
        )];
        // each related place gets its own snippet: miette would otherwise print every line
        // between two distant labels of one file
        let related = v
            .related
            .iter()
            .map(|r| Diag {
                message: r.message.clone(),
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                url: None,
                source: sources.named(&r.location.path),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(r.message.clone()),
                    first_line(report, &r.location),
                )],
                related: Vec::new(),
            })
            .collect();
        let d = Diag {
            message: v.message.clone(),
            code: Some(v.policy.clone()),
            severity: severity(v.severity),
            help: Some(format!(
                "{} (`stagegate explain {}` for the fix)",
                v.title, v.policy
            )),
            url: None,
            source: sources.named(&v.location.path),
            labels,
            related,
        };
        emit(&d, &mut out);
    }
    for e in &report.errors {
        let (source, labels) = match &e.location {
            Some(loc) => {
                let mut labels = vec![LabeledSpan::new_primary_with_span(
                    Some("here".into()),
                    first_line(report, loc),
                )];
                labels.extend(e.related.iter().map(|r| {
                    LabeledSpan::new_with_span(
                        Some(r.message.clone()),
                        first_line(report, &r.location),
                    )
                }));
                (sources.named(&loc.path), labels)
            }
            None => (None, Vec::new()),
        };
        let message = match &e.location {
            Some(loc) => format!("{}:{}:{}: {}", loc.path, loc.line, loc.column, e.message),
            None => e.message.clone(),
        };
        let d = Diag {
            message,
            code: Some("stagegate::input".into()),
            severity: miette::Severity::Error,
            help: None,
            url: None,
            source,
            labels,
            related: Vec::new(),
        };
        emit(&d, &mut out);
    }
    for n in &report.notes {
        if n.path.is_empty() {
            out.push_str(&format!("note: {}\n", n.message));
        } else {
            out.push_str(&format!("note: {}: {}\n", n.path, n.message));
        }
    }
    let s = &report.summary;
    out.push_str(&format!(
        "{} error{}, {} warning{}, {} note{}{} in {} file{} ({} pipeline{}){}\n",
        report.count(Severity::Error),
        plural(report.count(Severity::Error)),
        report.count(Severity::Warning),
        plural(report.count(Severity::Warning)),
        report.count(Severity::Note),
        plural(report.count(Severity::Note)),
        if report.waived() > 0 {
            format!(", {} waived", report.waived())
        } else {
            String::new()
        },
        s.files,
        plural(s.files),
        s.pipelines,
        plural(s.pipelines),
        if report.errors.is_empty() {
            String::new()
        } else {
            format!(
                "; {} input or policy problem{} (the check is incomplete)",
                report.errors.len(),
                plural(report.errors.len())
            )
        }
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
