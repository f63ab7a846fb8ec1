//! evaluate: the OPA `# METADATA` block of a policy (regorus does not read it).

use crate::parse::{Limits, Node};
pub use crate::severity::Severity;
use crate::source::{SourceFile, Span};
use serde::Serialize;
use std::sync::Arc;

/// What a policy says about itself.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyMetadata {
    /// `custom.id`, kebab-case, equal to the folder name.
    pub id: String,
    /// One line.
    pub title: String,
    /// Why it matters.
    pub description: String,
    /// `custom.severity`.
    pub severity: Severity,
    /// `custom.remediation`: how to fix.
    pub remediation: String,
    /// Documentation links (`related_resources`).
    pub related_resources: Vec<String>,
    /// `custom.waivable` (default true).
    pub waivable: bool,
    /// `custom.parameters`: governance parameters read for the policy outside its Rego (by
    /// the model), each with its default as JSON text.
    pub parameters: Vec<(String, String)>,
}

/// A METADATA problem, located in the policy file.
#[derive(Debug, Clone)]
pub struct MetadataError {
    /// What is wrong.
    pub message: String,
    /// Where in the `.rego` file.
    pub span: Span,
}

/// Reads the first `# METADATA` block of a Rego file.
pub fn parse_metadata(file: &SourceFile) -> Result<PolicyMetadata, MetadataError> {
    let lines: Vec<&str> = file.text.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim() == "# METADATA") else {
        return Err(MetadataError {
            message: "no `# METADATA` block (title, description and custom.id/severity/remediation are required)".into(),
            span: Span::new(0, 0),
        });
    };
    let header = Span::new(file.offset_of(start + 1, 0), file.offset_of(start + 1, 10));
    let mut block = String::new();
    for line in lines.iter().skip(start + 1) {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix('#') else {
            break;
        };
        block.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        block.push('\n');
    }
    let block_file = Arc::new(SourceFile::new(file.path.clone(), block));
    // block line n is file line start + 1 + n
    let to_file_span = |s: Span| {
        let lc = block_file.line_column(s.start);
        let offset = file.offset_of(start + 1 + lc.line, lc.column + 1);
        Span::new(offset, offset)
    };
    let doc =
        crate::parse::parse(block_file.clone(), &Limits::default()).map_err(|e| MetadataError {
            message: format!("METADATA is not valid YAML: {}", e.message),
            span: to_file_span(e.span),
        })?;
    let root = doc
        .root()
        .filter(|r| r.is_map())
        .ok_or_else(|| MetadataError {
            message: "METADATA must be a YAML mapping".into(),
            span: header,
        })?;
    let required = |node: Option<&Node>, what: &str| -> Result<String, MetadataError> {
        node.and_then(Node::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| MetadataError {
                message: format!("METADATA is missing `{what}`"),
                span: header,
            })
    };
    let custom = root.get("custom");
    let id = required(custom.and_then(|c| c.get("id")), "custom.id")?;
    let severity_text = required(custom.and_then(|c| c.get("severity")), "custom.severity")?;
    let severity = Severity::parse(&severity_text).ok_or_else(|| MetadataError {
        message: format!("custom.severity is `{severity_text}`; expected error, warning or note"),
        span: custom
            .and_then(|c| c.entry("severity"))
            .map_or(header, |e| to_file_span(e.key_span)),
    })?;
    let related_resources = root
        .get("related_resources")
        .map(|list| {
            list.items()
                .iter()
                .filter_map(|r| r.as_str().or_else(|| r.get("ref").and_then(Node::as_str)))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let waivable = match custom.and_then(|c| c.entry("waivable")) {
        None => true,
        Some(e) => match e.value.as_str() {
            Some("true" | "True" | "TRUE") => true,
            Some("false" | "False" | "FALSE") => false,
            _ => {
                return Err(MetadataError {
                    message: "custom.waivable must be true or false".into(),
                    span: to_file_span(e.key_span),
                })
            }
        },
    };
    let parameters = custom
        .and_then(|c| c.get("parameters"))
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .map(|e| (e.key.clone(), e.value.to_json().to_string()))
        .collect();
    Ok(PolicyMetadata {
        parameters,
        title: required(root.get("title"), "title")?,
        description: required(root.get("description"), "description")?,
        remediation: required(
            custom.and_then(|c| c.get("remediation")),
            "custom.remediation",
        )?,
        id,
        severity,
        related_resources,
        waivable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# METADATA\n# title: T\n# description: |\n#   Long.\n# related_resources:\n#   - https://a\n#   - ref: https://b\n# custom:\n#   id: my-id\n#   severity: warning\n#   remediation: Fix it.\n#   waivable: false\n#   parameters:\n#     name_pattern: '(?i)key'\npackage x\n";

    #[test]
    fn reads_opa_metadata_with_custom_keys() {
        let m = parse_metadata(&SourceFile::new("p.rego", GOOD)).unwrap();
        assert_eq!(m.id, "my-id");
        assert_eq!(m.severity, Severity::Warning);
        assert_eq!(m.description, "Long.");
        assert_eq!(m.related_resources, ["https://a", "https://b"]);
        assert!(!m.waivable);
        assert_eq!(
            m.parameters,
            [("name_pattern".to_string(), r#""(?i)key""#.to_string())]
        );
    }

    #[test]
    fn missing_keys_and_bad_severity_are_located() {
        let f = SourceFile::new("p.rego", GOOD.replace("warning", "fatal"));
        let err = parse_metadata(&f).unwrap_err();
        assert!(err.message.contains("fatal"));
        assert_eq!(f.line_column(err.span.start).line, 10);
        let f = SourceFile::new("p.rego", "package x\n");
        assert!(parse_metadata(&f).unwrap_err().message.contains("METADATA"));
        let f = SourceFile::new("p.rego", GOOD.replace("#   id: my-id\n", ""));
        assert!(parse_metadata(&f)
            .unwrap_err()
            .message
            .contains("custom.id"));
    }
}
