//! One account and region: every pipeline (`ListPipelines`, then `GetPipeline` each) and
//! every CodeBuild project (`ListProjects`, then `BatchGetProjects` in batches of 100),
//! written as the service sent them.

use crate::calls::{self, At, Capture};
use crate::write;
use serde_json::{json, Value as Json};
use stagegate::collection::Scope;
use std::path::Path;
use std::sync::Arc;

/// `BatchGetProjects` takes at most this many names.
const PROJECTS_PER_BATCH: usize = 100;

/// Clients of one scope.
pub(crate) struct Clients {
    pub(crate) codepipeline: aws_sdk_codepipeline::Client,
    pub(crate) codebuild: aws_sdk_codebuild::Client,
}

/// Reads one scope into `root/ACCOUNT/REGION`.
pub(crate) async fn collect(
    root: &Path,
    partition: &str,
    account: &str,
    region: &str,
    clients: Arc<Clients>,
    per_scope: usize,
    events: &crate::Events,
) -> Scope {
    let at = At {
        account: Some(account.to_string()),
        region: Some(region.to_string()),
    };
    let mut scope = Scope {
        account: account.to_string(),
        region: region.to_string(),
        folder: format!("{account}/{region}"),
        ..Scope::default()
    };
    let dir = root.join(account).join(region);
    let pipelines_dir = dir.join("pipelines");
    if let Err(e) = write::private_dir(&pipelines_dir) {
        scope
            .failures
            .push(calls::local_failure(&at, "collect", None, "write", e));
        return scope;
    }
    pipelines(
        &at,
        partition,
        &pipelines_dir,
        &clients,
        per_scope,
        events,
        &mut scope,
    )
    .await;
    projects(&at, &dir, &clients, &mut scope).await;
    scope
}

async fn pipelines(
    at: &At,
    partition: &str,
    dir: &Path,
    clients: &Arc<Clients>,
    per_scope: usize,
    events: &crate::Events,
    scope: &mut Scope,
) {
    let action = "codepipeline:ListPipelines";
    let (names, failure) = calls::every_page(at, action, |token| async move {
        let page = clients
            .codepipeline
            .list_pipelines()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| calls::failure(at, action, None, &e))?;
        let names = page
            .pipelines()
            .iter()
            .filter_map(|p| p.name().map(str::to_string));
        Ok((names.collect(), page.next_token().map(str::to_string)))
    })
    .await;
    scope.failures.extend(failure);
    let names = calls::sorted(names);
    events(crate::Event::Pipelines(names.len()));
    let limit = Arc::new(tokio::sync::Semaphore::new(per_scope.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, name) in names.into_iter().enumerate() {
        let clients = Arc::clone(clients);
        let limit = Arc::clone(&limit);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let capture = Capture::default();
            let sent = clients
                .codepipeline
                .get_pipeline()
                .name(&name)
                .customize()
                .interceptor(capture.clone())
                .send()
                .await;
            (index, name, sent.map(|_| capture.take()))
        });
    }
    while let Some(done) = tasks.join_next().await {
        let Ok((index, name, sent)) = done else {
            scope.failures.push(calls::local_failure(
                at,
                "codepipeline:GetPipeline",
                None,
                "internal",
                "a pipeline's read stopped before it ended".into(),
            ));
            continue;
        };
        let body = match sent {
            Ok(body) => body,
            Err(e) => {
                let gone = e
                    .as_service_error()
                    .is_some_and(|e| e.is_pipeline_not_found_exception());
                if gone {
                    scope
                        .skipped
                        .push(format!("pipeline {name}: deleted while the sweep ran"));
                } else {
                    scope.failures.push(calls::failure(
                        at,
                        "codepipeline:GetPipeline",
                        Some(&name),
                        &e,
                    ));
                }
                continue;
            }
        };
        match pipeline_dump(body.as_deref(), partition, at, &name) {
            Ok(dump) => {
                match write::private_json(&write::pipeline_file(dir, &name, index), &dump) {
                    Ok(()) => scope.pipelines += 1,
                    Err(e) => scope.failures.push(calls::local_failure(
                        at,
                        "codepipeline:GetPipeline",
                        Some(&name),
                        "write",
                        e,
                    )),
                }
            }
            Err(e) => scope.failures.push(calls::local_failure(
                at,
                "codepipeline:GetPipeline",
                Some(&name),
                "response",
                e,
            )),
        }
    }
}

