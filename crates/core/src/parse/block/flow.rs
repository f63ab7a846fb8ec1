//! parse: flow collections (`[a, b]`, `{k: v}`) of the block reader.

use super::{is_break, is_flow_indicator, Bail, Reader, R};
use crate::parse::tree::{Entry, Node, Style, Value};
use crate::source::Span;

impl<'a> Reader<'a> {
    /// A flow collection at `at`; continuation lines must be indented past `parent`.
    pub(super) fn flow(&self, at: usize, parent: isize, depth: usize) -> R<Node> {
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
    pub(super) fn flow_space(&self, mut i: usize, parent: isize) -> R<usize> {
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
    pub(super) fn flow_node(&self, at: usize, parent: isize, depth: usize) -> R<(Node, usize)> {
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
    pub(super) fn flow_plain_end(&self, at: usize) -> R<usize> {
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
    pub(super) fn flow_key(&self, at: usize, depth: usize) -> R<(String, Span, usize)> {
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
