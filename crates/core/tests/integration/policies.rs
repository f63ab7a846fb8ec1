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

/// The bytecode machine and the interpreter give the same findings on every fixture.
#[test]
fn the_bytecode_machine_agrees_with_the_interpreter_on_every_fixture() {
    let linter = linter();
    let set = linter.policy_set();
    assert_eq!(set.compiled_count(), set.policies().len());
    let mut compared = 0;
    let mut differ = Vec::new();
    let cases = fixtures::cases(&repo_root().join("policies"))
        .into_iter()
        .flat_map(|policy| {
            ["violating", "compliant"]
                .into_iter()
                .flat_map(move |kind| fixtures::cases(&policy.join("fixtures").join(kind)))
        });
    for case in cases {
        let (workspace, _) = linter.model_paths(&[&case]);
        let (machine, reference) = crate::engines::both(set, &workspace);
        let only_machine: Vec<_> = machine.iter().filter(|l| !reference.contains(l)).collect();
        let only_reference: Vec<_> = reference.iter().filter(|l| !machine.contains(l)).collect();
        if machine != reference {
            differ.push(format!(
                "{}\nonly on the machine: {only_machine:#?}\nonly on the interpreter: {only_reference:#?}",
                case.display()
            ));
        }
        compared += usize::from(!reference.is_empty());
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(compared > 10, "only {compared} fixtures with findings");
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

/// What each built-in policy reports on its violating fixtures, in full: message, primary
/// span and label, and every related place with its label. `UPDATE_GOLDEN=1` rewrites
/// `policies/<id>/fixtures/findings.snap`; review the diff like code.
#[test]
fn every_policy_s_findings_match_their_snapshot() {
    let linter = linter();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differ = Vec::new();
    for p in linter.policies() {
        let id = &p.metadata.id;
        let dir = repo_root().join("policies").join(id).join("fixtures");
        let only = linter.only(id).unwrap();
        let mut text = String::new();
        for case in fixtures::cases(&dir.join("violating")) {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let prefix = format!("{}/", stagegate::source::display_path(&case));
            let rel = |path: &str| path.strip_prefix(&prefix).unwrap_or(path).to_string();
            // messages name files as displayed: relative to the case, as on any machine
            let words = |text: &str| text.replace(&prefix, "");
            let report = only.check_paths(&[&case]);
            text.push_str(&format!("== violating/{name}\n"));
            for v in report.violations.iter().filter(|v| &v.policy == id) {
                let l = &v.location;
                text.push_str(&format!(
                    "{}:{}:{}-{}:{} {}: {}\n",
                    rel(&l.path),
                    l.line,
                    l.column,
                    l.end_line,
                    l.end_column,
                    v.severity.as_str(),
                    words(&v.message)
                ));
                if let Some(label) = &v.label {
                    text.push_str(&format!("  label: {}\n", words(label)));
                }
                for r in &v.related {
                    let l = &r.location;
                    text.push_str(&format!(
                        "  related {}:{}:{}: {}\n",
                        rel(&l.path),
                        l.line,
                        l.column,
                        words(&r.message)
                    ));
                }
            }
        }
        let path = dir.join("findings.snap");
        if update {
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            differ.push(format!(
                "{id}: --- expected {}\n--- got\n{text}",
                path.display()
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "findings differ from their snapshots (UPDATE_GOLDEN=1 to accept):\n{}",
        differ.join("\n")
    );
}

/// The secret-name default the secret policies declare in METADATA is the one the model
/// applies, so `stagegate explain` and governance checks describe what runs.
#[test]
fn the_declared_secret_name_default_is_the_model_s() {
    let linter = linter();
    for id in ["buildspec-plaintext-secret", "codebuild-plaintext-secret"] {
        let params = linter.policy_set().parameters(id);
        let (_, default) = params
            .iter()
            .find(|(k, _)| k == "secret_name_pattern")
            .unwrap_or_else(|| panic!("{id} declares secret_name_pattern"));
        assert_eq!(
            default,
            &serde_json::to_string(stagegate::model::DEFAULT_SECRET_NAME_PATTERN).unwrap(),
            "{id}"
        );
    }
}

/// The README's table of built-in policies lists each loaded policy once, with the
/// severity and waivability its METADATA declares.
#[test]
fn the_readme_policy_table_is_the_loaded_pack() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut rows: Vec<(String, String, String)> = readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let id = cells.first()?.strip_prefix("| `")?.strip_suffix('`')?;
            Some((
                id.to_string(),
                (*cells.get(1)?).to_string(),
                (*cells.get(2)?).to_string(),
            ))
        })
        .collect();
    rows.sort();
    let mut loaded: Vec<(String, String, String)> = linter()
        .policies()
        .iter()
        .map(|p| {
            let m = &p.metadata;
            let waivable = if m.waivable { "yes" } else { "no" };
            (
                m.id.clone(),
                m.severity.as_str().to_string(),
                waivable.to_string(),
            )
        })
        .collect();
    loaded.sort();
    assert_eq!(rows, loaded, "README's built-in policy table");
}
