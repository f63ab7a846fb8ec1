//! Parser behaviour on whole files: located errors, CloudFormation tags, linking.

use stagegate::Linter;

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

#[test]
fn duplicate_keys_report_both_locations() {
    let report = linter().check_sources([(
        "t.yaml",
        "Resources:\n  A:\n    Type: AWS::S3::Bucket\n  A:\n    Type: AWS::S3::Bucket\n",
    )]);
    let e = &report.errors[0];
    assert!(e.message.contains("duplicate key `A`"));
    assert_eq!(e.location.as_ref().unwrap().line, 4);
    assert_eq!(e.related[0].location.line, 2);
}

#[test]
fn json_syntax_errors_have_line_and_column() {
    let report = linter().check_sources([(
        "p.json",
        "{\n  \"pipeline\": {\n    \"name\": \"p\",\n  }\n}\n",
    )]);
    let loc = report.errors[0].location.as_ref().unwrap();
    assert_eq!((loc.line, loc.column), (4, 3));
}

#[test]
fn unparseable_yaml_met_in_a_walk_is_skipped_with_a_note() {
    let dir = std::env::temp_dir().join(format!("stagegate-walk-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("chart/templates")).unwrap();
    std::fs::write(
        dir.join("chart/templates/deploy.yaml"),
        "a: {{ .Values.x }\n: :\n",
    )
    .unwrap();
    std::fs::write(dir.join("buildspec.yml"), "version: 0.2\nphases: [\n").unwrap();
    let report = linter().check_paths(&[&dir]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        report.errors.len(),
        1,
        "buildspec.yml is an input by name: {:#?}",
        report.errors
    );
    assert!(report.errors[0]
        .location
        .as_ref()
        .unwrap()
        .path
        .ends_with("buildspec.yml"));
    let file_notes: Vec<_> = report.notes.iter().filter(|n| !n.path.is_empty()).collect();
    assert_eq!(file_notes.len(), 1, "{:#?}", report.notes);
    assert!(file_notes[0].path.ends_with("deploy.yaml"));
    // and the run says it found nothing to check
    assert!(report
        .notes
        .iter()
        .any(|n| n.message.contains("nothing was checked")));
}

#[test]
fn an_inline_buildspec_that_does_not_parse_is_located_on_the_outer_line() {
    let text = "Resources:\n  P:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Source:\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build: [\n";
    let report = linter().check_sources([("t.yaml", text)]);
    let e = &report.errors[0];
    assert!(e.message.contains("inline buildspec"), "{}", e.message);
    assert!(e.location.as_ref().unwrap().line >= 9);
}

#[test]
fn project_links_by_ref_literal_and_identical_expression() {
    let text = "Parameters:
  Prefix: {Type: String, Default: acme}
Resources:
  ByRef:
    Type: AWS::CodeBuild::Project
    Properties: {Name: sca-by-ref, Source: {Type: CODEPIPELINE, BuildSpec: sca.yml}}
  ByStack:
    Type: AWS::CodeBuild::Project
    Properties: {Name: !Ref 'AWS::StackName', Source: {Type: CODEPIPELINE}}
  BySub:
    Type: AWS::CodeBuild::Project
    Properties: {Name: !Sub '${Prefix}-sca', Source: {Type: CODEPIPELINE}}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Build
          Actions:
            - Name: SCA1
              ActionTypeId: {Category: Test, Provider: CodeBuild}
              Configuration: {ProjectName: !Ref ByRef}
            - Name: SCA2
              ActionTypeId: {Category: Test, Provider: CodeBuild}
              Configuration: {ProjectName: !Ref 'AWS::StackName'}
            - Name: SCA3
              ActionTypeId: {Category: Test, Provider: CodeBuild}
              Configuration: {ProjectName: acme-sca}
            - Name: SCA4
              ActionTypeId: {Category: Test, Provider: CodeBuild}
              Configuration: {ProjectName: !ImportValue other-stack-sca}
";
    let report = linter().check_sources([("t.yaml", text)]);
    let lines: Vec<usize> = report
        .violations
        .iter()
        .filter(|v| v.policy == "locked-buildspec-not-inline")
        .map(|v| v.location.line)
        .collect();
    // ByRef (buildspec file), ByStack and BySub (default buildspec) are linked; SCA4 is not
    assert_eq!(
        lines,
        vec![6, 9, 12],
        "{:#?}",
        report
            .violations
            .iter()
            .map(|v| &v.message)
            .collect::<Vec<_>>()
    );
}

/// One pipeline whose SCA action runs `ProjectName`, with a verified project elsewhere.
fn sca_pipeline(project_name: &str) -> String {
    format!(
        "Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {{Category: Source, Owner: AWS, Provider: S3, Version: 1}}
              OutputArtifacts: [{{Name: Src}}]
        - Name: Build
          Actions:
            - Name: SCA
              ActionTypeId: {{Category: Test, Owner: AWS, Provider: CodeBuild, Version: 1}}
              Configuration: {{ProjectName: {project_name}}}
              InputArtifacts: [{{Name: Src}}]
            - Name: Build
              RunOrder: 2
              ActionTypeId: {{Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}}
              InputArtifacts: [{{Name: Src}}]
"
    )
}

const PLATFORM_STACK: &str = "Resources:
  ScaProject:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: platform-sca
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - osv-scanner -r .
Outputs:
  ScaProjectName:
    Value: !Ref ScaProject
    Export:
      Name: platform-sca-project
";

#[test]
fn an_import_links_to_the_export_of_a_checked_template() {
    let report = linter().check_sources([
        (
            "pipeline.yaml",
            sca_pipeline("!ImportValue platform-sca-project").as_str(),
        ),
        ("platform.yaml", PLATFORM_STACK),
    ]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    // without the exporting template it is an error, saying why
    let report = linter().check_sources([(
        "pipeline.yaml",
        sca_pipeline("!ImportValue platform-sca-project").as_str(),
    )]);
    let v = report
        .violations
        .iter()
        .find(|v| v.policy == "unresolved-locked-project")
        .expect("unresolved");
    assert!(
        v.message.contains("imported from another stack"),
        "{}",
        v.message
    );
    assert!(
        v.message.contains("!ImportValue platform-sca-project"),
        "{}",
        v.message
    );
}

#[test]
fn a_project_of_another_region_is_not_linked() {
    let pipeline = r#"{"pipeline": {"name": "p", "stages": [
      {"name": "Source", "actions": [{"name": "Source",
        "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
        "outputArtifacts": [{"name": "Src"}]}]},
      {"name": "Build", "actions": [
        {"name": "SCA", "actionTypeId": {"category": "Test", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
         "configuration": {"ProjectName": "platform-sca"}, "inputArtifacts": [{"name": "Src"}]},
        {"name": "Build", "runOrder": 2, "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
         "inputArtifacts": [{"name": "Src"}]}]}]},
     "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-1:111122223333:p"}}"#;
    let projects = |region: &str, buildspec: &str| {
        format!(
            r#"{{"projects": [{{"name": "platform-sca", "arn": "arn:aws:codebuild:{region}:111122223333:project/platform-sca",
               "source": {{"type": "CODEPIPELINE", "buildspec": "{buildspec}"}}}}]}}"#
        )
    };
    let good = projects(
        "eu-west-1",
        "version: 0.2\\nphases:\\n  build:\\n    commands:\\n      - osv-scanner -r .\\n",
    );
    let other = projects("us-east-1", "buildspec-sca.yml");
    let report = linter().check_sources([
        ("pipeline.json", pipeline),
        ("eu.json", good.as_str()),
        ("us.json", other.as_str()),
    ]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}

