//! The generated module that gathers every compiled policy's `deny` in one object, so that
//! one machine run evaluates them all. Shared with build.rs, which compiles the built-in pack.

/// Its package.
#[allow(dead_code)] // build.rs generates the module; the crate only runs it
pub(crate) const TOGETHER_PACKAGE: &str = "stagegate.internal.together";

/// Its rule, the program's combined entry point.
pub(crate) const TOGETHER: &str = "data.stagegate.internal.together.deny";

/// Its path among the modules.
#[allow(dead_code)]
pub(crate) const TOGETHER_PATH: &str = "(stagegate)/together.rego";

/// The module text: `deny := {"<package>": data.<package>.deny, ...}`. Package paths are
/// Rego identifiers joined by dots, never quotes.
#[allow(dead_code)]
pub(crate) fn together_module(packages: &[String]) -> String {
    let fields: Vec<String> = packages
        .iter()
        .map(|p| format!("\t\"{p}\": data.{p}.deny,"))
        .collect();
    format!(
        "package {TOGETHER_PACKAGE}\n\ndeny := {{\n{}\n}}\n",
        fields.join("\n")
    )
}

/// The entry point of one package's `deny`.
pub(crate) fn deny_entry(package: &str) -> String {
    format!("data.{package}.deny")
}
