//! normalize: CloudFormation values resolved as CloudFormation resolves them, or left
//! visibly unresolved.
//!
//! A value that decides a governance outcome (an action's type, its run order, the project
//! a locked action runs, a stage condition) must be known, not guessed: `Ref` to a
//! parameter, `Fn::Sub`, `Fn::Join`, `Fn::Select` and `Fn::FindInMap` over the template's
//! `Mappings` are followed; `Fn::If` yields every alternative, each of which must pass. A
//! value only a parameter default supplies is marked `assumed` (the stack may be deployed
//! with another value); parameters of SSM types are never read from their default.

use crate::parse::Node;
use std::collections::HashMap;

/// More alternatives than this (nested `Fn::If` products) is treated as unresolved.
const MAX_ALTERNATIVES: usize = 16;

/// A template parameter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Parameter {
    /// `Default`, when it is a literal.
    pub default: Option<String>,
    /// An `AWS::SSM::Parameter::Value<...>` type: the default names a parameter, it is not
    /// the value.
    pub ssm: bool,
}

/// The value of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// Every value it can take (one unless `Fn::If` offers several); `assumed` when a
    /// parameter default supplied part of it.
    Known { values: Vec<String>, assumed: bool },
    /// It cannot be known from the checked files; why, in the author's terms.
    Unknown(String),
}

impl Resolved {
    fn one(value: String) -> Self {
        Resolved::Known {
            values: vec![value],
            assumed: false,
        }
    }

    /// Why the value is not known, in the author's terms.
    pub(crate) fn unknown_reason(&self) -> String {
        match self {
            Resolved::Unknown(why) => why.clone(),
            Resolved::Known { .. } => "it is not a list".into(),
        }
    }

    /// The single value, when there is exactly one and nothing was assumed.
    pub(crate) fn certain(&self) -> Option<&str> {
        match self {
            Resolved::Known {
                values,
                assumed: false,
            } if values.len() == 1 => values.first().map(String::as_str),
            _ => None,
        }
    }
}

/// What a template declares that its values refer to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub parameters: HashMap<String, Parameter>,
    pub mappings: Option<Node>,
    /// Resource types by logical id.
    pub resource_types: HashMap<String, String>,
}

impl Scope {
    /// Resolves a value; a scalar is itself.
    pub(crate) fn resolve(&self, node: &Node) -> Resolved {
        self.resolve_depth(node, 0)
    }

    fn resolve_depth(&self, node: &Node, depth: usize) -> Resolved {
        if depth > 32 {
            return Resolved::Unknown("nested too deeply".into());
        }
        if let Some(s) = node.as_str() {
            if node.is_null() {
                return Resolved::Unknown("empty".into());
            }
            return Resolved::one(s.to_string());
        }
        let [entry] = node.entries() else {
            return Resolved::Unknown("not a single value".into());
        };
        let arg = &entry.value;
        let r = |n: &Node| self.resolve_depth(n, depth + 1);
        match entry.key.as_str() {
            "Ref" => match arg.as_str() {
                Some(name) => self.reference(name),
                None => Resolved::Unknown("a `Ref` whose target is not a name".into()),
            },
            "Fn::Sub" => self.sub(arg, depth),
            "Fn::Join" => {
                let (Some(sep), Some(list)) = (arg.items().first(), arg.items().get(1)) else {
                    return Resolved::Unknown("`Fn::Join` needs a separator and a list".into());
                };
                let Some(sep) = sep.as_str() else {
                    return Resolved::Unknown("`Fn::Join` separator is not literal".into());
                };
                if !list.items().is_empty() || list.as_str().is_none() {
                    let parts: Vec<Resolved> = list.items().iter().map(r).collect();
                    return combine(&parts, |p| p.join(sep));
                }
                Resolved::Unknown("`Fn::Join` over a value that is not a list".into())
            }
            "Fn::Select" => {
                let (Some(index), Some(list)) = (arg.items().first(), arg.items().get(1)) else {
                    return Resolved::Unknown("`Fn::Select` needs an index and a list".into());
                };
                let Some(i) = r(index)
                    .certain()
                    .and_then(|t| t.trim().parse::<usize>().ok())
                else {
                    return Resolved::Unknown("`Fn::Select` index is not a literal number".into());
                };
                match list.items().get(i) {
                    Some(item) if list.items().len() > i => r(item),
                    _ => Resolved::Unknown(format!("`Fn::Select` index {i} is out of range")),
                }
            }
            "Fn::FindInMap" => {
                let keys: Vec<Resolved> = arg.items().iter().map(r).collect();
                let [map, top, second] = keys.as_slice() else {
                    return Resolved::Unknown(
                        "`Fn::FindInMap` needs a map name and two keys".into(),
                    );
                };
                let (Some(map), Some(top), Some(second)) =
                    (map.certain(), top.certain(), second.certain())
                else {
                    return Resolved::Unknown("`Fn::FindInMap` keys are not all known".into());
                };
                match self
                    .mappings
                    .as_ref()
                    .and_then(|m| m.get(map))
                    .and_then(|m| m.get(top))
                    .and_then(|m| m.get(second))
                {
                    Some(value) => r(value),
                    None => Resolved::Unknown(format!(
                        "`Fn::FindInMap` finds no entry {map}.{top}.{second} in `Mappings`"
                    )),
                }
            }
            "Fn::If" => {
                let branches: Vec<Resolved> = arg.items().iter().skip(1).take(2).map(r).collect();
                if branches.len() != 2 {
                    return Resolved::Unknown("`Fn::If` needs a condition and two values".into());
                }
                let mut values = Vec::new();
                let mut assumed = false;
                for b in branches {
                    match b {
                        Resolved::Known {
                            values: v,
                            assumed: a,
                        } => {
                            values.extend(v);
                            assumed |= a;
                        }
                        unknown => return unknown,
                    }
                }
                values.dedup();
                Resolved::Known { values, assumed }
            }
            "Fn::ImportValue" => Resolved::Unknown(format!(
                "imported from another stack (`Fn::ImportValue {}`)",
                crate::model::display(arg)
            )),
            "Fn::GetAtt" => Resolved::Unknown(format!(
                "an attribute known only once deployed (`Fn::GetAtt {}`)",
                getatt_text(arg)
            )),
            crate::parse::UNEVALUATED => {
                let part = |i: usize| {
                    arg.items()
                        .get(i)
                        .and_then(Node::as_str)
                        .unwrap_or_default()
                };
                Resolved::Unknown(format!("{} (`{}`)", part(1), part(0)))
            }
            other => Resolved::Unknown(format!("`{other}` is not resolved")),
        }
    }

