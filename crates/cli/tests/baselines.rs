//! Baselines: one fingerprint for `check` and `audit`, that names what a finding is about,
//! so a report of either is a baseline for both and no new finding hides behind an old one.

use std::path::{Path, PathBuf};
use std::process::Output;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CI")
        .output()
        .unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
}

/// A sweep folder `parent/` holding the violating seed as `parent/<name>/`.
fn workspace(tag: &str, name: &str) -> (PathBuf, PathBuf) {
    let parent =
        std::env::temp_dir().join(format!("stagegate-baseline-{tag}-{}", std::process::id()));
    let repo = parent.join(name);
    let _ = std::fs::remove_dir_all(&parent);
    std::fs::create_dir_all(&repo).unwrap();
    let seed = repo_root().join("fixtures/e2e/seed-violating");
    for file in ["pipeline.yaml", "buildspec.yaml"] {
        std::fs::copy(seed.join(file), repo.join(file)).unwrap();
    }
    (parent, repo)
}

#[test]
fn a_check_report_is_a_baseline_for_check_and_for_audit() {
    let (parent, repo) = workspace("both", "app");
    let base = run(&repo, &["check", "--format", "json", "."]);
    assert_eq!(base.status.code(), Some(1));
    let base_json = json(&base);
    assert_eq!(base_json["target"], "app");
    assert!(!base_json["findings"].as_array().unwrap().is_empty());
    let base_file = parent.join("base.json");
    std::fs::write(&base_file, &base.stdout).unwrap();
    let b = base_file.to_str().unwrap();

    let again = run(&repo, &["check", "--format", "json", "--baseline", b, "."]);
    assert_eq!(again.status.code(), Some(0), "every finding is known");
    let again = json(&again);
    assert_eq!(again["findings"].as_array().unwrap().len(), 0);
    let known = again["waived"].as_array().unwrap();
    assert_eq!(known.len(), base_json["findings"].as_array().unwrap().len());
    assert!(known.iter().all(|f| f["suppression"]["kind"] == "baseline"));
    let notes: Vec<&str> = again["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"].as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("known finding(s)") && n.contains("non-waivable")),
        "the run says the baseline hid governance findings: {notes:?}"
    );
    assert!(!notes.iter().any(|n| n.contains("fixed")), "{notes:?}");

    let p = parent.to_str().unwrap();
    let sweep = run(
        &repo_root(),
        &[
            "audit",
            "--workspace-per-dir",
            "--format",
            "json",
            "--baseline",
            b,
            p,
        ],
    );
    assert_eq!(sweep.status.code(), Some(0));
    let sweep = json(&sweep);
    assert_eq!(sweep["summary"]["baseline"]["new"], 0, "{sweep:#}");
    assert_eq!(sweep["summary"]["baseline"]["fixed"], serde_json::json!([]));
    // and the sweep's own report is a baseline for the check
    let sweep_file = parent.join("sweep.json");
    std::fs::write(&sweep_file, serde_json::to_vec(&sweep).unwrap()).unwrap();
    let from_sweep = run(
        &repo,
        &["check", "--baseline", sweep_file.to_str().unwrap(), "."],
    );
    assert_eq!(from_sweep.status.code(), Some(0));
}

#[test]
fn a_new_build_in_a_baselined_build_s_place_is_new() {
    let (parent, repo) = workspace("replace", "app");
    let base = run(&repo, &["check", "--format", "json", "."]);
    let base_file = parent.join("base.json");
    std::fs::write(&base_file, &base.stdout).unwrap();
    // the same index, the same lines: only the action's name differs
    let pipeline = repo.join("pipeline.yaml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    assert!(text.contains("- Name: BuildAndTest"));
    std::fs::write(
        &pipeline,
        text.replace("- Name: BuildAndTest", "- Name: BuildAndShip"),
    )
    .unwrap();
    let o = run(
        &repo,
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            base_file.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "the new build's finding is not the old one's"
    );
    let new: Vec<String> = json(&o)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(new.iter().any(|m| m.contains("BuildAndShip")), "{new:#?}");
}

#[test]
fn two_roots_with_one_folder_name_do_not_share_fingerprints() {
    let (a, _) = workspace("root-a", "app");
    let (b, _) = workspace("root-b", "app");
    // both roots end in the same folder name
    let (ra, rb) = (a.join("accounts"), b.join("accounts"));
    std::fs::create_dir_all(&ra).unwrap();
    std::fs::create_dir_all(&rb).unwrap();
    std::fs::rename(a.join("app"), ra.join("app")).unwrap();
    std::fs::rename(b.join("app"), rb.join("app")).unwrap();
    let (pa, pb) = (ra.to_str().unwrap(), rb.to_str().unwrap());
    let only_a = run(
        &repo_root(),
        &["audit", "--workspace-per-dir", "--format", "json", pa],
    );
    let base_file = a.join("base.json");
    std::fs::write(&base_file, &only_a.stdout).unwrap();
    let o = run(
        &repo_root(),
        &[
            "audit",
            "--workspace-per-dir",
            "--format",
            "json",
            "--baseline",
            base_file.to_str().unwrap(),
            pa,
            pb,
        ],
    );
    let v = json(&o);
    let names: Vec<&str> = v["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["target"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1], "target names are unique in a sweep");
    assert_eq!(o.status.code(), Some(1), "root B's findings are new");
    assert!(v["summary"]["baseline"]["new"].as_u64().unwrap() > 0);
}
