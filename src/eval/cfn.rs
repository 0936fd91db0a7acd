//! CloudFormation evaluation inside one template: `Parameters` (the
//! `Default` and every `AllowedValues` entry are possible), `Mappings`,
//! `Ref`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`,
//! `Fn::If` (both branches), `Fn::FindInMap` and pseudo-parameters.
//! Anything else (`Fn::GetAtt`, `Fn::ImportValue`, `AWS::AccountId`, a
//! parameter without default) stays a `${...}` hole.

use super::{MAX_ALTERNATIVES, MAX_DEPTH, concat};
use crate::model::value::{Origin, Val, Via, intrinsic};
use crate::syntax::{Node, NodeKind, Span};
use std::collections::HashMap;

/// What a template's values are evaluated against.
#[derive(Debug, Default)]
pub struct Template {
    params: HashMap<String, Param>,
    mappings: Option<Node>,
}

#[derive(Debug)]
struct Param {
    /// Default first, then allowed values not equal to it.
    values: Vec<Val>,
    /// `CommaDelimitedList` / `List<...>`: `Ref` gives a list.
    list: bool,
}

impl Template {
    pub fn new(root: &Node) -> Template {
        let mut params = HashMap::new();
        for entry in root
            .get("Parameters")
            .and_then(Node::entries)
            .unwrap_or(&[])
        {
            let name = entry.key.text.to_string();
            let p = &entry.value;
            let ty = p.get("Type").and_then(Node::as_str).unwrap_or("String");
            let mut values: Vec<Val> = Vec::new();
            let mut add = |node: &Node, note: String| {
                if let Some(text) = node.scalar_text()
                    && !values.iter().any(|v| v.text == text)
                    && values.len() < MAX_ALTERNATIVES
                {
                    values.push(Val {
                        text: text.into_owned(),
                        span: node.span,
                        origin: Some(Box::new(Origin {
                            file: None,
                            note,
                            via: Vec::new(),
                        })),
                    });
                }
            };
            if let Some(default) = p.get("Default") {
                add(default, format!("default of parameter {name}"));
            }
            for allowed in p.get("AllowedValues").and_then(Node::items).unwrap_or(&[]) {
                add(allowed, format!("allowed value of parameter {name}"));
            }
            // An SSM parameter type's default is the parameter's name, not
            // its value: the value stays unknown.
            if ty.starts_with("AWS::SSM::Parameter::Value") {
                values.clear();
            }
            let list = ty.starts_with("List<") || ty == "CommaDelimitedList";
            params.insert(name, Param { values, list });
        }
        Template {
            params,
            mappings: root.get("Mappings").cloned(),
        }
    }

    /// The possible values of a scalar node, `None` for a plain literal.
    pub fn alternatives(&self, node: &Node) -> Option<Vec<Val>> {
        intrinsic(node)?;
        Some(self.eval(node, 0))
    }

    /// The values of a node that may be a list: `!Ref` of a list parameter,
    /// `!Split`, `!If` between lists.
    pub fn values(&self, node: &Node) -> Option<Vec<Val>> {
        intrinsic(node)?;
        let mut out = Vec::new();
        for item in self.list(node, 0)? {
            out.extend(item);
        }
        Some(out)
    }

