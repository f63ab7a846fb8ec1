//! parse: a direct reader for the block-style YAML that pipeline files are written in.
//!
//! saphyr-parser reads all of YAML 1.2, but through a token queue and an event per node,
//! at about 40 MB/s here: a third of an audit's time. Templates and buildspecs use a small
//! part of the language: block mappings and sequences, one-line plain and quoted scalars,
//! literal and folded block scalars, flow collections and tags. This reader takes that part
//! straight from bytes to the span tree and gives up (`None`) at anything else: anchors,
//! aliases and merges, multi-line plain or quoted scalars, several documents, directives,
//! tabs in indentation or after an indicator, CR line ends, and every syntax error. The full
//! parser then reads the file, so rare syntax and every error message keep one
//! implementation.
//!
//! Its trees equal the full parser's, spans included, and it takes nothing the full parser
//! rejects: tests compare the two on every fixture, on generated and mutated documents and
//! on the corpus.

use super::tree::{Entry, Node, Style, Value};
use super::yaml::apply_tag;
use super::Limits;
use crate::source::Span;
use std::collections::HashSet;

/// The input is outside the subset this reader handles (or is not valid YAML).
struct Bail;

type R<T> = Result<T, Bail>;

/// Reads a one-document stream in the block subset; `None` when the full parser must.
pub(crate) fn parse(text: &str, limits: &Limits) -> Option<Vec<Node>> {
    if !printable(text) {
        return None;
    }
    let mut reader = Reader {
        s: text.as_bytes(),
        text,
        pos: 0,
        max_depth: limits.max_depth,
    };
    reader.document().ok()
}

/// Whether every character is one YAML allows in a stream, CR aside (its line ends are left
/// to saphyr-parser too), no byte order mark stands inside the text, and no whitespace
/// beyond ASCII does (NEL, no-break spaces: YAML and Rust's `trim` disagree on them).
fn printable(text: &str) -> bool {
    // controls other than tab and line feed, and DEL: a branch-free test a chunk, which the
    // compiler turns into vector instructions
    for chunk in text.as_bytes().chunks(64) {
        let mut bad = 0u8;
        for &b in chunk {
            bad |= (u8::from(b < 0x20) & u8::from(b != b'\t') & u8::from(b != b'\n'))
                | u8::from(b == 0x7f);
        }
        if bad != 0 {
            return false;
        }
    }
    text.is_ascii()
        || text.chars().all(|c| {
            c.is_ascii()
                || (matches!(c, '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
                    && c != '\u{feff}'
                    && !c.is_whitespace())
        })
}

/// A tag as written: its handle (`!` or `!!`) and suffix.
struct Tag<'a> {
    start: usize,
    handle: &'static str,
    suffix: &'a str,
}

/// What a line's content starts with, once blank and comment lines are skipped.
#[derive(Clone, Copy)]
struct Line {
    /// Byte offset of the line's first byte.
    start: usize,
    /// Spaces before its content.
    indent: usize,
}

impl Line {
    fn content(&self) -> usize {
        self.start + self.indent
    }
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    /// The read position; between values it is at the start of a line.
    pos: usize,
    max_depth: usize,
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Whether `b` ends a token: whitespace, line end or end of input (0).
fn is_break(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0)
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

/// The bytes that can end a plain scalar or make the subset give way, in block context and
/// in flow context: `plain_end` skips every other byte with one table lookup each. NUL
/// stands for the end of input.
const BLOCK_STOP: [bool; 256] = byte_set(b"\n:#\0");
const FLOW_STOP: [bool; 256] = byte_set(b"\n:#\0-?,[]{}");

// evaluated at compile time: an index out of range fails the build, never a run
#[allow(clippy::indexing_slicing)]
const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

impl<'a> Reader<'a> {
    /// The byte at `i`, 0 past the end (the input has no NUL the subset accepts).
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    fn starts(&self, i: usize, prefix: &[u8]) -> bool {
        self.s.get(i..).is_some_and(|rest| rest.starts_with(prefix))
    }

    fn str(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while is_ws(self.at(i)) {
            i += 1;
        }
        i
    }

