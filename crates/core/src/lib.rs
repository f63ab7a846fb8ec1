//! stagegate checks AWS CodePipeline / CodeBuild definitions against governance policies
//! written in Rego, and points at the exact line of each violation.
//!
//! The data flow, one stage after another (ARCHITECTURE.md has the module map):
//!
//! ```text
//! discover  paths -> files                  links followed once, classify by content
//! parse     file -> Document                span tree; CloudFormation tags in long form
//! model     [Document] -> Workspace         pipelines -> stages -> actions -> projects -> buildspecs, with facts
//! evaluate  Workspace -> [Finding]          regorus; each finding {message, at}
//! locate    Finding -> Violation            source refs -> lines, and a fingerprint
//! ```
//!
//! The API: [`Linter`] (built by [`LinterBuilder`]) checks a workspace and returns a
//! [`Report`]; [`model`] holds the types policies read as `input`; [`audit`] sweeps many
//! workspaces in parallel; [`collection`] is the manifest of a live sweep's dumps;
//! [`fixtures`] is the harness behind `stagegate test`. The library never prints.
//!
//! ```
//! let linter = stagegate::Linter::builder().builtin_policies().build()?;
//! let template = r#"
//! Resources:
//!   Pipeline:
//!     Type: AWS::CodePipeline::Pipeline
//!     Properties:
//!       Stages:
//!         - Name: Build
//!           Actions:
//!             - Name: Build
//!               ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: 1}
//! "#;
//! let report = linter.check_sources([("pipeline.yaml", template)]);
//! let v = &report.violations[0];
//! assert_eq!(v.policy, "build-without-sca");
//! assert_eq!((v.location.line, v.location.column), (9, 15));
//! # Ok::<(), stagegate::Error>(())
//! ```

#![forbid(unsafe_code)]
// input must never panic the library: no unwrap/expect/indexing outside tests
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::string_slice
    )
)]

/// Modules public only with the `internals` feature, for this project's tests, benchmarks
/// and fuzz targets: not part of the API, and free to change.
macro_rules! internal {
    ($($name:ident),* $(,)?) => { $(
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        pub mod $name;
        #[cfg(not(feature = "internals"))]
        mod $name;
    )* };
}

pub mod audit;
pub mod collection;
mod date;
mod error;
mod fingerprint;
pub mod fixtures;
mod glob;
mod linter;
pub mod model;
mod report;
mod severity;
internal!(config, discover, governance, locate, parse, policy, source, waiver);

pub use config::{FailOn, RepoConfig};
pub use date::Date;
pub use error::{Error, Located};
pub use linter::{Linter, LinterBuilder};
pub use parse::Limits;
pub use policy::{Coverage, EvalError, Finding, Policy, PolicyMetadata, PolicySet, TestOutcome};
pub use report::{
    mask, redact_text, Location, Note, Problem, Related, Report, Subject, Summary, Suppression,
    Violation,
};
pub use severity::Severity;
pub use source::SourceFile;
pub use waiver::REFUSED;
