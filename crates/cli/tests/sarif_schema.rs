//! SARIF output against the SARIF 2.1.0 JSON Schema in `../shared/schemas` (read in place).
//! Skips, saying so, on a fresh clone without `../shared`.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let schema_path = root.join("../shared/schemas/sarif-2.1.0.json");
    let Ok(schema_text) = std::fs::read_to_string(&schema_path) else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED sarif schema test: {} not found (needs ../shared beside the clone)",
            schema_path.display()
        );
        return;
    };
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args([
            "check",
            "--format",
            "sarif",
            "fixtures/e2e/seed-violating",
            "fixtures/e2e/cdk",
            "fixtures/hostile/truncated.json",
            "policies/buildspec-plaintext-secret/fixtures/violating/repo-file",
        ])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 5);
    assert!(results.iter().any(|r| r["relatedLocations"]
        .as_array()
        .is_some_and(|l| !l.is_empty())));
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path().as_str()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(rules
        .iter()
        .all(|r| r["properties"]["security-severity"].is_string() && r["helpUri"].is_string()));
}
