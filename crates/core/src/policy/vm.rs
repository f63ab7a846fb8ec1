//! evaluate: the policies compiled to regorus bytecode (RVM), run by a pool of virtual
//! machines shared across threads. The bytecode machine evaluates the pack several times
//! faster than the tree-walking interpreter; policies it cannot compile (for example a
//! `with` outside tests) stay on the interpreter, so every valid policy still runs.

use crate::error::Error;
use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::program::Program;
use regorus::rvm::RegoVM;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Policies evaluate one workspace each: no instruction budget short of runaway loops.
const MAX_INSTRUCTIONS: usize = 1 << 40;

/// The package of the generated module that gathers every policy's `deny`.
const TOGETHER_PACKAGE: &str = "stagegate.internal.together";
const TOGETHER: &str = "data.stagegate.internal.together.deny";

/// A Rego string literal.
fn quote(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Idle machines kept for reuse; more threads than this just build their own.
const POOL_SIZE: usize = 64;

/// The bytecode program and the packages whose `deny` it evaluates.
#[derive(Clone)]
pub(crate) struct Compiled {
    program: Arc<Program>,
    data: regorus::Value,
    packages: BTreeSet<String>,
    pool: Arc<Mutex<Vec<RegoVM>>>,
}

impl Compiled {
    /// Compiles every package's `deny` rule that the virtual machine supports. `None` when
    /// it supports none of them (the interpreter then runs everything).
    pub(crate) fn compile(
        engine: &mut regorus::Engine,
        packages: &[String],
        data: &regorus::Value,
    ) -> Result<Option<Compiled>, Error> {
        if packages.is_empty() {
            return Ok(None);
        }
        let entry = |p: &str| format!("data.{p}.deny");
        // a module of our own (on a copy of the engine, so tests and coverage never see it)
        // that gathers every policy's `deny` in one object
        let mut engine = engine.clone();
        let fields: Vec<String> = packages
            .iter()
            .map(|p| format!("\t{}: data.{p}.deny,", quote(p)))
            .collect();
        engine
            .add_policy(
                "(stagegate)/together.rego".into(),
                format!(
                    "package {TOGETHER_PACKAGE}\n\ndeny := {{\n{}\n}}\n",
                    fields.join("\n")
                ),
            )
            .map_err(|e| Error::Policy {
                path: "(compile)".into(),
                message: format!("{e}"),
            })?;
        let policy = engine
            .compile_with_entrypoint(&regorus::Rc::from(TOGETHER))
            .map_err(|e| Error::Policy {
                path: "(compile)".into(),
                message: format!("{e}"),
            })?;
        // one failing policy must not take the others off the machine: on a failure, keep
        // the packages that compile alone and compile those together
        let mut all: Vec<String> = packages.iter().map(|p| entry(p)).collect();
        all.push(TOGETHER.into());
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        let (program, covered) = match Compiler::compile_from_policy(&policy, &refs) {
            Ok(program) => (program, packages.to_vec()),
            Err(_) => {
                let covered: Vec<String> = packages
                    .iter()
                    .filter(|p| Compiler::compile_from_policy(&policy, &[&entry(p)]).is_ok())
                    .cloned()
                    .collect();
                let all: Vec<String> = covered.iter().map(|p| entry(p)).collect();
                let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                match Compiler::compile_from_policy(&policy, &refs) {
                    Ok(program) if !covered.is_empty() => (program, covered),
                    _ => return Ok(None),
                }
            }
        };
        Ok(Some(Compiled {
            program,
            data: data.clone(),
            packages: covered.into_iter().collect(),
            pool: Arc::new(Mutex::new(Vec::new())),
        }))
    }

    /// How many policies the program evaluates.
    pub(crate) fn len(&self) -> usize {
        self.packages.len()
    }

    /// Evaluates every compiled policy in one run: package → its `deny` set. An error when
    /// any fails or the program was compiled without the combined entry.
    pub(crate) fn run_all(
        &self,
        machine: &mut RegoVM,
    ) -> Result<BTreeMap<String, regorus::Value>, String> {
        let value = machine
            .execute_entry_point_by_name(TOGETHER)
            .map_err(|e| format!("{e}"))?;
        let object = value.as_object().map_err(|e| format!("{e}"))?;
        let mut out = BTreeMap::new();
        for (key, deny) in object.iter() {
            let package = key.as_string().map_err(|e| format!("{e}"))?;
            out.insert(package.to_string(), deny.clone());
        }
        if out.len() != self.packages.len() {
            return Err("not every policy evaluated".into());
        }
        Ok(out)
    }

    /// Whether this program evaluates the package's `deny`.
    pub(crate) fn covers(&self, package: &str) -> bool {
        self.packages.contains(package)
    }

    /// A machine loaded with the program, the data and this input.
    pub(crate) fn checkout(&self, input: &regorus::Value) -> Result<RegoVM, String> {
        let idle = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let mut machine = match idle {
            Some(m) => m,
            None => {
                let mut m = RegoVM::new();
                m.load_program(Arc::clone(&self.program));
                m.set_data(self.data.clone())
                    .map_err(|e| format!("cannot load governance data: {e}"))?;
                m.set_max_instructions(MAX_INSTRUCTIONS);
                // fail closed like the interpreter: a builtin or arithmetic error (such as a
                // division by zero) is an error, not a silently undefined value
                m.set_strict_builtin_errors(true);
                m
            }
        };
        machine.set_input(input.clone());
        Ok(machine)
    }

    /// Returns a machine to the pool.
    pub(crate) fn checkin(&self, machine: RegoVM) {
        if let Ok(mut pool) = self.pool.lock() {
            if pool.len() < POOL_SIZE {
                pool.push(machine);
            }
        }
    }

    /// Evaluates one rule (`data.<package>.deny`).
    pub(crate) fn run(&self, machine: &mut RegoVM, rule: &str) -> Result<regorus::Value, String> {
        machine
            .execute_entry_point_by_name(rule)
            .map_err(|e| format!("{e}"))
    }
}
