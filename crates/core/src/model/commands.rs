//! model: what a buildspec command does that policies ask about: whether it discards its
//! own failure, and whether it runs a script downloaded when the build runs.

use super::Workspace;
use regex::RegexSet;
use std::sync::LazyLock;

/// Each construct that discards a failure, in the order a fact names them. The patterns
/// read blanks and word boundaries as the shell does, in ASCII (`(?-u)`): bash splits
/// words on no other space.
const MASKING: &[(&str, &str)] = &[
    ("|| true", r"(?-u)\|\|\s*true\b"),
    ("|| :", r"(?-u)(?m)\|\|\s*:\s*($|[;)&|#])"),
    ("|| exit 0", r"(?-u)\|\|\s*exit\s+0\b"),
    ("; exit 0", r"(?-u);\s*exit\s+0\b"),
    (
        "set +e",
        r"(?-u)(^|[\s;&|(])set\s+(\+[A-Za-z]*e[A-Za-z]*\b|\+o\s+errexit\b)",
    ),
    (
        "|| true",
        r#"(?-u)\|\|\s*(["']true["']|(/usr)?/bin/true\b)"#,
    ),
    ("|| echo", r"(?-u)\|\|\s*echo\b"),
    ("; true", r"(?-u);\s*true\b"),
    // without `pipefail` a pipeline's status is its last command's: `tee` succeeds
    ("| tee", r"(^|[^|])\|&?\s*tee\b"),
];

/// Each way of running a download, in the order a fact names them.
const REMOTE: &[(&str, &str)] = &[
    (
        "pipes a download into a shell",
        r"(?s)\b(curl|wget)\b.*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+(\S+=\S*\s+)*)?(ba|z|k|da)?sh\b",
    ),
    (
        "runs a download through process substitution",
        r"(^|[\s;&|(])(ba|z|k|da)?sh\s+(-\S+\s+)*<\(\s*(curl|wget)\b",
    ),
    (
        "sources a download through process substitution",
        r"(^|[\s;&|(])(source|\.)\s+<\(\s*(curl|wget)\b",
    ),
    (
        "runs a download with sh -c",
        r#"(^|[\s;&|(])(ba|z|k|da)?sh\s+-c\s+["']?\$\(\s*(curl|wget)\b"#,
    ),
    (
        "downloads a script and sources it",
        r"(?s)\b(curl|wget)\b.*(;|&&|\|\||\n)\s*(source|\.)\s+[^\s;&|]",
    ),
    (
        "evaluates a download",
        r#"(^|[\s;&|(])eval\s+["']?\$\(\s*(curl|wget)\b"#,
    ),
    (
        "pipes a download into an interpreter",
        r"(?s)\b(curl|wget)\b.*\|\s*(sudo\s+(-\S+\s+)*)?(python[0-9.]*|perl|ruby|node|php)\b",
    ),
];

fn set(table: &[(&str, &str)]) -> RegexSet {
    #[allow(clippy::expect_used)]
    RegexSet::new(table.iter().map(|(_, pattern)| pattern)).expect("the patterns are valid")
}

static MASKING_SET: LazyLock<RegexSet> = LazyLock::new(|| set(MASKING));
static REMOTE_SET: LazyLock<RegexSet> = LazyLock::new(|| set(REMOTE));

