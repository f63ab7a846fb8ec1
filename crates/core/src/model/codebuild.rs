//! normalize: a CodeBuild project (CloudFormation `Properties` or API JSON) -> [`Project`],
//! with buildspec ownership: `inline`, `file`, `s3`, `default` or `unresolved`.

use super::{
    add_inline_buildspec, display, field, literal, Builder, BuildspecRef, EnvVar, Environment,
    Project, SourceRef,
};
use crate::parse::{Document, Node, PathBuf};

/// Adds the project described by `node`. `logical_id` is set for CloudFormation resources.
pub(crate) fn normalize(
    b: &mut Builder<'_>,
    doc: &Document,
    node: &Node,
    path: PathBuf,
    logical_id: Option<&str>,
) {
    let file = &doc.file.path;
    let name_node = field(node, "Name").map(|(n, _)| n);
    let (name, name_expr) = match name_node {
        Some(n) => match literal(n) {
            Some(s) => (Some(s), None),
            None => {
                let resolved = logical_id
                    .and_then(|_| b.templates.get(file))
                    .and_then(|t| t.resolve_string(n));
                (resolved, Some(n.to_json()))
            }
        },
        None => (None, None),
    };
    let mut key = format!(
        "{file}:{}",
        logical_id
            .map(str::to_string)
            .or_else(|| name.clone())
            .unwrap_or_else(|| path.0.clone())
    );
    // two entries of one name in one file are two definitions, not one
    if b.out.workspace.projects.contains_key(&key) {
        key = format!("{file}:{}", path.0);
    }
    let source_entry = field(node, "Source");
    let source_type = source_entry
        .and_then(|(s, _)| field(s, "Type"))
        .and_then(|(n, _)| literal(n));
    let buildspec = match source_entry {
        Some((source, source_key)) => {
            let source_path = path.join(source_key);
            match field(source, "BuildSpec") {
                Some((spec, spec_key)) => {
                    let spec_path = source_path.join(spec_key);
                    classify_buildspec(b, doc, spec, &spec_path)
                }
                None => BuildspecRef {
                    kind: "default".into(),
                    path: Some("buildspec.yml".into()),
                    document: None,
                    source: SourceRef::new(file, &source_path),
                },
            }
        }
        None => BuildspecRef {
            kind: "default".into(),
            path: Some("buildspec.yml".into()),
            document: None,
            source: SourceRef::new(file, &path),
        },
    };
    let environment = field(node, "Environment")
        .map(|(env, env_key)| environment(file, env, &path.join(env_key)))
        .unwrap_or_default();
    // Terraform values stagegate did not evaluate (a `dynamic` block, a name built by a
    // function) could set anything here: a variable such as BASH_ENV, another buildspec
    let project_label = name.clone().unwrap_or_else(|| key.clone());
    let mut unknown = |what: &str, n: &Node| {
        b.unresolved(
            file,
            (node, &path),
            n,
            format!("the {what} of project {project_label}"),
            b_reason(n),
        );
    };
    let env = field(node, "Environment").map(|(e, _)| e);
    let vars = env
        .and_then(|e| field(e, "EnvironmentVariables"))
        .map(|(v, _)| v);
    for (what, n) in [
        ("source", source_entry.map(|(s, _)| s)),
        (
            "buildspec",
            source_entry
                .and_then(|(s, _)| field(s, "BuildSpec"))
                .map(|(n, _)| n),
        ),
        ("environment", env),
        ("environment variables", vars),
    ] {
        if let Some(n) = n.filter(|n| n.get(crate::parse::UNEVALUATED).is_some()) {
            unknown(what, n);
        }
    }
    for var in vars.map(Node::items).unwrap_or_default() {
        if let Some((n, _)) = field(var, "Name").filter(|(n, _)| literal(n).is_none()) {
            unknown("environment variable name", n);
        }
    }
    b.out.workspace.projects.insert(
        key.clone(),
        Project {
            key,
            name,
            name_expr,
            logical_id: logical_id.map(str::to_string),
            arn: field(node, "Arn").and_then(|(n, _)| literal(n)),
            source_type,
            buildspec,
            environment,
            source: SourceRef::new(file, &super::object_path(&path)),
        },
    );
}

