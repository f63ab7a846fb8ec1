//! Prints the `input` document policies see for a folder: `cargo run --example model_json
//! -p stagegate -- DIR`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let dir = std::env::args().nth(1).expect("DIR");
    let linter = stagegate::Linter::builder()
        .builtin_policies()
        .build()
        .unwrap();
    let (workspace, _) = linter.model_paths(&[&dir]);
    println!("{}", serde_json::to_string_pretty(&workspace).unwrap());
}
