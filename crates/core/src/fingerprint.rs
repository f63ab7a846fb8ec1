//! locate: a finding's fingerprint, the one every output and baseline uses.
//!
//! A fingerprint names what a finding is about, not where it sits: the policy, and for each
//! place it points at, the file relative to the checked folder and the nearest model item
//! that holds the place, by name (`action:app/Build/Compile`, `command:build:npm test`,
//! `project:app-build`), followed by the rest of the path. A new action written at the
//! index of an accepted one therefore carries a fingerprint of its own, and the same
//! finding keeps its fingerprint wherever the sweep runs and whatever lines move.

use crate::model::{SourceRef, Workspace};

/// FNV-1a of the parts, each ended by a NUL: stable across runs, machines and versions of
/// Rust, as `std`'s hashers are not.
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for s in parts {
        for b in s.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// [`fnv`] as 16 hex digits.
pub(crate) fn hash(parts: &[&str]) -> String {
    format!("{:016x}", fnv(parts))
}

/// A model item by what it is.
#[derive(PartialEq, Eq)]
enum Item<'w> {
    Pipeline(&'w str),
    Stage(&'w str, &'w str),
    Action(&'w str, &'w str, &'w str),
    Project(&'w str),
    Variable(&'w str, &'w str),
    /// (the place that embeds its buildspec, phase, list, text)
    Command(&'w str, &'w str, &'w str, &'w str),
}

impl std::fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Item::Pipeline(p) => write!(f, "pipeline:{p}"),
            Item::Stage(p, s) => write!(f, "stage:{p}/{s}"),
            Item::Action(p, s, a) => write!(f, "action:{p}/{s}/{a}"),
            Item::Project(p) => write!(f, "project:{p}"),
            Item::Variable(p, v) => write!(f, "variable:{p}/{v}"),
            Item::Command(at, phase, list, text) => write!(f, "command:{at}:{phase}:{list}:{text}"),
        }
    }
}

/// Names the places findings point at, by the items of one workspace.
pub(crate) struct Names<'w> {
    ws: &'w Workspace,
    /// Display prefixes (`dir/`) of the checked folders, stripped from file names.
    roots: &'w [String],
}

impl<'w> Names<'w> {
    pub(crate) fn new(ws: &'w Workspace, roots: &'w [String]) -> Self {
        Names { ws, roots }
    }

    /// Every item of the workspace with the place that declares it, in model order.
    fn items(&self) -> impl Iterator<Item = (&'w SourceRef, Item<'w>)> {
        let ws = self.ws;
        let pipelines = ws.pipelines.iter().flat_map(|p| {
            std::iter::once((&p.source, Item::Pipeline(&p.name))).chain(p.stages.iter().flat_map(
                move |s| {
                    std::iter::once((&s.source, Item::Stage(&p.name, &s.name))).chain(
                        s.actions
                            .iter()
                            .map(move |a| (&a.source, Item::Action(&p.name, &s.name, &a.name))),
                    )
                },
            ))
        });
        let projects = ws.projects.values().flat_map(|project| {
            let label = project
                .name
                .as_deref()
                .or(project.logical_id.as_deref())
                .unwrap_or(&project.key);
            std::iter::once((&project.source, Item::Project(label))).chain(
                project
                    .environment
                    .variables
                    .iter()
                    .map(move |v| (&v.source, Item::Variable(label, &v.name))),
            )
        });
        let commands = ws.buildspecs.values().flat_map(|spec| {
            spec.commands.iter().map(|c| {
                // an inline buildspec is named by the place that embeds it
                let at = c.source.path.split_once('#').map_or("", |(at, _)| at);
                let list = if c.finally { "finally" } else { "commands" };
                (&c.source, Item::Command(at, &c.phase, list, &c.text))
            })
        });
        pipelines.chain(projects).chain(commands)
    }

    /// The file of `source` relative to its checked folder, and the name of the nearest
    /// item holding its place (told apart from items of the same name by its rank among
    /// them, `#1`) with the rest of the path.
    fn logical(&self, source: &SourceRef) -> (String, String) {
        let file = self
            .roots
            .iter()
            .find_map(|r| source.file.strip_prefix(r.as_str()))
            .unwrap_or(&source.file)
            .to_string();
        let path = source.path.as_str();
        let holds = |held: &str| {
            held.is_empty()
                || path == held
                || path
                    .strip_prefix(held)
                    .is_some_and(|rest| rest.starts_with(['/', '#']))
        };
        // (index, length of the place it holds, item) of the nearest holder so far
        let mut best: Option<(usize, usize, Item<'w>)> = None;
        for (i, (at, item)) in self.items().enumerate() {
            let longer = best.as_ref().is_none_or(|(_, len, _)| at.path.len() > *len);
            if longer && at.file == source.file && holds(&at.path) {
                best = Some((i, at.path.len(), item));
            }
        }
        let Some((index, held, item)) = best else {
            return (file, path.to_string());
        };
        let rank = self
            .items()
            .take(index)
            .filter(|(_, other)| *other == item)
            .count();
        let rest = path.get(held..).unwrap_or("");
        let name = if rank == 0 {
            format!("{item}{rest}")
        } else {
            format!("{item}#{rank}{rest}")
        };
        (file, name)
    }

    /// The fingerprint of a finding of `policy` pointing at `targets`.
    pub(crate) fn fingerprint(&self, policy: &str, targets: &[&SourceRef]) -> String {
        let logical: Vec<(String, String)> = targets.iter().map(|t| self.logical(t)).collect();
        let mut parts = vec![policy];
        for (file, place) in &logical {
            parts.push(file);
            parts.push(place);
        }
        hash(&parts)
    }
}
