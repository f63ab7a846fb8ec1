//! What every call shares: the HTTP client, counting attempts and throttles, capturing a
//! response body as the service sent it, and turning an error into a manifest failure.

use aws_sdk_codepipeline::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_codepipeline::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_codepipeline::error::{ProvideErrorMetadata, SdkError};
use stagegate::collection::Failure;
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type HttpResponse = aws_smithy_runtime_api::http::Response;

/// The one HTTPS client of the sweep: rustls with ring, the platform's trust roots.
pub(crate) fn http_client() -> aws_sdk_codepipeline::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// Counts every attempt, and every attempt the service throttled, as progress events.
#[derive(Clone)]
pub(crate) struct Counter {
    pub(crate) events: crate::Events,
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Counter")
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "stagegate-counter"
    }

    fn read_before_transmit(
        &self,
        _: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        (self.events)(crate::Event::Call);
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let status = response.status().as_u16();
        let throttled = status == 429
            || (status == 400
                && response
                    .body()
                    .bytes()
                    .is_some_and(|b| contains(b, b"Throttl") || contains(b, b"TooManyRequests")));
        if throttled {
            (self.events)(crate::Event::Throttled);
        }
        Ok(())
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Keeps the body of the last successful attempt: the dump is what the service sent, every
/// field of it, including fields newer than this SDK.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture(pub(crate) Arc<Mutex<Option<Vec<u8>>>>);

impl Capture {
    pub(crate) fn take(&self) -> Option<Vec<u8>> {
        self.0.lock().ok()?.take()
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "stagegate-capture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if response.status().is_success() {
            if let (Some(bytes), Ok(mut slot)) = (response.body().bytes(), self.0.lock()) {
                *slot = Some(bytes.to_vec());
            }
        }
        Ok(())
    }
}

/// A list longer than this many pages is not read whole: a service that never ends a
/// list must not make the sweep run forever.
const MAX_PAGES: usize = 10_000;

/// Reads every page of a list: `page` reads the page of a token (`None` first) and gives
/// its items and the next token. A failed page ends the list with its failure; so does a
/// token given twice, or a list past [`MAX_PAGES`]: a list that loops must not read as
/// whole, nor run forever. The items read before a failure are kept.
pub(crate) async fn every_page<T, F, Fut>(
    at: &At,
    action: &str,
    mut page: F,
) -> (Vec<T>, Option<Failure>)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), Failure>>,
{
    let mut items = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut token = None;
    loop {
        let (more, next) = match page(token.take()).await {
            Ok(read) => read,
            Err(failure) => return (items, Some(failure)),
        };
        items.extend(more);
        let Some(next) = next.filter(|t| !t.is_empty()) else {
            return (items, None);
        };
        let stop = if seen.len() >= MAX_PAGES {
            Some(format!("the list goes on past {MAX_PAGES} pages"))
        } else if !seen.insert(next.clone()) {
            Some("the service gave a page token it gave before: the list loops".to_string())
        } else {
            None
        };
        if let Some(message) = stop {
            return (
                items,
                Some(local_failure(at, action, None, "pagination", message)),
            );
        }
        token = Some(next);
    }
}

/// Sorted, each once.
pub(crate) fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

/// An account id as it may name a folder: 12 digits.
pub(crate) fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

/// A region name as it may name a folder: `eu-west-1`.
pub(crate) fn is_region_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A client of one SDK crate on `config`, counting its attempts and throttles.
macro_rules! client {
    ($sdk:ident, $config:expr, $events:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($crate::calls::Counter {
                    events: std::sync::Arc::clone($events),
                })
                .build(),
        )
    };
}
pub(crate) use client;

/// Where a call was made: what a failure names.
#[derive(Debug, Clone, Default)]
pub(crate) struct At {
    pub(crate) account: Option<String>,
    pub(crate) region: Option<String>,
}

/// A failed call as the manifest records it: the IAM action it needed, the service's code
/// and message, or the kind of failure when the service never answered.
pub(crate) fn failure<E>(
    at: &At,
    action: &str,
    resource: Option<&str>,
    error: &SdkError<E, HttpResponse>,
) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    // a refusal whose body names no code (a proxy's, an XML error from a JSON service) is
    // still a refusal: the status says so
    let status = error.raw_response().map(|r| r.status().as_u16());
    let kind = match (error, status) {
        (_, Some(401 | 403)) => "AccessDenied",
        (_, Some(429)) => "Throttling",
        (SdkError::ConstructionFailure(_), _) => "construction",
        (SdkError::TimeoutError(_), _) => "timeout",
        (SdkError::DispatchFailure(_), _) => "dispatch",
        (SdkError::ResponseError(_), _) => "response",
        _ => "error",
    };
    let code = error.code().unwrap_or(kind).to_string();
    let message = error
        .message()
        .map_or_else(|| causes(error), str::to_string);
    Failure {
        account: at.account.clone(),
        region: at.region.clone(),
        action: action.to_string(),
        resource: resource.map(str::to_string),
        code,
        message,
    }
}

/// An error and its sources, each once: what went wrong below the SDK (no credentials, no
/// connection).
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A failure that is no call's error (a body that does not parse, a file not written).
pub(crate) fn local_failure(
    at: &At,
    action: &str,
    resource: Option<&str>,
    code: &str,
    message: String,
) -> Failure {
    Failure {
        account: at.account.clone(),
        region: at.region.clone(),
        action: action.to_string(),
        resource: resource.map(str::to_string),
        code: code.to_string(),
        message,
    }
}
