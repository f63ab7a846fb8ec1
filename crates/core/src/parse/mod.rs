//! parse: source text -> [`Document`], a span tree for YAML and JSON alike.

mod block;
mod embed;
mod json;
mod terraform;
mod terraform_plan;
mod tree;
mod yaml;

pub use embed::MappedText;
pub use terraform::{FILE as TERRAFORM_FILE, UNEVALUATED};
pub use tree::{Node, PathBuf, Style, Value};

use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// Bounds that keep hostile input from exhausting memory or stack.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Most nodes that alias expansion (`*a`, `<<: *a`) may add to one file.
    pub max_alias_nodes: usize,
    /// Most bytes that alias expansion may add to one file: this, or 8 times the file's
    /// size when that is more (an alias to a long string copies the string).
    pub max_alias_bytes: usize,
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 200,
            max_alias_nodes: 1_000_000,
            max_alias_bytes: 16 * 1024 * 1024,
            max_file_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A syntax error with its location and, for duplicate keys, the other location.
#[derive(Debug, Clone)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Other places that explain it, each with a label.
    pub related: Vec<(String, Span)>,
}

impl ParseError {
    /// An error at a span.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError {
            message: message.into(),
            span,
            related: Vec::new(),
        }
    }

    pub(crate) fn with_related(mut self, label: impl Into<String>, span: Span) -> Self {
        self.related.push((label.into(), span));
        self
    }
}

/// The syntax a file is parsed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML 1.2 (multi-document streams, CloudFormation tags).
    Yaml,
    /// Strict JSON.
    Json,
    /// Terraform's HCL (`*.tf`, `*.tfvars`), read as the CloudFormation template it
    /// declares (see [`parse_terraform`]).
    Hcl,
    /// A Terraform plan (`terraform show -json`), read as the template its planned values
    /// declare; spans point into the plan.
    TerraformPlan,
}

impl Format {
    /// By extension, else by the first non-blank character.
    pub fn detect(path: &str, text: &str) -> Format {
        let lower = path.to_ascii_lowercase();
        // Terraform reads `.tf` alone, in this case: `main.TF` is not its
        if path.ends_with(".tf") || path.ends_with(".tfvars") {
            Format::Hcl
        } else if lower.ends_with(".json") {
            Format::Json
        } else if lower.ends_with(".yml") || lower.ends_with(".yaml") {
            Format::Yaml
        } else if text.trim_start().starts_with(['{', '[']) {
            Format::Json
        } else {
            Format::Yaml
        }
    }
}

/// A parsed file: one root per YAML document (JSON has one).
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it was read from.
    pub file: Arc<SourceFile>,
    /// The syntax it was parsed with.
    pub format: Format,
    /// Document roots in stream order.
    pub roots: Vec<Node>,
}

impl Document {
    /// The first document with content (a stream may open with an empty document).
    pub fn root(&self) -> Option<&Node> {
        self.roots
            .iter()
            .find(|r| !r.is_null())
            .or(self.roots.first())
    }
}

/// Both YAML readers on one text, for tests that hold them equal: the block-subset reader
/// (`None` where it gives way) and saphyr-parser.
#[cfg(feature = "internals")]
pub fn yaml_readers(text: &str) -> (Option<Vec<Node>>, Result<Vec<Node>, ParseError>) {
    let limits = Limits::default();
    (block::parse(text, &limits), yaml::full(text, &limits))
}

/// Parses a file with the syntax its name or content says; a Terraform file alone, as a
/// module of one file.
pub fn parse(file: Arc<SourceFile>, limits: &Limits) -> Result<Document, ParseError> {
    let format = Format::detect(&file.path, &file.text);
    let roots = match format {
        Format::Hcl => {
            return parse_terraform(vec![file])
                .pop()
                .map_or_else(|| Err(ParseError::new("nothing to read", Span::new(0, 0))), |(_, r)| r)
        }
        Format::Json | Format::TerraformPlan => {
            let root = json::parse(&file.text, limits)?;
            if terraform_plan::is_plan(&root) {
                return Ok(Document {
                    roots: vec![terraform_plan::translate(&root)],
                    file,
                    format: Format::TerraformPlan,
                });
            }
            vec![root]
        }
        Format::Yaml => {
            let roots = yaml::parse(&file.text, limits)?;
            if let Some(e) = yaml11_line_break(&file.text, &roots) {
                return Err(e);
            }
            roots
        }
    };
    Ok(Document {
        file,
        format,
        roots,
    })
}

