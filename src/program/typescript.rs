//! TypeScript and JavaScript programs, read with tree-sitter-typescript.

use super::emit::Emitter;
use super::{Budget, CallExpr, Expr, Parsed, Prop, span_of};
use crate::syntax::{Limits, ParseError, Span};
use std::collections::HashMap;
use tree_sitter::Node as TsNode;

pub fn parse(text: &str, _limits: &Limits) -> Result<Parsed, ParseError> {
    let mut tree = super::run_parser(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(), text)?;
    if tree.root_node().has_error() {
        // JavaScript with JSX, or TSX: the other grammar may read it whole.
        if let Ok(tsx) = super::run_parser(tree_sitter_typescript::LANGUAGE_TSX.into(), text)
            && !tsx.root_node().has_error()
        {
            tree = tsx;
        }
    }
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
        "variable_declarator" => {
            if let (Some(name), Some(value)) = (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ) && name.kind() == "identifier"
            {
                lower.bind(lower.slice(name).to_owned(), value);
            }
        }
        "assignment_expression" => {
            if let (Some(left), Some(right)) = (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ) && matches!(left.kind(), "identifier" | "member_expression")
            {
                let name = compact(lower.slice(left));
                lower.bind(name, right);
            }
        }
        "public_field_definition" => {
            // A class field: `this.x`, and `Class.x` for static ones.
            if let (Some(name), Some(value)) = (
                n.child_by_field_name("name"),
                n.child_by_field_name("value"),
            ) {
                let name = lower.slice(name).to_owned();
                let class = n
                    .parent()
                    .and_then(|b| b.parent())
                    .and_then(|c| c.child_by_field_name("name"));
                if let Some(class) = class {
                    let class = lower.slice(class).to_owned();
                    lower.bind(format!("{class}.{name}"), value);
                }
                lower.bind(format!("this.{name}"), value);
            }
        }
        "new_expression" | "call_expression" => calls.push(n),
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

/// Visits every node in post-order (children first, in source order),
/// without recursion.
pub(crate) fn walk<'t>(root: TsNode<'t>, mut visit: impl FnMut(TsNode<'t>)) {
    let mut cursor = root.walk();
    loop {
        // Down to the first leaf.
        while cursor.goto_first_child() {}
        loop {
            visit(cursor.node());
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            // The parent after all its children; then its next sibling.
        }
    }
}

/// The last name of the callee of a call or `new`.
fn callee_name<'t>(call: TsNode<'_>, text: &'t str) -> &'t str {
    let callee = call
        .child_by_field_name("function")
        .or_else(|| call.child_by_field_name("constructor"));
    let Some(callee) = callee else { return "" };
    let named = match callee.kind() {
        "member_expression" => callee.child_by_field_name("property"),
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
    /// Parameters bound while a callback is read for each item of a known
    /// array (`REPOS.map((r) => ...)`).
    params: Vec<(String, Expr)>,
}

impl<'t> Lower<'t> {
    fn slice(&self, n: TsNode<'_>) -> &'t str {
        self.text.get(n.byte_range()).unwrap_or("")
    }

    fn bind(&mut self, name: String, value: TsNode<'t>) {
        self.bindings.entry(name).or_default().push(value);
    }

    /// The binding of `name` in effect at `at`: the last one written before
    /// it, else the first.
    fn binding(&self, name: &str, at: usize) -> Option<TsNode<'t>> {
        let list = self.bindings.get(name)?;
        list.iter()
            .rev()
            .find(|n| n.start_byte() < at)
            .or_else(|| list.first())
            .copied()
    }

    fn resolve(&mut self, name: &str, at: TsNode<'_>, depth: usize) -> Option<Expr> {
        if self.resolving >= super::MAX_RESOLVE {
            return None;
        }
        let value = self.binding(name, at.start_byte())?;
        // A binding that contains the use (`x = x + 1`) is not followed.
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
            "string" => Expr::Str(span, string_value(self.slice(n))),
            "template_string" => self.template(n, depth),
            "number" => Expr::Num(span, self.slice(n).to_owned()),
            "true" => Expr::Bool(span, true),
            "false" => Expr::Bool(span, false),
            "null" | "undefined" => Expr::Null(span),
            "identifier" => {
                let name = self.slice(n);
                if let Some((_, value)) = self.params.iter().rev().find(|(p, _)| p == name) {
                    return value.clone();
                }
                self.resolve(name, n, depth)
                    .unwrap_or_else(|| self.opaque(n))
            }
            "object" => self.object(n, depth),
            "array" => {
                let mut items = Vec::new();
                let mut cursor = n.walk();
                for child in n.named_children(&mut cursor) {
                    if child.kind() == "spread_element" {
                        match child.named_child(0).map(|c| self.expr(c, depth + 1)) {
                            Some(Expr::Arr(_, more)) => items.extend(more),
                            Some(other) => items.push(other),
                            None => {}
                        }
                    } else if child.kind() != "comment" {
                        items.push(self.expr(child, depth + 1));
                    }
                }
                Expr::Arr(span, items)
            }
            "new_expression" | "call_expression" => self.call(n, depth),
            "member_expression" => self.member(n, depth),
            "subscript_expression" => {
                let object = n
                    .child_by_field_name("object")
                    .map(|o| self.expr(o, depth + 1));
                let index = n
                    .child_by_field_name("index")
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
            "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion"
            | "await_expression" => {
                let mut cursor = n.walk();
                let inner = n
                    .named_children(&mut cursor)
                    .find(|c| !c.kind().starts_with("type") && c.kind() != "comment");
                match inner {
                    Some(inner) => {
                        let mut e = self.expr(inner, depth + 1);
                        // A literal keeps its own span; a composite the whole.
                        if let Expr::Obj(s, _) | Expr::Arr(s, _) = &mut e {
                            *s = span;
                        }
                        e
                    }
                    None => self.opaque(n),
                }
            }
            "binary_expression" => self.concat(n, depth),
            "arrow_function" | "function_expression" | "function" => {
                match n.child_by_field_name("body") {
                    Some(body) if body.kind() == "statement_block" => match returned(body) {
                        Some(r) => Expr::Func(span, Box::new(self.expr(r, depth + 1))),
                        None => self.opaque(n),
                    },
                    Some(body) => Expr::Func(span, Box::new(self.expr(body, depth + 1))),
                    None => self.opaque(n),
                }
            }
            _ => self.opaque(n),
        }
    }

    fn template(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let span = span_of(n);
        let (start, end) = (n.start_byte() + 1, n.end_byte().saturating_sub(1));
        let mut out = String::new();
        let mut at = start;
        let mut cursor = n.walk();
        let subs: Vec<TsNode<'t>> = n
            .named_children(&mut cursor)
            .filter(|c| c.kind() == "template_substitution")
            .collect();
        for sub in subs {
            out.push_str(&super::unescape(
                self.text.get(at..sub.start_byte()).unwrap_or(""),
            ));
            let inner = sub.named_child(0);
            match inner.map(|i| self.expr(i, depth + 1)) {
                Some(Expr::Str(_, s)) | Some(Expr::Num(_, s)) => out.push_str(&s),
                Some(other) => out.push_str(&other.hole(self.text)),
                None => out.push_str("${}"),
            }
            at = sub.end_byte();
        }
        out.push_str(&super::unescape(
            self.text.get(at..end.max(at)).unwrap_or(""),
        ));
        Expr::Str(span, out)
    }

    /// `a + b` of strings; anything else is opaque.
    fn concat(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
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
        let text = |e: &Expr, me: &Self| match e {
            Expr::Str(_, s) | Expr::Num(_, s) => (s.clone(), true),
            other => (other.hole(me.text), false),
        };
        let (lt, lk) = text(&left, self);
        let (rt, rk) = text(&right, self);
        if !lk && !rk {
            return self.opaque(n);
        }
        Expr::Str(span_of(n), lt + &rt)
    }

    fn object(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
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
                    let key = match k.kind() {
                        "string" => string_value(self.slice(k)),
                        "computed_property_name" => {
                            match k.named_child(0).map(|e| self.expr(e, depth + 1)) {
                                Some(Expr::Str(_, s)) | Some(Expr::Num(_, s)) => s,
                                Some(other) => other.hole(self.text),
                                None => String::new(),
                            }
                        }
                        _ => self.slice(k).to_owned(),
                    };
                    let value = self.expr(v, depth + 1);
                    props.push(Prop {
                        key,
                        key_span: span_of(k),
                        value,
                    });
                }
                "shorthand_property_identifier" => {
                    let name = self.slice(child).to_owned();
                    let value = self
                        .resolve(&name, child, depth)
                        .unwrap_or_else(|| self.opaque(child));
                    props.push(Prop {
                        key: name,
                        key_span: span_of(child),
                        value,
                    });
                }
                "spread_element" => match child.named_child(0).map(|c| self.expr(c, depth + 1)) {
                    Some(Expr::Obj(_, more)) => props.extend(more),
                    // Unknown entries: a key that stands for them, so that
                    // what is missing is not taken as absent.
                    Some(other) => props.push(Prop {
                        key: format!("{}{}", super::SPREAD, other.hole(self.text)),
                        key_span: span_of(child),
                        value: other,
                    }),
                    None => {}
                },
                _ => {}
            }
        }
        Expr::Obj(span_of(n), props)
    }

    fn member(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let (Some(o), Some(p)) = (
            n.child_by_field_name("object"),
            n.child_by_field_name("property"),
        ) else {
            return self.opaque(n);
        };
        let name = self.slice(p).to_owned();
        // `this.role` assigned in the constructor, a class field, a static
        // `Stack.DOMAIN`.
        if matches!(o.kind(), "this" | "identifier")
            && let Some(e) = self.resolve(&compact(self.slice(n)), n, depth)
        {
            return e;
        }
        let object = self.expr(o, depth + 1);
        if let Expr::Obj(_, props) = &object
            && let Some(p) = props.iter().rev().find(|p| p.key == name)
        {
            return p.value.clone();
        }
        Expr::Member(span_of(n), Box::new(object), name)
    }

    fn call(&mut self, n: TsNode<'t>, depth: usize) -> Expr {
        let span = span_of(n);
        let callee = n
            .child_by_field_name("function")
            .or_else(|| n.child_by_field_name("constructor"));
        let Some(callee) = callee else {
            return self.opaque(n);
        };
        let args_node = n.child_by_field_name("arguments");
        // A tagged template: `pulumi.interpolate\`...\``.
        if let Some(a) = args_node.filter(|a| a.kind() == "template_string") {
            return self.template(a, depth);
        }
        let path: Vec<String> = dotted(self.slice(callee));
        let receiver = match callee.kind() {
            "member_expression" => callee
                .child_by_field_name("object")
                .map(|o| self.expr(o, depth + 1)),
            _ => None,
        };
        // `KNOWN.map((x) => body)`: the body for each item.
        if let (Some(Expr::Arr(_, items)), Some(a)) = (&receiver, args_node)
            && path.last().is_some_and(|m| m == "map")
            && let Some((param, body)) = a.named_child(0).and_then(|f| callback(f, self.text))
        {
            let mut out = Vec::with_capacity(items.len());
            for item in items.clone() {
                self.params.push((param.clone(), item));
                out.push(self.expr(body, depth + 1));
                self.params.pop();
            }
            return Expr::Arr(span, out);
        }
        let mut args = Vec::new();
        if let Some(a) = args_node {
            let mut cursor = a.walk();
            let list: Vec<TsNode<'t>> = a.named_children(&mut cursor).collect();
            for arg in list {
                if arg.kind() != "comment" {
                    args.push(self.expr(arg, depth + 1));
                }
            }
        }
        // `new iam.Role` / `iam.Role`: up to the end of the callee.
        let head_end = callee.end_byte();
        Expr::Call(Box::new(CallExpr {
            span,
            head: Span::new(n.start_byte(), head_end),
            path,
            receiver,
            args,
            kwargs: Vec::new(),
            via: None,
        }))
    }
}

