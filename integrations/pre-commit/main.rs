//! `stagegate-pre-commit`: the stagegate command line, built by pre-commit itself from this
//! repository (`language: rust` runs `cargo install --bins --path .` at the repository
//! root, which must then be a package). It is the same program as `stagegate`.

fn main() -> std::process::ExitCode {
    stagegate_cli::main()
}
