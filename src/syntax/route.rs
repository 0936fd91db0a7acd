//! Routes: the path of keys and list items from a document's root to a
//! value. HCL blocks add their labels (`resource.aws_iam_role.ci`), list
//! items are named by identity or content (see [`Segment::Item`]), so that a
//! route survives insertions and reorderings as well as moved lines.
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
    /// A position: a document of a multi-document YAML file, an argument of
    /// an HCL function call.
    Index(usize),
    /// A list item (or one of several entries with the same key, such as
    /// Terraform's repeated `statement` blocks) named by what it holds, so
    /// that inserting or reordering items does not rename it:
    /// `Sid=ReadOnly`, `name=deploy`, or a hash of its content `#1a2b3c4d`;
    /// `~2`, `~3`, ... tell identical items apart.
    Item(String),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Route(pub Vec<Segment>);

/// Keys whose scalar value names a list item: IAM statement ids, the names
/// of CodePipeline stages and actions, of workflow steps and of ECS
/// containers, step and resource ids, the action a workflow step uses.
const IDENTITY_KEYS: &[&str] = &["Sid", "sid", "Name", "name", "Id", "id", "uses"];

/// Lists longer than this name their items by content without telling
/// identical items apart (which needs the content of every earlier item).
const MAX_COMPARED: usize = 4096;

/// Deepest nesting the content hash looks into.
const MAX_HASH_DEPTH: usize = 512;

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
                let entries = node.entries().unwrap_or_default();
                entries.iter().enumerate().find_map(|(i, e)| {
                    if e.key.span.contains(span) {
                        route.push(Segment::Key(e.key.text.to_string()));
                        None
                    } else {
                        e.value.span.contains(span).then(|| {
                            route.push(Segment::Key(e.key.text.to_string()));
                            let labels = labels(&e.value);
                            for label in labels {
                                route.push(Segment::Key(label.text.to_string()));
                            }
                            // Entries with the same key (and block labels)
                            // are told apart like list items.
                            let same: Vec<&Node> = entries
                                .iter()
                                .enumerate()
                                .filter(|(j, other)| {
                                    *j == i
                                        || (other.key.text == e.key.text
                                            && same_labels(labels, self::labels(&other.value)))
                                })
                                .map(|(_, other)| &other.value)
                                .collect();
                            if same.len() > 1 {
                                let at = entries[..i]
                                    .iter()
                                    .filter(|other| {
                                        other.key.text == e.key.text
                                            && same_labels(labels, self::labels(&other.value))
                                    })
                                    .count();
                                route.push(Segment::Item(identity(&same, at)));
                            }
                            &e.value
                        })
                    }
                })
            }
            NodeKind::Seq(items) => {
                let position = items.iter().position(|item| item.span.contains(span));
                position.map(|i| {
                    let all: Vec<&Node> = items.iter().collect();
                    route.push(Segment::Item(identity(&all, i)));
                    &items[i]
                })
            }
            NodeKind::Call(call) => call.args.iter().enumerate().find_map(|(i, item)| {
                item.span.contains(span).then(|| {
                    route.push(Segment::Index(i));
                    item
                })
            }),
            _ => None,
        };
        match next {
            Some(child) => node = child,
            None => return,
        }
    }
}

fn labels(node: &Node) -> &[super::Key] {
    match &node.kind {
        NodeKind::Block(block) => &block.labels,
        _ => &[],
    }
}

fn same_labels(a: &[super::Key], b: &[super::Key]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.text == y.text)
}

/// The name of `siblings[at]` among its siblings: the value of its first
/// identity key, else a hash of its content; then `~N` when it is the N-th
/// sibling with that name.
fn identity(siblings: &[&Node], at: usize) -> String {
    let Some(node) = siblings.get(at) else {
        return format!("#{at}");
    };
    let named = |n: &Node| -> Option<String> {
        let entries = n.entries()?;
        IDENTITY_KEYS.iter().find_map(|key| {
            let e = entries.iter().find(|e| e.key.text == *key)?;
            let value = e.value.scalar_text()?;
            Some(format!("{key}={value}"))
        })
    };
    if let Some(name) = named(node) {
        let earlier = siblings[..at]
            .iter()
            .filter(|s| named(s).as_deref() == Some(name.as_str()))
            .count();
        return with_occurrence(name, earlier);
    }
    let hash = content_hash(node);
    let name = format!("#{:08x}", hash & 0xffff_ffff);
    if siblings.len() > MAX_COMPARED {
        return name;
    }
    let earlier = siblings[..at]
        .iter()
        .filter(|s| content_hash(s) == hash)
        .count();
    with_occurrence(name, earlier)
}

fn with_occurrence(name: String, earlier: usize) -> String {
    if earlier == 0 {
        name
    } else {
        format!("{name}~{}", earlier + 1)
    }
}

/// FNV-1a over a node's content (tags, keys, labels, scalars, structure),
/// not its layout: reindenting or moving the item does not change it.
fn content_hash(node: &Node) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    hash_into(node, &mut hash, 0);
    hash
}

fn hash_into(node: &Node, hash: &mut u64, depth: usize) {
    let mut feed = |bytes: &[u8]| {
        for byte in bytes.iter().chain(std::iter::once(&0xff)) {
            *hash ^= u64::from(*byte);
            *hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    if depth > MAX_HASH_DEPTH {
        return;
    }
    if let Some(tag) = &node.tag {
        feed(tag.as_bytes());
    }
    match &node.kind {
        NodeKind::Null => feed(b"n"),
        NodeKind::Bool(b) => feed(if *b { b"t" } else { b"f" }),
        NodeKind::Number(t) => feed(format!("0{t}").as_bytes()),
        NodeKind::Str(t) => feed(format!("s{t}").as_bytes()),
        NodeKind::Expr(t) => feed(format!("e{t}").as_bytes()),
        NodeKind::Seq(items) => {
            feed(b"[");
            for item in items {
                hash_into(item, hash, depth + 1);
            }
            hash_into_end(hash);
        }
        NodeKind::Map(entries) => {
            feed(b"{");
            for e in entries {
                hash_key(&e.key.text, hash);
                hash_into(&e.value, hash, depth + 1);
            }
            hash_into_end(hash);
        }
        NodeKind::Block(block) => {
            feed(b"b");
            for label in &block.labels {
                hash_key(&label.text, hash);
            }
            for e in &block.body {
                hash_key(&e.key.text, hash);
                hash_into(&e.value, hash, depth + 1);
            }
            hash_into_end(hash);
        }
        NodeKind::Call(call) => {
            feed(format!("c{}", call.name).as_bytes());
            for arg in &call.args {
                hash_into(arg, hash, depth + 1);
            }
            hash_into_end(hash);
        }
    }
}

fn hash_key(key: &str, hash: &mut u64) {
    for byte in b"k"
        .iter()
        .chain(key.as_bytes())
        .chain(std::iter::once(&0xfe))
    {
        *hash ^= u64::from(*byte);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn hash_into_end(hash: &mut u64) {
    *hash ^= 0xfd;
    *hash = hash.wrapping_mul(0x0100_0000_01b3);
}

impl fmt::Display for Route {
    /// `$.Resources.Role.Properties.Policies[#1a2b3c4d].PolicyName`,
    /// `$.resource.aws_iam_role.ci.assume_role_policy`; keys that are not plain
    /// identifiers are quoted: `$["a.b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for seg in &self.0 {
            match seg {
                Segment::Index(i) => write!(f, "[{i}]")?,
                Segment::Item(name) => write!(f, "[{name}]")?,
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
