//! Runs a subcommand: build the linter, call it, render, and choose the exit status.

use crate::args::{Args, CheckArgs, Color, Command, FailOn, Format, PolicyArgs, TestArgs};
use crate::render;
use stagegate::RepoConfig;
use stagegate::{Linter, Report, Severity};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;

/// Why a command could not run (exit 2): a usage or output problem in words, or a typed
/// error of the library, shown with a snippet of the file it is in.
#[derive(Debug)]
pub enum CliError {
    /// A usage, input or output problem.
    Message(String),
    /// A policy, governance, configuration or I/O error.
    Stagegate(stagegate::Error),
}

impl From<String> for CliError {
    fn from(message: String) -> Self {
        CliError::Message(message)
    }
}

impl From<&str> for CliError {
    fn from(message: &str) -> Self {
        CliError::Message(message.to_string())
    }
}

impl From<stagegate::Error> for CliError {
    fn from(e: stagegate::Error) -> Self {
        CliError::Stagegate(e)
    }
}

impl CliError {
    /// The error as stderr shows it: located problems with a snippet of their file.
    pub fn render(&self) -> String {
        match self {
            CliError::Message(m) => format!("error: {m}\n"),
            CliError::Stagegate(stagegate::Error::Config { problems }) => {
                let handler = miette::GraphicalReportHandler::new_themed(
                    miette::GraphicalTheme::unicode_nocolor(),
                );
                let mut out = String::new();
                for p in problems {
                    let mut one = String::new();
                    if handler.render_report(&mut one, p).is_err() {
                        one = format!("error: {p}\n");
                    }
                    out.push_str(&one);
                }
                out
            }
            CliError::Stagegate(e) => format!("error: {e}\n"),
        }
    }
}

/// Runs the command; `Err` is a usage or policy error (exit 2).
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        Command::Check(check) => run_check(*check),
        Command::Policies(p) => {
            let linter = build(&p.policies, &[])?;
            if p.format == crate::args::ListFormat::Json {
                let list: Vec<serde_json::Value> = linter
                    .policies()
                    .iter()
                    .map(|policy| {
                        let m = &policy.metadata;
                        serde_json::json!({
                            "id": m.id,
                            "severity": m.severity.as_str(),
                            "waivable": m.waivable,
                            "origin": policy.origin,
                            "title": m.title,
                            "parameters": linter.policy_set().parameters(&m.id).into_iter().map(|(k, _)| k).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
                return write_stdout(&format!("{text}\n"));
            }
            let mut out = String::new();
            for policy in linter.policies() {
                let m = &policy.metadata;
                out.push_str(&format!(
                    "{:<32} {:<8} {:<10} {}\n",
                    m.id,
                    m.severity.as_str(),
                    policy.origin,
                    m.title
                ));
            }
            write_stdout(&out)
        }
        Command::Explain { id, policies } => {
            if id == stagegate::REFUSED {
                return write_stdout(&render::explain_refused());
            }
            let linter = build(&policies, &[])?;
            let policy = linter
                .policies()
                .iter()
                .find(|p| p.metadata.id == id)
                .ok_or_else(|| format!("no policy has the id `{id}` (see `stagegate policies`)"))?;
            write_stdout(&render::explain(policy))
        }
        Command::Test(t) => run_test(t),
        Command::Audit(a) => run_audit(*a),
        #[cfg(feature = "aws")]
        Command::Collect {
            source: crate::args::CollectSource::Aws(c),
        } => crate::collect::collect(&c),
        Command::Merge { reports, output } => {
            let text = crate::audit::merge(&reports)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                    Ok(ExitCode::SUCCESS)
                }
                None => write_stdout(&text),
            }
        }
        Command::Init { dir, force } => {
            let path = dir.join(".stagegate.yaml");
            if path.exists() && !force {
                return Err(
                    format!("{} exists (use --force to replace it)", path.display()).into(),
                );
            }
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            std::fs::write(&path, STARTER_CONFIG)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            write_stdout(&format!("wrote {}\n", path.display()))
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut completion_command(), "stagegate", &mut out);
            write_stdout(&String::from_utf8_lossy(&out))
        }
        Command::Man { subcommand, dir } => crate::man::run(subcommand.as_deref(), dir.as_deref()),
    }
}

