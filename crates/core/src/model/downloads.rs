//! model: a file a buildspec downloads and a later command runs or sources, with no
//! checksum or signature check in between.
//!
//! `curl -o install.sh URL` followed by `bash install.sh` is `curl URL | bash` in two lines:
//! whatever the server returns runs in the build. Downloading a scanner release, unpacking
//! it and running the unpacked program (as the platform's SCA buildspec does) is not this:
//! the archive itself is never run, and the release is pinned by its URL. A download that a
//! verifying command names (`sha256sum -c`, `gpg --verify`, `cosign verify-blob`) is
//! trusted from then on; a download copied or moved is followed to its new name.

use super::shell::{self, Simple};
use super::types::Command;

/// What is run of an unverified download, as `runs_download` says it.
fn ran(path: &str, how: &str) -> String {
    format!("{how} {path}, which an earlier command downloaded and nothing verified")
}

/// Sets `runs_download` on each command of `commands` (in the order they run) that runs or
/// sources a file an earlier command, or an earlier part of the same line, downloaded.
pub(crate) fn classify(commands: &mut [Command]) {
    let mut pending: Vec<String> = Vec::new();
    for command in commands.iter_mut() {
        // with nothing downloaded yet, only a line that downloads matters
        if pending.is_empty() && !(command.text.contains("curl") || command.text.contains("wget")) {
            continue;
        }
        let Some(simples) = shell::parse(&command.text) else {
            // a line this reader cannot follow that names a pending script may run it
            if let Some(p) = pending
                .iter()
                .find(|p| !is_archive(p) && names(&command.text, p))
            {
                if command.runs_download.is_none() {
                    command.runs_download =
                        Some(ran(p, "may run (a line stagegate cannot follow)"));
                }
            }
            continue;
        };
        let verifying = command.masks.is_none();
        for simple in &simples {
            if let Some(how) = runs(simple, &pending) {
                if command.runs_download.is_none() {
                    command.runs_download = Some(how);
                }
            }
            if verifying && verifies(simple) {
                let text = &command.text;
                let lists = reads_checksum_list(simple);
                pending.retain(|p| !(lists || names(text, p)));
            }
            if let Some((from, to)) = copies(simple) {
                if pending.iter().any(|p| same(p, &from)) {
                    pending.push(to);
                }
            }
            if let Some(path) = downloaded(simple) {
                pending.retain(|p| !same(p, &path));
                pending.push(path);
            }
        }
    }
}

/// `./x.sh`, `x.sh` and `"x.sh"` name one file.
fn same(a: &str, b: &str) -> bool {
    a.trim_start_matches("./") == b.trim_start_matches("./")
}

/// Whether `text` names the file `path` (by its own name, as a word or the end of one).
fn names(text: &str, path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    !base.is_empty()
        && text
            .split(|c: char| c.is_whitespace() || "\"'`;&|()<>=".contains(c))
            .any(|w| w.rsplit('/').next() == Some(base))
}

/// Archives and packages are unpacked or installed, not run as they are.
fn is_archive(path: &str) -> bool {
    const EXT: &[&str] = &[
        ".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst", ".7z", ".deb", ".rpm", ".whl",
        ".json", ".txt", ".sha256", ".asc", ".sig",
    ];
    let lower = path.to_ascii_lowercase();
    EXT.iter().any(|e| lower.ends_with(e))
}

/// Interpreters that run a file given as their first operand.
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "ksh", "dash", "pwsh", "perl", "ruby", "node", "php", "Rscript",
];

