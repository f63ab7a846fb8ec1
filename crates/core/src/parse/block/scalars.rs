//! parse: the scalars of the block reader: plain (to where they end), single- and
//! double-quoted with their escapes, and literal and folded block scalars.

use super::{is_break, is_flow_indicator, is_ws, Bail, Reader, BLOCK_STOP, FLOW_STOP, R};
use crate::parse::tree::{Node, Style, Value};
use crate::source::Span;

impl<'a> Reader<'a> {
    /// Where a plain scalar starting at `at` ends (before trailing blanks are trimmed): at a
    /// line end, a ` #` comment or a `: `; in flow context also at `,[]{}`.
    pub(super) fn plain_end(&self, at: usize, flow: bool) -> R<usize> {
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
    pub(super) fn quoted(&self, at: usize) -> R<(String, usize)> {
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
    pub(super) fn escape(&self, at: usize, out: &mut String) -> R<usize> {
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
    pub(super) fn block_scalar(&mut self, at: usize, parent: isize) -> R<Node> {
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
}