    fn reference(&self, name: &str) -> Resolved {
        if let Some(p) = self.parameters.get(name) {
            if p.ssm {
                return Resolved::Unknown(format!(
                    "parameter `{name}` is read from SSM Parameter Store when deployed"
                ));
            }
            return match &p.default {
                Some(d) => Resolved::Known {
                    values: vec![d.clone()],
                    assumed: true,
                },
                None if name.starts_with("var.") => Resolved::Unknown(format!(
                    "variable `{}` has no value (no default, no terraform.tfvars or *.auto.tfvars)",
                    name.trim_start_matches("var.")
                )),
                None => Resolved::Unknown(format!("parameter `{name}` has no default")),
            };
        }
        if name.starts_with("AWS::") {
            return Resolved::Unknown(format!("the pseudo parameter `{name}`"));
        }
        if self.resource_types.contains_key(name) {
            return Resolved::Unknown(format!("the resource `{name}`"));
        }
        Resolved::Unknown(format!("`Ref {name}` names nothing in the template"))
    }

    fn sub(&self, arg: &Node, depth: usize) -> Resolved {
        let (template, vars) = match arg.as_str() {
            Some(t) => (t, None),
            None => match (
                arg.items().first().and_then(Node::as_str),
                arg.items().get(1),
            ) {
                (Some(t), vars) => (t, vars),
                _ => return Resolved::Unknown("`Fn::Sub` template is not a string".into()),
            },
        };
        let mut parts: Vec<Resolved> = Vec::new();
        let mut rest = template;
        while let Some((before, after)) = rest.split_once("${") {
            parts.push(Resolved::one(before.to_string()));
            let Some((inner, tail)) = after.split_once('}') else {
                return Resolved::Unknown("`Fn::Sub` has an unclosed `${`".into());
            };
            match inner.strip_prefix('!') {
                Some(lit) => parts.push(Resolved::one(format!("${{{lit}}}"))),
                None => {
                    let var = vars.and_then(|v| v.get(inner));
                    parts.push(match var {
                        Some(v) => self.resolve_depth(v, depth + 1),
                        None if inner.contains('.') => Resolved::Unknown(format!(
                            "`${{{inner}}}` is an attribute known only once deployed"
                        )),
                        None => self.reference(inner),
                    });
                }
            }
            rest = tail;
        }
        parts.push(Resolved::one(rest.to_string()));
        combine(&parts, |p| p.concat())
    }
}

fn getatt_text(arg: &Node) -> String {
    match arg.as_str() {
        Some(s) => s.to_string(),
        None => arg
            .items()
            .iter()
            .map(crate::model::display)
            .collect::<Vec<_>>()
            .join("."),
    }
}

