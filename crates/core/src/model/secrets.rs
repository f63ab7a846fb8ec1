//! model: which environment variables read as secrets, and why.
//!
//! A variable is a secret when its value looks like a known credential format, or when its
//! name matches the governance pattern; a dynamic reference (`{{resolve:...}}`), a masked
//! value (`****`) or an empty one holds nothing. Whether a secret may be written where it
//! is (its type, the file it is in) is the policies' decision.

use super::{EnvVar, Workspace};
use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// The name pattern when governance data sets none.
pub const DEFAULT_NAME_PATTERN: &str =
    r"(?i)(secret|token|passw(or)?d|(^|_)pass(_|$)|api_?key|private_?key|credential)";

/// Credential formats, in the order a reason names them.
const TOKENS: &[(&str, &str)] = &[
    ("an AWS access key id", r"AKIA[0-9A-Z]{16}"),
    ("a GitHub token", r"(ghp_|github_pat_)[A-Za-z0-9]"),
    ("a GitLab token", r"glpat-[A-Za-z0-9_-]"),
    ("a Docker Hub token", r"dckr_pat_[A-Za-z0-9_-]"),
    ("a Slack token", r"xox[abprs]-[A-Za-z0-9]"),
    ("a private key", r"-----BEGIN .*PRIVATE KEY-----"),
    ("an npm token", r"npm_[A-Za-z0-9]{36}"),
    (
        "a Slack webhook URL",
        r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
    ),
    // `scheme://user:password@host`: a password in the URL itself
    (
        "a URL with credentials",
        r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@[^/\s@]",
    ),
];

#[allow(clippy::expect_used)]
static TOKEN_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(TOKENS.iter().map(|(_, pattern)| pattern)).expect("the token patterns are valid")
});

#[allow(clippy::expect_used)]
fn default_names() -> Regex {
    Regex::new(DEFAULT_NAME_PATTERN).expect("the default name pattern is valid")
}

/// The name patterns governance data sets: one for the variables of buildspec files
/// (`params.buildspec-plaintext-secret.secret_name_pattern`), one for those of CodeBuild
/// projects and pipeline actions (`params.codebuild-plaintext-secret.secret_name_pattern`).
#[derive(Debug, Clone)]
pub struct SecretRules {
    /// For `env.variables` of buildspecs.
    pub buildspec_names: Regex,
    /// For project and action environment variables.
    pub codebuild_names: Regex,
}

impl Default for SecretRules {
    fn default() -> Self {
        SecretRules {
            buildspec_names: default_names(),
            codebuild_names: default_names(),
        }
    }
}

/// Why a variable is a secret, never quoting its value; `None` when it is not one.
pub(crate) fn reason(name: &str, value: &str, names: &Regex) -> Option<String> {
    if value.contains("{{resolve:") || value.trim().trim_start_matches('*').trim().is_empty() {
        return None;
    }
    let token = TOKEN_SET.matches(value).iter().next();
    if let Some((kind, _)) = token.and_then(|i| TOKENS.get(i)) {
        return Some(format!("its value looks like {kind}"));
    }
    names
        .is_match(name)
        .then(|| "its name reads as a secret".to_string())
}

fn mark(variables: &mut [EnvVar], names: &Regex) {
    for v in variables {
        v.secret = reason(&v.name, &v.value, names);
    }
}

/// Sets `secret` on every environment variable of the workspace.
pub(crate) fn classify(ws: &mut Workspace, rules: &SecretRules) {
    for spec in ws.buildspecs.values_mut() {
        mark(&mut spec.variables, &rules.buildspec_names);
    }
    for project in ws.projects.values_mut() {
        mark(&mut project.environment.variables, &rules.codebuild_names);
    }
    for action in ws
        .pipelines
        .iter_mut()
        .flat_map(|p| &mut p.stages)
        .flat_map(|s| &mut s.actions)
    {
        mark(&mut action.variables, &rules.codebuild_names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_format_comes_before_the_name_and_references_hold_nothing() {
        let names = default_names();
        let r = |n: &str, v: &str| reason(n, v, &names);
        assert_eq!(
            r("DB_PASSWORD", "AKIAABCDEFGHIJKLMNOP").as_deref(),
            Some("its value looks like an AWS access key id")
        );
        assert_eq!(
            r("Db_Password", "hunter2").as_deref(),
            Some("its name reads as a secret")
        );
        assert_eq!(r("REGION", "eu-west-1"), None);
        assert_eq!(r("API_KEY", "{{resolve:secretsmanager:k}}"), None);
        assert_eq!(r("API_KEY", " *** "), None);
        assert_eq!(r("API_KEY", ""), None);
        assert_eq!(
            r("KEY", "-----BEGIN RSA PRIVATE KEY-----").as_deref(),
            Some("its value looks like a private key")
        );
        for name in [
            "db_passwd",
            "GITHUB_TOKEN",
            "STRIPE_API_KEY",
            "SigningPrivateKey",
            "client_secret",
        ] {
            assert_eq!(
                r(name, "42").as_deref(),
                Some("its name reads as a secret"),
                "{name}"
            );
        }
        for (value, kind) in [
            ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "a GitHub token"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghij",
                "a GitHub token",
            ),
            ("glpat-abcdefghij0123456789", "a GitLab token"),
            ("dckr_pat_abcdefghij0123456789", "a Docker Hub token"),
            ("xoxb-123456789012-abcdefghij", "a Slack token"),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----",
                "a private key",
            ),
        ] {
            assert_eq!(
                r("A", value),
                Some(format!("its value looks like {kind}")),
                "{value}"
            );
        }
        for (name, value) in [
            ("NODE_ENV", "production"),
            ("PORT", "8080"),
            ("AWS_REGION", "eu-west-1"),
        ] {
            assert_eq!(r(name, value), None, "{name}");
        }
    }

    #[test]
    fn governance_replaces_the_name_pattern() {
        let vault = Regex::new("(?i)vault").unwrap();
        assert_eq!(reason("DB_PASSWORD", "x", &vault), None);
        assert!(reason("VAULT_ROLE_ID", "y", &vault).is_some());
    }
}
