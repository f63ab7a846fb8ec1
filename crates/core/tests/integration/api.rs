//! The library API as an embedder uses it: in-memory sources, owned `Send` report.

use stagegate::Linter;

fn assert_send<T: Send + Sync + 'static>() {}

#[test]
fn report_and_linter_are_send_and_owned() {
    assert_send::<stagegate::Report>();
    assert_send::<Linter>();
}

#[test]
fn in_memory_sources_need_no_filesystem_and_serialize() {
    let linter = Linter::builder().builtin_policies().build().unwrap();
    let report = linter.check_sources([(
        "buildspec.yml",
        "version: 0.2\nphases:\n  build:\n    commands: [make]\n",
    )]);
    assert!(report.violations.is_empty());
    assert_eq!(report.summary.files, 1);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn a_bad_file_is_a_located_problem_and_the_rest_is_still_checked() {
    let linter = Linter::builder().builtin_policies().build().unwrap();
    let good = "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      Stages:\n        - Name: B\n          Actions:\n            - Name: Build\n              ActionTypeId: {Category: Build}\n";
    let report = linter.check_sources([("bad.yaml", "a: [1, 2\n"), ("good.yaml", good)]);
    assert_eq!(report.errors.len(), 1);
    let loc = report.errors[0].location.as_ref().unwrap();
    assert_eq!(loc.path, "bad.yaml");
    assert_eq!(report.violations.len(), 1);
}

#[test]
fn a_policy_that_fails_at_evaluation_fails_the_check() {
    let broken = "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: broken\n#   severity: error\n#   remediation: r\npackage stagegate.policies.broken\n\ndeny contains f if {\n\tsome p in input.pipelines\n\tf := {\"message\": sprintf(\"%d\", [1 / count(p.stages)]), \"at\": p.source}\n}\n";
    let linter = Linter::builder()
        .policy_text("broken/policy.rego", broken)
        .build()
        .unwrap();
    let report = linter.check_sources([("p.json", r#"{"pipeline": {"name": "p", "stages": []}}"#)]);
    assert!(
        !report.errors.is_empty() && report.errors[0].message.contains("broken"),
        "{:#?}",
        report.errors
    );
}

#[test]
fn a_policy_with_incomplete_metadata_does_not_load() {
    let text = "# METADATA\n# title: t\n# custom:\n#   id: x\n#   severity: error\n#   remediation: r\npackage p\ndeny contains x if { false; x := 1 }\n";
    let err = Linter::builder()
        .policy_text("x/policy.rego", text)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("description"), "{err}");
}

#[test]
fn a_policy_with_an_unknown_function_fails_at_load() {
    let text = "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: x\n#   severity: error\n#   remediation: r\npackage stagegate.policies.x\ndeny contains x if { x := no_such_function(1) }\n";
    assert!(Linter::builder()
        .policy_text("x/policy.rego", text)
        .build()
        .is_err());
}

#[test]
fn a_malformed_finding_fails_closed() {
    let text = "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: x\n#   severity: error\n#   remediation: r\npackage stagegate.policies.x\ndeny contains \"just a string\" if { count(input.pipelines) > 0 }\n";
    let linter = Linter::builder()
        .policy_text("x/policy.rego", text)
        .build()
        .unwrap();
    let report = linter.check_sources([("p.json", r#"{"pipeline": {"name": "p", "stages": []}}"#)]);
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
}

#[test]
fn a_user_rule_added_to_a_built_in_package_is_evaluated() {
    // the compiled pack cannot know this rule: the interpreter must run the package
    let extra = "package stagegate.policies.buildspec_legacy_version\n\ndeny contains {\"message\": \"extra rule\", \"at\": b.source} if {\n\tsome b in input.buildspecs\n}\n";
    let linter = Linter::builder()
        .builtin_policies()
        .policy_text("extra/rule.rego", extra)
        .build()
        .unwrap();
    assert_eq!(linter.policy_set().compiled_count(), 0);
    let report = linter.check_sources([(
        "buildspec.yml",
        "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n",
    )]);
    assert!(
        report.violations.iter().any(|v| v.message == "extra rule"),
        "{:#?}",
        report.violations
    );
}
