//! `stagegate audit` and `stagegate merge`: sweeps over many workspaces, streamed.

use crate::baseline::Baseline;
use serde_json::{json, Value as Json};
use stagegate::audit::{self, Split, Target};
use stagegate::{Linter, Report, Severity};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Output formats of a sweep.
#[derive(Debug, Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum AuditFormat {
    /// Per policy and per workspace, worst first, for people.
    Summary,
    /// One JSON report (workspaces streamed into it as they finish).
    Json,
    /// One JSON object per line per finding (and per problem), streamed.
    Jsonl,
    /// One SARIF log.
    Sarif,
}

/// What one workspace contributes to the totals, kept after its report is dropped.
#[derive(Default)]
struct Totals {
    workspaces: usize,
    files: usize,
    findings: usize,
    new_findings: usize,
    errors: usize,
    broken: usize,
    by_policy: BTreeMap<String, (Severity, usize)>,
    /// (errors, error findings, warnings, name)
    by_workspace: Vec<(usize, usize, usize, String)>,
    /// Each incomplete workspace's name and first problem, as `path:line:col: message`.
    incomplete: Vec<(String, String)>,
    worst: Option<Severity>,
    sarif: Option<crate::render::sarif::SarifLog>,
    /// Output of workspaces that finished before one listed earlier, by target index:
    /// written in target order, whatever the order they finish in.
    pending: BTreeMap<usize, String>,
    /// The index of the next target to write, and how many chunks were written.
    next: usize,
    written: usize,
}

/// The workspaces of a sweep.
pub enum Targets {
    /// Found under these folders before the sweep starts.
    Roots(Vec<std::path::PathBuf>, Split),
    /// Arriving while the sweep runs (scopes of a live collection); no bar of its own, as
    /// the collection shows one.
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    Stream(Box<dyn Iterator<Item = Target> + Send>),
}

/// Options of one sweep.
pub struct Sweep<'a> {
    pub linter: &'a Linter,
    pub targets: Targets,
    pub jobs: usize,
    pub shard: Option<(usize, usize)>,
    pub format: AuditFormat,
    /// The baseline, and its file as the command line gave it.
    pub baseline: Option<(Baseline, String)>,
    pub out: Box<dyn Write + Send>,
}

fn io(e: std::io::Error) -> String {
    format!("cannot write output: {e}")
}

/// The sweep's rate as people read it: `1341/s`, `2.5/s`.
fn rate(state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write) {
    let per_sec = state.per_sec();
    let _ = if per_sec >= 10.0 {
        write!(w, "{per_sec:.0}/s")
    } else {
        write!(w, "{per_sec:.1}/s")
    };
}

