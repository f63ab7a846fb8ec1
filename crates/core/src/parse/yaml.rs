//! parse: YAML text -> span tree, built from `saphyr-parser` events.
//!
//! CloudFormation short tags become their long forms, duplicate keys are errors with both
//! locations, `<<` merges and aliases are expanded within a node budget, and nesting depth is
//! bounded, so a YAML bomb is a located error rather than an out-of-memory.

use super::tree::{Entry, Node, Style, Value};
use super::{Limits, ParseError};
use crate::source::Span;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// CloudFormation short-form tags whose long form is `Fn::<name>`.
const CFN_FN_TAGS: &[&str] = &[
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "GetAtt",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
];

/// Characters between two entries of the char-to-byte table.
const CHECKPOINT: usize = 256;

/// Parses every document of a YAML stream: the block subset directly, the rest with
/// saphyr-parser.
pub(crate) fn parse(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    match super::block::parse(text, limits) {
        Some(docs) => Ok(docs),
        None => full(text, limits),
    }
}

/// Parses every document of a YAML stream with saphyr-parser.
pub(crate) fn full(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let builder = Builder {
        parser: Parser::new_from_str(text),
        text,
        char_checkpoints: if text.is_ascii() {
            None
        } else {
            // byte offset of every CHECKPOINT-th character: a small table, not 8 bytes a char
            Some(
                text.char_indices()
                    .step_by(CHECKPOINT)
                    .map(|(i, _)| i)
                    .collect(),
            )
        },
        anchors: HashMap::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        max_alias_bytes: limits.max_alias_bytes.max(text.len().saturating_mul(8)),
        limits,
    };
    builder.documents()
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    text: &'a str,
    /// Byte offset of every `CHECKPOINT`-th character; `None` when the text is ASCII.
    char_checkpoints: Option<Vec<usize>>,
    /// Anchored nodes with their height (for the depth bound when they are aliased).
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    /// Bytes alias expansion and anchored copies added, and the bound on them.
    alias_bytes: usize,
    max_alias_bytes: usize,
    limits: &'a Limits,
}

impl<'a> Builder<'a> {
    fn byte(&self, char_index: usize) -> usize {
        match &self.char_checkpoints {
            None => char_index.min(self.text.len()),
            Some(v) => {
                let base = v
                    .get(char_index / CHECKPOINT)
                    .copied()
                    .unwrap_or(self.text.len());
                self.text
                    .get(base..)
                    .and_then(|rest| rest.char_indices().nth(char_index % CHECKPOINT))
                    .map_or(self.text.len(), |(i, _)| base + i)
            }
        }
    }

    fn span(&self, s: saphyr_parser::Span) -> Span {
        Span::new(self.byte(s.start.index()), self.byte(s.end.index()))
    }

    fn trimmed(&self, span: Span) -> Span {
        let end = span.end.min(self.text.len());
        let start = span.start.min(end);
        match self.text.get(start..end) {
            Some(s) => Span::new(start, start + s.trim_end().len()),
            None => span,
        }
    }

    /// A quoted scalar's span ends at its closing quote: saphyr-parser's runs on over
    /// blanks and a comment that follow on the line.
    fn quoted(&self, span: Span) -> Span {
        let trimmed = self.trimmed(span);
        let bytes = self.text.as_bytes();
        let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let Some(open) = (trimmed.start..trimmed.end).find(|&i| matches!(at(i), b'"' | b'\''))
        else {
            return trimmed;
        };
        let quote = at(open);
        let mut i = open + 1;
        while i < trimmed.end {
            match at(i) {
                b'\\' if quote == b'"' => i += 2,
                b'\'' if quote == b'\'' && at(i + 1) == b'\'' => i += 2,
                b if b == quote => return Span::new(trimmed.start, i + 1),
                _ => i += 1,
            }
        }
        trimmed
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), ParseError> {
        match self.parser.next_event() {
            Some(Ok((event, span))) => Ok((event, self.span(span))),
            Some(Err(e)) => {
                let at = self.byte(e.marker().index());
                Err(ParseError::new(e.info().to_string(), Span::new(at, at)))
            }
            None => {
                let end = self.text.len();
                Err(ParseError::new(
                    "unexpected end of YAML stream",
                    Span::new(end, end),
                ))
            }
        }
    }

