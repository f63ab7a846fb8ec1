//! normalize: parsed documents -> the workspace model, the Rego `input`.
//!
//! Pipelines (from CloudFormation or the CodePipeline API), CodeBuild projects and
//! buildspecs become plain serializable objects; each carries its `source` (file + path)
//! so a policy can blame it and `locate` can find its span.

mod buildspec;
mod cloudformation;
mod codebuild;
mod codepipeline;
mod commands;
mod conditions;
mod downloads;
mod gates;
mod link;
mod resolve;
mod scanners;
mod secrets;
mod shell;
mod types;

pub use gates::{Assignment, GateRules, ProjectGate};
pub use secrets::{SecretRules, DEFAULT_NAME_PATTERN as DEFAULT_SECRET_NAME_PATTERN};
pub use types::*;

use crate::discover::Kind;
use crate::parse::{Document, Limits, MappedText, Node, ParseError, PathBuf};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

/// A located problem found while building the model (e.g. an inline buildspec that
/// does not parse).
#[derive(Debug, Clone)]
pub struct ModelError {
    /// File.
    pub file: String,
    /// The error, spans in that file.
    pub error: ParseError,
}

/// A parsed file and what it was classified as.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The parsed file.
    pub document: Document,
    /// Its kind.
    pub kind: Kind,
}

/// Documents embedded in strings, by file and the path of the string.
pub type EmbeddedIndex = HashMap<(String, String), Node>;

/// The model and what `locate` needs beyond the parsed files.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    /// The model.
    pub workspace: Workspace,
    /// Embedded documents.
    pub embedded: EmbeddedIndex,
    /// Problems met while normalizing.
    pub errors: Vec<ModelError>,
}

/// Shared state while normalizing one workspace.
pub(crate) struct Builder<'a> {
    pub limits: &'a Limits,
    pub gates: &'a GateRules,
    pub out: Normalized,
    /// Unlinked actions: (pipeline index, stage index, action index, ProjectName node, file).
    pub pending_links: Vec<link::PendingLink>,
    /// CloudFormation context of each template, by file.
    pub templates: HashMap<String, cloudformation::TemplateContext>,
    /// CloudFormation exports of every template: name -> (file, the output's `Value`).
    pub exports: HashMap<String, Vec<(String, Node)>>,
}

impl Builder<'_> {
    /// Resolves a value of `file` in its template's scope (literal values elsewhere).
    pub(crate) fn resolve(&self, file: &str, node: &Node) -> resolve::Resolved {
        match self.templates.get(file) {
            Some(scope) => scope.resolve(node),
            None => resolve::Scope::default().resolve(node),
        }
    }

    /// Records a decisive value that cannot be resolved: `node`, found below `within`
    /// (at `within_path`).
    pub(crate) fn unresolved(
        &mut self,
        file: &str,
        (within, within_path): (&Node, &PathBuf),
        node: &Node,
        what: String,
        reason: String,
    ) {
        let path = node_path(within, within_path, node).0;
        self.out.workspace.unresolved.push(Unresolved {
            what,
            value: author_syntax(node, file),
            reason,
            source: SourceRef {
                file: file.to_string(),
                path,
            },
        });
    }

    /// Records a located structural problem (the check then exits 2).
    pub(crate) fn error(
        &mut self,
        file: &str,
        span: crate::source::Span,
        message: impl Into<String>,
    ) {
        self.out.errors.push(ModelError {
            file: file.to_string(),
            error: ParseError {
                message: message.into(),
                span,
                related: Vec::new(),
            },
        });
    }
}

