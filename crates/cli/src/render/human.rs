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
    source: Option<Snippet>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

/// A file's text for snippets; for a file cut to windows (see [`window`]), how far each
/// cut line's window starts from its line's start (in bytes, as miette counts columns), so
/// that the location shown stays the real one.
#[derive(Debug)]
struct Snippet {
    named: NamedSource<Arc<str>>,
    shifts: Vec<(usize, usize)>,
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents = self.named.read_span(span, before, after)?;
        let shift = self
            .shifts
            .iter()
            .find(|(line, _)| *line == contents.line())
            .map(|(_, shift)| *shift);
        match shift {
            // the location line names the span's start: its real column
            Some(shift) if before == 0 && after == 0 => {
                Ok(Box::new(miette::MietteSpanContents::new_named(
                    self.named.name().to_string(),
                    contents.data(),
                    *contents.span(),
                    contents.line(),
                    contents.column() + shift,
                    contents.line_count(),
                )))
            }
            _ => Ok(contents),
        }
    }
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
    /// Longest source line shown whole in a snippet.
    max_line: usize,
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

    /// The source for a snippet of `spans` in `path`. A file with lines longer than
    /// `max_line` (a minified template, a long command) is cut to windows of the lines
    /// shown, other lines left empty so that line numbers stay true, and the spans are moved
    /// into them.
    fn snippet(&mut self, path: &str, spans: &[SourceSpan]) -> (Option<Snippet>, Vec<SourceSpan>) {
        let Some(named) = self.named(path) else {
            return (None, spans.to_vec());
        };
        let whole = |named| Snippet {
            named,
            shifts: Vec::new(),
        };
        let Some(text) = self.cache.get(path).cloned() else {
            return (Some(whole(named)), spans.to_vec());
        };
        if !text.split('\n').any(|l| l.len() > self.max_line) {
            return (Some(whole(named)), spans.to_vec());
        }
        let (windowed, moved, shifts) = window(&text, spans, self.max_line);
        (
            Some(Snippet {
                named: NamedSource::new(path, Arc::from(windowed.as_str())).with_language("yaml"),
                shifts,
            }),
            moved,
        )
    }
}

/// `text` with only the lines around `spans` kept, each cut to `max_line` bytes around
/// the span it holds (`…` marks a cut), the spans moved to match, and per cut line (0-based)
/// how many bytes of it the window leaves out in front, less the `…`.
type Windowed = (String, Vec<SourceSpan>, Vec<(usize, usize)>);

fn window(text: &str, spans: &[SourceSpan], max_line: usize) -> Windowed {
    let mut starts = vec![0];
    starts.extend(memchr_newlines(text));
    let line_of = |offset: usize| starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let span_lines: Vec<usize> = spans.iter().map(|s| line_of(s.offset())).collect();
    let shown = |i: usize| span_lines.iter().any(|&l| l.abs_diff(i) <= 1);
    let mut out = String::new();
    let mut moved = spans.to_vec();
    let mut shifts = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !shown(i) {
            continue;
        }
        let line_start = starts.get(i).copied().unwrap_or(0);
        // the window starts a little before the first span that begins on this line
        let first = spans.iter().zip(&span_lines).find(|(_, l)| **l == i);
        let anchor = first.map_or(0, |(s, _)| s.offset() - line_start);
        let anchor_end = first.map_or(0, |(s, _)| s.offset() + s.len() - line_start);
        // a line is cut in front only when its span would not show otherwise
        let mut from = if line.len() > max_line && anchor_end > max_line {
            anchor.saturating_sub(max_line / 4)
        } else {
            0
        };
        while !line.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (from + max_line).min(line.len());
        while !line.is_char_boundary(to) {
            to -= 1;
        }
        let cut_before = from > 0;
        if cut_before {
            out.push('…');
            // miette counts columns in bytes, `…` included
            shifts.push((i, from.saturating_sub('…'.len_utf8())));
        }
        let window_start = out.len();
        out.push_str(line.get(from..to).unwrap_or(""));
        let window_end = out.len();
        if to < line.len() {
            out.push('…');
        }
        for ((span, l), new) in spans.iter().zip(&span_lines).zip(moved.iter_mut()) {
            if *l == i {
                let start = window_start + (span.offset() - line_start).saturating_sub(from);
                let start = start.min(window_end);
                let end = (start + span.len()).min(window_end);
                *new = SourceSpan::new(start.into(), end - start);
            }
        }
    }
    (out, moved, shifts)
}

/// Byte offsets of the starts of the lines after the first.
fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i + 1)
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

