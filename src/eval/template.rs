//! Templates (`*.tpl`, `*.json.tpl`, `*.yaml.tpl`, `*.tftpl`): parsed as
//! the document they render to. Directives (`%{ if }`, `%{ for }`, ...) are
//! blanked before parsing and interpolations outside JSON strings read as
//! strings, byte for byte in place, so that every span stays true to the
//! file and no `parse-error` comes from the directives alone. The values'
//! `${...}` holes are filled by the vars of the `templatefile()` call that
//! reaches the template (see [`super::tf`]); a template reached by nothing
//! keeps them as unknown holes.

use crate::source::SourceFile;
use crate::syntax::{Document, Node, NodeKind, Syntax};

/// Whether a file name is a template's.
pub fn is_template(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tpl") || lower.ends_with(".tftpl")
}

/// The syntax a template renders to, from its name (`x.json.tpl`) or, for a
/// bare `.tpl` / `.tftpl`, from its first character.
pub fn syntax_of(name: &str, prefix: &str) -> Syntax {
    let lower = name.to_ascii_lowercase();
    let inner = lower.trim_end_matches(".tftpl").trim_end_matches(".tpl");
    if inner.ends_with(".json") {
        return Syntax::Json;
    }
    if inner.ends_with(".yaml") || inner.ends_with(".yml") {
        return Syntax::Yaml;
    }
    let masked = mask(prefix, Syntax::Yaml);
    if masked.trim_start().starts_with(['{', '[']) {
        Syntax::Json
    } else {
        Syntax::Yaml
    }
}

/// Parses a template as the document it renders to. Directives can leave
/// what JSON refuses (a comma before `]` after a `%{ for }`): those commas
/// are blanked and the text parsed again; a template that still fails only
/// because of what its directives and interpolations leave is no
/// `parse-error` (it has no document either).
pub fn parse(
    text: &str,
    syntax: Syntax,
    limits: &crate::syntax::Limits,
) -> (Option<Document>, Option<crate::syntax::ParseError>) {
    let masked = mask(text, syntax);
    let first = match crate::syntax::parse(syntax, &masked, limits) {
        Ok(mut doc) => {
            restore(&mut doc, text);
            return (Some(doc), None);
        }
        Err(e) => e,
    };
    if syntax == Syntax::Json {
        let relaxed = blank_trailing_commas(&masked);
        if let Ok(mut doc) = crate::syntax::parse(syntax, &relaxed, limits) {
            restore(&mut doc, text);
            return (Some(doc), None);
        }
    }
    if text.contains("%{") || text.contains("${") {
        (None, None)
    } else {
        (None, Some(first))
    }
}

