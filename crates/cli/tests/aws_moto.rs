//! Live sweeps against moto's server, a real AWS API stand-in: an organization of two
//! member accounts (and a closed one), each with the seed's pipeline compliant in one
//! region and violating in the other (crates/aws/tests/moto/seed.py).
//!
//! moto comes from a virtual environment: `target/moto-venv`, or the one
//! `STAGEGATE_MOTO_VENV` names. Without it these tests say they skipped; under CI they
//! fail, since `.ci/run` installs it.
#![cfg(feature = "aws")]

use serde_json::Value as Json;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const ROLE: &str = "OrganizationAccountAccessRole";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv() -> Option<PathBuf> {
    let dir = std::env::var_os("STAGEGATE_MOTO_VENV")
        .map_or_else(|| workspace().join("target/moto-venv"), PathBuf::from);
    if dir.join("bin/moto_server").is_file() && dir.join("bin/python").is_file() {
        return Some(dir);
    }
    let how = "python3 -m venv target/moto-venv && \
               target/moto-venv/bin/pip install -r crates/aws/tests/moto/requirements.txt";
    assert!(
        std::env::var_os("CI").is_none(),
        "moto is missing under CI ({}): .ci/run installs it with `{how}`",
        dir.display()
    );
    // written straight to stderr so that the test harness does not swallow it
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED moto test: moto is not installed in {} ({how})",
        dir.display()
    );
    None
}

/// A moto server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
    venv: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    fn start() -> Option<Moto> {
        let venv = venv()?;
        let mut child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto_server");
        // the server names its port on standard error; the rest is drained so it never
        // blocks on a full pipe
        let stderr = child.stderr.take().expect("piped stderr");
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("Running on http://127.0.0.1:") {
                    let _ = send.send(line[at + "Running on ".len()..].trim().to_string());
                }
            }
        });
        let endpoint = receive
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("moto_server names its port within 30 s");
        Some(Moto {
            child,
            endpoint,
            venv,
        })
    }

    /// Seeds the organization; returns what seed.py printed.
    fn seed(&self, extra: &[&str]) -> Json {
        let out = Command::new(self.venv.join("bin/python"))
            .arg(workspace().join("crates/aws/tests/moto/seed.py"))
            .args(["--endpoint", &self.endpoint, "--fixtures"])
            .arg(workspace().join("fixtures/e2e"))
            .args(extra)
            .output()
            .expect("run seed.py");
        assert!(
            out.status.success(),
            "seed.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("seed.py prints JSON")
    }

    /// Runs stagegate with credentials `(key, secret)` against this server alone.
    fn stagegate(&self, keys: (&str, &str), args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", keys.0)
            .env("AWS_SECRET_ACCESS_KEY", keys.1)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_DEFAULT_REGION")
            .output()
            .expect("run stagegate")
    }
}

const TESTING: (&str, &str) = ("testing", "testing");

/// The keys of the user the seed made for sweeps under IAM enforcement.
fn sweeper(seeded: &Json) -> (&str, &str) {
    let key = |k: &str| seeded["sweeper"][k].as_str().unwrap();
    (key("access_key_id"), key("secret_access_key"))
}

