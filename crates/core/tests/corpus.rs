//! The real public samples in `../shared/corpus` (read in place, never copied): every
//! YAML/JSON file parses or is skipped with a clear reason, and the known pipelines link
//! their actions to their projects. Skips, saying so, when `../shared` is absent (a fresh
//! clone); CI has it.

use stagegate::Linter;

#[path = "common/engines.rs"]
mod engines;
use std::io::Write as _;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir.canonicalize().ok()?)
    } else {
        // written straight to stderr so that the test harness does not swallow it
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED corpus test: {} not found (the corpus tests need ../shared beside the clone)",
            dir.display()
        );
        None
    }
}

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

#[test]
fn every_corpus_file_parses_or_is_skipped_with_a_reason() {
    let Some(dir) = corpus() else { return };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    files.sort();
    let linter = linter();
    let mut inputs = 0;
    for file in &files {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "tf" {
            // every Terraform file parses, and each declares a pipeline or a project
            let report = linter.check_paths(&[file]);
            let name = file.strip_prefix(&dir).unwrap().display();
            assert_eq!(report.summary.files, 1, "{name}: {:#?}", report.errors);
            assert!(
                report
                    .errors
                    .iter()
                    .all(|e| !e.message.contains("invalid HCL")),
                "{name}: {:#?}",
                report.errors
            );
            inputs += 1;
            continue;
        }
        if !matches!(ext, "yml" | "yaml" | "json") {
            // documentation pages and TypeScript are not inputs: the walk skips them
            let walked = linter.check_paths(&[file.parent().unwrap()]);
            assert!(!walked
                .sources
                .keys()
                .any(|k| k.ends_with(&*file.file_name().unwrap().to_string_lossy())));
            continue;
        }
        let report = linter.check_paths(&[file]);
        let name = file.strip_prefix(&dir).unwrap().display();
        if report.summary.files == 1 {
            inputs += 1;
            assert!(report.errors.is_empty(), "{name}: {:#?}", report.errors);
        } else {
            // named on the command line, a file that is no input fails the check, saying why
            assert_eq!(
                report.errors.len(),
                1,
                "{name}: neither checked nor refused with a reason"
            );
            assert!(report.errors[0].message.contains("not a pipeline"));
        }
    }
    assert!(
        inputs >= 17,
        "only {inputs} corpus files were recognised as inputs"
    );
}

#[test]
fn corpus_pipelines_link_actions_to_projects() {
    let Some(dir) = corpus() else { return };
    let linter = linter();
    let cases: &[(&str, &str, &str)] = &[
        // (file, action, expected project key suffix)
        (
            "cfn-pipeline-yaml/ecs-refarch-deployment-pipeline.yaml",
            "Build",
            ":CodeBuildProject",
        ),
        (
            "cfn-pipeline-yaml/codebuild-samples-continuous-deployment.yml",
            "Build",
            ":CodeBuildProject",
        ),
        (
            "cdk-synth/barrokgl-cdkv1-pipeline.template.json",
            "Synth",
            ":PipelineBuildSynthCdkBuildProject6BEFA8E6",
        ),
    ];
    for (file, action_name, key_suffix) in cases {
        let (ws, report) = linter.model_paths(&[dir.join(file)]);
        assert!(report.errors.is_empty(), "{file}: {:#?}", report.errors);
        let actions: Vec<_> = ws
            .pipelines
            .iter()
            .flat_map(|p| &p.stages)
            .flat_map(|s| &s.actions)
            .collect();
        let action = actions
            .iter()
            .find(|a| a.name == *action_name && a.provider == "CodeBuild")
            .unwrap_or_else(|| panic!("{file}: no CodeBuild action {action_name}"));
        let key = action
            .project
            .as_deref()
            .unwrap_or_else(|| panic!("{file}: {action_name} not linked"));
        assert!(key.ends_with(key_suffix), "{file}: linked to {key}");
    }
}

#[test]
fn cross_stack_import_stays_visibly_unresolved() {
    let Some(dir) = corpus() else { return };
    let (ws, _) =
        linter().model_paths(&[dir.join("cfn-pipeline-yaml/awscfn-templates-codepipeline.yaml")]);
    let codebuild: Vec<_> = ws
        .pipelines
        .iter()
        .flat_map(|p| &p.stages)
        .flat_map(|s| &s.actions)
        .filter(|a| a.provider == "CodeBuild")
        .collect();
    assert!(!codebuild.is_empty());
    for a in codebuild {
        assert!(a.project.is_none());
        assert!(
            a.project_name
                .as_deref()
                .unwrap_or("")
                .contains("ImportValue"),
            "{:?}",
            a.project_name
        );
        assert!(
            a.project_unresolved
                .as_deref()
                .unwrap_or("")
                .contains("imported from another stack"),
            "{:?}",
            a.project_unresolved
        );
    }
}

#[test]
fn inline_block_scalar_buildspec_in_corpus_is_modelled_with_outer_lines() {
    let Some(dir) = corpus() else { return };
    let file = dir.join("cfn-pipeline-yaml/ecs-refarch-deployment-pipeline.yaml");
    let (ws, _) = linter().model_paths(&[&file]);
    let inline: Vec<_> = ws
        .buildspecs
        .values()
        .filter(|b| b.owner == "platform")
        .collect();
    assert_eq!(inline.len(), 1);
    assert!(!inline[0].commands.is_empty());
    assert!(inline[0].commands[0].source.path.contains("#/phases/"));
}

/// The bytecode machine and the interpreter give the same findings on every real sample,
/// each folder of the corpus taken as one workspace.
#[test]
fn the_bytecode_machine_agrees_with_the_interpreter_on_the_corpus() {
    let Some(dir) = corpus() else { return };
    let linter = linter();
    let set = linter.policy_set();
    let mut folders = vec![dir.clone()];
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
                folders.push(e.path());
            }
        }
    }
    let mut with_findings = 0;
    for folder in &folders {
        let (workspace, _) = linter.model_paths(&[folder]);
        let (machine, reference) = engines::both(set, &workspace);
        assert_eq!(machine, reference, "{}", folder.display());
        with_findings += usize::from(!machine.is_empty());
    }
    assert!(
        with_findings > 0,
        "no corpus folder has a finding to compare"
    );
}

/// The block-subset YAML reader builds the same trees as saphyr-parser on every real
/// sample it takes, and takes none that saphyr-parser rejects.
#[test]
fn the_block_yaml_reader_agrees_with_saphyr_on_the_corpus() {
    let Some(dir) = corpus() else { return };
    let mut stack = vec![dir];
    let (mut taken, mut yaml) = (0, 0);
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) {
                continue;
            }
            yaml += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let (block, full) = stagegate::parse::yaml_readers(text.trim_start_matches('\u{feff}'));
            match (block, full) {
                (Some(block), Ok(full)) => {
                    assert_eq!(block, full, "{}", path.display());
                    taken += 1;
                }
                (Some(_), Err(e)) => {
                    panic!("{} is invalid ({}) but taken", path.display(), e.message)
                }
                (None, _) => {}
            }
        }
    }
    assert!(
        taken * 2 > yaml,
        "only {taken} of {yaml} corpus YAML files taken"
    );
}
