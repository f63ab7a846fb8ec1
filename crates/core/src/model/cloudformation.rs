//! normalize: a CloudFormation template -> its CodeBuild projects and pipelines.

use super::{codebuild, codepipeline, literal, Builder};
use crate::parse::{Document, Node, PathBuf};

/// What a template declares that other values refer to.
pub(crate) type TemplateContext = super::resolve::Scope;

impl TemplateContext {
    /// A string value for linking names: literal, or resolved to one value (a parameter
    /// default is accepted here, and said so in the evidence).
    pub(crate) fn resolve_string(&self, node: &Node) -> Option<String> {
        match self.resolve(node) {
            super::resolve::Resolved::Known { values, .. } if values.len() == 1 => {
                values.into_iter().next()
            }
            _ => None,
        }
    }
}

/// Adds a template's projects, then its pipelines.
pub(crate) fn normalize(b: &mut Builder<'_>, doc: &Document, root: &Node) {
    let file = doc.file.path.clone();
    let mut ctx = TemplateContext::default();
    for p in root
        .get("Parameters")
        .map(Node::entries)
        .unwrap_or_default()
    {
        let ssm = p
            .value
            .get("Type")
            .and_then(Node::as_str)
            .is_some_and(|t| t.starts_with("AWS::SSM::"));
        let default = p.value.get("Default").and_then(literal);
        ctx.parameters
            .insert(p.key.clone(), super::resolve::Parameter { default, ssm });
    }
    ctx.mappings = root.get("Mappings").cloned();
    let resources = root.get("Resources");
    for r in resources.map(Node::entries).unwrap_or_default() {
        if let Some(t) = r.value.get("Type").and_then(Node::as_str) {
            ctx.resource_types.insert(r.key.clone(), t.to_string());
        }
    }
    for output in root.get("Outputs").map(Node::entries).unwrap_or_default() {
        let (Some(value), Some(name)) = (
            output.value.get("Value"),
            output.value.get("Export").and_then(|e| e.get("Name")),
        ) else {
            continue;
        };
        if let Some(name) = ctx.resolve(name).certain() {
            b.exports
                .entry(name.to_string())
                .or_default()
                .push((file.clone(), value.clone()));
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
