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
}

mod flow;
mod scalars;
#[cfg(test)]
mod tests;
