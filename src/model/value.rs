//! Scalar values as infrastructure code writes them: plain strings, and
//! CloudFormation intrinsics or Terraform references whose result is unknown
//! until deployment. Unknown parts are kept as opaque `${...}` tokens, never
//! read as wildcards.
//!
//! When the file is read inside an evaluation scope (see [`crate::eval`]),
//! references are evaluated first: a CloudFormation parameter becomes its
//! default and allowed values, a Terraform variable its default and tfvars
//! entries. Such a value points at the decisive literal and carries the
//! chain that led there in its [`Origin`].

use crate::finding::{FileId, Location};
use crate::source::SourceFile;
use crate::syntax::{Key, Node, NodeKind, Span};

/// A value with the span it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Val {
    /// The text; unknown parts are `${...}` tokens.
    pub text: String,
    /// Where the decisive text is written: in the file being read, unless
    /// the origin names another file.
    pub span: Span,
    /// How an evaluated value was reached; `None` for a literal read where
    /// it is written.
    pub origin: Option<Box<Origin>>,
}

/// How an evaluated value was reached.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The file holding `span` when it is not the file being read (a
    /// tfvars file, a variable declared in another file of the module).
    pub file: Option<FileId>,
    /// What made the value: "default of parameter Repository".
    pub note: String,
    /// The chain from the use to the decisive literal, use first.
    pub via: Vec<Via>,
}

/// One step of an evaluation chain: where a reference is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub file: Option<FileId>,
    pub span: Span,
    pub label: String,
}

impl Val {
    pub fn new(text: impl Into<String>, span: Span) -> Val {
        Val {
            text: text.into(),
            span,
            origin: None,
        }
    }

    /// True when part of the value is only known at deployment.
    pub fn is_dynamic(&self) -> bool {
        self.text.contains("${")
    }

    /// Where the value is written, read from `file`: the decisive literal,
    /// which may be in another file.
    pub fn at(&self, file: &SourceFile) -> Location {
        Location {
            file: self.origin.as_ref().and_then(|o| o.file).unwrap_or(file.id),
            span: self.span,
        }
    }

    /// Where the value is used: the first reference of its chain, or the
    /// value itself when it is written literally. For findings about the
    /// place of a value rather than its text (a principal).
    pub fn used_at(&self, file: &SourceFile) -> Location {
        match self.origin.as_ref().and_then(|o| o.via.first()) {
            Some(v) => Location {
                file: v.file.unwrap_or(file.id),
                span: v.span,
            },
            None => self.at(file),
        }
    }

    /// The chain that led to the value, as related locations (use first).
    pub fn chain(&self, file: &SourceFile) -> Vec<(Location, String)> {
        self.origin
            .iter()
            .flat_map(|o| &o.via)
            .map(|v| {
                (
                    Location {
                        file: v.file.unwrap_or(file.id),
                        span: v.span,
                    },
                    v.label.clone(),
                )
            })
            .collect()
    }

    /// What made the value, for messages: "default of parameter Repository".
    pub fn note(&self) -> Option<&str> {
        self.origin
            .as_deref()
            .map(|o| o.note.as_str())
            .filter(|n| !n.is_empty())
    }
}

/// A finding made from an evaluated value: the message names what made the
/// value ("default of parameter Repository") and the chain from the use to
/// the decisive literal becomes related locations. Unchanged for a literal.
pub fn explain(
    finding: crate::finding::Finding,
    value: &Val,
    file: &SourceFile,
) -> crate::finding::Finding {
    let mut finding = finding;
    if let Some(note) = value.note() {
        finding.message = format!("{} (value from {note})", finding.message);
    }
    for (location, label) in value.chain(file) {
        if location != finding.location {
            finding = finding.related(location, label);
        }
    }
    finding
}

/// A mapping key as a value: evaluated when it is a Terraform template
/// (`"${aws_iam_openid_connect_provider.gh.url}:sub" = ...`).
pub fn key(key: &Key) -> Val {
    if key.text.contains("${")
        && let Some(v) = crate::eval::key(key)
    {
        return v;
    }
    Val::new(key.text.as_str(), key.span)
}

/// The possible values of a scalar node. Usually one; `Fn::If` gives one per
/// branch (either may apply, so rules must judge both).
pub fn alternatives(node: &Node) -> Vec<Val> {
    if let Some(evaluated) = crate::eval::alternatives(node) {
        return evaluated;
    }
    let mut out = Vec::new();
    collect(node, &mut out, 0);
    out
}

/// The values of a node that may be a scalar or a list of scalars
/// (`"Action": "s3:GetObject"` or `"Action": [...]`).
pub fn values(node: &Node) -> Vec<Val> {
    match &node.kind {
        NodeKind::Seq(items) if node.tag.is_none() => items.iter().flat_map(alternatives).collect(),
        _ => crate::eval::values(node).unwrap_or_else(|| alternatives(node)),
    }
}

/// The value of a node that names something (a condition key): a key has
/// one value, so the first alternative fully known is taken, else the first.
pub fn name_value(node: &Node) -> Option<Val> {
    known_first(alternatives(node))
}

/// The first alternative without holes, else the first.
pub fn known_first(alternatives: Vec<Val>) -> Option<Val> {
    let known = alternatives.iter().position(|v| !v.is_dynamic());
    let mut alternatives = alternatives;
    match known {
        Some(i) => Some(alternatives.swap_remove(i)),
        None => alternatives.into_iter().next(),
    }
}

