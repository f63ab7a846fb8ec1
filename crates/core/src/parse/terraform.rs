//! parse: Terraform (HCL) -> the span tree of a CloudFormation template, so that one
//! model and one policy pack read both.
//!
//! Each `.tf` file becomes a template whose `Resources` are its `aws_codepipeline` and
//! `aws_codebuild_project` blocks (logical id = the Terraform address), written with the
//! CloudFormation property names, every node spanning the HCL it came from. A module's files
//! are read together: a reference to a `local`, or to an argument of a resource of the same
//! module (`aws_codebuild_project.sca.name`), is replaced by what it refers to, located at
//! the reference; `var.x` becomes a template parameter whose default is the variable's
//! value (its `default`, or a `terraform.tfvars` / `*.auto.tfvars` value), an assumption
//! exactly like a CloudFormation parameter default. What stagegate does not evaluate (data
//! sources, attributes known once applied, operators, `for` expressions, `dynamic` blocks,
//! remote modules) becomes a `stagegate::Terraform` node that the resolver reports as
//! unresolved, so a decisive unknown fails closed as it does in CloudFormation.

use super::tree::{Entry, Node, Style, Value};
use super::ParseError;
use crate::source::{SourceFile, Span};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::template::{Element, Template};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The key of a node that stands for a Terraform expression stagegate does not evaluate;
/// its value is the expression as written.
pub const UNEVALUATED: &str = "stagegate::Terraform";

/// Terraform names and the CloudFormation ones they are read as, shared by `.tf` files and
/// plans (which use the provider's schema names).
pub(super) mod names {
    type Table = &'static [(&'static str, &'static str)];
    pub(in crate::parse) const PIPELINE: Table = &[("name", "Name"), ("pipeline_type", "PipelineType"), ("role_arn", "RoleArn")];
    pub(in crate::parse) const NAME: Table = &[("name", "Name")];
    pub(in crate::parse) const VARIABLE: Table = &[("name", "Name"), ("default_value", "DefaultValue"), ("description", "Description")];
    pub(in crate::parse) const ACTION: Table = &[("name", "Name"), ("run_order", "RunOrder"), ("namespace", "Namespace"), ("region", "Region"), ("role_arn", "RoleArn")];
    pub(in crate::parse) const TYPE_ID: Table = &[("category", "Category"), ("owner", "Owner"), ("provider", "Provider"), ("version", "Version")];
    pub(in crate::parse) const PROJECT: Table = &[("name", "Name"), ("service_role", "ServiceRole")];
    pub(in crate::parse) const SOURCE: Table = &[("type", "Type"), ("buildspec", "BuildSpec"), ("location", "Location"), ("source_identifier", "SourceIdentifier")];
    pub(in crate::parse) const ENVIRONMENT: Table = &[("image", "Image"), ("type", "Type"), ("compute_type", "ComputeType"), ("privileged_mode", "PrivilegedMode")];
    pub(in crate::parse) const ENV_VAR: Table = &[("name", "Name"), ("value", "Value"), ("type", "Type")];
    pub(in crate::parse) const RESULT: Table = &[("result", "Result")];
    pub(in crate::parse) const ARTIFACTS: Table = &[("input_artifacts", "InputArtifacts"), ("output_artifacts", "OutputArtifacts")];
    pub(in crate::parse) const STAGE_CONDITIONS: Table = &[("before_entry", "BeforeEntry"), ("on_success", "OnSuccess"), ("on_failure", "OnFailure")];
}

/// Parses HCL, with the location of a syntax error.
pub(crate) fn parse_hcl(file: &SourceFile) -> Result<Body, ParseError> {
    hcl_edit::parser::parse_body(&file.text).map_err(|e| {
        let mut offset = e.location().offset().min(file.text.len());
        while !file.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let end = file
            .text
            .get(offset..)
            .and_then(|rest| rest.char_indices().nth(1))
            .map_or(file.text.len(), |(i, _)| offset + i);
        ParseError::new(format!("invalid HCL: {}", e.message()), Span::new(offset, end))
    })
}

fn span_of(s: &impl hcl_edit::Span) -> Option<Span> {
    s.span().map(|r| Span::new(r.start, r.end))
}

/// One file of a module, parsed.
pub(crate) struct ModuleFile {
    pub file: Arc<SourceFile>,
    pub body: Body,
}

/// What a `var.x` reads.
#[derive(Debug, Clone)]
pub(crate) enum VarValue {
    /// A module call passes this literal: it is what the module gets.
    Given(String),
    /// A `default`, or a tfvars value: an assumption, as a CloudFormation parameter
    /// default is (another value may be passed when applied).
    Default(String),
    /// No value.
    Unset,
    /// A module call passes something stagegate does not evaluate.
    Unknown(String),
}

