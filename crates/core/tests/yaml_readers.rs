//! The block-subset YAML reader agrees with saphyr-parser, spans included: on generated
//! documents written in every style the subset covers, and on every YAML file of the
//! repository (fixtures, policy fixtures, examples). The corpus is compared in corpus.rs.

use proptest::prelude::*;
use stagegate::parse::yaml_readers;
use std::path::{Path, PathBuf};

/// A generated YAML value, written out in one of several equivalent styles.
#[derive(Debug, Clone)]
enum Doc {
    Plain(String),
    Quoted(String, bool),
    Block(String, u8, u8),
    Tagged(&'static str, Box<Doc>),
    Flow(Vec<Doc>),
    Map(Vec<(String, Doc)>),
    Seq(Vec<Doc>),
}

fn plain_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "build",
            "3.10",
            "true",
            "~",
            "null",
            "x-y",
            "${Env}",
            "s3://b/k",
            "a:b",
            "npm",
            "ci",
            "#",
            "it's",
            "é",
            "-1",
            "0.2",
            "key=value",
            "a,b",
            "[x]",
        ]),
        1..4,
    )
    .prop_map(|words| words.join(" "))
    .prop_filter("a plain scalar", |s| {
        !s.starts_with(['#', '[', ',', '-', '~'])
            && !s.contains(" #")
            && !s.contains(": ")
            && !s.ends_with(':')
    })
}

fn any_text() -> impl Strategy<Value = String> {
    "[a-z '\"\\\\:#é\t{}\\[\\],!&*|>%@`-]{0,12}"
}

fn block_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "npm ci",
            "  indented more",
            "",
            "make test # not a comment",
            "echo \"$X\"",
            "- not a list",
            "key: not a map",
            "é",
        ]),
        1..5,
    )
    .prop_map(|lines| lines.join("\n"))
    .prop_filter("first line has text at the base indentation", |s| {
        let first = s.lines().next().unwrap_or("");
        !first.is_empty() && !first.starts_with(' ') && s.lines().any(|l| !l.trim().is_empty())
    })
}

fn key() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_:.-]{0,8}".prop_filter("no colon at the end", |k| !k.ends_with(':'))
}

fn leaf() -> impl Strategy<Value = Doc> {
    prop_oneof![
        3 => plain_text().prop_map(Doc::Plain),
        2 => (any_text(), any::<bool>()).prop_map(|(t, double)| Doc::Quoted(t, double)),
        1 => (block_text(), 0u8..2, 0u8..3).prop_map(|(t, folded, chomp)| Doc::Block(t, folded, chomp)),
        1 => (prop::sample::select(vec!["!Ref", "!Sub", "!GetAtt", "!!str", "!Custom"]), plain_text())
            .prop_map(|(tag, t)| Doc::Tagged(tag, Box::new(Doc::Plain(t)))),
        1 => prop::collection::vec(
            prop_oneof![
                plain_text().prop_map(|t| Doc::Plain(t.replace([',', '[', ']', '{', '}'], "."))),
                any_text().prop_map(|t| Doc::Quoted(t, true)),
            ],
            0..4,
        ).prop_map(Doc::Flow),
    ]
}

fn doc() -> impl Strategy<Value = Doc> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::btree_map(key(), inner.clone(), 1..5)
                .prop_map(|m| Doc::Map(m.into_iter().collect())),
            prop::collection::vec(inner.clone(), 1..4).prop_map(Doc::Seq),
            (
                prop::sample::select(vec!["!If", "!Join", "!Sub"]),
                prop::collection::vec(inner, 1..3)
            )
                .prop_map(|(tag, items)| Doc::Tagged(tag, Box::new(Doc::Seq(items)))),
        ]
    })
}

fn quote(text: &str, double: bool) -> String {
    if double {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Writes `doc` as the value after `key:` or `- ` whose line is indented `indent` spaces;
/// `style` picks among equivalent layouts.
fn write(out: &mut String, doc: &Doc, indent: usize, style: u8, in_map: bool) {
    let pad = " ".repeat(indent);
    match doc {
        Doc::Plain(t) => {
            out.push(' ');
            out.push_str(t);
            if style.is_multiple_of(3) {
                out.push_str("   # note");
            }
            out.push('\n');
        }
        Doc::Quoted(t, double) => {
            out.push(' ');
            out.push_str(&quote(t, *double));
            if style.is_multiple_of(2) {
                out.push_str("  # note");
            }
            out.push('\n');
        }
        Doc::Block(t, folded, chomp) => {
            out.push_str(if *folded == 1 { " >" } else { " |" });
            out.push_str(["", "-", "+"][usize::from(*chomp)]);
            out.push('\n');
            for line in t.lines() {
                if !line.is_empty() {
                    out.push_str(&pad);
                    out.push_str("  ");
                    out.push_str(line);
                }
                out.push('\n');
            }
            if style.is_multiple_of(2) {
                out.push('\n');
            }
        }
        Doc::Tagged(tag, inner) => {
            out.push(' ');
            out.push_str(tag);
            write(out, inner, indent, style, in_map);
        }
        Doc::Flow(items) => {
            let written: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Doc::Plain(t) => t.clone(),
                    Doc::Quoted(t, d) => quote(t, *d),
                    _ => "x".into(),
                })
                .collect();
            out.push_str(" [");
            let separator = if style.is_multiple_of(2) {
                ", ".to_string()
            } else {
                format!(",\n{pad}    ")
            };
            out.push_str(&written.join(&separator));
            out.push_str("]\n");
        }
        Doc::Map(entries) => {
            out.push('\n');
            if style % 4 == 1 {
                out.push_str(&pad);
                out.push_str("  # a comment line\n\n");
            }
            for (k, v) in entries {
                out.push_str(&pad);
                out.push_str("  ");
                out.push_str(k);
                out.push(':');
                write(out, v, indent + 2, style.wrapping_add(1), true);
            }
        }
        Doc::Seq(items) => {
            out.push('\n');
            // a sequence under a key may sit at the key's own indentation
            let at = if in_map && style % 2 == 1 {
                indent
            } else {
                indent + 2
            };
            for item in items {
                out.push_str(&" ".repeat(at));
                out.push('-');
                write(out, item, at, style.wrapping_add(1), false);
            }
        }
    }
}