/// Runs the sweep; returns (worst new finding, any workspace incomplete).
pub fn run(sweep: Sweep<'_>) -> Result<(Option<Severity>, bool), crate::run::CliError> {
    let Sweep {
        linter,
        targets,
        jobs,
        shard,
        format,
        baseline,
        out,
    } = sweep;
    let (baseline, baseline_file) = baseline.map_or((None, String::new()), |(b, f)| (Some(b), f));
    let s = Settings {
        format,
        with_baseline: baseline.is_some(),
        baseline: Mutex::new(baseline),
        baseline_file,
    };
    let (mut targets, stream) = match targets {
        Targets::Roots(roots, split) => (audit::targets(&roots, split), None),
        Targets::Stream(stream) => (Vec::new(), Some(stream)),
    };
    let all_targets = targets.len();
    if let Some((k, n)) = shard {
        targets = audit::shard(targets, k, n);
    }
    let total = targets.len();
    // a bar for people watching; logs and pipes get nothing extra
    let progress = (stream.is_none() && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} workspaces  {rate}  eta {eta}",
            )
            .map(|style| style.with_key("rate", rate))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let out = Mutex::new(out);
    let totals = Mutex::new(Totals {
        sarif: (s.format == AuditFormat::Sarif)
            .then(|| crate::render::sarif::SarifLog::new(linter.policies())),
        ..Totals::default()
    });
    if s.format == AuditFormat::Json {
        // what a merge needs to tell a complete set of shards from a partial one; a
        // stream's count is known at its end, and written there
        let mut head = json!({
            "version": 1,
            "kind": "audit",
            "tool": crate::render::json::TOOL,
        });
        if stream.is_none() {
            head["targets"] = json!(total);
        }
        if let Some((k, n)) = shard {
            head["shard"] = json!({"index": k, "count": n, "of_targets": all_targets});
        }
        let head = head.to_string();
        let head = head.strip_suffix('}').unwrap_or(&head);
        write!(
            out.lock().map_err(|_| "output lock")?,
            "{head},\"workspaces\":["
        )
        .map_err(io)?;
    }
    let write_error = Mutex::new(None::<String>);
    // names are unique in a sweep
    let names: std::collections::HashSet<&str> = targets.iter().map(|t| t.name.as_str()).collect();
    if names.len() != targets.len() {
        return Err("internal: two workspaces of the sweep share a name".into());
    }
    let seen = Mutex::new(std::collections::HashSet::<String>::new());
    let sink = |index: usize, target: &Target, report: Report| {
        let unique = seen
            .lock()
            .map(|mut seen| seen.insert(target.name.clone()))
            .unwrap_or(false);
        let result = if unique {
            handle(&s, index, target, report, &out, &totals)
        } else {
            // its place is passed over, so the workspaces after it are still written
            let _ = totals
                .lock()
                .map(|mut t| t.pending.insert(index, String::new()));
            Err(format!(
                "internal: workspace {} is twice in the sweep",
                target.name
            ))
        };
        if let Err(e) = result {
            if let Ok(mut slot) = write_error.lock() {
                slot.get_or_insert(e);
            }
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    let streamed = stream.is_some();
    match stream {
        Some(stream) => audit::sweep_stream(linter, stream, jobs, sink)?,
        None => audit::sweep_stream(linter, targets.into_iter(), jobs, sink)?,
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(e) = write_error.into_inner().ok().flatten() {
        return Err(e.into());
    }
    let mut t = totals.into_inner().map_err(|_| "totals lock")?;
    let fixed: Vec<String> = s
        .baseline
        .into_inner()
        .map_err(|_| "baseline lock")?
        .map(|b| b.fixed())
        .unwrap_or_default();
    let mut out = out.into_inner().map_err(|_| "output lock")?;
    match s.format {
        AuditFormat::Json => {
            let summary = summary_json(&t, s.with_baseline, &fixed);
            if streamed {
                let n = t.workspaces;
                writeln!(out, "],\"targets\":{n},\"summary\":{summary}}}").map_err(io)?;
            } else {
                writeln!(out, "],\"summary\":{summary}}}").map_err(io)?;
            }
        }
        AuditFormat::Jsonl => {}
        AuditFormat::Sarif => {
            if let Some(log) = t.sarif.take() {
                write!(out, "{}", log.finish()).map_err(io)?;
            }
        }
        AuditFormat::Summary => {
            write!(out, "{}", summary_text(&t, s.with_baseline, &fixed)).map_err(io)?
        }
    }
    out.flush().map_err(io)?;
    Ok((t.worst, t.broken > 0))
}

/// The parts of a sweep the per-workspace handler reads.
struct Settings {
    format: AuditFormat,
    with_baseline: bool,
    baseline: Mutex<Option<Baseline>>,
    baseline_file: String,
}

fn handle(
    s: &Settings,
    index: usize,
    target: &Target,
    mut report: Report,
    out: &Mutex<Box<dyn Write + Send>>,
    totals: &Mutex<Totals>,
) -> Result<(), String> {
    use crate::render::json;
    let all_findings = report.active().count();
    if let Some(b) = s.baseline.lock().map_err(|_| "baseline lock")?.as_mut() {
        b.apply(&target.name, &mut report, &s.baseline_file);
    }
    let findings: Vec<&stagegate::Violation> = report.active().collect();
    let mut chunk = String::new();
    match s.format {
        AuditFormat::Jsonl => {
            let mut push = |text: Result<String, serde_json::Error>| -> Result<(), String> {
                chunk.push_str(&text.map_err(|e| e.to_string())?);
                chunk.push('\n');
                Ok(())
            };
            for v in &findings {
                push(serde_json::to_string(&json::Line {
                    target: &target.name,
                    item: json::finding(v),
                }))?;
            }
            for e in &report.errors {
                push(serde_json::to_string(&json::Line {
                    target: &target.name,
                    item: json!({"error": e.message, "location": e.location, "related": e.related}),
                }))?;
            }
            for n in &report.notes {
                push(serde_json::to_string(&json::Line {
                    target: &target.name,
                    item: json!({"note": n.message, "path": n.path}),
                }))?;
            }
        }
        AuditFormat::Json => {
            chunk = serde_json::to_string(&json::workspace(&target.name, &report))
                .map_err(|e| e.to_string())?;
        }
        AuditFormat::Sarif | AuditFormat::Summary => {}
    }
    let mut t = totals.lock().map_err(|_| "totals lock")?;
    if let Some(log) = t.sarif.as_mut() {
        log.add(&report, Some(&target.name));
    }
    t.workspaces += 1;
    t.files += report.summary.files;
    t.findings += all_findings;
    t.new_findings += findings.len();
    t.errors += report.errors.len();
    if let Some(first) = report.errors.first() {
        t.broken += 1;
        let place = first.location.as_ref().map_or(String::new(), |l| {
            format!("{}:{}:{}: ", l.path, l.line, l.column)
        });
        t.incomplete
            .push((target.name.clone(), format!("{place}{}", first.message)));
    }
    let (mut errs, mut warns) = (0, 0);
    for v in &findings {
        let entry = t
            .by_policy
            .entry(v.policy.clone())
            .or_insert((v.severity, 0));
        entry.1 += 1;
        t.worst = t.worst.max(Some(v.severity));
        match v.severity {
            Severity::Error => errs += 1,
            Severity::Warning => warns += 1,
            Severity::Note => {}
        }
    }
    t.by_workspace
        .push((report.errors.len(), errs, warns, target.name.clone()));
    // written in target order while the totals lock is held, so JSON commas match the
    // order of writes
    t.pending.insert(index, chunk);
    let mut out = out.lock().map_err(|_| "output lock")?;
    loop {
        let next = t.next;
        let Some(chunk) = t.pending.remove(&next) else {
            break;
        };
        t.next += 1;
        if chunk.is_empty() {
            continue;
        }
        if s.format == AuditFormat::Json && t.written > 0 {
            out.write_all(b",").map_err(io)?;
        }
        out.write_all(chunk.as_bytes()).map_err(io)?;
        t.written += 1;
    }
    Ok(())
}

fn summary_json(t: &Totals, with_baseline: bool, fixed: &[String]) -> Json {
    let mut v = json!({
        "workspaces": t.workspaces,
        "incomplete_workspaces": t.broken,
        "files": t.files,
        "findings": t.findings,
        "errors": t.errors,
        "by_policy": t.by_policy.iter().map(|(k, (s, n))| (k.clone(), json!({"severity": s.as_str(), "findings": n}))).collect::<serde_json::Map<_, _>>(),
    });
    if with_baseline {
        v["baseline"] = json!({"new": t.new_findings, "fixed": fixed});
    }
    v
}

fn summary_text(t: &Totals, with_baseline: bool, fixed: &[String]) -> String {
    let mut out = String::new();
    let mut policies: Vec<_> = t.by_policy.iter().collect();
    policies.sort_by(|a, b| (b.1 .0, b.1 .1).cmp(&(a.1 .0, a.1 .1)).then(a.0.cmp(b.0)));
    out.push_str("findings by policy (worst first):\n");
    for (id, (sev, n)) in &policies {
        out.push_str(&format!("  {:>6}  {:<8} {id}\n", n, sev.as_str()));
    }
    let mut ws: Vec<_> = t
        .by_workspace
        .iter()
        .filter(|w| w.0 + w.1 + w.2 > 0)
        .collect();
    ws.sort_by(|a, b| (b.0, b.1, b.2).cmp(&(a.0, a.1, a.2)).then(a.3.cmp(&b.3)));
    out.push_str("\nworkspaces (worst first: problems, errors, warnings):\n");
    for (problems, errs, warns, name) in ws.iter().take(25) {
        out.push_str(&format!("  {problems:>4} {errs:>5} {warns:>5}  {name}\n"));
    }
    if ws.len() > 25 {
        out.push_str(&format!("  ... and {} more\n", ws.len() - 25));
    }
    if !t.incomplete.is_empty() {
        let mut incomplete: Vec<&(String, String)> = t.incomplete.iter().collect();
        incomplete.sort();
        out.push_str(
            "\nincomplete workspaces (their first problem; every one is in the JSON report):\n",
        );
        for (name, why) in incomplete.iter().take(25) {
            out.push_str(&format!("  {name}: {why}\n"));
        }
        if incomplete.len() > 25 {
            out.push_str(&format!("  ... and {} more\n", incomplete.len() - 25));
        }
    }
    if with_baseline {
        out.push_str(&format!(
            "\nbaseline: {}, {} fixed\n",
            count(t.new_findings, "new finding", "new findings"),
            fixed.len()
        ));
    }
    out.push_str(&format!(
        "\n{}, {}, {}{}, {}\n",
        count(t.workspaces, "workspace", "workspaces"),
        count(t.files, "file", "files"),
        count(t.findings, "finding", "findings"),
        if with_baseline {
            format!(" ({} new)", t.new_findings)
        } else {
            String::new()
        },
        count(t.broken, "incomplete workspace", "incomplete workspaces"),
    ));
    out
}

/// `1 file`, `2 files`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `stagegate merge`: shard reports (`--format json`) into one report. The shards of one
/// sweep must all be there, each once: a partial merge would read as a complete sweep.
pub fn merge(paths: &[std::path::PathBuf]) -> Result<String, String> {
    let mut workspaces = Vec::new();
    let mut head = None;
    // (index, count, of_targets) by report, and each shard's first report
    let mut shards: Vec<(u64, u64, u64)> = Vec::new();
    let mut seen: BTreeMap<u64, String> = BTreeMap::new();
    let mut targets_seen: BTreeMap<String, String> = BTreeMap::new();
    let mut unsharded = 0;
    for p in paths {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p).map_err(|e| format!("{name}: {e}"))?;
        let v: Json = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
        if v["kind"] != "audit" {
            return Err(format!(
                "{name}: not a `stagegate audit --format json` report"
            ));
        }
        head.get_or_insert_with(|| v["tool"].clone());
        let ws = v["workspaces"].as_array().cloned().unwrap_or_default();
        if let Some(expected) = v["targets"].as_u64() {
            if ws.len() as u64 != expected {
                return Err(format!(
                    "{name}: holds {} of the {expected} workspaces its sweep had: the report is incomplete",
                    ws.len()
                ));
            }
        }
        match v.get("shard").filter(|s| !s.is_null()) {
            Some(shard) => {
                let field = |k: &str| {
                    shard[k]
                        .as_u64()
                        .ok_or_else(|| format!("{name}: shard.{k} is not a number"))
                };
                let (k, n, of) = (field("index")?, field("count")?, field("of_targets")?);
                if let Some(first) = seen.insert(k, name.clone()) {
                    return Err(format!(
                        "{name}: shard {k}/{n} again (it is also {first}): give each shard once"
                    ));
                }
                shards.push((k, n, of));
            }
            None => unsharded += 1,
        }
        for w in &ws {
            let target = w["target"].as_str().unwrap_or_default().to_string();
            if let Some(first) = targets_seen.insert(target.clone(), name.clone()) {
                return Err(format!(
                    "{name}: workspace {target} is also in {first}: the reports overlap"
                ));
            }
        }
        workspaces.extend(ws);
    }
    if let Some(&(_, n, of)) = shards.first() {
        if unsharded > 0 {
            return Err("the reports mix shards (`audit --shard K/N`) and whole sweeps".into());
        }
        if shards.iter().any(|&(_, n2, of2)| n2 != n || of2 != of) {
            return Err(
                "the shards come from different sweeps (their shard counts or target counts differ)"
                    .into(),
            );
        }
        let missing: Vec<String> = (1..=n)
            .filter(|k| !seen.contains_key(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "shard{} {} missing: a merge needs all {n} shards of the sweep",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ));
        }
        if workspaces.len() as u64 != of {
            return Err(format!(
                "the shards hold {} workspaces where the sweep had {of}",
                workspaces.len()
            ));
        }
    }
    workspaces.sort_by(|a, b| a["target"].as_str().cmp(&b["target"].as_str()));
    let mut by_policy: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let (mut files, mut findings, mut errors, mut broken) = (0, 0, 0, 0);
    for w in &workspaces {
        files += w["summary"]["files"].as_u64().unwrap_or(0);
        findings += w["findings"].as_array().map_or(0, Vec::len);
        let e = w["errors"].as_array().map_or(0, Vec::len);
        errors += e;
        broken += usize::from(e > 0);
        for f in w["findings"].as_array().into_iter().flatten() {
            let id = f["policy"].as_str().unwrap_or_default().to_string();
            let entry = by_policy
                .entry(id)
                .or_insert((f["severity"].as_str().unwrap_or_default().to_string(), 0));
            entry.1 += 1;
        }
    }
    let report = json!({
        "version": 1,
        "kind": "audit",
        "tool": head.unwrap_or(Json::Null),
        "targets": workspaces.len(),
        "workspaces": workspaces,
        "summary": {
            "workspaces": workspaces.len(),
            "incomplete_workspaces": broken,
            "files": files,
            "findings": findings,
            "errors": errors,
            "by_policy": by_policy.into_iter().map(|(k, (s, n))| (k, json!({"severity": s, "findings": n}))).collect::<serde_json::Map<_, _>>(),
        },
    });
    Ok(format!("{report}\n"))
}
