//! parse: strict JSON text (RFC 8259) -> the same span tree as YAML.
//!
//! CloudFormation and the AWS APIs accept only standard JSON, so comments, trailing commas
//! and bad escapes are errors here (a YAML parser would accept some of them).

use super::tree::{Entry, Node, Style, Value};
use super::{Limits, ParseError};
use crate::source::Span;
use std::collections::HashMap;

/// Parses one JSON document.
pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Node, ParseError> {
    let mut p = JsonParser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        limits,
    };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct JsonParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

impl JsonParser<'_> {
    fn error(&self, message: impl Into<String>) -> ParseError {
        ParseError::new(message, Span::new(self.pos, self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > self.limits.max_depth {
            return Err(self.error(format!(
                "nesting deeper than {} levels",
                self.limits.max_depth
            )));
        }
        let start = self.pos;
        match self.bytes.get(self.pos) {
            None => Err(self.error("unexpected end of JSON input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let text = self.string()?;
                Ok(scalar(text, Style::Quoted, Span::new(start, self.pos)))
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'/') => Err(self.error("comments are not allowed in JSON")),
            Some(_) => Err(self.error(format!(
                "unexpected character `{}`",
                self.text
                    .get(self.pos..)
                    .and_then(|t| t.chars().next())
                    .unwrap_or('?')
            ))),
        }
    }

    fn literal(&mut self, word: &str) -> Result<Node, ParseError> {
        let start = self.pos;
        if self
            .bytes
            .get(self.pos..)
            .is_some_and(|b| b.starts_with(word.as_bytes()))
        {
            self.pos += word.len();
            Ok(scalar(
                word.to_string(),
                Style::Plain,
                Span::new(start, self.pos),
            ))
        } else {
            Err(self.error("invalid literal (expected true, false or null)"))
        }
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.bytes.get(p.pos) {
                p.pos += 1;
            }
            p.pos - s
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 {
            return Err(self.error("invalid number"));
        }
        if n > 1 && self.bytes.get(int_start) == Some(&b'0') {
            return Err(ParseError::new(
                "leading zeros are not allowed in JSON numbers",
                Span::new(int_start, int_start + 1),
            ));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits expected after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number: digits expected in exponent"));
            }
        }
        let span = Span::new(start, self.pos);
        Ok(scalar(
            self.text
                .get(start..self.pos)
                .unwrap_or_default()
                .to_string(),
            Style::Plain,
            span,
        ))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        // at the opening quote
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).unwrap_or_default());
            match self.bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let (c, len) = decode_escape(self.text.get(self.pos..).unwrap_or_default())
                        .ok_or_else(|| self.error("invalid escape sequence in string"))?;
                    out.push(c);
                    self.pos += len;
                }
                Some(_) => {
                    return Err(self.error("control character in string (escape it)"));
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                items.push(self.value(depth + 1)?);
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_ws();
                        if self.bytes.get(self.pos) == Some(&b']') {
                            return Err(self.error("trailing comma in array"));
                        }
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `]` in array")),
                }
            }
        }
        Ok(Node {
            value: Value::Seq(items),
            span: Span::new(start, self.pos),
            tag: None,
        })
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b'"') {
                    return Err(self.error(if self.bytes.get(self.pos) == Some(&b'}') {
                        "trailing comma in object"
                    } else {
                        "expected a string key"
                    }));
                }
                let key_start = self.pos;
                let key = self.string()?;
                let key_span = Span::new(key_start, self.pos);
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b':') {
                    return Err(self.error("expected `:` after key"));
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.value(depth + 1)?;
                if let Some(first) = seen.get(&key) {
                    return Err(ParseError::new(format!("duplicate key `{key}`"), key_span)
                        .with_related("first defined here", *first));
                }
                seen.insert(key.clone(), key_span);
                entries.push(Entry {
                    key,
                    key_span,
                    value,
                });
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `}` in object")),
                }
            }
        }
        Ok(Node {
            value: Value::Map(entries),
            span: Span::new(start, self.pos),
            tag: None,
        })
    }
}

fn scalar(text: String, style: Style, span: Span) -> Node {
    Node {
        value: Value::Scalar(text, style),
        span,
        tag: None,
    }
}

/// Decodes one JSON escape at the start of `s` (which begins with `\`): the character and
/// the number of source bytes it took.
pub(crate) fn decode_escape(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    let c = match b.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hex4 = |t: &str| {
                (t.len() == 4 && t.bytes().all(|b| b.is_ascii_hexdigit()))
                    .then(|| u32::from_str_radix(t, 16).ok())
                    .flatten()
            };
            let hi = hex4(s.get(2..6)?)?;
            if (0xD800..0xDC00).contains(&hi) {
                if s.get(6..8)? != "\\u" {
                    return None;
                }
                let lo = hex4(s.get(8..12)?)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                return Some((c, 12));
            }
            return Some((char::from_u32(hi)?, 6));
        }
        _ => return None,
    };
    Some((c, 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Node, ParseError> {
        parse(text, &Limits::default())
    }

    #[test]
    fn parses_with_spans() {
        let text = r#"{"a": [1, "x\ny", true], "b": {"c": null}}"#;
        let n = p(text).unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": [1, "x\ny", true], "b": {"c": null}})
        );
        let e = n.entry("b").unwrap();
        assert_eq!(&text[e.key_span.start..e.key_span.end], "\"b\"");
        assert_eq!(
            &text[e.value.span.start..e.value.span.end],
            r#"{"c": null}"#
        );
    }

    #[test]
    fn an_item_is_found_at_its_name_and_an_entry_at_its_key() {
        let text = r#"{"actions": [{"runOrder": 1, "name": "SCA"}], "stage": {"name": "x"}}"#;
        let n = p(text).unwrap();
        let at = |path: &[&str]| {
            let tokens: Vec<String> = path.iter().map(|t| t.to_string()).collect();
            let (span, depth) = n.resolve(&tokens);
            assert_eq!(depth, tokens.len());
            &text[span.start..span.end]
        };
        assert_eq!(at(&["actions", "0"]), r#""name": "SCA"}"#);
        assert!(at(&["stage"]).starts_with(r#""stage": {"#));
        assert!(at(&["actions"]).starts_with(r#""actions": ["#));
    }

    #[test]
    fn strict_json_rejects_what_yaml_accepts() {
        assert!(p("{\"a\": 1,}")
            .unwrap_err()
            .message
            .contains("trailing comma"));
        assert!(p("[1, 2,]").unwrap_err().message.contains("trailing comma"));
        assert!(p("{\"a\": 1} // c").is_err());
        assert!(p(r#"{"a": "\x"}"#).unwrap_err().message.contains("escape"));
        assert!(p("{\"a\": 01}").is_err());
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let err = p(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert_eq!(err.span.start, 9);
        assert_eq!(err.related[0].1.start, 1);
    }

    #[test]
    fn unicode_escapes_need_four_hex_digits() {
        assert!(p(r#""\u+123""#).is_err());
        assert!(p(r#""\u00e9""#).is_ok());
    }

    #[test]
    fn surrogate_pairs_decode() {
        let n = p(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(n.as_str(), Some("😀"));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        assert!(p(&"[".repeat(100_000))
            .unwrap_err()
            .message
            .contains("nesting"));
    }
}
