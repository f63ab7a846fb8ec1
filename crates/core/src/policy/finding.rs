//! evaluate: findings as policies return them, decoded from regorus values.
//!
//! The contract: `deny contains {"message": string, "at": ref | [ref...]}` where a ref is a
//! model object's `source` (`{"file", "path"}`) or `{"source": source, "label": string}`.
//! The first ref is primary. An optional `"redact": [string]` lists secret values that
//! renderers must mask wherever they show source text.

use crate::model::SourceRef;
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
    let (source, label) = match value.get("source") {
        Some(source) => (source, value.get("label").and_then(Json::as_str)),
        None => (value, None),
    };
    let field = |k: &str| source.get(k).and_then(Json::as_str).map(str::to_string);
    match (field("file"), field("path")) {
        (Some(file), Some(path)) => Ok(Target {
            source: SourceRef { file, path },
            label: label.map(str::to_string),
        }),
        _ => Err(format!(
            "`at` must be a source ref {{\"file\", \"path\"}} or {{\"source\", \"label\"}}, got {value}"
        )),
    }
}