/// The command line as completions see it: policy ids (of the built-in pack) complete where
/// an id is asked for. Parsing still accepts the ids of a `--policy-dir`.
fn completion_command() -> clap::Command {
    // clap's possible values are `&'static str`; this process prints one script and exits
    let ids: Vec<&'static str> = Linter::builder()
        .builtin_policies()
        .build()
        .map(|l| {
            l.policies()
                .iter()
                .map(|p| &*p.metadata.id.clone().leak())
                .collect()
        })
        .unwrap_or_default();
    let parser = |extra: &[&'static str]| {
        clap::builder::PossibleValuesParser::new(ids.iter().chain(extra).copied())
    };
    <Args as clap::CommandFactory>::command()
        .mut_subcommand("check", |c| {
            c.mut_arg("select", |a| a.value_parser(parser(&[])))
                .mut_arg("ignore", |a| a.value_parser(parser(&[])))
        })
        .mut_subcommand("explain", |c| {
            c.mut_arg("id", |a| a.value_parser(parser(&[stagegate::REFUSED])))
        })
}

fn build(p: &PolicyArgs, select: &[String]) -> Result<Linter, CliError> {
    finish(builder_for(p, select, stagegate::Limits::default())?)
}

fn finish(builder: stagegate::LinterBuilder) -> Result<Linter, CliError> {
    // only `--select` asks the builder for policies by id
    let linter = builder.build().map_err(|e| match e {
        stagegate::Error::UnknownPolicy { id } => CliError::Message(format!(
            "--select {id}: no policy has this id (`stagegate policies` lists them)"
        )),
        other => CliError::Stagegate(other),
    })?;
    if linter.policies().is_empty() {
        return Err("no policies loaded (use the built-in pack or --policies DIR)".into());
    }
    Ok(linter)
}

/// `--var-file`s in order, then `--var`s, which win.
fn terraform_vars(
    mut builder: stagegate::LinterBuilder,
    t: &crate::args::TerraformArgs,
) -> Result<stagegate::LinterBuilder, CliError> {
    for file in &t.var_files {
        builder = builder.terraform_var_file(file)?;
    }
    for (name, value) in &t.vars {
        builder = builder.terraform_var(name, value);
    }
    Ok(builder)
}

fn builder_for(
    p: &PolicyArgs,
    select: &[String],
    limits: stagegate::Limits,
) -> Result<stagegate::LinterBuilder, CliError> {
    let mut builder = Linter::builder().limits(limits);
    if !p.no_builtin {
        builder = builder.builtin_policies();
    }
    if let Some(file) = &p.governance {
        builder = builder.governance_file(file)?;
    }
    for dir in &p.policy_dirs {
        builder = builder.policy_dir(dir)?;
    }
    if !select.is_empty() {
        builder = builder.select(select.iter().cloned());
    }
    Ok(builder)
}

