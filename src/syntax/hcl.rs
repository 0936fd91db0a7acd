//! HCL (Terraform) through `hcl-edit`, whose parser records the byte span of
//! every structure and expression and refuses nesting deeper than 64 levels.
//!
//! A body becomes a [`NodeKind::Map`] whose entries are attributes (keyed by
//! name) and blocks (keyed by block type, valued by a [`NodeKind::Block`]).
//! Literals, arrays and objects map onto the common kinds; quoted templates
//! and heredocs become strings holding their `${...}` interpolations as
//! written; function calls keep their arguments (so `jsonencode({...})` can
//! be read as a policy); every other expression is kept as its source text.

use super::{Block, Call, Entry, Key, Limits, Node, NodeKind, ParseError, Span, Text};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{BlockLabel, Body, Structure};

pub(super) fn parse(text: &str, _limits: &Limits) -> Result<Node, ParseError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let lines = super::LineIndex::new(text);
        let at = lines.offset_of(text, loc.line(), loc.column().saturating_sub(1));
        ParseError {
            message: e.message().to_string(),
            span: Span::new(at, at),
        }
    })?;
    let cx = Cx { text };
    Ok(Node::new(
        Span::new(0, text.len()),
        NodeKind::Map(cx.body(&body).into_boxed_slice()),
    ))
}

struct Cx<'t> {
    text: &'t str,
}

impl Cx<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        range.map_or_else(Span::default, |r| Span::new(r.start, r.end))
    }

    fn raw(&self, span: Span) -> Text {
        self.text.get(span.range()).unwrap_or_default().into()
    }

    fn body(&self, body: &Body) -> Vec<Entry> {
        body.iter()
            .map(|structure| match structure {
                Structure::Attribute(attr) => Entry {
                    key: Key {
                        text: attr.key.as_str().into(),
                        span: self.span(attr.key.span()),
                    },
                    value: self.expr(&attr.value),
                },
                Structure::Block(block) => {
                    let labels = block
                        .labels
                        .iter()
                        .map(|label| Key {
                            text: match label {
                                BlockLabel::Ident(i) => i.as_str().into(),
                                BlockLabel::String(s) => s.as_str().into(),
                            },
                            span: self.span(label.span()),
                        })
                        .collect();
                    Entry {
                        key: Key {
                            text: block.ident.as_str().into(),
                            span: self.span(block.ident.span()),
                        },
                        value: Node::new(
                            self.span(block.span()),
                            NodeKind::Block(Box::new(Block {
                                labels,
                                body: self.body(&block.body).into_boxed_slice(),
                            })),
                        ),
                    }
                }
            })
            .collect()
    }

    fn expr(&self, expr: &Expression) -> Node {
        let span = self.span(expr.span());
        let kind = match expr {
            Expression::Null(_) => NodeKind::Null,
            Expression::Bool(b) => NodeKind::Bool(*b.value()),
            Expression::Number(n) => {
                NodeKind::Number(compact_str::ToCompactString::to_compact_string(n.value()))
            }
            Expression::String(s) => NodeKind::Str(s.value().as_str().into()),
            Expression::StringTemplate(_) => {
                // The template as written, between its quotes.
                let raw = self.raw(span);
                let inner = raw
                    .strip_prefix('"')
                    .and_then(|r| r.strip_suffix('"'))
                    .unwrap_or(&raw);
                NodeKind::Str(inner.into())
            }
            Expression::HeredocTemplate(_) => {
                let (body_span, value) = self.heredoc(span);
                return Node::new(body_span, NodeKind::Str(value.into()));
            }
            Expression::Array(items) => NodeKind::Seq(items.iter().map(|e| self.expr(e)).collect()),
            Expression::Object(object) => NodeKind::Map(
                object
                    .iter()
                    .map(|(key, value)| Entry {
                        key: self.object_key(key),
                        value: self.expr(value.expr()),
                    })
                    .collect(),
            ),
            Expression::Parenthesis(inner) => return self.expr(inner.inner()),
            Expression::FuncCall(call) => NodeKind::Call(Box::new(Call {
                name: call.name.name.as_str().into(),
                args: call.args.iter().map(|a| self.expr(a)).collect(),
            })),
            _ => NodeKind::Expr(self.raw(span)),
        };
        Node::new(span, kind)
    }

    fn object_key(&self, key: &ObjectKey) -> Key {
        match key {
            ObjectKey::Ident(ident) => Key {
                text: ident.as_str().into(),
                span: self.span(ident.span()),
            },
            ObjectKey::Expression(expr) => {
                let node = self.expr(expr);
                let text = match &node.kind {
                    NodeKind::Str(s) => s.clone(),
                    _ => self.raw(node.span),
                };
                Key {
                    text,
                    span: node.span,
                }
            }
        }
    }

    /// The body of a heredoc (`<<EOF` or the indented `<<-EOF`): the span
    /// of its first content line to the end of its last, and the text with
    /// the indentation of `<<-` removed.
    fn heredoc(&self, span: Span) -> (Span, String) {
        let raw = self.text.get(span.range()).unwrap_or_default();
        let indented = raw.starts_with("<<-");
        let Some(first_newline) = raw.find('\n') else {
            return (span, String::new());
        };
        let body_start = first_newline + 1;
        // The closing delimiter is on the last line.
        let body_end = raw.trim_end().rfind('\n').map_or(body_start, |i| i + 1);
        let body = raw.get(body_start..body_end.max(body_start)).unwrap_or("");
        let value = if indented {
            dedent(body)
        } else {
            body.to_owned()
        };
        let start = span.start as usize + body_start;
        (Span::new(start, start + body.len()), value)
    }
}

fn dedent(body: &str) -> String {
    let indent = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    body.split_inclusive('\n')
        .map(|l| {
            l.get(indent..)
                .unwrap_or_else(|| l.trim_start_matches([' ', '\t']))
        })
        .collect()
}
