//! normalize: a CloudFormation template -> its CodeBuild projects and pipelines.

use super::{codebuild, codepipeline, literal, Builder};
use crate::parse::{Document, Node, PathBuf};
use std::collections::HashMap;

/// What a template declares that other values refer to.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateContext {
    /// Parameter defaults that are literal strings.
    pub parameter_defaults: HashMap<String, String>,
    /// Resource types by logical id.
    pub resource_types: HashMap<String, String>,
}

impl TemplateContext {
    /// A string value when it is literal or made only of parameters with defaults.
    pub(crate) fn resolve_string(&self, node: &Node) -> Option<String> {
        if let Some(s) = literal(node) {
            return Some(s);
        }
        if node.entries().len() != 1 {
            return None;
        }
        if let Some(name) = node.get("Ref").and_then(Node::as_str) {
            return self.parameter_defaults.get(name).cloned();
        }
        let template = node.get("Fn::Sub").and_then(Node::as_str)?;
        let mut out = String::new();
        let mut rest = template;
        while let Some((before, after)) = rest.split_once("${") {
            out.push_str(before);
            let (inner, tail) = after.split_once('}')?;
            match inner.strip_prefix('!') {
                Some(lit) => {
                    out.push_str("${");
                    out.push_str(lit);
                    out.push('}');
                }
                None => out.push_str(self.parameter_defaults.get(inner)?),
            }
            rest = tail;
        }
        out.push_str(rest);
        Some(out)
    }
}

/// Adds a template's projects, then its pipelines.
pub(crate) fn normalize(b: &mut Builder<'_>, doc: &Document, root: &Node) {
    let file = doc.file.path.clone();
    let mut ctx = TemplateContext::default();
    if let Some(params) = root.get("Parameters") {
        for p in params.entries() {
            if let Some(default) = p.value.get("Default").and_then(literal) {
                ctx.parameter_defaults.insert(p.key.clone(), default);
            }
        }
    }
    let resources = root.get("Resources");
    for r in resources.map(Node::entries).unwrap_or_default() {
        if let Some(t) = r.value.get("Type").and_then(Node::as_str) {
            ctx.resource_types.insert(r.key.clone(), t.to_string());
        }
    }
    b.templates.insert(file.clone(), ctx);
    let base = PathBuf::root().join("Resources");
    for wanted in ["AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline"] {
        for r in resources.map(Node::entries).unwrap_or_default() {
            if r.value.get("Type").and_then(Node::as_str) != Some(wanted) {
                continue;
            }
            let Some(props) = r.value.get("Properties") else {
                continue;
            };
            let path = base.join(&r.key).join("Properties");
            if wanted == "AWS::CodeBuild::Project" {
                codebuild::normalize(b, doc, props, path, Some(&r.key));
            } else {
                codepipeline::normalize(b, &file, props, path, "cloudformation");
            }
        }
    }
}