/// Whether a file is Terraform's: configuration (`*.tf`, `*.tf.json`) or variables
/// (`*.tfvars`, `*.tfvars.json`).
pub fn is_terraform(path: &str) -> bool {
    [".tf", ".tf.json", ".tfvars", ".tfvars.json"]
        .iter()
        .any(|e| path.ends_with(e))
}

/// Whether Terraform loads a file of its folder: not one whose name starts with `.` or
/// `#`, or ends with `~` (editor files), as Terraform skips them. Such a file is no part
/// of the module, so a project in it is no candidate for a link.
fn terraform_loads(name: &str) -> bool {
    !(name.starts_with('.') || name.starts_with('#') || name.ends_with('~'))
}

/// Parses Terraform files, a module per folder: the `.tf` files of a folder are read
/// together (a reference in one to a `local`, variable or resource of another is followed),
/// with the values of its variables files. Each `.tf` file yields its template, or its
/// error; variables files yield nothing but their errors. What Terraform would apply but
/// stagegate does not read is an error, never a silent pass: JSON configuration
/// (`*.tf.json`) and override files (`override.tf`, `*_override.tf`), which change the
/// blocks of other files.
pub fn parse_terraform(files: Vec<Arc<SourceFile>>) -> Vec<(Arc<SourceFile>, Result<Document, ParseError>)> {
    parse_terraform_with(files, &Default::default())
}

/// The values a `-var-file` gives: an HCL `*.tfvars` or a JSON `*.tfvars.json` file of
/// literals.
pub fn terraform_var_file(file: &SourceFile) -> Result<Vec<(String, String)>, ParseError> {
    let values: Vec<(String, Option<String>, Span)> = if file.path.to_ascii_lowercase().ends_with(".json") {
        let root = json::parse(&file.text, &Limits::default())?;
        if !root.is_map() {
            return Err(ParseError::new("a variables file must be a JSON object", root.span));
        }
        root.entries()
            .iter()
            .map(|e| (e.key.clone(), e.value.as_str().map(str::to_string), e.span()))
            .collect()
    } else {
        terraform::tfvars_hcl_spanned(&terraform::parse_hcl(file)?)
    };
    values
        .into_iter()
        .map(|(k, v, span)| match v {
            Some(v) => Ok((k, v)),
            None => Err(ParseError::new(
                format!("`{k}` is not a literal: stagegate reads strings, numbers and booleans from variables files"),
                span,
            )),
        })
        .collect()
}

/// [`parse_terraform`], with variable values given as `terraform apply -var` gives them:
/// the root modules (those no checked module calls) that declare one get it.
pub fn parse_terraform_with(
    files: Vec<Arc<SourceFile>>,
    vars: &std::collections::BTreeMap<String, String>,
) -> Vec<(Arc<SourceFile>, Result<Document, ParseError>)> {
    let mut out = Vec::new();
    let mut modules: std::collections::BTreeMap<String, (Vec<terraform::ModuleFile>, Vec<terraform::VarFile>)> =
        Default::default();
    let whole = |file: &SourceFile| Span::new(0, file.text.len().min(1));
    for file in files {
        let (dir, name) = file.path.rsplit_once('/').unwrap_or((".", file.path.as_str()));
        // Terraform's names are case-sensitive: `main.TF` and `Override.tf` are not its
        if !terraform_loads(name) {
            continue;
        }
        let (dir, name) = (dir.to_string(), name.to_string());
        let module = modules.entry(dir).or_default();
        if name.ends_with(".tf.json") {
            let e = ParseError::new(
                "Terraform JSON configuration (`*.tf.json`) is not read: what it declares cannot be checked",
                whole(&file),
            );
            out.push((file, Err(e)));
        } else if name == "override.tf" || name.ends_with("_override.tf") {
            let e = ParseError::new(
                "a Terraform override file changes the blocks of other files when applied; stagegate does not merge overrides, so it cannot check what is applied",
                whole(&file),
            );
            out.push((file, Err(e)));
        } else if name.ends_with(".tfvars.json") {
            match json::parse(&file.text, &Limits::default()) {
                Ok(root) if root.is_map() => {
                    let values = root
                        .entries()
                        .iter()
                        .map(|e| (e.key.clone(), e.value.as_str().map(str::to_string)))
                        .collect();
                    module.1.push((name, values));
                }
                Ok(root) => out.push((
                    file,
                    Err(ParseError::new("a variables file must be a JSON object", root.span)),
                )),
                Err(e) => out.push((file, Err(e))),
            }
        } else {
            match terraform::parse_hcl(&file) {
                Ok(body) if name.ends_with(".tfvars") => {
                    module.1.push((name, terraform::tfvars_hcl(&body)));
                }
                Ok(body) => module.0.push(terraform::ModuleFile { file, body }),
                Err(e) => out.push((file, Err(e))),
            }
        }
    }
    let mut inputs = Vec::new();
    for (dir, (files, vars)) in modules {
        inputs.push(terraform::ModuleInput {
            dir,
            files,
            tfvars: terraform::tfvars(&vars),
        });
    }
    let trees = terraform::translate_modules(&inputs, vars);
    for (input, trees) in inputs.into_iter().zip(trees) {
        for (f, root) in input.files.into_iter().zip(trees) {
            out.push((
                f.file.clone(),
                Ok(Document {
                    file: f.file,
                    format: Format::Hcl,
                    roots: vec![root],
                }),
            ));
        }
    }
    out
}

