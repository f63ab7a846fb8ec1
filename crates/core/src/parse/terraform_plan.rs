//! parse: a Terraform plan (`terraform show -json plan.out`) -> the span tree of a
//! CloudFormation template, as [`super::terraform`] gives for `.tf` files.
//!
//! `planned_values` holds every resource of the plan with the values it will have, in the
//! provider's schema (blocks as lists, arguments by their Terraform names); its nodes keep
//! their place in the plan file, so findings point into it. A value that is known only once
//! applied is absent there and `true` in the resource's `change.after_unknown`: it becomes
//! unevaluated, and fails closed where it decides something.

use super::terraform::{names, UNEVALUATED};
use super::tree::{Entry, Node, Style, Value};
use crate::source::Span;
use std::collections::HashMap;

/// Whether a JSON document is a plan: `format_version` and `planned_values`.
pub(crate) fn is_plan(root: &Node) -> bool {
    root.get("format_version").is_some() && root.get("planned_values").is_some()
}

fn entry(key: &str, key_span: Span, value: Node) -> Entry {
    Entry {
        key: key.to_string(),
        key_span,
        value,
    }
}

fn map(entries: Vec<Entry>, span: Span) -> Node {
    Node {
        value: Value::Map(entries),
        span,
        tag: None,
    }
}

fn seq(items: Vec<Node>, span: Span) -> Node {
    Node {
        value: Value::Seq(items),
        span,
        tag: None,
    }
}

fn scalar(text: &str, span: Span) -> Node {
    Node {
        value: Value::Scalar(text.to_string(), Style::Quoted),
        span,
        tag: None,
    }
}

/// Known only once applied: the plan says so in `after_unknown`.
fn unknown_value(address: &str, path: &str, span: Span) -> Node {
    let items = vec![
        scalar(&format!("{address}.{path}"), span),
        scalar("a value the plan knows only once applied", span),
    ];
    map(vec![entry(UNEVALUATED, span, seq(items, span))], span)
}

/// One resource's values and which of them are unknown.
struct Values<'a> {
    address: &'a str,
    unknown: Option<&'a Node>,
}

