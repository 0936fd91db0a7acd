//! Documents written inside a string of another document: an IAM policy as a
//! JSON string in CloudFormation, a buildspec in a YAML block scalar or a
//! Terraform heredoc, container definitions in a heredoc. The inner text is
//! parsed on its own, then every span is mapped back to the outer file, so a
//! finding inside the embedded document points at its real line and column.

use super::{Document, Limits, Node, ParseError, Span, Syntax};

/// Maps byte offsets of a string's decoded value to byte offsets of the file.
#[derive(Debug, Clone)]
pub struct SourceMap {
    /// File offset of each value byte; one extra entry for the end.
    offsets: Vec<u32>,
}

impl SourceMap {
    /// Aligns `value` (the decoded string) with `raw` (the text of the node in
    /// the file, starting at file offset `base`). Escapes (`\"`, `\n`,
    /// `\uXXXX`), quotes, block-scalar headers, tags, indentation and line
    /// folding are stepped over; every value character maps to the file
    /// character it was decoded from.
    pub fn align(raw: &str, base: usize, value: &str) -> SourceMap {
        let mut offsets = Vec::with_capacity(value.len() + 1);
        let mut s = skip_header(raw);
        for (_, vc) in value.char_indices() {
            let at = match_char(raw, &mut s, vc);
            let file = u32::try_from(base + at).unwrap_or(u32::MAX);
            offsets.extend(std::iter::repeat_n(file, vc.len_utf8()));
        }
        offsets.push(u32::try_from(base + s.min(raw.len())).unwrap_or(u32::MAX));
        SourceMap { offsets }
    }

    /// The file offset of value offset `offset`.
    pub fn map(&self, offset: u32) -> u32 {
        let i = (offset as usize).min(self.offsets.len().saturating_sub(1));
        self.offsets.get(i).copied().unwrap_or(0)
    }

    pub fn map_span(&self, span: Span) -> Span {
        let start = self.map(span.start);
        // Never past the end of the string's text in the file.
        let limit = self.offsets.last().copied().unwrap_or(start).max(start);
        let end = if span.end > span.start {
            // The end is exclusive: map the last byte and step past it.
            self.map(span.end - 1).saturating_add(1).clamp(start, limit)
        } else {
            start
        };
        Span { start, end }
    }
}

/// Skips a YAML tag (`!Sub `) and a block scalar header (`|-` up to its line
/// end) at the start of a node's text.
fn skip_header(raw: &str) -> usize {
    let mut s = 0;
    if raw.starts_with('!') {
        s = raw.find(char::is_whitespace).unwrap_or(raw.len());
        s += raw[s..].len() - raw[s..].trim_start_matches([' ', '\t']).len();
    }
    if raw[s..].starts_with(['|', '>']) {
        s = raw[s..].find('\n').map_or(raw.len(), |i| s + i + 1);
    }
    s
}

/// Finds `vc` in `raw` at or after `*s`, stepping over what decoding removes;
/// returns its offset and moves `*s` past it.
fn match_char(raw: &str, s: &mut usize, vc: char) -> usize {
    let start = *s;
    while *s < raw.len() {
        let Some(rc) = raw[*s..].chars().next() else {
            break;
        };
        if rc == '\\' {
            let (decoded, len) = escape(&raw[*s..]);
            if decoded == Some(vc) {
                let at = *s;
                *s += len;
                return at;
            }
            if decoded.is_none() && vc == '\\' {
                let at = *s;
                *s += 1;
                return at;
            }
            // A line continuation or an escape that does not match.
            *s += len;
            continue;
        }
        if rc == vc {
            let at = *s;
            *s += rc.len_utf8();
            return at;
        }
        if rc.is_whitespace() || rc == '"' || rc == '\'' {
            *s += rc.len_utf8();
            continue;
        }
        break;
    }
    // Not found by stepping over decoration: look a little further ahead, else
    // treat the value character as synthetic (produced by folding).
    let window: String = raw[start.min(raw.len())..].chars().take(16).collect();
    if let Some(i) = window.find(vc) {
        *s = start + i + vc.len_utf8();
        return start + i;
    }
    *s = start;
    start.min(raw.len())
}

/// Decodes the escape at the start of `text` (which starts with `\`).
fn escape(text: &str) -> (Option<char>, usize) {
    let mut chars = text.chars().skip(1);
    let Some(c) = chars.next() else {
        return (None, 1);
    };
    let decoded = match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'b' => '\u{8}',
        'f' => '\u{c}',
        '0' => '\0',
        '"' | '\\' | '/' | '\'' | ' ' => c,
        'u' => {
            let hex: String = text.chars().skip(2).take(4).collect();
            return match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                Some(ch) if hex.len() == 4 => (Some(ch), 6),
                _ => (None, 2),
            };
        }
        '\n' => return (None, 2),
        _ => return (None, 1),
    };
    (Some(decoded), 1 + c.len_utf8())
}

/// Parses the string value of `node` (in a file whose text is `file_text`) as
/// `syntax`, with every span of the result mapped into the file.
pub fn parse_embedded(
    file_text: &str,
    node: &Node,
    syntax: Syntax,
    limits: &Limits,
) -> Option<Result<Document, ParseError>> {
    let value = node.as_str()?;
    let raw = file_text.get(node.span.range()).unwrap_or("");
    let map = SourceMap::align(raw, node.span.start as usize, value);
    Some(match super::parse(syntax, value, limits) {
        Ok(mut doc) => {
            for root in &mut doc.roots {
                remap(root, &map);
            }
            Ok(doc)
        }
        Err(mut e) => {
            e.span = map.map_span(e.span);
            Err(e)
        }
    })
}

fn remap(node: &mut Node, map: &SourceMap) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        node.span = map.map_span(node.span);
        match &mut node.kind {
            super::NodeKind::Map(entries) => {
                for entry in entries.iter_mut() {
                    entry.key.span = map.map_span(entry.key.span);
                    stack.push(&mut entry.value);
                }
            }
            super::NodeKind::Block(block) => {
                for label in block.labels.iter_mut() {
                    label.span = map.map_span(label.span);
                }
                for entry in block.body.iter_mut() {
                    entry.key.span = map.map_span(entry.key.span);
                    stack.push(&mut entry.value);
                }
            }
            super::NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            super::NodeKind::Call(call) => stack.extend(call.args.iter_mut()),
            _ => {}
        }
    }
}