fn run_check(args: CheckArgs) -> Result<ExitCode, CliError> {
    let limits = stagegate::Limits {
        max_file_bytes: args.max_file_size,
        ..Default::default()
    };
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        return Err("`-` (standard input) is checked alone: give no other PATH".into());
    }
    let config_path = args.config.clone().or_else(|| {
        let start = match args.paths.first() {
            Some(p) if !stdin => p.clone(),
            _ => ".".into(),
        };
        RepoConfig::discover(&start)
    });
    let config = match &config_path {
        Some(path) => RepoConfig::load(path)?,
        None => RepoConfig::default(),
    };
    // the repository's configuration may raise the bar, never lower it below the errors of
    // non-waivable policies; a command-line flag is the operator's, and is recorded
    let (fail_on, fail_on_from_config) = match (args.fail_on, config.fail_on) {
        (Some(f), _) => (f, false),
        (None, Some(f)) => (FailOn::from(f), true),
        (None, None) => (FailOn::Error, false),
    };
    let required = args.require.iter().map(|r| match r {
        crate::args::Require::Pipelines => "pipelines",
        crate::args::Require::Buildspecs => "buildspecs",
    });
    let builder = terraform_vars(
        builder_for(&args.policies, &args.select, limits)?,
        &args.terraform,
    )?
    .require(required)
    .repo_config(config)
    .waivers(!args.no_waivers)
    .report_unused_waivers(args.report_unused_waivers);
    let linter = finish(builder)?;
    for id in &args.ignore {
        if !linter.policies().iter().any(|p| &p.metadata.id == id) {
            return Err(format!("--ignore {id}: no policy has this id").into());
        }
    }
    let non_waivable: Vec<String> = linter
        .policies()
        .iter()
        .filter(|p| !p.metadata.waivable)
        .map(|p| p.metadata.id.clone())
        .collect();
    let linter = linter.without(&args.ignore);
    let mut report = if stdin {
        let text = read_stdin(args.max_file_size)?;
        linter.check_sources([(args.stdin_filename.clone(), text)])
    } else {
        let mut report = linter.check_paths(&args.paths);
        // part of a live collection misses what its manifest says it misses
        let missing = args
            .paths
            .iter()
            .flat_map(|p| stagegate::collection::missing_from(p));
        for message in missing {
            if !report.errors.iter().any(|e| e.message == message) {
                report.errors.push(stagegate::Problem {
                    message,
                    location: None,
                    related: Vec::new(),
                });
            }
        }
        report.summary.errors = report.errors.len();
        report
    };
    let workspace = crate::baseline::workspace_name(&args.paths);
    if let Some(path) = &args.baseline {
        let mut baseline = crate::baseline::Baseline::read(path)?;
        baseline.apply(&workspace, &mut report, &path.display().to_string());
        let fixed = baseline.fixed();
        if !fixed.is_empty() {
            report.notes.push(stagegate::Note {
                path: String::new(),
                message: format!(
                    "baseline {}: {} finding(s) fixed since ({})",
                    path.display(),
                    fixed.len(),
                    fixed.join(", ")
                ),
            });
        }
    }
    let overrides = operator_overrides(&args, fail_on, fail_on_from_config, &non_waivable);
    report
        .notes
        .extend(overrides.iter().map(|message| stagegate::Note {
            path: String::new(),
            message: message.clone(),
        }));
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let render = |format: Format| match format {
        Format::Human => render::human::render(&report, color, terminal_width()),
        Format::Concise => render::human::render_concise(&report),
        Format::Json => render::json::render(&report, &workspace),
        Format::Sarif => render::sarif::render(&report, linter.policies()),
        Format::Github => render::github::render(&report),
        Format::Junit => render::junit::render(&report, linter.policies(), threshold(fail_on)),
    };
    let write = |path: &std::path::Path, text: String| {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    for (path, format) in [
        (&args.output_json, Format::Json),
        (&args.output_sarif, Format::Sarif),
        (&args.output_junit, Format::Junit),
    ] {
        if let Some(path) = path {
            write(path, render(format))?;
        }
    }
    match &args.output {
        Some(path) => write(path, render(args.format))?,
        None if args.quiet => {}
        None => {
            write_stdout(&render(args.format))?;
        }
    }
    // an incomplete check says why on stderr whatever goes to stdout, so that `--quiet` or
    // a report written to a file never hides it
    if args.quiet || args.output.is_some() {
        for e in &report.errors {
            match &e.location {
                Some(l) => eprintln!("error: {}:{}:{}: {}", l.path, l.line, l.column, e.message),
                None => eprintln!("error: {}", e.message),
            }
        }
    }
    let floor = if fail_on_from_config {
        non_waivable.as_slice()
    } else {
        &[]
    };
    Ok(exit_code(&report, fail_on, floor))
}

