//! `stagegate man`: a roff page for stagegate and one per subcommand, each with the exit
//! status of what it runs.

use crate::args::Args;
use crate::run::CliError;
use std::path::Path;
use std::process::ExitCode;

/// The EXIT STATUS section of a page: `(code, meaning)` rows.
fn exit_status(subcommand: Option<&str>) -> &'static [(&'static str, &'static str)] {
    const CHECK: &[(&str, &str)] = &[
        (
            "0",
            "The check is complete and no unwaived finding is at or above --fail-on.",
        ),
        (
            "1",
            "Unwaived findings at or above --fail-on (findings a --baseline knows do not count).",
        ),
        (
            "2",
            "The check is incomplete: a file that could not be read or parsed, a policy that \
             failed to load or evaluate, invalid governance data or configuration, --require \
             not met, or bad usage. Findings of the files that could be checked are still \
             reported.",
        ),
    ];
    const AUDIT: &[(&str, &str)] = &[
        (
            "0",
            "Every workspace was checked and none has a finding at or above --fail-on.",
        ),
        (
            "1",
            "A workspace has unwaived findings at or above --fail-on.",
        ),
        (
            "2",
            "A workspace could not be fully checked (its problems are in the report and the \
             sweep went on), a scope of a live sweep or collection was not read whole, the \
             credentials or the organization's accounts could not be read, or bad usage.",
        ),
    ];
    const COLLECT: &[(&str, &str)] = &[
        ("0", "Every account and region was read whole."),
        (
            "2",
            "A scope (account and region) or an account was not read whole: each is named on \
             standard error and in the manifest, and an audit of the collection reports it \
             as incomplete. Also: the credentials or the organization's accounts could not \
             be read, the output folder is not empty, or bad usage.",
        ),
    ];
    const TEST: &[(&str, &str)] = &[
        ("0", "Every Rego test and fixture expectation passed."),
        ("1", "A test or fixture expectation failed."),
        ("2", "The policy folder could not be loaded, or bad usage."),
    ];
    const MERGE: &[(&str, &str)] = &[
        ("0", "The shard reports were combined."),
        (
            "2",
            "A report could not be read, is not an audit report, repeats a shard, or shards are \
             missing; or bad usage.",
        ),
    ];
    const OTHER: &[(&str, &str)] = &[
        ("0", "Success."),
        (
            "2",
            "An error (an unknown policy id, a file that could not be written, bad usage).",
        ),
    ];
    match subcommand {
        None | Some("check") => CHECK,
        Some("audit") => AUDIT,
        Some("test") => TEST,
        Some("merge") => MERGE,
        Some("collect") => COLLECT,
        Some(_) => OTHER,
    }
}

fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('-', "\\-")
}

/// One page: clap's sections, then EXIT STATUS and SEE ALSO.
fn page(cmd: &clap::Command, subcommand: Option<&str>, all: &[String]) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut extra = String::from(".SH \"EXIT STATUS\"\n");
    for (code, meaning) in exit_status(subcommand) {
        extra.push_str(&format!(".TP\n\\fB{code}\\fR\n{}\n", roff_escape(meaning)));
    }
    extra.push_str(".SH \"SEE ALSO\"\n");
    let others: Vec<String> = std::iter::once("stagegate".to_string())
        .chain(all.iter().map(|s| format!("stagegate-{s}")))
        .filter(|name| Some(name.as_str()) != cmd.get_display_name())
        .map(|name| format!("\\fB{}\\fR(1)", roff_escape(&name)))
        .collect();
    extra.push_str(&others.join(", "));
    extra.push('\n');
    out.extend_from_slice(extra.as_bytes());
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    Ok(out)
}

/// Prints the page of stagegate or of `subcommand`, or writes every page into `dir`.
pub fn run(subcommand: Option<&str>, dir: Option<&Path>) -> Result<ExitCode, CliError> {
    let mut root = <Args as clap::CommandFactory>::command().disable_help_subcommand(true);
    root.build();
    let all: Vec<String> = root
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let render = |sub: Option<&str>| -> Result<Vec<u8>, CliError> {
        let cmd = match sub {
            None => &root,
            Some(name) => root.find_subcommand(name).ok_or_else(|| {
                format!(
                    "stagegate man {name}: no such subcommand (one of: {})",
                    all.join(", ")
                )
            })?,
        };
        page(cmd, sub, &all).map_err(|e| CliError::from(e.to_string()))
    };
    let Some(dir) = dir else {
        let text = render(subcommand)?;
        return crate::run::write_stdout(&String::from_utf8_lossy(&text));
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let names = std::iter::once(None).chain(all.iter().map(|s| Some(s.as_str())));
    for sub in names {
        let file = match sub {
            None => dir.join("stagegate.1"),
            Some(s) => dir.join(format!("stagegate-{s}.1")),
        };
        std::fs::write(&file, render(sub)?).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