/// The id of the seeded account of that name.
fn account_id(seeded: &Json, name: &str) -> String {
    let accounts = seeded["accounts"].as_array().unwrap();
    let account = accounts.iter().find(|a| a["name"] == name).unwrap();
    account["id"].as_str().unwrap().to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stagegate-moto-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every finding of an audit JSON report as (workspace, policy, file below the workspace,
/// the text of its line), and the ARN it names.
fn findings(report: &[u8], collection: &Path) -> Vec<(String, String, String, String, String)> {
    let report: Json = serde_json::from_slice(report).expect("JSON report");
    let mut out = Vec::new();
    for w in report["workspaces"].as_array().expect("workspaces") {
        let target = w["target"].as_str().unwrap().to_string();
        for f in w["findings"].as_array().unwrap() {
            let path = PathBuf::from(f["location"]["path"].as_str().unwrap());
            let line = f["location"]["line"].as_u64().unwrap() as usize;
            let text = std::fs::read_to_string(&path).unwrap();
            let below = path
                .strip_prefix(collection.join(&target))
                .unwrap_or_else(|_| panic!("{} is in its workspace", path.display()))
                .display()
                .to_string();
            out.push((
                target.clone(),
                f["policy"].as_str().unwrap().to_string(),
                below,
                text.lines().nth(line - 1).unwrap().trim().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    out.sort();
    out
}

/// What the seed makes violating, per scope: the policy, the dump, its line, the ARN.
fn expected(seeded: &Json) -> Vec<(String, String, String, String, String)> {
    let mut out = Vec::new();
    for s in seeded["seeded"].as_array().unwrap() {
        if s["kind"] != "violating" {
            continue;
        }
        let (account, region) = (
            s["account"].as_str().unwrap(),
            s["region"].as_str().unwrap(),
        );
        let target = format!("{account}/{region}");
        let pipeline = format!("arn:aws:codepipeline:{region}:{account}:app-pipeline");
        let project = format!("arn:aws:codebuild:{region}:{account}:project/platform-sca");
        let dump = "pipelines/app-pipeline.json".to_string();
        for (policy, file, line, arn) in [
            (
                "build-without-sca",
                &dump,
                r#""name": "BuildAndTest","#,
                &pipeline,
            ),
            (
                "deploy-without-gate",
                &dump,
                r#""name": "DeployApp","#,
                &pipeline,
            ),
            (
                "locked-buildspec-not-inline",
                &"codebuild-projects-001.json".to_string(),
                r#""buildspec": "buildspec-sca.yml","#,
                &project,
            ),
        ] {
            out.push((
                target.clone(),
                policy.to_string(),
                file.clone(),
                line.to_string(),
                arn.clone(),
            ));
        }
    }
    out.sort();
    out
}

/// `command`, sweeping the seeded organization in both regions through the access role.
fn org_sweep<'a>(command: &[&'a str]) -> Vec<&'a str> {
    let mut args = command.to_vec();
    args.extend([
        "--org",
        "--role-name",
        ROLE,
        "--regions",
        "us-east-1,eu-west-1",
    ]);
    args
}

/// `audit --aws` of the seeded organization as JSON, collecting into `dir`.
fn json_audit(dir: &str) -> Vec<&str> {
    org_sweep(&["audit", "--aws", "--format", "json", "--collect-dir", dir])
}

#[test]
fn an_organization_sweep_finds_exactly_the_seeded_violations_at_their_dump_lines() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&[]);
    let dir = temp("audit");
    let dir_arg = dir.to_str().unwrap();
    let args = json_audit(dir_arg);
    let out = moto.stagegate(TESTING, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings exit 1: {stderr}");
    assert_eq!(findings(&out.stdout, &dir), expected(&seeded), "{stderr}");

    // every ACTIVE account, the management one too, in both regions; the closed one not
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let mut targets: Vec<&str> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["target"].as_str().unwrap())
        .collect();
    targets.sort();
    let mut want = Vec::new();
    for a in seeded["accounts"].as_array().unwrap() {
        if a["status"] == "ACTIVE" {
            for r in ["eu-west-1", "us-east-1"] {
                want.push(format!("{}/{r}", a["id"].as_str().unwrap()));
            }
        }
    }
    want.sort();
    assert_eq!(targets, want);
    assert_eq!(report["targets"], want.len());
    assert_eq!(report["summary"]["incomplete_workspaces"], 0);
    let closed = seeded["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] != "ACTIVE")
        .unwrap();
    assert!(
        stderr.contains(&format!(
            "skipped account {}: SUSPENDED",
            closed["id"].as_str().unwrap()
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn collect_then_audit_gives_the_same_findings_and_keeps_the_dumps_private() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&[]);
    let dir = temp("collect");
    let dir_arg = dir.to_str().unwrap();
    let args = org_sweep(&["collect", "aws", "--output", dir_arg]);
    let out = moto.stagegate(TESTING, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a whole collection exits 0: {stderr}"
    );
    assert!(stderr.contains("readable by you alone"), "{stderr}");

    let manifest: Json = serde_json::from_str(
        &std::fs::read_to_string(dir.join("stagegate-collection.json")).unwrap(),
    )
    .unwrap();
    assert!(manifest["finished"].is_string());
    assert_eq!(manifest["failures"], Json::Array(Vec::new()));
    assert_eq!(manifest["scopes"].as_array().unwrap().len(), 6);

    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["audit", dir_arg, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(findings(&out.stdout, &dir), expected(&seeded));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut stack = vec![dir.clone()];
        while let Some(p) = stack.pop() {
            let meta = std::fs::metadata(&p).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            if meta.is_dir() {
                assert_eq!(mode, 0o700, "{}", p.display());
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            } else {
                assert_eq!(mode, 0o600, "{}", p.display());
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_denied_scope_makes_the_sweep_incomplete_and_names_the_action() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&["--enforce-auth", "--deny", "2:codepipeline:ListPipelines"]);
    let keys = sweeper(&seeded);
    let member2 = account_id(&seeded, "stagegate-member-2");
    let dir = temp("denied");
    let dir_arg = dir.to_str().unwrap();
    let args = json_audit(dir_arg);
    let out = moto.stagegate(keys, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a denied scope is incomplete: {stderr}"
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    for region in ["eu-west-1", "us-east-1"] {
        let name = format!("{member2}/{region}");
        let w = report["workspaces"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["target"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} is reported"));
        let errors = w["errors"].to_string();
        assert!(
            errors.contains("codepipeline:ListPipelines failed: AccessDenied")
                && errors.contains("the role needs codepipeline:ListPipelines"),
            "{errors}"
        );
    }
    // member 1 is read whole: its violating region is found as before
    let member1_found: Vec<_> = findings(&out.stdout, &dir)
        .into_iter()
        .filter(|f| !f.0.starts_with(&member2))
        .collect();
    let member1_expected: Vec<_> = expected(&seeded)
        .into_iter()
        .filter(|f| !f.0.starts_with(&member2))
        .collect();
    assert_eq!(member1_found, member1_expected);
    assert!(
        stderr.contains(&format!(
            "error: {member2}/us-east-1: codepipeline:ListPipelines"
        )),
        "{stderr}"
    );

    // collect alone says so too, and an audit of what it wrote
    let dir2 = temp("denied-collect");
    let dir2_arg = dir2.to_str().unwrap();
    let args = org_sweep(&["collect", "aws", "--output", dir2_arg]);
    let out = moto.stagegate(keys, &args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["audit", dir2_arg])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{summary}");
    assert!(summary.contains("2 incomplete workspaces"), "{summary}");
    assert!(
        summary.contains(&format!(
            "{member2}/eu-west-1: {member2}/eu-west-1: codepipeline:ListPipelines failed"
        )),
        "{summary}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&dir2).unwrap();
}

#[test]
fn an_account_that_cannot_be_entered_is_incomplete_not_empty() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&["--enforce-auth", "--bar", "1"]);
    let keys = sweeper(&seeded);
    let member1 = account_id(&seeded, "stagegate-member-1");
    let dir = temp("barred");
    let dir_arg = dir.to_str().unwrap();
    let args = org_sweep(&["audit", "--aws", "--collect-dir", dir_arg]);
    let out = moto.stagegate(keys, &args);
    let summary = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{summary}{stderr}");
    assert!(summary.contains("1 incomplete workspace"), "{summary}");
    assert!(
        summary.contains(&format!(
            "{member1}: {member1}: sts:AssumeRole on arn:aws:iam::{member1}:role/{ROLE} failed: AccessDenied"
        )),
        "{summary}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