/// A node's value as written, references left as `${...}` holes and not
/// evaluated: what a rule reads to see which parameter a value uses.
pub fn written(node: &Node) -> Option<Val> {
    let mut out = Vec::new();
    collect(node, &mut out, 0);
    out.into_iter().next()
}

/// The single value of a node (the first alternative).
pub fn value(node: &Node) -> Option<Val> {
    alternatives(node).into_iter().next()
}

const MAX_DEPTH: usize = 16;

fn collect(node: &Node, out: &mut Vec<Val>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some((name, arg)) = intrinsic(node) {
        match name {
            "Ref" => out.push(Val::new(format!("${{{}}}", text_of(arg)), node.span)),
            "Fn::GetAtt" => {
                let target = match &arg.kind {
                    NodeKind::Seq(items) => items.iter().map(text_of).collect::<Vec<_>>().join("."),
                    _ => text_of(arg),
                };
                out.push(Val::new(format!("${{{target}}}"), node.span));
            }
            "Fn::Sub" => {
                let template = match &arg.kind {
                    NodeKind::Seq(items) => items.first().map(text_of).unwrap_or_default(),
                    _ => text_of(arg),
                };
                out.push(Val::new(template, node.span));
            }
            "Fn::Join" => out.push(Val::new(join(arg, depth), node.span)),
            "Fn::If" => {
                if let NodeKind::Seq(items) = &arg.kind {
                    for branch in items.iter().skip(1) {
                        collect(branch, out, depth + 1);
                    }
                }
            }
            _ => out.push(Val::new(format!("${{{name}}}"), node.span)),
        }
        return;
    }
    match &node.kind {
        NodeKind::Str(s) | NodeKind::Number(s) => out.push(Val::new(s.clone(), node.span)),
        NodeKind::Bool(b) => out.push(Val::new(b.to_string(), node.span)),
        NodeKind::Expr(e) => out.push(Val::new(format!("${{{e}}}"), node.span)),
        NodeKind::Call(call) => out.push(Val::new(format!("${{{}(...)}}", call.name), node.span)),
        NodeKind::Null | NodeKind::Seq(_) | NodeKind::Map(_) | NodeKind::Block(_) => {}
    }
}

fn text_of(node: &Node) -> String {
    node.scalar_text()
        .map(|t| t.into_owned())
        .unwrap_or_default()
}

fn join(arg: &Node, depth: usize) -> String {
    let NodeKind::Seq(items) = &arg.kind else {
        return "${Fn::Join}".into();
    };
    let delimiter = items.first().map(text_of).unwrap_or_default();
    let parts = items.get(1).and_then(Node::items).unwrap_or(&[]);
    parts
        .iter()
        .map(|p| {
            let mut alts = Vec::new();
            collect(p, &mut alts, depth + 1);
            match alts.as_slice() {
                [one] => one.text.clone(),
                _ => "${Fn::Join}".into(),
            }
        })
        .collect::<Vec<_>>()
        .join(&delimiter)
}

/// A CloudFormation intrinsic function: `{"Fn::Sub": ...}` / `{"Ref": ...}`,
/// or the YAML short form `!Sub ...`, as (long name, argument).
pub fn intrinsic(node: &Node) -> Option<(&str, &Node)> {
    if let Some(tag) = node.tag.as_deref() {
        let name = match tag {
            "!Ref" => "Ref",
            "!Condition" => "Condition",
            other => {
                let short = other.strip_prefix('!')?;
                return Some((long_name(short), node));
            }
        };
        return Some((name, node));
    }
    match &node.kind {
        NodeKind::Map(entries) if entries.len() == 1 => {
            let key = entries[0].key.text.as_str();
            (key == "Ref" || key.starts_with("Fn::")).then(|| (key, &entries[0].value))
        }
        _ => None,
    }
}

fn long_name(short: &str) -> &'static str {
    match short {
        "Sub" => "Fn::Sub",
        "GetAtt" => "Fn::GetAtt",
        "Join" => "Fn::Join",
        "If" => "Fn::If",
        "ImportValue" => "Fn::ImportValue",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        "GetAZs" => "Fn::GetAZs",
        "Cidr" => "Fn::Cidr",
        "Transform" => "Fn::Transform",
        "Equals" => "Fn::Equals",
        "Not" => "Fn::Not",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "ToJsonString" => "Fn::ToJsonString",
        "Length" => "Fn::Length",
        _ => "Fn::Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, Syntax, parse};

    fn vals(yaml: &str) -> Vec<String> {
        let doc = parse(Syntax::Yaml, yaml, &Limits::default()).expect("parses");
        let node = doc.root().and_then(|r| r.get("v")).expect("v");
        values(node).into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn intrinsics_become_opaque_tokens() {
        assert_eq!(vals("v: !Ref GitHubOIDC"), ["${GitHubOIDC}"]);
        assert_eq!(vals("v: !GetAtt Provider.Arn"), ["${Provider.Arn}"]);
        assert_eq!(
            vals("v: {\"Fn::GetAtt\": [Provider, Arn]}"),
            ["${Provider.Arn}"]
        );
        assert_eq!(vals("v: !Sub 'repo:${Org}/app:*'"), ["repo:${Org}/app:*"]);
        assert_eq!(
            vals("v: !Join ['', ['repo:', !Ref Org, '/*']]"),
            ["repo:${Org}/*"]
        );
        assert_eq!(
            vals("v: !If [Prod, 'repo:a/b:ref:refs/heads/main', 'repo:a/*']"),
            ["repo:a/b:ref:refs/heads/main", "repo:a/*"]
        );
        assert_eq!(vals("v: [a, !Ref B]"), ["a", "${B}"]);
    }
}
