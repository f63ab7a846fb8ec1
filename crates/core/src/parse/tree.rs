//! parse: the span tree shared by YAML and JSON, and path resolution into it.

use crate::source::Span;
use serde_json::Value as Json;

/// How a scalar was written; decides its type when converted to JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted (YAML plain, JSON number / true / false / null): typed by the YAML 1.2 core schema.
    Plain,
    /// Quoted or block scalar: always a string.
    Quoted,
    /// YAML literal (`|`) or folded (`>`) block scalar: always a string.
    Block,
}

/// One node of a parsed document, with the byte span it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the node is written (for a short-tagged node, tag included).
    pub span: Span,
    /// The tag as written (`!Ref`, `!!str`), if any.
    pub tag: Option<String>,
}

/// A node's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A scalar keeps its text as written (after unescaping), so `3.10` stays "3.10".
    Scalar(String, Style),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order.
    Map(Vec<Entry>),
}

/// A mapping entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key text.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

impl Entry {
    /// Span from the key to the end of the value: where a finding about this entry points.
    pub fn span(&self) -> Span {
        self.key_span.join(self.value.span)
    }
}

impl Node {
    /// The entry under `key` when this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The scalar text, for any scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// The string items of the list under `key` (empty when absent).
    pub fn strings(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|l| {
                l.items()
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The entries when this is a mapping.
    pub fn entries(&self) -> &[Entry] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items when this is a sequence.
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Whether this is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether this is a null scalar (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, Style::Plain) if is_null_text(s))
    }

    /// Converts to JSON with YAML 1.2 core-schema typing of plain scalars.
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Scalar(text, style) => {
                let forced_str = self.tag.as_deref().is_some_and(|t| t.ends_with("str"));
                if *style == Style::Plain && !forced_str {
                    plain_scalar_json(text)
                } else {
                    Json::String(text.clone())
                }
            }
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Walks a path (see [`PathBuf`]) and returns the span of the deepest node found
    /// and whether the whole path was found. An entry's span runs from its key; a braced
    /// mapping found as an item runs from its `Name` member.
    pub fn resolve(&self, tokens: &[String]) -> (Span, usize) {
        let mut node = self;
        let mut span = self.span;
        for (depth, token) in tokens.iter().enumerate() {
            match &node.value {
                Value::Map(entries) => match entries.iter().find(|e| &e.key == token) {
                    Some(e) => {
                        span = e.span();
                        node = &e.value;
                    }
                    None => return (span, depth),
                },
                Value::Seq(items) => match token.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => {
                        span = item.span;
                        node = item;
                    }
                    None => return (span, depth),
                },
                Value::Scalar(..) => return (span, depth),
            }
        }
        // an entry is shown from its key; an item of a sequence from its name
        let item = node.span == span;
        match node.named_member_start() {
            Some(start) if item => (Span { start, ..span }, tokens.len()),
            _ => (span, tokens.len()),
        }
    }

    /// Where a braced mapping that is found as a whole (a JSON action, stage or project)
    /// is best shown: its `Name` member, since its opening `{` names nothing. `None` for
    /// a block mapping, which already starts at its first key.
    fn named_member_start(&self) -> Option<usize> {
        let Value::Map(entries) = &self.value else {
            return None;
        };
        let first = entries.first()?;
        if first.key_span.start == self.span.start {
            return None;
        }
        entries
            .iter()
            .find(|e| e.key == "Name" || e.key == "name")
            .map(|e| e.key_span.start)
    }

    /// Moves every span through `map` (used for documents embedded in a string).
    pub(crate) fn remap(&mut self, map: &dyn Fn(Span) -> Span) {
        self.span = map(self.span);
        match &mut self.value {
            Value::Scalar(..) => {}
            Value::Seq(items) => items.iter_mut().for_each(|n| n.remap(map)),
            Value::Map(entries) => {
                for e in entries {
                    e.key_span = map(e.key_span);
                    e.value.remap(map);
                }
            }
        }
    }

    /// Depth of this subtree (a scalar is 0).
    pub(crate) fn height(&self) -> usize {
        match &self.value {
            Value::Scalar(..) => 0,
            Value::Seq(items) => 1 + items.iter().map(Node::height).max().unwrap_or(0),
            Value::Map(entries) => 1 + entries.iter().map(|e| e.value.height()).max().unwrap_or(0),
        }
    }

    /// Bytes this subtree takes in memory, roughly: its texts and a node's own size each.
    pub(crate) fn footprint(&self) -> usize {
        let own = std::mem::size_of::<Node>();
        own + match &self.value {
            Value::Scalar(text, _) => text.len(),
            Value::Seq(items) => items.iter().map(Node::footprint).sum(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| std::mem::size_of::<Entry>() + e.key.len() + e.value.footprint())
                .sum(),
        }
    }

    /// Number of nodes in this subtree.
    pub(crate) fn size(&self) -> usize {
        1 + match &self.value {
            Value::Scalar(..) => 0,
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|e| 1 + e.value.size()).sum(),
        }
    }
}