/// Builds the workspace model from classified documents.
pub fn normalize(
    docs: &[Classified],
    limits: &Limits,
    gates: &GateRules,
    with_documents: bool,
) -> Normalized {
    let mut b = Builder {
        limits,
        gates,
        out: Normalized::default(),
        pending_links: Vec::new(),
        templates: HashMap::new(),
        exports: HashMap::new(),
    };
    for doc in docs {
        let Some(root) = doc.document.root() else {
            continue;
        };
        let file = doc.document.file.path.clone();
        if matches!(doc.kind, Kind::Cloudformation | Kind::Buildspec) {
            // CloudFormation and CodeBuild read one document; stagegate must not check a
            // different one than they deploy
            if let Some(second) = doc.document.roots.iter().filter(|r| !r.is_null()).nth(1) {
                b.error(
                    &file,
                    second.span,
                    "a second YAML document: AWS reads one document per template or buildspec, so this file cannot be verified",
                );
            }
        }
        b.out.workspace.documents.push(DocumentInfo {
            file: file.clone(),
            kind: doc.kind,
            // the raw tree is large; build it only when a policy reads input.documents
            content: if with_documents {
                root.to_json()
            } else {
                Json::Null
            },
        });
        match doc.kind {
            Kind::Cloudformation => cloudformation::normalize(&mut b, &doc.document, root),
            Kind::Codepipeline => {
                let (decl, path) = match root.get("pipeline") {
                    Some(p) => (p, PathBuf::root().join("pipeline")),
                    None => (root, PathBuf::root()),
                };
                codepipeline::normalize(&mut b, &file, decl, path, "api", None);
                let arn = root
                    .get("metadata")
                    .and_then(|m| m.get("pipelineArn"))
                    .and_then(Node::as_str);
                if let Some(p) = b.out.workspace.pipelines.last_mut() {
                    p.region = arn.and_then(arn_region);
                    p.arn = arn.map(str::to_string);
                }
            }
            Kind::Codebuild => {
                if !root.items().is_empty() {
                    // `batch-get-projects --query projects` writes the bare list
                    for (i, p) in root.items().iter().enumerate() {
                        let path = PathBuf::root().join(i);
                        codebuild::normalize(&mut b, &doc.document, p, path, None);
                    }
                } else if let Some(projects) = root.get("projects") {
                    let base = PathBuf::root().join("projects");
                    for (i, p) in projects.items().iter().enumerate() {
                        codebuild::normalize(&mut b, &doc.document, p, base.join(i), None);
                    }
                } else {
                    codebuild::normalize(&mut b, &doc.document, root, PathBuf::root(), None);
                }
            }
            Kind::Buildspec => {
                for (span, message) in buildspec::validate(root) {
                    b.error(&file, span, message);
                }
                let bs =
                    buildspec::normalize(&file, root, &PathBuf::root(), "developer", file.clone());
                b.out.workspace.buildspecs.insert(file.clone(), bs);
            }
        }
    }
    codebuild::inline_terraform_files(&mut b.out.workspace);
    link::link(&mut b);
    // secrets first: the overrides gates lists are copies of these variables
    secrets::classify(&mut b.out.workspace, &b.gates.secrets);
    gates::classify(&mut b.out.workspace, b.gates);
    commands::classify(&mut b.out.workspace);
    b.out
}

