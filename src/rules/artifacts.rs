//! Deployment artifacts that CodePipeline hands to ECS: `imagedefinitions.json`
//! (ECS standard deploy) and `imageDetail.json` (CodeDeployToECS).

use super::{Context, Rule};
use crate::finding::Finding;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Entry, Node, NodeKind};

/// `imagedefinitions-shape`.
pub struct ImageDefinitionsShape;

const ID_DEFS: &str = "imagedefinitions-shape";

impl Rule for ImageDefinitionsShape {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if file.kind != FileKind::ImageDefinitions {
            return;
        }
        if let Some(root) = file.roots().first() {
            check_image_definitions(file, root, out);
        }
    }
}

/// Checks one imagedefinitions document (a file, or JSON a buildspec writes).
pub fn check_image_definitions(file: &SourceFile, root: &Node, out: &mut Vec<Finding>) {
    let report = |out: &mut Vec<Finding>, node: &Node, message: String| {
        out.push(Finding::new(ID_DEFS, file.at(node.span), message));
    };
    let items = match &root.kind {
        NodeKind::Seq(items) => items,
        NodeKind::Map(_) => {
            return report(
                out,
                root,
                "imagedefinitions is a single object: wrap it in an array `[{\"name\": ..., \"imageUri\": ...}]`".into(),
            );
        }
        _ => {
            return report(
                out,
                root,
                format!(
                    "imagedefinitions must be an array of {{\"name\", \"imageUri\"}} objects, not a {}",
                    root.type_name()
                ),
            );
        }
    };
    if items.is_empty() {
        return report(
            out,
            root,
            "imagedefinitions is an empty array: list each container to update with its name and imageUri".into(),
        );
    }
    for item in items {
        let NodeKind::Map(entries) = &item.kind else {
            report(
                out,
                item,
                format!(
                    "imagedefinitions entry is a {}: write an object {{\"name\": ..., \"imageUri\": ...}}",
                    item.type_name()
                ),
            );
            continue;
        };
        for (field, variants) in [("name", NAME_VARIANTS), ("imageUri", IMAGE_URI_VARIANTS)] {
            required_string(file, item, entries, field, variants, ID_DEFS, out);
        }
    }
}

const NAME_VARIANTS: &[&str] = &[
    "Name",
    "NAME",
    "containerName",
    "ContainerName",
    "container",
];
const IMAGE_URI_VARIANTS: &[&str] = &[
    "image", "Image", "imageURI", "ImageUri", "ImageURI", "imageUrl", "ImageUrl", "imageURL",
    "uri", "imageuri",
];

/// `imagedetail-shape`.
pub struct ImageDetailShape;

const ID_DETAIL: &str = "imagedetail-shape";

impl Rule for ImageDetailShape {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if file.kind != FileKind::ImageDetail {
            return;
        }
        let Some(root) = file.roots().first() else {
            return;
        };
        match &root.kind {
            NodeKind::Map(entries) => required_string(
                file,
                root,
                entries,
                "ImageURI",
                &[
                    "imageUri", "ImageUri", "imageURI", "image", "Image", "ImageUrl", "imageuri",
                ],
                ID_DETAIL,
                out,
            ),
            _ => out.push(Finding::new(
                ID_DETAIL,
                file.at(root.span),
                format!(
                    "imageDetail.json must be an object {{\"ImageURI\": \"<image>\"}}, not a{} {}",
                    if root.type_name().starts_with(['a', 'o']) {
                        "n"
                    } else {
                        ""
                    },
                    root.type_name()
                ),
            )),
        }
    }
}

/// Reports a missing, misspelled, non-string or empty `field` of `object`.
fn required_string(
    file: &SourceFile,
    object: &Node,
    entries: &[Entry],
    field: &str,
    misspellings: &[&str],
    rule: &'static str,
    out: &mut Vec<Finding>,
) {
    let Some(entry) = entries.iter().rev().find(|e| e.key.text == field) else {
        let message = match entries
            .iter()
            .find(|e| misspellings.contains(&e.key.text.as_str()))
        {
            Some(wrong) => {
                out.push(Finding::new(
                    rule,
                    file.at(wrong.key.span),
                    format!("key \"{}\" must be spelled \"{field}\"", wrong.key.text),
                ));
                return;
            }
            None => format!("entry has no \"{field}\": add it"),
        };
        out.push(Finding::new(rule, file.at(object.span), message));
        return;
    };
    match entry.value.as_str() {
        None => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" must be a string, not a {}", entry.value.type_name()),
        )),
        Some(s) if s.trim().is_empty() => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" is empty"),
        )),
        Some(s) if has_shell_variable(s) => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" holds the shell variable in \"{s}\", which was never expanded: write the file with double quotes so the shell substitutes it"),
        )),
        Some(_) => {}
    }
}

/// `$NAME` or `${NAME}` (but not a CloudFormation-style `${AWS::...}`).
fn has_shell_variable(s: &str) -> bool {
    s.match_indices('$').any(|(i, _)| {
        let rest = &s[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    })
}
