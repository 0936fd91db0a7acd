//! Python programs, read with tree-sitter-python.

use super::emit::Emitter;
use super::typescript::walk;
use super::{Budget, CallExpr, Expr, Parsed, Prop, span_of};
use crate::syntax::{Limits, ParseError, Span};
use std::collections::HashMap;
use tree_sitter::Node as TsNode;

pub fn parse(text: &str, _limits: &Limits) -> Result<Parsed, ParseError> {
    let tree = super::run_parser(tree_sitter_python::LANGUAGE.into(), text)?;
    let root = tree.root_node();
    let mut lower = Lower {
        text,
        bindings: HashMap::new(),
        budget: Budget::default(),
        resolving: 0,
        uses: Vec::new(),
        params: Vec::new(),
    };
    let mut calls = Vec::new();
    walk(root, |n| match n.kind() {
        "assignment" => {
            if let (Some(left), Some(right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) && matches!(left.kind(), "identifier" | "attribute")
            {
                let name = compact(lower.slice(left));
                // A class attribute is read as `self.X` or `Class.X`.
                if left.kind() == "identifier"
                    && let Some(class) = n
                        .parent()
                        .and_then(|p| p.parent())
                        .and_then(|p| p.parent())
                        .filter(|c| c.kind() == "class_definition")
                {
                    if let Some(class_name) = class.child_by_field_name("name") {
                        let class_name = lower.slice(class_name).to_owned();
                        lower
                            .bindings
                            .entry(format!("{class_name}.{name}"))
                            .or_default()
                            .push(right);
                    }
                    lower
                        .bindings
                        .entry(format!("self.{name}"))
                        .or_default()
                        .push(right);
                }
                lower.bindings.entry(name).or_default().push(right);
            }
        }
        "call" => calls.push(n),
        _ => {}
    });
    let mut emitter = Emitter::new(text);
    // Statement mutators first: a statement may be attached before it is
    // completed (`role.addToPolicy(s); s.addActions(...)`).
    let is_mutator =
        |n: &tree_sitter::Node<'_>| super::emit::statement_mutator(callee_name(*n, text)).is_some();
    let (first, rest): (Vec<_>, Vec<_>) = calls.into_iter().partition(is_mutator);
    for call in first.into_iter().chain(rest) {
        if !super::emit::interesting(callee_name(call, text)) {
            continue;
        }
        if let Expr::Call(c) = lower.expr(call, 0) {
            emitter.call(&c);
        }
    }
    let mut warnings = Vec::new();
    warnings.extend(super::syntax_warning(root, text));
    super::budget_warnings(&lower.budget, text, &mut warnings);
    let mut uses = std::mem::take(&mut lower.uses);
    uses.sort();
    uses.dedup();
    Ok(Parsed {
        root: emitter.finish(Span::new(0, text.len())),
        warnings,
        uses,
    })
}

fn callee_name<'t>(call: TsNode<'_>, text: &'t str) -> &'t str {
    let Some(callee) = call.child_by_field_name("function") else {
        return "";
    };
    let named = match callee.kind() {
        "attribute" => callee.child_by_field_name("attribute"),
        _ => Some(callee),
    };
    named.and_then(|n| text.get(n.byte_range())).unwrap_or("")
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

struct Lower<'t> {
    text: &'t str,
    bindings: HashMap<String, Vec<TsNode<'t>>>,
    budget: Budget,
    resolving: usize,
    uses: Vec<super::Use>,
    /// Names bound while a comprehension is read for each item of a known
    /// list (`[f"repo:acme/{r}:*" for r in REPOS]`).
    params: Vec<(String, Expr)>,
}

impl<'t> Lower<'t> {
    fn slice(&self, n: TsNode<'_>) -> &'t str {
        self.text.get(n.byte_range()).unwrap_or("")
    }

    fn resolve(&mut self, name: &str, at: TsNode<'_>, depth: usize) -> Option<Expr> {
        if self.resolving >= super::MAX_RESOLVE {
            return None;
        }
        let list = self.bindings.get(name)?;
        let value = list
            .iter()
            .rev()
            .find(|n| n.start_byte() < at.start_byte())
            .or_else(|| list.first())
            .copied()?;
        if value.start_byte() <= at.start_byte() && at.end_byte() <= value.end_byte() {
            return None;
        }
        self.resolving += 1;
        let mut out = self.expr(value, depth + 1);
        self.resolving -= 1;
        match &mut out {
            Expr::Call(call) => {
                call.via.get_or_insert(span_of(at));
            }
            Expr::Str(..) | Expr::Num(..) | Expr::Bool(..) | Expr::Obj(..) | Expr::Arr(..) => {
                self.uses.push(super::Use {
                    value: span_of(value),
                    at: span_of(at),
                    name: name.to_owned(),
                });
            }
            _ => {}
        }
        Some(out)
    }

    fn opaque(&self, n: TsNode<'_>) -> Expr {
        Expr::Opaque(span_of(n), self.slice(n).to_owned())
    }

    fn expr(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let span = span_of(n);
        if !self.budget.admit(depth, span) {
            return Expr::Opaque(span, String::new());
        }
        match n.kind() {
            "string" => self.string(n, depth),
            "concatenated_string" => {
                let mut out = String::new();
                let mut cursor = n.walk();
                let parts: Vec<TsNode<'t>> = n.named_children(&mut cursor).collect();
                for part in parts {
                    match self.expr(part, depth + 1) {
                        Expr::Str(_, s) => out.push_str(&s),
                        other => out.push_str(&other.hole(self.text)),
                    }
                }
                Expr::Str(span, out)
            }
            "integer" | "float" => Expr::Num(span, self.slice(n).to_owned()),
            "true" => Expr::Bool(span, true),
            "false" => Expr::Bool(span, false),
            "none" => Expr::Null(span),
            "identifier" => {
                let name = self.slice(n);
                if let Some((_, value)) = self.params.iter().rev().find(|(p, _)| p == name) {
                    return value.clone();
                }
                self.resolve(name, n, depth)
                    .unwrap_or_else(|| self.opaque(n))
            }
            "list_comprehension" => self.comprehension(n, depth),
            "dictionary" => {
                let mut props = Vec::new();
                let mut cursor = n.walk();
                let children: Vec<TsNode<'t>> = n.named_children(&mut cursor).collect();
                for child in children {
                    match child.kind() {
                        "pair" => {
                            let (Some(k), Some(v)) = (
                                child.child_by_field_name("key"),
                                child.child_by_field_name("value"),
                            ) else {
                                continue;
                            };
                            let key = match self.expr(k, depth + 1) {
                                Expr::Str(_, s) | Expr::Num(_, s) => s,
                                other => other.hole(self.text),
                            };
                            let value = self.expr(v, depth + 1);
                            props.push(Prop {
                                key,
                                key_span: span_of(k),
                                value,
                            });
                        }
                        "dictionary_splat" => {
                            match child.named_child(0).map(|c| self.expr(c, depth + 1)) {
                                Some(Expr::Obj(_, more)) => props.extend(more),
                                // Unknown entries: a key that stands for
                                // them, so that what is missing is not taken
                                // as absent.
                                Some(other) => props.push(Prop {
                                    key: format!("{}{}", super::SPREAD, other.hole(self.text)),
                                    key_span: span_of(child),
                                    value: other,
                                }),
                                None => {}
                            }
                        }
                        _ => {}
                    }
                }
                Expr::Obj(span, props)
            }
            "list" | "tuple" => {
                let mut items = Vec::new();
                let mut cursor = n.walk();
                let children: Vec<TsNode<'t>> = n.named_children(&mut cursor).collect();
                for child in children {
                    match child.kind() {
                        "list_splat" => {
                            if let Some(Expr::Arr(_, more)) =
                                child.named_child(0).map(|c| self.expr(c, depth + 1))
                            {
                                items.extend(more);
                            }
                        }
                        "comment" => {}
                        _ => items.push(self.expr(child, depth + 1)),
                    }
                }
                Expr::Arr(span, items)
            }
            "call" => self.call(n, depth),
            "attribute" => {
                let (Some(o), Some(a)) = (
                    n.child_by_field_name("object"),
                    n.child_by_field_name("attribute"),
                ) else {
                    return self.opaque(n);
                };
                let name = self.slice(a).to_owned();
                // `self.x` assigned in a method, `self.X` / `Stack.X` of a
                // class attribute, `module.X` never bound (one lookup).
                if o.kind() == "identifier"
                    && let Some(e) = self.resolve(&compact(self.slice(n)), n, depth)
                {
                    return e;
                }
                let object = self.expr(o, depth + 1);
                Expr::Member(span, Box::new(object), name)
            }
            "subscript" => {
                let object = n
                    .child_by_field_name("value")
                    .map(|o| self.expr(o, depth + 1));
                let index = n
                    .child_by_field_name("subscript")
                    .map(|i| self.expr(i, depth + 1));
                match (object, index) {
                    (Some(Expr::Obj(_, props)), Some(Expr::Str(_, key))) => {
                        match props.iter().rev().find(|p| p.key == key) {
                            Some(p) => p.value.clone(),
                            None => self.opaque(n),
                        }
                    }
                    (Some(Expr::Arr(_, items)), Some(Expr::Num(_, i))) => {
                        match i.parse::<usize>().ok().and_then(|i| items.get(i)) {
                            Some(item) => item.clone(),
                            None => self.opaque(n),
                        }
                    }
                    _ => self.opaque(n),
                }
            }
            "parenthesized_expression" => match n.named_child(0) {
                Some(inner) => self.expr(inner, depth + 1),
                None => self.opaque(n),
            },
            "binary_operator" => {
                let op = n.child_by_field_name("operator").map(|o| self.slice(o));
                let (Some("+"), Some(l), Some(r)) = (
                    op,
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) else {
                    return self.opaque(n);
                };
                let left = self.expr(l, depth + 1);
                let right = self.expr(r, depth + 1);
                let known = |e: &Expr| matches!(e, Expr::Str(..));
                if !known(&left) && !known(&right) {
                    return self.opaque(n);
                }
                let text = |e: &Expr| match e {
                    Expr::Str(_, s) => s.clone(),
                    other => other.hole(self.text),
                };
                Expr::Str(span, text(&left) + &text(&right))
            }
            "lambda" => match n.child_by_field_name("body") {
                Some(body) => Expr::Func(span, Box::new(self.expr(body, depth + 1))),
                None => self.opaque(n),
            },
            _ => self.opaque(n),
        }
    }

    /// `[body for x in KNOWN]` (one `for`, no `if`): the body for each item.
    fn comprehension(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let mut cursor = n.walk();
        let clauses: Vec<TsNode<'t>> = n
            .named_children(&mut cursor)
            .filter(|c| c.kind() != "comment")
            .collect();
        let (Some(body), [clause]) = (n.child_by_field_name("body"), &clauses[1..]) else {
            return self.opaque(n);
        };
        let (Some(left), Some(right)) = (
            clause.child_by_field_name("left"),
            clause.child_by_field_name("right"),
        ) else {
            return self.opaque(n);
        };
        if clause.kind() != "for_in_clause" || left.kind() != "identifier" {
            return self.opaque(n);
        }
        let Expr::Arr(_, items) = self.expr(right, depth + 1) else {
            return self.opaque(n);
        };
        let name = self.slice(left).to_owned();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            self.params.push((name.clone(), item));
            out.push(self.expr(body, depth + 1));
            self.params.pop();
        }
        Expr::Arr(span_of(n), out)
    }

    /// A string literal, with f-string interpolations filled in when known.
    fn string(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let span = span_of(n);
        let raw = self.slice(n);
        let prefix: String = raw
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let is_raw = prefix.contains('r');
        let mut out = String::new();
        let mut cursor = n.walk();
        let children: Vec<TsNode<'t>> = n.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "string_content" => {
                    // Escapes may be children of the content.
                    let text = self.slice(child);
                    if is_raw {
                        out.push_str(text);
                    } else {
                        out.push_str(&super::unescape(text));
                    }
                }
                "escape_sequence" => out.push_str(&super::unescape(self.slice(child))),
                "interpolation" => {
                    let inner = child
                        .child_by_field_name("expression")
                        .or_else(|| child.named_child(0));
                    match inner.map(|i| self.expr(i, depth + 1)) {
                        Some(Expr::Str(_, s)) | Some(Expr::Num(_, s)) => out.push_str(&s),
                        Some(other) => out.push_str(&other.hole(self.text)),
                        None => out.push_str("${}"),
                    }
                }
                _ => {}
            }
        }
        Expr::Str(span, out)
    }

    fn call(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let span = span_of(n);
        let Some(callee) = n.child_by_field_name("function") else {
            return self.opaque(n);
        };
        let path = compact(self.slice(callee))
            .split('.')
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let receiver = match callee.kind() {
            "attribute" => callee
                .child_by_field_name("object")
                .map(|o| self.expr(o, depth + 1)),
            _ => None,
        };
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        if let Some(a) = n.child_by_field_name("arguments") {
            let mut cursor = a.walk();
            let list: Vec<TsNode<'t>> = a.named_children(&mut cursor).collect();
            for arg in list {
                match arg.kind() {
                    "keyword_argument" => {
                        let (Some(k), Some(v)) = (
                            arg.child_by_field_name("name"),
                            arg.child_by_field_name("value"),
                        ) else {
                            continue;
                        };
                        let value = self.expr(v, depth + 1);
                        kwargs.push(Prop {
                            key: self.slice(k).to_owned(),
                            key_span: span_of(k),
                            value,
                        });
                    }
                    "dictionary_splat" => {
                        if let Some(Expr::Obj(_, more)) =
                            arg.named_child(0).map(|c| self.expr(c, depth + 1))
                        {
                            kwargs.extend(more);
                        }
                    }
                    "comment" => {}
                    _ => args.push(self.expr(arg, depth + 1)),
                }
            }
        }
        // `dict(a=1)` is an object.
        if path.len() == 1 && path[0] == "dict" && args.is_empty() {
            return Expr::Obj(span, kwargs);
        }
        Expr::Call(Box::new(CallExpr {
            span,
            head: span_of(callee),
            path,
            receiver,
            args,
            kwargs,
            via: None,
        }))
    }
}
