//! Exports of deployed state: what the AWS CLI prints, read offline.
//!
//! - `aws iam get-account-authorization-details`: every role, user, group and
//!   customer managed policy of an account, with their documents (objects
//!   from the CLI, URL-encoded JSON strings from the raw API). Read into the
//!   IAM model like any other policy carrier.
//! - `aws cloudformation get-template`: the `TemplateBody` (an object, or the
//!   template's text as a string) is read as the template itself.
//!
//! The other exports (`batch-get-projects`, `get-pipeline`,
//! `get-deployment-group`, `describe-task-definition`) are read by their own
//! models, which already step into the CLI's wrappers.

use super::iam::{Attachment, IamModel};
use super::policy::{Owner, Policy, PolicyRole};
use super::value::value;
use crate::source::SourceFile;
use crate::syntax::{Document, Limits, Node, NodeKind, Span, Syntax, parse_embedded};

/// The top-level keys of `get-account-authorization-details`.
const DETAIL_LISTS: [&str; 3] = ["RoleDetailList", "UserDetailList", "GroupDetailList"];

/// Whether `root` is a `get-account-authorization-details` export.
pub fn is_authorization_details(root: &Node) -> bool {
    DETAIL_LISTS.iter().any(|k| root.get(k).is_some())
        || root
            .get("Policies")
            .and_then(Node::items)
            .is_some_and(|items| items.iter().any(|p| p.get("PolicyVersionList").is_some()))
}

/// Reads every document of an authorization-details export into `model`.
pub fn authorization_details(file: &SourceFile, root: &Node, model: &mut IamModel) {
    let principals = [
        ("RoleDetailList", "RoleName", "role", "RolePolicyList"),
        ("UserDetailList", "UserName", "user", "UserPolicyList"),
        ("GroupDetailList", "GroupName", "group", "GroupPolicyList"),
    ];
    for (list, name_key, what, inline_key) in principals {
        for item in root.get(list).and_then(Node::items).unwrap_or(&[]) {
            let (name, span) = name_of(item, name_key);
            let owner = Owner {
                description: format!("{what} {name}"),
                span,
            };
            if what == "role"
                && let Some(doc) = item.get("AssumeRolePolicyDocument")
            {
                document(file, doc, PolicyRole::Trust, owner.clone(), model);
            }
            for inline in item.get(inline_key).and_then(Node::items).unwrap_or(&[]) {
                if let Some(doc) = inline.get("PolicyDocument") {
                    document(file, doc, PolicyRole::Identity, owner.clone(), model);
                }
            }
            for attached in item
                .get("AttachedManagedPolicies")
                .and_then(Node::items)
                .unwrap_or(&[])
            {
                if let Some(arn) = attached.get("PolicyArn").and_then(value) {
                    model.attachments.push(Attachment {
                        policy_arn: arn,
                        owner: owner.description.clone(),
                    });
                }
            }
        }
    }
    for policy in root.get("Policies").and_then(Node::items).unwrap_or(&[]) {
        // AWS managed policies are AWS's to write: what matters is who gets
        // them, which the attachments above say.
        let arn = policy.get("Arn").and_then(Node::as_str).unwrap_or("");
        if is_aws_managed(arn) {
            continue;
        }
        let (name, span) = name_of(policy, "PolicyName");
        let versions = policy
            .get("PolicyVersionList")
            .and_then(Node::items)
            .unwrap_or(&[]);
        // The default version is the one in force; an export without the
        // flag (hand-trimmed) has one version.
        let default = versions
            .iter()
            .find(|v| is_true(v.get("IsDefaultVersion")))
            .or_else(|| (versions.len() == 1).then(|| &versions[0]));
        if let Some(doc) = default.and_then(|v| v.get("Document")) {
            let owner = Owner {
                description: format!("managed policy {name}"),
                span,
            };
            document(file, doc, PolicyRole::Identity, owner, model);
        }
    }
}

/// `arn:aws:iam::aws:policy/...` (also in the other partitions).
pub fn is_aws_managed(arn: &str) -> bool {
    arn.split(':').nth(4) == Some("aws") && arn.starts_with("arn:")
}

fn is_true(node: Option<&Node>) -> bool {
    node.and_then(|n| n.scalar_text())
        .is_some_and(|t| t.eq_ignore_ascii_case("true"))
}

/// The entity's name and where it is written (its item when unnamed).
fn name_of(item: &Node, key: &str) -> (String, Span) {
    match item.get(key) {
        Some(n) => (
            n.scalar_text().map(|t| t.into_owned()).unwrap_or_default(),
            n.span,
        ),
        None => ("(unnamed)".into(), item.span),
    }
}