    /// From just after a value on its line: allows trailing blanks and a comment, and moves
    /// to the start of the next line.
    fn end_line(&mut self, from: usize) -> R<()> {
        let i = self.skip_ws(from);
        match self.at(i) {
            b'\n' => {
                self.pos = i + 1;
                Ok(())
            }
            0 if i >= self.s.len() => {
                self.pos = i;
                Ok(())
            }
            b'#' if i > from || self.at(from.wrapping_sub(1)) == b' ' => {
                self.pos = self.line_end(i).saturating_add(1).min(self.s.len());
                Ok(())
            }
            _ => Err(Bail),
        }
    }

    fn line_end(&self, from: usize) -> usize {
        self.s
            .get(from..)
            .and_then(|rest| memchr::memchr(b'\n', rest))
            .map_or(self.s.len(), |p| from + p)
    }

    /// The next line with content at or after `self.pos` (a line start); `None` at the end.
    /// Blank and comment-only lines are passed over; a tab in indentation gives up.
    fn next_line(&mut self) -> R<Option<Line>> {
        loop {
            let start = self.pos;
            if start >= self.s.len() {
                return Ok(None);
            }
            let mut i = start;
            while self.at(i) == b' ' {
                i += 1;
            }
            match self.at(i) {
                b'\n' => self.pos = i + 1,
                0 if i >= self.s.len() => {
                    self.pos = i;
                    return Ok(None);
                }
                b'#' => self.pos = (self.line_end(i) + 1).min(self.s.len()),
                b'\t' => return Err(Bail),
                _ => {
                    return Ok(Some(Line {
                        start,
                        indent: i - start,
                    }))
                }
            }
        }
    }

    fn is_dash(&self, i: usize) -> bool {
        self.at(i) == b'-' && matches!(self.at(i + 1), b' ' | b'\n' | 0)
    }

    /// Skips the spaces between an indicator (`:`, `-`) and what follows it; tabs there are
    /// left to saphyr-parser, which rejects some of them.
    fn separation(&self, from: usize) -> R<usize> {
        let i = self.skip_ws(from);
        if self.s.get(from..i).is_some_and(|gap| gap.contains(&b'\t')) {
            return Err(Bail);
        }
        Ok(i)
    }

    fn document(&mut self) -> R<Vec<Node>> {
        let mut line = self.next_line()?.ok_or(Bail)?;
        if line.indent == 0 && self.starts(line.start, b"---") {
            self.end_line(line.start + 3)?;
            line = self.next_line()?.ok_or(Bail)?;
        }
        let root = if self.is_dash(line.content()) {
            self.sequence(line, -1, line.content(), 0)?
        } else {
            self.mapping(line.content(), line.indent, 0)?
        };
        if self.next_line()?.is_some() {
            return Err(Bail);
        }
        Ok(vec![root])
    }

    fn check_depth(&self, depth: usize) -> R<()> {
        if depth > self.max_depth {
            Err(Bail)
        } else {
            Ok(())
        }
    }

    /// A block mapping whose first key is at `first` (a line's content, or after `- `) and
    /// whose keys sit `indent` columns in.
    fn mapping(&mut self, first: usize, indent: usize, depth: usize) -> R<Node> {
        self.check_depth(depth)?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut index: Option<HashSet<String>> = None;
        let mut at = first;
        loop {
            let (key, key_span, style, after) = self.key(at, depth + 1)?;
            if key == "<<" && style == Style::Plain {
                return Err(Bail);
            }
            let duplicate = match &index {
                Some(set) => set.contains(&key),
                None => entries.iter().any(|e| e.key == key),
            };
            if duplicate {
                return Err(Bail);
            }
            let value = self.value(after, indent as isize, true, key_span.end, depth + 1)?;
            entries.push(Entry {
                key,
                key_span,
                value,
            });
            match &mut index {
                Some(set) => {
                    if let Some(e) = entries.last() {
                        set.insert(e.key.clone());
                    }
                }
                None if entries.len() > 16 => {
                    index = Some(entries.iter().map(|e| e.key.clone()).collect());
                }
                None => {}
            }
            match self.next_line()? {
                Some(line) if line.indent == indent && !self.is_dash(line.content()) => {
                    at = line.content();
                }
                Some(line) if line.indent >= indent => return Err(Bail),
                _ => break,
            }
        }
        let end = entries.last().map_or(first, |e| e.value.span.end);
        Ok(Node {
            value: Value::Map(entries),
            span: Span::new(first, end),
            tag: None,
        })
    }

