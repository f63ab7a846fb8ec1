//! Which YAML files the block-subset reader takes, and whether it agrees with saphyr-parser:
//! `cargo run --release --example yaml_readers -p stagegate -- PATH...`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::path::PathBuf;

fn walk(path: PathBuf, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for e in entries {
            walk(e, out);
        }
    } else if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml")
    ) {
        out.push(path);
    }
}

fn main() {
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        walk(PathBuf::from(arg), &mut files);
    }
    let (mut taken, mut given_way, mut invalid, mut differ) = (0, 0, 0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        match stagegate::parse::yaml_readers(text) {
            (Some(fast), Ok(full)) if fast == full => taken += 1,
            (Some(fast), Ok(full)) => {
                differ += 1;
                println!("DIFFERS {}", path.display());
                if std::env::var_os("SHOW").is_some() {
                    println!("block reader: {fast:#?}\nsaphyr-parser: {full:#?}");
                }
            }
            (Some(_), Err(e)) => {
                differ += 1;
                println!("TAKES INVALID {}: {}", path.display(), e.message);
            }
            (None, Ok(_)) => {
                given_way += 1;
                println!("gives way {}", path.display());
            }
            (None, Err(_)) => invalid += 1,
        }
    }
    println!(
        "{} files: {taken} taken, {given_way} left to saphyr, {invalid} invalid, {differ} differ",
        files.len()
    );
}
