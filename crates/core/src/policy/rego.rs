//! evaluate: what a Rego module declares, as regorus reads it: its package and the names of
//! its rules. Nothing here scans the text, so a rule written on an indented line or a
//! package after a comment is seen as the engine sees it.

use regorus::unstable::{Parser, Rule, RuleHead};

/// A module's package (`stagegate.policies.x`) and rule names (`deny`, `test_y`), in order.
#[derive(Debug, Clone)]
pub(crate) struct Outline {
    pub package: String,
    pub rules: Vec<String>,
}

/// Parses `text` (named `path` in errors) just far enough to outline it.
pub(crate) fn outline(path: &str, text: &str) -> Result<Outline, String> {
    let source = regorus::Source::from_contents(path.to_string(), text.to_string())
        .map_err(|e| e.to_string())?;
    // the engine reads modules as Rego v1 (`if`, `contains`, `in` without imports)
    let module = Parser::new(&source)
        .and_then(|mut p| {
            p.enable_rego_v1()?;
            p.parse()
        })
        .map_err(|e| e.to_string())?;
    let package =
        regorus::utils::get_path_string(&module.package.refr, None).map_err(|e| e.to_string())?;
    let mut rules: Vec<String> = Vec::new();
    for rule in &module.policy {
        let refr = match rule.as_ref() {
            Rule::Spec { head, .. } => match head {
                RuleHead::Compr { refr, .. }
                | RuleHead::Set { refr, .. }
                | RuleHead::Func { refr, .. } => refr,
            },
            Rule::Default { refr, .. } => refr,
        };
        // `a.b := ...` declares rule `a` with a path below it
        let name = regorus::utils::get_path_string(refr, None).map_err(|e| e.to_string())?;
        let name = name.split('.').next().unwrap_or(&name).to_string();
        if !rules.contains(&name) {
            rules.push(name);
        }
    }
    Ok(Outline { package, rules })
}

#[cfg(test)]
mod tests {
    #[test]
    fn package_and_rules_as_the_engine_reads_them() {
        let o = super::outline(
            "x_test.rego",
            "# a comment\npackage a.b_test\n\nimport rego.v1\n\n  test_indented if true\n\ntest_two if {\n\ttrue\n}\n\ntest_two if false\n\nhelper(x) := x\n\ndeny contains 1 if true\n",
        )
        .unwrap();
        assert_eq!(o.package, "a.b_test");
        assert_eq!(o.rules, ["test_indented", "test_two", "helper", "deny"]);
        assert!(super::outline("bad.rego", "package\n").is_err());
    }
}