    /// A mapping key at `at` and its `:`; returns the key, its span and style, and the
    /// position after the colon.
    fn key(&self, at: usize, depth: usize) -> R<(String, Span, Style, usize)> {
        self.check_depth(depth)?;
        let (text, span, style, mut i) = match self.at(at) {
            b'"' | b'\'' => {
                let (text, end) = self.quoted(at)?;
                (text, Span::new(at, end), Style::Quoted, end)
            }
            _ => {
                let end = self.plain_end(at, false)?;
                if end == at {
                    return Err(Bail);
                }
                let trimmed = at + self.str(at, end).trim_end().len();
                (
                    self.str(at, trimmed).to_string(),
                    Span::new(at, trimmed),
                    Style::Plain,
                    end,
                )
            }
        };
        i = self.skip_ws(i);
        if self.at(i) != b':' || !matches!(self.at(i + 1), b' ' | b'\n' | 0) {
            return Err(Bail);
        }
        Ok((text, span, style, i + 1))
    }

    /// Whether a key starts at `at` (on the rest of its line).
    fn looks_like_key(&self, at: usize) -> bool {
        let i = match self.at(at) {
            b'"' | b'\'' => match self.quoted(at) {
                Ok((_, end)) => self.skip_ws(end),
                Err(_) => return false,
            },
            _ => match self.plain_end(at, false) {
                Ok(end) if end > at => end,
                _ => return false,
            },
        };
        self.at(i) == b':' && is_break(self.at(i + 1))
    }

    /// A node after a key's `:` or a sequence's `-`, starting at `after` on that line. Its
    /// block content must be indented past `parent`; `in_map` allows the sequence that sits
    /// at the mapping's own indentation. `empty_at` is where an empty value is placed.
    fn value(
        &mut self,
        after: usize,
        parent: isize,
        in_map: bool,
        empty_at: usize,
        depth: usize,
    ) -> R<Node> {
        self.check_depth(depth)?;
        let i = self.separation(after)?;
        if i == after && !matches!(self.at(i), b'\n' | 0) {
            return Err(Bail);
        }
        let (tag, i) = self.properties(i)?;
        let node = match self.at(i) {
            b'\n' | 0 | b'#' => {
                self.end_line(i)?;
                match self.next_line()? {
                    Some(line) if line.indent as isize > parent => {
                        if self.is_dash(line.content()) {
                            self.sequence(line, parent, line.content(), depth)?
                        } else if self.looks_like_key(line.content()) {
                            self.mapping(line.content(), line.indent, depth)?
                        } else if tag.is_none() && !matches!(self.at(line.content()), b'|' | b'>') {
                            // a scalar or flow node on the next line; indentation precedes it
                            return self.value(line.content() - 1, parent, in_map, empty_at, depth);
                        } else {
                            return Err(Bail);
                        }
                    }
                    Some(line)
                        if in_map
                            && line.indent as isize == parent
                            && self.is_dash(line.content()) =>
                    {
                        self.sequence(line, parent, line.content(), depth)?
                    }
                    _ if tag.is_some() => return Err(Bail),
                    _ => Node {
                        value: Value::Scalar(String::new(), Style::Plain),
                        span: Span::new(empty_at, empty_at),
                        tag: None,
                    },
                }
            }
            b'|' | b'>' => self.block_scalar(i, parent)?,
            b'[' | b'{' => {
                let node = self.flow(i, parent, depth)?;
                self.end_line(node.span.end)?;
                node
            }
            b'"' | b'\'' => {
                let (text, end) = self.quoted(i)?;
                self.end_line(end)?;
                Node {
                    value: Value::Scalar(text, Style::Quoted),
                    span: Span::new(i, end),
                    tag: None,
                }
            }
            _ => {
                let end = self.plain_end(i, false)?;
                if end == i || self.at(end) == b':' {
                    return Err(Bail);
                }
                let trimmed = i + self.str(i, end).trim_end().len();
                self.end_line(end)?;
                // a more indented line after a plain scalar continues it over lines
                let save = self.pos;
                if let Some(line) = self.next_line()? {
                    if line.indent as isize > parent {
                        return Err(Bail);
                    }
                }
                self.pos = save;
                Node {
                    value: Value::Scalar(self.str(i, trimmed).to_string(), Style::Plain),
                    span: Span::new(i, trimmed),
                    tag: None,
                }
            }
        };
        Ok(match tag {
            None => node,
            Some(t) => self.tagged(node, t),
        })
    }

