//! Collections of live accounts (`collect aws`): what an audit of one takes from its
//! manifest, and what it takes whatever the manifest says.

use stagegate::audit::{check_target, targets, Split, Target};
use stagegate::collection::{Failure, Manifest, Scope, FORMAT_VERSION, MANIFEST};
use stagegate::Linter;
use std::path::{Path, PathBuf};

const ACCOUNT: &str = "111122223333";

/// A get-pipeline dump whose build runs with no SCA gate.
const VIOLATING: &str = r#"{"pipeline": {"name": "app", "stages": [
  {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}, "outputArtifacts": [{"name": "Src"}]}]},
  {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}, "inputArtifacts": [{"name": "Src"}]}]}]},
  "metadata": {"pipelineArn": "arn:aws:codepipeline:eu-west-1:111122223333:app"}}"#;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "stagegate-collection-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn scope(region: &str, failures: Vec<Failure>) -> Scope {
    Scope {
        account: ACCOUNT.into(),
        region: region.into(),
        folder: format!("{ACCOUNT}/{region}"),
        failures,
        ..Scope::default()
    }
}

fn denied(account: &str, region: Option<&str>, action: &str) -> Failure {
    Failure {
        account: Some(account.into()),
        region: region.map(str::to_string),
        action: action.into(),
        code: "AccessDeniedException".into(),
        message: "not authorized".into(),
        ..Failure::default()
    }
}

fn manifest(root: &Path, m: &Manifest) {
    write(root, MANIFEST, &serde_json::to_string(m).unwrap());
}

fn finished(scopes: Vec<Scope>, failures: Vec<Failure>) -> Manifest {
    Manifest {
        version: FORMAT_VERSION,
        source: "aws".into(),
        started: "2026-12-02T00:00:00Z".into(),
        finished: Some("2026-12-02T00:01:00Z".into()),
        scopes,
        failures,
        ..Manifest::default()
    }
}

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

/// (name, problems, violations) of every workspace.
fn audit(roots: &[PathBuf], split: Split) -> Vec<(String, Vec<String>, Vec<String>)> {
    let linter = linter();
    targets(roots, split)
        .iter()
        .map(|t: &Target| {
            let report = check_target(&linter, t);
            (
                t.name.clone(),
                report.errors.iter().map(|e| e.message.clone()).collect(),
                report.violations.iter().map(|v| v.policy.clone()).collect(),
            )
        })
        .collect()
}

