//! Errors that stop a run (a bad policy, governance file or repository configuration, an
//! unreadable folder), each located where it can be. Problems with individual input files
//! are not errors: they are data in the report.

use crate::source::{Location, SourceFile, Span};
use std::sync::Arc;

/// A problem at a place in a configuration, governance or policy file; rendered with a
/// snippet of the file.
#[derive(Debug, Clone)]
pub struct Located {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub location: Location,
    /// The file, for the snippet.
    pub file: Arc<SourceFile>,
}

impl Located {
    /// The problem `message` at `span` of `file`.
    pub fn new(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Located {
        Located {
            message: message.into(),
            location: Location::new(file, span),
            file: file.clone(),
        }
    }
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = &self.location;
        write!(f, "{}:{}:{}: {}", l.path, l.line, l.column, self.message)
    }
}

impl std::error::Error for Located {}

impl miette::Diagnostic for Located {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&*self.file)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.location.span;
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            Some("here".into()),
            span.start,
            span.end.saturating_sub(span.start),
        ))))
    }
}

/// A file shows in a snippet under its display path.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.path.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Why stagegate could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder, as displayed.
        path: String,
        /// Why.
        message: String,
    },
    /// A file that configures the check is invalid: governance data, the repository
    /// configuration, or a policy's METADATA.
    #[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config {
        /// Every problem, located.
        problems: Vec<Located>,
    },
    /// The worker threads of a sweep could not start.
    #[error("cannot start worker threads: {message}")]
    Threads {
        /// Why.
        message: String,
    },
    /// The policy engine could not start: the governance data or the compiled built-in pack
    /// did not load, or a coverage report could not be made.
    #[error("policy engine: {message}")]
    Engine {
        /// Why.
        message: String,
    },
    /// A policy was asked for by an id that no loaded policy has.
    #[error("no policy has the id `{id}` (`stagegate policies` lists them)")]
    UnknownPolicy {
        /// The id asked for.
        id: String,
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
            Error::Config { .. } => "stagegate::config",
            Error::Threads { .. } => "stagegate::threads",
            Error::Engine { .. } => "stagegate::engine",
            Error::UnknownPolicy { .. } => "stagegate::unknown-policy",
        }))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        match self {
            Error::Config { problems } => Some(Box::new(
                problems.iter().map(|p| p as &dyn miette::Diagnostic),
            )),
            _ => None,
        }
    }
}
