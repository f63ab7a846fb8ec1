//! Micro-benchmarks of each phase on the bundled seed workspace (one pipeline template and
//! one buildspec): `cargo bench -p stagegate --bench phases`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stagegate::discover::classify;
use stagegate::model::{normalize, Classified, GateRules};
use stagegate::parse::{parse, Limits};
use stagegate::source::SourceFile;
use stagegate::Linter;
use std::hint::black_box;
use std::sync::Arc;

const PIPELINE: &str = include_str!("../../../fixtures/e2e/seed-violating/pipeline.yaml");
const BUILDSPEC: &str = include_str!("../../../fixtures/e2e/seed-violating/buildspec.yaml");
/// The same pipeline in Terraform (a module of three files).
const TF: [(&str, &str); 3] = [
    (
        "m/pipeline.tf",
        include_str!("../../../fixtures/e2e/terraform-seed-violating/pipeline.tf"),
    ),
    (
        "m/codebuild.tf",
        include_str!("../../../fixtures/e2e/terraform-seed-violating/codebuild.tf"),
    ),
    (
        "m/variables.tf",
        include_str!("../../../fixtures/e2e/terraform-seed-violating/variables.tf"),
    ),
];

fn files() -> Vec<Arc<SourceFile>> {
    vec![
        Arc::new(SourceFile::new("pipeline.yaml", PIPELINE)),
        Arc::new(SourceFile::new("buildspec.yaml", BUILDSPEC)),
    ]
}

fn classified(limits: &Limits) -> Vec<Classified> {
    files()
        .into_iter()
        .map(|file| {
            let document = parse(file.clone(), limits).unwrap();
            let kind = classify(&file.path, document.root().unwrap()).unwrap();
            Classified { document, kind }
        })
        .collect()
}

fn phases(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes((PIPELINE.len() + BUILDSPEC.len()) as u64));
    group.bench_function("seed", |b| {
        let files = files();
        b.iter(|| {
            for f in &files {
                black_box(parse(f.clone(), &limits).unwrap());
            }
        })
    });
    group.finish();
    // the Terraform twin of the same pipeline: HCL read and translated, a module at a time
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(
        TF.iter().map(|(_, t)| t.len() as u64).sum(),
    ));
    group.bench_function("terraform-seed", |b| {
        let files: Vec<Arc<SourceFile>> = TF
            .iter()
            .map(|(n, t)| Arc::new(SourceFile::new(*n, *t)))
            .collect();
        b.iter(|| black_box(stagegate::parse::parse_terraform(files.clone())))
    });
    group.finish();

    let docs = classified(&limits);
    let gates = GateRules::default();
    c.bench_function("model/seed", |b| {
        b.iter(|| black_box(normalize(&docs, &limits, &gates, false)))
    });

    let linter = Linter::builder().builtin_policies().build().unwrap();
    let workspace = normalize(&docs, &limits, &gates, false).workspace;
    let set = linter.policy_set();
    c.bench_function("evaluate/seed/bytecode", |b| {
        b.iter(|| black_box(set.evaluate(&workspace)))
    });
    c.bench_function("evaluate/seed/interpreter", |b| {
        b.iter(|| black_box(set.evaluate_interpreted(&workspace)))
    });

    c.bench_function("check/seed", |b| {
        b.iter(|| {
            black_box(
                linter.check_sources([("pipeline.yaml", PIPELINE), ("buildspec.yaml", BUILDSPEC)]),
            )
        })
    });
    c.bench_function("check/terraform-seed", |b| {
        b.iter(|| black_box(linter.check_sources(TF)))
    });
    c.bench_function("load/builtin-policies", |b| {
        b.iter(|| black_box(Linter::builder().builtin_policies().build().unwrap()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = phases
}
criterion_main!(benches);