    fn tagged(&self, mut node: Node, tag: Tag<'_>) -> Node {
        node.span = Span::new(tag.start, node.span.end);
        apply_tag(node, Some((tag.handle, tag.suffix)))
    }

    /// The tag that may stand at `at`, and where the node itself starts.
    fn properties(&self, at: usize) -> R<(Option<Tag<'a>>, usize)> {
        if self.at(at) != b'!' {
            return Ok((None, at));
        }
        let (tag, end) = self.tag(at)?;
        Ok((Some(tag), self.skip_ws(end)))
    }

    /// A tag at `at` (`!Name` or `!!name`) and the position after it.
    fn tag(&self, at: usize) -> R<(Tag<'a>, usize)> {
        let (handle, from) = if self.at(at + 1) == b'!' {
            ("!!", at + 2)
        } else {
            ("!", at + 1)
        };
        let mut i = from;
        while matches!(self.at(i), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b':')
        {
            i += 1;
        }
        if i == from || !is_break(self.at(i)) {
            return Err(Bail);
        }
        Ok((
            Tag {
                start: at,
                handle,
                suffix: self.str(from, i),
            },
            i,
        ))
    }

    /// A block sequence whose first `-` is at `first` on `line`. An indented sequence spans
    /// from its first dash; one at its mapping's own indentation (`parent`) from what follows
    /// its first dash on that line, as saphyr-parser places it.
    fn sequence(&mut self, line: Line, parent: isize, first: usize, depth: usize) -> R<Node> {
        self.check_depth(depth)?;
        let indent = first - line.start;
        let indentless = indent as isize == parent;
        let mut items = Vec::new();
        let mut dash = first;
        loop {
            let item = self.item(dash, indent, depth + 1)?;
            items.push(item);
            match self.next_line()? {
                Some(l) if l.indent == indent && self.is_dash(l.content()) => dash = l.content(),
                Some(l) if l.indent > indent => return Err(Bail),
                Some(l) if l.indent == indent && !indentless => return Err(Bail),
                _ => break,
            }
        }
        let start = if indentless {
            let after_dash = self.skip_ws(first + 1);
            if self.at(after_dash) == b'#' {
                return Err(Bail);
            }
            after_dash
        } else {
            first
        };
        let end = items.last().map_or(start, |n| n.span.end);
        Ok(Node {
            value: Value::Seq(items),
            span: Span::new(start, end),
            tag: None,
        })
    }

    /// One sequence item after the dash at `dash`, which sits `indent` columns in.
    fn item(&mut self, dash: usize, indent: usize, depth: usize) -> R<Node> {
        let content = self.separation(dash + 1)?;
        if content == dash + 1 && !matches!(self.at(content), b'\n' | 0) {
            return Err(Bail);
        }
        let column = indent + (content - dash);
        if self.is_dash(content) {
            let line = Line {
                start: content - column,
                indent: column,
            };
            return self.sequence(line, indent as isize, content, depth);
        }
        if !matches!(
            self.at(content),
            b'\n' | 0 | b'#' | b'!' | b'[' | b'{' | b'|' | b'>'
        ) && self.looks_like_key(content)
        {
            return self.mapping(content, column, depth);
        }
        if matches!(self.at(content), b'\n' | 0 | b'#') {
            // an item on the lines below: a null item is rare enough to leave to saphyr
            let save = self.pos;
            self.end_line(content)?;
            match self.next_line()? {
                Some(l) if l.indent > indent => {}
                _ => return Err(Bail),
            }
            self.pos = save;
        }
        self.value(dash + 1, indent as isize, false, dash + 1, depth)
    }

