//! Times each phase and each policy on one workspace folder: `cargo run --release --example
//! phase_times -p stagegate -- DIR`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let t = Instant::now();
    let linter = stagegate::Linter::builder()
        .builtin_policies()
        .build()
        .unwrap();
    println!("load policies: {:?}", t.elapsed());
    let t = Instant::now();
    let (ws, _) = linter.model_paths(&[&dir]);
    println!("discover+parse+normalize: {:?}", t.elapsed());
    let t = Instant::now();
    let input = serde_json::to_value(&ws).unwrap();
    println!(
        "model to JSON: {:?} ({} bytes)",
        t.elapsed(),
        input.to_string().len()
    );
    let t = Instant::now();
    for _ in 0..100 {
        let _ = linter.policy_set().evaluate(&ws);
    }
    println!("evaluate all policies: {:?}", t.elapsed() / 100);
    for p in linter.policies() {
        let only = linter.only(&p.metadata.id).unwrap();
        let t = Instant::now();
        for _ in 0..200 {
            let _ = only.policy_set().evaluate(&ws);
        }
        println!("{:>32}: {:?}", p.metadata.id, t.elapsed() / 200);
    }
    let t = Instant::now();
    let r = linter.check_paths(&[&dir]);
    println!(
        "full check: {:?} ({} findings)",
        t.elapsed(),
        r.violations.len()
    );
    let repeat: usize = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let t = Instant::now();
    for _ in 0..repeat {
        let _ = linter.check_paths(&[&dir]);
    }
    if repeat > 0 {
        println!(
            "{repeat} full checks: {:?} each",
            t.elapsed() / u32::try_from(repeat).unwrap()
        );
    }
}