/// A policy document: an object, a JSON string, or a URL-encoded JSON string
/// (what the IAM API returns).
fn document(file: &SourceFile, node: &Node, role: PolicyRole, owner: Owner, model: &mut IamModel) {
    let limits = Limits::default();
    let doc = match node.as_str() {
        None => {
            model
                .policies
                .extend(Policy::from_document(node, Some(role), Some(owner)));
            return;
        }
        Some(text) if is_url_encoded(text) => parse_url_encoded(&file.text, node, &limits),
        Some(_) => parse_embedded(&file.text, node, Syntax::Json, &limits).and_then(Result::ok),
    };
    for root in doc.iter().flat_map(|d| d.roots.iter()) {
        model
            .policies
            .extend(Policy::from_document(root, Some(role), Some(owner.clone())));
    }
}

/// A URL-encoded document starts with an encoded `{` (after blanks).
fn is_url_encoded(text: &str) -> bool {
    let t = text.trim_start();
    t.len() >= 3 && t[..3].eq_ignore_ascii_case("%7B")
}

/// Decodes `%XX` escapes (RFC 3986, as IAM encodes: `+` stays a plus) and
/// returns, for each decoded byte, the range of value bytes it came from.
pub fn percent_decode(value: &str) -> (Vec<u8>, Vec<(usize, usize)>) {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            from.push((i, i + 3));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        from.push((i, i + 1));
        i += 1;
    }
    (out, from)
}

/// Parses the URL-encoded JSON held by the string `node`, with every span of
/// the result mapped to the encoded text in the file: a finding points at
/// the `%XX...` run that encodes its value.
pub fn parse_url_encoded(file_text: &str, node: &Node, limits: &Limits) -> Option<Document> {
    let value = node.as_str()?;
    let raw = file_text.get(node.span.range()).unwrap_or("");
    let outer = crate::syntax::SourceMap::align(raw, node.span.start as usize, value);
    let (bytes, from) = percent_decode(value);
    let decoded = String::from_utf8_lossy(&bytes).into_owned();
    // Lossy decoding may change byte lengths: positions are only exact when
    // the decoded bytes were valid UTF-8; otherwise spans fall back to the
    // whole string.
    let exact = decoded.len() == bytes.len();
    let map = |span: Span| -> Span {
        if !exact {
            return node.span;
        }
        let (s, e) = (span.start as usize, span.end as usize);
        let Some(&(vs, _)) = from.get(s).or(from.last()) else {
            return node.span;
        };
        let ve = if e > s {
            from.get(e - 1).map_or(vs, |&(_, ve)| ve)
        } else {
            vs
        };
        let start = outer.map(vs as u32);
        let end = if ve > vs {
            outer.map_span(Span::new(vs, ve)).end
        } else {
            start
        };
        Span {
            start,
            end: end.max(start),
        }
    };
    let mut doc = crate::syntax::parse(Syntax::Json, &decoded, limits).ok()?;
    for root in &mut doc.roots {
        remap(root, &map);
    }
    Some(doc)
}

/// Moves every span of a tree through `map` (iteratively: no recursion on
/// hostile nesting).
fn remap(node: &mut Node, map: &dyn Fn(Span) -> Span) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        node.span = map(node.span);
        match &mut node.kind {
            NodeKind::Map(entries) => {
                for entry in entries.iter_mut() {
                    entry.key.span = map(entry.key.span);
                    stack.push(&mut entry.value);
                }
            }
            NodeKind::Block(block) => {
                for label in block.labels.iter_mut() {
                    label.span = map(label.span);
                }
                for entry in block.body.iter_mut() {
                    entry.key.span = map(entry.key.span);
                    stack.push(&mut entry.value);
                }
            }
            NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            NodeKind::Call(call) => stack.extend(call.args.iter_mut()),
            _ => {}
        }
    }
}

/// What an export finding is about, named as the export names it: the role,
/// user, group or managed policy of an authorization-details export, the
/// project of `batch-get-projects`, the pipeline of `get-pipeline`, the task
/// definition of `describe-task-definition`, the deployment group of
/// `get-deployment-group`. `None` outside these exports.
pub fn entity_at(root: &Node, span: Span) -> Option<String> {
    let inside = |n: &Node| n.span.contains(span);
    let text = |n: &Node, key: &str| {
        n.get(key)
            .and_then(|v| v.scalar_text())
            .map(|t| t.into_owned())
    };
    if is_authorization_details(root) {
        for (list, key, what) in [
            ("RoleDetailList", "RoleName", "role"),
            ("UserDetailList", "UserName", "user"),
            ("GroupDetailList", "GroupName", "group"),
            ("Policies", "PolicyName", "managed policy"),
        ] {
            let items = root.get(list).and_then(Node::items).unwrap_or(&[]);
            if let Some(item) = items.iter().find(|i| inside(i)) {
                return text(item, key).map(|n| format!("{what} {n}"));
            }
        }
        return None;
    }
    if let Some(projects) = root.get("projects").and_then(Node::items) {
        let item = projects.iter().find(|i| inside(i))?;
        return text(item, "name").map(|n| format!("CodeBuild project {n}"));
    }
    // `get-pipeline` prints `metadata` beside the definition; the same
    // definition kept in a repository (`create-pipeline` input) has none.
    if let Some(pipeline) = root
        .get("pipeline")
        .filter(|p| inside(p) && root.get("metadata").is_some())
    {
        return text(pipeline, "name").map(|n| format!("pipeline {n}"));
    }
    if let Some(task) = root.get("taskDefinition").filter(|t| inside(t)) {
        let family = text(task, "family")?;
        return Some(match text(task, "revision") {
            Some(r) => format!("task definition {family}:{r}"),
            None => format!("task definition {family}"),
        });
    }
    if let Some(group) = root.get("deploymentGroupInfo").filter(|g| inside(g)) {
        return text(group, "deploymentGroupName").map(|n| format!("deployment group {n}"));
    }
    None
}

