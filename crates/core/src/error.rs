//! Errors that stop a run (a bad policy, an unreadable policy folder). Problems with
//! individual input files are not errors: they are data in the [`crate::Report`].

/// Why stagegate could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        message: String,
    },
    /// The governance data file is invalid.
    #[error("{}", .problems.iter().map(|p| format!("{}: {}", p.location, p.message)).collect::<Vec<_>>().join("\n"))]
    Governance {
        /// Every problem, located.
        problems: Vec<crate::governance::GovernanceError>,
    },
    /// A policy failed to load, compile or evaluate.
    #[error("{path}: {message}")]
    Policy {
        /// The policy file (with `:line:column` where known).
        path: String,
        /// Why.
        message: String,
    },
}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            Error::Io { .. } => "stagegate::io",
            Error::Policy { .. } => "stagegate::policy",
            Error::Governance { .. } => "stagegate::governance",
        }))
    }
}
