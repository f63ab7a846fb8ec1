//! normalize: the security scanners stagegate recognises in a command, and whether the
//! command as written can fail the build when the scanner finds something.
//!
//! A scanner that reports without failing (`trivy fs .` exits 0 on findings unless given
//! `--exit-code`, dependency-check without `--failOnCVSS`, `snyk monitor`) gates nothing.

/// What one simple command is, as a scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scan {
    /// Not a recognised scanner.
    None,
    /// A scanner of this role that fails on findings.
    Gate(&'static str),
    /// A scanner of this role that, as invoked, cannot fail the build; why.
    Report(&'static str, String),
}

/// Reads a simple command's words (program first, wrappers removed).
pub(crate) fn scan(words: &[String]) -> Scan {
    let Some(program) = super::shell::program_name(words) else {
        return Scan::None;
    };
    let program = program.to_ascii_lowercase();
    let mut args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    // package runners: `npx snyk test`, `pipx run pip-audit`, `uvx osv-scanner`
    let program = match program.as_str() {
        "npx" | "uvx" | "bunx" => {
            let Some(first) = args.iter().position(|a| !a.starts_with('-')) else {
                return Scan::None;
            };
            let p = args
                .get(first)
                .map(|a| a.to_ascii_lowercase())
                .unwrap_or_default();
            args.drain(..=first);
            p
        }
        "pipx" if args.first() == Some(&"run") => {
            let p = args
                .get(1)
                .map(|a| a.to_ascii_lowercase())
                .unwrap_or_default();
            args.drain(..2.min(args.len()));
            p
        }
        _ => program,
    };
    let sub = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .copied()
        .unwrap_or("");
    let has = |flag: &str| {
        args.iter()
            .any(|a| *a == flag || a.starts_with(&format!("{flag}=")))
    };
    let value = |flag: &str| -> Option<&str> {
        let i = args.iter().position(|a| *a == flag);
        if let Some(i) = i {
            return args.get(i + 1).copied();
        }
        args.iter()
            .find_map(|a| a.strip_prefix(&format!("{flag}=")))
    };
    match program.as_str() {
        "dependency-check.sh" | "dependency-check" | "dependency-check.bat" => {
            match value("--failOnCVSS").and_then(|v| v.parse::<f64>().ok()) {
                Some(score) if score <= 10.0 => Scan::Gate("sca"),
                Some(_) => Scan::Report(
                    "sca",
                    "its --failOnCVSS is above 10, so no finding fails the build".into(),
                ),
                None => Scan::Report(
                    "sca",
                    "dependency-check without --failOnCVSS never fails the build".into(),
                ),
            }
        }
        "snyk" => match sub {
            "test" => Scan::Gate("sca"),
            "code" if args.contains(&"test") => Scan::Gate("sast"),
            "iac" if args.contains(&"test") => Scan::Gate("iac"),
            "container" if args.contains(&"test") => Scan::Gate("sca"),
            "monitor" => Scan::Report(
                "sca",
                "`snyk monitor` reports but never fails the build".into(),
            ),
            _ => Scan::None,
        },
        "trivy" => {
            let role = match sub {
                "fs" | "filesystem" | "repo" | "repository" | "rootfs" | "sbom" | "image" => "sca",
                "config" => "iac",
                _ => return Scan::None,
            };
            match value("--exit-code") {
                Some(code) if code.trim() != "0" => Scan::Gate(role),
                _ => Scan::Report(
                    role,
                    "trivy exits 0 on findings unless given a non-zero --exit-code".into(),
                ),
            }
        }
        "grype" => {
            if has("--fail-on") || has("-f") {
                Scan::Gate("sca")
            } else {
                Scan::Report(
                    "sca",
                    "grype exits 0 on findings unless given --fail-on".into(),
                )
            }
        }
        "osv-scanner" => Scan::Gate("sca"),
        "npm" | "pnpm" | "yarn" if sub == "audit" => {
            if args.contains(&"fix") {
                Scan::Report(
                    "sca",
                    "`audit fix` changes dependencies rather than failing".into(),
                )
            } else {
                Scan::Gate("sca")
            }
        }
        "pip-audit" | "cargo-audit" => Scan::Gate("sca"),
        // the build tool's own dependency scanners: recognised, though the build file that
        // configures them is the repository's (which `runs_repository_code` says)
        "gradle" | "gradlew"
            if args
                .iter()
                .any(|a| a.starts_with("dependencyCheck") || a.contains(":dependencyCheck")) =>
        {
            Scan::Gate("sca")
        }
        "mvn" | "mvnw" if args.iter().any(|a| a.contains("dependency-check")) => Scan::Gate("sca"),
        "cargo" | "bundle" if sub == "audit" => Scan::Gate("sca"),
        "bundle-audit" | "bundler-audit" if sub == "check" || sub.is_empty() => Scan::Gate("sca"),
        "better-npm-audit" if sub == "audit" => Scan::Gate("sca"),
        "safety" if sub == "check" || sub == "scan" => Scan::Gate("sca"),
        "semgrep" => {
            if sub == "ci" || has("--error") {
                Scan::Gate("sast")
            } else {
                Scan::Report(
                    "sast",
                    "semgrep scan exits 0 on findings unless given --error".into(),
                )
            }
        }
        "bandit" | "gosec" | "brakeman" => Scan::Gate("sast"),
        "sonar-scanner" => {
            if args.contains(&"-Dsonar.qualitygate.wait=true") {
                Scan::Gate("sast")
            } else {
                Scan::Report(
                    "sast",
                    "sonar-scanner fails the build only with -Dsonar.qualitygate.wait=true".into(),
                )
            }
        }
        "gitleaks" => Scan::Gate("secrets"),
        "trufflehog" => {
            if has("--fail") {
                Scan::Gate("secrets")
            } else {
                Scan::Report(
                    "secrets",
                    "trufflehog exits 0 on findings unless given --fail".into(),
                )
            }
        }
        "checkov" | "tfsec" => {
            if has("--soft-fail") {
                Scan::Report("iac", "--soft-fail makes it exit 0 on findings".into())
            } else {
                Scan::Gate("iac")
            }
        }
        "cfn_nag_scan" | "cfn_nag" | "kics" | "terrascan" => Scan::Gate("iac"),
        "cfn-guard" if sub == "validate" => Scan::Gate("iac"),
        _ => Scan::None,
    }
}

/// Programs that run code from the checked-out source when given no path: build tools and
/// package managers whose scripts the repository writes.
pub(crate) fn runs_repository_code(words: &[String]) -> Option<String> {
    let program = super::shell::program_name(words)?;
    let sub = words.get(1).map_or("", String::as_str);
    let first = words.first().map_or("", String::as_str);
    let what = match program {
        "make" | "gradle" | "gradlew" | "mvn" | "mvnw" | "ant" | "rake" | "just" | "task" => {
            format!("`{first}` runs the repository's build file")
        }
        "npm" | "pnpm" | "bun"
            if matches!(
                sub,
                "run" | "run-script" | "ci" | "install" | "i" | "test" | "start" | "exec"
            ) =>
        {
            format!("`{program} {sub}` runs scripts from the repository's package.json")
        }
        // yarn runs the release the repository's .yarnrc names (`yarn-path`, `yarnPath`)
        "yarn" if sub == "audit" => {
            "`yarn audit` runs the yarn release the repository's .yarnrc may name".to_string()
        }
        "yarn" if sub != "--version" => {
            format!("`yarn {sub}` runs scripts from the repository's package.json")
        }
        // an alias in the repository's .cargo/config.toml replaces an external subcommand
        "cargo" if sub == "audit" => {
            "`cargo audit` may be an alias the repository's .cargo/config.toml defines".to_string()
        }
        "python" | "python3" if sub == "-m" => {
            // a module from the repository, or a tool installed by name
            let module = words.get(2).map_or("", String::as_str);
            if matches!(
                module,
                "pip_audit" | "safety" | "pip" | "bandit" | "semgrep" | "checkov"
            ) {
                return None;
            }
            format!("`{first} -m {module}` may run a module from the repository")
        }
        // builds and test runners execute what the repository defines
        "docker" | "podman" | "buildah" if matches!(sub, "build" | "buildx" | "compose") => {
            format!("`{program} {sub}` runs the repository's Dockerfile or compose file")
        }
        "cargo" | "go" | "dotnet" | "swift"
            if matches!(sub, "build" | "test" | "run" | "generate") =>
        {
            format!("`{program} {sub}` builds and runs the repository's code")
        }
        "pytest" | "tox" | "nox" | "jest" | "mocha" | "phpunit" | "rspec" | "bundle"
        | "composer" | "cdk" | "sam" | "terraform" | "tofu" | "pulumi" => {
            format!("`{program}` runs code or configuration from the repository")
        }
        "bash" | "sh" | "zsh" | "dash" | "ksh" | "source" | "." | "python" | "python3" | "node"
        | "ruby" | "perl" | "pwsh" => {
            let script = words.iter().skip(1).find(|w| !w.starts_with('-'))?;
            if words.iter().skip(1).any(|w| w == "-c" || w == "-e") {
                return None;
            }
            format!("`{first} {script}` runs a script")
        }
        _ => return None,
    };
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(line: &str) -> Scan {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        scan(&words)
    }

    #[test]
    fn scanners_that_fail_are_gates() {
        assert_eq!(
            s("./dependency-check/bin/dependency-check.sh --scan . --failOnCVSS 7"),
            Scan::Gate("sca")
        );
        assert_eq!(s("snyk test --severity-threshold=high"), Scan::Gate("sca"));
        assert_eq!(s("npx snyk test"), Scan::Gate("sca"));
        assert_eq!(s("trivy fs --exit-code 1 ."), Scan::Gate("sca"));
        assert_eq!(s("trivy fs --exit-code=1 ."), Scan::Gate("sca"));
        assert_eq!(s("osv-scanner -r ."), Scan::Gate("sca"));
        assert_eq!(s("npm audit --audit-level=high"), Scan::Gate("sca"));
        assert_eq!(s("checkov -d ."), Scan::Gate("iac"));
        for line in [
            "./gradlew dependencyCheckAnalyze",
            "gradle :app:dependencyCheckAggregate",
            "mvn org.owasp:dependency-check-maven:check",
            "mvn dependency-check:check",
            "npx better-npm-audit audit",
            "yarn audit --level high",
            "cargo audit",
            "bundle audit check --update",
            "bundle-audit check",
            "safety check",
        ] {
            assert_eq!(s(line), Scan::Gate("sca"), "{line}");
        }
    }

    #[test]
    fn scanners_that_cannot_fail_are_reports() {
        for line in [
            "dependency-check.sh --scan .",
            "trivy fs .",
            "trivy fs --exit-code 0 .",
            "grype dir:.",
            "snyk monitor",
            "checkov -d . --soft-fail",
        ] {
            assert!(matches!(s(line), Scan::Report(..)), "{line}");
        }
        assert_eq!(s("echo dependency-check"), Scan::None);
        assert_eq!(s("trivy --version"), Scan::None);
    }

    #[test]
    fn repository_code_is_named() {
        let w = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert!(runs_repository_code(&w("./gradlew dependencyCheckAnalyze")).is_some());
        assert!(runs_repository_code(&w("npm ci")).is_some());
        assert!(runs_repository_code(&w("bash ci/scan.sh")).is_some());
        assert!(runs_repository_code(&w("make scan")).is_some());
        assert!(runs_repository_code(&w("npm audit")).is_none());
        assert!(runs_repository_code(&w("docker build -t x .")).is_some());
        // a published scanner image is not the repository's code
        assert!(runs_repository_code(&w("docker run --rm aquasec/trivy fs .")).is_none());
        assert!(runs_repository_code(&w("python3 -m pytest")).is_some());
        assert!(runs_repository_code(&w("python3 -m pip_audit -r requirements.txt")).is_none());
        assert!(runs_repository_code(&w("go test ./...")).is_some());
        assert!(runs_repository_code(&w("bash -c 'trivy fs .'")).is_none());
        assert!(runs_repository_code(&w("curl -o x.zip https://x")).is_none());
        // the scanners a repository's build file or tool configuration controls
        assert!(runs_repository_code(&w("mvn dependency-check:check")).is_some());
        assert!(runs_repository_code(&w("yarn audit")).is_some());
        assert!(runs_repository_code(&w("cargo audit")).is_some());
        assert!(runs_repository_code(&w("bundle audit")).is_some());
        assert!(runs_repository_code(&w("cargo-audit audit")).is_none());
    }
}