/// Characters that YAML 1.1 readers (CloudFormation's among them) read as line breaks and
/// YAML 1.2 readers (stagegate's) do not: outside a quoted scalar they can hide a line,
/// such as a whole pipeline action after a `# comment`, from one reader but not the other.
const YAML11_BREAKS: &[(char, &str)] = &[
    ('\u{85}', "U+0085 (NEXT LINE)"),
    ('\u{2028}', "U+2028 (LINE SEPARATOR)"),
    ('\u{2029}', "U+2029 (PARAGRAPH SEPARATOR)"),
];

fn yaml11_line_break(text: &str, roots: &[Node]) -> Option<ParseError> {
    if text.is_ascii() {
        return None;
    }
    let mut quoted = Vec::new();
    fn collect(node: &Node, out: &mut Vec<Span>) {
        match &node.value {
            Value::Scalar(_, Style::Quoted) => out.push(node.span),
            Value::Scalar(..) => {}
            Value::Seq(items) => items.iter().for_each(|n| collect(n, out)),
            Value::Map(entries) => entries.iter().for_each(|e| collect(&e.value, out)),
        }
    }
    roots.iter().for_each(|r| collect(r, &mut quoted));
    let (at, len, name) = text.char_indices().find_map(|(i, c)| {
        let (_, name) = YAML11_BREAKS.iter().find(|(b, _)| *b == c)?;
        let inside = quoted.iter().any(|s| s.start <= i && i < s.end);
        (!inside).then_some((i, c.len_utf8(), *name))
    })?;
    Some(ParseError::new(
        format!(
            "{name} outside a quoted scalar: YAML 1.1 readers such as CloudFormation's read it as a line break and YAML 1.2 readers do not, so AWS and stagegate would read different documents"
        ),
        Span::new(at, at + len),
    ))
}

/// Parses a document embedded in a string (an inline buildspec) and moves its spans onto
/// the outer file, so that findings inside it land on the outer file's lines.
pub fn parse_embedded(text: &MappedText, limits: &Limits) -> Result<Node, ParseError> {
    let trimmed = text.text.trim_start();
    let parsed = if trimmed.starts_with('{') {
        match json::parse(&text.text, limits) {
            Ok(node) => Ok(node),
            // a YAML flow mapping is not JSON but is a valid buildspec
            Err(json_err) => yaml::parse(&text.text, limits)
                .map(|mut docs| docs.swap_remove(0))
                .map_err(|_| json_err),
        }
    } else {
        yaml::parse(&text.text, limits).and_then(|mut docs| {
            if let Some(second) = docs.get(1) {
                Err(ParseError::new(
                    "a second YAML document: CodeBuild reads one buildspec document, so stagegate would not see what runs",
                    second.span,
                ))
            } else if docs.is_empty() {
                Err(ParseError::new("empty document", Span::new(0, 0)))
            } else {
                Ok(docs.swap_remove(0))
            }
        })
    };
    match parsed {
        Ok(mut node) => {
            node.remap(&|s| text.map_span(s));
            Ok(node)
        }
        Err(mut err) => {
            err.span = text.map_span(err.span);
            for (_, s) in &mut err.related {
                *s = text.map_span(*s);
            }
            Err(err)
        }
    }
}
