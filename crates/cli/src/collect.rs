//! `stagegate collect aws` and `stagegate audit --aws`: live accounts, read through
//! stagegate-aws into a collection, which the sweep audits scope by scope.

use crate::args::{AuditArgs, AwsArgs, CollectAwsArgs};
use crate::run::CliError;
use stagegate::collection::Manifest;
use stagegate::Linter;
use stagegate_aws::{Accounts, Event, Options, Regions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The library's options from the command line's.
fn options(args: &AwsArgs, output: PathBuf) -> Result<Options, String> {
    let regions = match args.regions.as_slice() {
        [] => Regions::Configured,
        [all] if all == "all" => Regions::Enabled,
        list if list.iter().any(|r| r == "all") => {
            return Err("--regions takes `all` alone, or a list of regions".into())
        }
        list => {
            for r in list {
                let plain = !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !plain {
                    return Err(format!("--regions: `{r}` is not a region name"));
                }
            }
            Regions::List(list.to_vec())
        }
    };
    let accounts = if args.org {
        Accounts::Organization
    } else if args.accounts.is_empty() {
        Accounts::Caller
    } else {
        for id in &args.accounts {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("--accounts: `{id}` is not a 12-digit account id"));
            }
        }
        Accounts::List(args.accounts.clone())
    };
    if accounts != Accounts::Caller && args.role_name.is_none() {
        return Err(
            "--org and --accounts read other accounts through a role: give --role-name".into(),
        );
    }
    Ok(Options {
        accounts,
        regions,
        role_name: args.role_name.clone(),
        external_id: args.external_id.clone(),
        profile: args.profile.clone(),
        ..Options::new(output)
    })
    .map(|o| Options {
        session_name: args.session_name.clone().unwrap_or(o.session_name),
        scopes_at_once: args.scopes_at_once.unwrap_or(o.scopes_at_once).max(1),
        max_attempts: args.max_attempts.unwrap_or(o.max_attempts),
        ..o
    })
}

/// `audit` without `--aws` takes none of the live options: given, they would be ignored.
pub(crate) fn refuse_live_options(args: &AwsArgs) -> Result<(), CliError> {
    let given = [
        (!args.regions.is_empty(), "--regions"),
        (!args.accounts.is_empty(), "--accounts"),
        (args.org, "--org"),
        (args.role_name.is_some(), "--role-name"),
        (args.external_id.is_some(), "--external-id"),
        (args.session_name.is_some(), "--session-name"),
        (args.profile.is_some(), "--profile"),
        (args.scopes_at_once.is_some(), "--scopes-at-once"),
        (args.max_attempts.is_some(), "--max-attempts"),
    ];
    match given.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(format!("{flag} reads live accounts: it needs --aws").into()),
        None => Ok(()),
    }
}