    /// Where a plain scalar starting at `at` ends (before trailing blanks are trimmed): at a
    /// line end, a ` #` comment or a `: `; in flow context also at `,[]{}`.
    fn plain_end(&self, at: usize, flow: bool) -> R<usize> {
        let first = self.at(at);
        let indicator = matches!(
            first,
            b',' | b'['
                | b']'
                | b'{'
                | b'}'
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
        );
        let needs_safe_next = matches!(first, b'-' | b'?' | b':');
        if indicator
            || (needs_safe_next
                && (is_break(self.at(at + 1)) || (flow && is_flow_indicator(self.at(at + 1)))))
        {
            return Err(Bail);
        }
        if at == self.pos
            && (self.starts(at, b"---") || self.starts(at, b"..."))
            && is_break(self.at(at + 3))
        {
            return Err(Bail);
        }
        let stop = if flow { &FLOW_STOP } else { &BLOCK_STOP };
        let mut i = at;
        loop {
            while self
                .s
                .get(i)
                .is_some_and(|b| stop.get(usize::from(*b)) == Some(&false))
            {
                i += 1;
            }
            match self.at(i) {
                b'\n' | 0 if i >= self.s.len() || self.at(i) == b'\n' => return Ok(i),
                // saphyr-parser rejects a tab after the colon
                b':' if self.at(i + 1) == b'\t' => return Err(Bail),
                // and, in a flow collection, a word `-` or `?` before a flow indicator
                b'-' | b'?'
                    if flow
                        && is_ws(self.at(i.wrapping_sub(1)))
                        && (is_break(self.at(i + 1)) || is_flow_indicator(self.at(i + 1))) =>
                {
                    return Err(Bail)
                }
                b':' if is_break(self.at(i + 1)) || (flow && is_flow_indicator(self.at(i + 1))) => {
                    return Ok(i)
                }
                b'#' if is_ws(self.at(i.wrapping_sub(1))) => return Ok(i),
                b if flow && is_flow_indicator(b) => return Ok(i),
                0 => return Err(Bail),
                _ => i += 1,
            }
        }
    }

    /// A one-line quoted scalar at `at`: its text and the position after the closing quote.
    fn quoted(&self, at: usize) -> R<(String, usize)> {
        let quote = self.at(at);
        let mut out = String::new();
        let mut i = at + 1;
        let mut run = i;
        loop {
            match self.at(i) {
                b'\n' => return Err(Bail),
                0 if i >= self.s.len() => return Err(Bail),
                b'\'' if quote == b'\'' => {
                    out.push_str(self.str(run, i));
                    if self.at(i + 1) == b'\'' {
                        out.push('\'');
                        i += 2;
                        run = i;
                    } else {
                        return Ok((out, i + 1));
                    }
                }
                b'"' if quote == b'"' => {
                    out.push_str(self.str(run, i));
                    return Ok((out, i + 1));
                }
                b'\\' if quote == b'"' => {
                    out.push_str(self.str(run, i));
                    i = self.escape(i + 1, &mut out)?;
                    run = i;
                }
                _ => i += 1,
            }
        }
    }

