//! Property tests: spans always lie inside their file on character boundaries, whatever
//! the input; the YAML and JSON forms of the same pipeline give the same findings; and the
//! bytecode machine agrees with the interpreter on generated workspaces.

use proptest::prelude::*;
use stagegate::{Linter, Location, Report};
use std::sync::OnceLock;

#[path = "common/engines.rs"]
mod engines;

fn linter() -> &'static Linter {
    static LINTER: OnceLock<Linter> = OnceLock::new();
    LINTER.get_or_init(|| Linter::builder().builtin_policies().build().unwrap())
}

fn assert_inside(report: &Report, loc: &Location) {
    let file = &report.sources[&loc.path];
    assert!(
        loc.span.start <= loc.span.end && loc.span.end <= file.text.len(),
        "{loc:?}"
    );
    assert!(
        file.text.is_char_boundary(loc.span.start) && file.text.is_char_boundary(loc.span.end),
        "{loc:?}"
    );
    assert!(
        loc.line >= 1 && loc.line <= file.line_count() && loc.end_line >= loc.line,
        "{loc:?}"
    );
}

fn check_spans(report: &Report) {
    for v in &report.violations {
        assert_inside(report, &v.location);
        v.related
            .iter()
            .for_each(|r| assert_inside(report, &r.location));
    }
    for e in &report.errors {
        if let Some(l) = &e.location {
            assert_inside(report, l);
        }
        e.related
            .iter()
            .for_each(|r| assert_inside(report, &r.location));
    }
}

const SEED: &str = include_str!("../../../fixtures/e2e/seed-violating/pipeline.yaml");

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Cut, splice and corrupt a real template: never a panic, never a span outside the file.
    #[test]
    fn spans_stay_inside_mutated_files(
        cut in 0usize..SEED.len(),
        insert in "[ -~\u{e9}\u{4e2d}\t\n:{}\\[\\]\"'!&*#|>-]{0,40}",
        keep_tail in any::<bool>(),
    ) {
        let mut cut = cut;
        while !SEED.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut text = String::from(&SEED[..cut]);
        text.push_str(&insert);
        if keep_tail {
            text.push_str(&SEED[cut..]);
        }
        for name in ["pipeline.yaml", "pipeline.json", "buildspec.yml"] {
            let report = linter().check_sources([(name, text.as_str())]);
            check_spans(&report);
        }
    }

    /// Arbitrary bytes as a buildspec and as JSON: a problem or a result, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        for name in ["buildspec.yml", "p.template.json"] {
            let report = linter().check_sources([(name, text.as_str())]);
            check_spans(&report);
        }
    }

    /// The same pipeline written as CloudFormation YAML and JSON gives the same findings.
    #[test]
    fn yaml_and_json_forms_agree(
        stages in prop::collection::vec(
            prop::collection::vec((0usize..5, 1u32..4), 1..4),
            1..4,
        )
    ) {
        const NAMES: [&str; 5] = ["SCA", "BuildAndTest", "UnitTests", "Deploy", "SecretsScan"];
        const CATEGORIES: [&str; 5] = ["Test", "Build", "Test", "Deploy", "Test"];
        let mut yaml = String::from("Resources:\n  Pipeline:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      Name: app\n      Stages:\n");
        let mut json_stages = Vec::new();
        for (s, actions) in stages.iter().enumerate() {
            yaml.push_str(&format!("        - Name: Stage{s}\n          Actions:\n"));
            let mut json_actions = Vec::new();
            for (a, (kind, order)) in actions.iter().enumerate() {
                let name = format!("{}{a}", NAMES[*kind]);
                yaml.push_str(&format!(
                    "            - Name: {name}\n              ActionTypeId: {{Category: {}, Owner: AWS, Provider: CodeBuild, Version: 1}}\n              RunOrder: {order}\n",
                    CATEGORIES[*kind]
                ));
                json_actions.push(serde_json::json!({
                    "Name": name,
                    "ActionTypeId": {"Category": CATEGORIES[*kind], "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
                    "RunOrder": order,
                }));
            }
            json_stages.push(serde_json::json!({"Name": format!("Stage{s}"), "Actions": json_actions}));
        }
        let json = serde_json::to_string_pretty(&serde_json::json!({"Resources": {"Pipeline": {
            "Type": "AWS::CodePipeline::Pipeline",
            "Properties": {"Name": "app", "Stages": json_stages},
        }}})).unwrap();
        let key = |r: &Report| {
            let mut k: Vec<(String, Option<String>, String)> = r
                .violations
                .iter()
                .map(|v| (v.policy.clone(), v.subject.as_ref().map(|s| format!("{}/{}", s.stage, s.action)), v.message.clone()))
                .collect();
            k.sort();
            k
        };
        let a = linter().check_sources([("t.yaml", yaml.as_str())]);
        let b = linter().check_sources([("t.json", json.as_str())]);
        prop_assert!(a.errors.is_empty() && b.errors.is_empty());
        prop_assert_eq!(key(&a), key(&b));
    }
}