/// Notes for every way this run was told to drop or soften non-waivable policies: the
/// operator's command-line flags (honoured, and recorded in every output), and a
/// repository's `fail-on` (not honoured for those policies).
fn operator_overrides(
    args: &CheckArgs,
    fail_on: FailOn,
    from_config: bool,
    non_waivable: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let lowered = !matches!(fail_on, FailOn::Error | FailOn::Warning | FailOn::Note);
    if lowered && from_config {
        out.push(format!(
            "fail-on: {} in the repository configuration does not apply to the errors of non-waivable policies ({})",
            fail_on_name(fail_on),
            non_waivable.join(", ")
        ));
    } else if lowered {
        out.push(format!(
            "run with --fail-on {}: errors of non-waivable policies do not fail the check",
            fail_on_name(fail_on)
        ));
    }
    for id in args.ignore.iter().filter(|id| non_waivable.contains(id)) {
        out.push(format!(
            "run with --ignore {id}: the non-waivable policy {id} was not evaluated"
        ));
    }
    if !args.select.is_empty() {
        let dropped: Vec<&String> = non_waivable
            .iter()
            .filter(|id| !args.select.contains(id))
            .collect();
        if !dropped.is_empty() {
            out.push(format!(
                "run with --select: the non-waivable policies {} were not evaluated",
                dropped
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if args.policies.no_builtin {
        out.push(
            "run with --no-builtin: the built-in governance policies were not evaluated".into(),
        );
    }
    out
}

fn fail_on_name(f: FailOn) -> &'static str {
    match f {
        FailOn::Error => "error",
        FailOn::Warning => "warning",
        FailOn::Note => "note",
        FailOn::Never => "never",
    }
}

/// 2 when something could not be checked; 1 when a finding reaches `--fail-on`, or is an
/// error of a policy in `floor` (the non-waivable ones, when a repository set the bar);
/// else 0.
/// The lowest severity that fails a check run with `fail_on`.
fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    }
}

fn exit_code(report: &Report, fail_on: FailOn, floor: &[String]) -> ExitCode {
    if !report.errors.is_empty() {
        return ExitCode::from(2);
    }
    if report
        .active()
        .any(|v| v.severity == Severity::Error && floor.contains(&v.policy))
    {
        return ExitCode::from(1);
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    match (threshold, report.worst()) {
        (Some(t), Some(w)) if w >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// Standard input as text: at most one byte more than `limit`, so that the check reports
/// an input over the limit as it does a file.
fn read_stdin(limit: u64) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "standard input is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    // a file named on the command line may be empty; a pipe that brought nothing is a
    // mistake upstream (`cat missing | stagegate check -`), not a pass
    if text.trim().is_empty() {
        return Err("standard input is empty: nothing to check".into());
    }
    Ok(text)
}

/// Columns for human output: `COLUMNS`, else the terminal's, else 100.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
        .unwrap_or(100)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("cannot write output: {e}").into()),
    }
}

