//! Parse + model building on arbitrary text shaped as each kind of input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn linter() -> &'static stagegate::Linter {
    static L: OnceLock<stagegate::Linter> = OnceLock::new();
    L.get_or_init(|| stagegate::Linter::builder().builtin_lib().build().expect("helper library loads"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // no policies: model building only (the helper library is needed to build a linter)
    let report = linter().check_sources([("pipeline.template.yaml", text), ("buildspec.yml", text), ("p.json", text)]);
    for e in &report.errors {
        if let Some(l) = &e.location {
            let file = &report.sources[&l.path];
            assert!(l.span.end <= file.text.len() && file.text.is_char_boundary(l.span.start));
        }
    }
});
