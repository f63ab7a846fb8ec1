//! normalize: what the commands of a platform-owned buildspec run: the scanners that can
//! fail the build, repository code, weakened lines, and lines that change what later
//! commands of the same shell run.

use super::super::scanners::{self, Scan};
use super::super::{shell, SourceRef};
use super::{first_line, GateRules, OVERRIDING_VARIABLES};

/// What a platform-owned command list verifies.
#[derive(Debug, Default)]
pub(super) struct Analysis {
    /// (role, reason, source) of each scanner that runs and can fail the build.
    pub(super) gates: Vec<(String, String, SourceRef)>,
    /// Why a scanner that appears does not count: (role, reason).
    pub(super) refused: Vec<(String, String)>,
    /// Commands that run repository code: (reason, source).
    pub(super) repo_code: Vec<(String, SourceRef)>,
    /// Commands that let a failure pass or run code fetched at build time: (reason, source).
    pub(super) weakened: Vec<(String, SourceRef)>,
}

/// Reads commands in order: which scanners really run and can fail, and which commands run
/// code from the repository.
pub(super) fn analyze(commands: &[(&str, bool, SourceRef)], rules: &GateRules) -> Analysis {
    let mut out = Analysis::default();
    // names of what earlier commands downloaded or unpacked: a program under such a folder
    // is the buildspec's own, not the repository's
    let mut provided: Vec<String> = Vec::new();
    // CodeBuild runs a phase's commands in one shell: a function, an alias or a changed
    // PATH from an earlier line changes what a later scanner name runs
    let mut tainted: Option<String> = None;
    for (text, finally, source) in commands {
        // a Terraform value known only when applied could be `|| true`, or any command
        let unknown_value = text.contains(crate::model::TERRAFORM_VALUE);
        if unknown_value {
            out.weakened.push((
                format!(
                    "`{}` holds a Terraform value known only when applied, which could be any text",
                    first_line(text)
                ),
                source.clone(),
            ));
        }
        let Some(simples) = shell::parse(text).filter(|_| !unknown_value) else {
            tainted.get_or_insert_with(|| {
                format!(
                    "`{}` uses shell constructs stagegate does not follow, so what later commands run cannot be verified",
                    first_line(text)
                )
            });
            let lower = text.to_lowercase();
            if let Some(role) = claimed_scanner(&lower) {
                out.refused.push((
                    role.into(),
                    format!(
                        "`{}` uses shell constructs stagegate does not follow",
                        first_line(text)
                    ),
                ));
            }
            continue;
        };
        if let Some(why) = weakens(&simples) {
            out.weakened
                .push((format!("`{}` {why}", first_line(text)), source.clone()));
        }
        for simple in &simples {
            let Some(program) = simple.words.first() else {
                continue;
            };
            let name = shell::program_name(&simple.words).unwrap_or_default();
            if let Some(why) = changes_later_commands(&simple.words, &simple.assignments) {
                tainted.get_or_insert_with(|| format!("`{}` {why}", first_line(text)));
            }
            if matches!(
                name,
                "unzip" | "tar" | "curl" | "wget" | "git" | "gunzip" | "7z"
            ) {
                for w in simple.words.iter().skip(1) {
                    let base = w.rsplit('/').next().unwrap_or(w);
                    let stem = base.split('.').next().unwrap_or(base);
                    provided.push(stem.to_string());
                    provided.push(base.to_string());
                }
                continue;
            }
            let from_repo = if shell::is_path(program) {
                let own = shell::first_dir(program)
                    .is_some_and(|d| provided.iter().any(|p| p == d || p.starts_with(d)))
                    || provided.iter().any(|p| p == name);
                (!own).then(|| format!("`{program}` is a program from the repository"))
            } else {
                scanners::runs_repository_code(&simple.words).filter(|_| {
                    // `bash ./tool/run.sh` where tool/ was unpacked by the buildspec
                    !simple.words.iter().skip(1).any(|w| {
                        shell::first_dir(w).is_some_and(|d| provided.iter().any(|p| p == d))
                    })
                })
            };
            if let Some(why) = &from_repo {
                out.repo_code.push((why.clone(), source.clone()));
            }
            let mut scan = scanners::scan(&simple.words);
            if rules.builtin_scanners.is_none() {
                scan = Scan::None;
            }
            if scan == Scan::None {
                let line = simple.words.join(" ");
                if let Some((role, _)) = rules
                    .command_patterns
                    .iter()
                    .find(|(_, re)| re.is_match(&line))
                {
                    scan = Scan::Gate(leak(role));
                }
            }
            match scan {
                Scan::None => {}
                Scan::Report(role, why) => out
                    .refused
                    .push((role.into(), format!("`{}`: {why}", first_line(text)))),
                Scan::Gate(role) => {
                    let refusal = if *finally {
                        Some(
                            "it runs only in `finally`, whose status does not fail the build"
                                .to_string(),
                        )
                    } else if !simple.always_runs {
                        Some("it runs only when an earlier command fails".to_string())
                    } else if !simple.decides {
                        Some("its failure is masked (`||`, `;`, a pipe or `&` after it), so it cannot fail the build".to_string())
                    } else if let Some(why) = from_repo {
                        Some(why)
                    } else {
                        tainted.clone()
                    };
                    match refusal {
                        Some(why) => out
                            .refused
                            .push((role.into(), format!("`{}`: {why}", first_line(text)))),
                        None => out.gates.push((
                            role.into(),
                            format!(
                                "runs `{}` in its platform-owned buildspec",
                                first_line(text)
                            ),
                            source.clone(),
                        )),
                    }
                }
            }
        }
        // a scanner named only in arguments (`echo dependency-check`) is said so
        let lower = text.to_lowercase();
        if let Some(role) = claimed_scanner(&lower) {
            let ran = out.gates.iter().any(|(_, _, s)| s == source)
                || out
                    .refused
                    .iter()
                    .any(|(_, r)| r.starts_with(&format!("`{}`", first_line(text))));
            if !ran {
                out.refused.push((
                    role.into(),
                    format!("`{}` names a scanner but does not run it", first_line(text)),
                ));
            }
        }
    }
    out
}