/// The `get-pipeline` output as the service sent it, with `metadata.pipelineArn` filled
/// from the scope when the service left it out.
fn pipeline_dump(
    body: Option<&[u8]>,
    partition: &str,
    at: &At,
    name: &str,
) -> Result<Json, String> {
    let body = body.ok_or("the response had no body to keep")?;
    let mut dump: Json =
        serde_json::from_slice(body).map_err(|e| format!("the response is not JSON: {e}"))?;
    if dump.get("pipeline").and_then(|p| p.get("stages")).is_none() {
        return Err("the response holds no pipeline with stages".into());
    }
    if dump.pointer("/metadata/pipelineArn").is_none() {
        let arn = stagegate::collection::pipeline_arn(
            partition,
            at.region.as_deref().unwrap_or_default(),
            at.account.as_deref().unwrap_or_default(),
            name,
        );
        match dump.get_mut("metadata").and_then(Json::as_object_mut) {
            Some(m) => {
                m.insert("pipelineArn".into(), Json::String(arn));
            }
            None => {
                if let Some(d) = dump.as_object_mut() {
                    d.insert("metadata".into(), json!({ "pipelineArn": arn }));
                }
            }
        }
    }
    Ok(dump)
}

async fn projects(at: &At, dir: &Path, clients: &Clients, scope: &mut Scope) {
    let action = "codebuild:ListProjects";
    let (names, failure) = calls::every_page(at, action, |token| async move {
        let page = clients
            .codebuild
            .list_projects()
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| calls::failure(at, action, None, &e))?;
        Ok((
            page.projects().to_vec(),
            page.next_token().map(str::to_string),
        ))
    })
    .await;
    scope.failures.extend(failure);
    let names = calls::sorted(names);
    // one file per batch: a region of many projects never makes one file past the size
    // a check reads
    for (number, batch) in names.chunks(PROJECTS_PER_BATCH).enumerate() {
        let resource = batch_resource(batch);
        let capture = Capture::default();
        let sent = clients
            .codebuild
            .batch_get_projects()
            .set_names(Some(batch.to_vec()))
            .customize()
            .interceptor(capture.clone())
            .send()
            .await;
        if let Err(e) = sent {
            let f = calls::failure(at, "codebuild:BatchGetProjects", Some(&resource), &e);
            scope.failures.push(f);
            continue;
        }
        let fail = |message: String| {
            calls::local_failure(
                at,
                "codebuild:BatchGetProjects",
                Some(&resource),
                "response",
                message,
            )
        };
        let body: Option<Json> = capture.take().and_then(|b| serde_json::from_slice(&b).ok());
        let Some(body) = body.filter(|b| b.get("projects").is_some_and(Json::is_array)) else {
            scope
                .failures
                .push(fail("the response holds no list of projects".into()));
            continue;
        };
        // every name asked for is answered, as a project or as not found
        let answered = |key: &str, field: Option<&str>| -> Vec<String> {
            body.get(key)
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| match field {
                    Some(f) => v.get(f).and_then(Json::as_str),
                    None => v.as_str(),
                })
                .map(str::to_string)
                .collect()
        };
        let found = answered("projects", Some("name"));
        let not_found = answered("projectsNotFound", None);
        let unanswered: Vec<&str> = batch
            .iter()
            .filter(|n| !found.contains(n) && !not_found.contains(n))
            .map(String::as_str)
            .collect();
        if !unanswered.is_empty() {
            let message = format!("the response leaves out {}", unanswered.join(", "));
            scope.failures.push(fail(message));
        }
        scope.skipped.extend(
            not_found
                .iter()
                .map(|n| format!("project {n}: deleted while the sweep ran")),
        );
        let file = dir.join(format!("codebuild-projects-{:03}.json", number + 1));
        match write::private_json(&file, &body) {
            Ok(()) => scope.projects += found.len(),
            Err(e) => scope.failures.push(calls::local_failure(
                at,
                "codebuild:BatchGetProjects",
                Some(&resource),
                "write",
                e,
            )),
        }
    }
}

/// Names a batch of projects in a failure.
fn batch_resource(batch: &[String]) -> String {
    match batch {
        [one] => one.clone(),
        [first, .., last] => format!("{} projects ({first} .. {last})", batch.len()),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_without_its_arn_gets_the_scope_s() {
        let at = At {
            account: Some("111122223333".into()),
            region: Some("eu-west-1".into()),
        };
        let body = br#"{"pipeline": {"name": "app", "stages": []}}"#;
        let dump = pipeline_dump(Some(body), "aws", &at, "app").unwrap();
        assert_eq!(
            dump["metadata"]["pipelineArn"],
            "arn:aws:codepipeline:eu-west-1:111122223333:app"
        );
        let kept =
            br#"{"pipeline": {"name": "app", "stages": []}, "metadata": {"pipelineArn": "arn:x"}}"#;
        assert_eq!(
            pipeline_dump(Some(kept), "aws", &at, "app").unwrap()["metadata"]["pipelineArn"],
            "arn:x"
        );
        assert!(pipeline_dump(Some(b"{}"), "aws", &at, "app").is_err());
        assert!(pipeline_dump(None, "aws", &at, "app").is_err());
    }

    #[test]
    fn a_failed_batch_is_named_by_its_ends() {
        let batch: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        assert_eq!(batch_resource(&batch), "3 projects (a .. c)");
        assert_eq!(batch_resource(&batch[..1]), "a");
    }
}
