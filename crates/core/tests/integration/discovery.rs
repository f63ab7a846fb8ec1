//! Nothing unread: what a directory walk reads whatever the repository's `.gitignore`,
//! links and file names say.

use stagegate::Linter;
use std::path::{Path, PathBuf};
use std::process::Command;

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

/// A pipeline whose only build has no SCA gate: checked, it is a `build-without-sca` error.
const VIOLATING: &str = "Resources:
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
              OutputArtifacts: [{Name: Src}]
        - Name: Build
          Actions:
            - Name: Build
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}
              InputArtifacts: [{Name: Src}]
";

fn temp(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("stagegate-discovery-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn found_violation(dir: &Path) -> bool {
    linter()
        .check_paths(&[dir])
        .violations
        .iter()
        .any(|v| v.policy == "build-without-sca")
}

#[test]
fn a_committed_template_that_gitignore_lists_is_read() {
    let dir = temp("tracked");
    std::fs::write(
        dir.join(".gitignore"),
        "pipeline.yaml\ncdk.out/\nscratch.yaml\n",
    )
    .unwrap();
    std::fs::write(dir.join("pipeline.yaml"), VIOLATING).unwrap();
    // git made the checkout this test runs in
    assert!(git(&dir, &["init", "-q"]), "git is needed for this test");
    assert!(git(&dir, &["add", "-f", "pipeline.yaml", ".gitignore"]));
    assert!(git(&dir, &["commit", "-qm", "x"]));
    // an untracked ignored file is not read, and the run says so
    std::fs::write(
        dir.join("scratch.yaml"),
        VIOLATING.replace("Pipeline:", "Other:"),
    )
    .unwrap();
    let report = linter().check_paths(&[&dir]);
    assert!(report
        .violations
        .iter()
        .any(|v| v.location.path.ends_with("pipeline.yaml")));
    assert_eq!(report.summary.ignored, 1);
    assert!(report
        .notes
        .iter()
        .any(|n| n.message.contains("scratch.yaml")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cdk_out_is_read_even_when_ignored() {
    let dir = temp("cdk");
    std::fs::create_dir_all(dir.join("cdk.out")).unwrap();
    std::fs::write(dir.join(".gitignore"), "cdk.out\n").unwrap();
    std::fs::write(dir.join("cdk.out/App.template.json"), to_json(VIOLATING)).unwrap();
    assert!(git(&dir, &["init", "-q"]), "git is needed for this test");
    assert!(found_violation(&dir));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn without_git_metadata_gitignore_hides_nothing() {
    // a CodePipeline source artifact has the files and the .gitignore, but no .git
    let dir = temp("artifact");
    std::fs::write(dir.join(".gitignore"), "*.yaml\n").unwrap();
    std::fs::write(dir.join("pipeline.yaml"), VIOLATING).unwrap();
    assert!(found_violation(&dir));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cloudformation_names_are_read_in_any_case() {
    for name in [
        "pipeline.template",
        "infra.cfn",
        "pipeline.cfn.yaml",
        "pipeline.YAML",
    ] {
        let dir = temp("names");
        std::fs::write(dir.join(name), VIOLATING).unwrap();
        assert!(found_violation(&dir), "{name} was not read");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[cfg(unix)]
#[test]
fn links_inside_the_root_are_followed_and_links_out_are_noted() {
    let dir = temp("links");
    let outside = temp("links-outside");
    std::fs::create_dir_all(dir.join("infra")).unwrap();
    std::fs::write(dir.join("infra/pipeline.cfn"), VIOLATING).unwrap();
    std::os::unix::fs::symlink(dir.join("infra"), dir.join("linked")).unwrap();
    std::os::unix::fs::symlink("infra/pipeline.cfn", dir.join("pipeline.yaml")).unwrap();
    std::fs::write(outside.join("secret.yaml"), "a: 1\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.yaml"), dir.join("out.yaml")).unwrap();
    let report = linter().check_paths(&[&dir]);
    // one file reached three ways is one pipeline, read once
    assert_eq!(report.summary.pipelines, 1, "{:#?}", report.checked_files);
    assert!(report
        .notes
        .iter()
        .any(|n| n.path.ends_with("out.yaml") && n.message.contains("outside the checked folder")));
    assert!(!report.sources.keys().any(|k| k.ends_with("out.yaml")));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&outside).ok();
}

#[test]
fn an_escaped_type_that_does_not_parse_is_an_error_not_a_skip() {
    let dir = temp("escaped");
    std::fs::write(
        dir.join("stack.json"),
        r#"{"Resources": {"P": {"Type": "AWS::CodePipeline::Pipelin\u0065", "Type": "x"}}}"#,
    )
    .unwrap();
    let report = linter().check_paths(&[&dir]);
    assert_eq!(report.errors.len(), 1, "{:#?}", report.notes);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_file_named_on_the_command_line_that_is_no_input_fails_the_check() {
    let report = linter().check_sources([("notes.json", r#"{"what": "not a dump"}"#)]);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].message.contains("not a pipeline"));
}

/// The YAML fixture as the JSON CDK writes.
fn to_json(yaml: &str) -> String {
    let (ws, _) = linter().model_sources([("t.yaml", yaml)]);
    assert_eq!(ws.pipelines.len(), 1);
    r#"{"Resources": {"Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {"Stages": [
      {"Name": "Source", "Actions": [{"Name": "Source", "ActionTypeId": {"Category": "Source", "Owner": "AWS", "Provider": "S3", "Version": "1"}, "OutputArtifacts": [{"Name": "Src"}]}]},
      {"Name": "Build", "Actions": [{"Name": "Build", "ActionTypeId": {"Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"}, "InputArtifacts": [{"Name": "Src"}]}]}]}}}}"#
        .to_string()
}

#[test]
fn a_pipeline_made_by_fn_foreach_is_expanded_and_checked() {
    let text = "Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Pipelines:
    - Env
    - [Dev, Prod]
    - Pipeline${Env}:
        Type: AWS::CodePipeline::Pipeline
        Properties:
          Name: !Sub app-${Env}
          Stages:
            - Name: Source
              Actions:
                - Name: Source
                  ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
                  OutputArtifacts: [{Name: Src}]
            - Name: Build
              Actions:
                - Name: Build
                  ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}
                  InputArtifacts: [{Name: Src}]
";
    let report = linter().check_sources([("t.yaml", text)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    assert_eq!(report.summary.pipelines, 2);
    let messages: Vec<&str> = report
        .violations
        .iter()
        .map(|v| v.message.as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("pipeline app-Dev")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("pipeline app-Prod")),
        "{messages:?}"
    );
    // findings point at the loop's template lines
    assert!(report.violations.iter().all(|v| v.location.line == 18));
}

#[test]
fn a_macro_makes_the_template_unverifiable_unless_governance_calls_it_harmless() {
    let text = format!("Transform: [AWS::Serverless-2016-10-31, AcmeMacro]\n{VIOLATING}");
    let report = linter().check_sources([("t.yaml", text.as_str())]);
    assert_eq!(report.errors.len(), 1, "{:#?}", report.errors);
    assert!(report.errors[0]
        .message
        .contains("`AcmeMacro` rewrites the template"));
    let harmless = Linter::builder()
        .builtin_policies()
        .governance_text("g.yaml", "harmless-transforms: [AcmeMacro]\n")
        .unwrap()
        .build()
        .unwrap();
    assert!(harmless
        .check_sources([("t.yaml", text.as_str())])
        .errors
        .is_empty());
    let include = VIOLATING.replace(
        "      Stages:",
        "      Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k}}\n      Stages:",
    );
    let report = linter().check_sources([("t.yaml", include.as_str())]);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("Fn::Transform")),
        "{:#?}",
        report.errors
    );
}

/// `get-pipeline` output of a pipeline whose build has no SCA gate, with `tags` first.
const DUMP: &str = r#"{"tags": [{"key": "pipeline", "value": "x"}], "pipeline": {"name": "p", "stages": [
  {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}, "outputArtifacts": [{"name": "Src"}]}]},
  {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}, "inputArtifacts": [{"name": "Src"}]}]}]}}"#;

