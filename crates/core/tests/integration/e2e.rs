//! Realistic workspaces with every built-in policy: findings at exact lines and columns.

use crate::expect::{cases, check_case, repo_root};
use stagegate::Linter;

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

/// The first finding of `policy` when the e2e fixture `case` is checked.
fn finding(case: &str, policy: &str) -> stagegate::Violation {
    let report = linter().check_paths(&[repo_root().join("fixtures/e2e").join(case)]);
    report
        .violations
        .into_iter()
        .find(|v| v.policy == policy)
        .unwrap_or_else(|| panic!("{case}: no {policy} finding"))
}

#[test]
fn e2e_fixtures_match_their_marks() {
    let dir = repo_root().join("fixtures/e2e");
    let all = cases(&dir);
    assert!(all.len() >= 5);
    for case in all {
        check_case(&linter().check_paths(&[&case]), &case);
    }
}

#[test]
fn compliant_seed_pipeline_is_clean_and_fully_modelled() {
    let case = repo_root().join("fixtures/e2e/seed");
    let report = linter().check_paths(&[&case]);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    assert!(report.errors.is_empty());
    assert_eq!(report.summary.files, 2);
    assert_eq!(report.summary.pipelines, 1);
}

#[test]
fn build_without_sca_points_at_the_action_with_column_and_related_gate() {
    let v = finding("seed-violating", "build-without-sca");
    assert_eq!((v.location.line, v.location.column), (232, 15));
    assert!(v.location.path.ends_with("seed-violating/pipeline.yaml"));
    // the SCA action runs the repository's buildspec-sca.yml: named like a gate, not one
    let claim = v
        .related
        .iter()
        .find(|r| r.message.starts_with("named like SCA (action name"))
        .unwrap();
    assert_eq!((claim.location.line, claim.location.column), (221, 15));
    assert!(
        v.message
            .contains("Build/SCA is named like SCA (action name \"SCA\"), but its project runs the repository's buildspec-sca.yml"),
        "{}",
        v.message
    );
}

#[test]
fn locked_buildspec_points_at_the_buildspec_key() {
    let v = finding("seed-violating", "locked-buildspec-not-inline");
    assert_eq!(
        (v.location.line, v.location.column, v.location.end_line),
        (165, 9, 165)
    );
    assert_eq!(v.related[0].message, "locked action");
    assert_eq!(v.related[0].location.line, 221);
}

#[test]
fn gate_found_through_a_json_string_buildspec_is_located_inside_the_string() {
    let report = linter().check_paths(&[repo_root().join("fixtures/e2e/cdk")]);
    let v = report
        .violations
        .iter()
        .find(|v| v.policy == "build-without-sca")
        .unwrap();
    let evidence = v
        .related
        .iter()
        .find(|r| r.message.contains("trivy fs"))
        .expect("evidence label");
    let file = &report.sources[&evidence.location.path];
    let text = &file.text[evidence.location.span.start..evidence.location.span.end];
    // CDK writes `commands` as one scalar, so the entry (key to value) is the command
    assert_eq!(text, r#"\"commands\": \"trivy fs --exit-code 1 .\""#);
    assert_eq!(evidence.location.line, 171);
}

#[test]
fn gate_found_through_a_block_scalar_buildspec_is_located_on_the_outer_line() {
    let text = "Resources:
  Gate:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: platform-checks
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - grype dir:. --fail-on high
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Build
          Actions:
            - Name: Check
              ActionTypeId: {Category: Test, Owner: AWS, Provider: CodeBuild, Version: 1}
              Configuration: {ProjectName: !Ref Gate}
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}
";
    let report = linter().check_sources([("t.yaml", text)]);
    assert_eq!(report.violations.len(), 1, "{:#?}", report.violations);
    let v = &report.violations[0];
    assert_eq!((v.location.line, v.location.column), (23, 15));
    let evidence = v
        .related
        .iter()
        .find(|r| r.message.contains("grype"))
        .unwrap();
    assert_eq!((evidence.location.line, evidence.location.column), (13, 19));
}

#[test]
fn get_pipeline_dump_links_to_batch_get_projects_dump() {
    let v = finding("get-pipeline", "locked-buildspec-not-inline");
    assert!(v.location.path.ends_with("projects.json"));
    assert!(v.related[0].location.path.ends_with("pipeline.json"));
}