fn is_null_text(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn plain_scalar_json(text: &str) -> Json {
    if is_null_text(text) {
        return Json::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Json::Bool(true),
        "false" | "False" | "FALSE" => return Json::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.trim_start_matches('+').parse::<i64>() {
            return Json::from(i);
        }
    }
    if looks_like_float(digits) {
        if let Ok(f) = text.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return Json::Number(n);
            }
        }
    }
    Json::String(text.to_owned())
}

fn looks_like_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i + 1..)),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int)
        && frac.is_none_or(all_digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exp_ok && (frac.is_some() || exp.is_some())
}

/// A JSON-pointer-like path into a document: `/Resources/Pipeline/Properties/Stages/1`.
/// Tokens escape `~` as `~0`, `/` as `~1` and `#` as `~2`. A `#` separates the path of a
/// string that holds an embedded document (an inline buildspec) from the path inside it:
/// `/Resources/Sca/Properties/Source/BuildSpec#/phases/build/commands/0`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathBuf(pub String);

impl PathBuf {
    /// The root path (empty string).
    pub fn root() -> Self {
        PathBuf(String::new())
    }

    /// This path extended by one key or index.
    pub fn join(&self, token: impl std::fmt::Display) -> Self {
        use std::fmt::Write as _;
        /// Writes a token with `~`, `/` and `#` escaped.
        struct Escaped<'a>(&'a mut String);
        impl std::fmt::Write for Escaped<'_> {
            fn write_str(&mut self, s: &str) -> std::fmt::Result {
                if !s.contains(['~', '/', '#']) {
                    self.0.push_str(s);
                    return Ok(());
                }
                for c in s.chars() {
                    match c {
                        '~' => self.0.push_str("~0"),
                        '/' => self.0.push_str("~1"),
                        '#' => self.0.push_str("~2"),
                        c => self.0.push(c),
                    }
                }
                Ok(())
            }
        }
        let mut path = String::with_capacity(self.0.len() + 24);
        path.push_str(&self.0);
        path.push('/');
        // writing into a String cannot fail
        let _ = write!(Escaped(&mut path), "{token}");
        PathBuf(path)
    }

    /// This path entering the document embedded in the string it names.
    pub fn embedded(&self) -> Self {
        PathBuf(format!("{}#", self.0))
    }

    /// Splits into the outer path and, per embedded level, the inner paths; each as tokens.
    pub fn segments(path: &str) -> Vec<Vec<String>> {
        path.split('#')
            .map(|seg| {
                seg.split('/')
                    .skip(1)
                    .map(|t| {
                        if t.contains('~') {
                            t.replace("~2", "#").replace("~1", "/").replace("~0", "~")
                        } else {
                            t.to_string()
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

impl std::fmt::Display for PathBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Json {
        plain_scalar_json(s)
    }

    #[test]
    fn plain_scalars_follow_core_schema() {
        assert_eq!(plain("3.10"), serde_json::json!(3.1));
        assert_eq!(plain("18"), serde_json::json!(18));
        assert_eq!(plain("yes"), serde_json::json!("yes"));
        assert_eq!(plain("~"), Json::Null);
        assert_eq!(plain("2010-09-09"), serde_json::json!("2010-09-09"));
        assert_eq!(plain("1e3"), serde_json::json!(1000.0));
        assert_eq!(plain("."), serde_json::json!("."));
    }

    #[test]
    fn path_tokens_round_trip_escapes() {
        let p = PathBuf::root().join("a/b").join("c#d").join(3);
        assert_eq!(p.0, "/a~1b/c~2d/3");
        assert_eq!(
            PathBuf::segments(&p.embedded().join("x").0),
            vec![
                vec!["a/b".to_string(), "c#d".into(), "3".into()],
                vec!["x".into()]
            ]
        );
    }
}