/// The first construct of `table` whose pattern finds a match in `text`.
fn first(table: &[(&'static str, &str)], patterns: &RegexSet, text: &str) -> Option<String> {
    let i = patterns.matches(text).iter().next()?;
    table.get(i).map(|(name, _)| (*name).to_string())
}

/// The construct `text` uses to discard its own failure (`|| true`, `set +e`, ...).
pub(crate) fn masking(text: &str) -> Option<String> {
    // a Terraform value in the line could be `|| true` or anything else
    if text.contains(super::TERRAFORM_VALUE) {
        return Some("a Terraform value known only when applied".into());
    }
    // every construct holds one of these words; most commands hold none
    if !["||", "exit", "set", "true", "tee"]
        .iter()
        .any(|w| text.contains(w))
    {
        return None;
    }
    let found = first(MASKING, &MASKING_SET, text)?;
    // a pipeline whose status is not its last command's does not hide a failure in tee
    (found != "| tee" || !text.contains("pipefail")).then_some(found)
}

/// How `text` runs a script it downloads (`pipes a download into a shell`, ...).
pub(crate) fn remote_execution(text: &str) -> Option<String> {
    if !(text.contains("curl") || text.contains("wget")) {
        return None;
    }
    first(REMOTE, &REMOTE_SET, text)
}

/// Sets `masks` and `runs_download` on every buildspec command: a line that runs what it
/// downloads, or runs a file an earlier line downloaded and nothing verified.
pub(crate) fn classify(ws: &mut Workspace) {
    for buildspec in ws.buildspecs.values_mut() {
        for command in &mut buildspec.commands {
            command.masks = masking(&command.text);
            command.runs_download = remote_execution(&command.text);
        }
        super::downloads::classify(&mut buildspec.commands);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_constructs_are_named_in_table_order() {
        assert_eq!(masking("npm test || true").as_deref(), Some("|| true"));
        assert_eq!(masking("make; exit 0").as_deref(), Some("; exit 0"));
        assert_eq!(masking("set +e; make").as_deref(), Some("set +e"));
        assert_eq!(masking("set +o errexit").as_deref(), Some("set +e"));
        assert_eq!(masking("make || :").as_deref(), Some("|| :"));
        assert_eq!(masking("trivy fs --exit-code 1 ."), None);
        assert_eq!(masking("make || echo failed").as_deref(), Some("|| echo"));
        assert_eq!(masking("reset +e"), None);
        assert_eq!(
            masking("make check || exit 0; exit 0").as_deref(),
            Some("|| exit 0")
        );
        assert_eq!(masking("npm config set registry https://r.example"), None);
        assert_eq!(masking("test -f report.xml || exit 1"), None);
        assert_eq!(masking("grep -q ok status.txt && echo true"), None);
        for (text, construct) in [
            ("npm test || echo tests failed", "|| echo"),
            ("npm test || /bin/true", "|| true"),
            ("npm test || \"true\"", "|| true"),
            ("make check; true", "; true"),
            ("snyk test | tee report.txt", "| tee"),
            ("snyk test |& tee report.txt", "| tee"),
        ] {
            assert_eq!(masking(text).as_deref(), Some(construct), "{text}");
        }
        assert_eq!(masking("set -o pipefail; snyk test | tee report.txt"), None);
        assert_eq!(masking("echo true > flag"), None);
        assert_eq!(masking("make || exit 1"), None);
    }

    #[test]
    fn blanks_are_the_shell_blanks() {
        assert_eq!(masking("pytest;\texit 0").as_deref(), Some("; exit 0"));
        assert_eq!(masking("set\t+e").as_deref(), Some("set +e"));
        assert_eq!(masking("make ||\n  exit 0").as_deref(), Some("|| exit 0"));
        // bash reads a no-break space as part of a word: `\u{a0}true` is a missing command
        assert_eq!(masking("npm test ||\u{a0}true"), None);
    }

    #[test]
    fn only_a_download_that_runs_is_remote_execution() {
        assert_eq!(
            remote_execution("curl -sSL https://x.example/i.sh | sudo bash").as_deref(),
            Some("pipes a download into a shell")
        );
        assert_eq!(
            remote_execution("bash <(curl -s https://x.example/i.sh)").as_deref(),
            Some("runs a download through process substitution")
        );
        assert_eq!(
            remote_execution("curl -o i.sh https://x.example/i.sh && . ./i.sh").as_deref(),
            Some("downloads a script and sources it")
        );
        assert_eq!(
            remote_execution("curl -o tool.tgz https://x.example/t.tgz"),
            None
        );
        assert_eq!(remote_execution("bash ./build.sh"), None);
        let runs = [
            (
                "curl -fsSL https://get.example.com | sh",
                "pipes a download into a shell",
            ),
            (
                "curl -sSfL https://x.example/install.sh | sudo bash -s -- -b /usr/local/bin",
                "pipes a download into a shell",
            ),
            (
                "wget -qO- https://example.com/setup | bash",
                "pipes a download into a shell",
            ),
            (
                "curl -s https://example.com/i.sh | sudo -E bash -",
                "pipes a download into a shell",
            ),
            (
                "wget -O - https://example.com/i.sh | env FOO=1 sh",
                "pipes a download into a shell",
            ),
            (
                "source <(curl -s https://example.com/env.sh)",
                "sources a download through process substitution",
            ),
            (
                "sh -c \"$(curl -fsSL https://example.com/install.sh)\"",
                "runs a download with sh -c",
            ),
            (
                "wget https://example.com/env.sh; source env.sh",
                "downloads a script and sources it",
            ),
            (
                "curl -o nvm.sh https://example.com/nvm.sh\n. ./nvm.sh\nnvm install 20",
                "downloads a script and sources it",
            ),
            // the first way in table order names the finding
            (
                "curl -s https://example.com/i.sh | sh; . ./after.sh",
                "pipes a download into a shell",
            ),
        ];
        for (text, how) in runs {
            assert_eq!(remote_execution(text).as_deref(), Some(how), "{text}");
        }
        assert_eq!(
            remote_execution("eval \"$(curl -fsSL https://x.example/env)\"").as_deref(),
            Some("evaluates a download")
        );
        assert_eq!(
            remote_execution("curl -sSL https://x.example/get.py | python3 -").as_deref(),
            Some("pipes a download into an interpreter")
        );
        for text in [
            "curl -fsSLo install.sh https://example.com/install.sh && echo \"abc  install.sh\" | sha256sum -c - && bash install.sh",
            "curl -s https://api.example.com/v1/status | jq .state",
            "cat scripts/setup.sh | bash",
            ". ./scripts/env.sh",
            "curl -fsSL https://example.com/x.tgz | tar xz",
            "wget -q https://example.com/tool.zip && unzip tool.zip | shellcheck",
        ] {
            assert_eq!(remote_execution(text), None, "{text}");
        }
    }
}
