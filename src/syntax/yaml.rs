//! YAML through `saphyr-parser`'s event stream. The tree is built here,
//! iteratively, so that nesting, alias expansion and duplicate keys are under
//! our control: deep nesting is refused at `max_nesting`, aliases are copied
//! within a node budget (a "billion laughs" file stops with a parse error
//! instead of eating memory), duplicate keys are kept for `duplicate-key`, and
//! CloudFormation short tags (`!Sub`, `!Ref`, `!GetAtt`, ...) stay on the node.

use super::{Entry, Key, Limits, Node, NodeKind, ParseError, Span, Text};
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};
use std::collections::HashMap;

/// Closing brackets placed at the parent key's column that are rejoined to
/// the line before, at most.
const MAX_LENIENT_FIXES: usize = 64;

pub(super) fn parse(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let mut first_error = match parse_strict(text, limits) {
        Ok(roots) => return Ok(roots),
        Err(e) => e,
    };
    // PyYAML (cfn-lint, the CloudFormation CLI), GitHub and CodeBuild accept
    // a flow collection whose closing bracket sits at the parent key's
    // column, which saphyr refuses as bad indentation. Read such a file as
    // they do: the newline before the bracket becomes a space, so that the
    // text keeps its length and every span its position.
    let mut lenient: Option<String> = None;
    for _ in 0..MAX_LENIENT_FIXES {
        let current = lenient.as_deref().unwrap_or(text);
        let Some(joined) = rejoin_closing_bracket(current, first_error.span.start as usize) else {
            return Err(first_error);
        };
        match parse_strict(&joined, limits) {
            Ok(roots) => return Ok(roots),
            Err(e) if e.span.start > first_error.span.start => {
                first_error = e;
                lenient = Some(joined);
            }
            Err(_) => return Err(first_error),
        }
    }
    Err(first_error)
}

/// When `at` is a closing `}` or `]` that starts its line, the text with the
/// newline before that line turned into a space (the previous line must not
/// end in a comment, which would swallow the bracket).
fn rejoin_closing_bracket(text: &str, at: usize) -> Option<String> {
    let bracket = *text.as_bytes().get(at)?;
    if bracket != b'}' && bracket != b']' {
        return None;
    }
    let line_start = text[..at].rfind('\n')? + 1;
    if !text[line_start..at].bytes().all(|b| b == b' ') {
        return None;
    }
    let newline = line_start - 1;
    let previous = &text[text[..newline].rfind('\n').map_or(0, |i| i + 1)..newline];
    if previous.contains('#') || previous.trim().is_empty() {
        return None;
    }
    // A CRLF line end becomes two spaces.
    let cut = if previous.ends_with('\r') {
        newline - 1
    } else {
        newline
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..cut]);
    for _ in cut..=newline {
        out.push(' ');
    }
    out.push_str(&text[newline + 1..]);
    Some(out)
}

fn parse_strict(text: &str, limits: &Limits) -> Result<Vec<Node>, ParseError> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        limits,
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        anchors: HashMap::new(),
        alias_budget: limits.max_alias_nodes,
        roots: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| scan_error(&offsets, &e))?;
        let span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        builder.on_event(event, span)?;
    }
    Ok(builder.roots)
}

fn scan_error(offsets: &CharOffsets, e: &ScanError) -> ParseError {
    let at = offsets.byte(e.marker().index());
    ParseError {
        message: e.info().to_string(),
        span: Span::new(at, at),
    }
}

/// A collection under construction. Its items or entries so far are the
/// top of the builder's `items` or `entries` from `first` on: one stack for
/// all open collections, so that each collection is allocated once, at its
/// exact size, when it closes.
enum Open {
    Seq {
        start: Span,
        tag: Option<Box<str>>,
        anchor: usize,
        first: usize,
    },
    Map {
        start: Span,
        tag: Option<Box<str>>,
        anchor: usize,
        first: usize,
        pending_key: Option<Key>,
    },
}

struct Builder<'a> {
    limits: &'a Limits,
    stack: Vec<Open>,
    items: Vec<Node>,
    entries: Vec<Entry>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    roots: Vec<Node>,
}