    fn documents(mut self) -> Result<Vec<Node>, ParseError> {
        let mut docs = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                Event::StreamEnd => return Ok(docs),
                Event::DocumentStart(_) => {
                    // anchors are scoped to their document
                    self.anchors.clear();
                    let (event, span) = self.next()?;
                    docs.push(self.node(event, span, 0)?);
                }
                other => {
                    return Err(ParseError::new(
                        format!("unexpected YAML event {other:?}"),
                        span,
                    ))
                }
            }
        }
    }

    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Node, ParseError> {
        if depth > self.limits.max_depth {
            return Err(ParseError::new(
                format!("nesting deeper than {} levels", self.limits.max_depth),
                span,
            ));
        }
        let (node, anchor) = match event {
            Event::Alias(id) => {
                let (size, height) = match self.anchors.get(&id) {
                    Some((node, height)) => (node.size(), *height),
                    None => return Err(ParseError::new("alias refers to an unknown anchor", span)),
                };
                if depth + height > self.limits.max_depth {
                    return Err(ParseError::new(
                        format!(
                            "alias expands to nesting deeper than {} levels",
                            self.limits.max_depth
                        ),
                        span,
                    ));
                }
                self.alias_nodes += size;
                self.alias_bytes += self.anchors.get(&id).map_or(0, |(n, _)| n.footprint());
                if self.alias_bytes > self.max_alias_bytes {
                    return Err(ParseError::new(
                        format!(
                            "aliases expand to more than {} bytes (a YAML bomb?)",
                            self.max_alias_bytes
                        ),
                        span,
                    ));
                }
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(ParseError::new(
                        format!(
                            "aliases expand to more than {} nodes (a YAML bomb?)",
                            self.limits.max_alias_nodes
                        ),
                        span,
                    ));
                }
                let Some((node, _)) = self.anchors.get(&id) else {
                    return Err(ParseError::new("alias refers to an unknown anchor", span));
                };
                // the copy points at the alias, where the reader sees it
                let mut node = node.clone();
                node.remap(&|_| span);
                (node, 0)
            }
            Event::Scalar(value, style, anchor, tag) => {
                let span = match style {
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => self.quoted(span),
                    _ => self.trimmed(span),
                };
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let node = Node {
                    value: Value::Scalar(value.into_owned(), style),
                    span,
                    tag: None,
                };
                (apply_tag(node, parts(tag.as_deref())), anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                let end = loop {
                    let (event, ev_span) = self.next()?;
                    if let Event::SequenceEnd = event {
                        break ev_span;
                    }
                    items.push(self.node(event, ev_span, depth + 1)?);
                };
                let span = self.collection_span(span, end, items.last().map(|n| n.span));
                let node = Node {
                    value: Value::Seq(items),
                    span,
                    tag: None,
                };
                (apply_tag(node, parts(tag.as_deref())), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let (entries, end) = self.mapping(depth)?;
                let last = entries.last().map(|e| e.value.span);
                let span = self.collection_span(span, end, last);
                let node = Node {
                    value: Value::Map(entries),
                    span,
                    tag: None,
                };
                (apply_tag(node, parts(tag.as_deref())), anchor)
            }
            other => {
                return Err(ParseError::new(
                    format!("unexpected YAML event {other:?}"),
                    span,
                ))
            }
        };
        if anchor != 0 {
            // keeping a copy costs as much as expanding an alias: nested anchors count too
            self.alias_nodes += node.size();
            self.alias_bytes += node.footprint();
            if self.alias_bytes > self.max_alias_bytes {
                return Err(ParseError::new(
                    format!(
                        "anchored nodes exceed {} bytes (a YAML bomb?)",
                        self.max_alias_bytes
                    ),
                    node.span,
                ));
            }
            if self.alias_nodes > self.limits.max_alias_nodes {
                return Err(ParseError::new(
                    format!(
                        "anchored nodes exceed {} nodes (a YAML bomb?)",
                        self.limits.max_alias_nodes
                    ),
                    node.span,
                ));
            }
            self.anchors.insert(anchor, (node.clone(), node.height()));
        }
        Ok(node)
    }

    fn collection_span(&self, start: Span, end: Span, last_child: Option<Span>) -> Span {
        // a flow collection's end event is its closing bracket; a block one's is empty
        let flow =
            !end.is_empty() && matches!(self.text.as_bytes().get(end.start), Some(b']' | b'}'));
        if flow {
            // saphyr-parser's end event runs on over blanks after the bracket
            Span::new(start.start, end.start + 1)
        } else {
            Span::new(start.start, last_child.map_or(start.end, |c| c.end))
        }
    }

    fn mapping(&mut self, depth: usize) -> Result<(Vec<Entry>, Span), ParseError> {
        let mut entries: Vec<Entry> = Vec::new();
        // small mappings (nearly all) are searched in place; an index is built past 16 keys
        let mut index: Option<HashMap<String, Span>> = None;
        let mut merges: Vec<Node> = Vec::new();
        let end = loop {
            let (event, key_event_span) = self.next()?;
            if let Event::MappingEnd = event {
                break key_event_span;
            }
            let key_node = self.node(event, key_event_span, depth + 1)?;
            let (key, key_style) = match &key_node.value {
                Value::Scalar(s, style) => (s.clone(), *style),
                _ => {
                    return Err(ParseError::new(
                        "complex (non-scalar) mapping keys are not supported",
                        key_node.span,
                    ))
                }
            };
            let key_span = key_node.span;
            let (event, value_span) = self.next()?;
            let mut value = self.node(event, value_span, depth + 1)?;
            if value.is_null() && value.span.start > key_span.end && value.span.is_empty() {
                // an empty value has no text of its own: keep it on the key's line
                value.span = Span::new(key_span.end, key_span.end);
            }
            if key == "<<" && key_style == Style::Plain {
                merges.push(value);
                continue;
            }
            if let Some(first) = lookup(&entries, index.as_ref(), &key) {
                return Err(ParseError::new(format!("duplicate key `{key}`"), key_span)
                    .with_related("first defined here", first));
            }
            entries.push(Entry {
                key,
                key_span,
                value,
            });
            record(&entries, &mut index);
        };
        for merge in merges {
            let sources: Vec<&Node> = match &merge.value {
                Value::Map(_) => vec![&merge],
                Value::Seq(items) => items.iter().collect(),
                Value::Scalar(..) => {
                    return Err(ParseError::new(
                        "`<<` merge value must be a mapping or a list of mappings",
                        merge.span,
                    ))
                }
            };
            for source in sources {
                for e in source.entries() {
                    if lookup(&entries, index.as_ref(), &e.key).is_none() {
                        entries.push(e.clone());
                        record(&entries, &mut index);
                    }
                }
            }
        }
        Ok((entries, end))
    }
}

