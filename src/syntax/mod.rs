//! One span-carrying document tree for JSON, YAML and HCL.
//!
//! Every key and every value keeps the byte range it was written at, so a rule
//! can point at the exact value it objects to. The three parsers live in their
//! own modules and all produce [`Node`]s; nothing downstream knows which syntax a
//! file was written in unless it asks.

mod embedded;
mod hcl;
mod json;
mod lines;
mod route;
mod yaml;

pub use embedded::{SourceMap, parse_embedded};
pub use lines::{LineIndex, Position};
pub use route::{Route, Segment};

/// A byte range in one file's text. `start..end`, both in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// The syntax a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Syntax {
    Json,
    Yaml,
    Hcl,
    /// A CDK or Pulumi program in TypeScript or JavaScript, read into a
    /// CloudFormation-shaped tree (see [`crate::program`]).
    #[serde(rename = "typescript")]
    TypeScript,
    /// A CDK or Pulumi program in Python.
    Python,
}

/// Limits that keep hostile input from exhausting memory or the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences accepted.
    pub max_nesting: usize,
    /// Total nodes that YAML aliases may copy into a document.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nesting: 256,
            max_alias_nodes: 100_000,
        }
    }
}

/// A parsed file: one root for JSON and HCL, one per YAML document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub syntax: Syntax,
    pub roots: Vec<Node>,
}

impl Document {
    /// The first (usually only) root, if the file holds anything.
    pub fn root(&self) -> Option<&Node> {
        self.roots.first()
    }
}

/// Why a file could not be parsed, with the position the parser stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// Parses `text` as `syntax` within `limits`.
pub fn parse(syntax: Syntax, text: &str, limits: &Limits) -> Result<Document, ParseError> {
    let roots = match syntax {
        Syntax::Json => vec![json::parse(text, limits)?],
        Syntax::Yaml => yaml::parse(text, limits)?,
        Syntax::Hcl => vec![hcl::parse(text, limits)?],
        Syntax::TypeScript => {
            vec![crate::program::parse(crate::program::Lang::TypeScript, text, limits)?.root]
        }
        Syntax::Python => {
            vec![crate::program::parse(crate::program::Lang::Python, text, limits)?.root]
        }
    };
    Ok(Document { syntax, roots })
}

/// The text of a key or scalar. Most are short (`Type`, `Properties`,
/// `sts:AssumeRole`) and stay inline, without an allocation of their own.
pub type Text = compact_str::CompactString;

/// A mapping key as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: Text,
    pub span: Span,
}

/// One `key: value` of a mapping (or an attribute or block of an HCL body).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Key,
    pub value: Node,
}

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    /// A YAML local tag such as `!Sub` or `!Ref` (CloudFormation short forms).
    pub tag: Option<Box<str>>,
    pub kind: NodeKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(Text),
    /// A string. Interpolations (`${...}`) are kept verbatim.
    Str(Text),
    Seq(Box<[Node]>),
    /// A mapping, an HCL object or an HCL body. Entries keep source order and
    /// duplicates, so that `duplicate-key` can see them.
    Map(Box<[Entry]>),
    /// An HCL block: `resource "aws_iam_role" "ci" { ... }`. It stands as the
    /// value of an entry keyed by the block type.
    Block(Box<Block>),
    /// An HCL function call such as `jsonencode({...})`.
    Call(Box<Call>),
    /// Any other HCL expression (a reference, a conditional, ...), as written.
    Expr(Text),
}

/// The labels and body of an HCL block.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub labels: Box<[Key]>,
    pub body: Box<[Entry]>,
}

/// An HCL function call: its name and arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: Text,
    pub args: Box<[Node]>,
}

impl Node {
    pub fn new(span: Span, kind: NodeKind) -> Node {
        Node {
            span,
            tag: None,
            kind,
        }
    }

    /// The string value of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar (string, number or bool), as a string.
    pub fn scalar_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.kind {
            NodeKind::Str(s) | NodeKind::Number(s) => Some(s.as_str().into()),
            NodeKind::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            NodeKind::Block(block) => Some(&block.body),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The last entry keyed exactly `key` (the one most parsers keep).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().rev().find(|e| e.key.text == key)
    }

    /// The last entry whose key equals `key` ignoring ASCII case.
    pub fn entry_ignore_case(&self, key: &str) -> Option<&Entry> {
        self.entries()?
            .iter()
            .rev()
            .find(|e| e.key.text.eq_ignore_ascii_case(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// A short name for the kind of value, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Number(_) => "number",
            NodeKind::Str(_) => "string",
            NodeKind::Seq(_) => "array",
            NodeKind::Map(_) => "object",
            NodeKind::Block(_) => "block",
            NodeKind::Call(_) => "function call",
            NodeKind::Expr(_) => "expression",
        }
    }

    /// Children in source order: values of entries, items, call arguments.
    pub fn children(&self) -> Box<dyn Iterator<Item = &Node> + '_> {
        match &self.kind {
            NodeKind::Seq(items) => Box::new(items.iter()),
            NodeKind::Map(entries) => Box::new(entries.iter().map(|e| &e.value)),
            NodeKind::Block(block) => Box::new(block.body.iter().map(|e| &e.value)),
            NodeKind::Call(call) => Box::new(call.args.iter()),
            _ => Box::new(std::iter::empty()),
        }
    }
}

#[cfg(test)]
mod tests;