    /// A double-quoted escape whose letter is at `at`; returns the position after it.
    fn escape(&self, at: usize, out: &mut String) -> R<usize> {
        let simple = match self.at(at) {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let len = match self.at(at) {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.text.get(at + 1..at + 1 + len).ok_or(Bail)?;
                let code = u32::from_str_radix(hex, 16).map_err(|_| Bail)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Bail);
                }
                out.push(char::from_u32(code).ok_or(Bail)?);
                return Ok(at + 1 + len);
            }
            _ => return Err(Bail),
        };
        out.push(simple);
        Ok(at + 1)
    }

    /// A literal (`|`) or folded (`>`) scalar whose indicator is at `at`; its lines are
    /// indented past `parent`.
    fn block_scalar(&mut self, at: usize, parent: isize) -> R<Node> {
        let folded = self.at(at) == b'>';
        let mut i = at + 1;
        let chomp = match self.at(i) {
            b'-' | b'+' => {
                i += 1;
                self.at(i - 1)
            }
            _ => 0,
        };
        if !is_break(self.at(i)) {
            // an explicit indentation indicator, or both indicators
            return Err(Bail);
        }
        self.end_line(i)?;
        // the content's indentation is the first line's; a blank line first is left to saphyr
        let first = self.pos;
        let mut indent = 0;
        while self.at(first + indent) == b' ' {
            indent += 1;
        }
        if matches!(self.at(first + indent), b'\n' | 0 | b'\t') || (indent as isize) <= parent {
            return Err(Bail);
        }
        // (content start, content end) of each line; blank lines are empty
        let mut lines: Vec<(usize, usize)> = Vec::new();
        let mut pos = first;
        while pos < self.s.len() {
            let end = self.line_end(pos);
            let mut spaces = 0;
            while pos + spaces < end && self.at(pos + spaces) == b' ' {
                spaces += 1;
            }
            if pos + spaces == end {
                if spaces > indent {
                    // spaces past the indentation on a blank line are content
                    return Err(Bail);
                }
                if end == self.s.len() {
                    // blanks after the last line break: saphyr-parser counts them as a line
                    // or not by their width, a corner left to it
                    return Err(Bail);
                }
                lines.push((end, end));
            } else if spaces >= indent {
                if self.str(pos + indent, end).trim().is_empty() {
                    return Err(Bail);
                }
                lines.push((pos + indent, end));
            } else {
                break;
            }
            pos = (end + 1).min(self.s.len());
            if end == self.s.len() {
                break;
            }
        }
        self.pos = pos;
        let last = lines.iter().rposition(|(s, e)| e > s).ok_or(Bail)?;
        let trailing = lines.len() - 1 - last;
        let &(first_start, _) = lines.first().ok_or(Bail)?;
        let &(last_start, last_end) = lines.get(last).ok_or(Bail)?;
        let mut text = String::new();
        let mut blank_run = 0;
        let mut previous: Option<bool> = None; // whether the previous content line is more indented
        for &(s, e) in lines.iter().take(last + 1) {
            if s == e {
                blank_run += 1;
                continue;
            }
            let line = self.str(s, e);
            let more = matches!(line.as_bytes().first(), Some(b' ' | b'\t'));
            if let Some(prev_more) = previous {
                if folded && !prev_more && !more {
                    if blank_run == 0 {
                        text.push(' ');
                    }
                } else {
                    text.push('\n');
                }
                for _ in 0..blank_run {
                    text.push('\n');
                }
            } else {
                for _ in 0..blank_run {
                    text.push('\n');
                }
            }
            blank_run = 0;
            text.push_str(line);
            previous = Some(more);
        }
        match chomp {
            b'-' => {}
            b'+' => {
                text.push('\n');
                for _ in 0..trailing {
                    text.push('\n');
                }
            }
            _ => text.push('\n'),
        }
        let end = last_start + self.str(last_start, last_end).trim_end().len();
        Ok(Node {
            value: Value::Scalar(text, Style::Block),
            span: Span::new(first_start, end),
            tag: None,
        })
    }

    /// A flow collection at `at`; continuation lines must be indented past `parent`.
    fn flow(&self, at: usize, parent: isize, depth: usize) -> R<Node> {
        self.check_depth(depth)?;
        let close = if self.at(at) == b'[' { b']' } else { b'}' };
        let mut i = self.flow_space(at + 1, parent)?;
        let mut items = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        if self.at(i) != close {
            loop {
                if close == b']' {
                    let (node, end) = self.flow_node(i, parent, depth + 1)?;
                    items.push(node);
                    i = self.flow_space(end, parent)?;
                } else {
                    let (key, key_span, after) = self.flow_key(i, depth + 1)?;
                    if entries.iter().any(|e| e.key == key) {
                        return Err(Bail);
                    }
                    let v = self.flow_space(after, parent)?;
                    if matches!(self.at(v), b',' | b'}') {
                        return Err(Bail);
                    }
                    let (value, end) = self.flow_node(v, parent, depth + 1)?;
                    entries.push(Entry {
                        key,
                        key_span,
                        value,
                    });
                    i = self.flow_space(end, parent)?;
                }
                match self.at(i) {
                    b',' => {
                        i = self.flow_space(i + 1, parent)?;
                        if self.at(i) == close {
                            // a trailing comma
                            return Err(Bail);
                        }
                    }
                    b if b == close => break,
                    _ => return Err(Bail),
                }
            }
        }
        let span = Span::new(at, i + 1);
        let value = if close == b']' {
            Value::Seq(items)
        } else {
            Value::Map(entries)
        };
        Ok(Node {
            value,
            span,
            tag: None,
        })
    }

    /// Skips blanks, line breaks and comments inside a flow collection.
    fn flow_space(&self, mut i: usize, parent: isize) -> R<usize> {
        loop {
            match self.at(i) {
                b' ' | b'\t' => i += 1,
                b'\n' => {
                    i += 1;
                    let mut spaces = 0;
                    while self.at(i) == b' ' {
                        i += 1;
                        spaces += 1;
                    }
                    if !matches!(self.at(i), b'\n' | b'#') && spaces as isize <= parent {
                        return Err(Bail);
                    }
                }
                b'#' if is_break(self.at(i.wrapping_sub(1))) => i = self.line_end(i),
                0 if i >= self.s.len() => return Err(Bail),
                _ => return Ok(i),
            }
        }
    }

    /// A node inside a flow collection: its node and the position after it.
    fn flow_node(&self, at: usize, parent: isize, depth: usize) -> R<(Node, usize)> {
        let (tag, i) = self.properties(at)?;
        let node = match self.at(i) {
            b'[' | b'{' => self.flow(i, parent, depth)?,
            b'"' | b'\'' => {
                let (text, end) = self.quoted(i)?;
                Node {
                    value: Value::Scalar(text, Style::Quoted),
                    span: Span::new(i, end),
                    tag: None,
                }
            }
            _ => {
                let end = self.flow_plain_end(i)?;
                let trimmed = i + self.str(i, end).trim_end().len();
                Node {
                    value: Value::Scalar(self.str(i, trimmed).to_string(), Style::Plain),
                    span: Span::new(i, trimmed),
                    tag: None,
                }
            }
        };
        let end = node.span.end;
        if self.at(self.skip_ws(end)) == b':' {
            // a single-pair mapping inside a flow sequence
            return Err(Bail);
        }
        Ok((
            match tag {
                None => node,
                Some(t) => self.tagged(node, t),
            },
            end,
        ))
    }

    /// Where a one-line plain scalar inside a flow collection ends.
    fn flow_plain_end(&self, at: usize) -> R<usize> {
        let end = self.plain_end(at, true)?;
        if end == at {
            return Err(Bail);
        }
        // a plain scalar continued on the next line is folded: left to saphyr
        if self.at(end) == b'\n' || self.at(end) == b'#' {
            let mut j = end;
            loop {
                match self.at(j) {
                    b' ' | b'\t' | b'\n' => j += 1,
                    b'#' => j = self.line_end(j),
                    _ => break,
                }
            }
            if !matches!(self.at(j), b',' | b']' | b'}') {
                return Err(Bail);
            }
        }
        Ok(end)
    }

    /// A key inside a flow mapping and the position after its `:`.
    fn flow_key(&self, at: usize, depth: usize) -> R<(String, Span, usize)> {
        self.check_depth(depth)?;
        let (key, span, end, quoted) = match self.at(at) {
            b'"' | b'\'' => {
                let (text, end) = self.quoted(at)?;
                (text, Span::new(at, end), end, true)
            }
            _ => {
                let end = self.flow_plain_end(at)?;
                let trimmed = at + self.str(at, end).trim_end().len();
                (
                    self.str(at, trimmed).to_string(),
                    Span::new(at, trimmed),
                    end,
                    false,
                )
            }
        };
        let i = self.skip_ws(end);
        if self.at(i) != b':' {
            return Err(Bail);
        }
        let next = self.at(i + 1);
        if next == b'\t' || !(quoted || is_break(next) || is_flow_indicator(next)) {
            return Err(Bail);
        }
        Ok((key, span, i + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml::full;
    use super::*;

    /// The block reader takes `text` and agrees with saphyr-parser.
    #[track_caller]
    fn same(text: &str) {
        let limits = Limits::default();
        let fast = parse(text, &limits);
        let reference = full(text, &limits).expect("valid YAML");
        assert_eq!(fast.as_ref(), Some(&reference), "{text}");
    }

    /// The block reader gives way on `text`.
    #[track_caller]
    fn gives_way(text: &str) {
        assert!(parse(text, &Limits::default()).is_none(), "{text}");
    }

    #[test]
    fn block_mappings_sequences_and_scalars() {
        same("a: 1\nb:\nc: x y  \nd: 'it''s'\ne: \"q\\tx\\u00e9\"\n");
        same("# top\n\nk:\n  n: m\n  o:\n    p: q\nl:\n  - a\n  -   b\n  - - c\n    - d\n");
        same("e:\n- q: 1\n  r: 2\n- [a]\n- - z\n  - w\nf: last\n");
        same("- a\n- b: c\n  d: e\n- - x\n");
        same("---\n# c\nversion: 0.2\nphases:\n  build:\n    commands:\n      - make   # go\n");
        same("\"quoted key\": 1\n'single': 2\nplain key: 3\nurl: http://x/y#z\n");
        same("a: b # comment\nc: \"x\"  # comment\nd: 'y' # c\n");
        same("empty:\nnext: 1\nlast:\n");
        same("a:\n  b:\n  c: 1\n");
        same("a:\n  !Join ['', [x, !Ref y]]\nb:\n  plain on the next line\nc:\n  - x\n");
        same("key   : spaced\nnested:\n# between\n  b: 1\n");
        same("  indented: root\n  next: 1\n");
        same("a:\n  - k: v\n    # inside\n    l: [1, {m: n}]\n  - |-\n    text\n");
    }

    #[test]
    fn block_scalars() {
        same("a: |\n  x\n  y\n\nb: >-\n  p\n  q\nc: |+\n  keep\n\n\nd: 1\n");
        same("r: >\n  a\n  b\n\n  c\n   d\n  e\n");
        same("p: |-\n    keep\n      more\n\n\nq: x\n");
        same("s: |\n  line # not a comment\n  #also text\n# a comment\nt: 1\n");
        same("u: |\n  no final break");
        same("u: |+\n  no final break");
        same("u: |+\n  kept\n\n");
        same("- |\n  item\n- >\n  folded\n  item\n");
    }

    #[test]
    fn flow_collections_and_tags() {
        same("h: [a, !Ref b, {k: v}, \"q\", 'r']\ni: {}\nj: []\n");
        same("s: [a,\n  b]\n");
        same("a: !Ref X\nb: !GetAtt A.B.C\nc: !Sub '${A}-b'\nd: !!str 1\n");
        same("a: !Sub |\n  x ${A}\n  y\nc: !If\n  - k\n  - v\nd:\n  - !Sub\n    - x\n");
        same("a: !Join ['', [!Ref A, '-', !Select [0, !GetAZs '']]]\n");
        same("a: {\"k\":1, \"l\": [1, 2]}\n");
    }

    #[test]
    fn the_rest_is_left_to_saphyr() {
        gives_way("a: &x 1\nb: *x\n");
        gives_way("base: {x: 1}\nc:\n  <<: {y: 2}\n");
        gives_way("t: a b\n  c\n");
        gives_way("a: 'two\n  lines'\n");
        gives_way("a: 1\n---\nb: 2\n");
        gives_way("%YAML 1.2\n---\na: 1\n");
        gives_way("a: 1\r\nb: 2\r\n");
        gives_way("a: \u{b}x\n");
        gives_way("a: x\u{7f}\n");
        gives_way("a: \u{feff}x\n");
        gives_way("a: \u{9c}é\n");
        gives_way("a: x\u{85}\n");
        gives_way("a: x\u{a0}\n");
        gives_way("a:\n\t- x\n");
        gives_way("? complex\n: key\n");
        gives_way("a: 1\na: 2\n");
        gives_way("a: [1, 2,]\n");
        gives_way("a: [k: v]\n");
        gives_way("a: |2\n   x\n");
        gives_way("a: |\n\n  x\n");
        gives_way("- \n- x\n");
        gives_way("just a scalar\n");
        gives_way("");
        gives_way("a: b: c\n");
        gives_way("a: 1\n  b: 2\n");
        // saphyr-parser rejects these: the reader must not take them
        gives_way("a:\tb\n");
        gives_way("a: {k:\tv}\n");
        gives_way("\"a\":\tb\n");
        gives_way("a: [build -, x]\n");
        gives_way("-\tx\n");
        gives_way("u: |+\n  kept\n\n ");
        gives_way("a:\n  |\n   x\n");
        gives_way("a: \tx\n");
    }

    #[test]
    fn nesting_past_the_limit_is_left_to_saphyr() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse("a:\n  b:\n    c:\n      d: 1\n", &limits).is_none());
        assert!(parse("a:\n  b: 1\n", &limits).is_some());
    }
}
