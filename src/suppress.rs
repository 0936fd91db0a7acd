//! Inline suppressions: `# shiplint: ignore[rule-id, ...] reason` in YAML and
//! HCL (`//` works in HCL too). A comment silences the named rules (ids,
//! families or `all`) on its own line and on the line below it.

use crate::source::SourceFile;
use crate::syntax::{Span, Syntax};

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

/// The suppression comments of a YAML or HCL file.
pub fn comments(file: &SourceFile) -> Vec<Suppression> {
    let hcl = match file.syntax {
        Some(Syntax::Yaml) => false,
        Some(Syntax::Hcl) => true,
        _ => return Vec::new(),
    };
    let mut found = Vec::new();
    let mut offset = 0usize;
    for (index, line) in file.text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += line.len();
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let before = line[..at].trim_end();
        let is_comment = before.ends_with('#') || (hcl && before.ends_with("//"));
        if !is_comment {
            continue;
        }
        let rest = line[at + MARKER.len()..].trim_start();
        let Some(rest) = rest.strip_prefix("ignore[") else {
            continue;
        };
        let Some((list, reason)) = rest.split_once(']') else {
            continue;
        };
        let end = start + line.trim_end().len();
        found.push(Suppression {
            line: u32::try_from(index + 1).unwrap_or(u32::MAX),
            span: Span::new(start + at, end),
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
