//! The built-in pack on each engine over the workspaces of a benchmark corpus: the bytecode
//! machine against the tree-walking interpreter, models built once, evaluation alone timed.
//! `cargo run --release --example engines -p stagegate -- DIR [ROUNDS]` (DIR: a corpus of
//! `bench/generate.py`, one workspace per subfolder).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let rounds: usize = std::env::args()
        .nth(2)
        .map_or(3, |r| r.parse().expect("ROUNDS is a number"));
    let linter = stagegate::Linter::builder()
        .builtin_policies()
        .build()
        .unwrap();
    let mut dirs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let models: Vec<_> = dirs.iter().map(|d| linter.model_paths(&[d]).0).collect();
    let set = linter.policy_set();
    // both engines find the same findings: the comparison is of like with like
    for m in &models {
        let (a, ea) = set.evaluate(m);
        let (b, eb) = set.evaluate_interpreted(m);
        assert!(ea.is_empty() && eb.is_empty(), "{ea:?} {eb:?}");
        assert_eq!(a.len(), b.len(), "the engines disagree");
    }
    let time = |f: &dyn Fn(&stagegate::model::Workspace)| {
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let start = Instant::now();
            for m in &models {
                f(m);
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        best * 1e6 / models.len() as f64
    };
    let vm = time(&|m| {
        std::hint::black_box(set.evaluate(m));
    });
    let interpreter = time(&|m| {
        std::hint::black_box(set.evaluate_interpreted(m));
    });
    println!(
        "{} workspaces: bytecode machine {vm:.0} µs, interpreter {interpreter:.0} µs a workspace ({:.1}x)",
        models.len(),
        interpreter / vm
    );
}
