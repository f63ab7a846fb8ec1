//! Hostile and broken input: each case is a located problem (or works, for BOM and CRLF),
//! and the other files of the same run are still checked.

use crate::expect::repo_root;
use stagegate::{Linter, Report};
use std::path::{Path, PathBuf};

fn linter() -> Linter {
    Linter::builder()
        .builtin_policies()
        .select(["build-without-sca"])
        .build()
        .unwrap()
}

/// Checks `bad` together with a known-violating fixture, asserts the fixture's two
/// build-without-sca findings are still there, and returns the report.
fn with_good(bad: &Path) -> Report {
    let good = repo_root().join("fixtures/e2e/seed-violating");
    let report = linter().check_paths(&[bad, &good]);
    assert_eq!(
        report
            .violations
            .iter()
            .filter(|v| v.location.path.ends_with("seed-violating/pipeline.yaml"))
            .count(),
        1,
        "{}: the good workspace was not fully checked: {:#?}",
        bad.display(),
        report.violations
    );
    report
}

fn assert_problem(report: &Report, file: &str, message: &str, line: usize, column: usize) {
    let p = report
        .errors
        .iter()
        .find(|e| e.message.contains(message))
        .unwrap_or_else(|| {
            panic!(
                "{file}: no problem containing {message:?}: {:#?}",
                report.errors
            )
        });
    let loc = p
        .location
        .as_ref()
        .unwrap_or_else(|| panic!("{file}: problem without location"));
    assert!(loc.path.ends_with(file), "{} vs {file}", loc.path);
    assert_eq!((loc.line, loc.column), (line, column), "{file}: {message}");
}

