//! The `stagegate` command line. A library so that more than one binary can be it: the
//! `stagegate` binary of this package, and the one pre-commit builds from the repository
//! root (`language: rust` runs `cargo install --path .`).

// the CLI is the one place that prints
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod alloc;
mod args;
mod audit;
mod baseline;
#[cfg(feature = "aws")]
mod collect;
mod man;
mod render;
mod run;

use clap::Parser;

// the policy engine allocates many small values; mimalloc makes sweeps markedly faster
#[global_allocator]
static GLOBAL: alloc::MiMalloc = alloc::MiMalloc;
use std::process::ExitCode;

/// Parses the command line, runs it, prints what it must and returns the exit code.
pub fn main() -> ExitCode {
    let args = args::Args::parse();
    // an internal error must still say "could not check" (exit 2), never look like a pass
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error in stagegate (please report it): {info}");
    }));
    match std::panic::catch_unwind(|| run::run(args)) {
        Ok(Ok(code)) => code,
        Ok(Err(err)) => {
            eprint!("{}", err.render());
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}
