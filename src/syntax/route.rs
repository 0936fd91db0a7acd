//! Routes: the path of keys and indices from a document's root to a value.
//!
//! A finding is located by its span; the engine turns the span into the route
//! of the deepest value that holds it. The route names the value in JSON
//! output, scopes suppressions and makes baseline fingerprints survive edits
//! that only move lines.

use super::{Node, NodeKind, Span};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route(pub Vec<Segment>);

impl Route {
    /// The route of the innermost value (or key) whose span contains `span`,
    /// searching the document roots in order.
    pub fn to_span(roots: &[Node], span: Span) -> Route {
        let mut route = Vec::new();
        if roots.len() > 1 {
            if let Some((i, root)) = roots
                .iter()
                .enumerate()
                .find(|(_, r)| r.span.contains(span))
            {
                route.push(Segment::Index(i));
                descend(root, span, &mut route);
            }
        } else if let Some(root) = roots.first() {
            descend(root, span, &mut route);
        }
        Route(route)
    }
}

fn descend(mut node: &Node, span: Span, route: &mut Vec<Segment>) {
    loop {
        let next = match &node.kind {
            NodeKind::Map(_) | NodeKind::Block(_) => {
                node.entries().unwrap_or_default().iter().find_map(|e| {
                    if e.key.span.contains(span) {
                        route.push(Segment::Key(e.key.text.to_string()));
                        None
                    } else {
                        e.value.span.contains(span).then(|| {
                            route.push(Segment::Key(e.key.text.to_string()));
                            &e.value
                        })
                    }
                })
            }
            NodeKind::Seq(_) | NodeKind::Call(_) => {
                let items = match &node.kind {
                    NodeKind::Call(call) => &call.args,
                    NodeKind::Seq(items) => items,
                    _ => &[][..],
                };
                items.iter().enumerate().find_map(|(i, item)| {
                    item.span.contains(span).then(|| {
                        route.push(Segment::Index(i));
                        item
                    })
                })
            }
            _ => None,
        };
        match next {
            Some(child) => node = child,
            None => return,
        }
    }
}

impl fmt::Display for Route {
    /// `$.Resources.Role.Properties.Policies[0]`; keys that are not plain
    /// identifiers are quoted: `$["a.b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for seg in &self.0 {
            match seg {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Key(k)
                    if !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-')) =>
                {
                    write!(f, ".{k}")?
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
            }
        }
        Ok(())
    }
}