#[test]
fn each_scope_is_a_workspace_and_a_failed_one_is_incomplete() {
    let root = temp("scopes");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/pipelines/app.json"),
        VIOLATING,
    );
    write(
        &root,
        &format!("{ACCOUNT}/us-east-1/codebuild-projects-001.json"),
        r#"{"projects": [], "projectsNotFound": []}"#,
    );
    std::fs::create_dir_all(root.join(ACCOUNT).join("ap-south-2/pipelines")).unwrap();
    let failed = denied(ACCOUNT, Some("us-east-1"), "codepipeline:ListPipelines");
    manifest(
        &root,
        &finished(
            vec![
                scope("eu-west-1", vec![]),
                scope("us-east-1", vec![failed]),
                scope("ap-south-2", vec![]),
                // listed, but its folder is gone
                scope("sa-east-1", vec![]),
            ],
            vec![denied("222233334444", None, "sts:AssumeRole")],
        ),
    );
    let got = audit(std::slice::from_ref(&root), Split::Detect);
    let mut names: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("{ACCOUNT}/ap-south-2"),
            format!("{ACCOUNT}/eu-west-1"),
            format!("{ACCOUNT}/sa-east-1"),
            format!("{ACCOUNT}/us-east-1"),
            "222233334444".to_string(),
        ]
    );
    let by = |name: String| got.iter().find(|g| g.0 == name).unwrap();
    let entered = by("222233334444".into());
    assert!(
        entered.1[0].contains("222233334444: sts:AssumeRole failed"),
        "{entered:?}"
    );
    // a scope that held nothing is read whole: no problem, no finding
    let empty = by(format!("{ACCOUNT}/ap-south-2"));
    assert!(empty.1.is_empty() && empty.2.is_empty(), "{empty:?}");
    assert_eq!(by(format!("{ACCOUNT}/eu-west-1")).2, ["build-without-sca"]);
    let gone = by(format!("{ACCOUNT}/sa-east-1"));
    assert!(gone.1[0].contains("cannot read"), "{gone:?}");
    let failed = by(format!("{ACCOUNT}/us-east-1"));
    assert!(
        failed.1[0].contains("codepipeline:ListPipelines failed"),
        "{failed:?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_manifest_never_takes_a_folder_out_of_the_audit() {
    // a manifest planted in a repository: the repository is still checked whole
    let repo = temp("planted-repo");
    write(&repo, ".git/HEAD", "ref: refs/heads/main\n");
    write(&repo, "dumps/pipeline.json", VIOLATING);
    manifest(&repo, &finished(vec![scope("eu-west-1", vec![])], vec![]));
    let got = audit(std::slice::from_ref(&repo), Split::Detect);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].2, ["build-without-sca"], "{got:?}");

    // a collection whose manifest leaves a dump folder and a stray file out checks them too
    let root = temp("unlisted");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/pipelines/app.json"),
        VIOLATING,
    );
    write(
        &root,
        "999988887777/eu-west-1/pipelines/app.json",
        VIOLATING,
    );
    write(&root, "stray.json", VIOLATING);
    manifest(&root, &finished(vec![scope("eu-west-1", vec![])], vec![]));
    let got = audit(std::slice::from_ref(&root), Split::Detect);
    let found: Vec<(&str, &[String])> =
        got.iter().map(|g| (g.0.as_str(), g.2.as_slice())).collect();
    let violating = found
        .iter()
        .filter(|f| f.1.contains(&"build-without-sca".to_string()))
        .count();
    assert_eq!(violating, 3, "{found:?}");
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::remove_dir_all(&repo).unwrap();
}

#[test]
fn a_collection_below_the_audit_root_keeps_its_failures() {
    let parent = temp("nested");
    let root = parent.join("2026-12");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/codebuild-projects-001.json"),
        r#"{"projects": [], "projectsNotFound": []}"#,
    );
    let failed = denied(ACCOUNT, Some("eu-west-1"), "codepipeline:ListPipelines");
    manifest(
        &root,
        &finished(
            vec![scope("eu-west-1", vec![failed])],
            vec![denied("222233334444", None, "sts:AssumeRole")],
        ),
    );
    let got = audit(std::slice::from_ref(&parent), Split::Detect);
    let mut incomplete: Vec<&str> = got
        .iter()
        .filter(|g| !g.1.is_empty())
        .map(|g| g.0.as_str())
        .collect();
    incomplete.sort();
    assert_eq!(
        incomplete,
        [
            format!("2026-12/{ACCOUNT}/eu-west-1"),
            "2026-12/222233334444".to_string(),
        ]
    );
    // a folder per workspace, the collection one of them: its failures are its own
    let got = audit(std::slice::from_ref(&parent), Split::PerDir);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.len(), 2, "{got:?}");
    // an account's folder audited alone
    let got = audit(&[root.join(ACCOUNT)], Split::Detect);
    assert!(
        got.iter()
            .any(|g| g.1.iter().any(|p| p.contains("ListPipelines"))),
        "{got:?}"
    );
    std::fs::remove_dir_all(&parent).unwrap();
}