/// Why a command line lets a failure pass, or runs a script it downloads.
pub(super) fn weakens(simples: &[shell::Simple]) -> Option<&'static str> {
    let names: Vec<&str> = simples
        .iter()
        .map(|s| shell::program_name(&s.words).unwrap_or_default())
        .collect();
    let words = |i: usize| simples.get(i).map_or(&[][..], |s| s.words.as_slice());
    for (i, name) in names.iter().enumerate() {
        let args = words(i).get(1..).unwrap_or_default();
        if *name == "set" && args.iter().any(|a| a == "+e" || a == "errexit") {
            return Some("turns off stopping at the first failure");
        }
        let downloads = names
            .get(..i)
            .unwrap_or_default()
            .iter()
            .any(|n| matches!(*n, "curl" | "wget"));
        if matches!(*name, "sh" | "bash" | "zsh" | "dash")
            && downloads
            && args.iter().all(|a| a.starts_with('-'))
        {
            return Some("runs a script downloaded when the build runs");
        }
    }
    if simples.iter().any(|s| !s.always_runs) {
        return Some("lets the line succeed when a command before `||` fails");
    }
    let last = names.last().copied().unwrap_or_default();
    let last_args = simples
        .last()
        .map_or(&[][..], |s| s.words.get(1..).unwrap_or_default());
    if simples.len() > 1
        && (matches!(last, "true" | ":") || last == "exit" && last_args.iter().all(|a| a == "0"))
    {
        return Some("ends in a command that always succeeds, whatever ran before it");
    }
    None
}

/// Why a command changes what later commands of the same shell run: it sets a variable
/// such as PATH (to anything but an absolute path before or after `$PATH`) or BASH_ENV, or
/// defines aliases, functions or hashed paths.
pub(super) fn changes_later_commands(
    words: &[String],
    assignments: &[String],
) -> Option<&'static str> {
    let program = words.first().map_or("", String::as_str);
    if matches!(
        program,
        "alias" | "hash" | "enable" | "shopt" | "set" | "source" | "."
    ) {
        return Some("changes how later commands of the shell run");
    }
    let exported: Vec<&String> = if matches!(program, "export" | "declare" | "typeset" | "readonly")
    {
        words.iter().skip(1).collect()
    } else if words.is_empty() {
        assignments.iter().collect()
    } else {
        Vec::new()
    };
    for a in exported {
        let Some((name, value)) = a.split_once('=') else {
            continue;
        };
        if name == "PATH" {
            let safe = value.split(':').all(|part| {
                part == "$PATH"
                    || part == "${PATH}"
                    || (part.starts_with('/') && !part.contains("CODEBUILD_SRC_DIR"))
            });
            if !safe {
                return Some("puts a folder that is not the platform's on PATH");
            }
        } else if OVERRIDING_VARIABLES.contains(&name) {
            return Some("sets a variable that changes what later commands run");
        }
    }
    None
}

/// The role a scanner's name in a command suggests, for explaining refusals.
pub(super) fn claimed_scanner(lower: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("dependency-check", "sca"),
        ("dependencycheck", "sca"),
        ("snyk", "sca"),
        ("trivy", "sca"),
        ("grype", "sca"),
        ("osv-scanner", "sca"),
        ("audit", "sca"),
        ("semgrep", "sast"),
        ("sonar", "sast"),
        ("gitleaks", "secrets"),
        ("checkov", "iac"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| lower.contains(n))
        .map(|(_, r)| *r)
}

/// Roles are a closed set (the governance schema says so); this gives the `'static` name.
pub(super) fn leak(role: &str) -> &'static str {
    match role {
        "sca" => "sca",
        "sast" => "sast",
        "secrets" => "secrets",
        _ => "iac",
    }
}
