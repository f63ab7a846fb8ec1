//! Reads CodePipeline and CodeBuild definitions from live AWS accounts, through the AWS
//! SDK for Rust, and writes them as the dumps stagegate already reads: a collection (see
//! [`stagegate::collection`]), one folder per account and region, with a manifest of what
//! was read and what failed.
//!
//! Credentials come from the standard chain (environment, shared config and profiles, SSO,
//! web identity, container and instance metadata); `AWS_ENDPOINT_URL` is honoured. Other
//! accounts are entered by assuming a role of one name in each. Every list is paginated,
//! the SDK's standard retries back off when throttled, and a scope that fails is recorded,
//! never left out: an audit of the collection reports it as incomplete.
//!
//! ```no_run
//! use stagegate_aws::{collect, Accounts, Options, Regions};
//! let options = Options {
//!     accounts: Accounts::Organization,
//!     role_name: Some("OrganizationAccountAccessRole".into()),
//!     regions: Regions::List(vec!["us-east-1".into(), "eu-west-1".into()]),
//!     ..Options::new("collected")
//! };
//! let manifest = collect(&options, std::sync::Arc::new(|_event| {}))?;
//! assert!(manifest.complete(), "{:?}", manifest.failures);
//! # Ok::<(), stagegate_aws::Error>(())
//! ```

#![forbid(unsafe_code)]

mod calls;
mod scope;
mod write;

pub use write::temporary_dir;

use aws_config::BehaviorVersion;
use aws_sdk_codepipeline::config::Region;
use calls::At;
use stagegate::collection::{Failure, Manifest, Scope};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Which accounts a sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// The account of the base credentials.
    Caller,
    /// These accounts (the caller's own is read with the base credentials, the others
    /// through the role).
    List(Vec<String>),
    /// Every ACTIVE account of the organization (`organizations:ListAccounts`).
    Organization,
}

/// Which regions of each account a sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The region the credential chain configures (`AWS_REGION`, the profile's).
    Configured,
    /// These regions.
    List(Vec<String>),
    /// The regions enabled in each account (`account:ListRegions`).
    Enabled,
}

/// What to collect, and where to.
#[derive(Debug, Clone)]
pub struct Options {
    /// The collection's folder: created, or empty.
    pub output: PathBuf,
    /// Accounts to read.
    pub accounts: Accounts,
    /// Regions to read in each.
    pub regions: Regions,
    /// The role to assume in each account other than the caller's.
    pub role_name: Option<String>,
    /// The external id the role's trust policy asks for.
    pub external_id: Option<String>,
    /// The session name of the assumed roles (CloudTrail shows it).
    pub session_name: String,
    /// A profile of the shared config, instead of the chain's default.
    pub profile: Option<String>,
    /// Scopes (account and region) read at once.
    pub scopes_at_once: usize,
    /// Calls at once within a scope.
    pub calls_per_scope: usize,
    /// Attempts per call, throttled ones included (the SDK's standard backoff between).
    pub max_attempts: u32,
}

impl Options {
    /// Defaults: the caller's account, its configured region, 8 scopes at once, 4 calls
    /// per scope, 8 attempts per call.
    pub fn new(output: impl Into<PathBuf>) -> Options {
        Options {
            output: output.into(),
            accounts: Accounts::Caller,
            regions: Regions::Configured,
            role_name: None,
            external_id: None,
            session_name: "stagegate-collect".into(),
            profile: None,
            scopes_at_once: 8,
            calls_per_scope: 4,
            max_attempts: 8,
        }
    }
}

/// Progress of a sweep, as it happens.
#[derive(Debug, Clone)]
pub enum Event {
    /// The accounts to read are known.
    Accounts(usize),
    /// An account was entered, or failed to be.
    AccountDone,
    /// An account's regions are known: this many scopes more.
    Scopes(usize),
    /// A scope listed this many pipelines.
    Pipelines(usize),
    /// One HTTP attempt was made.
    Call,
    /// The service throttled an attempt (the SDK retries it after a backoff).
    Throttled,
    /// A scope is written to its folder: it can be audited now.
    ScopeDone(Scope),
}

