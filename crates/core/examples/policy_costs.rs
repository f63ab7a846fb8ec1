//! What each built-in policy adds to one combined bytecode run: the pack is compiled from
//! `policies/` with and without each policy and run on workspace folders.
//! `cargo run --release --example policy_costs -p stagegate -- DIR...` prints times (noisy);
//! `bash bench/policy_costs.sh` counts instructions (steady) with `ONLY_SKIP` and `ROUNDS`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../src/policy/together.rs"]
mod together;

/// A module's package, as regorus reads it.
fn package_of(path: &str, text: &str) -> String {
    let package = regorus::Engine::new()
        .add_policy(path.to_string(), text.to_string())
        .unwrap();
    package
        .strip_prefix("data.")
        .unwrap_or(&package)
        .to_string()
}

use regorus::rvm::RegoVM;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn program(files: &[(String, String)], skip: Option<&str>) -> regorus::rvm::program::Program {
    let mut engine = regorus::Engine::new();
    let mut packages = Vec::new();
    for (path, text) in files {
        let package = package_of(path, text);
        if skip == Some(package.as_str()) || (skip == Some("*") && text.contains("# METADATA")) {
            continue;
        }
        if text.lines().any(|l| l.trim() == "# METADATA") {
            packages.push(package);
        }
        engine.add_policy(path.clone(), text.clone()).unwrap();
    }
    engine
        .add_policy(
            together::TOGETHER_PATH.into(),
            together::together_module(&packages),
        )
        .unwrap();
    let policy = engine
        .compile_with_entrypoint(&regorus::Rc::from(together::TOGETHER))
        .unwrap();
    let mut entries: Vec<String> = packages.iter().map(|p| together::deny_entry(p)).collect();
    entries.push(together::TOGETHER.into());
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &refs)
        .unwrap()
        .as_ref()
        .clone()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap().filter_map(Result::ok) {
        for f in std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let p = f.path();
            let name = p.to_string_lossy().to_string();
            if name.ends_with(".rego") && !name.ends_with("_test.rego") {
                files.push((name, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    files.sort();
    let linter = stagegate::Linter::builder()
        .builtin_policies()
        .build()
        .unwrap();
    let inputs: Vec<regorus::Value> = std::env::args()
        .skip(1)
        .map(|dir| {
            let (ws, _) = linter.model_paths(&[&dir]);
            regorus::Value::from_json_str(&serde_json::to_string(&ws).unwrap()).unwrap()
        })
        .collect();
    let data = regorus::Value::from_json_str(r#"{"stagegate": {"params": {}}}"#).unwrap();
    let time = |skip: Option<&str>| {
        let mut vm = RegoVM::new();
        vm.load_program(Arc::new(program(&files, skip)));
        vm.set_data(data.clone()).unwrap();
        vm.set_max_instructions(1 << 40);
        let rounds = std::env::var("ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200);
        let t = Instant::now();
        for _ in 0..rounds {
            for input in &inputs {
                vm.set_input(input.clone());
                vm.execute_entry_point_by_name(together::TOGETHER).unwrap();
            }
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(rounds) / inputs.len() as f64
    };
    // under callgrind (--toggle-collect on execute_entry_point_by_name), one subset a run:
    // ONLY_SKIP=<package> times the pack without that policy
    if std::env::var_os("VM_INSTRUCTIONS").is_some() {
        // the machine's own instruction count: the smallest budget that lets a run finish
        let mut vm = RegoVM::new();
        vm.load_program(Arc::new(program(&files, None)));
        vm.set_data(data.clone()).unwrap();
        for input in &inputs {
            let (mut lo, mut hi) = (1usize, 1usize << 30);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                vm.set_max_instructions(mid);
                vm.set_input(input.clone());
                if vm.execute_entry_point_by_name(together::TOGETHER).is_ok() {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            println!("{lo}");
        }
        return;
    }
    if let Ok(skip) = std::env::var("ONLY_SKIP") {
        let skip = (!skip.is_empty()).then_some(skip);
        println!("{:.1}", time(skip.as_deref()));
        return;
    }
    let all = time(None);
    println!("{:>36}: {all:7.1} µs a workspace", "all policies");
    for (path, text) in &files {
        if !text.lines().any(|l| l.trim() == "# METADATA") {
            continue;
        }
        let package = package_of(path, text);
        let without = time(Some(&package));
        let name = package.rsplit('.').next().unwrap().to_string();
        println!("{name:>36}: {:7.1} µs", all - without);
    }
}
