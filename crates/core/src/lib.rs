//! stagegate checks AWS CodePipeline / CodeBuild definitions against governance policies
//! written in Rego, and points at the exact line of each violation.
//!
//! The data flow, one module per stage:
//!
//! ```text
//! discover  paths -> files                  gitignore-aware walk, classify by content
//! parse     file -> Document                span tree; CloudFormation tags in long form
//! normalize [Document] -> Workspace         pipelines -> stages -> actions -> projects -> buildspecs
//! evaluate  Workspace -> [Finding]          regorus; each finding {message, at}
//! locate    Finding -> Violation            source refs -> spans
//! ```
//!
//! The library never prints; it returns a [`Report`].
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

pub mod audit;
pub mod config;
mod date;
pub mod discover;
mod error;
mod fingerprint;
pub mod fixtures;
mod glob;
pub mod governance;
mod linter;
pub mod locate;
pub mod model;
pub mod parse;
pub mod policy;
mod report;
mod severity;
pub mod source;
pub mod waiver;

pub use config::{FailOn, RepoConfig};
pub use date::Date;
pub use error::{Error, Located};
pub use linter::{Linter, LinterBuilder};
pub use policy::{Policy, PolicyMetadata};
pub use report::{
    mask, redact_text, Location, Note, Problem, Related, Report, Subject, Summary, Suppression,
    Violation,
};
pub use severity::Severity;