/// `codebuild . BuildSpec\n.fromObject` -> `["codebuild", "BuildSpec", "fromObject"]`.
fn dotted(text: &str) -> Vec<String> {
    compact(text)
        .replace("?.", ".")
        .split('.')
        .map(|s| s.split(['<', '(', '!']).next().unwrap_or("").to_owned())
        .collect()
}

/// The one parameter and the returned expression of a callback
/// (`(r) => ...`, `r => ...`, `function (r) { return ...; }`).
fn callback<'t>(f: TsNode<'t>, text: &str) -> Option<(String, TsNode<'t>)> {
    if !matches!(f.kind(), "arrow_function" | "function_expression") {
        return None;
    }
    let param = match f.child_by_field_name("parameter") {
        Some(p) => p,
        None => {
            let params = f.child_by_field_name("parameters")?;
            if params.named_child_count() != 1 {
                return None;
            }
            let p = params.named_child(0)?;
            p.child_by_field_name("pattern").unwrap_or(p)
        }
    };
    if param.kind() != "identifier" {
        return None;
    }
    let body = f.child_by_field_name("body")?;
    let body = if body.kind() == "statement_block" {
        returned(body)?
    } else {
        body
    };
    Some((text.get(param.byte_range())?.to_owned(), body))
}

/// The expression of the first `return` of a function body.
fn returned(body: TsNode<'_>) -> Option<TsNode<'_>> {
    let mut cursor = body.walk();
    let found = body
        .named_children(&mut cursor)
        .find(|c| c.kind() == "return_statement")?;
    found.named_child(0)
}

/// The value of a quoted string literal.
fn string_value(raw: &str) -> String {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    super::unescape(inner)
}
