//! Command-line arguments (clap derive) only.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Policy-as-code linter for AWS CodePipeline / CodeBuild governance.
#[derive(Debug, Parser)]
#[command(name = "stagegate", version, long_about = None)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check pipelines, CodeBuild projects and buildspecs under PATHs (default `.`).
    Check(Box<CheckArgs>),
    /// List the loaded policies.
    Policies(PoliciesArgs),
    /// Show a policy's title, description, remediation and links.
    Explain {
        /// Policy id, e.g. build-without-sca.
        id: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Sweep many workspaces (repositories, account dumps) in parallel.
    Audit(Box<AuditArgs>),
    /// Read pipelines and CodeBuild projects from live accounts into a folder that
    /// `audit` reads.
    #[cfg(feature = "aws")]
    Collect {
        /// Where from.
        #[command(subcommand)]
        source: CollectSource,
    },
    /// Combine shard reports (`audit --format json`) into one.
    Merge {
        /// Shard reports.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write to FILE instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write a starter `.stagegate.yaml` in the current folder (or DIR).
    Init {
        /// Folder to write it in.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print a shell completion script.
    Completions {
        /// Shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of stagegate or of one subcommand, or write every page.
    Man {
        /// Subcommand whose page to print (`stagegate-check(1)`, ...).
        subcommand: Option<String>,
        /// Write stagegate.1 and a page per subcommand into DIR instead.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
    /// Test a policy folder (built-in pack when no DIR): Rego `test_*` rules and the
    /// fixture expectations of each `<id>/fixtures/{violating,compliant}/<case>/`.
    Test(TestArgs),
}

/// `policies` options.
#[derive(Debug, clap::Args)]
pub struct PoliciesArgs {
    /// Output format: a line per policy, or JSON (id, severity, waivable, origin, title,
    /// parameters).
    #[arg(long, short, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    #[command(flatten)]
    pub policies: PolicyArgs,
}

/// How `policies` lists them.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    /// One line per policy.
    Text,
    /// A JSON array.
    Json,
}

/// Which policies to load.
#[derive(Debug, clap::Args, Clone)]
pub struct PolicyArgs {
    /// Add the policies in DIR (`<id>/policy.rego` with METADATA); repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub policy_dirs: Vec<PathBuf>,
    /// Do not load the built-in policy pack.
    #[arg(long)]
    pub no_builtin: bool,
    /// Platform governance data (gates, locked actions, policy parameters), YAML.
    #[arg(long, value_name = "FILE")]
    pub governance: Option<PathBuf>,
}

/// Terraform variable values, as `terraform apply` is given them.
#[derive(Debug, clap::Args, Default)]
pub struct TerraformArgs {
    /// A Terraform variable's value, as `terraform apply -var NAME=VALUE` passes it to the
    /// root modules; repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// A Terraform variables file (`*.tfvars`, `*.tfvars.json`), as `terraform apply
    /// -var-file` reads it; repeatable, later ones win, `--var` wins over all.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{s}`: expected NAME=VALUE")),
    }
}

/// Sources `collect` reads.
#[cfg(feature = "aws")]
#[derive(Debug, Subcommand)]
pub enum CollectSource {
    /// CodePipeline and CodeBuild of AWS accounts and regions, through the AWS SDK:
    /// `get-pipeline` and `batch-get-projects` dumps, one folder per account and region,
    /// and a manifest of what was read and what failed.
    Aws(CollectAwsArgs),
}

/// `collect aws` options.
#[cfg(feature = "aws")]
#[derive(Debug, clap::Args)]
pub struct CollectAwsArgs {
    /// The collection's folder (created, or empty); its files are readable by you alone.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Which accounts and regions to read, and how to enter them.
#[cfg(feature = "aws")]
#[derive(Debug, Clone, clap::Args)]
pub struct AwsArgs {
    /// Regions to read in each account, or `all` for each account's enabled regions
    /// (`account:ListRegions`) [default: the configured region].
    #[arg(long, value_name = "R,...|all", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// Accounts to read [default: the credentials' own].
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        conflicts_with = "org"
    )]
    pub accounts: Vec<String>,
    /// Every ACTIVE account of the organization (`organizations:ListAccounts`).
    #[arg(long)]
    pub org: bool,
    /// The role to assume in each account other than the credentials' own.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// The external id the role's trust policy asks for.
    #[arg(long, value_name = "ID", requires = "role_name")]
    pub external_id: Option<String>,
    /// The session name of the assumed roles, as CloudTrail shows it [default:
    /// stagegate-collect].
    #[arg(long, value_name = "NAME")]
    pub session_name: Option<String>,
    /// A profile of the shared AWS config.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Account-and-region scopes read at once [default: 8].
    #[arg(long, value_name = "N")]
    pub scopes_at_once: Option<usize>,
    /// Attempts per API call, throttled ones included, with the SDK's standard backoff
    /// between them [default: 8].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: Option<u32>,
}

/// `audit` options.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Folders to sweep.
    #[cfg_attr(feature = "aws", arg(required_unless_present = "aws"))]
    #[cfg_attr(not(feature = "aws"), arg(required = true))]
    pub roots: Vec<PathBuf>,
    /// Read live AWS accounts (as `collect aws` does) and audit each account and region as
    /// soon as it is read.
    #[cfg(feature = "aws")]
    #[arg(long, conflicts_with_all = ["roots", "workspace_per_dir", "shard"])]
    pub aws: bool,
    /// With --aws: the folder to collect into [default: a new folder in the system's
    /// temporary folder, named on standard error]; it is kept, since findings point into it.
    #[cfg(feature = "aws")]
    #[arg(long, value_name = "DIR", requires = "aws")]
    pub collect_dir: Option<PathBuf>,
    #[cfg(feature = "aws")]
    #[command(flatten)]
    pub live: AwsArgs,
    /// Each immediate subfolder of a ROOT is one workspace (default: detect git
    /// repositories and folders of API dumps).
    #[arg(long)]
    pub workspace_per_dir: bool,
    /// Worker threads [default: one per core].
    #[arg(
        long,
        short,
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub jobs: usize,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = crate::audit::AuditFormat::Summary)]
    pub format: crate::audit::AuditFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A previous `audit --format json` or `check --format json` report: its findings (by
    /// workspace and fingerprint) are known, not new; the fixed ones are listed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Check only shard K of N (e.g. 2/8), split by a stable hash of each target.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Exit 1 when a (new) finding at or above this severity is reported.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Ignore every waiver.
    #[arg(long)]
    pub no_waivers: bool,
    #[command(flatten)]
    pub policies: PolicyArgs,
    /// Terraform values for the root modules of every workspace.
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 1/4")?;
    let k: usize = k.parse().map_err(|_| "K must be a number")?;
    let n: usize = n.parse().map_err(|_| "N must be a number")?;
    if n == 0 || k == 0 || k > n {
        return Err("expected 1 <= K <= N".into());
    }
    Ok((k, n))
}