#[test]
fn hostile_fixtures_are_located_problems() {
    let dir = repo_root().join("fixtures/hostile");
    let cases: &[(&str, &str, usize, usize)] = &[
        ("alias-bomb.yaml", "YAML bomb", 6, 12),
        (
            "alias-byte-bomb.template.yaml",
            "bytes (a YAML bomb?)",
            8,
            12,
        ),
        ("duplicate-keys.template.yaml", "duplicate key `Name`", 6, 7),
        (
            "env-vars-not-json.template.yaml",
            "`EnvironmentVariables` is not valid JSON",
            12,
            39,
        ),
        (
            "inline-buildspec-invalid.template.yaml",
            "inline buildspec does not parse",
            14,
            16,
        ),
        (
            "runorder-0.template.yaml",
            "`RunOrder` must be an integer from 1 to 999, got `0`",
            10,
            25,
        ),
        ("runorder-10000.template.yaml", "got `10000`", 10, 25),
        ("runorder-abc.template.yaml", "got `abc`", 10, 25),
        (
            "stages-string.json",
            "`stages` must be a list of stages",
            5,
            15,
        ),
        ("tabs-buildspec.yml", "tabs", 4, 2),
        ("truncated.json", "unexpected end of JSON input", 5, 1),
        ("truncated.template.yaml", "unexpected end of stream", 4, 24),
        ("unknown-tag.template.yaml", "unknown tag `!Reff`", 5, 13),
        (
            "buildspec-list/buildspec.yml",
            "a buildspec must be a mapping",
            1,
            1,
        ),
        (
            "buildspec-scalar/buildspec.yml",
            "a buildspec must be a mapping",
            1,
            1,
        ),
    ];
    for (file, message, line, column) in cases {
        let report = with_good(&dir.join(file));
        assert_problem(&report, file, message, *line, *column);
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stagegate-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn generated_hostile_files_are_located_problems() {
    let dir = temp("generated");
    let deep_json = dir.join("deep.json");
    std::fs::write(&deep_json, "[".repeat(100_000)).unwrap();
    let deep_yaml = dir.join("deep.template.yaml");
    std::fs::write(&deep_yaml, format!("Resources: {}", "[".repeat(100_000))).unwrap();
    let utf8 = dir.join("buildspec.yml");
    std::fs::write(
        &utf8,
        b"version: 0.2\nphases:\n  build:\n    commands: [\"caf\xe9\"]\n",
    )
    .unwrap();
    let nul = dir.join("nul.template.yaml");
    std::fs::write(&nul, "Resources:\n  A: \0\n").unwrap();
    let big = dir.join("big.template.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();

    let report = with_good(&deep_json);
    assert_problem(&report, "deep.json", "nesting deeper than", 1, 202);
    let report = with_good(&deep_yaml);
    assert_problem(&report, "deep.template.yaml", "recursion limit", 1, 267);
    let report = with_good(&utf8);
    assert_problem(&report, "buildspec.yml", "not valid UTF-8", 4, 20);
    let report = with_good(&nul);
    assert!(!report.errors.is_empty(), "NUL byte accepted");
    let report = with_good(&big);
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.message.contains("byte limit")),
        "{:#?}",
        report.errors
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bom_and_crlf_just_work_with_correct_columns() {
    let text = "\u{feff}Resources:\r\n  Pipeline:\r\n    Type: AWS::CodePipeline::Pipeline\r\n    Properties:\r\n      Stages:\r\n        - Name: Build\r\n          Actions:\r\n            - Name: Build\r\n              ActionTypeId: {Category: Build}\r\n";
    let report = linter().check_sources([("crlf.yaml", text)]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let v = &report.violations[0];
    assert_eq!(
        (v.location.line, v.location.column, v.location.end_line),
        (8, 15, 9)
    );
}

#[test]
fn empty_files_are_skipped_with_a_note() {
    let report = linter().check_sources([("buildspec.yml", "")]);
    assert!(report.errors.is_empty());
    assert_eq!(report.notes[0].message, "empty file; skipped");
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang_the_walk() {
    let dir = temp("loop");
    std::os::unix::fs::symlink(&dir, dir.join("self")).ok();
    std::fs::write(dir.join("buildspec.yml"), "version: 0.2\nphases: {}\n").unwrap();
    let report = linter().check_paths(&[&dir]);
    assert_eq!(report.summary.files, 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn fuzz_seed_corpus_replays_without_panics() {
    let dir = repo_root().join("fuzz/corpus");
    let linter = linter();
    let mut replayed = 0;
    for target in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        for file in std::fs::read_dir(target.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let bytes = std::fs::read(file.path()).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for name in ["pipeline.yaml", "p.json", "buildspec.yml"] {
                let report = linter.check_sources([(name, text.as_ref())]);
                for v in &report.violations {
                    assert!(v.location.span.end <= report.sources[&v.location.path].text.len());
                }
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 3, "no fuzz seeds found in {}", dir.display());
}

/// A pipeline of `stages` stages (after the source) of `actions` actions, every other one a
/// verified SCA gate, all in parallel: the square case for the ordering policies.
fn wide_pipeline(stages: usize, actions: usize) -> String {
    let mut text = String::from(
        "Resources:
  Gate:
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
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      Stages:
        - Name: Source
          Actions:
            - Name: Source
              ActionTypeId: {Category: Source, Owner: AWS, Provider: S3, Version: 1}
              OutputArtifacts: [{Name: Src}]
",
    );
    for s in 0..stages {
        text.push_str(&format!("        - Name: S{s}\n          Actions:\n"));
        for a in 0..actions {
            let (name, category, project) = if a % 2 == 0 {
                ("Sca", "Test", "!Ref Gate")
            } else {
                ("Build", "Build", "app-build")
            };
            text.push_str(&format!(
                "            - Name: {name}{a}\n              ActionTypeId: {{Category: {category}, Owner: AWS, Provider: CodeBuild, Version: 1}}\n              Configuration: {{ProjectName: {project}}}\n              InputArtifacts: [{{Name: Src}}]\n"
            ));
        }
    }
    text
}

#[test]
fn a_pipeline_at_the_quotas_is_checked_with_bounded_findings() {
    let report = Linter::builder()
        .builtin_policies()
        .build()
        .unwrap()
        .check_sources([("wide.template.yaml", wide_pipeline(49, 50).as_str())]);
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    let builds: Vec<_> = report
        .violations
        .iter()
        .filter(|v| v.policy == "build-without-sca")
        .collect();
    // the first stage's builds run beside its gates; later ones follow the first stage's
    assert_eq!(builds.len(), 25);
    // ten gates named, each with its evidence (its project, its command), not all 1,225
    assert!(
        builds.iter().all(|v| v.related.len() <= 30),
        "related places are capped"
    );
}

#[test]
fn a_stage_over_the_quota_is_a_located_error() {
    let text = wide_pipeline(1, 51);
    let report = linter().check_sources([("wide.template.yaml", text.as_str())]);
    let e = report
        .errors
        .iter()
        .find(|e| e.message.contains("at most 50 actions"))
        .expect("quota error");
    // the 51st action
    let line = text
        .lines()
        .position(|l| l.contains("- Name: Sca50"))
        .unwrap()
        + 1;
    assert_eq!(e.location.as_ref().unwrap().line, line);
}