/// Progress of a sweep on standard error, when it is a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    accounts: AtomicUsize,
    accounts_done: AtomicUsize,
    scopes: AtomicUsize,
    scopes_done: AtomicUsize,
    pipelines: AtomicUsize,
    calls: AtomicUsize,
    throttled: AtomicUsize,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            accounts: AtomicUsize::new(0),
            accounts_done: AtomicUsize::new(0),
            scopes: AtomicUsize::new(0),
            scopes_done: AtomicUsize::new(0),
            pipelines: AtomicUsize::new(0),
            calls: AtomicUsize::new(0),
            throttled: AtomicUsize::new(0),
        }
    }

    fn event(&self, e: &Event) {
        let add = |n: &AtomicUsize, k: usize| n.fetch_add(k, Ordering::Relaxed);
        match e {
            Event::Accounts(n) => add(&self.accounts, *n),
            Event::AccountDone => add(&self.accounts_done, 1),
            Event::Scopes(n) => add(&self.scopes, *n),
            Event::Pipelines(n) => add(&self.pipelines, *n),
            Event::Call => add(&self.calls, 1),
            Event::Throttled => add(&self.throttled, 1),
            Event::ScopeDone(_) => add(&self.scopes_done, 1),
        };
        if let Some(bar) = &self.bar {
            let get = |n: &AtomicUsize| n.load(Ordering::Relaxed);
            bar.set_message(format!(
                "accounts {}/{}  regions {}/{}  pipelines {}  API calls {}  throttled {}",
                get(&self.accounts_done),
                get(&self.accounts),
                get(&self.scopes_done),
                get(&self.scopes),
                get(&self.pipelines),
                get(&self.calls),
                get(&self.throttled),
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a finished collection says on standard error: where it is, what was skipped, what
/// failed.
fn tell(dir: &Path, manifest: &Manifest) {
    let pipelines: usize = manifest.scopes.iter().map(|s| s.pipelines).sum();
    let projects: usize = manifest.scopes.iter().map(|s| s.projects).sum();
    let mut text = format!(
        "info: collected {} scope{} ({} pipeline{}, {} CodeBuild project{}) into {} (readable by you alone)\n",
        manifest.scopes.len(),
        if manifest.scopes.len() == 1 { "" } else { "s" },
        pipelines,
        if pipelines == 1 { "" } else { "s" },
        projects,
        if projects == 1 { "" } else { "s" },
        dir.display()
    );
    for s in manifest
        .skipped
        .iter()
        .chain(manifest.scopes.iter().flat_map(|s| &s.skipped))
    {
        text.push_str(&format!("info: skipped {s}\n"));
    }
    for f in manifest
        .failures
        .iter()
        .chain(manifest.scopes.iter().flat_map(|s| &s.failures))
    {
        text.push_str(&format!("error: {}\n", f.describe()));
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// `stagegate collect aws`: 0 when every scope was read whole, 2 when any was not (each
/// named on standard error, and in the manifest).
pub(crate) fn collect(c: &CollectAwsArgs) -> Result<ExitCode, CliError> {
    let options = options(&c.aws, c.output.clone())?;
    let progress = Arc::new(Progress::new());
    let events = {
        let progress = Arc::clone(&progress);
        Arc::new(move |e: Event| progress.event(&e))
    };
    let result = stagegate_aws::collect(&options, events);
    progress.finish();
    let manifest = result.map_err(|e| e.to_string())?;
    tell(&c.output, &manifest);
    Ok(if manifest.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `stagegate audit --aws`: collects, and audits each scope as soon as it is written.
pub(crate) fn audit(
    a: &AuditArgs,
    linter: &Linter,
    baseline: Option<(crate::baseline::Baseline, String)>,
    out: Box<dyn Write + Send>,
) -> Result<ExitCode, CliError> {
    let options = options(&a.live, PathBuf::new())?;
    let dir = match &a.collect_dir {
        Some(dir) => dir.clone(),
        None => stagegate_aws::temporary_dir("stagegate-aws")?,
    };
    let options = Options {
        output: dir.clone(),
        ..options
    };
    let _ = writeln!(
        std::io::stderr(),
        "info: collecting into {} (readable by you alone)",
        dir.display()
    );
    let progress = Arc::new(Progress::new());
    let (send, receive) = std::sync::mpsc::channel::<stagegate::audit::Target>();
    let collector = {
        let bar = Arc::clone(&progress);
        let progress = Arc::clone(&progress);
        let dir = dir.clone();
        let send_scope = send.clone();
        let scopes_dir = dir.clone();
        let events = Arc::new(move |e: Event| {
            progress.event(&e);
            if let Event::ScopeDone(scope) = e {
                // a closed channel means the sweep stopped: its error is reported there
                let _ = send_scope.send(stagegate::audit::scope_target(&scopes_dir, &scope));
            }
        });
        std::thread::spawn(move || {
            let result = stagegate_aws::collect(&options, events);
            // cleared before the sweep's summary is written below it
            bar.finish();
            if let Ok(manifest) = &result {
                // what failed outside the scopes (an account not entered) is a workspace
                // of its own, incomplete
                let scopes: Vec<PathBuf> = manifest
                    .scopes
                    .iter()
                    .map(|s| dir.join(&s.folder))
                    .collect();
                for t in stagegate::audit::targets(
                    std::slice::from_ref(&dir),
                    stagegate::audit::Split::Detect,
                ) {
                    if !scopes.contains(&t.path) {
                        let _ = send.send(t);
                    }
                }
            }
            result
        })
    };
    let swept = crate::audit::run(crate::audit::Sweep {
        linter,
        targets: crate::audit::Targets::Stream(Box::new(receive.into_iter())),
        jobs: a.jobs,
        shard: None,
        format: a.format,
        baseline,
        out,
    });
    let collected = collector.join();
    let (worst, incomplete) = swept?;
    let manifest = match collected {
        Ok(Ok(manifest)) => manifest,
        Ok(Err(e)) => return Err(e.to_string().into()),
        Err(_) => return Err("the collection stopped before it ended".into()),
    };
    tell(&dir, &manifest);
    Ok(crate::run::audit_exit(
        incomplete || !manifest.complete(),
        a.fail_on,
        worst,
    ))
}
