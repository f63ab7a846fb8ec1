//! evaluate: findings as policies return them, decoded from regorus values.
//!
//! The contract: `deny contains {"message": string, "at": ref | [ref...]}` where a ref is a
//! model object's `source` (`{"file", "path"}`) or `{"source": source, "label": string,
//! "below": [key or index...]}` (`label` and `below` optional). `below` points at a value
//! inside the object, one token per level, so a policy need not build the path string. The
//! first ref is primary. An optional `"redact": [string]` lists secret values that renderers
//! must mask wherever they show source text.

use crate::model::SourceRef;
use crate::parse::PathBuf;
use serde_json::Value as Json;

/// A place a finding points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The model object's source.
    pub source: SourceRef,
    /// What the place is (shown beside the span).
    pub label: Option<String>,
}

/// One element of a policy's `deny` set.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Policy id.
    pub policy: String,
    /// Message.
    pub message: String,
    /// Primary target first, then related ones.
    pub at: Vec<Target>,
    /// Secret values that no output may print in full (optional `redact` list).
    pub redact: Vec<String>,
}

impl Finding {
    pub(crate) fn decode_set(policy: &str, value: &regorus::Value) -> Result<Vec<Finding>, String> {
        let json = serde_json::to_value(value).map_err(|e| format!("cannot read `deny`: {e}"))?;
        let items = match json {
            Json::Array(items) => items,
            Json::String(s) if s == "#undefined" => {
                return Err("the policy declares no `deny` rule".into())
            }
            other => return Err(format!("`deny` must be a set, got {other}")),
        };
        items
            .iter()
            .map(|item| Self::decode(policy, item))
            .collect()
    }

    fn decode(policy: &str, item: &Json) -> Result<Finding, String> {
        let message = item
            .get("message")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("finding without a string `message`: {item}"))?
            .to_string();
        let at = match item.get("at") {
            Some(Json::Array(list)) => list
                .iter()
                .map(decode_target)
                .collect::<Result<Vec<_>, _>>()?,
            Some(one) => vec![decode_target(one)?],
            None => return Err(format!("finding without `at`: {item}")),
        };
        if at.is_empty() {
            return Err(format!("finding with an empty `at`: {item}"));
        }
        let redact = match item.get("redact") {
            None => Vec::new(),
            Some(Json::Array(values)) => values
                .iter()
                .filter_map(Json::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            Some(other) => return Err(format!("`redact` must be a list of strings, got {other}")),
        };
        Ok(Finding {
            policy: policy.to_string(),
            message,
            at,
            redact,
        })
    }
}

fn decode_target(value: &Json) -> Result<Target, String> {
    let (source, label, below) = match value.get("source") {
        Some(source) => (
            source,
            value.get("label").and_then(Json::as_str),
            value.get("below"),
        ),
        None => (value, None, None),
    };
    let field = |k: &str| source.get(k).and_then(Json::as_str).map(str::to_string);
    let (Some(file), Some(path)) = (field("file"), field("path")) else {
        return Err(format!(
            "`at` must be a source ref {{\"file\", \"path\"}} or {{\"source\", \"label\"}}, got {value}"
        ));
    };
    let path = match below {
        None => path,
        Some(Json::Array(tokens)) => {
            let mut path = PathBuf(path);
            for token in tokens {
                path = match token {
                    Json::String(key) => path.join(key),
                    Json::Number(n) if n.is_u64() => path.join(n),
                    _ => return Err(format!(
                        "`below` holds keys (strings) and indices (non-negative integers), got {token} in {value}"
                    )),
                };
            }
            path.0
        }
        Some(other) => {
            return Err(format!(
                "`below` must be a list of keys and indices, got {other} in {value}"
            ))
        }
    };
    Ok(Target {
        source: SourceRef { file, path },
        label: label.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(value: Json) -> Result<Target, String> {
        decode_target(&value)
    }

    #[test]
    fn below_extends_the_path_one_escaped_token_per_level() {
        let t = target(json!({
            "source": {"file": "t.yaml", "path": "/Resources/B/Properties/Source/BuildSpec#"},
            "below": ["phases", "a/b~c#d", 3],
            "label": "here",
        }))
        .unwrap();
        assert_eq!(t.source.file, "t.yaml");
        assert_eq!(
            t.source.path,
            "/Resources/B/Properties/Source/BuildSpec#/phases/a~1b~0c~2d/3"
        );
        assert_eq!(t.label.as_deref(), Some("here"));
        let none = target(json!({"source": {"file": "f", "path": "/a"}, "below": []})).unwrap();
        assert_eq!(none.source.path, "/a");
    }

    #[test]
    fn a_malformed_below_is_an_error_not_a_guess() {
        for below in [
            json!("phases"),
            json!([1.5]),
            json!([-1]),
            json!([null]),
            json!([["a"]]),
        ] {
            let err =
                target(json!({"source": {"file": "f", "path": "/a"}, "below": below})).unwrap_err();
            assert!(err.contains("`below`"), "{err}");
        }
    }
}
