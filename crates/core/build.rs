//! Embeds the built-in policy pack: every `.rego` file under `../../policies`, so that
//! dropping a policy folder in registers it (no hand-kept list), and the pack compiled to
//! regorus bytecode, so that a run starts without parsing or compiling Rego.

#[allow(dead_code)]
#[path = "src/policy/together.rs"]
mod together;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rego") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut code = String::from("/// Built-in policy files: (path under `policies/`, text).\npub(crate) static BUILTIN_FILES: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(&root)
            .expect("below root")
            .to_string_lossy()
            .replace('\\', "/");
        let abs = f.canonicalize().expect("readable policy file");
        writeln!(
            code,
            "    ({:?}, include_str!({:?})),",
            format!("policies/{rel}"),
            abs.display().to_string()
        )
        .expect("write to string");
    }
    code.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let program = out_dir.join("builtin_program.bin");
    let (bytes, packages) = compile(&root, &files);
    std::fs::write(&program, bytes).expect("write compiled pack");
    code.push_str("/// The package of each built-in module (tests aside), as regorus read it.\npub(crate) static BUILTIN_PACKAGES: &[(&str, &str)] = &[\n");
    for (path, package) in &packages {
        writeln!(code, "    ({path:?}, {package:?}),").expect("write to string");
    }
    code.push_str("];\n");
    writeln!(
        code,
        "/// The built-in pack as regorus bytecode.\npub(crate) static BUILTIN_PROGRAM: &[u8] = include_bytes!({:?});",
        program.display().to_string()
    )
    .expect("write to string");
    std::fs::write(out_dir.join("builtin_policies.rs"), code).expect("write generated file");
}

/// Every policy's `deny` and the combined entry, compiled. A built-in policy the bytecode
/// compiler rejects fails the build: the pack always runs on the machine.
fn compile(root: &Path, files: &[PathBuf]) -> (Vec<u8>, Vec<(String, String)>) {
    let mut engine = regorus::Engine::new();
    let mut packages = Vec::new();
    let mut every = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .expect("below root")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with("_test.rego") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("readable policy file");
        let metadata = text.lines().any(|l| l.trim() == "# METADATA");
        let package = engine
            .add_policy(format!("policies/{rel}"), text)
            .unwrap_or_else(|e| panic!("built-in policy {rel}: {e}"));
        let package = package
            .strip_prefix("data.")
            .unwrap_or(&package)
            .to_string();
        if metadata {
            packages.push(package.clone());
        }
        every.push((format!("policies/{rel}"), package));
    }
    engine
        .add_policy(
            together::TOGETHER_PATH.into(),
            together::together_module(&packages),
        )
        .expect("generated module parses");
    let policy = engine
        .compile_with_entrypoint(&regorus::Rc::from(together::TOGETHER))
        .unwrap_or_else(|e| panic!("built-in pack: {e}"));
    let mut entries: Vec<String> = packages.iter().map(|p| together::deny_entry(p)).collect();
    entries.push(together::TOGETHER.into());
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &refs)
        .unwrap_or_else(|e| panic!("built-in pack does not compile to bytecode: {e}"));
    let bytes = program
        .serialize_binary()
        .unwrap_or_else(|e| panic!("serialize the compiled pack: {e}"));
    (bytes, every)
}