impl Values<'_> {
    /// `values[key]` under its CloudFormation name, or an unevaluated node when the plan
    /// marks it unknown.
    fn attr(&self, values: &Node, unknown: Option<&Node>, tf: &str, cfn: &str) -> Option<Entry> {
        match values.entry(tf) {
            Some(e) if !e.value.is_null() => Some(entry(cfn, e.key_span, e.value.clone())),
            _ => {
                let marked = unknown
                    .and_then(|u| u.get(tf))
                    .and_then(Node::as_str)
                    .is_some_and(|v| v == "true");
                marked.then(|| entry(cfn, values.span, unknown_value(self.address, tf, values.span)))
            }
        }
    }

    fn attrs(&self, values: &Node, unknown: Option<&Node>, names: &[(&str, &str)]) -> Vec<Entry> {
        names
            .iter()
            .filter_map(|(tf, cfn)| self.attr(values, unknown, tf, cfn))
            .collect()
    }

    /// A block or map the plan marks unknown as a whole (`after_unknown.stage: true`, a
    /// dynamic block over a computed value): unevaluated, never absent.
    fn unknown_whole(
        &self,
        values: &Node,
        unknown: Option<&Node>,
        tf: &str,
        cfn: &str,
    ) -> Option<Entry> {
        let marked = unknown.and_then(|u| u.get(tf)).and_then(Node::as_str) == Some("true");
        marked.then(|| {
            let span = values.entry(tf).map_or(values.span, |e| e.key_span);
            entry(cfn, span, unknown_value(self.address, tf, span))
        })
    }

    /// A block list (`stage`, `action`) under its CloudFormation name, each item made by
    /// `item` with the item's own unknown marks.
    fn blocks(
        &self,
        values: &Node,
        unknown: Option<&Node>,
        tf: &str,
        cfn: &str,
        item: impl Fn(&Node, Option<&Node>) -> Node,
    ) -> Option<Entry> {
        if let Some(e) = self.unknown_whole(values, unknown, tf, cfn) {
            return Some(e);
        }
        let e = values.entry(tf)?;
        let marks = unknown.and_then(|u| u.get(tf));
        let items = e
            .value
            .items()
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, marks.and_then(|m| m.items().get(i))))
            .collect();
        Some(entry(cfn, e.key_span, seq(items, e.value.span)))
    }

    /// A block the schema allows once, which the plan writes as a list of one.
    fn single(
        &self,
        values: &Node,
        unknown: Option<&Node>,
        tf: &str,
        cfn: &str,
        item: impl Fn(&Node, Option<&Node>) -> Node,
    ) -> Option<Entry> {
        if let Some(e) = self.unknown_whole(values, unknown, tf, cfn) {
            return Some(e);
        }
        let e = values.entry(tf)?;
        let first = e.value.items().first()?;
        let marks = unknown
            .and_then(|u| u.get(tf))
            .and_then(|m| m.items().first());
        Some(entry(cfn, e.key_span, item(first, marks)))
    }

    /// A stage condition block: `result`, and `condition[] { result, rule[] }`.
    fn conditions(&self, b: &Node, u: Option<&Node>) -> Node {
        let mut out = self.attrs(b, u, names::RESULT);
        out.extend(self.blocks(b, u, "condition", "Conditions", |c, cu| {
            let mut cond = self.attrs(c, cu, names::RESULT);
            cond.extend(self.blocks(c, cu, "rule", "Rules", |r, ru| {
                let mut rule = self.attrs(
                    r,
                    ru,
                    &[
                        ("name", "Name"),
                        ("configuration", "Configuration"),
                        ("commands", "Commands"),
                    ],
                );
                rule.extend(self.single(r, ru, "rule_type_id", "RuleTypeId", |t, tu| {
                                        map(self.attrs(t, tu, names::TYPE_ID), t.span)
                }));
                if let Some(e) = r.entry("input_artifacts") {
                    let items = e
                        .value
                        .items()
                        .iter()
                        .map(|n| map(vec![entry("Name", n.span, n.clone())], n.span))
                        .collect();
                    rule.push(entry("InputArtifacts", e.key_span, seq(items, e.value.span)));
                }
                map(rule, r.span)
            }));
            map(cond, c.span)
        }));
        map(out, b.span)
    }

    fn pipeline(&self, v: &Node, u: Option<&Node>) -> Node {
        let mut props = self.attrs(
            v,
            u,
            names::PIPELINE,
        );
        props.extend(self.blocks(v, u, "stage", "Stages", |stage, su| {
            let mut s = self.attrs(stage, su, names::NAME);
            s.extend(self.blocks(stage, su, "action", "Actions", |a, au| self.action(a, au)));
            for (tf, cfn) in names::STAGE_CONDITIONS {
                s.extend(self.single(stage, su, tf, cfn, |b, bu| self.conditions(b, bu)));
            }
            map(s, stage.span)
        }));
        props.extend(self.blocks(v, u, "variable", "Variables", |var, vu| {
                        map(self.attrs(var, vu, names::VARIABLE), var.span)
        }));
        map(props, v.span)
    }

    fn action(&self, a: &Node, u: Option<&Node>) -> Node {
        let mut out = self.attrs(
            a,
            u,
            names::ACTION,
        );
        let types = self.attrs(
            a,
            u,
            names::TYPE_ID,
        );
        if let Some(first) = types.first() {
            out.push(entry("ActionTypeId", first.key_span, map(types, a.span)));
        }
        if let Some(e) = self.unknown_whole(a, u, "configuration", "Configuration") {
            out.push(e);
        } else if let Some(config) = a.entry("configuration") {
            let marks = u.and_then(|u| u.get("configuration"));
            let mut entries: Vec<Entry> = config.value.entries().to_vec();
            for (key, mark) in marks.map(Node::entries).unwrap_or_default().iter().map(|e| (&e.key, &e.value)) {
                if mark.as_str() == Some("true") && !entries.iter().any(|e| &e.key == key) {
                    let span = config.value.span;
                    entries.push(entry(key, span, unknown_value(self.address, &format!("configuration.{key}"), span)));
                }
            }
            out.push(entry("Configuration", config.key_span, map(entries, config.value.span)));
        }
        for (tf, cfn) in names::ARTIFACTS {
            if let Some(e) = a.entry(tf) {
                let items = e
                    .value
                    .items()
                    .iter()
                    .map(|n| map(vec![entry("Name", n.span, n.clone())], n.span))
                    .collect();
                out.push(entry(cfn, e.key_span, seq(items, e.value.span)));
            }
        }
        map(out, a.span)
    }

    fn project(&self, v: &Node, u: Option<&Node>) -> Node {
        let mut p = self.attrs(v, u, names::PROJECT);
        let source = |s: &Node, su: Option<&Node>| {
                        map(self.attrs(s, su, names::SOURCE), s.span)
        };
        p.extend(self.single(v, u, "source", "Source", source));
        p.extend(self.blocks(v, u, "secondary_sources", "SecondarySources", source));
        p.extend(self.single(v, u, "environment", "Environment", |env, eu| {
            let mut e = self.attrs(env, eu, names::ENVIRONMENT);
            e.extend(self.blocks(env, eu, "environment_variable", "EnvironmentVariables", |var, vu| {
                map(self.attrs(var, vu, names::ENV_VAR), var.span)
            }));
            map(e, env.span)
        }));
        map(p, v.span)
    }
}