/// `stagegate test [DIR]`: Rego tests, then fixtures; exit 1 when anything fails.
fn run_test(t: TestArgs) -> Result<ExitCode, CliError> {
    let mut builder = Linter::builder();
    builder = match &t.dir {
        Some(dir) => {
            // user policies get the built-in helper library, not the built-in policies
            let mut b = builder.policy_dir(dir)?;
            b = b.builtin_lib();
            b
        }
        None => builder.builtin_policies(),
    };
    if let Some(file) = &t.governance {
        builder = builder.governance_file(file)?;
    }
    let linter = builder.build()?;
    let (tests, coverage) = linter.policy_set().run_tests_with_coverage(t.coverage)?;
    let mut out = String::new();
    let (mut passed, mut failed) = (0, 0);
    for test in &tests {
        match &test.result {
            Ok(()) => {
                passed += 1;
                out.push_str(&format!("PASS rego    {}\n", test.name));
            }
            Err(why) => {
                failed += 1;
                out.push_str(&format!("FAIL rego    {}: {why}\n", test.name));
            }
        }
    }
    // built-in fixtures live in the source tree, not in the binary
    let root = t
        .dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("policies"));
    if root.is_dir() {
        let (cases, without) = stagegate::fixtures::run(&linter, &root);
        for case in &cases {
            let name = format!("{} {}", case.policy, case.case);
            if case.passed() {
                passed += 1;
                out.push_str(&format!("PASS fixture {name}\n"));
                continue;
            }
            failed += 1;
            out.push_str(&format!("FAIL fixture {name}\n"));
            for (file, line, id) in &case.missing {
                out.push_str(&format!(
                    "       expected but not reported: {file}:{line} {id}\n"
                ));
            }
            for (file, line, id) in &case.unexpected {
                out.push_str(&format!(
                    "       reported but not expected: {file}:{line} {id}\n"
                ));
            }
            for p in &case.problems {
                out.push_str(&format!("       {p}\n"));
            }
        }
        for id in without {
            out.push_str(&format!("note: {id} has no fixtures folder\n"));
        }
    } else {
        out.push_str("note: no policies/ folder here, so the built-in fixtures were not checked (run from a stagegate checkout)\n");
    }
    if t.coverage {
        out.push_str("\ncoverage (lines of each policy module evaluated by its Rego tests):\n");
        for c in &coverage {
            let total = c.covered + c.not_covered.len();
            let pct = if total == 0 {
                100.0
            } else {
                100.0 * c.covered as f64 / total as f64
            };
            out.push_str(&format!("  {:5.1}%  {}", pct, c.path));
            if !c.not_covered.is_empty() {
                let lines: Vec<String> = c.not_covered.iter().map(u32::to_string).collect();
                out.push_str(&format!("  (not evaluated: {})", lines.join(", ")));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!("\n{passed} passed, {failed} failed\n"));
    write_stdout(&out)?;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What `stagegate init` writes: every setting, commented, with safe defaults.
const STARTER_CONFIG: &str = r#"# stagegate repository configuration. `stagegate check` validates this file and names
# any unknown key or wrong value at its line; every setting is below.
version: 1

# Exit 1 when an unwaived finding at or above this severity is reported.
fail-on: error            # error | warning | note | never

# Run only some policies, or skip some. Policies the platform marks non-waivable
# (build-without-sca, locked-buildspec-not-inline, ...) always run.
# select: [build-without-sca, buildspec-plaintext-secret]
# ignore: [buildspec-legacy-version]

# Severity overrides, for waivable policies only.
# severity:
#   buildspec-unpinned-runtime: note

# Accepted findings: a reason is required; an expired waiver stops waiving.
waivers: []
#  - policy: buildspec-unpinned-runtime
#    paths: ['ci/**/buildspec*.yml']     # relative to this file
#    reason: the image pins the runtime
#    expires: 2027-06-30
#    owner: team-payments
#    ticket: SEC-123
"#;

/// `stagegate audit`: 2 when a workspace could not be fully checked, 1 when a new finding
/// reaches `--fail-on`, else 0.
fn run_audit(a: crate::args::AuditArgs) -> Result<ExitCode, CliError> {
    let builder = builder_for(&a.policies, &[], stagegate::Limits::default())?;
    let linter = finish(terraform_vars(builder, &a.terraform)?.waivers(!a.no_waivers))?;
    let baseline = a
        .baseline
        .as_deref()
        .map(|p| crate::baseline::Baseline::read(p).map(|b| (b, p.display().to_string())))
        .transpose()?;
    let out: Box<dyn Write + Send> = match &a.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let split = if a.workspace_per_dir {
        stagegate::audit::Split::PerDir
    } else {
        stagegate::audit::Split::Detect
    };
    #[cfg(feature = "aws")]
    if a.aws {
        return crate::collect::audit(&a, &linter, baseline, out);
    }
    #[cfg(feature = "aws")]
    crate::collect::refuse_live_options(&a.live)?;
    let (worst, incomplete) = crate::audit::run(crate::audit::Sweep {
        linter: &linter,
        targets: crate::audit::Targets::Roots(a.roots.clone(), split),
        jobs: a.jobs,
        shard: a.shard,
        format: a.format,
        baseline,
        out,
    })?;
    Ok(audit_exit(incomplete, a.fail_on, worst))
}

/// `audit`'s exit code: 2 when a workspace could not be fully checked, 1 when a new finding
/// reaches `fail_on`, else 0.
pub(crate) fn audit_exit(incomplete: bool, fail_on: FailOn, worst: Option<Severity>) -> ExitCode {
    if incomplete {
        return ExitCode::from(2);
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    match (threshold, worst) {
        (Some(t), Some(w)) if w >= t => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