impl Builder<'_> {
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<(), ParseError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let node = scalar(&value, style, tag.as_deref(), span);
                self.remember(anchor, &node);
                self.push_value(node);
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| ParseError {
                    message: "alias to an unknown anchor".into(),
                    span,
                })?;
                let cost = count_nodes(&node);
                if cost > self.alias_budget {
                    return Err(ParseError {
                        message: format!(
                            "aliases expand to more than {} nodes (alias bomb?)",
                            self.limits.max_alias_nodes
                        ),
                        span,
                    });
                }
                self.alias_budget -= cost;
                self.push_value(node);
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Open::Seq {
                    start: span,
                    tag: tag.as_deref().and_then(local_tag),
                    anchor,
                    first: self.items.len(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Open::Map {
                    start: span,
                    tag: tag.as_deref().and_then(local_tag),
                    anchor,
                    first: self.entries.len(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = match open {
                    Open::Seq {
                        start,
                        tag,
                        anchor,
                        first,
                    } => (
                        Node {
                            span: Span::new(start.start as usize, span.end as usize),
                            tag,
                            kind: NodeKind::Seq(self.items.drain(first..).collect()),
                        },
                        anchor,
                    ),
                    Open::Map {
                        start,
                        tag,
                        anchor,
                        first,
                        ..
                    } => (
                        Node {
                            span: Span::new(start.start as usize, span.end as usize),
                            tag,
                            kind: NodeKind::Map(merge_keys(self.entries.drain(first..).collect())),
                        },
                        anchor,
                    ),
                };
                self.remember(anchor, &node);
                self.push_value(node);
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {}
        }
        Ok(())
    }

    fn check_depth(&self, span: Span) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_nesting {
            return Err(ParseError {
                message: format!("nesting deeper than {} levels", self.limits.max_nesting),
                span,
            });
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.roots.push(node),
            Some(Open::Seq { .. }) => self.items.push(node),
            Some(Open::Map { pending_key, .. }) => match pending_key.take() {
                Some(key) => self.entries.push(Entry { key, value: node }),
                None => *pending_key = Some(key_of(&node)),
            },
        }
    }
}

/// A mapping key: its scalar text, or a placeholder for the rare complex key.
fn key_of(node: &Node) -> Key {
    let text = match &node.kind {
        NodeKind::Str(t) | NodeKind::Number(t) => t.clone(),
        NodeKind::Bool(b) => Text::const_new(if *b { "true" } else { "false" }),
        NodeKind::Null => Text::default(),
        _ => compact_str::format_compact!("<{} key>", node.type_name()),
    };
    Key {
        text,
        span: node.span,
    }
}

/// Applies YAML merge keys (`<<: *defaults`): merged entries come after the
/// mapping's own and never override them.
fn merge_keys(entries: Vec<Entry>) -> Box<[Entry]> {
    if !entries.iter().any(|e| e.key.text == "<<") {
        return entries.into_boxed_slice();
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.key.text == "<<");
    for merge in merges {
        let sources: Vec<Node> = match merge.value.kind {
            NodeKind::Map(_) => vec![merge.value],
            NodeKind::Seq(items) => items.into_vec(),
            _ => continue,
        };
        for source in sources {
            if let NodeKind::Map(inherited) = source.kind {
                for entry in inherited.into_vec() {
                    if !own.iter().any(|e| e.key.text == entry.key.text) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own.into_boxed_slice()
}

fn count_nodes(node: &Node) -> usize {
    1 + node.children().map(count_nodes).sum::<usize>()
}

/// A local tag such as `!Sub`, kept for CloudFormation; core-schema tags are
/// resolved into the node's kind instead.
fn local_tag(tag: &Tag) -> Option<Box<str>> {
    (tag.handle == "!").then(|| format!("!{}", tag.suffix).into_boxed_str())
}

fn scalar(value: &str, style: ScalarStyle, tag: Option<&Tag>, span: Span) -> Node {
    let core = tag
        .filter(|t| t.is_yaml_core_schema())
        .map(|t| t.suffix.as_str());
    let kind = match (core, style) {
        (Some("str"), _) => NodeKind::Str(value.into()),
        (_, ScalarStyle::Plain) => plain_scalar(value),
        _ => NodeKind::Str(value.into()),
    };
    Node {
        span,
        tag: tag.and_then(local_tag),
        kind,
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_scalar(value: &str) -> NodeKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" => NodeKind::Bool(true),
        "false" | "False" | "FALSE" => NodeKind::Bool(false),
        _ if is_number(value) => NodeKind::Number(value.into()),
        _ => NodeKind::Str(value.into()),
    }
}

fn is_number(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int)
        && frac.is_none_or(digits)
        && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// Character index to byte offset. Identity for ASCII text; otherwise a
/// checkpoint every 64 characters and a short walk from it.
struct CharOffsets<'t> {
    text: &'t str,
    checkpoints: Option<Vec<usize>>,
}

const STRIDE: usize = 64;

impl<'t> CharOffsets<'t> {
    fn new(text: &'t str) -> Self {
        let checkpoints = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(i, _)| i)
                .collect()
        });
        CharOffsets { text, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        let Some(points) = &self.checkpoints else {
            return char_index.min(self.text.len());
        };
        let Some(&base) = points.get(char_index / STRIDE) else {
            return self.text.len();
        };
        let rest = &self.text[base..];
        base + rest
            .char_indices()
            .nth(char_index % STRIDE)
            .map_or(rest.len(), |(i, _)| i)
    }
}