fn classify_buildspec(
    b: &mut Builder<'_>,
    doc: &Document,
    spec: &Node,
    path: &PathBuf,
) -> BuildspecRef {
    let file = &doc.file.path;
    let at = SourceRef::new(file, path);
    let make = |kind: &str, p: Option<String>, document: Option<String>| BuildspecRef {
        kind: kind.into(),
        path: p,
        document,
        source: at.clone(),
    };
    // Terraform's `file("sca.yml")`: read when applied, so the project holds it (inline)
    if let Some(read) = spec
        .get(crate::parse::TERRAFORM_FILE)
        .and_then(Node::as_str)
    {
        return make(TERRAFORM_FILE_KIND, Some(read.to_string()), None);
    }
    if let Some(text) = spec.as_str() {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return make("default", Some("buildspec.yml".into()), None);
        }
        if trimmed.starts_with("arn:aws") && trimmed.contains(":s3:::") {
            return make("s3", Some(trimmed.to_string()), None);
        }
        if !looks_inline(trimmed) {
            return make("file", Some(trimmed.to_string()), None);
        }
    } else if spec.get("Ref").is_some() {
        // a parameter's default, when there is one, is what gets deployed
        if let Some(value) = b.templates.get(file).and_then(|t| t.resolve_string(spec)) {
            if !looks_inline(&value) {
                let kind = if value.contains(":s3:::") {
                    "s3"
                } else {
                    "file"
                };
                return make(kind, Some(value), None);
            }
        }
        return make("unresolved", Some(display(spec)), None);
    } else if let Some(args) = spec.get("Fn::If") {
        // worst case of the branches: a non-inline branch makes the project non-inline
        let branches: Vec<&Node> = args.items().iter().skip(1).collect();
        let mut first_inline = None;
        for (i, branch) in branches.into_iter().enumerate() {
            let r = classify_buildspec(b, doc, branch, &path.join("Fn::If").join(i + 1));
            if r.kind != "inline" {
                return r;
            }
            first_inline.get_or_insert(r);
        }
        if let Some(r) = first_inline {
            return r;
        }
    } else if spec.get("Fn::Sub").is_none() && spec.get("Fn::Join").is_none() {
        return make("unresolved", Some(display(spec)), None);
    }
    // `Fn::Sub` / `Fn::Join`: decide on the assembled text, which may just be a path
    let Some(text) = super::inline_text(&doc.file, spec) else {
        return make("unresolved", Some(display(spec)), None);
    };
    let assembled = text.text.trim();
    if assembled.starts_with("arn:aws") && assembled.contains(":s3:::") {
        return make("s3", Some(assembled.to_string()), None);
    }
    if !looks_inline(assembled) {
        return make("file", Some(assembled.to_string()), None);
    }
    match add_inline_buildspec(b, &doc.file, spec, path) {
        Some(key) => make("inline", None, Some(key)),
        // the parse error is recorded; the buildspec cannot be read, so it is not inline
        None => make("unresolved", Some(display(spec)), None),
    }
}

/// Why a Terraform value is not known, as its node says.
fn b_reason(n: &Node) -> String {
    n.get(crate::parse::UNEVALUATED)
        .and_then(|v| v.items().get(1))
        .and_then(Node::as_str)
        .map_or_else(|| "it is not a literal".to_string(), str::to_string)
}

/// The kind a buildspec read by Terraform's `file()` has until the file is found among the
/// checked files ([`inline_terraform_files`]).
const TERRAFORM_FILE_KIND: &str = "terraform-file";

/// Makes each buildspec that Terraform reads with `file()` the project's own (inline,
/// platform-owned), located in the file read; one not among the checked files is
/// unresolved.
pub(crate) fn inline_terraform_files(ws: &mut super::Workspace) {
    for project in ws.projects.values_mut() {
        if project.buildspec.kind != TERRAFORM_FILE_KIND {
            continue;
        }
        let path = project.buildspec.path.clone().unwrap_or_default();
        match ws.buildspecs.get_mut(&path) {
            Some(spec) => {
                spec.owner = "platform".into();
                project.buildspec.kind = "inline".into();
                project.buildspec.document = Some(path);
                project.buildspec.path = None;
            }
            None => {
                project.buildspec.kind = "unresolved".into();
                ws.unresolved.push(super::Unresolved {
                    what: format!(
                        "the buildspec of project {}",
                        project.name.as_deref().unwrap_or(&project.key)
                    ),
                    value: format!("file(\"{path}\")"),
                    reason: "a file that is not among the checked files (check the folder that holds it)".into(),
                    source: project.buildspec.source.clone(),
                });
            }
        }
    }
}

/// A `BuildSpec` string is inline text rather than a path when it spans lines or reads as
/// a YAML/JSON mapping with `version` or `phases`.
fn looks_inline(text: &str) -> bool {
    text.contains('\n')
        || text.starts_with('{')
        || text.starts_with("version:")
        || text.contains("phases:")
}

fn environment(file: &str, env: &Node, path: &PathBuf) -> Environment {
    let privileged_mode = field(env, "PrivilegedMode")
        .and_then(|(n, _)| literal(n))
        .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let image = field(env, "Image").map(|(n, _)| display(n));
    let mut variables = Vec::new();
    if let Some((list, key)) = field(env, "EnvironmentVariables") {
        for (i, var) in list.items().iter().enumerate() {
            variables.push(EnvVar {
                name: field(var, "Name").map_or_else(String::new, |(n, _)| display(n)),
                value: field(var, "Value").map_or_else(String::new, |(n, _)| display(n)),
                var_type: field(var, "Type")
                    .and_then(|(n, _)| literal(n))
                    .unwrap_or_else(|| "PLAINTEXT".into()),
                secret: None,
                source: SourceRef::new(file, &path.join(key).join(i)),
            });
        }
    }
    Environment {
        privileged_mode,
        image,
        variables,
    }
}