/// `test` options.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Policy folder (`<id>/policy.rego`, `*_test.rego`, `<id>/fixtures/`).
    pub dir: Option<PathBuf>,
    /// Report which policy lines the Rego tests evaluated.
    #[arg(long)]
    pub coverage: bool,
    /// Platform governance data for the policies.
    #[arg(long, value_name = "FILE")]
    pub governance: Option<PathBuf>,
}

/// `check` options.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories (walked; .gitignore applies to untracked files only); `-`
    /// alone reads one file from standard input.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The name that standard input (`-`) is checked and reported under; a name such as
    /// `buildspec.yml` or `x.template.yaml` also says what the file is.
    #[arg(long, value_name = "NAME", default_value = "<stdin>")]
    pub stdin_filename: String,
    /// Exit 2 when the checked files hold no pipeline (or no buildspec): a check that read
    /// nothing is not a pass.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub require: Vec<Require>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write a JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_json: Option<PathBuf>,
    /// Also write a SARIF report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_sarif: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_junit: Option<PathBuf>,
    /// Exit 1 when an unwaived finding at or above this severity is reported
    /// [default: the config's `fail-on`, else error].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Repository configuration [default: .stagegate.yaml found upward from the first PATH].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore every waiver (config, governance, inline comments): show everything.
    #[arg(long)]
    pub no_waivers: bool,
    /// Note waivers that matched no finding.
    #[arg(long)]
    pub report_unused_waivers: bool,
    /// A previous `check --format json` or `audit --format json` report: its findings in
    /// this workspace (by fingerprint) are known, shown as suppressed, and do not fail the
    /// check; the run notes how many, and which were fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print nothing on standard output (the exit code and --output-* files remain).
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only these policies (ids); repeatable.
    #[arg(long, value_name = "ID")]
    pub select: Vec<String>,
    /// Do not run these policies (ids); repeatable.
    #[arg(long, value_name = "ID")]
    pub ignore: Vec<String>,
    /// Largest input file read, in bytes; larger files are errors.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Colours in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub policies: PolicyArgs,
    #[command(flatten)]
    pub terraform: TerraformArgs,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics with source snippets, wrapped to the terminal (`COLUMNS`).
    Human,
    /// One line per finding: `path:line:col: severity[policy] message` (CI logs).
    Concise,
    /// Machine-readable report, schema version 1.
    Json,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML (CodeBuild report groups).
    Junit,
}

/// The lowest severity that fails the check.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
#[value(rename_all = "lowercase")]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Note,
    /// Never fail on findings (problems still exit 2).
    Never,
}

impl From<stagegate::FailOn> for FailOn {
    fn from(f: stagegate::FailOn) -> Self {
        match f {
            stagegate::FailOn::Error => FailOn::Error,
            stagegate::FailOn::Warning => FailOn::Warning,
            stagegate::FailOn::Note => FailOn::Note,
            stagegate::FailOn::Never => FailOn::Never,
        }
    }
}

/// Colour choice.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    /// When writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What `--require` asks the checked files to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Require {
    /// At least one pipeline.
    Pipelines,
    /// At least one buildspec.
    Buildspecs,
}