fn document(entries: &[(String, Doc)], style: u8) -> String {
    let mut out = String::new();
    if style.is_multiple_of(5) {
        out.push_str("---\n# generated\n");
    }
    for (k, v) in entries {
        out.push_str(k);
        out.push(':');
        write(&mut out, v, 0, style, true);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every generated document is valid YAML, the block reader takes it, and both readers
    /// build the same tree with the same spans.
    #[test]
    fn the_block_reader_agrees_with_saphyr_on_generated_documents(
        entries in prop::collection::btree_map(key(), doc(), 1..6),
        style in any::<u8>(),
    ) {
        let entries: Vec<(String, Doc)> = entries.into_iter().collect();
        let text = document(&entries, style);
        let (block, full) = yaml_readers(&text);
        let full = full.map_err(|e| format!("{}: {text}", e.message));
        prop_assert!(full.is_ok(), "{:?}", full);
        prop_assert!(block.is_some(), "the block reader gave way on:\n{}", text);
        prop_assert_eq!(block.as_ref(), full.as_ref().ok(), "{}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Whatever a mutation breaks, the block reader takes nothing saphyr-parser rejects, and
    /// what it takes it reads the same way.
    #[test]
    fn the_block_reader_takes_no_more_than_saphyr_on_mutated_documents(
        entries in prop::collection::btree_map(key(), doc(), 1..5),
        style in any::<u8>(),
        edits in prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..3, prop::sample::select(vec![
                " ", "\t", "\n", ":", "-", "#", "'", "\"", "[", "]", "{", "}", ",", "!", "&", "*",
                "|", ">", "?", "%", "@", "\\", "~", "é", "  ", ": ", "- ", "\n  ",
                "\u{b}", "\u{7f}", "\u{85}", "\u{feff}", "\r\n",
            ])),
            1..4,
        ),
    ) {
        let entries: Vec<(String, Doc)> = entries.into_iter().collect();
        let mut text = document(&entries, style);
        for (at, op, piece) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match op {
                0 => text.insert_str(i, piece),
                1 => {
                    if let Some(c) = text[i..].chars().next() {
                        text.replace_range(i..i + c.len_utf8(), "");
                    }
                }
                _ => {
                    if let Some(c) = text[i..].chars().next() {
                        text.replace_range(i..i + c.len_utf8(), piece);
                    }
                }
            }
        }
        let (block, full) = yaml_readers(&text);
        if let Some(block) = block {
            let full = full.map_err(|e| format!("{} (saphyr) on:\n{text}", e.message));
            prop_assert!(full.is_ok(), "the block reader takes what saphyr rejects: {:?}", full);
            prop_assert_eq!(Some(&block), full.as_ref().ok(), "{}", text);
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn the_block_reader_agrees_with_saphyr_on_every_repository_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["fixtures", "policies", "examples"] {
        yaml_files(&root.join(dir), &mut files);
    }
    let mut taken = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let (block, full) = yaml_readers(text.trim_start_matches('\u{feff}'));
        if let (Some(block), Ok(full)) = (&block, &full) {
            assert_eq!(block, full, "{}", path.display());
            taken += 1;
        }
        assert!(
            block.is_none() || full.is_ok(),
            "the block reader takes invalid {}",
            path.display()
        );
    }
    // nearly every file is in the subset: a reader that gave way everywhere would pass above
    assert!(
        taken * 10 >= files.len() * 9,
        "{taken} of {} taken",
        files.len()
    );
}

/// The fuzz sample holds inputs that once broke a parser: the block reader takes none that
/// saphyr-parser rejects, and reads the ones it takes the same way.
#[test]
fn the_block_reader_takes_no_more_than_saphyr_on_the_fuzz_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut files = Vec::new();
    for target in ["parse", "model", "check"] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        files.extend(entries.filter_map(Result::ok).map(|e| e.path()));
    }
    assert!(!files.is_empty(), "no fuzz sample under {}", root.display());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if let (Some(block), full) = yaml_readers(&text) {
            match full {
                Ok(full) => assert_eq!(block, full, "{}", path.display()),
                Err(e) => panic!(
                    "{} is taken but saphyr rejects it: {}",
                    path.display(),
                    e.message
                ),
            }
        }
    }
}
