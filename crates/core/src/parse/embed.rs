//! parse: text decoded from a string scalar, with each byte's place in the outer file.

use super::json::decode_escape;
use super::tree::Node;
use crate::source::{SourceFile, Span};

/// Text assembled from string scalars (a block scalar, a JSON string, the literal parts of
/// `Fn::Sub` / `Fn::Join`), remembering for each byte the outer-file range it came from.
#[derive(Debug, Clone, Default)]
pub struct MappedText {
    /// The decoded text.
    pub text: String,
    /// Outer range of each byte of `text`.
    ranges: Vec<(usize, usize)>,
}

impl MappedText {
    /// Appends text that all maps to one outer span (a separator, a placeholder).
    pub fn push_str(&mut self, s: &str, at: Span) {
        self.text.push_str(s);
        self.ranges
            .extend(std::iter::repeat_n((at.start, at.end), s.len()));
    }

    /// Appends another mapped text.
    pub fn push_mapped(&mut self, other: &MappedText) {
        self.text.push_str(&other.text);
        self.ranges.extend_from_slice(&other.ranges);
    }

    /// Appends `other[range]` (byte range on char boundaries).
    pub fn push_slice(&mut self, other: &MappedText, range: std::ops::Range<usize>) {
        if let (Some(text), Some(ranges)) = (other.text.get(range.clone()), other.ranges.get(range))
        {
            self.text.push_str(text);
            self.ranges.extend_from_slice(ranges);
        }
    }

    /// Outer range of the byte at `i`, or of the last byte.
    pub fn range_at(&self, i: usize) -> Span {
        let (s, e) = self
            .ranges
            .get(i)
            .or(self.ranges.last())
            .copied()
            .unwrap_or((0, 0));
        Span::new(s, e)
    }

    /// Maps a span of `text` onto the outer file.
    pub fn map_span(&self, span: Span) -> Span {
        let start = self.range_at(span.start);
        if span.end <= span.start {
            return Span::new(start.start, start.start);
        }
        let end = self.range_at(span.end - 1);
        Span::new(start.start, end.end.max(start.start))
    }

    /// The decoded value of a string scalar, mapped back to where its characters are
    /// written in `file`. `None` when `node` is not a scalar.
    pub fn from_scalar(file: &SourceFile, node: &Node) -> Option<MappedText> {
        let decoded = node.as_str()?;
        let raw_span = node.span;
        let raw = file.text.get(raw_span.start..raw_span.end)?;
        if raw.starts_with('"') {
            if let Some(m) = Self::from_escaped(decoded, raw, raw_span.start) {
                return Some(m);
            }
        }
        Some(Self::aligned(decoded, raw, raw_span.start))
    }

    /// Walks a double-quoted string with JSON escapes; `None` if the decoding differs
    /// (YAML-only escapes or line folding).
    fn from_escaped(decoded: &str, raw: &str, base: usize) -> Option<MappedText> {
        let mut out = MappedText::default();
        let mut i = 1;
        while i < raw.len() {
            let rest = raw.get(i..)?;
            let c = rest.chars().next()?;
            if c == '"' {
                break;
            }
            let (ch, len) = if c == '\\' {
                decode_escape(rest)?
            } else {
                (c, c.len_utf8())
            };
            let mut buf = [0u8; 4];
            out.push_str(
                ch.encode_utf8(&mut buf),
                Span::new(base + i, base + i + len),
            );
            i += len;
        }
        (out.text == decoded).then_some(out)
    }

    /// Aligns decoded characters with the raw text in order, skipping raw characters that
    /// were dropped (quotes, block indentation, headers).
    fn aligned(decoded: &str, raw: &str, base: usize) -> MappedText {
        let mut ranges = Vec::with_capacity(decoded.len());
        let mut last = (base, base);
        if decoded.is_ascii() && raw.is_ascii() {
            // one byte a character: no decoding on either side
            let mut raw_bytes = raw.bytes().enumerate();
            for c in decoded.bytes() {
                if let Some((j, _)) = raw_bytes.by_ref().find(|&(_, r)| r == c) {
                    last = (base + j, base + j + 1);
                }
                ranges.push(last);
            }
        } else {
            let mut raw_chars = raw.char_indices();
            for c in decoded.chars() {
                if let Some((j, r)) = raw_chars.by_ref().find(|&(_, r)| r == c) {
                    last = (base + j, base + j + r.len_utf8());
                }
                ranges.extend(std::iter::repeat_n(last, c.len_utf8()));
            }
        }
        MappedText {
            text: decoded.to_string(),
            ranges,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, parse_embedded, Limits};
    use super::*;
    use std::sync::Arc;

    #[test]
    fn block_scalar_lines_map_to_outer_lines() {
        let text = "Spec: |\n  version: 0.2\n  phases:\n    build:\n      commands:\n        - trivy fs .\n";
        let file = Arc::new(SourceFile::new("t.yaml", text));
        let doc = parse(file.clone(), &Limits::default()).unwrap();
        let scalar = doc.root().unwrap().get("Spec").unwrap();
        let mapped = MappedText::from_scalar(&file, scalar).unwrap();
        let inner = parse_embedded(&mapped, &Limits::default()).unwrap();
        let cmd = &inner
            .get("phases")
            .unwrap()
            .get("build")
            .unwrap()
            .get("commands")
            .unwrap()
            .items()[0];
        assert_eq!(&text[cmd.span.start..cmd.span.end], "trivy fs .");
        assert_eq!(file.line_column(cmd.span.start).line, 6);
    }

    #[test]
    fn json_string_escapes_map_to_outer_columns() {
        let text = r#"{"BuildSpec": "{\n  \"version\": \"0.2\",\n  \"phases\": {\"build\": {\"commands\": [\"snyk test\"]}}\n}"}"#;
        let file = Arc::new(SourceFile::new("t.json", text));
        let doc = parse(file.clone(), &Limits::default()).unwrap();
        let scalar = doc.root().unwrap().get("BuildSpec").unwrap();
        let mapped = MappedText::from_scalar(&file, scalar).unwrap();
        let inner = parse_embedded(&mapped, &Limits::default()).unwrap();
        let cmd = &inner
            .get("phases")
            .unwrap()
            .get("build")
            .unwrap()
            .get("commands")
            .unwrap()
            .items()[0];
        assert_eq!(&text[cmd.span.start..cmd.span.end], r#"\"snyk test\""#);
    }
}