#[test]
fn a_project_pinned_by_sha256_is_a_gate_only_with_that_buildspec() {
    use sha2::Digest as _;
    let buildspec = "version: 0.2\nphases:\n  build:\n    commands:\n      - osv-scanner -r .\n";
    let hex: String = sha2::Sha256::digest(buildspec.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let pinned = |sha: &str| {
        Linter::builder()
            .builtin_policies()
            .governance_text(
                "gov.yaml",
                &format!("gates:\n  projects:\n    - name: platform-sca\n      roles: [sca]\n      sha256: '{sha}'\n"),
            )
            .unwrap()
            .build()
            .unwrap()
    };
    let sources = [
        ("pipeline.yaml", sca_pipeline("platform-sca")),
        ("platform.yaml", PLATFORM_STACK.to_string()),
    ];
    let report = pinned(&hex).check_sources(sources.clone());
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    let report = pinned(&"0".repeat(64)).check_sources(sources);
    let v = report
        .violations
        .iter()
        .find(|v| v.policy == "build-without-sca")
        .expect("the changed buildspec is no gate");
    assert!(
        v.message.contains("pins project platform-sca's buildspec"),
        "{}",
        v.message
    );
}

#[test]
fn environment_variables_built_by_an_expression_are_read() {
    // a locked action's BASH_ENV hidden in an `!Sub` is still an override
    let hidden = sca_pipeline("platform-sca").replace(
        "              Configuration: {ProjectName: platform-sca}",
        "              Configuration:\n                ProjectName: platform-sca\n                EnvironmentVariables: !Sub '[{\"name\":\"BASH_ENV\",\"value\":\"${AWS::Region}.sh\"}]'",
    );
    assert!(hidden.contains("BASH_ENV"));
    let report = linter().check_sources([
        ("pipeline.yaml", hidden.as_str()),
        ("platform.yaml", PLATFORM_STACK),
    ]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.policy == "locked-environment-override"),
        "{:#?}",
        report.violations
    );
    // a build's variables known only when deployed are no problem
    let build = sca_pipeline("platform-sca").replace(
        "              RunOrder: 2\n",
        "              RunOrder: 2\n              Configuration:\n                EnvironmentVariables: !Sub '[{\"name\":\"REGION\",\"value\":\"${AWS::Region}\"}]'\n",
    );
    assert!(build.contains("REGION"));
    let report = linter().check_sources([
        ("pipeline.yaml", build.as_str()),
        ("platform.yaml", PLATFORM_STACK),
    ]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
}