    fn eval(&self, node: &Node, depth: usize) -> Vec<Val> {
        let hole = |text: String| vec![Val::new(format!("${{{text}}}"), node.span)];
        if depth > MAX_DEPTH {
            return hole("...".into());
        }
        let Some((name, arg)) = intrinsic(node) else {
            return match &node.kind {
                NodeKind::Str(s) | NodeKind::Number(s) => vec![Val::new(s.as_str(), node.span)],
                NodeKind::Bool(b) => vec![Val::new(b.to_string(), node.span)],
                _ => Vec::new(),
            };
        };
        match name {
            "Ref" => {
                let target = text(arg);
                self.reference(&target, node.span)
                    .unwrap_or_else(|| hole(target))
            }
            "Fn::GetAtt" => {
                let target = match &arg.kind {
                    NodeKind::Seq(items) => items.iter().map(text).collect::<Vec<_>>().join("."),
                    _ => text(arg),
                };
                hole(target)
            }
            "Fn::Sub" => self.sub(node, arg, depth),
            "Fn::Join" => self.join(node, arg, depth),
            "Fn::Select" => {
                let items = arg.items().unwrap_or(&[]);
                let (Some(index), Some(list)) = (items.first(), items.get(1)) else {
                    return hole("Fn::Select".into());
                };
                let index = self.eval(index, depth + 1);
                let list = self.list(list, depth + 1);
                match (index.as_slice(), list) {
                    ([i], Some(list)) => i
                        .text
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| list.into_iter().nth(i))
                        .unwrap_or_else(|| hole("Fn::Select".into())),
                    _ => hole("Fn::Select".into()),
                }
            }
            "Fn::If" => {
                let mut out = Vec::new();
                for branch in arg.items().unwrap_or(&[]).iter().skip(1) {
                    for v in self.eval(branch, depth + 1) {
                        if out.len() < MAX_ALTERNATIVES && !out.contains(&v) {
                            out.push(v);
                        }
                    }
                }
                out
            }
            "Fn::FindInMap" => self.find_in_map(node, arg, depth),
            other => hole(other.to_string()),
        }
    }

    /// A list: written out, `!Split`, `!Ref` of a list parameter, `!If`
    /// between lists. Each item with its alternatives.
    fn list(&self, node: &Node, depth: usize) -> Option<Vec<Vec<Val>>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match intrinsic(node) {
            None => Some(match &node.kind {
                NodeKind::Seq(items) => items.iter().map(|i| self.eval(i, depth + 1)).collect(),
                _ => vec![self.eval(node, depth + 1)],
            }),
            Some(("Fn::Split", arg)) => {
                let items = arg.items()?;
                let delimiter = self.eval(items.first()?, depth + 1);
                let [delimiter] = delimiter.as_slice() else {
                    return None;
                };
                let source = self.eval(items.get(1)?, depth + 1);
                let [source] = source.as_slice() else {
                    return None;
                };
                if delimiter.text.is_empty() {
                    return None;
                }
                Some(
                    source
                        .text
                        .split(delimiter.text.as_str())
                        .map(|piece| {
                            vec![Val {
                                text: piece.to_owned(),
                                ..source.clone()
                            }]
                        })
                        .collect(),
                )
            }
            Some(("Ref", arg)) => {
                let name = text(arg);
                let param = self.params.get(&name)?;
                if !param.list {
                    return Some(vec![self.eval(node, depth + 1)]);
                }
                let mut items = Vec::new();
                for v in self.reference(&name, node.span)? {
                    for piece in v.text.split(',') {
                        items.push(vec![Val {
                            text: piece.trim().to_owned(),
                            ..v.clone()
                        }]);
                    }
                }
                Some(items)
            }
            Some(("Fn::If", arg)) => {
                let mut out = Vec::new();
                for branch in arg.items()?.iter().skip(1) {
                    out.extend(self.list(branch, depth + 1)?);
                }
                Some(out)
            }
            Some(_) => Some(vec![self.eval(node, depth + 1)]),
        }
    }

    /// `Ref` of a parameter or pseudo-parameter, `None` when unknown.
    fn reference(&self, name: &str, used: Span) -> Option<Vec<Val>> {
        match name {
            "AWS::Partition" => return Some(vec![Val::new("aws", used)]),
            "AWS::URLSuffix" => return Some(vec![Val::new("amazonaws.com", used)]),
            "AWS::NoValue" => return Some(Vec::new()),
            _ => {}
        }
        let param = self.params.get(name)?;
        if param.values.is_empty() {
            return None;
        }
        Some(
            param
                .values
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    if let Some(o) = v.origin.as_mut() {
                        o.via.insert(
                            0,
                            Via {
                                file: None,
                                span: used,
                                label: format!("parameter {name} used here"),
                            },
                        );
                    }
                    v
                })
                .collect(),
        )
    }

    /// `!Sub "text ${Name} ${Res.Attr} ${!Literal}"`, or `[text, {vars}]`.
    fn sub(&self, node: &Node, arg: &Node, depth: usize) -> Vec<Val> {
        let (template, vars) = match &arg.kind {
            NodeKind::Seq(items) => (items.first(), items.get(1)),
            _ => (Some(arg), None),
        };
        let Some(template) = template.and_then(Node::scalar_text) else {
            return vec![Val::new("${Fn::Sub}", node.span)];
        };
        let mut parts: Vec<Vec<Val>> = Vec::new();
        let literal = |s: &str| vec![Val::new(s, node.span)];
        let mut rest: &str = &template;
        while let Some(start) = rest.find("${") {
            parts.push(literal(&rest[..start]));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                parts.push(literal(&rest[start..]));
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(escaped) = name.strip_prefix('!') {
                parts.push(literal(&format!("${{{escaped}}}")));
                continue;
            }
            let name = name.trim();
            let from_map = vars
                .and_then(|v| v.get(name))
                .map(|n| self.eval(n, depth + 1));
            let value = from_map
                .or_else(|| {
                    (!name.contains('.'))
                        .then(|| self.reference(name, node.span))
                        .flatten()
                })
                .unwrap_or_else(|| literal(&format!("${{{name}}}")));
            parts.push(value);
        }
        parts.push(literal(rest));
        concat(&parts, Val::new("", node.span))
    }

    fn join(&self, node: &Node, arg: &Node, depth: usize) -> Vec<Val> {
        let items = arg.items().unwrap_or(&[]);
        let delimiter = items
            .first()
            .map(|d| self.eval(d, depth + 1))
            .unwrap_or_default();
        let [delimiter] = delimiter.as_slice() else {
            return vec![Val::new("${Fn::Join}", node.span)];
        };
        let Some(list) = items.get(1).and_then(|l| self.list(l, depth + 1)) else {
            return vec![Val::new("${Fn::Join}", node.span)];
        };
        let mut parts = Vec::new();
        for (i, item) in list.into_iter().enumerate() {
            if i > 0 {
                parts.push(vec![Val::new(delimiter.text.as_str(), node.span)]);
            }
            parts.push(item);
        }
        concat(&parts, Val::new("", node.span))
    }

    /// `!FindInMap [Map, TopKey, SecondKey]`; an unknown key (`AWS::Region`)
    /// makes every entry at that level possible.
    fn find_in_map(&self, node: &Node, arg: &Node, depth: usize) -> Vec<Val> {
        let hole = || vec![Val::new("${Fn::FindInMap}", node.span)];
        let items = arg.items().unwrap_or(&[]);
        let (Some(map), Some(top), Some(second), Some(mappings)) =
            (items.first(), items.get(1), items.get(2), &self.mappings)
        else {
            return hole();
        };
        let key = |n: &Node| -> Option<String> {
            match self.eval(n, depth + 1).as_slice() {
                [one] if !one.is_dynamic() => Some(one.text.clone()),
                _ => None,
            }
        };
        let Some(map) = key(map).and_then(|m| mappings.get(&m)) else {
            return hole();
        };
        fn level(node: &Node, k: Option<String>) -> Vec<&Node> {
            match k {
                Some(k) => node.get(&k).into_iter().collect(),
                None => node
                    .entries()
                    .unwrap_or(&[])
                    .iter()
                    .map(|e| &e.value)
                    .collect(),
            }
        }
        let second_key = key(second);
        let mut out = Vec::new();
        for top in level(map, key(top)) {
            for value in level(top, second_key.clone()) {
                for mut v in self.eval(value, depth + 1) {
                    if out.len() >= MAX_ALTERNATIVES {
                        return out;
                    }
                    let origin = v.origin.get_or_insert_with(Box::default);
                    if origin.note.is_empty() {
                        origin.note = "mapping entry".into();
                    }
                    origin.via.insert(
                        0,
                        Via {
                            file: None,
                            span: node.span,
                            label: "mapping looked up here".into(),
                        },
                    );
                    out.push(v);
                }
            }
        }
        if out.is_empty() { hole() } else { out }
    }
}

fn text(node: &Node) -> String {
    node.scalar_text()
        .map(|t| t.into_owned())
        .unwrap_or_default()
}