/// Every resource of a module of `planned_values`, child modules included.
fn resources<'a>(module: &'a Node, out: &mut Vec<&'a Node>) {
    if let Some(list) = module.get("resources") {
        out.extend(list.items());
    }
    for child in module.get("child_modules").map(Node::items).unwrap_or_default() {
        resources(child, out);
    }
}

/// The template a plan declares: its managed `aws_codepipeline` and `aws_codebuild_project`
/// resources, by address.
pub(crate) fn translate(root: &Node) -> Node {
    let whole = root.span;
    let mut all = Vec::new();
    if let Some(m) = root.get("planned_values").and_then(|p| p.get("root_module")) {
        resources(m, &mut all);
    }
    let unknown: HashMap<&str, &Node> = root
        .get("resource_changes")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let address = c.get("address")?.as_str()?;
            let marks = c.get("change")?.get("after_unknown")?;
            Some((address, marks))
        })
        .collect();
    let mut out = Vec::new();
    for r in all {
        let (Some(address), Some(kind)) = (
            r.get("address").and_then(Node::as_str),
            r.get("type").and_then(Node::as_str),
        ) else {
            continue;
        };
        if r.get("mode").and_then(Node::as_str).is_some_and(|m| m != "managed") {
            continue;
        }
        let cfn_type = match kind {
            "aws_codepipeline" => "AWS::CodePipeline::Pipeline",
            "aws_codebuild_project" => "AWS::CodeBuild::Project",
            _ => continue,
        };
        let Some(values) = r.get("values") else { continue };
        let v = Values {
            address,
            unknown: unknown.get(address).copied(),
        };
        let properties = if kind == "aws_codepipeline" {
            v.pipeline(values, v.unknown)
        } else {
            v.project(values, v.unknown)
        };
        let span = r.span;
        out.push(entry(
            address,
            span,
            map(
                vec![
                    entry("Type", span, scalar(cfn_type, span)),
                    entry("Properties", values.span, properties),
                ],
                span,
            ),
        ));
    }
    map(vec![entry("Resources", whole, map(out, whole))], whole)
}
