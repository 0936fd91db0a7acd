//! JSON through `jsonc-parser`'s AST, which keeps the byte range of every
//! value and property name, keeps duplicate properties, and refuses nesting
//! deeper than 512 levels instead of overflowing the stack. All JSONC and
//! JSON5 extensions are switched off: AWS reads strict JSON.

use super::{Entry, Key, Limits, Node, NodeKind, ParseError, Span};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions};

pub(super) fn parse(text: &str, limits: &Limits) -> Result<Node, ParseError> {
    if let Some(offset) = nesting_exceeds(text, limits.max_nesting) {
        return Err(ParseError {
            message: format!("nesting deeper than {} levels", limits.max_nesting),
            span: Span::new(offset, offset + 1),
        });
    }
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict).map_err(|e| {
            let range = e.range();
            ParseError {
                message: e.kind().to_string().to_lowercase(),
                span: Span::new(range.start, range.end),
            }
        })?;
    match parsed.value {
        Some(value) => Ok(convert(value)),
        None => Err(ParseError {
            message: "empty file: expected a JSON value".into(),
            span: Span::new(0, 0),
        }),
    }
}

/// The byte offset at which brackets first nest deeper than `max`, if they do.
/// A cheap scan that skips string contents, run before the real parser.
pub(super) fn nesting_exceeds(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn convert(value: Value<'_>) -> Node {
    match value {
        Value::StringLit(s) => Node::new(span(s.range), NodeKind::Str(s.value.as_ref().into())),
        Value::NumberLit(n) => Node::new(span(n.range), NodeKind::Number(n.value.into())),
        Value::BooleanLit(b) => Node::new(span(b.range), NodeKind::Bool(b.value)),
        Value::NullKeyword(n) => Node::new(span(n.range), NodeKind::Null),
        Value::Array(a) => Node::new(
            span(a.range),
            NodeKind::Seq(a.elements.into_iter().map(convert).collect()),
        ),
        Value::Object(o) => {
            let entries = o
                .properties
                .into_iter()
                .map(|p| {
                    let key = match p.name {
                        ObjectPropName::String(s) => Key {
                            text: s.value.as_ref().into(),
                            span: span(s.range),
                        },
                        ObjectPropName::Word(w) => Key {
                            text: w.value.into(),
                            span: span(w.range),
                        },
                    };
                    Entry {
                        key,
                        value: convert(p.value),
                    }
                })
                .collect();
            Node::new(span(o.range), NodeKind::Map(entries))
        }
    }
}

fn span(r: jsonc_parser::common::Range) -> Span {
    Span::new(r.start, r.end)
}
