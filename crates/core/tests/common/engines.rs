//! Shared by the test targets that compare the bytecode machine with the interpreter.

use stagegate::model::Workspace;
use stagegate::policy::PolicySet;

/// Each engine's findings and errors on one workspace as sorted lines: (machine, interpreter).
pub fn both(set: &PolicySet, workspace: &Workspace) -> (Vec<String>, Vec<String>) {
    let lines = |(findings, errors): (
        Vec<stagegate::policy::Finding>,
        Vec<stagegate::policy::EvalError>,
    )| {
        let mut out: Vec<String> = findings
            .iter()
            .map(|f| format!("{} {} {:?} {:?}", f.policy, f.message, f.at, f.redact))
            .chain(
                errors
                    .iter()
                    .map(|e| format!("error {} {}", e.policy, e.message)),
            )
            .collect();
        out.sort();
        out
    };
    (
        lines(set.evaluate(workspace)),
        lines(set.evaluate_interpreted(workspace)),
    )
}
