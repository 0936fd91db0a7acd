//! The three parsers on arbitrary text: never panic, and every span they
//! return lies inside the text on character boundaries.
#![no_main]

use libfuzzer_sys::fuzz_target;
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
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let syntax = match selector % 3 {
        0 => Syntax::Json,
        1 => Syntax::Yaml,
        _ => Syntax::Hcl,
    };
    match parse(syntax, text, &Limits::default()) {
        Ok(doc) => doc.roots.iter().for_each(|r| check(r, text)),
        Err(e) => assert!(e.span.range().end <= text.len()),
    }
});
