//! Field access that reads the same structure in every spelling AWS front-ends
//! use: CLI JSON (`actionTypeId`), CloudFormation (`ActionTypeId`) and
//! Terraform (`action_type_id`). Keys are compared after lowercasing and
//! dropping `_` and `-`.

use super::value::{Val, value};
use crate::syntax::{Entry, Node, NodeKind, Span};

/// `ActionTypeId`, `actionTypeId`, `action_type_id` -> `actiontypeid`.
pub fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn matches(key: &str, names: &[&str]) -> bool {
    let key = norm(key);
    names.iter().any(|n| norm(n) == key)
}

/// The last entry of `node` whose key is one of `names` in any spelling.
pub fn entry<'a>(node: &'a Node, names: &[&str]) -> Option<&'a Entry> {
    node.entries()?
        .iter()
        .rev()
        .find(|e| matches(&e.key.text, names))
}

pub fn get<'a>(node: &'a Node, names: &[&str]) -> Option<&'a Node> {
    entry(node, names).map(|e| &e.value)
}

/// Every element under `names`: the items of a list, or each repeated
/// Terraform block (`stage { }` `stage { }`), or a single object.
pub fn list<'a>(node: &'a Node, names: &[&str]) -> Vec<&'a Node> {
    let mut out = Vec::new();
    for e in node.entries().unwrap_or(&[]) {
        if !matches(&e.key.text, names) {
            continue;
        }
        match &e.value.kind {
            NodeKind::Seq(items) if e.value.tag.is_none() => out.extend(items.iter()),
            NodeKind::Null => {}
            _ => out.push(&e.value),
        }
    }
    out
}

/// The scalar value under `names`, CloudFormation intrinsics and Terraform
/// references as opaque `${...}` tokens.
pub fn val(node: &Node, names: &[&str]) -> Option<Val> {
    get(node, names).and_then(value)
}

/// A list of names: `["a"]`, `[{"name": "a"}]`, `[{Name: a}]`.
pub fn names(node: &Node, names_: &[&str]) -> Vec<Val> {
    list(node, names_)
        .into_iter()
        .filter_map(|n| match n.kind {
            NodeKind::Map(_) => val(n, &["name"]),
            _ => value(n),
        })
        .collect()
}

/// A boolean as written (`true`, `"true"`, `True`); `None` when unknown.
pub fn boolean(v: &Val) -> Option<bool> {
    match v.text.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// CloudFormation resources of type `ty`: (logical id, key span, Properties).
pub fn cfn_resources<'a>(root: &'a Node, ty: &str) -> Vec<(&'a str, Span, &'a Node)> {
    let Some(resources) = root.get("Resources").and_then(Node::entries) else {
        return Vec::new();
    };
    resources
        .iter()
        .filter(|r| r.value.get("Type").and_then(Node::as_str) == Some(ty))
        .filter_map(|r| {
            r.value
                .get("Properties")
                .map(|p| (r.key.text.as_str(), r.key.span, p))
        })
        .collect()
}

/// Terraform `resource "ty" "name" { ... }` blocks: (name, label span, body as
/// a map node).
pub fn tf_resources<'a>(root: &'a Node, ty: &str) -> Vec<(String, Span, &'a Node)> {
    let mut out = Vec::new();
    for e in root.entries().unwrap_or(&[]) {
        if e.key.text != "resource" {
            continue;
        }
        let NodeKind::Block(block) = &e.value.kind else {
            continue;
        };
        if let [t, name] = &block.labels[..]
            && t.text == ty
        {
            // The block node answers `get`/`entries` like a mapping.
            out.push((name.text.to_string(), name.span, &e.value));
        }
    }
    out
}

/// Words of a name: `ProdCluster` -> `prod`, `cluster`; `deploy-live` ->
/// `deploy`, `live`.
pub fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// True when a name says production: a word `prod`, `production` or `live`.
pub fn is_prod(s: &str) -> bool {
    words(s)
        .iter()
        .any(|w| matches!(w.as_str(), "prod" | "production" | "live"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_words() {
        assert!(is_prod("Production"));
        assert!(is_prod("deploy-prod"));
        assert!(is_prod("ProdCluster"));
        assert!(is_prod("web_live"));
        assert!(!is_prod("product-api"));
        assert!(!is_prod("liveness"));
        assert!(!is_prod("Staging"));
        assert_eq!(words("DeployToECS"), ["deploy", "to", "ecs"]);
    }

    #[test]
    fn keys_in_every_spelling() {
        assert_eq!(norm("action_type_id"), norm("ActionTypeId"));
        assert_eq!(norm("actionTypeId"), "actiontypeid");
    }
}