/// `[1, 2, ]` -> `[1, 2  ]`, outside strings, same length.
fn blank_trailing_commas(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut in_string = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' && !escaped(bytes, i) {
            in_string = !in_string;
        } else if b == b',' && !in_string {
            let next = bytes[i + 1..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                .copied();
            if matches!(next, Some(b']' | b'}') | None) {
                out[i] = b' ';
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The text to parse: same length, directives blanked, interpolations
/// outside JSON strings turned into strings.
pub fn mask(text: &str, syntax: Syntax) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if syntax == Syntax::Json && b == b'"' && !escaped(bytes, i) {
            in_string = !in_string;
            i += 1;
            continue;
        }
        let directive = b == b'%' && bytes.get(i + 1) == Some(&b'{');
        let interpolation = b == b'$' && bytes.get(i + 1) == Some(&b'{');
        if !(directive || interpolation) {
            i += 1;
            continue;
        }
        let end = closing(bytes, i + 2).unwrap_or(bytes.len() - 1);
        if directive {
            // Blank the directive and, when it stands alone on its line,
            // keep the line (an empty line parses in JSON and YAML).
            for byte in &mut out[i..=end] {
                if *byte != b'\n' {
                    *byte = b' ';
                }
            }
        } else if syntax == Syntax::Json {
            // Inside a string the interpolation only needs no quote or
            // backslash; outside it becomes a string `"{...}"`-like token.
            for byte in out.get_mut(i + 2..end).unwrap_or_default() {
                if matches!(*byte, b'"' | b'\\' | b'\n' | b'\r' | b'\t') {
                    *byte = b'_';
                }
            }
            if !in_string && end > i + 1 {
                out[i] = b'"';
                out[end] = b'"';
            }
        }
        i = end + 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes outside multi-byte
    // characters, except inside interpolations: fall back to the text.
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

fn escaped(bytes: &[u8], at: usize) -> bool {
    let mut n = 0;
    while at > n && bytes[at - n - 1] == b'\\' {
        n += 1;
    }
    n % 2 == 1
}

/// The `}` closing a `${` / `%{` opened before `from`, counting nested
/// braces and skipping quoted strings inside the expression.
fn closing(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut quoted = false;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if !escaped(bytes, i) => quoted = !quoted,
            b'{' if !quoted => depth += 1,
            b'}' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'\n' if depth == 1 && !quoted && i > from + 4096 => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// After parsing masked text: strings that were bare interpolations get
/// their text back (`${jsonencode(subjects)}`).
pub fn restore(doc: &mut Document, text: &str) {
    for root in &mut doc.roots {
        restore_node(root, text, 0);
    }
}

fn restore_node(node: &mut Node, text: &str, depth: usize) {
    if depth > 256 {
        return;
    }
    match &mut node.kind {
        NodeKind::Str(s) => {
            if let Some(original) = text.get(node.span.range())
                && original.starts_with("${")
            {
                *s = original.into();
            }
        }
        NodeKind::Seq(items) => {
            for item in items.iter_mut() {
                restore_node(item, text, depth + 1);
            }
        }
        NodeKind::Map(entries) => {
            for e in entries.iter_mut() {
                restore_node(&mut e.value, text, depth + 1);
            }
        }
        _ => {}
    }
}

/// The `%{ for [K,] V in EXPR }` loops of a template, as (V, EXPR): inside
/// the loop V is any item of EXPR.
pub fn loops(text: &str) -> Vec<(String, String)> {
    let Ok(re) = regex::Regex::new(
        r"%\{~?\s*for\s+(?:[A-Za-z_][\w-]*\s*,\s*)?([A-Za-z_][\w-]*)\s+in\s+([^}~]+?)\s*~?\}",
    ) else {
        return Vec::new();
    };
    re.captures_iter(text)
        .take(256)
        .filter_map(|c| Some((c.get(1)?.as_str().to_owned(), c.get(2)?.as_str().to_owned())))
        .collect()
}

/// Whether a template calls `templatefile()` on its own name.
pub fn includes_itself(file: &SourceFile) -> bool {
    let name = file.display.rsplit('/').next().unwrap_or(&file.display);
    file.text.match_indices("templatefile(").any(|(i, _)| {
        file.text
            .get(i..(i + 300).min(file.text.len()))
            .or_else(|| file.text.get(i..))
            .is_some_and(|call| call.split(',').next().is_some_and(|p| p.contains(name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_keeps_length_and_hides_directives() {
        let text = "{\n%{ if prod }\n  \"a\": ${jsonencode(x)},\n%{ endif }\n  \"b\": \"repo:${org}/*\"\n}\n";
        let masked = mask(text, Syntax::Json);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("%{"));
        assert!(masked.contains("\"a\": \"{jsonencode(x)\""));
        assert!(masked.contains("\"repo:${org}/*\""));
        let parsed = crate::syntax::parse(Syntax::Json, &masked, &Default::default());
        assert!(parsed.is_ok(), "{masked}");
    }

    #[test]
    fn unclosed_and_odd_templates_do_not_panic() {
        for text in [
            "${",
            "%{",
            "{\"a\": \"${",
            "x ${ \"",
            "é${é}%{é",
            "${}",
            "%{}",
        ] {
            for syntax in [Syntax::Json, Syntax::Yaml] {
                assert_eq!(mask(text, syntax).len(), text.len());
                let _ = parse(text, syntax, &Default::default());
            }
        }
    }

    #[test]
    fn loops_and_trailing_commas() {
        let text = "{\"sub\": [\n%{ for s in subjects ~}\n  \"repo:${s}\",\n%{ endfor ~}\n]}\n";
        let (doc, error) = parse(text, Syntax::Json, &Default::default());
        assert!(doc.is_some() && error.is_none());
        assert_eq!(loops(text), [("s".to_owned(), "subjects".to_owned())]);
        let (doc, error) = parse("{\"a\": ${x} ${y}}", Syntax::Json, &Default::default());
        assert!(doc.is_none() && error.is_none());
        let (_, error) = parse("{\"a\": }", Syntax::Json, &Default::default());
        assert!(error.is_some());
    }

    #[test]
    fn syntax_from_name_or_content() {
        assert_eq!(syntax_of("t/trust.json.tpl", "x"), Syntax::Json);
        assert_eq!(syntax_of("t/trust.yaml.tpl", "{"), Syntax::Yaml);
        assert_eq!(syntax_of("t/trust.tftpl", "%{ if a }\n{"), Syntax::Json);
        assert_eq!(syntax_of("t/trust.tpl", "a: b"), Syntax::Yaml);
        assert!(is_template("A.TPL") && !is_template("a.json"));
    }
}