/// Where `key` is first written in a mapping being built.
fn lookup(entries: &[Entry], index: Option<&HashMap<String, Span>>, key: &str) -> Option<Span> {
    match index {
        Some(map) => map.get(key).copied(),
        None => entries.iter().find(|e| e.key == key).map(|e| e.key_span),
    }
}

/// Keeps the index in step with the entry just pushed, creating it once the mapping
/// grows past 16 keys.
fn record(entries: &[Entry], index: &mut Option<HashMap<String, Span>>) {
    match index {
        Some(map) => {
            if let Some(e) = entries.last() {
                map.entry(e.key.clone()).or_insert(e.key_span);
            }
        }
        None if entries.len() > 16 => {
            *index = Some(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.key_span))
                    .collect(),
            );
        }
        None => {}
    }
}

fn parts(tag: Option<&saphyr_parser::Tag>) -> Option<(&str, &str)> {
    tag.map(|t| (t.handle.as_str(), t.suffix.as_str()))
}

/// Records the tag (handle and suffix) and turns CloudFormation short forms into long forms.
pub(super) fn apply_tag(mut node: Node, tag: Option<(&str, &str)>) -> Node {
    let Some((handle, name)) = tag else {
        return node;
    };
    let written = match handle {
        "!" => format!("!{name}"),
        "!!" | "tag:yaml.org,2002:" => format!("!!{name}"),
        _ => format!("{handle}{name}"),
    };
    if handle != "!" {
        node.tag = Some(written);
        return node;
    }
    let long = if name == "Ref" || name == "Condition" {
        name.to_string()
    } else if CFN_FN_TAGS.contains(&name) {
        format!("Fn::{name}")
    } else {
        node.tag = Some(written);
        return node;
    };
    let span = node.span;
    if name == "GetAtt" {
        if let Value::Scalar(text, style) = &node.value {
            // `!GetAtt Res.Attr.Sub` splits at the first dot only
            if let Some((res, attr)) = text.split_once('.') {
                // the node's span starts at the tag; the plain text is at its end
                let text_start = span.end.saturating_sub(text.len()).max(span.start);
                let res_span = Span::new(text_start, (text_start + res.len()).min(span.end));
                let attr_span = Span::new((res_span.end + 1).min(span.end), span.end);
                let part = |s: &str, sp: Span| Node {
                    value: Value::Scalar(s.to_string(), *style),
                    span: sp,
                    tag: None,
                };
                node.value = Value::Seq(vec![part(res, res_span), part(attr, attr_span)]);
            }
        }
    }
    Node {
        value: Value::Map(vec![Entry {
            key: long,
            key_span: span,
            value: node,
        }]),
        span,
        tag: Some(written),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse(text, &Limits::default()).unwrap().remove(0)
    }

    #[test]
    fn yaml_keeps_scalar_text_3_10() {
        let n = one("python: 3.10\nv: 0.2\n");
        assert_eq!(n.get("python").unwrap().as_str(), Some("3.10"));
        assert_eq!(n.get("v").unwrap().to_json(), serde_json::json!(0.2));
    }

    #[test]
    fn short_tags_become_long_forms() {
        let n = one("a: !Ref X\nb: !GetAtt Db.Endpoint.Address\nc: !Sub '${A}-b'\nd: !ImportValue\n  Fn::Sub: x\n");
        assert_eq!(
            n.get("a").unwrap().to_json(),
            serde_json::json!({"Ref": "X"})
        );
        assert_eq!(
            n.get("b").unwrap().to_json(),
            serde_json::json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
        assert_eq!(
            n.get("c").unwrap().to_json(),
            serde_json::json!({"Fn::Sub": "${A}-b"})
        );
        assert_eq!(
            n.get("d").unwrap().to_json(),
            serde_json::json!({"Fn::ImportValue": {"Fn::Sub": "x"}})
        );
        assert_eq!(n.get("a").unwrap().tag.as_deref(), Some("!Ref"));
    }

    #[test]
    fn duplicate_keys_are_errors_with_both_locations() {
        let text = "a: 1\nb: 2\na: 3\n";
        let err = parse(text, &Limits::default()).unwrap_err();
        assert!(err.message.contains("duplicate key `a`"));
        assert_eq!(err.span.start, 10);
        assert_eq!(err.related[0].1.start, 0);
    }

    #[test]
    fn duplicate_keys_are_found_in_large_mappings_too() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k7: again\n");
        let err = parse(&text, &Limits::default()).unwrap_err();
        assert!(err.message.contains("duplicate key `k7`"));
        assert_eq!(err.related[0].1.start, text.find("k7:").unwrap());
    }

    #[test]
    fn merges_and_aliases_expand() {
        let n = one("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: *b\n");
        assert_eq!(
            n.get("c").unwrap().to_json(),
            serde_json::json!({"y": 3, "x": 1})
        );
        assert_eq!(
            n.get("d").unwrap().to_json(),
            serde_json::json!({"x": 1, "y": 2})
        );
    }

    #[test]
    fn yaml_bomb_is_a_located_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text, &Limits::default()).unwrap_err();
        assert!(err.message.contains("YAML bomb"), "{}", err.message);
    }

    #[test]
    fn nested_anchors_count_against_the_budget() {
        let limits = Limits {
            max_alias_nodes: 1000,
            ..Limits::default()
        };
        let big = format!("[{}]", vec!["0"; 400].join(", "));
        let text = format!("a: &a1\n  b: &a2\n    c: &a3\n      d: {big}\n");
        let err = parse(&text, &limits).unwrap_err();
        assert!(
            err.message.contains("anchored nodes exceed"),
            "{}",
            err.message
        );
    }

    #[test]
    fn aliases_cannot_bypass_the_depth_bound() {
        let limits = Limits {
            max_depth: 10,
            ..Limits::default()
        };
        let text = "a: &a [[[[[[1]]]]]]\nb: [[[[[[*a]]]]]]\n";
        let err = parse(text, &limits).unwrap_err();
        assert!(
            err.message.contains("alias expands to nesting deeper"),
            "{}",
            err.message
        );
        assert_eq!(err.span.start, text.find("*a").unwrap());
    }

    #[test]
    fn non_ascii_text_keeps_byte_spans() {
        let text = format!("# {}\nname: café\nnext: x\n", "é".repeat(600));
        let n = one(&text);
        let e = n.entry("next").unwrap();
        assert_eq!(&text[e.key_span.start..e.key_span.end], "next");
        let v = n.get("name").unwrap();
        assert_eq!(&text[v.span.start..v.span.end], "café");
    }

    #[test]
    fn tagged_flow_collections_end_at_their_bracket() {
        let text = "a: !If [C, x, y]\nb: 1\n";
        let n = one(text);
        let e = n.entry("a").unwrap();
        assert_eq!(&text[e.value.span.start..e.value.span.end], "!If [C, x, y]");
    }

    #[test]
    fn deep_nesting_is_a_located_error() {
        // saphyr-parser stops first at its own recursion limit; ours catches shallower trees
        let text = "[".repeat(10_000);
        let err = parse(&text, &Limits::default()).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{}", err.message);
        let limits = Limits {
            max_depth: 5,
            ..Limits::default()
        };
        let text = (0..10).fold(String::new(), |acc, i| acc + &" ".repeat(i * 2) + "a:\n");
        let err2 = parse(&text, &limits).unwrap_err();
        assert!(
            err2.message.contains("nesting deeper than 5"),
            "{}",
            err2.message
        );
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "top:\n  key: value\n  list:\n    - one\n";
        let n = one(text);
        let e = n.get("top").unwrap().entry("key").unwrap();
        assert_eq!(&text[e.key_span.start..e.key_span.end], "key");
        assert_eq!(&text[e.value.span.start..e.value.span.end], "value");
        let item = &n.get("top").unwrap().get("list").unwrap().items()[0];
        assert_eq!(&text[item.span.start..item.span.end], "one");
    }

    #[test]
    fn multi_document_streams_parse() {
        let docs = parse("a: 1\n---\nb: 2\n", &Limits::default()).unwrap();
        assert_eq!(docs.len(), 2);
    }
}
