//! Each policy's fixtures, linted with only that policy: violating folders must produce
//! exactly their marks, compliant folders nothing.

use crate::expect::{cases, check_case, expected, repo_root};
use stagegate::Linter;

#[test]
fn every_policy_fires_on_its_marks_and_only_there() {
    let policies_dir = repo_root().join("policies");
    let linter = Linter::builder().builtin_policies().build().unwrap();
    let mut checked = 0;
    for policy in linter.policies() {
        let id = &policy.metadata.id;
        let only = Linter::builder()
            .builtin_policies()
            .select([id.clone()])
            .build()
            .unwrap();
        let fixtures = policies_dir.join(id).join("fixtures");
        let violating = cases(&fixtures.join("violating"));
        let compliant = cases(&fixtures.join("compliant"));
        assert!(!violating.is_empty(), "{id}: no violating fixture");
        assert!(!compliant.is_empty(), "{id}: no compliant fixture");
        for case in &violating {
            assert!(
                !expected(case).is_empty(),
                "{}: violating fixture without marks",
                case.display()
            );
            check_case(&only.check_paths(&[case]), case);
            checked += 1;
        }
        for case in &compliant {
            assert!(
                expected(case).is_empty(),
                "{}: compliant fixture with marks",
                case.display()
            );
            check_case(&only.check_paths(&[case]), case);
            checked += 1;
        }
    }
    assert!(checked >= 4);
}

#[test]
fn rego_unit_tests_pass() {
    let linter = Linter::builder().builtin_policies().build().unwrap();
    let results = linter.policy_set().run_tests().unwrap();
    assert!(results.len() >= 5, "too few Rego tests found: {results:?}");
    let failed: Vec<_> = results.iter().filter(|t| t.result.is_err()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn catalogue_metadata_is_complete_and_ids_match_folders() {
    let linter = Linter::builder().builtin_policies().build().unwrap();
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
    assert!(ids.contains("build-without-sca") && ids.contains("locked-buildspec-not-inline"));
}
