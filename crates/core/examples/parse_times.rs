//! Times discovery and parsing alone: `cargo run --release --example parse_times -p stagegate -- DIR`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("DIR"));
    let limits = stagegate::parse::Limits::default();
    let n = 200u32;
    let t = Instant::now();
    let mut files = Vec::new();
    for _ in 0..n {
        files = stagegate::discover::discover(std::slice::from_ref(&dir), &limits).candidates;
    }
    println!("discover: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        for f in &files {
            let _ = stagegate::parse::parse(f.file.clone(), &limits).unwrap();
        }
    }
    println!("parse: {:?}", t.elapsed() / n);
    let t = Instant::now();
    let mut events = 0usize;
    for _ in 0..n {
        for f in &files {
            for e in saphyr_parser::Parser::new_from_str(&f.file.text) {
                if e.is_err() {
                    break;
                }
                events += 1;
            }
        }
    }
    println!(
        "saphyr events alone: {:?} ({} events)",
        t.elapsed() / n,
        events / n as usize
    );
}
