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
    transforms(b, &file, &doc.file.text, root);
    if !root.get("Resources").is_some_and(Node::is_map) {
        b.error(
            &file,
            root.get("Resources").map_or(root.span, |r| r.span),
            "a CloudFormation template needs a `Resources` mapping",
        );
    }
    let resources = match expand_resources(root.get("Resources"), &ctx) {
        Ok(r) => r,
        Err((span, message)) => {
            b.error(&file, span, message);
            Vec::new()
        }
    };
    for r in &resources {
        if let Some(t) = r.node.get("Type").and_then(Node::as_str) {
            ctx.resource_types.insert(r.id.clone(), t.to_string());
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
    for wanted in ["AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline"] {
        for r in &resources {
            if r.node.get("Type").and_then(Node::as_str) != Some(wanted) {
                continue;
            }
            let Some(props) = r.node.get("Properties") else {
                continue;
            };
            let path = r.path.join("Properties");
            if wanted == "AWS::CodeBuild::Project" {
                codebuild::normalize(b, doc, props, path, Some(&r.id));
            } else {
                let format = match doc.format {
                    crate::parse::Format::Hcl | crate::parse::Format::TerraformPlan => "terraform",
                    _ => "cloudformation",
                };
                codepipeline::normalize(b, &file, props, path, format, Some(&r.id));
            }
        }
    }
}

/// Transforms that do not touch pipelines or projects: the language extensions (whose
/// `Fn::ForEach` stagegate expands itself) and SAM.
const KNOWN_TRANSFORMS: &[&str] = &["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"];

/// A template-level `Transform` naming a macro, or an `Fn::Transform` (`AWS::Include` among
/// them), rewrites the template when it is deployed: what stagegate reads is not what runs,
/// so it is an error unless governance data lists the macro as harmless.
fn transforms(b: &mut Builder<'_>, file: &str, text: &str, root: &Node) {
    if let Some(t) = root.get("Transform") {
        let names: Vec<&Node> = match t.as_str() {
            Some(_) => vec![t],
            None => t.items().iter().collect(),
        };
        for n in names {
            let name = n.as_str().unwrap_or("");
            if !KNOWN_TRANSFORMS.contains(&name)
                && !b.gates.harmless_transforms.iter().any(|h| h == name)
            {
                b.error(
                    file,
                    n.span,
                    format!("cannot verify: the transform `{}` rewrites the template when it is deployed (list it in governance data `harmless-transforms` if it does not touch pipelines or projects)", super::display(n)),
                );
            }
        }
    }
    fn walk(node: &Node, out: &mut Vec<crate::source::Span>) {
        for e in node.entries() {
            if e.key == "Fn::Transform" {
                out.push(e.key_span);
            }
            walk(&e.value, out);
        }
        for i in node.items() {
            walk(i, out);
        }
    }
    let mut found = Vec::new();
    // most templates hold none: a look at the text spares the walk
    if text.contains("Fn::Transform") || text.contains("!Transform") {
        if let Some(resources) = root.get("Resources") {
            walk(resources, &mut found);
        }
    }
    for span in found {
        b.error(
            file,
            span,
            "cannot verify: `Fn::Transform` replaces this part of the template when it is deployed",
        );
    }
}

/// A resource of the template, after `Fn::ForEach` expansion: its logical id, its
/// definition, and the path of what it was written as.
pub(crate) struct Resource<'n> {
    pub id: String,
    pub node: std::borrow::Cow<'n, Node>,
    pub path: PathBuf,
}

/// Every resource, with `Fn::ForEach::<Name>` loops (AWS::LanguageExtensions) expanded.
/// Copies point at the loop's template in the file. A loop over a collection that cannot
/// be resolved is an error: the resources it makes cannot be known.
fn expand_resources<'n>(
    resources: Option<&'n Node>,
    ctx: &TemplateContext,
) -> Result<Vec<Resource<'n>>, (crate::source::Span, String)> {
    let mut out = Vec::new();
    let base = PathBuf::root().join("Resources");
    for e in resources.map(Node::entries).unwrap_or_default() {
        if e.key.starts_with("Fn::ForEach::") {
            expand_loop(&e.value, &base.join(&e.key), &[], ctx, 0, &mut out)?;
        } else {
            out.push(Resource {
                id: e.key.clone(),
                node: std::borrow::Cow::Borrowed(&e.value),
                path: base.join(&e.key),
            });
        }
    }
    Ok(out)
}