/// Renders every violation and problem, then run notes and a summary line, wrapped to
/// `width` columns.
pub fn render(report: &Report, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(width)
        .with_word_separator(textwrap::WordSeparator::Custom(words_keeping_code))
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false)
        .with_context_lines(1);
    let mut sources = Sources {
        report,
        // the gutter (line numbers and bars) takes about ten columns
        max_line: width.saturating_sub(10).max(MIN_LINE),
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
        let (source, spans) = sources.snippet(&v.location.path, &[first_line(report, &v.location)]);
        let labels = spans
            .into_iter()
            .map(|span| LabeledSpan::new_primary_with_span(v.label.clone(), span))
            .collect();
        // each related place gets its own snippet: miette would otherwise print every line
        // between two distant labels of one file
        let related = v
            .related
            .iter()
            .map(|r| {
                let (source, spans) =
                    sources.snippet(&r.location.path, &[first_line(report, &r.location)]);
                Diag {
                    message: r.message.clone(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    url: None,
                    source,
                    labels: spans
                        .into_iter()
                        .map(|span| {
                            LabeledSpan::new_primary_with_span(Some(r.message.clone()), span)
                        })
                        .collect(),
                    related: Vec::new(),
                }
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
            source,
            labels,
            related,
        };
        emit(&d, &mut out);
    }
    for e in &report.errors {
        let (source, labels) = match &e.location {
            Some(loc) => {
                // related places of an error are in its own file
                let mut spans = vec![first_line(report, loc)];
                spans.extend(e.related.iter().map(|r| first_line(report, &r.location)));
                let (source, spans) = sources.snippet(&loc.path, &spans);
                let mut labels = Vec::new();
                for (i, span) in spans.into_iter().enumerate() {
                    labels.push(match i.checked_sub(1).and_then(|r| e.related.get(r)) {
                        None => LabeledSpan::new_primary_with_span(Some("here".into()), span),
                        Some(r) => LabeledSpan::new_with_span(Some(r.message.clone()), span),
                    });
                }
                (source, labels)
            }
            None => (None, Vec::new()),
        };
        let message = match &e.location {
            Some(loc) => format!("{}:{}:{}: {}", loc.path, loc.line, loc.column, e.message),
            None => e.message.clone(),
        };
        let d = Diag {
            message,
            code: None,
            severity: miette::Severity::Error,
            help: Some("the check is incomplete until this is fixed (exit 2)".into()),
            url: None,
            source,
            labels,
            related: Vec::new(),
        };
        emit(&d, &mut out);
    }
    out.push_str(&run_notes(report));
    out.push_str(&summary(report));
    out
}

/// `--format concise`: one line per finding and per problem (`path:line:col: severity[id]
/// message`), for CI logs; then run notes and the summary line.
pub fn render_concise(report: &Report) -> String {
    let mut out = String::new();
    for v in report.active() {
        let l = &v.location;
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            l.path,
            l.line,
            l.column,
            v.severity.as_str(),
            v.policy,
            one_line(&v.message)
        ));
    }
    for e in &report.errors {
        let place = match &e.location {
            Some(l) => format!("{}:{}:{}: ", l.path, l.line, l.column),
            None => String::new(),
        };
        out.push_str(&format!(
            "{place}error[incomplete] {}\n",
            one_line(&e.message)
        ));
    }
    out.push_str(&run_notes(report));
    out.push_str(&summary(report));
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the run itself says (skipped files, baselines, operator overrides): not findings.
fn run_notes(report: &Report) -> String {
    let mut out = String::new();
    for n in &report.notes {
        if n.path.is_empty() {
            out.push_str(&format!("info: {}\n", n.message));
        } else {
            out.push_str(&format!("info: {}: {}\n", n.path, n.message));
        }
    }
    out
}

/// The last line: findings by severity, waivers, what was read, and whether the check is
/// complete.
fn summary(report: &Report) -> String {
    let s = &report.summary;
    format!(
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
    )
}

/// Shortest source line a snippet cuts to, whatever the terminal's width.
const MIN_LINE: usize = 40;

/// Words for wrapping: split at ASCII spaces, except inside backticks, so a suggested
/// command such as `stagegate explain build-without-sca` stays on one line to copy.
fn words_keeping_code(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let mut start = 0;
    let mut in_code = false;
    let mut in_space = false;
    let mut chars = line.char_indices();
    Box::new(std::iter::from_fn(move || {
        for (i, c) in chars.by_ref() {
            if in_space && c != ' ' {
                let word = textwrap::core::Word::from(&line[start..i]);
                start = i;
                in_space = false;
                if c == '`' {
                    in_code = !in_code;
                }
                return Some(word);
            }
            if c == '`' {
                in_code = !in_code;
            }
            in_space = c == ' ' && !in_code;
        }
        if start < line.len() {
            let word = textwrap::core::Word::from(&line[start..]);
            start = line.len();
            return Some(word);
        }
        None
    }))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<&str> {
        words_keeping_code(line).map(|w| w.word).collect()
    }

    #[test]
    fn a_command_in_backticks_is_one_word() {
        assert_eq!(
            words("Build (`stagegate explain build-without-sca` for the fix)"),
            [
                "Build",
                "(`stagegate explain build-without-sca`",
                "for",
                "the",
                "fix)"
            ]
        );
        assert_eq!(words("a  b"), ["a", "b"]);
        assert_eq!(words("unclosed `a b"), ["unclosed", "`a b"]);
        assert_eq!(words(""), Vec::<&str>::new());
    }

    #[test]
    fn a_long_line_is_cut_around_its_span() {
        let line = format!("{}TARGET{}", "x".repeat(300), "y".repeat(300));
        let text = format!("first\n{line}\nlast");
        let at = text.find("TARGET").unwrap();
        let (out, moved, _) = window(&text, &[SourceSpan::new(at.into(), 6)], 60);
        let cut = out.lines().nth(1).unwrap();
        assert!(cut.starts_with('…') && cut.ends_with('…'), "{cut}");
        assert!(cut.chars().count() <= 62, "{cut}");
        assert_eq!(&out[moved[0].offset()..moved[0].offset() + 6], "TARGET");
    }
}
