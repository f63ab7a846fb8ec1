//! The library's top-level modules form no import cycle (ARCHITECTURE.md draws the graph):
//! each module's non-test code is read for `crate::<module>` paths and for names the crate
//! root re-exports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file below `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The words of `text` that are identifiers, in order.
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = src();
    let lib = std::fs::read_to_string(root.join("lib.rs")).unwrap();
    let mut modules: BTreeSet<String> = BTreeSet::new();
    // names re-exported at the root, by the module they come from
    let mut exported: BTreeMap<String, String> = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        let decl = line
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ");
        if let Some(m) = decl.strip_prefix("mod ") {
            modules.insert(m.trim_end_matches(';').to_string());
        }
        // modules public only with the `internals` feature
        if let Some(list) = line.strip_prefix("internal!(") {
            modules.extend(words(list).into_iter().map(str::to_string));
        }
        if let Some(rest) = line.strip_prefix("pub use ") {
            let w = words(rest);
            for name in w.iter().skip(1).filter(|n| **n != "as") {
                exported.insert((*name).to_string(), w[0].to_string());
            }
        }
    }
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in all {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if !modules.contains(&top) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let edges = graph.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let after = &code[i + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = after.strip_prefix('{') {
                words(group.split('}').next().unwrap())
            } else {
                words(after).into_iter().take(1).collect()
            };
            for name in names {
                let module = exported.get(name).map_or(name, String::as_str);
                if module != top && modules.contains(module) {
                    edges.insert(module.to_string());
                }
            }
        }
    }
    graph
}

#[test]
fn core_modules_form_no_cycle() {
    let graph = graph();
    assert!(graph.len() > 10, "the modules were read: {graph:?}");
    assert!(
        graph["linter"].contains("model"),
        "edges were read: {graph:?}"
    );
    // depth-first search for a back edge
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(
            cycle.is_none(),
            "import cycle: {}",
            cycle.unwrap().join(" -> ")
        );
    }
}