#[test]
fn an_audit_root_checks_every_file_in_some_workspace() {
    use stagegate::audit::{check_target, targets, Split};
    let root = temp("audit");
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("repo-a/.git/HEAD", "ref: refs/heads/main\n");
    write("repo-a/pipeline.yaml", VIOLATING);
    // a worktree or submodule: `.git` is a file
    write("repo-b/.git", "gitdir: ../elsewhere\n");
    write("repo-b/infra/pipeline.template", VIOLATING);
    // a stray file that looks like a dump to a text search must not swallow the root
    write("docs/notes.json", r#"{"projects": []}"#);
    // dumps deep down, in YAML, and at the root itself
    write(
        "accounts/1/2/3/4/5/6/7/eu-west-1/pipeline.yaml",
        &DUMP.replace('\n', " "),
    );
    write("root-dump.json", DUMP);
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("accounts/1/2/3/4/5/6/7"), root.join("linked")).unwrap();
    let found = targets(std::slice::from_ref(&root), Split::Detect);
    let names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
    for want in ["repo-a", "repo-b", "accounts/1/2/3/4/5/6/7/eu-west-1"] {
        assert!(names.contains(&want), "{want} not found: {names:?}");
    }
    // the root holds its own dump and the stray notes, and nothing of the others
    let root_target = found
        .iter()
        .find(|t| t.name == ".")
        .expect("the root is a workspace");
    let report = check_target(&linter(), root_target);
    assert!(
        report
            .checked_files
            .iter()
            .any(|f| f.ends_with("root-dump.json")),
        "{:?}",
        report.checked_files
    );
    assert!(!report.checked_files.iter().any(|f| f.contains("repo-a")));
    // nor the dump folder again through the link to it
    assert!(
        !report.checked_files.iter().any(|f| f.contains("eu-west-1")),
        "{:?}",
        report.checked_files
    );
    // every workspace finds its violation
    for t in &found {
        let report = check_target(&linter(), t);
        assert!(
            report
                .violations
                .iter()
                .any(|v| v.policy == "build-without-sca"),
            "{}: {:#?} {:#?}",
            t.name,
            report.violations,
            report.errors
        );
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn per_dir_audits_check_the_files_beside_the_folders_too() {
    use stagegate::audit::{check_target, targets, Split};
    let root = temp("perdir");
    std::fs::create_dir_all(root.join("ws-1")).unwrap();
    std::fs::write(root.join("ws-1/pipeline.yaml"), VIOLATING).unwrap();
    std::fs::write(root.join("pipeline.yaml"), VIOLATING).unwrap();
    let found = targets(std::slice::from_ref(&root), Split::PerDir);
    assert_eq!(found.len(), 2, "{found:?}");
    for t in &found {
        let report = check_target(&linter(), t);
        assert_eq!(report.summary.pipelines, 1, "{}", t.name);
    }
    std::fs::remove_dir_all(&root).ok();
}
