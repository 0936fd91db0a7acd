//! Inline suppressions: `# shiplint: ignore[rule-id, ...] reason` in YAML and
//! HCL (`//` works in HCL too). A comment silences the named rules (ids,
//! families or `all`) on its own line and on the line below it. A comment
//! that names no rule (`# shiplint: ignore`) silences nothing and is reported
//! by `unused-suppression`.

use crate::syntax::{Node, NodeKind, Span, Syntax};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// 1-based line of the comment.
    pub line: u32,
    /// The `shiplint: ignore[...]` text.
    pub span: Span,
    pub selectors: Vec<String>,
    pub reason: String,
}

impl Suppression {
    /// Whether this comment covers a finding of `rule` (in `family`) at `line`.
    pub fn covers(&self, rule: &str, family: &str, line: u32) -> bool {
        (line == self.line || line == self.line + 1)
            && self
                .selectors
                .iter()
                .any(|s| s == "all" || s == rule || s == family)
    }
}

const MARKER: &str = "shiplint:";

/// The suppression comments of a YAML or HCL file, given its text and
/// document. A marker inside a value (`description: "# shiplint: ignore[all]"`,
/// a block scalar, a heredoc) is text, not a comment: it suppresses nothing.
pub fn comments(text: &str, syntax: Option<Syntax>, roots: &[Node]) -> Vec<Suppression> {
    let hcl = match syntax {
        Some(Syntax::Yaml) => false,
        Some(Syntax::Hcl) => true,
        // `// shiplint: ignore[...]` in TypeScript, `#` in Python.
        Some(Syntax::TypeScript) => true,
        Some(Syntax::Python) => false,
        _ => return Vec::new(),
    };
    let mut found = Vec::new();
    // Only lines holding the marker are looked at: found in one pass over
    // the text, their line numbers counted from the previous one.
    let (mut counted_to, mut line_number) = (0usize, 1usize);
    let mut last_line_start = None;
    for at in memchr::memmem::find_iter(text.as_bytes(), MARKER.as_bytes()) {
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        // The first marker of a line outside values decides for the line.
        if last_line_start == Some(start) {
            continue;
        }
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = &text[start..end];
        let column = at - start;
        let before = line[..column].trim_end();
        if inside_value(roots, at) {
            continue;
        }
        last_line_start = Some(start);
        let is_comment = before.ends_with('#') || (hcl && before.ends_with("//"));
        if !is_comment {
            continue;
        }
        line_number += memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..start]).count();
        counted_to = start;
        let rest = line[column + MARKER.len()..].trim_start();
        let Some(rest) = rest.strip_prefix("ignore") else {
            continue;
        };
        // A bare `shiplint: ignore` (or an unclosed list) names no rule: it
        // is kept with no selectors, suppresses nothing, and is reported by
        // `unused-suppression` so that the author learns what is missing.
        let (list, reason) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some(split) => split,
            None if rest.is_empty() || rest.starts_with([' ', '\t', '[']) => ("", rest),
            None => continue,
        };
        found.push(Suppression {
            line: u32::try_from(line_number).unwrap_or(u32::MAX),
            span: Span::new(at, start + line.trim_end().len()),
            selectors: list
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            reason: reason.trim().to_owned(),
        });
    }
    found
}

/// Whether byte `offset` lies inside a key, scalar or expression of the
/// document.
fn inside_value(roots: &[Node], offset: usize) -> bool {
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    let holds = |span: Span| span.start <= offset && offset < span.end;
    let mut current = roots.iter().find(|n| holds(n.span));
    while let Some(node) = current {
        let scalar = matches!(
            node.kind,
            NodeKind::Str(_) | NodeKind::Number(_) | NodeKind::Expr(_)
        );
        let in_key = node
            .entries()
            .is_some_and(|entries| entries.iter().any(|e| holds(e.key.span)));
        if scalar || in_key {
            return true;
        }
        current = node.children().find(|n| holds(n.span));
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::discover::load_str;

    fn found(path: &str, text: &str) -> Vec<(u32, String, Vec<String>, String)> {
        let file = load_str(path, text);
        file.suppressions
            .iter()
            .cloned()
            .map(|s| (s.line, file.slice(s.span).to_owned(), s.selectors, s.reason))
            .collect()
    }

    #[test]
    fn comments_with_their_lines_spans_and_selectors() {
        let text = "# shiplint: ignore[a] first\nversion: 0.2\r\nphases:  # shiplint: ignore[b, c]  why  \r\n  build: {}\nx: \"# shiplint: ignore[d]\"\n#shiplint:ignore[e]";
        assert_eq!(
            found("buildspec.yml", text),
            vec![
                (
                    1,
                    "shiplint: ignore[a] first".into(),
                    vec!["a".into()],
                    "first".into()
                ),
                (
                    3,
                    "shiplint: ignore[b, c]  why".into(),
                    vec!["b".into(), "c".into()],
                    "why".into()
                ),
                (6, "shiplint:ignore[e]".into(), vec!["e".into()], "".into()),
            ]
        );
    }

    #[test]
    fn markers_inside_values_are_text() {
        let key = "\"# shiplint: ignore[all]\": 1\nb: 2\n";
        assert!(found("buildspec.yml", key).is_empty());
        let yaml = "version: 0.2\nphases:\n  build:\n    commands:\n      - |\n        # shiplint: ignore[all]\n        docker push x\n# shiplint: ignore[post-build-unguarded-publish]\nenv: {}\n";
        let lines: Vec<u32> = found("buildspec.yml", yaml).iter().map(|f| f.0).collect();
        assert_eq!(lines, [8]);
        let hcl = "x = <<EOF\n# shiplint: ignore[all]\nEOF\ny = \"// shiplint: ignore[all]\" # shiplint: ignore[r]\n";
        let found = found("main.tf", hcl);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].2.clone()), (4, vec!["r".to_owned()]));
    }

    #[test]
    fn the_first_marker_of_a_line_decides() {
        let text = "a: 1 #shiplint: nothing # shiplint: ignore[x]\nb: 2 # shiplint: ignore[y] # shiplint: ignore[z]\n";
        assert_eq!(
            found("buildspec.yml", text)
                .into_iter()
                .map(|(line, _, selectors, _)| (line, selectors))
                .collect::<Vec<_>>(),
            vec![(2, vec!["y".to_owned()])]
        );
    }

    #[test]
    fn hcl_takes_slashes_too_and_text_files_have_none() {
        let hcl =
            "resource \"a\" \"b\" { // shiplint: ignore[r]\n  x = 1 # shiplint: ignore[s]\n}\n";
        let lines: Vec<u32> = found("main.tf", hcl).iter().map(|f| f.0).collect();
        assert_eq!(lines, [1, 2]);
        assert!(found("README.md", "# shiplint: ignore[a]\n").is_empty());
        assert!(found("buildspec.yml", "a: 1 // shiplint: ignore[a]\n").is_empty());
    }
}