fn expand_loop(
    args: &Node,
    path: &PathBuf,
    bound: &[(String, String)],
    ctx: &TemplateContext,
    depth: usize,
    out: &mut Vec<Resource<'_>>,
) -> Result<(), (crate::source::Span, String)> {
    let bad = |why: &str| (args.span, format!("cannot verify `Fn::ForEach`: {why}"));
    if depth > 5 {
        return Err(bad(
            "loops nest deeper than the 5 levels CloudFormation allows",
        ));
    }
    let [identifier, collection, outputs] = args.items() else {
        return Err(bad(
            "it needs an identifier, a collection and an output template",
        ));
    };
    let Some(identifier) = identifier.as_str() else {
        return Err(bad("its identifier is not a name"));
    };
    let collection = substitute(collection, bound);
    let values: Vec<String> = match collection.items() {
        items
            if !items.is_empty()
                || collection.as_str().is_none() && collection.entries().is_empty() =>
        {
            let mut values = Vec::new();
            for item in items {
                match ctx.resolve(item).certain() {
                    Some(v) => values.push(v.to_string()),
                    None => return Err(bad("an element of its collection cannot be resolved")),
                }
            }
            values
        }
        _ => match ctx.resolve(&collection) {
            // a CommaDelimitedList parameter: its default is an assumption the deployer
            // can change, and it decides which resources exist
            super::resolve::Resolved::Known {
                values,
                assumed: false,
            } if values.len() == 1 => values
                .iter()
                .flat_map(|v| v.split(','))
                .map(|v| v.trim().to_string())
                .collect(),
            _ => return Err(bad("its collection cannot be resolved from the template")),
        },
    };
    let outputs_path = path.join(2);
    for value in values {
        let mut bound = bound.to_vec();
        bound.push((identifier.to_string(), value));
        for e in outputs.entries() {
            if e.key.starts_with("Fn::ForEach::") {
                expand_loop(
                    &e.value,
                    &outputs_path.join(&e.key),
                    &bound,
                    ctx,
                    depth + 1,
                    out,
                )?;
                continue;
            }
            out.push(Resource {
                id: substitute_text(&e.key, &bound),
                node: std::borrow::Cow::Owned(substitute(&e.value, &bound)),
                path: outputs_path.join(&e.key),
            });
        }
    }
    Ok(())
}

/// `${Id}` and `&{Id}` (non-alphanumerics removed) in a key or `Fn::Sub` text.
fn substitute_text(text: &str, bound: &[(String, String)]) -> String {
    let mut out = text.to_string();
    for (id, value) in bound {
        out = out.replace(&format!("${{{id}}}"), value);
        let alnum: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
        out = out.replace(&format!("&{{{id}}}"), &alnum);
    }
    out
}

/// A copy of `node` with the loop identifiers bound: `Ref Id` becomes the value, and
/// `${Id}` in `Fn::Sub` texts is replaced.
fn substitute(node: &Node, bound: &[(String, String)]) -> Node {
    use crate::parse::{Style, Value};
    if bound.is_empty() {
        return node.clone();
    }
    if let [e] = node.entries() {
        if e.key == "Ref" {
            if let Some((_, v)) = e
                .value
                .as_str()
                .and_then(|r| bound.iter().find(|(id, _)| id == r))
            {
                return Node {
                    value: Value::Scalar(v.clone(), Style::Quoted),
                    span: node.span,
                    tag: None,
                };
            }
        }
    }
    let mut copy = node.clone();
    match &mut copy.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => {
            for i in items.iter_mut() {
                *i = substitute(i, bound);
            }
        }
        Value::Map(entries) => {
            let in_sub = entries.len() == 1 && entries.first().is_some_and(|e| e.key == "Fn::Sub");
            for e in entries.iter_mut() {
                if in_sub {
                    if let Value::Scalar(text, style) = &e.value.value {
                        e.value.value = Value::Scalar(substitute_text(text, bound), *style);
                        continue;
                    }
                    if let Value::Seq(parts) = &mut e.value.value {
                        if let Some(first) = parts.first_mut() {
                            if let Value::Scalar(text, style) = &first.value {
                                first.value = Value::Scalar(substitute_text(text, bound), *style);
                            }
                        }
                        continue;
                    }
                }
                e.value = substitute(&e.value, bound);
            }
        }
    }
    copy
}