/// Names, on findings in export files, the role, project or pipeline they
/// are about (unless the message already does).
pub fn name_entities(files: &[SourceFile], findings: &mut [crate::finding::Finding]) {
    for finding in findings.iter_mut() {
        let Some(file) = files.get(finding.location.file) else {
            continue;
        };
        if file.syntax != Some(Syntax::Json) {
            continue;
        }
        let Some(root) = file.roots().first() else {
            continue;
        };
        let Some(entity) = entity_at(root, finding.location.span) else {
            continue;
        };
        let name = entity.rsplit(' ').next().unwrap_or(&entity);
        if finding.message.contains(&entity) || finding.message.contains(&format!("\"{name}\"")) {
            continue;
        }
        finding.message = format!("{entity}: {}", finding.message);
    }
}

/// Whether `root` is an `aws cloudformation get-template` export.
pub fn is_template_export(root: &Node) -> bool {
    root.get("TemplateBody").is_some() && root.get("Resources").is_none()
}

/// The template of a `get-template` export: its `TemplateBody` object, or its
/// text (JSON or YAML) parsed with every span mapped into the export. `None`
/// when the body is neither.
pub fn template_body(
    file_text: &str,
    outer: Syntax,
    root: &Node,
    limits: &Limits,
) -> Option<Document> {
    let body = root.get("TemplateBody")?;
    match &body.kind {
        NodeKind::Map(_) => Some(Document {
            syntax: outer,
            roots: vec![body.clone()],
        }),
        NodeKind::Str(text) => {
            let syntax = if text.trim_start().starts_with('{') {
                Syntax::Json
            } else {
                Syntax::Yaml
            };
            parse_embedded(file_text, body, syntax, limits).and_then(Result::ok)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_where_each_byte_came_from() {
        let (bytes, from) = percent_decode("%7B%22a%22%3A1%7D+%zz");
        assert_eq!(
            String::from_utf8(bytes).expect("test input"),
            "{\"a\":1}+%zz"
        );
        assert_eq!(from[0], (0, 3));
        assert_eq!(from[2], (6, 7));
        assert_eq!(from[3], (7, 10));
        assert_eq!(from[7], (17, 18));
    }

    #[test]
    fn url_encoded_documents_map_to_the_encoded_text() {
        let text = r#"{"D": "%7B%22Action%22%3A%22s3%3A%2A%22%7D"}"#;
        let outer =
            crate::syntax::parse(Syntax::Json, text, &Limits::default()).expect("test input");
        let node = outer.roots[0].get("D").expect("test input");
        let doc = parse_url_encoded(text, node, &Limits::default()).expect("test input");
        let action = doc.roots[0].get("Action").expect("test input");
        assert_eq!(action.as_str(), Some("s3:*"));
        // The value `"s3:*"` is encoded as `%22s3%3A%2A%22`.
        assert_eq!(&text[action.span.range()], "%22s3%3A%2A%22");
        let key = &doc.roots[0].entries().expect("test input")[0].key;
        assert_eq!(&text[key.span.range()], "%22Action%22");
    }

    #[test]
    fn hostile_url_encoded_text_does_not_panic() {
        for v in [
            "%",
            "%7",
            "%7B",
            "%7B%FF%FE",
            "%7B%22a%22:%5B%5B%5B",
            "%7B\u{e9}%",
        ] {
            let text = format!("{{\"D\": \"{v}\"}}");
            let outer =
                crate::syntax::parse(Syntax::Json, &text, &Limits::default()).expect("test input");
            let node = outer.roots[0].get("D").expect("test input");
            let _ = parse_url_encoded(&text, node, &Limits::default());
        }
    }

    #[test]
    fn aws_managed_arns() {
        assert!(is_aws_managed(
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
        assert!(is_aws_managed(
            "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"
        ));
        assert!(!is_aws_managed("arn:aws:iam::123456789012:policy/deploy"));
    }
}
