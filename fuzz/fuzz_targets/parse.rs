//! The YAML and JSON parsers on arbitrary bytes: errors, never panics; spans inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stagegate::parse::{parse, Limits, Node, Value};
use stagegate::source::SourceFile;
use std::sync::Arc;

fn check(node: &Node, len: usize) {
    assert!(node.span.start <= node.span.end && node.span.end <= len);
    match &node.value {
        Value::Scalar(..) => {}
        Value::Seq(items) => items.iter().for_each(|n| check(n, len)),
        Value::Map(entries) => entries.iter().for_each(|e| {
            assert!(e.key_span.end <= len);
            check(&e.value, len)
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for name in ["f.yaml", "f.json"] {
        let file = Arc::new(SourceFile::new(name, text));
        let len = file.text.len();
        match parse(file, &Limits::default()) {
            Ok(doc) => doc.roots.iter().for_each(|r| check(r, len)),
            Err(e) => assert!(e.span.end <= len),
        }
    }
});
