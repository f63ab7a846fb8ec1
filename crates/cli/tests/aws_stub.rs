//! What moto's server cannot play, played by a small HTTP stub on a loopback port:
//! pagination of every list, batches of at most 100 projects, `projectsNotFound`,
//! throttling (retried, and retried out), an AccessDenied error code, a pipeline deleted
//! during the sweep, and `account:ListRegions` for `--regions all`.
#![cfg(feature = "aws")]

use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const ACCOUNT: &str = "111122223333";

/// One request as the stub sees it.
struct Request {
    path: String,
    /// `X-Amz-Target` (JSON protocols), or the query protocol's `Action`.
    operation: String,
    /// From the signature's credential scope.
    region: String,
    body: Json,
}

type Handler = dyn Fn(&Request) -> (u16, String) + Send + Sync;

/// A stub AWS endpoint; `calls` counts requests by operation.
struct Stub {
    endpoint: String,
    calls: Arc<Mutex<HashMap<String, usize>>>,
}

impl Stub {
    fn start(handler: impl Fn(&Request) -> (u16, String) + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(HashMap::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let counted = Arc::clone(&calls);
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let handler = Arc::clone(&handler);
                let calls = Arc::clone(&counted);
                std::thread::spawn(move || serve(stream, &*handler, &calls));
            }
        });
        Stub { endpoint, calls }
    }

    fn calls(&self, operation: &str) -> usize {
        self.calls
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    fn stagegate(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDSTUB")
            .env("AWS_SECRET_ACCESS_KEY", "stub")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .output()
            .unwrap()
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: TcpStream, handler: &Handler, calls: &Mutex<HashMap<String, usize>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut start = String::new();
        if reader.read_line(&mut start).unwrap_or(0) == 0 {
            return;
        }
        let path = start.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&body).to_string();
        let operation = headers.get("x-amz-target").cloned().unwrap_or_else(|| {
            // the query protocol (STS) names its action in the form body
            text.split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map_or_else(|| path.clone(), str::to_string)
        });
        let region = headers
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(2))
            .unwrap_or_default()
            .to_string();
        *calls.lock().unwrap().entry(operation.clone()).or_default() += 1;
        let request = Request {
            path,
            operation,
            region,
            body: serde_json::from_str(&text).unwrap_or(Json::Null),
        };
        let (status, body) = match request.operation.as_str() {
            "GetCallerIdentity" => (200, caller_identity()),
            _ => handler(&request),
        };
        let content_type = if body.starts_with('<') {
            "text/xml"
        } else {
            "application/x-amz-json-1.1"
        };
        let response = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-amzn-requestid: stub\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn caller_identity() -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/auditor</Arn>\
         <UserId>AIDASTUB</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    )
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The compliant seed pipeline's `get-pipeline` output under another name.
fn pipeline(name: &str) -> String {
    let text = std::fs::read_to_string(
        workspace().join("fixtures/e2e/get-pipeline-compliant/pipeline.json"),
    )
    .unwrap();
    let mut dump: Json = serde_json::from_str(&text).unwrap();
    dump["pipeline"]["name"] = json!(name);
    dump["metadata"]["pipelineArn"] =
        json!(format!("arn:aws:codepipeline:eu-west-1:{ACCOUNT}:{name}"));
    dump.to_string()
}

/// A project of the compliant seed by its name, else a plain one.
fn project(name: &str) -> Json {
    let text = std::fs::read_to_string(
        workspace().join("fixtures/e2e/get-pipeline-compliant/projects.json"),
    )
    .unwrap();
    let seed: Json = serde_json::from_str(&text).unwrap();
    if let Some(p) = seed["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
    {
        return p.clone();
    }
    json!({
        "name": name,
        "arn": format!("arn:aws:codebuild:eu-west-1:{ACCOUNT}:project/{name}"),
        "source": {"type": "CODEPIPELINE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n"},
        "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL", "environmentVariables": []},
        "serviceRole": format!("arn:aws:iam::{ACCOUNT}:role/build"),
    })
}

fn error(code: &str, message: &str) -> String {
    json!({"__type": code, "message": message}).to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stagegate-stub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn manifest(dir: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(dir.join("stagegate-collection.json")).unwrap())
        .unwrap()
}