/// The region of an ARN (`arn:aws:codebuild:eu-west-1:...`), when it has one.
pub(crate) fn arn_region(arn: &str) -> Option<String> {
    let region = arn.strip_prefix("arn:")?.split(':').nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// The path of `target` inside `root` (at `base`), found by its span; `base` when it is not
/// below `root`.
pub(crate) fn node_path(root: &Node, base: &PathBuf, target: &Node) -> PathBuf {
    fn walk(node: &Node, path: &PathBuf, target: crate::source::Span) -> Option<PathBuf> {
        if node.span == target {
            return Some(path.clone());
        }
        if node.span.start > target.start || node.span.end < target.end {
            return None;
        }
        for e in node.entries() {
            if let Some(p) = walk(&e.value, &path.join(&e.key), target) {
                return Some(p);
            }
        }
        for (i, item) in node.items().iter().enumerate() {
            if let Some(p) = walk(item, &path.join(i), target) {
                return Some(p);
            }
        }
        None
    }
    walk(root, base, target.span).unwrap_or_else(|| base.clone())
}

/// The path that names a model object: a CloudFormation resource (its logical id) rather
/// than its `Properties`, so findings show the resource's line.
pub(crate) fn object_path(path: &PathBuf) -> PathBuf {
    match path.0.strip_suffix("/Properties") {
        Some(resource) if path.0.starts_with("/Resources/") => PathBuf(resource.to_string()),
        _ => path.clone(),
    }
}

/// The text of a scalar, whatever its style.
pub(crate) fn literal(node: &Node) -> Option<String> {
    node.as_str().map(str::to_string)
}

/// The lower-case hex sha256 of a text.
pub(crate) fn sha256_hex(text: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A value as its author wrote it: a literal, `!Ref X`-style short forms for YAML
/// templates, JSON otherwise.
pub(crate) fn author_syntax(node: &Node, file: &str) -> String {
    if let Some(s) = literal(node) {
        return s;
    }
    if file.ends_with(".tf") {
        return terraform_syntax(node);
    }
    let json = file.ends_with(".json");
    match node.entries() {
        [e] if !json && (e.key == "Ref" || e.key.starts_with("Fn::")) => {
            let tag = e.key.trim_start_matches("Fn::");
            let arg = match literal(&e.value) {
                Some(s) => s,
                None => e.value.to_json().to_string(),
            };
            format!("!{tag} {arg}")
        }
        _ => node.to_json().to_string(),
    }
}

/// A literal's text, or the compact JSON of an expression (a Terraform expression as
/// written).
pub(crate) fn display(node: &Node) -> String {
    if let Some(text) = node
        .get(crate::parse::UNEVALUATED)
        .and_then(|v| v.items().first())
        .and_then(Node::as_str)
    {
        return text.to_string();
    }
    literal(node).unwrap_or_else(|| node.to_json().to_string())
}

/// A value read from Terraform, as its author would write it: `var.env`,
/// `"app-${var.env}"`, `c ? a : b`, or the expression stagegate did not evaluate.
fn terraform_syntax(node: &Node) -> String {
    if let Some(s) = literal(node) {
        return format!("{s:?}");
    }
    let [e] = node.entries() else {
        return node.to_json().to_string();
    };
    match (e.key.as_str(), e.value.items()) {
        (crate::parse::UNEVALUATED, _) => display(node),
        ("Ref", _) => display(&e.value),
        ("Fn::Join", [_, parts]) => {
            let mut out = String::from("\"");
            for part in parts.items() {
                match literal(part) {
                    Some(s) => out.push_str(&s),
                    None => out.push_str(&format!("${{{}}}", terraform_syntax(part))),
                }
            }
            out.push('"');
            out
        }
        ("Fn::If", [cond, a, b]) => format!(
            "{} ? {} : {}",
            display(cond),
            terraform_syntax(a),
            terraform_syntax(b)
        ),
        _ => node.to_json().to_string(),
    }
}

/// The entry under a CloudFormation (`PascalCase`) key or its API (`camelCase` or lower
/// case) spelling.
pub(crate) fn field<'n>(node: &'n Node, pascal: &str) -> Option<(&'n Node, &'n str)> {
    let mut camel = pascal.to_string();
    if let Some(first) = camel.get(..1) {
        camel.replace_range(..1, &first.to_ascii_lowercase());
    }
    let lower = pascal.to_ascii_lowercase();
    let found = [pascal, camel.as_str(), lower.as_str()]
        .into_iter()
        .find_map(|k| node.entry(k));
    found.map(|e| (&e.value, e.key.as_str()))
}

/// One element of a list after `Fn::If` expansion.
pub(crate) struct ListItem<'n> {
    pub node: &'n Node,
    pub path: PathBuf,
    /// Position of the written element; both branches of an `Fn::If` share it.
    pub index: usize,
    /// The `Fn::If` branches it is written in: `Cond` or `!Cond`; empty when it always
    /// exists.
    pub conditions: Vec<String>,
}

/// Items of a list, with `Fn::If` elements expanded to both branches (each marked
/// conditional: it may not exist) and `AWS::NoValue` dropped.
pub(crate) fn list_items<'n>(list: &'n Node, path: &PathBuf) -> Vec<ListItem<'n>> {
    let mut out = Vec::new();
    for (i, item) in list.items().iter().enumerate() {
        expand_if(item, path.join(i), i, Vec::new(), &mut out);
    }
    out
}

fn expand_if<'n>(
    node: &'n Node,
    path: PathBuf,
    index: usize,
    conditions: Vec<String>,
    out: &mut Vec<ListItem<'n>>,
) {
    if let Some(args) = node.get("Fn::If").filter(|_| node.entries().len() == 1) {
        let base = path.join("Fn::If");
        let name = args
            .items()
            .first()
            .map_or_else(|| "?".to_string(), display);
        for (i, branch) in args.items().iter().enumerate().skip(1).take(2) {
            let mut c = conditions.clone();
            c.push(if i == 1 {
                name.clone()
            } else {
                format!("!{name}")
            });
            expand_if(branch, base.join(i), index, c, out);
        }
        return;
    }
    if node.get("Ref").and_then(Node::as_str) == Some("AWS::NoValue") {
        return;
    }
    out.push(ListItem {
        node,
        path,
        index,
        conditions,
    });
}

