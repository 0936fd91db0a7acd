//! The engine's own rules: files that do not parse, keys written twice, and
//! suppression comments that suppress nothing.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::source::SourceFile;
use crate::syntax::{Entry, Node, NodeKind};
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
            out.push(
                Finding::new(
                    PARSE_ERROR,
                    file.at(err.span),
                    format!("{what} file does not parse: {}", err.message),
                )
                .help(format!(
                    "fix the syntax at this position: {} would reject the file too",
                    consumer(file.kind)
                )),
            );
        }
    }
}

/// Who really reads a file of this kind, for `parse-error`'s help.
fn consumer(kind: crate::source::FileKind) -> &'static str {
    use crate::source::FileKind as K;
    match kind {
        K::CloudFormation => "AWS CloudFormation",
        K::Buildspec | K::CodeBuildProject => "AWS CodeBuild",
        K::Pipeline => "AWS CodePipeline",
        K::DeploymentGroup | K::AppSpec => "AWS CodeDeploy",
        K::ImageDefinitions | K::ImageDetail | K::TaskDefinition => {
            "the deploy action (CodePipeline's ECS or CodeDeploy provider)"
        }
        K::Workflow => "GitHub Actions",
        K::Terraform => "Terraform",
        K::Policy => "AWS IAM",
        K::Text => "its consumer",
    }
}

/// `duplicate-key`: a mapping that repeats a key.
pub struct DuplicateKey;

impl Rule for DuplicateKey {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let mut stack: Vec<&Node> = file.roots().iter().collect();
        while let Some(node) = stack.pop() {
            if let Some(entries) = node.entries() {
                for_each_repeat(entries, |entry, earlier| {
                    out.push(
                        Finding::new(
                            DUPLICATE_KEY,
                            file.at(entry.key.span),
                            format!(
                                "key \"{}\" is written twice in this mapping: keep one",
                                entry.key.text
                            ),
                        )
                        .related(file.at(earlier.key.span), "first written here"),
                    );
                });
            }
            stack.extend(node.children());
        }
    }
}

/// Calls `found(entry, first)` for every entry whose key an earlier entry
/// already has. HCL blocks repeat by design (`statement { }` twice) and are
/// left out. Most mappings are small: they are compared pairwise, without
/// building a set.
fn for_each_repeat<'a>(entries: &'a [Entry], mut found: impl FnMut(&'a Entry, &'a Entry)) {
    const SMALL: usize = 16;
    let counted = |e: &&Entry| !matches!(e.value.kind, NodeKind::Block(_));
    if entries.len() <= SMALL {
        for (i, entry) in entries.iter().enumerate() {
            if !counted(&entry) {
                continue;
            }
            let earlier = entries[..i]
                .iter()
                .filter(counted)
                .find(|e| e.key.text == entry.key.text);
            if let Some(earlier) = earlier {
                found(entry, earlier);
            }
        }
        return;
    }
    let mut first: HashMap<&str, &Entry> = HashMap::with_capacity(entries.len());
    for entry in entries.iter().filter(counted) {
        match first.get(entry.key.text.as_str()) {
            None => {
                first.insert(entry.key.text.as_str(), entry);
            }
            Some(earlier) => found(entry, earlier),
        }
    }
}

/// `unused-suppression`: reported by the engine once suppressions are applied.
pub struct UnusedSuppression;

impl Rule for UnusedSuppression {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, Syntax, parse};

    fn repeats(syntax: Syntax, text: &str) -> Vec<(String, u32, u32)> {
        let doc = parse(syntax, text, &Limits::default()).expect("parses");
        let mut out = Vec::new();
        let root = doc.root().expect("a root");
        for_each_repeat(root.entries().expect("a mapping"), |entry, first| {
            out.push((
                entry.key.text.to_string(),
                entry.key.span.start,
                first.key.span.start,
            ));
        });
        out
    }

    #[test]
    fn repeats_in_small_and_large_mappings_alike() {
        let small = "a: 1\nb: 2\na: 3\na: 4\n";
        assert_eq!(
            repeats(Syntax::Yaml, small),
            vec![("a".into(), 10, 0), ("a".into(), 15, 0)]
        );
        // Past the pairwise threshold the set takes over; same answers.
        let mut large: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        let repeat_at = large.len();
        large.push_str("k7: again\n");
        let first_at = large.find("k7:").expect("written");
        assert_eq!(
            repeats(Syntax::Yaml, &large),
            vec![("k7".into(), repeat_at as u32, first_at as u32)]
        );
    }

    #[test]
    fn repeated_hcl_blocks_are_not_repeats() {
        let text = "statement {\n  a = 1\n}\nstatement {\n  a = 2\n}\nname = 1\nname = 2\n";
        // hcl-edit refuses the repeated attribute; blocks alone are fine.
        assert!(parse(Syntax::Hcl, text, &Limits::default()).is_err());
        let blocks = "statement {\n  a = 1\n}\nstatement {\n  a = 2\n}\n";
        assert!(repeats(Syntax::Hcl, blocks).is_empty());
    }
}