/// Every combination of the parts' alternatives, joined; unknown if any part is.
fn combine(parts: &[Resolved], join: impl Fn(&[String]) -> String) -> Resolved {
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    let mut assumed = false;
    for part in parts {
        let Resolved::Known { values, assumed: a } = part else {
            return part.clone();
        };
        assumed |= a;
        let mut next = Vec::new();
        for c in &combos {
            for v in values {
                let mut c = c.clone();
                c.push(v.clone());
                next.push(c);
            }
        }
        if next.len() > MAX_ALTERNATIVES {
            return Resolved::Unknown("too many alternatives".into());
        }
        combos = next;
    }
    let mut values: Vec<String> = combos.iter().map(|c| join(c)).collect();
    values.dedup();
    Resolved::Known { values, assumed }
}

/// A pipeline variable or action output variable (`#{variables.X}`, `#{Ns.X}`) in a
/// value: it is set when the pipeline runs.
pub(crate) fn runtime_variable(text: &str) -> Option<&str> {
    let start = text.find("#{")?;
    let rest = text.get(start..)?;
    let end = rest.find('}')?;
    rest.get(..=end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, Limits};
    use crate::source::SourceFile;
    use std::sync::Arc;

    fn scope_and(yaml: &str) -> (Scope, Node) {
        let doc = parse(
            Arc::new(SourceFile::new("t.yaml", yaml)),
            &Limits::default(),
        )
        .unwrap();
        let root = doc.root().unwrap().clone();
        let mut scope = Scope::default();
        for p in root
            .get("Parameters")
            .map(Node::entries)
            .unwrap_or_default()
        {
            scope.parameters.insert(
                p.key.clone(),
                Parameter {
                    default: p
                        .value
                        .get("Default")
                        .and_then(Node::as_str)
                        .map(str::to_string),
                    ssm: p
                        .value
                        .get("Type")
                        .and_then(Node::as_str)
                        .is_some_and(|t| t.starts_with("AWS::SSM")),
                },
            );
        }
        scope.mappings = root.get("Mappings").cloned();
        (scope, root.get("V").unwrap().clone())
    }

    fn values(yaml: &str) -> Resolved {
        let (s, v) = scope_and(yaml);
        s.resolve(&v)
    }

    fn known(v: &[&str], assumed: bool) -> Resolved {
        Resolved::Known {
            values: v.iter().map(|s| (*s).to_string()).collect(),
            assumed,
        }
    }

    #[test]
    fn intrinsics_resolve() {
        assert_eq!(values("V: !Sub Build"), known(&["Build"], false));
        assert_eq!(values("V: !Join ['', [Bu, ild]]"), known(&["Build"], false));
        assert_eq!(
            values("V: !Select [1, [a, Build]]"),
            known(&["Build"], false)
        );
        assert_eq!(
            values("Mappings: {M: {K: {N: platform-sca}}}\nV: !FindInMap [M, K, N]"),
            known(&["platform-sca"], false)
        );
        assert_eq!(
            values("V: !If [C, Build, Deploy]"),
            known(&["Build", "Deploy"], false)
        );
        assert_eq!(
            values("V: !Sub ['${A}-x', {A: !Join ['-', [p, q]]}]"),
            known(&["p-q-x"], false)
        );
    }

    #[test]
    fn defaults_are_assumptions_and_ssm_is_unknown() {
        assert_eq!(
            values("Parameters: {P: {Type: String, Default: Build}}\nV: !Ref P"),
            known(&["Build"], true)
        );
        assert_eq!(
            values("Parameters: {P: {Type: String, Default: x}}\nV: !Sub '${P}-sca'"),
            known(&["x-sca"], true)
        );
        let ssm = "Parameters: {P: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /a/b}}\nV: !Ref P";
        assert!(matches!(values(ssm), Resolved::Unknown(_)));
        assert!(matches!(values("V: !ImportValue x"), Resolved::Unknown(_)));
        assert!(matches!(
            values("V: !GetAtt S.Outputs.Name"),
            Resolved::Unknown(_)
        ));
        assert!(matches!(
            values("V: !Ref AWS::StackName"),
            Resolved::Unknown(_)
        ));
        assert!(matches!(
            values("V: !Select [5, [a]]"),
            Resolved::Unknown(_)
        ));
    }

    #[test]
    fn runtime_variables_are_found() {
        assert_eq!(runtime_variable("#{variables.P}"), Some("#{variables.P}"));
        assert_eq!(runtime_variable("x-#{Ns.V}-y"), Some("#{Ns.V}"));
        assert_eq!(runtime_variable("plain"), None);
    }
}