/// Where progress goes.
pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// A sweep that could not start or cannot say what it covers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The output folder, the runtime or the options.
    #[error("{0}")]
    Setup(String),
    /// A call without which nothing can be read (the caller's identity, the organization's
    /// accounts).
    #[error("{}", .0.describe())]
    Call(Box<Failure>),
}

/// Reads every scope the options name into `options.output` and returns the manifest
/// (also written there). Failures of single scopes or accounts are in the manifest, not
/// errors: check [`Manifest::complete`].
pub fn collect(options: &Options, events: Events) -> Result<Manifest, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Setup(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(sweep(options.clone(), events))
}

fn now() -> String {
    use aws_sdk_codepipeline::primitives::{DateTime, DateTimeFormat};
    DateTime::from(std::time::SystemTime::now())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// What every account's task shares.
struct Shared {
    options: Options,
    base: aws_config::SdkConfig,
    caller_account: String,
    partition: String,
    events: Events,
    scopes: tokio::sync::Semaphore,
    manifest: Mutex<Manifest>,
}

async fn sweep(options: Options, events: Events) -> Result<Manifest, Error> {
    write::output_dir(&options.output).map_err(Error::Setup)?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(calls::http_client())
        .retry_config(
            aws_config::retry::RetryConfig::standard().with_max_attempts(options.max_attempts),
        );
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let mut base = loader.load().await;
    if base.region().is_none() {
        if options.regions == Regions::Configured {
            return Err(Error::Setup(
                "no region: give --regions, or set AWS_REGION or the profile's region".into(),
            ));
        }
        // STS and Organizations answer in any region; the scopes name their own
        base = base.into_builder().region(Region::new("us-east-1")).build();
    }
    let none = At::default();
    let sts = sts_client(&base, &events);
    let identity = sts.get_caller_identity().send().await.map_err(|e| {
        Error::Call(Box::new(calls::failure(
            &none,
            "sts:GetCallerIdentity",
            None,
            &e,
        )))
    })?;
    let caller_account = identity.account().unwrap_or_default().to_string();
    let caller = identity.arn().unwrap_or_default().to_string();
    if !calls::is_account_id(&caller_account) {
        return Err(Error::Setup(format!(
            "sts:GetCallerIdentity names the account `{caller_account}`, not a 12-digit id"
        )));
    }
    let partition = caller.split(':').nth(1).unwrap_or("aws").to_string();
    let mut manifest = Manifest {
        version: stagegate::collection::FORMAT_VERSION,
        source: "aws".into(),
        caller: Some(caller),
        started: now(),
        ..Manifest::default()
    };
    let accounts = match &options.accounts {
        Accounts::Caller => vec![caller_account.clone()],
        Accounts::List(ids) => {
            if let Some(bad) = ids.iter().find(|id| !calls::is_account_id(id)) {
                return Err(Error::Setup(format!(
                    "`{bad}` is not a 12-digit account id"
                )));
            }
            calls::sorted(ids.clone())
        }
        Accounts::Organization => organization_accounts(&base, &events, &mut manifest).await?,
    };
    if accounts.is_empty() {
        // a sweep of nothing would pass
        return Err(Error::Setup(
            "the organization lists no ACTIVE account: nothing to read".into(),
        ));
    }
    // an interrupted sweep leaves this one: no end, so an audit calls it incomplete
    write::manifest(&options.output, &manifest).map_err(Error::Setup)?;
    events(Event::Accounts(accounts.len()));
    let shared = Arc::new(Shared {
        scopes: tokio::sync::Semaphore::new(options.scopes_at_once.max(1)),
        options,
        base,
        caller_account,
        partition,
        events,
        manifest: Mutex::new(manifest),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for account in accounts {
        let shared = Arc::clone(&shared);
        tasks.spawn(async move { read_account(&shared, account).await });
    }
    while let Some(done) = tasks.join_next().await {
        if done.is_err() {
            return Err(Error::Setup(
                "an account's read stopped before it ended".into(),
            ));
        }
    }
    let mut manifest = shared
        .manifest
        .lock()
        .map_err(|_| Error::Setup("manifest lock".into()))?
        .clone();
    manifest
        .scopes
        .sort_by(|a, b| (&a.account, &a.region).cmp(&(&b.account, &b.region)));
    manifest.finished = Some(now());
    write::manifest(&shared.options.output, &manifest).map_err(Error::Setup)?;
    Ok(manifest)
}

fn sts_client(config: &aws_config::SdkConfig, events: &Events) -> aws_sdk_sts::Client {
    calls::client!(aws_sdk_sts, config, events)
}

/// The organization's ACTIVE accounts; the others are noted in the manifest.
async fn organization_accounts(
    base: &aws_config::SdkConfig,
    events: &Events,
    manifest: &mut Manifest,
) -> Result<Vec<String>, Error> {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    let client = calls::client!(aws_sdk_organizations, base, events);
    let none = At::default();
    let action = "organizations:ListAccounts";
    let (accounts, failure) = calls::every_page(&none, action, |token| {
        let client = &client;
        let none = &none;
        async move {
            let page = client
                .list_accounts()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| calls::failure(none, action, None, &e))?;
            Ok((
                page.accounts().to_vec(),
                page.next_token().map(str::to_string),
            ))
        }
    })
    .await;
    if let Some(f) = failure {
        return Err(Error::Call(Box::new(f)));
    }
    let mut ids = Vec::new();
    for a in &accounts {
        let id = a.id().unwrap_or_default();
        if !calls::is_account_id(id) {
            let message =
                format!("an account of the organization has the id `{id}`, not 12 digits");
            let f = calls::local_failure(&none, action, None, "response", message);
            return Err(Error::Call(Box::new(f)));
        }
        // `State` replaces `Status`; either says whether the account is in use
        let (active, said) = match (a.state(), a.status()) {
            (Some(s), _) => (*s == AccountState::Active, s.as_str().to_string()),
            (None, Some(s)) => (*s == AccountStatus::Active, s.as_str().to_string()),
            (None, None) => (false, "no state".to_string()),
        };
        if active {
            ids.push(id.to_string());
        } else {
            manifest
                .skipped
                .push(format!("account {id}: {said}, not read"));
        }
    }
    Ok(calls::sorted(ids))
}

/// Enters one account, finds its regions and reads each.
async fn read_account(shared: &Arc<Shared>, account: String) {
    let at = At {
        account: Some(account.clone()),
        region: None,
    };
    let entered = enter(shared, &account, &at).await;
    (shared.events)(Event::AccountDone);
    let config = match entered {
        Ok(config) => config,
        Err(failure) => return record_failure(shared, failure),
    };
    let regions = match &shared.options.regions {
        Regions::List(list) => calls::sorted(list.clone()),
        Regions::Configured => config.region().map(|r| r.to_string()).into_iter().collect(),
        Regions::Enabled => match enabled_regions(&config, &shared.events, &at).await {
            Ok(list) => list,
            Err(failure) => return record_failure(shared, failure),
        },
    };
    // a region names a folder: only a plain region name may
    if let Some(bad) = regions.iter().find(|r| !calls::is_region_name(r)) {
        let message = format!("`{bad}` is not a region name");
        let f = calls::local_failure(&at, "account:ListRegions", None, "InvalidRegion", message);
        return record_failure(shared, f);
    }
    if regions.is_empty() {
        // an account of no region read would pass unread
        return record_failure(
            shared,
            calls::local_failure(
                &at,
                "account:ListRegions",
                None,
                "NoRegion",
                "no region to read in this account".into(),
            ),
        );
    }
    (shared.events)(Event::Scopes(regions.len()));
    let mut tasks = tokio::task::JoinSet::new();
    let mut regions_of_tasks = std::collections::HashMap::new();
    for region in regions {
        let shared = Arc::clone(shared);
        let config = config.clone();
        let account = account.clone();
        let task_region = region.clone();
        let handle = tasks.spawn(async move {
            let at = At {
                account: Some(account.clone()),
                region: Some(region.clone()),
            };
            let done = match shared.scopes.acquire().await {
                Ok(_permit) => read_scope(&shared, config, &account, &region).await,
                Err(_) => {
                    let message = "the sweep stopped before this scope was read".to_string();
                    let f = calls::local_failure(&at, "collect", None, "internal", message);
                    Scope {
                        account: account.clone(),
                        region: region.clone(),
                        folder: format!("{account}/{region}"),
                        failures: vec![f],
                        ..Scope::default()
                    }
                }
            };
            if let Ok(mut m) = shared.manifest.lock() {
                m.scopes.push(done.clone());
            }
            (shared.events)(Event::ScopeDone(done));
        });
        regions_of_tasks.insert(handle.id(), task_region);
    }
    while let Some(done) = tasks.join_next_with_id().await {
        // a scope whose read stopped (a panic) is a failure of that scope, never dropped
        if let Err(e) = done {
            let region = regions_of_tasks.get(&e.id()).cloned();
            let f = calls::local_failure(
                &At {
                    account: Some(account.clone()),
                    region,
                },
                "collect",
                None,
                "internal",
                format!("the read of this scope stopped: {e}"),
            );
            record_failure(shared, f);
        }
    }
}

/// Reads one scope with the account's configuration in its region.
async fn read_scope(
    shared: &Shared,
    config: aws_config::SdkConfig,
    account: &str,
    region: &str,
) -> Scope {
    let regional = config
        .into_builder()
        .region(Region::new(region.to_string()))
        .build();
    let clients = Arc::new(scope::Clients {
        codepipeline: calls::client!(aws_sdk_codepipeline, &regional, &shared.events),
        codebuild: calls::client!(aws_sdk_codebuild, &regional, &shared.events),
    });
    scope::collect(
        &shared.options.output,
        &shared.partition,
        account,
        region,
        clients,
        shared.options.calls_per_scope,
        &shared.events,
    )
    .await
}

fn record_failure(shared: &Shared, failure: Failure) {
    if let Ok(mut m) = shared.manifest.lock() {
        m.failures.push(failure);
    }
}

/// The configuration that reads `account`: the base one for the caller's own account,
/// else the role's, once `sts:AssumeRole` has been seen to work.
async fn enter(shared: &Shared, account: &str, at: &At) -> Result<aws_config::SdkConfig, Failure> {
    if account == shared.caller_account {
        return Ok(shared.base.clone());
    }
    if !calls::is_account_id(account) {
        return Err(calls::local_failure(
            at,
            "sts:AssumeRole",
            None,
            "InvalidAccountId",
            "an account id is 12 digits".into(),
        ));
    }
    let Some(role_name) = &shared.options.role_name else {
        return Err(calls::local_failure(
            at,
            "sts:AssumeRole",
            None,
            "NoRole",
            format!(
                "the base credentials belong to account {}: give --role-name to enter others",
                shared.caller_account
            ),
        ));
    };
    let role_arn = format!("arn:{}:iam::{account}:role/{role_name}", shared.partition);
    // one call to see that the role can be assumed, so that a refusal names the role
    let mut probe = sts_client(&shared.base, &shared.events)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name(&shared.options.session_name);
    if let Some(id) = &shared.options.external_id {
        probe = probe.external_id(id);
    }
    probe
        .send()
        .await
        .map_err(|e| calls::failure(at, "sts:AssumeRole", Some(&role_arn), &e))?;
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role_arn)
        .session_name(&shared.options.session_name)
        .configure(&shared.base);
    if let Some(id) = &shared.options.external_id {
        provider = provider.external_id(id);
    }
    let provider = provider.build().await;
    Ok(shared
        .base
        .clone()
        .into_builder()
        .credentials_provider(
            aws_sdk_codepipeline::config::SharedCredentialsProvider::new(provider),
        )
        .build())
}

async fn enabled_regions(
    config: &aws_config::SdkConfig,
    events: &Events,
    at: &At,
) -> Result<Vec<String>, Failure> {
    use aws_sdk_account::types::RegionOptStatus;
    let client = calls::client!(aws_sdk_account, config, events);
    let action = "account:ListRegions";
    let (regions, failure) = calls::every_page(at, action, |token| {
        let client = &client;
        async move {
            let page = client
                .list_regions()
                .region_opt_status_contains(RegionOptStatus::Enabled)
                .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| calls::failure(at, action, None, &e))?;
            let names = page
                .regions()
                .iter()
                .filter_map(|r| r.region_name().map(str::to_string));
            Ok((names.collect(), page.next_token().map(str::to_string)))
        }
    })
    .await;
    if let Some(f) = failure {
        return Err(f);
    }
    Ok(calls::sorted(regions))
}
