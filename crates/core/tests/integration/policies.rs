//! The built-in pack: each policy's fixtures (linted with only that policy), its Rego
//! tests, and the catalogue rules every policy folder follows.

use crate::expect::repo_root;
use stagegate::fixtures;
use stagegate::Linter;

fn linter() -> Linter {
    Linter::builder().builtin_policies().build().unwrap()
}

#[test]
fn every_policy_fires_on_its_marks_and_only_there() {
    let (outcomes, without) = fixtures::run(&linter(), &repo_root().join("policies"));
    assert!(without.is_empty(), "policies without fixtures: {without:?}");
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for p in linter().policies() {
        let id = &p.metadata.id;
        let of = |kind: &str| {
            outcomes
                .iter()
                .filter(|o| &o.policy == id && o.case.starts_with(kind))
                .count()
        };
        assert!(of("violating/") >= 1, "{id}: no violating fixture");
        assert!(of("compliant/") >= 1, "{id}: no compliant fixture");
    }
}

#[test]
fn rego_unit_tests_pass_for_every_policy() {
    let linter = linter();
    let results = linter.policy_set().run_tests().unwrap();
    let failed: Vec<_> = results.iter().filter(|t| t.result.is_err()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    for p in linter.policies() {
        let id = &p.metadata.id;
        let tests = results
            .iter()
            .filter(|t| t.name.starts_with(&format!("policies/{id}/")))
            .count();
        assert!(tests >= 2, "{id}: only {tests} Rego tests");
    }
}

#[test]
fn catalogue_metadata_is_complete_and_ids_match_folders() {
    let linter = linter();
    let mut ids = std::collections::BTreeSet::new();
    for p in linter.policies() {
        let m = &p.metadata;
        assert!(ids.insert(m.id.clone()), "duplicate id {}", m.id);
        assert_eq!(
            p.package,
            format!("stagegate.policies.{}", m.id.replace('-', "_"))
        );
        assert!(repo_root()
            .join("policies")
            .join(&m.id)
            .join("policy.rego")
            .is_file());
        assert!(!m.related_resources.is_empty(), "{}: no links", m.id);
        assert!(
            m.remediation.contains("Before") && m.remediation.contains("After"),
            "{}: remediation needs a before/after",
            m.id
        );
    }
    // every folder with a policy.rego is loaded
    for entry in std::fs::read_dir(repo_root().join("policies"))
        .unwrap()
        .filter_map(Result::ok)
    {
        if entry.path().join("policy.rego").is_file() {
            let name = entry.file_name().to_string_lossy().to_string();
            assert!(
                ids.contains(&name),
                "policies/{name} is not in the built-in pack"
            );
        }
    }
    assert!(ids.len() >= 13, "{ids:?}");
}

#[test]
fn a_broken_policy_folder_is_a_located_error() {
    let dir = std::env::temp_dir().join(format!("stagegate-broken-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    std::fs::write(
        dir.join("broken/policy.rego"),
        "# METADATA\n# title: t\n# description: d\n# custom:\n#   id: broken\n#   severity: fatal\n#   remediation: r\npackage stagegate.policies.broken\n",
    )
    .unwrap();
    let err = Linter::builder()
        .policy_dir(&dir)
        .unwrap()
        .build()
        .unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    let text = err.to_string();
    assert!(text.contains("policy.rego:6:"), "{text}");
    assert!(text.contains("fatal"), "{text}");
}