/// Resources of a module that pipelines refer to, and the values its expressions read.
struct Module<'a> {
    /// `variable` blocks and their values.
    variables: BTreeMap<String, VarValue>,
    /// The values their `default`s alone give (what a called module starts from).
    defaults: BTreeMap<String, VarValue>,
    /// `locals`: (file index, expression).
    locals: HashMap<String, (usize, &'a Expression)>,
    /// `resource` blocks by address (`aws_codebuild_project.sca`): (file index, block).
    resources: HashMap<String, (usize, &'a Block)>,
    /// `output` blocks: their expressions.
    outputs: HashMap<String, &'a Expression>,
    /// Calls of local modules: (call name, the called module's folder, the call block).
    calls: Vec<(String, String, &'a Block)>,
    /// The literal outputs of the called modules, by call name.
    called_outputs: HashMap<String, HashMap<String, String>>,
    /// Calls whose module folder is not among the checked files.
    missing_calls: Vec<String>,
    /// Whether a checked module calls this one (then it is no root, and Terraform does not
    /// run in its folder).
    called: bool,
    /// Expressions evaluated so far: references reached many times over (`[local.a,
    /// local.a]` nested) would otherwise grow without bound. Past [`WORK_LIMIT`] nothing
    /// more is evaluated.
    work: std::cell::Cell<usize>,
    /// The module folder, as `path.module` reads.
    dir: String,
}

/// What one variables file sets: each variable, with its value when it is a literal.
pub(crate) type VarFile = (String, Vec<(String, Option<String>)>);

/// The values an HCL variables file (`*.tfvars`) sets.
pub(crate) fn tfvars_hcl(body: &Body) -> Vec<(String, Option<String>)> {
    body.attributes()
        .map(|a| (a.key.to_string(), literal_text(&a.value)))
        .collect()
}

/// [`tfvars_hcl`] with each entry's span, for errors.
pub(crate) fn tfvars_hcl_spanned(body: &Body) -> Vec<(String, Option<String>, Span)> {
    body.attributes()
        .map(|a| {
            let span = span_of(a).unwrap_or_default();
            (a.key.to_string(), literal_text(&a.value), span)
        })
        .collect()
}

/// Whether Terraform loads a variables file by itself: `terraform.tfvars(.json)` and
/// `*.auto.tfvars(.json)`; any other is read only when `-var-file` names it.
fn auto_loaded(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "terraform.tfvars" | "terraform.tfvars.json")
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// Variable values of a module from its variables files (file name, values): the files
/// Terraform loads by itself in its order (`terraform.tfvars`, its JSON, then the
/// `*.auto.tfvars` files in lexical order; later wins). A value that is no literal, or
/// that a file read only with `-var-file` sets, is not known.
pub(crate) fn tfvars(files: &[VarFile]) -> BTreeMap<String, VarValue> {
    let mut ordered: Vec<&VarFile> = files.iter().collect();
    ordered.sort_by_key(|(name, _)| {
        let lower = name.to_ascii_lowercase();
        let rank = match lower.as_str() {
            "terraform.tfvars" => 0,
            "terraform.tfvars.json" => 1,
            _ => 2,
        };
        (rank, lower)
    });
    let mut out = BTreeMap::new();
    for (name, values) in ordered.iter().filter(|(n, _)| auto_loaded(n)) {
        for (key, value) in values {
            let v = match value {
                Some(v) => VarValue::Default(v.clone()),
                None => VarValue::Unknown(format!(
                    "a value that {name} sets and stagegate does not evaluate"
                )),
            };
            out.insert(key.clone(), v);
        }
    }
    for (name, values) in ordered.iter().filter(|(n, _)| !auto_loaded(n)) {
        for (key, _) in values {
            out.insert(
                key.clone(),
                VarValue::Unknown(format!(
                    "a value {name} may set when applied (`-var-file`), which stagegate does not read"
                )),
            );
        }
    }
    out
}

/// A literal's text (string, number, bool), as a parameter default holds it.
fn literal_text(e: &Expression) -> Option<String> {
    match e {
        Expression::String(s) => Some(s.value().to_string()),
        Expression::Number(n) => Some(n.value().to_string()),
        Expression::Bool(b) => Some(b.value().to_string()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                match el {
                    Element::Literal(l) => out.push_str(l.value()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn label(l: &BlockLabel) -> &str {
    match l {
        BlockLabel::Ident(i) => i.as_str(),
        BlockLabel::String(s) => s.value().as_str(),
    }
}

/// A module folder's `.tf` files and its tfvars values.
pub(crate) struct ModuleInput {
    pub dir: String,
    pub files: Vec<ModuleFile>,
    pub tfvars: BTreeMap<String, VarValue>,
}

/// `dir` joined with a relative `source` (`./modules/x`, `../shared`), as a display path;
/// `None` for a source that is no local path (a registry or Git module).
fn local_source(dir: &str, source: &str) -> Option<String> {
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let mut parts: Vec<&str> = if dir == "." || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                // above the checked folders: not among the inputs
                if parts.pop().is_none() || parts.last() == Some(&"..") {
                    return None;
                }
            }
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Translates modules (one folder each) into one template per `.tf` file, in the order
/// given. A call of a local module passes literal arguments to its variables, and its
/// literal outputs back to `module.<call>.<output>`.
pub(crate) fn translate_modules(
    inputs: &[ModuleInput],
    given: &BTreeMap<String, String>,
) -> Vec<Vec<Node>> {
    let mut modules: Vec<Module<'_>> = inputs.iter().map(module).collect();
    let index: HashMap<String, usize> = inputs
        .iter()
        .enumerate()
        .map(|(i, m)| (m.dir.clone(), i))
        .collect();
    // `-var` values are the root modules' (a called module gets its caller's arguments)
    let called: std::collections::HashSet<String> = modules
        .iter()
        .flat_map(|m| m.calls.iter().map(|(_, dir, _)| dir.clone()))
        .collect();
    for (m, input) in modules.iter_mut().zip(inputs) {
        if called.contains(&input.dir) {
            // Terraform reads variables files in the folder it runs in, a root's: a called
            // module has its defaults and its callers' arguments
            m.called = true;
            m.variables = m.defaults.clone();
            continue;
        }
        for (name, value) in given {
            if let Some(slot) = m.variables.get_mut(name) {
                *slot = VarValue::Given(value.clone());
            }
        }
    }
    for m in &mut modules {
        m.missing_calls = m
            .calls
            .iter()
            .filter(|(_, dir, _)| !index.contains_key(dir))
            .map(|(call, _, _)| call.clone())
            .collect();
    }
    // values cross module boundaries a step a pass: arguments down, outputs up
    for _ in 0..3 {
        let mut given: HashMap<usize, BTreeMap<String, Vec<VarValue>>> = HashMap::new();
        let mut calls_of: HashMap<usize, usize> = HashMap::new();
        let mut outputs: Vec<(usize, String, HashMap<String, String>)> = Vec::new();
        for (i, m) in modules.iter().enumerate() {
            for (call, child_dir, block) in &m.calls {
                let Some(&child) = index.get(child_dir) else {
                    continue;
                };
                *calls_of.entry(child).or_default() += 1;
                for attr in block.body.attributes() {
                    let key = attr.key.to_string();
                    if matches!(key.as_str(), "source" | "version" | "count" | "for_each" | "providers" | "depends_on") {
                        continue;
                    }
                    let node = m.expr(&attr.value, &At::default());
                    let written = attr.value.to_string();
                    let value = match node.as_str() {
                        Some(text) => VarValue::Given(text.to_string()),
                        None => {
                            // say why the caller's value is unknown, not only that it is
                            let why = node
                                .get(UNEVALUATED)
                                .and_then(|v| v.items().get(1))
                                .and_then(Node::as_str)
                                .unwrap_or(NOT_EVALUATED);
                            VarValue::Unknown(format!(
                                "passed by module call `{call}` as `{}`: {why}",
                                written.trim()
                            ))
                        }
                    };
                    given.entry(child).or_default().entry(key).or_default().push(value);
                }
                let Some(child_module) = modules.get(child) else {
                    continue;
                };
                let literal_outputs = child_module
                    .outputs
                    .iter()
                    .filter_map(|(name, e)| {
                        let node = child_module.expr(e, &At::default());
                        node.as_str().map(|t| (name.clone(), t.to_string()))
                    })
                    .collect();
                outputs.push((i, call.clone(), literal_outputs));
            }
        }
        for (child, values) in given {
            let calls = calls_of.get(&child).copied().unwrap_or(0);
            for (name, mut candidates) in values {
                // a call that passes nothing leaves the variable its default
                if candidates.len() < calls {
                    candidates.push(VarValue::Unset);
                }
                let Some(slot) = modules
                    .get_mut(child)
                    .and_then(|m| m.variables.get_mut(&name))
                else {
                    continue;
                };
                candidates.dedup_by(|a, b| match (a, b) {
                    (VarValue::Given(x), VarValue::Given(y)) => x == y,
                    _ => false,
                });
                *slot = match candidates.as_slice() {
                    [one] => one.clone(),
                    _ => VarValue::Unknown(
                        "a variable that module calls give different values".into(),
                    ),
                };
            }
        }
        for (i, call, values) in outputs {
            if let Some(m) = modules.get_mut(i) {
                m.called_outputs.insert(call, values);
            }
        }
    }
    inputs
        .iter()
        .zip(&modules)
        .map(|(input, m)| input.files.iter().map(|f| m.template(f)).collect())
        .collect()
}

fn module(input: &ModuleInput) -> Module<'_> {
    let mut module = Module {
        variables: BTreeMap::new(),
        defaults: BTreeMap::new(),
        locals: HashMap::new(),
        resources: HashMap::new(),
        outputs: HashMap::new(),
        calls: Vec::new(),
        called_outputs: HashMap::new(),
        missing_calls: Vec::new(),
        called: false,
        work: std::cell::Cell::new(0),
        dir: input.dir.clone(),
    };
    for (i, f) in input.files.iter().enumerate() {
        for block in f.body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(label).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    let default = block
                        .body
                        .get_attribute("default")
                        .and_then(|a| literal_text(&a.value))
                        .map_or(VarValue::Unset, VarValue::Default);
                    module.defaults.insert((*name).to_string(), default.clone());
                    let value = input.tfvars.get(*name).cloned().unwrap_or(default);
                    module.variables.insert((*name).to_string(), value);
                }
                ("locals", []) => {
                    for attr in block.body.attributes() {
                        module.locals.insert(attr.key.to_string(), (i, &attr.value));
                    }
                }
                ("resource", [kind, name]) => {
                    module.resources.insert(format!("{kind}.{name}"), (i, block));
                }
                ("output", [name]) => {
                    if let Some(a) = block.body.get_attribute("value") {
                        module.outputs.insert((*name).to_string(), &a.value);
                    }
                }
                ("module", [name]) => {
                    let child = block
                        .body
                        .get_attribute("source")
                        .and_then(|a| literal_text(&a.value))
                        .and_then(|s| local_source(&input.dir, &s));
                    if let Some(child) = child {
                        module.calls.push(((*name).to_string(), child, block));
                    }
                }
                _ => {}
            }
        }
    }
    module
}

fn scalar(text: impl Into<String>, style: Style, span: Span) -> Node {
    Node {
        value: Value::Scalar(text.into(), style),
        span,
        tag: None,
    }
}

fn map(entries: Vec<Entry>, span: Span) -> Node {
    Node {
        value: Value::Map(entries),
        span,
        tag: None,
    }
}

fn entry(key: &str, key_span: Span, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_span,
        value,
    }
}

/// `{stagegate::Terraform: [<expression as written>, <why>]}`: a value stagegate does not
/// evaluate.
fn unevaluated(text: &str, why: &str, span: Span) -> Node {
    let items = vec![
        scalar(text.trim(), Style::Quoted, span),
        scalar(why, Style::Quoted, span),
    ];
    let list = Node {
        value: Value::Seq(items),
        span,
        tag: None,
    };
    map(vec![entry(UNEVALUATED, span, list)], span)
}

/// The key of a node that stands for a file Terraform reads when it applies (`file()`,
/// `templatefile()`); its value is the file's display path.
pub const FILE: &str = "stagegate::TerraformFile";

/// Most expressions evaluated in one module.
const WORK_LIMIT: usize = 200_000;

/// Longest chain of references followed (`local.a` -> `local.b` -> ...).
const MAX_REFERENCE_DEPTH: usize = 32;

/// Most instances a known `count` makes; more is read as an unknown count.
const MAX_COUNT: usize = 64;

/// Why a construct is not evaluated.
const NOT_EVALUATED: &str = "a Terraform expression stagegate does not evaluate";

/// `{Ref: name}`.
fn reference(name: &str, span: Span) -> Node {
    map(vec![entry("Ref", span, scalar(name, Style::Quoted, span))], span)
}

/// Where translation is: the span every node takes when the expression was reached through
/// a reference (the reference's own, in the file being translated), and the locals and
/// resources being followed (one met again is a cycle, unevaluated).
#[derive(Clone, Default)]
struct At {
    here: Option<Span>,
    following: Vec<String>,
    /// The iterators of the `dynamic` blocks being expanded: (name, key, value).
    bindings: Vec<(String, Node, Node)>,
}

impl At {
    fn through(&self, span: Span, followed: String) -> At {
        let mut inner = self.clone();
        inner.here = Some(inner.here.unwrap_or(span));
        inner.following.push(followed);
        inner
    }
}

impl<'a> Module<'a> {
    fn template(&self, file: &ModuleFile) -> Node {
        let whole = Span::new(0, file.file.text.len());
        let mut resources = Vec::new();
        for block in file.body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(label).collect();
            let ("resource", [kind, name]) = (block.ident.as_str(), labels.as_slice()) else {
                continue;
            };
            let cfn_type = match *kind {
                "aws_codepipeline" => "AWS::CodePipeline::Pipeline",
                "aws_codebuild_project" => "AWS::CodeBuild::Project",
                _ => continue,
            };
            let span = span_of(block).unwrap_or(whole);
            let ident_span = span_of(&block.ident).unwrap_or(span);
            // one resource per instance of a known `count` or `for_each`; the instances of
            // an unknown one are the block once, its `count.index` and `each` unknown
            for (address, at) in self.instances(block, &format!("{kind}.{name}")) {
                let properties = if *kind == "aws_codepipeline" {
                    self.pipeline(&block.body, span, &at)
                } else {
                    self.project(&block.body, span, &at)
                };
                resources.push(entry(
                    &address,
                    ident_span,
                    map(
                        vec![
                            entry("Type", ident_span, scalar(cfn_type, Style::Quoted, ident_span)),
                            entry("Properties", span, properties),
                        ],
                        span,
                    ),
                ));
            }
        }
        let mut parameters = Vec::new();
        for (name, value) in &self.variables {
            let mut p = vec![entry("Type", whole, scalar("String", Style::Quoted, whole))];
            match value {
                VarValue::Default(v) => {
                    p.push(entry("Default", whole, scalar(v, Style::Quoted, whole)));
                }
                VarValue::Unset => {}
                // read in place, not as parameters
                VarValue::Given(_) | VarValue::Unknown(_) => continue,
            }
            parameters.push(entry(&format!("var.{name}"), whole, map(p, whole)));
        }
        map(
            vec![
                entry("Parameters", whole, map(parameters, whole)),
                entry("Resources", whole, map(resources, whole)),
            ],
            whole,
        )
    }

    /// An attribute of `body` under its CloudFormation name.
    fn attr(&self, body: &Body, tf: &str, cfn: &str, at: &At) -> Option<Entry> {
        let a = body.get_attribute(tf)?;
        let key_span = at.here.or_else(|| span_of(&a.key)).unwrap_or_default();
        Some(entry(cfn, key_span, self.expr(&a.value, at)))
    }

    fn attrs(&self, body: &Body, names: &[(&str, &str)], at: &At) -> Vec<Entry> {
        names
            .iter()
            .filter_map(|(tf, cfn)| self.attr(body, tf, cfn, at))
            .collect()
    }

    /// Repeated blocks as a list under `cfn`; a `dynamic` block of that kind makes the
    /// list unevaluated (its items are known only from a collection).
    fn blocks(
        &self,
        body: &Body,
        tf: &str,
        cfn: &str,
        at: &At,
        item: impl Fn(&Body, Span, &At) -> Node,
    ) -> Option<Entry> {
        let mut items: Vec<Node> = Vec::new();
        for b in body.blocks() {
            let span = at.here.or_else(|| span_of(b)).unwrap_or_default();
            if b.ident.as_str() == tf && b.labels.is_empty() {
                items.push(item(&b.body, span, at));
                continue;
            }
            if !(b.ident.as_str() == "dynamic" && b.labels.first().map(label) == Some(tf)) {
                continue;
            }
            // a dynamic block over a collection stagegate knows is its items; any other is
            // unknown, and so is the whole list
            match self.expand(b, tf, at) {
                Some(expanded) => {
                    for (content, inner) in expanded {
                        items.push(item(content, span, &inner));
                    }
                }
                None => {
                    let text = format!("dynamic \"{tf}\"");
                    let why = "a dynamic block over a collection stagegate does not know";
                    return Some(entry(cfn, span, unevaluated(&text, why, span)));
                }
            }
        }
        let first = items.first()?.span;
        let span = items.iter().fold(first, |s, n| s.join(n.span));
        Some(entry(
            cfn,
            first,
            Node {
                value: Value::Seq(items),
                span,
                tag: None,
            },
        ))
    }

    /// The instances of a resource block: (address, bindings of `count` or `each`).
    fn instances(&self, block: &Block, address: &str) -> Vec<(String, At)> {
        let with = |name: &str, key: Node, value: Node| {
            let mut at = At::default();
            at.bindings.push((name.to_string(), key, value));
            at
        };
        if let Some(count) = block.body.get_attribute("count") {
            let n = self.expr(&count.value, &At::default());
            if let Some(n) = n
                .as_str()
                .and_then(|t| t.trim().parse::<usize>().ok())
                .filter(|n| *n <= MAX_COUNT)
            {
                // `count = 0` declares none
                return (0..n)
                    .map(|i| {
                        let index = scalar(i.to_string(), Style::Plain, n_span(&count.value));
                        (format!("{address}[{i}]"), with("count", index.clone(), index))
                    })
                    .collect();
            }
        }
        if let Some(each) = block.body.get_attribute("for_each") {
            let collection = self.expr(&each.value, &At::default());
            if evaluated(&collection) {
                let pairs: Vec<(Node, Node)> = match &collection.value {
                    Value::Map(entries) => entries
                        .iter()
                        .map(|e| (scalar(e.key.as_str(), Style::Quoted, e.key_span), e.value.clone()))
                        .collect(),
                    // a set of strings: each key is its value
                    Value::Seq(items) if items.iter().all(|i| i.as_str().is_some()) => {
                        items.iter().map(|i| (i.clone(), i.clone())).collect()
                    }
                    _ => Vec::new(),
                };
                // only an empty map or list declares none; a scalar is no collection
                let empty = matches!(&collection.value, Value::Seq(i) if i.is_empty())
                    || matches!(&collection.value, Value::Map(e) if e.is_empty());
                if !pairs.is_empty() || empty {
                    return pairs
                        .into_iter()
                        .map(|(k, v)| {
                            let key = k.as_str().unwrap_or_default().to_string();
                            (format!("{address}[\"{key}\"]"), with("each", k, v))
                        })
                        .collect();
                }
            }
        }
        vec![(address.to_string(), At::default())]
    }

    /// The `content` of a dynamic block once per element of its known `for_each`, each with
    /// the iterator bound; `None` when the collection is not known.
    fn expand<'b>(&self, d: &'b Block, tf: &str, at: &At) -> Option<Vec<(&'b Body, At)>> {
        let content = d.body.get_blocks("content").next()?;
        let collection = self.expr(&d.body.get_attribute("for_each")?.value, at);
        if unevaluated_inside(&collection) || !evaluated(&collection) {
            return None;
        }
        let iterator = match d.body.get_attribute("iterator").map(|a| &a.value) {
            Some(Expression::Variable(v)) => v.to_string(),
            Some(_) => return None,
            None => tf.to_string(),
        };
        let span = collection.span;
        let pairs: Vec<(Node, Node)> = match &collection.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (scalar(i.to_string(), Style::Plain, span), v.clone()))
                .collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| (scalar(e.key.as_str(), Style::Quoted, e.key_span), e.value.clone()))
                .collect(),
            Value::Scalar(..) => return None,
        };
        Some(
            pairs
                .into_iter()
                .map(|(k, v)| {
                    let mut inner = at.clone();
                    inner.bindings.push((iterator.trim().to_string(), k, v));
                    (&content.body, inner)
                })
                .collect(),
        )
    }

    fn pipeline(&self, body: &Body, span: Span, at: &At) -> Node {
        let mut props = self.attrs(
            body,
            names::PIPELINE,
            at,
        );
        props.extend(self.blocks(body, "stage", "Stages", at, |stage, span, at| {
            let mut s = self.attrs(stage, names::NAME, at);
            s.extend(self.blocks(stage, "action", "Actions", at, |action, span, at| {
                self.action(action, span, at)
            }));
            // V2 stage conditions: a `SKIP` result lets a gate's stage be skipped
            for (tf, cfn) in names::STAGE_CONDITIONS {
                s.extend(self.single(stage, tf, cfn, at, |b, span, at| {
                    self.conditions(b, span, at)
                }));
            }
            map(s, span)
        }));
        props.extend(self.blocks(body, "variable", "Variables", at, |v, span, at| {
            map(
                self.attrs(
                    v,
                    names::VARIABLE,
                    at,
                ),
                span,
            )
        }));
        map(props, span)
    }

    /// The one block `tf` of `body` under its CloudFormation name (a `dynamic` one is
    /// unevaluated).
    fn single(
        &self,
        body: &Body,
        tf: &str,
        cfn: &str,
        at: &At,
        item: impl Fn(&Body, Span, &At) -> Node,
    ) -> Option<Entry> {
        let mut e = self.blocks(body, tf, cfn, at, item)?;
        if let Value::Seq(items) = &mut e.value.value {
            let first = items.drain(..).next()?;
            e.value = first;
        }
        Some(e)
    }

    /// A stage condition block: `result` (of `on_failure`), and `condition { result,
    /// rule { name, rule_type_id { ... }, configuration, input_artifacts, commands } }`.
    fn conditions(&self, body: &Body, span: Span, at: &At) -> Node {
        let mut out = self.attrs(body, names::RESULT, at);
        out.extend(self.blocks(body, "condition", "Conditions", at, |c, span, at| {
            let mut cond = self.attrs(c, names::RESULT, at);
            cond.extend(self.blocks(c, "rule", "Rules", at, |r, span, at| {
                let mut rule = self.attrs(
                    r,
                    &[
                        ("name", "Name"),
                        ("configuration", "Configuration"),
                        ("commands", "Commands"),
                        ("region", "Region"),
                        ("role_arn", "RoleArn"),
                    ],
                    at,
                );
                rule.extend(self.single(r, "rule_type_id", "RuleTypeId", at, |t, span, at| {
                                        map(self.attrs(t, names::TYPE_ID, at), span)
                }));
                if let Some(mut e) = self.attr(r, "input_artifacts", "InputArtifacts", at) {
                    if let Value::Seq(items) = &mut e.value.value {
                        for item in items.iter_mut() {
                            let s = item.span;
                            *item = map(vec![entry("Name", s, item.clone())], s);
                        }
                    }
                    rule.push(e);
                }
                map(rule, span)
            }));
            map(cond, span)
        }));
        map(out, span)
    }

    fn action(&self, body: &Body, span: Span, at: &At) -> Node {
        let mut a = self.attrs(
            body,
            names::ACTION,
            at,
        );
        let type_entries = self.attrs(
            body,
            names::TYPE_ID,
            at,
        );
        if let Some(first) = type_entries.first() {
            let key_span = first.key_span;
            a.push(entry("ActionTypeId", key_span, map(type_entries, span)));
        }
        if let Some(c) = self.attr(body, "configuration", "Configuration", at) {
            a.push(c);
        }
        for (tf, cfn) in names::ARTIFACTS {
            // a list of names in Terraform, of `{Name: ...}` in CloudFormation
            if let Some(mut e) = self.attr(body, tf, cfn, at) {
                if let Value::Seq(items) = &mut e.value.value {
                    for item in items.iter_mut() {
                        let s = item.span;
                        *item = map(vec![entry("Name", s, item.clone())], s);
                    }
                }
                a.push(e);
            }
        }
        map(a, span)
    }

    fn project(&self, body: &Body, span: Span, at: &At) -> Node {
        let mut p = self.attrs(
            body,
            names::PROJECT,
            at,
        );
        let source = |b: &Body, span: Span, at: &At| {
            map(
                self.attrs(
                    b,
                    names::SOURCE,
                    at,
                ),
                span,
            )
        };
        p.extend(self.single(body, "source", "Source", at, source));
        p.extend(self.blocks(body, "secondary_sources", "SecondarySources", at, source));
        p.extend(self.single(body, "environment", "Environment", at, |env, span, at| {
            let mut e = self.attrs(
                env,
                names::ENVIRONMENT,
                at,
            );
            e.extend(self.blocks(
                env,
                "environment_variable",
                "EnvironmentVariables",
                at,
                |v, span, at| {
                    map(
                        self.attrs(v, names::ENV_VAR, at),
                        span,
                    )
                },
            ));
            map(e, span)
        }));
        map(p, span)
    }

    /// A path as `file()` reads it, as a display path: relative to the folder Terraform
    /// runs in, which is a root module's own; `None` for a relative path in a module that
    /// is called (its root is not known) unless it is built on `path.module`.
    fn relative(&self, path: &str) -> Option<String> {
        let dir = self.dir.trim_start_matches("./");
        let here = dir == "." || dir.is_empty();
        let written_from_root = path.starts_with('/') || (!here && path.starts_with(&format!("{dir}/")));
        let from_module = !here && path.starts_with(&format!("{dir}/"));
        if self.called && !from_module && !path.starts_with('/') {
            return None;
        }
        let joined = if written_from_root || here {
            path.to_string()
        } else {
            format!("{dir}/{path}")
        };
        Some(
            joined
                .split('/')
                .filter(|part| *part != ".")
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// The span a node of `e` takes.
    fn span(&self, e: &impl hcl_edit::Span, at: &At) -> Span {
        at.here.or_else(|| span_of(e)).unwrap_or_default()
    }

    fn expr(&self, e: &Expression, at: &At) -> Node {
        let span = self.span(e, at);
        self.work.set(self.work.get() + 1);
        if self.work.get() > WORK_LIMIT || at.following.len() > MAX_REFERENCE_DEPTH {
            return unevaluated(&e.to_string(), "too large or too deep to evaluate", span);
        }
        match e {
            Expression::Null(_) => scalar("", Style::Plain, span),
            Expression::Bool(b) => scalar(b.value().to_string(), Style::Plain, span),
            Expression::Number(n) => scalar(n.value().to_string(), Style::Plain, span),
            Expression::String(s) => scalar(s.value().as_str(), Style::Quoted, span),
            Expression::Array(items) => Node {
                value: Value::Seq(items.iter().map(|i| self.expr(i, at)).collect()),
                span,
                tag: None,
            },
            Expression::Object(object) => {
                let mut entries = Vec::new();
                for (k, v) in object.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => Some(i.to_string()),
                        ObjectKey::Expression(Expression::String(s)) => Some(s.value().to_string()),
                        ObjectKey::Expression(_) => None,
                    };
                    let Some(key) = key else {
                        return unevaluated(&e.to_string(), NOT_EVALUATED, span);
                    };
                    let key_span = match k {
                        ObjectKey::Ident(i) => self.span(i, at),
                        ObjectKey::Expression(x) => self.span(x, at),
                    };
                    entries.push(entry(key.trim(), key_span, self.expr(v.expr(), at)));
                }
                map(entries, span)
            }
            Expression::StringTemplate(t) => self.template_expr(t, span, at, e),
            Expression::HeredocTemplate(h) => {
                // the content, without the `<<EOT` line: embedded buildspecs align to it
                let span = at
                    .here
                    .or_else(|| span_of(&h.template))
                    .unwrap_or(span);
                self.template_expr(&h.template, span, at, e)
            }
            Expression::Parenthesis(p) => self.expr(p.inner(), at),
            Expression::Traversal(t) => self.traversal(t, span, at, e),
            Expression::Conditional(c) => {
                let cond = self.expr(&c.cond_expr, at);
                match cond.as_str().map(str::trim) {
                    Some("true") => self.expr(&c.true_expr, at),
                    Some("false") => self.expr(&c.false_expr, at),
                    // both alternatives, as CloudFormation's `Fn::If` gives them
                    _ => {
                        let condition = scalar(c.cond_expr.to_string().trim(), Style::Quoted, span);
                        let items = vec![condition, self.expr(&c.true_expr, at), self.expr(&c.false_expr, at)];
                        map(
                            vec![entry(
                                "Fn::If",
                                span,
                                Node {
                                    value: Value::Seq(items),
                                    span,
                                    tag: None,
                                },
                            )],
                            span,
                        )
                    }
                }
            }
            Expression::FuncCall(f) => self.call(f, span, at, e),
            _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
        }
    }

    /// A string template: one scalar when it is all literal, else `Fn::Join` of its parts.
    fn template_expr(&self, t: &Template, span: Span, at: &At, e: &Expression) -> Node {
        let mut parts = Vec::new();
        for el in t.iter() {
            match el {
                Element::Literal(l) => {
                    let s = self.span(l, at);
                    parts.push(scalar(l.value().as_str(), Style::Quoted, s));
                }
                Element::Interpolation(i) => parts.push(self.expr(&i.expr, at)),
                Element::Directive(_) => return unevaluated(&e.to_string(), NOT_EVALUATED, span),
            }
        }
        if parts.iter().all(|p| p.as_str().is_some()) {
            let text: String = parts.iter().filter_map(Node::as_str).collect();
            return scalar(text, Style::Quoted, span);
        }
        // `"${x}"` is `x` itself, as HCL reads it (a `file()` stays a file)
        let elements: Vec<&Element> = t.iter().collect();
        if let ([only], [Element::Interpolation(_)]) = (parts.as_slice(), elements.as_slice()) {
            return only.clone();
        }
        let list = Node {
            value: Value::Seq(parts),
            span,
            tag: None,
        };
        let args = Node {
            value: Value::Seq(vec![scalar("", Style::Quoted, span), list]),
            span,
            tag: None,
        };
        map(vec![entry("Fn::Join", span, args)], span)
    }

    fn traversal(
        &self,
        t: &hcl_edit::expr::Traversal,
        span: Span,
        at: &At,
        e: &Expression,
    ) -> Node {
        let Expression::Variable(root) = &t.expr else {
            return unevaluated(&e.to_string(), NOT_EVALUATED, span);
        };
        let names: Vec<&str> = t
            .operators
            .iter()
            .map(|op| match op.value() {
                TraversalOperator::GetAttr(i) => Some(i.as_str()),
                _ => None,
            })
            .take_while(Option::is_some)
            .flatten()
            .collect();
        let all_attrs = names.len() == t.operators.len();
        // `local.m.key`, `local.list[0]`, `local.m["key"]`: the local, then each step into it
        if let (Some(TraversalOperator::GetAttr(name)), true) = (
            t.operators.first().map(|op| op.value()),
            root.as_str() == "local" && t.operators.len() > 1,
        ) {
            let key = format!("local.{}", name.as_str());
            let Some((_, expr)) = self.locals.get(name.as_str()) else {
                return unevaluated(&key, "a local the module does not declare", span);
            };
            if at.following.contains(&key) {
                return unevaluated(&key, "a local that refers to itself (a cycle)", span);
            }
            let inner = at.through(span, key);
            let node = self.expr(expr, &inner);
            return self.step(node, t.operators.get(1..).unwrap_or_default(), &inner, e, span);
        }
        // the iterator of a dynamic block being expanded: `stage.value.name`, `stage.key`
        if let Some((_, key, value)) = at.bindings.iter().rev().find(|(n, _, _)| n == root.as_str()) {
            let node = match t.operators.first().map(|op| op.value()) {
                Some(TraversalOperator::GetAttr(a)) if a.as_str() == "value" => value.clone(),
                Some(TraversalOperator::GetAttr(a)) if matches!(a.as_str(), "key" | "index") => {
                    key.clone()
                }
                _ => return unevaluated(&e.to_string(), NOT_EVALUATED, span),
            };
            let mut node = self.step(node, t.operators.get(1..).unwrap_or_default(), at, e, span);
            // located where the iterator is read
            node.remap(&|_| span);
            return node;
        }
        // one instance of a resource with `count` or `for_each`: `aws_x.y["key"].name`
        if let (true, [TraversalOperator::GetAttr(name), TraversalOperator::Index(i), TraversalOperator::GetAttr(attribute)]) = (
            root.as_str().starts_with("aws_"),
            t.operators.iter().map(|op| op.value()).collect::<Vec<_>>().as_slice(),
        ) {
            let address = format!("{}.{}", root.as_str(), name.as_str());
            let key = self.expr(i, at);
            let instance = key.as_str().and_then(|k| {
                let (_, block) = self.resources.get(&address)?;
                let wanted = match key.value {
                    Value::Scalar(_, Style::Plain) => format!("{address}[{k}]"),
                    _ => format!("{address}[\"{k}\"]"),
                };
                let (_, inner) = self.instances(block, &address).into_iter().find(|(a, _)| *a == wanted)?;
                let a = block.body.get_attribute(attribute.as_str())?;
                Some((a, inner, wanted))
            });
            return match instance {
                Some((a, inner, wanted)) if !at.following.contains(&wanted) => {
                    let mut inner = inner.through(span, wanted);
                    inner.following.extend(at.following.iter().cloned());
                    self.expr(&a.value, &inner)
                }
                _ => unevaluated(&e.to_string(), "an instance or an argument stagegate does not know", span),
            };
        }
        match (root.as_str(), names.as_slice()) {
            ("var", [name]) if all_attrs => match self.variables.get(*name) {
                Some(VarValue::Given(v)) => scalar(v.as_str(), Style::Quoted, span),
                Some(VarValue::Unknown(why)) => unevaluated(&format!("var.{name}"), why, span),
                Some(_) => reference(&format!("var.{name}"), span),
                None => unevaluated(
                    &format!("var.{name}"),
                    "a variable the module does not declare",
                    span,
                ),
            },
            ("local", [name]) if all_attrs => {
                let key = format!("local.{name}");
                if at.following.contains(&key) {
                    return unevaluated(&key, "a local that refers to itself (a cycle)", span);
                }
                match self.locals.get(*name) {
                    Some((_, expr)) => self.expr(expr, &at.through(span, key)),
                    None => unevaluated(&key, "a local the module does not declare", span),
                }
            }
            ("module", [call, output]) if all_attrs => {
                match self.called_outputs.get(*call).and_then(|o| o.get(*output)) {
                    Some(v) => scalar(v.as_str(), Style::Quoted, span),
                    None if self.calls.iter().any(|(c, _, _)| c == call)
                        && !self.missing_calls.iter().any(|c| c == call) =>
                    {
                        unevaluated(
                        &format!("module.{call}.{output}"),
                        "an output of a local module that stagegate could not evaluate",
                        span,
                    )
                    }
                    None => unevaluated(
                        &format!("module.{call}.{output}"),
                        "an output of a module that is not among the checked folders",
                        span,
                    ),
                }
            }
            ("path", ["root"] | ["cwd"]) if all_attrs && self.called => unevaluated(
                &e.to_string(),
                "the root module's folder, which for a called module stagegate does not know",
                span,
            ),
            ("path", ["module"]) | ("path", ["root"]) if all_attrs => {
                scalar(self.dir.as_str(), Style::Quoted, span)
            }
            (kind, [name, attribute]) if all_attrs && kind.starts_with("aws_") => {
                let address = format!("{kind}.{name}");
                let argument = self
                    .resources
                    .get(&address)
                    .and_then(|(_, block)| block.body.get_attribute(attribute));
                match argument {
                    Some(a) if !at.following.contains(&address) => {
                        self.expr(&a.value, &at.through(span, address))
                    }
                    Some(_) => unevaluated(
                        &format!("{address}.{attribute}"),
                        "an argument that refers to itself (a cycle)",
                        span,
                    ),
                    None if self.resources.contains_key(&address) => unevaluated(
                        &format!("{address}.{attribute}"),
                        "an attribute known only once applied",
                        span,
                    ),
                    None => unevaluated(
                        &format!("{address}.{attribute}"),
                        "a resource of another module or none declared in this one",
                        span,
                    ),
                }
            }
            _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
        }
    }

    /// Steps into a value: `.key`, `["key"]`, `[0]`; unknown when a step finds nothing.
    fn step(
        &self,
        mut node: Node,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        at: &At,
        e: &Expression,
        span: Span,
    ) -> Node {
        for op in ops {
            let next = match op.value() {
                TraversalOperator::GetAttr(k) => node.get(k.as_str()).cloned(),
                TraversalOperator::Index(i) => {
                    let index = self.expr(i, at);
                    match index.as_str() {
                        Some(k) => node.get(k).cloned().or_else(|| {
                            k.parse::<usize>().ok().and_then(|n| node.items().get(n).cloned())
                        }),
                        None => None,
                    }
                }
                TraversalOperator::LegacyIndex(n) => usize::try_from(*n.value())
                    .ok()
                    .and_then(|n| node.items().get(n).cloned()),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return unevaluated(&e.to_string(), NOT_EVALUATED, span),
            }
        }
        node
    }

    fn call(&self, f: &hcl_edit::expr::FuncCall, span: Span, at: &At, e: &Expression) -> Node {
        let name = f.name.name.as_str();
        let args: Vec<Node> = f.args.iter().map(|a| self.expr(a, at)).collect();
        let texts: Option<Vec<&str>> = args.iter().map(Node::as_str).collect();
        let text = |s: String| scalar(s, Style::Quoted, span);
        match (name, texts.as_deref()) {
            ("lower", Some([s])) => text(s.to_lowercase()),
            ("upper", Some([s])) => text(s.to_uppercase()),
            ("tostring", Some([s])) => text((*s).to_string()),
            ("trimspace", Some([s])) => text(s.trim().to_string()),
            ("format", Some([template, rest @ ..])) => match format(template, rest) {
                Some(s) => text(s),
                None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("coalesce", Some(values)) => match values.iter().find(|v| !v.is_empty()) {
                Some(v) => text((*v).to_string()),
                None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("join", _) => match (args.first().and_then(Node::as_str), args.get(1)) {
                (Some(sep), Some(list)) => {
                    let items: Option<Vec<&str>> = list.items().iter().map(Node::as_str).collect();
                    match items {
                        Some(items) if matches!(list.value, Value::Seq(_)) => text(items.join(sep)),
                        _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
                    }
                }
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("jsonencode", _) => match args.first() {
                Some(value) if args.len() == 1 && evaluated(value) => {
                    text(value.to_json().to_string())
                }
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            // the file is read when applied: its content is what the project holds
            // templatefile() renders the file with its values first: what runs is not the
            // file as written, unless it is given none
            ("templatefile", _)
                if !args.get(1).is_some_and(|v| v.is_map() && v.entries().is_empty()) =>
            {
                unevaluated(
                    &e.to_string(),
                    "a file rendered with values (templatefile), which stagegate does not render",
                    span,
                )
            }
            ("file" | "templatefile", _) => match args.first().and_then(Node::as_str) {
                Some(path) => match self.relative(path) {
                    Some(path) => map(
                        vec![entry(FILE, span, scalar(path, Style::Quoted, span))],
                        span,
                    ),
                    None => unevaluated(
                        &e.to_string(),
                        "a path relative to the folder Terraform runs in, which for a called module stagegate does not know (write it with path.module)",
                        span,
                    ),
                },
                None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("tonumber" | "tobool", Some([v])) => scalar(v.trim(), Style::Plain, span),
            ("tolist" | "toset" | "tomap", _) if args.len() == 1 => match args.into_iter().next() {
                Some(v) if name == "toset" => dedup(v),
                Some(v) => v,
                None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("length", _) => match args.first() {
                Some(v) if args.len() == 1 && evaluated(v) => {
                    let n = match &v.value {
                        Value::Seq(items) => items.len(),
                        Value::Map(entries) => entries.len(),
                        Value::Scalar(s, _) => s.chars().count(),
                    };
                    scalar(n.to_string(), Style::Plain, span)
                }
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("concat", _) if args.iter().all(|a| matches!(a.value, Value::Seq(_))) => Node {
                value: Value::Seq(args.into_iter().flat_map(|a| a.items().to_vec()).collect()),
                span,
                tag: None,
            },
            // an argument that is a reference or unevaluated could hold any key: not merged
            ("merge", _) if args.iter().all(|a| a.is_map() && evaluated(a)) => {
                let mut entries: Vec<Entry> = Vec::new();
                for a in &args {
                    for en in a.entries() {
                        entries.retain(|x| x.key != en.key);
                        entries.push(en.clone());
                    }
                }
                map(entries, span)
            }
            ("lookup", _) => match (args.first(), args.get(1).and_then(Node::as_str)) {
                (Some(m), Some(k)) if m.is_map() && evaluated(m) => match m.get(k) {
                    Some(v) => v.clone(),
                    None => args
                        .get(2)
                        .cloned()
                        .unwrap_or_else(|| unevaluated(&e.to_string(), NOT_EVALUATED, span)),
                },
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("element", _) => match (args.first(), args.get(1).and_then(Node::as_str)) {
                (Some(list), Some(i)) if !list.items().is_empty() && evaluated(list) => {
                    let items = list.items();
                    match i.trim().parse::<usize>().ok().and_then(|i| items.get(i % items.len())) {
                        Some(item) => item.clone(),
                        None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
                    }
                }
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("index", _) => match (args.first(), args.get(1).and_then(Node::as_str)) {
                (Some(list), Some(v)) if evaluated(list) => {
                    match list.items().iter().position(|n| n.as_str() == Some(v)) {
                        Some(i) => scalar(i.to_string(), Style::Plain, span),
                        None => unevaluated(&e.to_string(), NOT_EVALUATED, span),
                    }
                }
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            ("jsondecode", Some([text])) => match super::json::parse(text, &super::Limits::default()) {
                Ok(mut node) => {
                    node.remap(&|_| span);
                    node
                }
                Err(_) => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            // the first argument is the value unless it fails; one stagegate cannot evaluate
            // may well succeed when applied, so it leaves the result unknown
            ("try", _) => match args.into_iter().next() {
                Some(first) if !unevaluated_inside(&first) => first,
                _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
            },
            _ => unevaluated(&e.to_string(), NOT_EVALUATED, span),
        }
    }
}

fn n_span(e: &Expression) -> Span {
    span_of(e).unwrap_or_default()
}

/// A set of strings: Terraform orders one lexically, without repeats.
fn dedup(list: Node) -> Node {
    let Value::Seq(items) = &list.value else {
        return list;
    };
    if !items.iter().all(|i| i.as_str().is_some()) {
        return list;
    }
    let mut items = items.clone();
    items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    items.dedup_by(|a, b| a.as_str() == b.as_str());
    Node {
        value: Value::Seq(items),
        ..list
    }
}

/// Whether a node holds something stagegate does not evaluate.
fn unevaluated_inside(node: &Node) -> bool {
    match &node.value {
        Value::Scalar(..) => false,
        Value::Seq(items) => items.iter().any(unevaluated_inside),
        Value::Map(entries) => entries
            .iter()
            .any(|e| e.key == UNEVALUATED || unevaluated_inside(&e.value)),
    }
}

/// Whether a node holds no reference and nothing unevaluated.
fn evaluated(node: &Node) -> bool {
    match &node.value {
        Value::Scalar(..) => true,
        Value::Seq(items) => items.iter().all(evaluated),
        Value::Map(entries) => entries
            .iter()
            .all(|e| !(e.key == UNEVALUATED || e.key == FILE || e.key == "Ref" || e.key.starts_with("Fn::")) && evaluated(&e.value)),
    }
}

/// Terraform's `format` for the verbs `%s`, `%d`, `%v` and `%%`.
fn format(template: &str, args: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'v' => out.push_str(args.next()?),
            _ => return None,
        }
    }
    Some(out)
}

/// The structures of a body, for tests.
#[cfg(test)]
fn count(body: &Body) -> usize {
    use hcl_edit::structure::Structure;
    body.iter()
        .filter(|s| matches!(s, Structure::Block(_) | Structure::Attribute(_)))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module(files: &[(&str, &str)]) -> Vec<(Arc<SourceFile>, Node)> {
        let parsed: Vec<ModuleFile> = files
            .iter()
            .map(|(p, t)| {
                let file = Arc::new(SourceFile::new(*p, *t));
                let body = parse_hcl(&file).unwrap();
                ModuleFile { file, body }
            })
            .collect();
        let dir = parsed[0].file.path.rsplit_once('/').map_or(".", |(d, _)| d).to_string();
        let input = ModuleInput {
            dir,
            files: parsed,
            tfvars: BTreeMap::new(),
        };
        let mut trees = translate_modules(std::slice::from_ref(&input), &BTreeMap::new());
        input.files.into_iter().map(|m| m.file).zip(trees.remove(0)).collect()
    }

    fn at<'a>(root: &'a Node, path: &[&str]) -> &'a Node {
        let mut n = root;
        for p in path {
            n = n
                .get(p)
                .or_else(|| p.parse::<usize>().ok().and_then(|i| n.items().get(i)))
                .unwrap_or_else(|| panic!("{p} missing in {n:?}"));
        }
        n
    }

    #[test]
    fn a_pipeline_reads_as_its_cloudformation_twin_with_tf_spans() {
        let text = r#"
locals {
  sca = aws_codebuild_project.sca.name
}
resource "aws_codepipeline" "app" {
  name     = "app-${var.env}"
  role_arn = "arn:aws:iam::1:role/p"
  stage {
    name = "Build"
    action {
      name            = "SCA"
      category        = "Build"
      owner           = "AWS"
      provider        = "CodeBuild"
      version         = "1"
      run_order       = 1
      input_artifacts = ["src"]
      configuration = {
        ProjectName = local.sca
      }
    }
  }
}
"#;
        let other = "resource \"aws_codebuild_project\" \"sca\" {\n  name = \"platform-sca\"\n  source {\n    type = \"CODEPIPELINE\"\n    buildspec = <<-EOT\n      version: 0.2\n    EOT\n  }\n}\nvariable \"env\" {\n  default = \"prod\"\n}\n";
        let out = module(&[("m/pipeline.tf", text), ("m/build.tf", other)]);
        let (file, root) = &out[0];
        let action = at(
            root,
            &["Resources", "aws_codepipeline.app", "Properties", "Stages", "0", "Actions", "0"],
        );
        let project = at(action, &["Configuration", "ProjectName"]);
        assert_eq!(project.as_str(), Some("platform-sca"));
        // located at the reference, in this file
        assert_eq!(&file.text[project.span.start..project.span.end], "local.sca");
        assert_eq!(at(action, &["ActionTypeId", "Provider"]).as_str(), Some("CodeBuild"));
        assert_eq!(at(action, &["InputArtifacts", "0", "Name"]).as_str(), Some("src"));
        let name = at(root, &["Resources", "aws_codepipeline.app", "Properties", "Name"]);
        assert!(name.get("Fn::Join").is_some(), "{name:?}");
        let (file2, root2) = &out[1];
        let spec = at(
            root2,
            &["Resources", "aws_codebuild_project.sca", "Properties", "Source", "BuildSpec"],
        );
        assert_eq!(spec.as_str(), Some("version: 0.2\n"));
        assert!(file2.text[spec.span.start..spec.span.end].contains("version: 0.2"));
        assert_eq!(
            at(root2, &["Parameters", "var.env", "Default"]).as_str(),
            Some("prod")
        );
    }

    #[test]
    fn the_functions_real_modules_use_are_evaluated() {
        let text = r#"
locals {
  names    = { sca = "platform-sca", build = "app-build" }
  settings = merge({ order = 1 }, { order = 2, mode = "fast" })
  stages   = concat(["Source"], ["Build", "Deploy"])
  decoded  = jsondecode("{\"a\": [\"x\", \"y\"]}")
}
resource "aws_codepipeline" "p" {
  name = format("%s-%d", lookup(local.names, "sca"), length(local.stages))
  stage {
    name = element(local.stages, 4)
    action {
      name      = upper(local.decoded.a[1])
      run_order = local.settings.order
      version   = index(toset(["b", "a", "a"]), "b")
      region    = lookup(local.names, "none", "eu-west-1")
      owner     = tonumber("3")
      category  = local.names["build"]
      provider  = try(local.names.provider, "CodeBuild")
      namespace = try(local.names.build, "x")
    }
  }
}
"#;
        let out = module(&[("p.tf", text)]);
        let props = at(&out[0].1, &["Resources", "aws_codepipeline.p", "Properties"]);
        assert_eq!(at(props, &["Name"]).as_str(), Some("platform-sca-3"));
        let stage = at(props, &["Stages", "0"]);
        assert_eq!(at(stage, &["Name"]).as_str(), Some("Build"));
        let action = at(stage, &["Actions", "0"]);
        assert_eq!(at(action, &["Name"]).as_str(), Some("Y"));
        assert_eq!(at(action, &["RunOrder"]).as_str(), Some("2"));
        assert_eq!(at(action, &["ActionTypeId", "Version"]).as_str(), Some("1"));
        assert_eq!(at(action, &["Region"]).as_str(), Some("eu-west-1"));
        assert_eq!(at(action, &["ActionTypeId", "Owner"]).as_str(), Some("3"));
        assert_eq!(at(action, &["ActionTypeId", "Category"]).as_str(), Some("app-build"));
        // try(): the first argument, when it evaluates; else unknown, since it may succeed
        // when applied
        assert!(at(action, &["ActionTypeId", "Provider"]).get(UNEVALUATED).is_some());
        assert_eq!(at(action, &["Namespace"]).as_str(), Some("app-build"));
    }

    #[test]
    fn dynamic_blocks_over_known_collections_are_expanded() {
        let text = r#"
locals {
  builds = [
    { name = "SCA", category = "Test", order = 1 },
    { name = "Build", category = "Build", order = 2 },
  ]
}
resource "aws_codepipeline" "p" {
  name = "p"
  stage {
    name = "Build"
    dynamic "action" {
      for_each = local.builds
      iterator = b
      content {
        name      = b.value.name
        category  = b.value["category"]
        run_order = b.value.order
        owner     = "AWS#${b.key}"
      }
    }
    action {
      name = "Last"
    }
  }
}
"#;
        let out = module(&[("p.tf", text)]);
        let (file, root) = &out[0];
        let actions = at(
            root,
            &["Resources", "aws_codepipeline.p", "Properties", "Stages", "0", "Actions"],
        );
        let names: Vec<_> = actions.items().iter().map(|a| at(a, &["Name"]).as_str()).collect();
        assert_eq!(names, [Some("SCA"), Some("Build"), Some("Last")]);
        let second = &actions.items()[1];
        assert_eq!(at(second, &["RunOrder"]).as_str(), Some("2"));
        assert_eq!(at(second, &["ActionTypeId", "Category"]).as_str(), Some("Build"));
        assert_eq!(at(second, &["ActionTypeId", "Owner"]).as_str(), Some("AWS#1"));
        // located at the content that makes it
        let name = at(second, &["Name"]);
        assert_eq!(&file.text[name.span.start..name.span.end], "b.value.name");
    }

    #[test]
    fn count_and_for_each_over_known_values_make_instances() {
        let text = r#"
resource "aws_codebuild_project" "scan" {
  for_each = { sca = "dependency-check", sast = "semgrep" }
  name     = "platform-${each.key}"
  source {
    type      = "CODEPIPELINE"
    buildspec = "${each.value}.yml"
  }
}
resource "aws_codebuild_project" "copies" {
  count = 2
  name  = "copy-${count.index}"
}
resource "aws_codebuild_project" "unknown" {
  count = var.n
  name  = "u-${count.index}"
}
"#;
        let out = module(&[("p.tf", text)]);
        let resources = at(&out[0].1, &["Resources"]);
        let keys: Vec<&str> = resources.entries().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "aws_codebuild_project.scan[\"sca\"]",
                "aws_codebuild_project.scan[\"sast\"]",
                "aws_codebuild_project.copies[0]",
                "aws_codebuild_project.copies[1]",
                "aws_codebuild_project.unknown",
            ]
        );
        let name = |k: &str| at(resources, &[k, "Properties", "Name"]).clone();
        assert_eq!(name("aws_codebuild_project.scan[\"sast\"]").as_str(), Some("platform-sast"));
        assert_eq!(
            at(resources, &["aws_codebuild_project.scan[\"sca\"]", "Properties", "Source", "BuildSpec"]).as_str(),
            Some("dependency-check.yml")
        );
        assert_eq!(name("aws_codebuild_project.copies[1]").as_str(), Some("copy-1"));
        // an unknown count: the block once, its index unknown
        assert!(name("aws_codebuild_project.unknown").get("Fn::Join").is_some());
        // a reference to one instance reads that instance's argument
        let refs = format!(
            "{text}\nresource \"aws_codepipeline\" \"p\" {{\n  name = aws_codebuild_project.scan[\"sast\"].name\n  pipeline_type = aws_codebuild_project.copies[1].name\n  role_arn = aws_codebuild_project.scan[\"nope\"].name\n}}\n"
        );
        let out = module(&[("p.tf", &refs)]);
        let props = at(&out[0].1, &["Resources", "aws_codepipeline.p", "Properties"]);
        assert_eq!(at(props, &["Name"]).as_str(), Some("platform-sast"));
        assert_eq!(at(props, &["PipelineType"]).as_str(), Some("copy-1"));
        assert!(at(props, &["RoleArn"]).get(UNEVALUATED).is_some());
    }

    #[test]
    fn what_is_not_evaluated_is_marked_and_cycles_end() {
        let text = r#"
locals {
  a = local.b
  b = local.a
}
resource "aws_codepipeline" "p" {
  name = local.a
  stage {
    name = "S"
    dynamic "action" {
      for_each = var.actions
      content {}
    }
  }
  pipeline_type = data.x.y.type
}
"#;
        let out = module(&[("p.tf", text)]);
        let props = at(&out[0].1, &["Resources", "aws_codepipeline.p", "Properties"]);
        assert!(at(props, &["Name"]).get(UNEVALUATED).is_some());
        assert!(at(props, &["PipelineType"]).get(UNEVALUATED).is_some());
        assert!(at(props, &["Stages", "0", "Actions"]).get(UNEVALUATED).is_some());
    }

    #[test]
    fn syntax_errors_are_located() {
        let file = SourceFile::new("x.tf", "resource \"a\" \"b\" {\n  name = \n}\n");
        let err = parse_hcl(&file).err().unwrap();
        assert!(err.message.starts_with("invalid HCL"), "{}", err.message);
        assert!(err.span.start > 0);
        let ok = SourceFile::new("y.tf", "a = 1\nb {}\n");
        assert_eq!(count(&parse_hcl(&ok).unwrap()), 2);
    }
}
