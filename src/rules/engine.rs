//! The engine's own rules: files that do not parse, keys written twice, and
//! suppression comments that suppress nothing.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::source::SourceFile;
use crate::syntax::{Node, NodeKind};
use std::collections::HashMap;

pub const PARSE_ERROR: &str = "parse-error";
pub const DUPLICATE_KEY: &str = "duplicate-key";
pub const UNUSED_SUPPRESSION: &str = "unused-suppression";

/// `parse-error`: a recognised file that does not parse.
pub struct ParseErrorRule;

impl Rule for ParseErrorRule {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if let Some(err) = &file.parse_error {
            let what = file.kind.as_str();
            out.push(Finding::new(
                PARSE_ERROR,
                file.at(err.span),
                format!("{what} file does not parse: {}", err.message),
            ));
        }
    }
}

/// `duplicate-key`: a mapping that repeats a key.
pub struct DuplicateKey;

impl Rule for DuplicateKey {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let mut stack: Vec<&Node> = file.roots().iter().collect();
        while let Some(node) = stack.pop() {
            if let NodeKind::Map(entries) | NodeKind::Block { body: entries, .. } = &node.kind {
                let mut first = HashMap::new();
                for entry in entries {
                    // HCL blocks repeat by design (`statement { }` twice).
                    if matches!(entry.value.kind, NodeKind::Block { .. }) {
                        continue;
                    }
                    match first.get(entry.key.text.as_str()) {
                        None => {
                            first.insert(entry.key.text.as_str(), entry.key.span);
                        }
                        Some(&earlier) => out.push(
                            Finding::new(
                                DUPLICATE_KEY,
                                file.at(entry.key.span),
                                format!(
                                    "key \"{}\" is written twice in this mapping: keep one",
                                    entry.key.text
                                ),
                            )
                            .related(file.at(earlier), "first written here"),
                        ),
                    }
                }
            }
            stack.extend(node.children());
        }
    }
}

/// `unused-suppression`: reported by the engine once suppressions are applied.
pub struct UnusedSuppression;

impl Rule for UnusedSuppression {}