/// Builds the text of an inline buildspec from a string, `Fn::Sub` or `Fn::Join`,
/// mapped onto the outer file; placeholders stand in for substitutions.
pub(crate) fn inline_text(file: &crate::source::SourceFile, node: &Node) -> Option<MappedText> {
    if node.as_str().is_some() {
        return MappedText::from_scalar(file, node);
    }
    if let Some(arg) = node.get("Fn::Sub").filter(|_| node.entries().len() == 1) {
        let template = if arg.as_str().is_some() {
            arg
        } else {
            arg.items().first()?
        };
        let raw = MappedText::from_scalar(file, template)?;
        return Some(substitute(&raw));
    }
    if let Some(arg) = node.get("Fn::Join").filter(|_| node.entries().len() == 1) {
        let (sep, parts) = (arg.items().first()?, arg.items().get(1)?);
        let sep_text = sep.as_str().unwrap_or("");
        let mut out = MappedText::default();
        for (i, part) in parts.items().iter().enumerate() {
            if i > 0 {
                out.push_str(sep_text, sep.span);
            }
            match part.as_str() {
                Some(_) => out.push_mapped(&MappedText::from_scalar(file, part)?),
                // a Terraform value known only when applied (a variable's default, what
                // stagegate does not evaluate) could be any text, `|| true` included
                None if terraform_unknown(part) => out.push_str(TERRAFORM_VALUE, part.span),
                None => out.push_str("__CFN_VALUE__", part.span),
            }
        }
        return Some(out);
    }
    None
}

/// What stands in an inline buildspec's text for a Terraform value known only when
/// applied; a command that holds it cannot be verified (see `commands::masking`).
pub(crate) const TERRAFORM_VALUE: &str = "__TF_VALUE__";

fn terraform_unknown(part: &Node) -> bool {
    part.get(crate::parse::UNEVALUATED).is_some()
        || part.get(crate::parse::TERRAFORM_FILE).is_some()
        || part
            .get("Ref")
            .and_then(Node::as_str)
            .is_some_and(|r| r.starts_with("var."))
}

/// `Fn::Sub` text: `${!X}` is a literal `${X}`; other `${...}` become placeholders.
fn substitute(raw: &MappedText) -> MappedText {
    let text = raw.text.as_str();
    let mut out = MappedText::default();
    let mut i = 0;
    // every index below comes from `find` of an ASCII delimiter, so it is a char boundary
    while let Some(at) = text.get(i..).and_then(|t| t.find("${")).map(|rel| i + rel) {
        out.push_slice(raw, i..at);
        let Some(close) = text.get(at..).and_then(|t| t.find('}')).map(|rel| at + rel) else {
            i = at;
            break;
        };
        let inner = text.get(at + 2..close).unwrap_or("");
        if inner.starts_with('!') {
            // `${!X}` is the literal text `${X}`
            out.push_slice(raw, at..at + 2);
            out.push_slice(raw, at + 3..close + 1);
        } else {
            out.push_str("__CFN_SUB__", raw.range_at(at));
        }
        i = close + 1;
    }
    out.push_slice(raw, i..text.len());
    out
}

/// Parses an inline buildspec and registers it; returns its key, or records the error.
pub(crate) fn add_inline_buildspec(
    b: &mut Builder<'_>,
    file: &Arc<crate::source::SourceFile>,
    node: &Node,
    path: &PathBuf,
) -> Option<String> {
    let text = inline_text(file, node)?;
    match crate::parse::parse_embedded(&text, b.limits) {
        Ok(root) => {
            for (span, message) in buildspec::validate(&root) {
                b.error(&file.path, span, format!("inline buildspec: {message}"));
            }
            let key = format!("{}{}", file.path, path);
            let mut bs =
                buildspec::normalize(&file.path, &root, &path.embedded(), "platform", key.clone());
            // what governance data may pin: the text as deployed, when it is one literal
            // (hashed only when governance data pins some project)
            if b.gates.projects.iter().any(|p| p.sha256.is_some()) {
                bs.sha256 = node.as_str().map(|_| sha256_hex(&text.text));
            }
            b.out.workspace.buildspecs.insert(key.clone(), bs);
            b.out
                .embedded
                .insert((file.path.clone(), path.0.clone()), root);
            Some(key)
        }
        Err(mut error) => {
            error.message = format!("inline buildspec does not parse: {}", error.message);
            b.out.errors.push(ModelError {
                file: file.path.clone(),
                error,
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_escapes_and_placeholders() {
        let mut raw = MappedText::default();
        raw.push_str(
            "echo ${!HOME} ${AWS::Region} done",
            crate::source::Span::new(0, 1),
        );
        assert_eq!(substitute(&raw).text, "echo ${HOME} __CFN_SUB__ done");
    }
}
