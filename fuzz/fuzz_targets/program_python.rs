//! The Python front-end (CDK and Pulumi programs) on arbitrary text: never
//! panics, every span lies inside the text on character boundaries, and a
//! whole scan of the text as a program file finishes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::syntax::{Limits, Node, Syntax, parse};

fn check(node: &Node, text: &str) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let range = node.span.range();
        assert!(range.end <= text.len() && text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        if let Some(entries) = node.entries() {
            for e in entries {
                assert!(e.key.span.range().end <= text.len());
            }
        }
        stack.extend(node.children());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(Syntax::Python, text, &Limits::default()) {
        Ok(doc) => doc.roots.iter().for_each(|r| check(r, text)),
        Err(e) => assert!(e.span.range().end <= text.len()),
    }
    let name = if matches!(Syntax::Python, Syntax::Python) { "app.py" } else { "stack.ts" };
    let _ = scan_in_memory(&[(name, data)], &ScanOptions::default());
});