/// Pages of 2 pipelines (5 in all, one of them deleted once listed) and of 60 project
/// names (150 in all, the seed's two among them, one gone once listed).
fn paging(throttle_first: usize) -> impl Fn(&Request) -> (u16, String) + Send + Sync {
    let throttled = Mutex::new(0usize);
    let largest_batch = Mutex::new(0usize);
    move |r: &Request| {
        let page = |token: &Json| token.as_str().map_or(0, |t| t.parse::<usize>().unwrap());
        match r.operation.as_str() {
            "CodePipeline_20150709.ListPipelines" => {
                let mut n = throttled.lock().unwrap();
                if *n < throttle_first {
                    *n += 1;
                    return (400, error("ThrottlingException", "Rate exceeded"));
                }
                let from = page(&r.body["nextToken"]);
                let names: Vec<String> =
                    (from..(from + 2).min(5)).map(|i| format!("p{i}")).collect();
                let mut out = json!({"pipelines": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
                if from + 2 < 5 {
                    out["nextToken"] = json!((from + 2).to_string());
                }
                (200, out.to_string())
            }
            "CodePipeline_20150709.GetPipeline" => match r.body["name"].as_str().unwrap() {
                "p3" => (400, error("PipelineNotFoundException", "gone")),
                name => (200, pipeline(name)),
            },
            "CodeBuild_20161006.ListProjects" => {
                let from = page(&r.body["nextToken"]);
                let all: Vec<String> = ["app-build".to_string(), "platform-sca".to_string()]
                    .into_iter()
                    .chain((0..148).map(|i| format!("b{i:03}")))
                    .collect();
                let mut out = json!({"projects": all[from..(from + 60).min(all.len())]});
                if from + 60 < all.len() {
                    out["nextToken"] = json!((from + 60).to_string());
                }
                (200, out.to_string())
            }
            "CodeBuild_20161006.BatchGetProjects" => {
                let names: Vec<&str> = r.body["names"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap())
                    .collect();
                let mut largest = largest_batch.lock().unwrap();
                *largest = (*largest).max(names.len());
                if names.len() > 100 {
                    return (400, error("InvalidInputException", "at most 100 names"));
                }
                let (gone, found): (Vec<&str>, Vec<&str>) =
                    names.iter().partition(|n| **n == "b042");
                (200, json!({"projects": found.iter().map(|n| project(n)).collect::<Vec<_>>(), "projectsNotFound": gone}).to_string())
            }
            other => (400, error("UnknownOperationException", other)),
        }
    }
}

#[test]
fn every_list_is_paginated_and_projects_are_read_in_batches_of_100() {
    let stub = Stub::start(paging(1));
    let dir = temp("paging");
    let out = stub.stagegate(&["collect", "aws", "--output", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let m = manifest(&dir);
    let scope = &m["scopes"][0];
    assert_eq!(scope["folder"], format!("{ACCOUNT}/eu-west-1"));
    // p3 and b042 were deleted between the listing and their read: left out, said, no
    // failure
    assert_eq!(scope["pipelines"], 4);
    assert_eq!(
        scope["skipped"],
        json!([
            "pipeline p3: deleted while the sweep ran",
            "project b042: deleted while the sweep ran"
        ])
    );
    assert_eq!(scope["failures"], json!([]));
    assert_eq!(scope["projects"], 149);
    // 3 pages, the first throttled once and retried
    assert_eq!(stub.calls("CodePipeline_20150709.ListPipelines"), 4);
    assert_eq!(stub.calls("CodeBuild_20161006.ListProjects"), 3);
    assert_eq!(stub.calls("CodeBuild_20161006.BatchGetProjects"), 2);
    let scope_dir = dir.join(ACCOUNT).join("eu-west-1");
    // a file per batch, as the service answered it
    let batch = |n: &str| -> Json {
        let file = scope_dir.join(format!("codebuild-projects-{n}.json"));
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
    };
    let (first, second) = (batch("001"), batch("002"));
    assert_eq!(first["projects"].as_array().unwrap().len(), 99);
    assert_eq!(second["projects"].as_array().unwrap().len(), 50);
    assert_eq!(first["projectsNotFound"], json!(["b042"]));
    let mut files: Vec<String> = std::fs::read_dir(scope_dir.join("pipelines"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(files, ["p0.json", "p1.json", "p2.json", "p4.json"]);

    // the collection audits clean: every pipeline is the compliant seed
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["audit", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{summary}");
    assert!(
        summary.contains("1 workspace, 6 files, 0 findings, 0 incomplete workspaces"),
        "{summary}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_call_throttled_past_its_attempts_is_a_failure_of_its_scope() {
    let stub = Stub::start(paging(usize::MAX));
    let dir = temp("throttled");
    let out = stub.stagegate(&[
        "collect",
        "aws",
        "--output",
        dir.to_str().unwrap(),
        "--max-attempts",
        "2",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stub.calls("CodePipeline_20150709.ListPipelines"), 2);
    assert!(
        stderr.contains(&format!(
            "error: {ACCOUNT}/eu-west-1: codepipeline:ListPipelines failed: ThrottlingException: Rate exceeded"
        )),
        "{stderr}"
    );
    // the projects were still read, and the audit of the collection is incomplete
    assert_eq!(manifest(&dir)["scopes"][0]["projects"], 149);
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["audit", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // and so is a check of the collection, or of the scope's folder alone
    for path in [dir.clone(), dir.join(ACCOUNT).join("eu-west-1")] {
        let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .arg("check")
            .arg(&path)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{}: {text}", path.display());
        assert!(
            text.contains("codepipeline:ListPipelines failed: ThrottlingException"),
            "{text}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_access_denied_code_names_the_call_and_the_resource() {
    let stub = Stub::start(|r: &Request| match r.operation.as_str() {
        "CodePipeline_20150709.ListPipelines" => (
            200,
            json!({"pipelines": [{"name": "app"}, {"name": "secret"}]}).to_string(),
        ),
        "CodePipeline_20150709.GetPipeline" if r.body["name"] == "secret" => (
            400,
            error(
                "AccessDeniedException",
                "User is not authorized to perform codepipeline:GetPipeline",
            ),
        ),
        "CodePipeline_20150709.GetPipeline" => (200, pipeline("app")),
        "CodeBuild_20161006.ListProjects" => (200, json!({"projects": []}).to_string()),
        other => (400, error("UnknownOperationException", other)),
    });
    let dir = temp("denied");
    let out = stub.stagegate(&[
        "audit",
        "--aws",
        "--collect-dir",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Json = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["workspaces"][0]["errors"].to_string();
    assert!(
        errors.contains("codepipeline:GetPipeline on secret failed: AccessDeniedException")
            && errors.contains("(the role needs codepipeline:GetPipeline)"),
        "{errors}"
    );
    // no BatchGetProjects for an empty list, and an empty list is no failure
    assert_eq!(stub.calls("CodeBuild_20161006.BatchGetProjects"), 0);
    assert_eq!(
        manifest(&dir)["scopes"][0]["failures"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn regions_all_reads_each_enabled_region_of_the_account() {
    let stub = Stub::start(
        |r: &Request| match (r.path.as_str(), r.operation.as_str()) {
            ("/listRegions", _) => {
                // an opt-in region the account has not enabled is never asked for
                let statuses = &r.body["RegionOptStatusContains"];
                if statuses != &json!(["ENABLED", "ENABLED_BY_DEFAULT"]) {
                    return (
                        400,
                        error("ValidationException", &format!("statuses {statuses}")),
                    );
                }
                match r.body["NextToken"].as_str() {
                None => (200, json!({"Regions": [{"RegionName": "eu-west-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}], "NextToken": "2"}).to_string()),
                Some(_) => (200, json!({"Regions": [{"RegionName": "ap-south-2", "RegionOptStatus": "ENABLED"}]}).to_string()),
            }
            }
            (_, "CodePipeline_20150709.ListPipelines") => {
                (200, json!({"pipelines": []}).to_string())
            }
            (_, "CodeBuild_20161006.ListProjects") if r.region == "ap-south-2" => (
                400,
                error(
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid.",
                ),
            ),
            (_, "CodeBuild_20161006.ListProjects") => (200, json!({"projects": []}).to_string()),
            (_, other) => (400, error("UnknownOperationException", other)),
        },
    );
    let dir = temp("regions");
    let out = stub.stagegate(&[
        "collect",
        "aws",
        "--output",
        dir.to_str().unwrap(),
        "--regions",
        "all",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let m = manifest(&dir);
    let folders: Vec<&str> = m["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["folder"].as_str().unwrap())
        .collect();
    assert_eq!(
        folders,
        [
            format!("{ACCOUNT}/ap-south-2"),
            format!("{ACCOUNT}/eu-west-1")
        ]
    );
    assert!(
        stderr.contains(&format!(
            "{ACCOUNT}/ap-south-2: codebuild:ListProjects failed: UnrecognizedClientException"
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn live_options_without_aws_and_bad_values_are_refused() {
    let stub = Stub::start(|_: &Request| (500, String::new()));
    let cases: [(&[&str], &str); 5] = [
        (
            &["audit", ".", "--regions", "eu-west-1"],
            "--regions reads live accounts: it needs --aws",
        ),
        (
            &["collect", "aws", "--output", "x", "--org"],
            "give --role-name",
        ),
        (
            &["collect", "aws", "--output", "x", "--accounts", "12"],
            "not a 12-digit account id",
        ),
        (
            &[
                "collect",
                "aws",
                "--output",
                "x",
                "--regions",
                "all,eu-west-1",
            ],
            "`all` alone",
        ),
        (
            &["collect", "aws", "--output", "x", "--regions", "../x"],
            "not a region name",
        ),
    ];
    for (args, want) in cases {
        let out = stub.stagegate(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    // a folder that holds anything is not collected into
    let dir = temp("busy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("old.json"), "{}").unwrap();
    let out = stub.stagegate(&["collect", "aws", "--output", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_plaintext_secret_of_a_live_project_is_found_and_masked_in_every_output() {
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
    let stub = Stub::start(|r: &Request| match r.operation.as_str() {
        "CodePipeline_20150709.ListPipelines" => (200, json!({"pipelines": []}).to_string()),
        "CodeBuild_20161006.ListProjects" => (200, json!({"projects": ["deploy"]}).to_string()),
        "CodeBuild_20161006.BatchGetProjects" => {
            let mut p = project("deploy");
            p["environment"]["environmentVariables"] = json!([
                {"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET, "type": "PLAINTEXT"}
            ]);
            (
                200,
                json!({"projects": [p], "projectsNotFound": []}).to_string(),
            )
        }
        other => (400, error("UnknownOperationException", other)),
    });
    let dir = temp("secret");
    let out = stub.stagegate(&["collect", "aws", "--output", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for format in ["json", "jsonl", "sarif", "summary"] {
        let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
            .args(["audit", dir.to_str().unwrap(), "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{format}: {text}");
        assert!(
            text.contains("codebuild-plaintext-secret"),
            "{format}: {text}"
        );
        assert!(!text.contains(SECRET), "{format} shows the secret: {text}");
    }
    // the human report of the scope shows the line, masked
    let scope = dir.join(ACCOUNT).join("eu-west-1");
    let out = Command::new(env!("CARGO_BIN_EXE_stagegate"))
        .args(["check", scope.to_str().unwrap(), "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("codebuild-plaintext-secret"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_list_that_repeats_its_page_token_is_a_failure_not_a_loop() {
    let stub = Stub::start(|r: &Request| {
        match r.operation.as_str() {
        // every page says there is one more: the same one
        "CodePipeline_20150709.ListPipelines" => (
            200,
            json!({"pipelines": [{"name": "app"}], "nextToken": "again"}).to_string(),
        ),
        "CodePipeline_20150709.GetPipeline" => (200, pipeline("app")),
        "CodeBuild_20161006.ListProjects" => {
            (200, json!({"projects": ["app-build", "platform-sca", "vanished"]}).to_string())
        }
        // one name asked for is neither a project nor not found
        "CodeBuild_20161006.BatchGetProjects" => (
            200,
            json!({"projects": [project("app-build"), project("platform-sca")], "projectsNotFound": []}).to_string(),
        ),
        other => (400, error("UnknownOperationException", other)),
    }
    });
    let dir = temp("loop");
    let out = stub.stagegate(&["collect", "aws", "--output", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stub.calls("CodePipeline_20150709.ListPipelines"),
        2,
        "the second page repeats the token: the list stops there"
    );
    assert!(stderr.contains("codepipeline:ListPipelines failed: pagination: the service gave a page token it gave before"), "{stderr}");
    assert!(stderr.contains("codebuild:BatchGetProjects on 3 projects (app-build .. vanished) failed: response: the response leaves out vanished"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
