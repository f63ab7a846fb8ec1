//! The whole check with every built-in policy: a located report, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn linter() -> &'static stagegate::Linter {
    static L: OnceLock<stagegate::Linter> = OnceLock::new();
    L.get_or_init(|| stagegate::Linter::builder().builtin_policies().build().expect("built-in pack loads"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let report = linter().check_sources([("pipeline.yaml", text)]);
    for v in &report.violations {
        let file = &report.sources[&v.location.path];
        assert!(v.location.span.end <= file.text.len());
        assert!(file.text.is_char_boundary(v.location.span.start) && file.text.is_char_boundary(v.location.span.end));
    }
});
