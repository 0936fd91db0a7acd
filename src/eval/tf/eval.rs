//! Evaluating one expression: literals, templates, references to
//! variables, locals and resources, traversals, `for` and conditionals.

use super::{Ev, Frame, MAX_STEPS, Tv};
use crate::eval::{MAX_ALTERNATIVES, MAX_DEPTH, concat};
use crate::finding::FileId;
use crate::model::value::{Origin, Val, Via};
use crate::syntax::{Node, NodeKind, Span};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};

impl Ev<'_> {
    pub(super) fn lit(&self, text: impl Into<String>, span: Span, file: FileId) -> Val {
        Val {
            text: text.into(),
            span,
            origin: (file != self.reading).then(|| {
                Box::new(Origin {
                    file: Some(file),
                    ..Origin::default()
                })
            }),
        }
    }

    /// An unknown value, named after its expression on one line. It stands
    /// for one value, so wildcard characters of the expression (a splat,
    /// a `"*"` argument) are not kept: they would read as wildcards.
    pub(super) fn hole(&self, what: &str, span: Span, file: FileId) -> Tv {
        let name = what.split_whitespace().collect::<Vec<_>>().join(" ");
        let name = name.replace(['*', '?'], "_");
        Tv::Alts(vec![self.lit(format!("${{{name}}}"), span, file)])
    }

    pub(super) fn exhausted(&self, depth: usize) -> bool {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        depth > MAX_DEPTH || steps > MAX_STEPS
    }

    pub(super) fn node(&self, node: &Node, fr: Frame, depth: usize) -> Tv {
        if self.exhausted(depth) {
            return self.hole("...", node.span, fr.file);
        }
        match &node.kind {
            NodeKind::Null => Tv::Alts(Vec::new()),
            NodeKind::Bool(b) => Tv::Alts(vec![self.lit(b.to_string(), node.span, fr.file)]),
            NodeKind::Number(n) => Tv::Alts(vec![self.lit(n.as_str(), node.span, fr.file)]),
            NodeKind::Str(s) => {
                if !(s.contains("${") || s.contains("%{")) {
                    return Tv::Alts(vec![self.lit(s.as_str(), node.span, fr.file)]);
                }
                // A quoted template spans its quotes; a heredoc its body.
                let quoted = s.len() + 2 == node.span.len();
                let parsed = if quoted {
                    hcl_edit::parser::parse_expr(&format!("\"{s}\""))
                        .ok()
                        .and_then(|e| match e {
                            Expression::StringTemplate(t) => Some((*t).clone()),
                            _ => None,
                        })
                } else {
                    hcl_edit::parser::parse_template(s).ok()
                };
                match parsed {
                    Some(t) => {
                        let vals = self.template(&t, node.span.start, node.span, fr, depth);
                        Tv::Alts(vals)
                    }
                    None => Tv::Alts(vec![self.lit(s.as_str(), node.span, fr.file)]),
                }
            }
            NodeKind::Seq(items) => {
                Tv::List(items.iter().map(|i| self.node(i, fr, depth + 1)).collect())
            }
            NodeKind::Map(entries) => Tv::Obj(
                entries
                    .iter()
                    .map(|e| (e.key.text.to_string(), self.node(&e.value, fr, depth + 1)))
                    .collect(),
            ),
            NodeKind::Block(_) => Tv::Alts(Vec::new()),
            NodeKind::Call(_) | NodeKind::Expr(_) => {
                let raw = match &node.kind {
                    NodeKind::Expr(raw) => Some(raw.to_string()),
                    _ => None,
                };
                // Calls are kept as nodes by the parser; the source text is
                // not at hand here, so they are evaluated from their parts.
                if let NodeKind::Call(call) = &node.kind {
                    let args: Vec<Tv> = call
                        .args
                        .iter()
                        .map(|a| self.node(a, fr, depth + 1))
                        .collect();
                    return self.call(&call.name, args, node.span, fr);
                }
                let raw = raw.unwrap_or_default();
                match hcl_edit::parser::parse_expr(&raw) {
                    Ok(expr) => self.expr(&expr, node.span.start, fr, depth + 1),
                    Err(_) => self.hole(&raw, node.span, fr.file),
                }
            }
        }
    }

    pub(super) fn span_of(
        &self,
        range: Option<std::ops::Range<usize>>,
        base: u32,
        fallback: Span,
    ) -> Span {
        range.map_or(fallback, |r| {
            Span::new(base as usize + r.start, base as usize + r.end)
        })
    }

    pub(super) fn expr(&self, expr: &Expression, base: u32, fr: Frame, depth: usize) -> Tv {
        let span = self.span_of(expr.span(), base, Span::new(base as usize, base as usize));
        if self.exhausted(depth) {
            return self.hole("...", span, fr.file);
        }
        match expr {
            Expression::Null(_) => Tv::Alts(Vec::new()),
            Expression::Bool(b) => Tv::Alts(vec![self.lit(b.value().to_string(), span, fr.file)]),
            Expression::Number(n) => Tv::Alts(vec![self.lit(n.value().to_string(), span, fr.file)]),
            Expression::String(s) => Tv::Alts(vec![self.lit(s.value().as_str(), span, fr.file)]),
            Expression::Array(items) => Tv::List(
                items
                    .iter()
                    .map(|e| self.expr(e, base, fr, depth + 1))
                    .collect(),
            ),
            Expression::Object(object) => Tv::Obj(
                object
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => i.as_str().to_owned(),
                            ObjectKey::Expression(e) => self
                                .expr(e, base, fr, depth + 1)
                                .scalars()
                                .first()
                                .map(|v| v.text.clone())
                                .unwrap_or_default(),
                        };
                        (key, self.expr(v.expr(), base, fr, depth + 1))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(t) => Tv::Alts(self.template(t, base, span, fr, depth)),
            Expression::HeredocTemplate(h) => {
                Tv::Alts(self.template(&h.template, base, span, fr, depth))
            }
            Expression::Parenthesis(p) => self.expr(p.inner(), base, fr, depth + 1),
            Expression::Variable(v) => self.bound_or_hole(v.as_str(), span, fr),
            Expression::Conditional(c) => match self.decide(&c.cond_expr, base, fr, depth + 1) {
                // A condition decided by known values takes its branch: the
                // other one, evaluated with the same values, never happens
                // (`var.slug != "" ? "/${var.slug}" : ""` with slug "").
                Some(true) => self.expr(&c.true_expr, base, fr, depth + 1),
                Some(false) => self.expr(&c.false_expr, base, fr, depth + 1),
                None => {
                    let a = self.expr(&c.true_expr, base, fr, depth + 1);
                    let b = self.expr(&c.false_expr, base, fr, depth + 1);
                    a.union(b)
                }
            },
            Expression::FuncCall(call) => {
                let args: Vec<Tv> = call
                    .args
                    .iter()
                    .map(|a| self.expr(a, base, fr, depth + 1))
                    .collect();
                self.call(call.name.name.as_str(), args, span, fr)
            }
            Expression::Traversal(t) => self.traversal(t, &expr.to_string(), base, span, fr, depth),
            Expression::ForExpr(f) => {
                let collection = self.expr(&f.intro.collection_expr, base, fr, depth + 1);
                let Some(items) = collection.items() else {
                    return self.hole(&expr.to_string(), span, fr.file);
                };
                let mut out = Vec::new();
                for (i, item) in items.into_iter().enumerate().take(MAX_ALTERNATIVES) {
                    let mut bound = vec![(f.intro.value_var.as_str().to_owned(), item)];
                    if let Some(k) = &f.intro.key_var {
                        bound.push((
                            k.as_str().to_owned(),
                            Tv::Alts(vec![self.lit(i.to_string(), span, fr.file)]),
                        ));
                    }
                    let n = bound.len();
                    self.bound.borrow_mut().extend(bound);
                    out.push(self.expr(&f.value_expr, base, fr, depth + 1));
                    let mut b = self.bound.borrow_mut();
                    let keep = b.len().saturating_sub(n);
                    b.truncate(keep);
                }
                Tv::List(out)
            }
            Expression::UnaryOp(_) | Expression::BinaryOp(_) => {
                self.hole(&expr.to_string(), span, fr.file)
            }
        }
    }

    /// The value of a condition whose operands are all known (literals,
    /// defaults, null), `None` when any is not: then both branches apply.
    fn decide(&self, cond: &Expression, base: u32, fr: Frame, depth: usize) -> Option<bool> {
        use hcl_edit::expr::{BinaryOperator as B, UnaryOperator as U};
        if depth > MAX_DEPTH {
            return None;
        }
        match cond {
            Expression::Parenthesis(p) => self.decide(p.inner(), base, fr, depth + 1),
            Expression::UnaryOp(op) if *op.operator.value() == U::Not => {
                self.decide(&op.expr, base, fr, depth + 1).map(|b| !b)
            }
            Expression::BinaryOp(op) => {
                let (lhs, rhs) = (&op.lhs_expr, &op.rhs_expr);
                match op.operator.value() {
                    B::And | B::Or => {
                        let absorbing = *op.operator.value() == B::Or;
                        let l = self.decide(lhs, base, fr, depth + 1);
                        let r = self.decide(rhs, base, fr, depth + 1);
                        match (l, r) {
                            (Some(a), _) | (_, Some(a)) if a == absorbing => Some(absorbing),
                            (Some(_), Some(_)) => Some(!absorbing),
                            _ => None,
                        }
                    }
                    B::Eq | B::NotEq => {
                        let l = self.known(lhs, base, fr, depth + 1)?;
                        let r = self.known(rhs, base, fr, depth + 1)?;
                        Some((l == r) == (*op.operator.value() == B::Eq))
                    }
                    _ => None,
                }
            }
            other => match self.known(other, base, fr, depth + 1)?.as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
        }
    }

    /// A scalar known for certain: `Some(None)` for null, `Some(Some(text))`
    /// for one value without holes, `None` otherwise.
    fn known(
        &self,
        expr: &Expression,
        base: u32,
        fr: Frame,
        depth: usize,
    ) -> Option<Option<String>> {
        match self.expr(expr, base, fr, depth) {
            Tv::Alts(v) if v.is_empty() => Some(None),
            Tv::Alts(v) => match v.as_slice() {
                [one] if !one.is_dynamic() => Some(Some(one.text.clone())),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn bound_or_hole(&self, name: &str, span: Span, fr: Frame) -> Tv {
        if let Some((_, tv)) = self.bound.borrow().iter().rev().find(|(n, _)| n == name) {
            return tv.clone();
        }
        if let Some((_, collection)) = self.loops.iter().find(|(n, _)| n == name) {
            let key = (usize::MAX, format!("loop.{name}"));
            if !self.active.borrow().contains(&key)
                && let Ok(expr) = hcl_edit::parser::parse_expr(collection)
            {
                self.active.borrow_mut().push(key);
                let items = self.expr(&expr, span.start, fr, 1).items();
                self.active.borrow_mut().pop();
                if let Some(items) = items {
                    let choice = items.into_iter().take(MAX_ALTERNATIVES).reduce(Tv::union);
                    if let Some(choice) = choice {
                        return choice;
                    }
                }
            }
        }
        if let Some(vars) = self.vars {
            let mut out: Option<Tv> = None;
            for b in vars {
                let Some(node) = b.node.get(name) else {
                    continue;
                };
                let tv = self.node(
                    node,
                    Frame {
                        module: b.module,
                        file: b.file,
                    },
                    1,
                );
                let tv = annotate(
                    tv,
                    &format!("templatefile var {name}"),
                    Via {
                        file: Some(fr.file),
                        span,
                        label: format!("template var {name} used here"),
                    },
                );
                out = Some(match out {
                    Some(o) => o.union(tv),
                    None => tv,
                });
            }
            if let Some(out) = out {
                return out;
            }
        }
        self.hole(name, span, fr.file)
    }

    pub(super) fn template(
        &self,
        template: &Template,
        base: u32,
        whole: Span,
        fr: Frame,
        depth: usize,
    ) -> Vec<Val> {
        let mut parts: Vec<Vec<Val>> = Vec::new();
        self.elements(template, base, whole, fr, depth, &mut parts);
        concat(&parts, self.lit("", whole, fr.file))
    }

    pub(super) fn elements(
        &self,
        template: &Template,
        base: u32,
        whole: Span,
        fr: Frame,
        depth: usize,
        parts: &mut Vec<Vec<Val>>,
    ) {
        for element in template.iter() {
            if parts.len() > 256 {
                return;
            }
            match element {
                Element::Literal(s) => {
                    let span = self.span_of(s.span(), base, whole);
                    parts.push(vec![self.lit(s.as_str(), span, fr.file)]);
                }
                Element::Interpolation(i) => {
                    let mut v = self.expr(&i.expr, base, fr, depth + 1).scalars();
                    if v.is_empty() {
                        v.push(self.lit("", whole, fr.file));
                    }
                    parts.push(v);
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        let mut a = Vec::new();
                        self.elements(&d.if_expr.template, base, whole, fr, depth + 1, &mut a);
                        let mut b = Vec::new();
                        if let Some(e) = &d.else_expr {
                            self.elements(&e.template, base, whole, fr, depth + 1, &mut b);
                        }
                        let mut either = concat(&a, self.lit("", whole, fr.file));
                        for v in concat(&b, self.lit("", whole, fr.file)) {
                            if !either.contains(&v) {
                                either.push(v);
                            }
                        }
                        parts.push(either);
                    }
                    Directive::For(d) => {
                        let e = &d.for_expr;
                        let collection = self.expr(&e.collection_expr, base, fr, depth + 1);
                        let Some(items) = collection.items() else {
                            parts.push(vec![self.lit("${for}", whole, fr.file)]);
                            continue;
                        };
                        for item in items.into_iter().take(MAX_ALTERNATIVES) {
                            self.bound
                                .borrow_mut()
                                .push((e.value_var.as_str().to_owned(), item));
                            self.elements(&e.template, base, whole, fr, depth + 1, parts);
                            self.bound.borrow_mut().pop();
                        }
                    }
                },
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn traversal(
        &self,
        t: &hcl_edit::expr::Traversal,
        raw: &str,
        base: u32,
        span: Span,
        fr: Frame,
        depth: usize,
    ) -> Tv {
        let raw = raw.trim();
        let Expression::Variable(root) = &t.expr else {
            let value = self.expr(&t.expr, base, fr, depth + 1);
            return self.apply(value, &t.operators, base, span, fr, depth);
        };
        let root = root.as_str();
        let attrs: Vec<&str> = t
            .operators
            .iter()
            .map_while(|op| match op.value() {
                TraversalOperator::GetAttr(i) => Some(i.as_str()),
                _ => None,
            })
            .collect();
        let module = &self.ws.modules[fr.module];
        let (value, used) = match (root, attrs.as_slice()) {
            ("var", [name, ..]) => (self.var(name, span, fr, depth), 1),
            ("local", [name, ..]) => (self.local(name, span, fr, depth), 1),
            ("path", ["module" | "root" | "cwd", ..]) => (
                Tv::Alts(vec![self.lit(
                    if module.dir.as_os_str().is_empty() {
                        ".".into()
                    } else {
                        module.dir.to_string_lossy()
                    },
                    span,
                    fr.file,
                )]),
                1,
            ),
            ("data", [ty, name, attr, ..]) => (
                self.attribute(&format!("data.{ty}.{name}"), ty, attr, span, fr, depth, raw),
                3,
            ),
            ("each", [which @ ("key" | "value"), ..]) if self.each.is_some() => {
                let items = match (self.each, *which) {
                    (Some(e), "key") => &e.keys,
                    (Some(e), _) => &e.values,
                    (None, _) => return self.hole(raw, span, fr.file),
                };
                let mut out: Option<Tv> = None;
                for item in items.iter().take(MAX_ALTERNATIVES) {
                    let v = self.apply(item.clone(), &t.operators[1..], base, span, fr, depth);
                    out = Some(match out {
                        Some(o) => o.union(v),
                        None => v,
                    });
                }
                return out.unwrap_or_else(|| self.hole(raw, span, fr.file));
            }
            ("module" | "each" | "count" | "self" | "terraform" | "data" | "var" | "local", _) => {
                return self.hole(raw, span, fr.file);
            }
            (ty, [name, attr, ..]) if ty.contains('_') => (
                self.attribute(&format!("{ty}.{name}"), ty, attr, span, fr, depth, raw),
                2,
            ),
            _ => {
                let value = self.bound_or_hole(root, span, fr);
                return self.apply(value, &t.operators, base, span, fr, depth);
            }
        };
        self.apply(value, &t.operators[used..], base, span, fr, depth)
    }

    /// Attribute and index operators applied to an evaluated value.
    pub(super) fn apply(
        &self,
        mut value: Tv,
        operators: &[hcl_edit::Decorated<TraversalOperator>],
        base: u32,
        span: Span,
        fr: Frame,
        depth: usize,
    ) -> Tv {
        for op in operators {
            value = match (op.value(), value) {
                (TraversalOperator::GetAttr(name), Tv::Obj(entries)) => {
                    match entries.into_iter().find(|(k, _)| k == name.as_str()) {
                        Some((_, v)) => v,
                        None => return self.hole(name.as_str(), span, fr.file),
                    }
                }
                (TraversalOperator::Index(e), v) => {
                    let key = self.expr(e, base, fr, depth + 1).scalars();
                    let [key] = key.as_slice() else {
                        return self.hole("[...]", span, fr.file);
                    };
                    match v {
                        Tv::List(items) => match key.text.parse::<usize>() {
                            Ok(i) => match items.into_iter().nth(i) {
                                Some(v) => v,
                                None => return self.hole("[...]", span, fr.file),
                            },
                            Err(_) => return self.hole("[...]", span, fr.file),
                        },
                        Tv::Obj(entries) => {
                            match entries.into_iter().find(|(k, _)| *k == key.text) {
                                Some((_, v)) => v,
                                None => return self.hole("[...]", span, fr.file),
                            }
                        }
                        Tv::Alts(_) => return self.hole("[...]", span, fr.file),
                    }
                }
                (TraversalOperator::LegacyIndex(i), Tv::List(items)) => {
                    match usize::try_from(*i.value())
                        .ok()
                        .and_then(|i| items.into_iter().nth(i))
                    {
                        Some(v) => v,
                        None => return self.hole("[...]", span, fr.file),
                    }
                }
                _ => return self.hole("...", span, fr.file),
            };
        }
        value
    }

    pub(super) fn var(&self, name: &str, used: Span, fr: Frame, depth: usize) -> Tv {
        let module = &self.ws.modules[fr.module];
        let Some(bindings) = module.vars.get(name) else {
            return self.hole(&format!("var.{name}"), used, fr.file);
        };
        let key = (fr.module, format!("var.{name}"));
        if self.active.borrow().contains(&key) {
            return self.hole(&format!("var.{name}"), used, fr.file);
        }
        let memo = self.memo.borrow().get(&key).cloned();
        if let Some(tv) = memo {
            return annotate_use(tv, used, fr, format!("variable {name} used here"));
        }
        self.active.borrow_mut().push(key.clone());
        let mut out: Option<Tv> = None;
        for b in bindings {
            let tv = self.node(
                &b.node,
                Frame {
                    module: b.module,
                    file: b.file,
                },
                depth + 1,
            );
            let tv = name_origin(tv, &b.note);
            out = Some(match out {
                Some(o) => o.union(tv),
                None => tv,
            });
        }
        self.active.borrow_mut().pop();
        let Some(out) = out.filter(|o| !o.too_big()) else {
            return self.hole(&format!("var.{name}"), used, fr.file);
        };
        if self.bound.borrow().is_empty() {
            self.memo.borrow_mut().insert(key, out.clone());
        }
        annotate_use(out, used, fr, format!("variable {name} used here"))
    }

    pub(super) fn local(&self, name: &str, used: Span, fr: Frame, depth: usize) -> Tv {
        let module = &self.ws.modules[fr.module];
        let Some(b) = module.locals.get(name) else {
            return self.hole(&format!("local.{name}"), used, fr.file);
        };
        let key = (fr.module, format!("local.{name}"));
        if self.active.borrow().contains(&key) {
            return self.hole(&format!("local.{name}"), used, fr.file);
        }
        let memo = self.memo.borrow().get(&key).cloned();
        if let Some(tv) = memo {
            return annotate_use(tv, used, fr, format!("local.{name} used here"));
        }
        self.active.borrow_mut().push(key.clone());
        let tv = self.node(
            &b.node,
            Frame {
                module: b.module,
                file: b.file,
            },
            depth + 1,
        );
        self.active.borrow_mut().pop();
        let tv = name_origin(tv, &b.note);
        if tv.too_big() {
            return self.hole(&format!("local.{name}"), used, fr.file);
        }
        if self.bound.borrow().is_empty() {
            self.memo.borrow_mut().insert(key, tv.clone());
        }
        annotate_use(tv, used, fr, format!("local.{name} used here"))
    }

    /// An argument of a resource or data source of the module. An OIDC
    /// provider's `url` reads without its scheme, as the AWS provider
    /// returns it; a data source's `arn` is built from its `url`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attribute(
        &self,
        address: &str,
        ty: &str,
        attr: &str,
        used: Span,
        fr: Frame,
        depth: usize,
        raw: &str,
    ) -> Tv {
        let module = &self.ws.modules[fr.module];
        let Some(b) = module.resources.get(address) else {
            return self.hole(raw, used, fr.file);
        };
        let provider = ty == "aws_iam_openid_connect_provider";
        let from = Frame {
            module: b.module,
            file: b.file,
        };
        let url = || {
            b.node.get("url").map(|n| {
                self.node(n, from, depth + 1).map_vals(&mut |mut v| {
                    for scheme in ["https://", "http://"] {
                        if let Some(rest) = v.text.strip_prefix(scheme) {
                            v.text = rest.to_owned();
                        }
                    }
                    v
                })
            })
        };
        let value = match attr {
            "url" if provider => url(),
            "arn" if provider && address.starts_with("data.") && b.node.get("arn").is_some() => {
                b.node.get("arn").map(|n| self.node(n, from, depth + 1))
            }
            "arn" if provider && address.starts_with("data.") => url().map(|u| {
                u.map_vals(&mut |mut v| {
                    v.text = format!(
                        "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:oidc-provider/{}",
                        v.text
                    );
                    v
                })
            }),
            "arn" | "id" | "name" if provider => None,
            _ => b.node.get(attr).map(|n| self.node(n, from, depth + 1)),
        };
        match value {
            Some(v) => annotate(
                v,
                "",
                Via {
                    file: Some(fr.file),
                    span: used,
                    label: format!("{address}.{attr} used here"),
                },
            ),
            None => self.hole(raw, used, fr.file),
        }
    }
}

/// Names the origin of every value of `tv` that has none named yet.
pub(super) fn name_origin(tv: Tv, note: &str) -> Tv {
    tv.map_vals(&mut |mut v| {
        let origin = v.origin.get_or_insert_with(Box::default);
        if origin.note.is_empty() {
            origin.note = note.to_owned();
        }
        v
    })
}

/// Adds the use of a reference to the front of every value's chain.
pub(super) fn annotate_use(tv: Tv, used: Span, fr: Frame, label: String) -> Tv {
    annotate(
        tv,
        "",
        Via {
            file: Some(fr.file),
            span: used,
            label,
        },
    )
}

/// Marks every value of `tv` as reached through `via`, and names its origin
/// `note` unless a deeper step named it already.
pub(super) fn annotate(tv: Tv, note: &str, via: Via) -> Tv {
    tv.map_vals(&mut |mut v| {
        let origin = v.origin.get_or_insert_with(Box::default);
        if origin.note.is_empty() {
            origin.note = note.to_owned();
        }
        origin.via.insert(0, via.clone());
        v
    })
}
