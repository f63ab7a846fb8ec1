//! `stagegate`: check CodePipeline / CodeBuild definitions against governance policies.

// the CLI is the one place that prints
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod render;
mod run;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = args::Args::parse();
    match run::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(2)
        }
    }
}