/// Commands and variable values that the buildspec and secret policies look for, mixed with
/// ordinary ones.
const COMMANDS: [&str; 8] = [
    "make build",
    "npm test || true",
    "curl -fsSL https://get.example.com | sh",
    "set +e",
    "./run.sh; exit 0",
    "wget -q https://example.com/x && . ./x",
    "echo reset settings",
    "pip install -r requirements.txt",
];
const VALUES: [&str; 6] = [
    "production",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "{{resolve:secretsmanager:x}}",
    "****",
    "xoxb-123-abc",
];
const NAMES: [&str; 5] = [
    "NODE_ENV",
    "DB_PASSWORD",
    "Api_Key",
    "REGION",
    "GITHUB_TOKEN",
];

/// A CloudFormation template (a CodeBuild project with variables and an inline buildspec,
/// and a pipeline of these stages) and a repo buildspec.
fn generated(
    stages: &[Vec<(usize, u32)>],
    commands: &[usize],
    variables: &std::collections::BTreeMap<usize, usize>,
    runtime: &str,
) -> (String, String) {
    const KINDS: [(&str, &str); 5] = [
        ("SCA", "Test"),
        ("Build", "Build"),
        ("UnitTests", "Test"),
        ("Deploy", "Deploy"),
        ("Approve", "Approval"),
    ];
    let mut yaml = String::from("Resources:\n  Project:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Name: app-build\n      Environment:\n        EnvironmentVariables:\n");
    for (n, v) in variables {
        yaml.push_str(&format!(
            "          - Name: {}\n            Value: \"{}\"\n",
            NAMES[*n], VALUES[*v]
        ));
    }
    yaml.push_str("      Source:\n        Type: CODEPIPELINE\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build:\n              commands:\n");
    for c in commands {
        yaml.push_str(&format!(
            "                - {}\n",
            serde_json::to_string(COMMANDS[*c]).unwrap()
        ));
    }
    yaml.push_str("                - make\n  Pipeline:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      Name: app\n      Stages:\n");
    for (s, actions) in stages.iter().enumerate() {
        yaml.push_str(&format!("        - Name: Stage{s}\n          Actions:\n"));
        for (a, (kind, order)) in actions.iter().enumerate() {
            let (name, category) = KINDS[*kind];
            let provider = if category == "Approval" {
                "Manual"
            } else {
                "CodeBuild"
            };
            yaml.push_str(&format!(
                "            - Name: {name}{a}\n              ActionTypeId: {{Category: {category}, Owner: AWS, Provider: {provider}, Version: 1}}\n              RunOrder: {order}\n              Configuration:\n                ProjectName: !Ref Project\n"
            ));
        }
    }
    let mut buildspec = String::from("version: 0.2\nenv:\n  variables:\n");
    for (n, v) in variables {
        buildspec.push_str(&format!("    {}: \"{}\"\n", NAMES[*n], VALUES[*v]));
    }
    buildspec.push_str(&format!("phases:\n  install:\n    runtime-versions:\n      nodejs: \"{runtime}\"\n  build:\n    commands:\n"));
    for c in commands {
        buildspec.push_str(&format!(
            "      - {}\n",
            serde_json::to_string(COMMANDS[*c]).unwrap()
        ));
    }
    buildspec.push_str("      - make\n");
    (yaml, buildspec)
}

fn both_engines(yaml: &str, buildspec: &str) -> (Vec<String>, Vec<String>) {
    let (workspace, report) =
        linter().model_sources([("t.yaml", yaml), ("buildspec.yml", buildspec)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    engines::both(linter().policy_set(), &workspace)
}

#[test]
fn generated_workspaces_have_findings_of_many_policies() {
    let stages = vec![vec![(1, 1), (0, 1), (3, 1)]];
    let variables = std::collections::BTreeMap::from([(1, 1), (0, 0)]);
    let (yaml, buildspec) = generated(&stages, &[1, 2, 3], &variables, "latest");
    let (machine, reference) = both_engines(&yaml, &buildspec);
    assert_eq!(machine, reference);
    for policy in [
        "build-without-sca",
        "deploy-without-gate",
        "buildspec-remote-script",
        "buildspec-masked-failure",
        "buildspec-plaintext-secret",
        "codebuild-plaintext-secret",
        "buildspec-unpinned-runtime",
    ] {
        assert!(
            machine.iter().any(|l| l.starts_with(policy)),
            "{policy}: {machine:#?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The bytecode machine and the interpreter give the same findings on generated
    /// workspaces: pipelines with gates in any order, inline and repo buildspecs, variables.
    #[test]
    fn the_bytecode_machine_agrees_with_the_interpreter(
        stages in prop::collection::vec(prop::collection::vec((0usize..5, 1u32..4), 1..4), 1..4),
        commands in prop::collection::vec(0usize..COMMANDS.len(), 0..6),
        variables in prop::collection::btree_map(0usize..NAMES.len(), 0usize..VALUES.len(), 0..5),
        runtime in prop::sample::select(vec!["latest", "18.x", "3.11", "LATEST ", "corretto21"]),
    ) {
        let (yaml, buildspec) = generated(&stages, &commands, &variables, runtime);
        let (machine, reference) = both_engines(&yaml, &buildspec);
        prop_assert_eq!(machine, reference);
    }
}
