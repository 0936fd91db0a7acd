//! Documents embedded in strings (CloudFormation JSON strings, YAML block
//! scalars, Terraform heredocs): mapped spans always land inside the outer
//! file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiplint::syntax::{Limits, Syntax, parse, parse_embedded};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let outer = if selector & 1 == 0 { Syntax::Yaml } else { Syntax::Hcl };
    let inner = if selector & 2 == 0 { Syntax::Json } else { Syntax::Yaml };
    let Ok(doc) = parse(outer, text, &Limits::default()) else { return };
    let mut stack: Vec<_> = doc.roots.iter().collect();
    while let Some(node) = stack.pop() {
        if let Some(result) = parse_embedded(text, node, inner, &Limits::default()) {
            let span = match &result {
                Ok(d) => d.roots.first().map(|r| r.span),
                Err(e) => Some(e.span),
            };
            if let Some(span) = span {
                assert!(span.range().end <= text.len());
            }
        }
        stack.extend(node.children());
    }
});
