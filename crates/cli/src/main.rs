//! `stagegate`: check CodePipeline / CodeBuild definitions against governance policies.

fn main() -> std::process::ExitCode {
    stagegate_cli::main()
}
