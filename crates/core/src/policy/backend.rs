//! evaluate: which engine runs each policy, and one workspace's evaluation over both.
//!
//! The bytecode machine runs only the built-in pack, compiled at build time and compared
//! with the interpreter on every fixture by the tests: regorus's compiler still has gaps
//! (an undefined assignment does not fail a function body before an `else`), and a user
//! policy that hit one would pass silently. User policies run on the interpreter, and so
//! does the whole pack when a user module replaces its helper library or adds rules to one
//! of its packages (the compiled program cannot see them). The machine evaluates the pack
//! about three times faster (`cargo run --release --example engines -p stagegate`).

use super::{together, vm, Policy, PolicySet, RegoFile, BUILTIN_FILES, BUILTIN_PACKAGES};
use crate::error::Error;
use std::collections::BTreeMap;

/// The compiled pack when every policy of it may run on the machine, else `None`.
/// `files` are the loaded modules with their packages; `user_lib`: a user module replaces
/// the helper library.
pub(super) fn machine_for(
    files: &[(&RegoFile, Option<String>)],
    user_lib: bool,
    data: &regorus::Value,
) -> Result<Option<vm::Compiled>, Error> {
    let builtin_packages: Vec<&str> = BUILTIN_PACKAGES.iter().map(|(_, p)| *p).collect();
    let whole_pack = !user_lib
        && BUILTIN_FILES.iter().all(|(path, _)| {
            files
                .iter()
                .any(|(f, _)| f.builtin && f.file.path.as_str() == *path)
        })
        && !files.iter().any(|(f, package)| {
            !f.builtin
                && package
                    .as_deref()
                    .is_some_and(|p| builtin_packages.contains(&p))
        });
    if !whole_pack {
        return Ok(None);
    }
    vm::Compiled::builtin(data)
        .map(Some)
        .map_err(|message| Error::Engine {
            message: format!("cannot load the compiled built-in pack: {message}"),
        })
}

/// One workspace's evaluation: a machine loaded with its input when the set has the
/// compiled pack, the interpreter for every other policy.
pub(super) struct Run<'s> {
    set: &'s PolicySet,
    machine: Option<regorus::rvm::RegoVM>,
    /// Every compiled policy's `deny` from one machine run, taken as policies ask.
    together: Option<BTreeMap<String, regorus::Value>>,
    /// The caller's interpreter, or a clone of the set's made on first need.
    engine: Option<&'s mut regorus::Engine>,
    clone: Option<regorus::Engine>,
    input: &'s regorus::Value,
    input_set: bool,
}

impl<'s> Run<'s> {
    /// Loads `input` on the machine. `engine`: an interpreter to use (and leave prepared),
    /// else the set's is cloned when a policy needs it.
    pub(super) fn start(
        set: &'s PolicySet,
        engine: Option<&'s mut regorus::Engine>,
        input: &'s regorus::Value,
    ) -> Result<Run<'s>, String> {
        let mut machine = set.vm.as_ref().map(|vm| vm.checkout(input)).transpose()?;
        // every compiled policy in one run shares the helpers' rule cache (`lib.actions` is
        // built once, not once per policy); on any error each policy runs alone, so that the
        // error names its policy
        let together = match (&set.vm, machine.as_mut()) {
            (Some(vm), Some(m)) if set.compiled_count() == vm.len() => vm.run_all(m).ok(),
            _ => None,
        };
        Ok(Run {
            set,
            machine,
            together,
            engine,
            clone: None,
            input,
            input_set: false,
        })
    }

    /// The policy's `deny` set, from the engine that runs it.
    pub(super) fn deny(&mut self, policy: &Policy) -> Result<regorus::Value, String> {
        if let (Some(vm), Some(machine)) = (&self.set.vm, self.machine.as_mut()) {
            if vm.covers(&policy.package) {
                return match self
                    .together
                    .as_mut()
                    .and_then(|t| t.remove(&policy.package))
                {
                    Some(value) => Ok(value),
                    None => vm.run(machine, &policy.package),
                };
            }
        }
        let engine = match self.engine.as_deref_mut() {
            Some(e) => e,
            None => match &mut self.clone {
                Some(e) => e,
                None => {
                    let e = self.set.engine().map_err(|e| e.to_string())?.clone();
                    self.clone.insert(e)
                }
            },
        };
        if !self.input_set {
            engine.set_input(self.input.clone());
            self.input_set = true;
        }
        engine
            .eval_rule(together::deny_entry(&policy.package))
            .map_err(|e| format!("{e}"))
    }

    /// Returns the machine to the set's pool.
    pub(super) fn finish(self) {
        if let (Some(vm), Some(m)) = (&self.set.vm, self.machine) {
            vm.checkin(m);
        }
    }
}