#[test]
fn an_unfinished_or_unreadable_manifest_makes_the_collection_incomplete() {
    let root = temp("unfinished");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/pipelines/app.json"),
        VIOLATING,
    );
    let mut m = finished(vec![scope("eu-west-1", vec![])], vec![]);
    m.finished = None;
    manifest(&root, &m);
    let got = audit(std::slice::from_ref(&root), Split::Detect);
    assert!(
        got.iter()
            .any(|g| g.0 == "." && g.1.iter().any(|p| p.contains("did not finish"))),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|g| g.2.contains(&"build-without-sca".to_string())),
        "{got:?}"
    );
    write(&root, MANIFEST, "{not json");
    let got = audit(std::slice::from_ref(&root), Split::Detect);
    assert!(
        got.iter()
            .any(|g| g.0 == "." && g.1.iter().any(|p| p.contains(MANIFEST))),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|g| g.2.contains(&"build-without-sca".to_string())),
        "{got:?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_region_that_failed_whole_is_missed_by_an_audit_of_its_account_too() {
    let root = temp("account");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/pipelines/app.json"),
        VIOLATING,
    );
    // the failed region's folder holds nothing but an empty pipelines folder
    std::fs::create_dir_all(root.join(ACCOUNT).join("us-east-1/pipelines")).unwrap();
    let failed = denied(ACCOUNT, Some("us-east-1"), "codepipeline:ListPipelines");
    manifest(
        &root,
        &finished(
            vec![scope("eu-west-1", vec![]), scope("us-east-1", vec![failed])],
            vec![],
        ),
    );
    for split in [Split::Detect, Split::PerDir] {
        let got = audit(&[root.join(ACCOUNT)], split);
        let problems: Vec<&String> = got.iter().flat_map(|g| &g.1).collect();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("us-east-1: codepipeline:ListPipelines")),
            "{split:?}: {got:?}"
        );
    }
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_collection_inside_a_checked_folder_keeps_its_failures() {
    // inside a repository, beside a dump folder, and under a plain folder checked whole
    let parent = temp("inside");
    write(&parent, "repo/.git/HEAD", "ref: refs/heads/main\n");
    write(&parent, "team/x.json", VIOLATING);
    for (at, region) in [
        ("repo/sweeps/2026-12", "eu-west-1"),
        ("team/2026-12", "us-east-1"),
    ] {
        let root = parent.join(at);
        write(
            &root,
            &format!("{ACCOUNT}/{region}/pipelines/app.json"),
            VIOLATING,
        );
        let failed = denied(ACCOUNT, Some(region), "codebuild:ListProjects");
        manifest(&root, &finished(vec![scope(region, vec![failed])], vec![]));
    }
    let got = audit(std::slice::from_ref(&parent), Split::Detect);
    for workspace in ["repo", "team"] {
        let w = got
            .iter()
            .find(|g| g.0 == workspace)
            .unwrap_or_else(|| panic!("{got:?}"));
        assert!(
            w.1.iter()
                .any(|p| p.contains("codebuild:ListProjects failed")),
            "{w:?}"
        );
    }
    // a check of the parent, as one workspace
    let report = linter().check_paths(&[&parent]);
    let failures = report
        .errors
        .iter()
        .filter(|e| e.message.contains("codebuild:ListProjects failed"));
    assert_eq!(failures.count(), 2, "{:?}", report.errors);
    std::fs::remove_dir_all(&parent).unwrap();
}

#[test]
fn a_dump_above_the_scopes_is_a_workspace_of_its_own_checked_once() {
    let root = temp("above");
    write(
        &root,
        &format!("{ACCOUNT}/eu-west-1/pipelines/app.json"),
        VIOLATING,
    );
    write(&root, &format!("{ACCOUNT}/stray.json"), VIOLATING);
    manifest(&root, &finished(vec![scope("eu-west-1", vec![])], vec![]));
    let got = audit(std::slice::from_ref(&root), Split::Detect);
    let names: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
    assert_eq!(names, [ACCOUNT.to_string(), format!("{ACCOUNT}/eu-west-1")]);
    // each pipeline once: the account's folder leaves its region out
    assert_eq!(got[0].2, ["build-without-sca"]);
    assert_eq!(got[1].2, ["build-without-sca"]);
    std::fs::remove_dir_all(&root).unwrap();
}