fn is_interpreter(program: &str) -> bool {
    INTERPRETERS.contains(&program)
        || program
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// How `simple` runs a pending download, if it does.
fn runs(simple: &Simple, pending: &[String]) -> Option<String> {
    let words = &simple.words;
    let program = words.first()?;
    let find = |word: &str| pending.iter().find(|p| same(p, word)).cloned();
    if let Some(p) = find(program) {
        return Some(ran(&p, "runs"));
    }
    let name = shell::program_name(words)?;
    let operand = || words.iter().skip(1).find(|w| !w.starts_with('-'));
    if name == "source" || name == "." {
        return operand().and_then(|w| find(w)).map(|p| ran(&p, "sources"));
    }
    if is_interpreter(name) {
        return operand().and_then(|w| find(w)).map(|p| ran(&p, "runs"));
    }
    if name == "java" {
        let jar = words.iter().position(|w| w == "-jar")?;
        return words
            .get(jar + 1)
            .and_then(|w| find(w))
            .map(|p| ran(&p, "runs"));
    }
    None
}

/// The file a `curl` or `wget` command writes, when it writes one (not standard output).
fn downloaded(simple: &Simple) -> Option<String> {
    let words = &simple.words;
    let program = shell::program_name(words)?;
    let url = words.iter().skip(1).find(|w| is_url(w));
    let remote_name = || {
        let url = url?;
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let name = path.rsplit('/').next()?;
        (!name.is_empty() && !path.ends_with("//")).then(|| name.to_string())
    };
    let output = match program {
        "curl" => curl_output(words),
        "wget" => wget_output(words),
        _ => return None,
    };
    let path = match output? {
        Output::File(f) => f,
        Output::RemoteName => remote_name()?,
        Output::Stdout => return None,
    };
    (path != "-" && path != "/dev/null").then_some(path)
}

fn is_url(word: &str) -> bool {
    ["http://", "https://", "ftp://"]
        .iter()
        .any(|s| word.starts_with(s))
}

enum Output {
    File(String),
    RemoteName,
    Stdout,
}

/// curl options with a value: a short one in a group takes the rest of the group or the
/// next word, so the reader stops there.
const CURL_VALUED: &str = "ABbCcDdEeFHhKmPQrTtUuwXxYyz";

fn curl_output(words: &[String]) -> Option<Output> {
    let mut i = 1;
    while let Some(w) = words.get(i) {
        i += 1;
        match w.as_str() {
            "--output" => return words.get(i).map(|f| Output::File(f.clone())),
            "--remote-name" | "--remote-name-all" => return Some(Output::RemoteName),
            _ if w.starts_with("--output=") => {
                return w
                    .strip_prefix("--output=")
                    .map(|f| Output::File(f.to_string()))
            }
            _ if w.starts_with("--") => {}
            _ if w.starts_with('-') && w.len() > 1 => {
                for (j, c) in w.char_indices().skip(1) {
                    match c {
                        'o' => {
                            let rest = w.get(j + 1..).unwrap_or_default();
                            return if rest.is_empty() {
                                words.get(i).map(|f| Output::File(f.clone()))
                            } else {
                                Some(Output::File(rest.to_string()))
                            };
                        }
                        'O' => return Some(Output::RemoteName),
                        c if CURL_VALUED.contains(c) => {
                            if j + c.len_utf8() == w.len() {
                                i += 1;
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(Output::Stdout)
}

/// wget options with a value, short forms.
const WGET_VALUED: &str = "aBeiloPtTUwY";

fn wget_output(words: &[String]) -> Option<Output> {
    let mut dir: Option<String> = None;
    let mut i = 1;
    while let Some(w) = words.get(i) {
        i += 1;
        let file = |f: &str| {
            if f == "-" {
                Output::Stdout
            } else {
                Output::File(f.to_string())
            }
        };
        match w.as_str() {
            "--output-document" => return words.get(i).map(|f| file(f)),
            _ if w.starts_with("--output-document=") => {
                return w.strip_prefix("--output-document=").map(file)
            }
            "--directory-prefix" => dir = words.get(i).cloned(),
            _ if w.starts_with("--directory-prefix=") => {
                dir = w.strip_prefix("--directory-prefix=").map(str::to_string)
            }
            _ if w.starts_with("--") => {}
            _ if w.starts_with('-') && w.len() > 1 => {
                for (j, c) in w.char_indices().skip(1) {
                    let rest = w.get(j + c.len_utf8()..).unwrap_or_default();
                    let value = || {
                        if rest.is_empty() {
                            words.get(i).cloned()
                        } else {
                            Some(rest.to_string())
                        }
                    };
                    match c {
                        'O' => return value().map(|f| file(&f)),
                        'P' => {
                            dir = value();
                            if rest.is_empty() {
                                i += 1;
                            }
                            break;
                        }
                        c if WGET_VALUED.contains(c) => {
                            if rest.is_empty() {
                                i += 1;
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Some(match dir {
        Some(d) => match words.iter().skip(1).find(|w| is_url(w)) {
            Some(url) => {
                let name = url.split(['?', '#']).next().unwrap_or(url);
                match name.rsplit('/').next() {
                    Some(n) if !n.is_empty() => {
                        Output::File(format!("{}/{n}", d.trim_end_matches('/')))
                    }
                    _ => Output::Stdout,
                }
            }
            None => Output::Stdout,
        },
        None => Output::RemoteName,
    })
}

/// A checksum or signature check that fails when the file does not match.
fn verifies(simple: &Simple) -> bool {
    let words = &simple.words;
    let Some(program) = shell::program_name(words) else {
        return false;
    };
    let has = |flag: &str| words.iter().any(|w| w == flag);
    let checks = || {
        has("--check")
            || words
                .iter()
                .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))
    };
    match program {
        "sha1sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" | "b2sum" | "shasum"
        | "md5sum" => checks(),
        "gpg" | "gpg2" | "gpgv" => program == "gpgv" || has("--verify"),
        "cosign" => words.iter().any(|w| w.starts_with("verify")),
        "minisign" => has("-V"),
        _ => false,
    }
}

/// `sha256sum -c SHA256SUMS`: the list names the files it checks.
fn reads_checksum_list(simple: &Simple) -> bool {
    let words = &simple.words;
    shell::program_name(words).is_some_and(|p| p.ends_with("sum"))
        && words
            .iter()
            .skip(1)
            .any(|w| !w.starts_with('-') && !w.is_empty())
}

/// `cp A B` and `mv A B`: B is A under a new name.
fn copies(simple: &Simple) -> Option<(String, String)> {
    let words = &simple.words;
    let program = shell::program_name(words)?;
    if program != "cp" && program != "mv" {
        return None;
    }
    let operands: Vec<&String> = words
        .iter()
        .skip(1)
        .filter(|w| !w.starts_with('-'))
        .collect();
    match operands.as_slice() {
        [from, to] => Some(((*from).clone(), (*to).clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceRef;

    fn run(lines: &[&str]) -> Vec<Option<String>> {
        let mut commands: Vec<Command> = lines
            .iter()
            .map(|t| Command {
                phase: "build".into(),
                finally: false,
                text: (*t).to_string(),
                masks: super::super::commands::masking(t),
                runs_download: None,
                source: SourceRef::new("buildspec.yml", &crate::parse::PathBuf::root()),
            })
            .collect();
        classify(&mut commands);
        commands.into_iter().map(|c| c.runs_download).collect()
    }

    fn flagged(lines: &[&str]) -> bool {
        run(lines).iter().any(Option::is_some)
    }

    #[test]
    fn a_downloaded_script_that_runs_later_is_found_at_the_running_line() {
        let found = run(&[
            "curl -fsSLo install.sh https://example.com/install.sh",
            "chmod +x install.sh",
            "./install.sh --prefix /opt",
        ]);
        assert_eq!(found[0], None);
        assert_eq!(found[1], None);
        assert_eq!(
            found[2].as_deref(),
            Some("runs install.sh, which an earlier command downloaded and nothing verified")
        );
        for lines in [
            &["curl -o i.sh https://x.example/i.sh", "bash i.sh"][..],
            &[
                "curl -sS --output /tmp/i.sh https://x.example/i.sh",
                "sh /tmp/i.sh",
            ],
            &[
                "wget https://x.example/setup.py",
                "python3 setup.py install",
            ],
            &["wget -q -O env.sh https://x.example/env", "source env.sh"],
            &["wget -P /tmp https://x.example/a.sh", ". /tmp/a.sh"],
            &["curl -O https://x.example/tool.jar", "java -jar tool.jar"],
            &["curl -o a.sh https://x.example/a.sh && bash ./a.sh"],
            &[
                "curl -o a.sh https://x.example/a.sh",
                "mv a.sh b.sh",
                "sudo bash b.sh",
            ],
            &["curl -o a.sh https://x.example/a", "bash a.sh $(date)"],
            &[
                "curl -o a.sh https://x.example/a",
                "sha256sum a.sh",
                "bash a.sh",
            ],
            &[
                "curl -o a.sh https://x.example/a",
                "sha256sum -c a.sha256 || true",
                "bash a.sh",
            ],
        ] {
            assert!(flagged(lines), "{lines:?}");
        }
    }

    #[test]
    fn a_verified_download_or_an_unpacked_release_stays_compliant() {
        for lines in [
            // the platform's SCA buildspec: a pinned release, unpacked, its program run
            &[
                "curl -sSLo dc.zip https://github.com/dependency-check/DependencyCheck/releases/download/v12.1.0/dependency-check-12.1.0-release.zip",
                "unzip -q dc.zip",
                "./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7",
            ][..],
            &[
                "curl -fsSLo install.sh https://example.com/v1.4.2/install.sh",
                "echo \"e3b0c442  install.sh\" | sha256sum -c -",
                "bash install.sh",
            ],
            &[
                "curl -LO https://x.example/v1/tool.sh",
                "curl -LO https://x.example/v1/SHA256SUMS",
                "sha256sum --check --ignore-missing SHA256SUMS",
                "bash tool.sh",
            ],
            &["curl -o a.sh https://x.example/a", "gpg --verify a.sh.asc a.sh", "bash a.sh"],
            &["curl -sSL https://x.example/data.json -o data.json", "node build.js data.json"],
            &["wget -qO- https://x.example/a | tee a.txt", "bash build.sh"],
            &["bash install.sh", "curl -o install.sh https://x.example/i.sh"],
            &["curl -sé https://x.example/a.sh", "wget -é https://x.example/", "bash a.sh"],
        ] {
            assert!(!flagged(lines), "{lines:?}");
        }
    }
}
