//! locate: finding targets (model `source` refs) -> spans in their files.
//!
//! A path names an entry (key to end of value); a path absent from its file (a default
//! value) falls back to the nearest ancestor that exists, never to line 1.

use crate::model::{EmbeddedIndex, SourceRef};
use crate::parse::{Document, PathBuf};
use crate::policy::{Finding, Policy};
use crate::report::{Location, Related, Violation};
use std::collections::HashMap;

/// The parsed files of a workspace, by display path, and their embedded documents.
pub struct Sources<'a> {
    /// Parsed files.
    pub documents: HashMap<&'a str, &'a Document>,
    /// Documents embedded in strings.
    pub embedded: &'a EmbeddedIndex,
}

impl Sources<'_> {
    /// The location of a source ref, or `None` when its file is not among the inputs.
    pub fn locate(&self, source: &SourceRef) -> Option<Location> {
        let doc = self.documents.get(source.file.as_str())?;
        let (outer, inner) = match source.path.split_once('#') {
            Some((outer, inner)) => (outer, Some(inner)),
            None => (source.path.as_str(), None),
        };
        let tokens = PathBuf::segments(outer).swap_remove(0);
        let (mut span, depth) = doc.root()?.resolve(&tokens);
        if let (Some(inner), true) = (inner, depth == tokens.len()) {
            if let Some(embedded) = self.embedded.get(&(source.file.clone(), outer.to_string())) {
                let inner_tokens = PathBuf::segments(inner).swap_remove(0);
                span = embedded.resolve(&inner_tokens).0;
            }
        }
        Some(Location::new(&doc.file, doc.file.trim_span(span)))
    }
}

/// Turns a finding into a violation; `Err` when a target names a file that is not an input
/// (the policy returned something that is not a model `source`).
pub(crate) fn locate(
    finding: &Finding,
    policy: &Policy,
    sources: &Sources<'_>,
    names: &crate::fingerprint::Names<'_>,
) -> Result<Violation, String> {
    let mut located = Vec::new();
    for target in &finding.at {
        let location = sources.locate(&target.source).ok_or_else(|| {
            format!(
                "policy `{}` points at {}{} which is not among the checked files",
                finding.policy, target.source.file, target.source.path
            )
        })?;
        located.push((location, target.label.clone()));
    }
    let mut iter = located.into_iter();
    let (location, label) = iter.next().ok_or("finding without a target")?;
    let related = iter
        .map(|(location, label)| Related {
            message: label.unwrap_or_else(|| "related".into()),
            location,
        })
        .collect();
    Ok(Violation {
        policy: finding.policy.clone(),
        title: policy.metadata.title.clone(),
        severity: policy.metadata.severity,
        message: finding.message.clone(),
        location,
        label,
        related,
        fingerprint: names.fingerprint(
            &finding.policy,
            &finding.at.iter().map(|t| &t.source).collect::<Vec<_>>(),
        ),
        redact: finding.redact.clone(),
        subject: None,
        resource: None,
        targets: finding.at.iter().map(|t| t.source.clone()).collect(),
        waivable: policy.metadata.waivable,
        suppression: None,
    })
}
