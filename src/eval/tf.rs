//! Terraform evaluation. All `.tf` files of one directory are one module:
//! its `variable` defaults, `terraform.tfvars` / `*.auto.tfvars` entries
//! (which replace the default; other `*.tfvars` files are possible values
//! beside it), `locals`, arguments of its resources and data sources
//! (`aws_iam_openid_connect_provider.X.url`), the inputs of local module
//! calls (`source = "./..."`), and the vars of `templatefile()` calls for the
//! templates they reach. Functions: `format`, `formatlist`, `replace` (with
//! `/regex/`), `trimprefix`, `trimsuffix`, `lower`, `upper`, `trimspace`,
//! `chomp`, `split`, `join`, `concat`, `tolist`, `toset`, `flatten`,
//! `distinct`, `compact`, `sort`, `reverse`, `coalesce`, `coalescelist`,
//! `try`, `merge`, `element`, `lookup`, `jsonencode` (of a string or list);
//! `for` expressions, conditionals (every branch possible) and `for_each`
//! (`each.key` / `each.value` any item). Anything else is a hole.

use super::{MAX_ALTERNATIVES, MAX_DEPTH, concat};
use crate::finding::FileId;
use crate::model::value::{Origin, Val, Via};
use crate::report::Notice;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Key, Node, NodeKind, Span, Syntax};
use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// Evaluation steps one value may take, whatever its shape.
const MAX_STEPS: usize = 20_000;
/// Larger tfvars files are not evaluated.
pub const MAX_TFVARS_BYTES: usize = 256 * 1024;

/// Every Terraform module of a scan.
#[derive(Debug, Default)]
pub struct Workspace {
    modules: Vec<Module>,
}

/// One directory of `.tf` files.
#[derive(Debug, Default)]
struct Module {
    dir: PathBuf,
    vars: HashMap<String, Vec<Binding>>,
    locals: HashMap<String, Binding>,
    /// `aws_x.name` and `data.aws_x.name`: the block.
    resources: HashMap<String, Binding>,
    /// Module calls whose code is in the scan (local or downloaded).
    calls_on_disk: std::collections::HashSet<String>,
}

/// An expression written somewhere, to evaluate in a module.
#[derive(Debug, Clone)]
struct Binding {
    module: usize,
    file: FileId,
    node: Node,
    /// What it is, for messages: "default of variable repo".
    note: String,
}

/// What one file's values are evaluated against.
#[derive(Debug, Clone)]
pub struct Scope {
    ws: Arc<Workspace>,
    module: usize,
    reading: FileId,
    /// For a template reached by `templatefile()`: each call's vars object.
    vars: Option<Arc<Vec<Binding>>>,
    /// A template's `%{ for X in EXPR }` loops: X is any item of EXPR.
    loops: Arc<Vec<(String, String)>>,
    /// Inside a resource with `for_each`: its items, for `each.key` and
    /// `each.value` (any of them).
    each: Option<Arc<Each>>,
}

/// The items of a `for_each`.
#[derive(Debug, Default)]
pub struct Each {
    keys: Vec<Tv>,
    values: Vec<Tv>,
}

/// An evaluated Terraform value.
#[derive(Debug, Clone)]
pub(crate) enum Tv {
    /// A string, number or bool, with its alternatives (empty for null).
    Alts(Vec<Val>),
    List(Vec<Tv>),
    Obj(Vec<(String, Tv)>),
}

/// Most leaves one evaluated value may hold.
const MAX_LEAVES: usize = 4096;

impl Tv {
    /// Whether the value holds more than [`MAX_LEAVES`] scalars.
    fn too_big(&self) -> bool {
        let mut count = 0usize;
        let mut stack = vec![self];
        while let Some(tv) = stack.pop() {
            match tv {
                Tv::Alts(v) => count += v.len().max(1),
                Tv::List(items) => stack.extend(items),
                Tv::Obj(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            }
            if count > MAX_LEAVES {
                return true;
            }
        }
        false
    }

    fn flatten(self, out: &mut Vec<Val>) {
        match self {
            Tv::Alts(v) => {
                for v in v {
                    if out.len() < MAX_ALTERNATIVES {
                        out.push(v);
                    }
                }
            }
            Tv::List(items) => items.into_iter().for_each(|i| i.flatten(out)),
            Tv::Obj(_) => {}
        }
    }

    fn scalars(self) -> Vec<Val> {
        let mut out = Vec::new();
        self.flatten(&mut out);
        out
    }

    fn items(self) -> Option<Vec<Tv>> {
        match self {
            Tv::List(items) => Some(items),
            Tv::Obj(entries) => Some(entries.into_iter().map(|(_, v)| v).collect()),
            Tv::Alts(_) => None,
        }
    }

    fn union(self, other: Tv) -> Tv {
        match (self, other) {
            (Tv::Alts(mut a), Tv::Alts(b)) => {
                for v in b {
                    if a.len() < MAX_ALTERNATIVES && !a.contains(&v) {
                        a.push(v);
                    }
                }
                Tv::Alts(a)
            }
            (Tv::List(mut a), Tv::List(b)) => {
                a.extend(b);
                Tv::List(a)
            }
            (Tv::Obj(mut a), Tv::Obj(b)) => {
                a.extend(b);
                Tv::Obj(a)
            }
            (a, Tv::Alts(b)) if b.is_empty() => a,
            (Tv::Alts(a), b) if a.is_empty() => b,
            (a, b) => Tv::List(vec![a, b]),
        }
    }

    fn map_vals(self, f: &mut impl FnMut(Val) -> Val) -> Tv {
        match self {
            Tv::Alts(v) => Tv::Alts(v.into_iter().map(&mut *f).collect()),
            Tv::List(items) => Tv::List(items.into_iter().map(|i| i.map_vals(f)).collect()),
            Tv::Obj(entries) => Tv::Obj(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, v.map_vals(f)))
                    .collect(),
            ),
        }
    }
}

/// Where an expression is written: evaluated in `module`, spans in `file`.
#[derive(Debug, Clone, Copy)]
struct Frame {
    module: usize,
    file: FileId,
}

impl Scope {
    /// The possible values of a node that needs evaluation (a reference, a
    /// call, a template); `None` for a plain literal.
    pub fn alternatives(&self, node: &Node) -> Option<Vec<Val>> {
        let needs = match &node.kind {
            NodeKind::Expr(_) | NodeKind::Call(_) => true,
            NodeKind::Str(s) => s.contains("${") || s.contains("%{"),
            NodeKind::Seq(items) => items.iter().any(|i| {
                matches!(i.kind, NodeKind::Expr(_) | NodeKind::Call(_))
                    || i.as_str().is_some_and(|s| s.contains("${"))
            }),
            _ => false,
        };
        if !needs {
            return None;
        }
        let ev = self.evaluator();
        let frame = Frame {
            module: self.module,
            file: self.reading,
        };
        // A structure (a list of objects in `jsonencode([...])`) has no
        // scalar value: the node is read as written, as without evaluation.
        Some(ev.node(node, frame, 0).scalars()).filter(|v| !v.is_empty())
    }

    /// A mapping key written as a template.
    pub fn key(&self, key: &Key) -> Option<Val> {
        let node = Node::new(key.span, NodeKind::Str(key.text.clone()));
        self.alternatives(&node)?.into_iter().next()
    }

    /// The expression of `local.NAME` when it is declared in the file being
    /// read (its spans are then this file's).
    pub fn local_in_same_file(&self, name: &str) -> Option<&Node> {
        let b = self.ws.modules[self.module].locals.get(name)?;
        (b.file == self.reading).then_some(&b.node)
    }

    /// For a template reached by `templatefile()`: the blocks whose calls
    /// reach it (`aws_iam_role.deploy`), for messages.
    pub fn template_callers(&self) -> Option<String> {
        let mut names: Vec<&str> = self
            .vars
            .as_deref()?
            .iter()
            .map(|b| b.note.as_str())
            .filter(|n| !n.is_empty() && *n != "locals")
            .collect();
        names.sort_unstable();
        names.dedup();
        (!names.is_empty()).then(|| names.join(", "))
    }

    /// Whether the module call `name` of this file's module has its code in
    /// the scan (then no built-in model stands in for it).
    pub fn call_on_disk(&self, name: &str) -> bool {
        self.ws.modules[self.module].calls_on_disk.contains(name)
    }

    /// This scope inside a block with `for_each` (a resource, a module
    /// call): `each.key` / `each.value` stand for any of its items.
    pub fn with_each(&self, block: &Node) -> Option<Scope> {
        let for_each = block.get("for_each")?;
        let ev = self.evaluator();
        let frame = Frame {
            module: self.module,
            file: self.reading,
        };
        let mut each = Each::default();
        match ev.node(for_each, frame, 0) {
            Tv::Obj(entries) => {
                for (k, v) in entries {
                    each.keys
                        .push(Tv::Alts(vec![ev.lit(k, for_each.span, self.reading)]));
                    each.values.push(v);
                }
            }
            Tv::List(items) => {
                each.keys = items.clone();
                each.values = items;
            }
            Tv::Alts(_) => return None,
        }
        Some(Scope {
            each: Some(Arc::new(each)),
            ..self.clone()
        })
    }

    fn evaluator(&self) -> Ev<'_> {
        Ev {
            ws: &self.ws,
            reading: self.reading,
            loops: &self.loops,
            each: self.each.as_deref(),
            vars: self.vars.as_deref().map(Vec::as_slice),
            steps: Cell::new(0),
            active: RefCell::new(Vec::new()),
            bound: RefCell::new(Vec::new()),
            memo: RefCell::new(HashMap::new()),
        }
    }
}

struct Ev<'a> {
    ws: &'a Workspace,
    reading: FileId,
    loops: &'a [(String, String)],
    each: Option<&'a Each>,
    vars: Option<&'a [Binding]>,
    steps: Cell<usize>,
    /// Locals and variables being evaluated: a cycle leaves a hole.
    active: RefCell<Vec<(usize, String)>>,
    /// Variables bound by `for` expressions and directives.
    bound: RefCell<Vec<(String, Tv)>>,
    /// Locals and variables already evaluated (outside any `for`): a local
    /// used a hundred times is evaluated once.
    memo: RefCell<HashMap<(usize, String), Tv>>,
}

impl Ev<'_> {
    fn lit(&self, text: impl Into<String>, span: Span, file: FileId) -> Val {
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

    fn hole(&self, what: &str, span: Span, file: FileId) -> Tv {
        Tv::Alts(vec![self.lit(format!("${{{}}}", what.trim()), span, file)])
    }

    fn exhausted(&self, depth: usize) -> bool {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        depth > MAX_DEPTH || steps > MAX_STEPS
    }

    fn node(&self, node: &Node, fr: Frame, depth: usize) -> Tv {
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

    fn span_of(&self, range: Option<std::ops::Range<usize>>, base: u32, fallback: Span) -> Span {
        range.map_or(fallback, |r| {
            Span::new(base as usize + r.start, base as usize + r.end)
        })
    }

    fn expr(&self, expr: &Expression, base: u32, fr: Frame, depth: usize) -> Tv {
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
            Expression::Conditional(c) => {
                let a = self.expr(&c.true_expr, base, fr, depth + 1);
                let b = self.expr(&c.false_expr, base, fr, depth + 1);
                a.union(b)
            }
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

    fn bound_or_hole(&self, name: &str, span: Span, fr: Frame) -> Tv {
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

    fn template(
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

    fn elements(
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
    fn traversal(
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
                Tv::Alts(vec![self.lit(module.dir.to_string_lossy(), span, fr.file)]),
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
    fn apply(
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

    fn var(&self, name: &str, used: Span, fr: Frame, depth: usize) -> Tv {
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

    fn local(&self, name: &str, used: Span, fr: Frame, depth: usize) -> Tv {
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
    fn attribute(
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

    fn call(&self, name: &str, args: Vec<Tv>, span: Span, fr: Frame) -> Tv {
        let hole = || self.hole(&format!("{name}(...)"), span, fr.file);
        let scalar = |tv: &Tv| -> Option<Vec<Val>> {
            match tv {
                Tv::Alts(v) if !v.is_empty() => Some(v.clone()),
                _ => None,
            }
        };
        let single = |tv: &Tv| -> Option<String> {
            match scalar(tv)?.as_slice() {
                [one] if !one.is_dynamic() => Some(one.text.clone()),
                _ => None,
            }
        };
        let map = |f: &dyn Fn(&str) -> String| -> Tv {
            match args.first() {
                Some(tv) => tv.clone().map_vals(&mut |mut v| {
                    v.text = f(&v.text);
                    v
                }),
                None => hole(),
            }
        };
        match name {
            "lower" => map(&|s| s.to_lowercase()),
            "upper" => map(&|s| s.to_uppercase()),
            "trimspace" => map(&|s| s.trim().to_owned()),
            // In a template's JSON, `${jsonencode(x)}` renders as x itself.
            "jsonencode" if !matches!(args.first(), Some(Tv::Obj(_)) | None) => {
                args.into_iter().next().unwrap_or_else(hole)
            }
            "tostring" | "tolist" | "toset" | "nonsensitive" | "sensitive" => {
                args.into_iter().next().unwrap_or_else(hole)
            }
            "trimprefix" | "trimsuffix" => {
                let Some(affix) = args.get(1).and_then(single) else {
                    return hole();
                };
                let prefix = name == "trimprefix";
                map(&|s| {
                    let out = if prefix {
                        s.strip_prefix(affix.as_str())
                    } else {
                        s.strip_suffix(affix.as_str())
                    };
                    out.unwrap_or(s).to_owned()
                })
            }
            "replace" => {
                let (Some(from), Some(to)) =
                    (args.get(1).and_then(single), args.get(2).and_then(single))
                else {
                    return hole();
                };
                if let Some(pattern) = from
                    .strip_prefix('/')
                    .and_then(|p| p.strip_suffix('/'))
                    .filter(|p| !p.is_empty())
                {
                    let Ok(re) = regex::RegexBuilder::new(pattern)
                        .size_limit(1 << 20)
                        .build()
                    else {
                        return hole();
                    };
                    map(&|s| re.replace_all(s, to.as_str()).into_owned())
                } else if from.is_empty() {
                    args.into_iter().next().unwrap_or_else(hole)
                } else {
                    map(&|s| s.replace(from.as_str(), &to))
                }
            }
            "format" => {
                let Some(formats) = args.first().and_then(scalar) else {
                    return hole();
                };
                Tv::Alts(self.format(formats, args.get(1..).unwrap_or(&[]), span, fr))
            }
            "formatlist" => {
                let Some(formats) = args.first().and_then(scalar) else {
                    return hole();
                };
                let rest = args.get(1..).unwrap_or(&[]);
                let lists: Vec<Option<Vec<Tv>>> = rest.iter().map(|a| a.clone().items()).collect();
                let n = lists.iter().flatten().map(Vec::len).max().unwrap_or(1);
                let mut out = Vec::new();
                for i in 0..n.min(MAX_ALTERNATIVES) {
                    let row: Vec<Tv> = rest
                        .iter()
                        .zip(&lists)
                        .map(|(a, l)| match l {
                            Some(items) => items.get(i).cloned().unwrap_or_else(hole),
                            None => a.clone(),
                        })
                        .collect();
                    out.push(Tv::Alts(self.format(formats.clone(), &row, span, fr)));
                }
                Tv::List(out)
            }
            "split" => {
                let (Some(sep), Some(text)) =
                    (args.first().and_then(single), args.get(1).and_then(scalar))
                else {
                    return hole();
                };
                match text.as_slice() {
                    [one] if !sep.is_empty() => Tv::List(
                        one.text
                            .split(sep.as_str())
                            .take(MAX_ALTERNATIVES)
                            .map(|piece| {
                                Tv::Alts(vec![Val {
                                    text: piece.to_owned(),
                                    ..one.clone()
                                }])
                            })
                            .collect(),
                    ),
                    _ => hole(),
                }
            }
            "chomp" => map(&|s| s.trim_end_matches(['\n', '\r']).to_owned()),
            "sort" | "reverse" => args.into_iter().next().unwrap_or_else(hole),
            "try" | "coalescelist" | "merge" => {
                args.into_iter().reduce(Tv::union).unwrap_or_else(hole)
            }
            "join" => {
                let (Some(sep), Some(list)) = (
                    args.first().and_then(single),
                    args.get(1).cloned().and_then(Tv::items),
                ) else {
                    return hole();
                };
                let mut parts = Vec::new();
                for (i, item) in list.into_iter().enumerate() {
                    if i > 0 {
                        parts.push(vec![self.lit(sep.as_str(), span, fr.file)]);
                    }
                    let v = item.scalars();
                    if !v.is_empty() {
                        parts.push(v);
                    }
                }
                Tv::Alts(concat(&parts, self.lit("", span, fr.file)))
            }
            "concat" | "flatten" | "distinct" | "compact" | "setunion" => {
                let mut out = Vec::new();
                for a in args {
                    match a.items() {
                        Some(items) => out.extend(items),
                        None => return hole(),
                    }
                }
                if name == "flatten" {
                    let mut flat = Vec::new();
                    for item in out {
                        match item {
                            Tv::List(inner) => flat.extend(inner),
                            other => flat.push(other),
                        }
                    }
                    out = flat;
                }
                Tv::List(out)
            }
            "coalesce" => args.into_iter().reduce(Tv::union).unwrap_or_else(hole),
            "element" => {
                let (Some(list), Some(i)) = (
                    args.first().cloned().and_then(Tv::items),
                    args.get(1)
                        .and_then(single)
                        .and_then(|i| i.parse::<usize>().ok()),
                ) else {
                    return hole();
                };
                if list.is_empty() {
                    return hole();
                }
                let n = list.len();
                list.into_iter().nth(i % n).unwrap_or_else(hole)
            }
            "lookup" => {
                let (Some(Tv::Obj(entries)), Some(key)) =
                    (args.first(), args.get(1).and_then(single))
                else {
                    return hole();
                };
                match entries.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.clone(),
                    None => args.get(2).cloned().unwrap_or_else(hole),
                }
            }
            _ => hole(),
        }
    }
}

impl Ev<'_> {
    /// `format(fmt, args...)` for every alternative of `fmt`: `%%` is a
    /// percent sign, every other verb takes the next argument.
    fn format(&self, formats: Vec<Val>, args: &[Tv], span: Span, fr: Frame) -> Vec<Val> {
        let scalar = |tv: &Tv| -> Option<Vec<Val>> {
            match tv {
                Tv::Alts(v) if !v.is_empty() => Some(v.clone()),
                _ => None,
            }
        };
        let mut out = Vec::new();
        for f in formats {
            let mut parts: Vec<Vec<Val>> = Vec::new();
            let mut next = 0;
            let mut literal = String::new();
            let mut chars = f.text.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '%' {
                    literal.push(c);
                    continue;
                }
                if chars.peek() == Some(&'%') {
                    chars.next();
                    literal.push('%');
                    continue;
                }
                // Flags and width, then the verb.
                while chars.peek().is_some_and(|c| !c.is_ascii_alphabetic()) {
                    chars.next();
                }
                chars.next();
                parts.push(vec![Val {
                    text: std::mem::take(&mut literal),
                    ..f.clone()
                }]);
                parts.push(
                    args.get(next)
                        .and_then(scalar)
                        .unwrap_or_else(|| vec![self.lit("${...}", span, fr.file)]),
                );
                next += 1;
            }
            parts.push(vec![Val {
                text: literal,
                ..f.clone()
            }]);
            out.extend(concat(&parts, self.lit("", span, fr.file)));
        }
        out
    }
}

/// Names the origin of every value of `tv` that has none named yet.
fn name_origin(tv: Tv, note: &str) -> Tv {
    tv.map_vals(&mut |mut v| {
        let origin = v.origin.get_or_insert_with(Box::default);
        if origin.note.is_empty() {
            origin.note = note.to_owned();
        }
        v
    })
}

/// Adds the use of a reference to the front of every value's chain.
fn annotate_use(tv: Tv, used: Span, fr: Frame, label: String) -> Tv {
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
fn annotate(tv: Tv, note: &str, via: Via) -> Tv {
    tv.map_vals(&mut |mut v| {
        let origin = v.origin.get_or_insert_with(Box::default);
        if origin.note.is_empty() {
            origin.note = note.to_owned();
        }
        origin.via.insert(0, via.clone());
        v
    })
}

/// Builds the modules of a scan and gives Terraform files and templates
/// their scope.
pub fn prepare(files: &mut [SourceFile]) -> Vec<Notice> {
    let mut notices = Vec::new();
    let mut ws = Workspace::default();
    let mut module_of_dir: HashMap<PathBuf, usize> = HashMap::new();
    let dir_of = |f: &SourceFile| normalize(f.path.parent().unwrap_or(Path::new("")));
    let is_tf = |f: &SourceFile| f.kind == FileKind::Terraform && f.syntax == Some(Syntax::Hcl);
    for f in files.iter().filter(|f| is_tf(f)) {
        let dir = dir_of(f);
        if !module_of_dir.contains_key(&dir) {
            module_of_dir.insert(dir.clone(), ws.modules.len());
            ws.modules.push(Module {
                dir,
                ..Module::default()
            });
        }
    }
    if ws.modules.is_empty() {
        return notices;
    }
    struct Call {
        caller: usize,
        file: FileId,
        name: String,
        block: Node,
        source: String,
    }
    let mut calls: Vec<Call> = Vec::new();
    let mut defaults: HashMap<(usize, String), Binding> = HashMap::new();
    let mut auto_vars: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    let mut other_vars: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    let mut templatefiles: Vec<(usize, FileId, Node, String)> = Vec::new();
    for f in files.iter().filter(|f| is_tf(f)) {
        let Some(&m) = module_of_dir.get(&dir_of(f)) else {
            continue;
        };
        let Some(root) = f.roots().first() else {
            continue;
        };
        let name = f.display.rsplit('/').next().unwrap_or("");
        if name.ends_with(".tfvars") {
            if f.text.len() > MAX_TFVARS_BYTES {
                notices.push(Notice {
                    path: f.display.clone(),
                    reason: format!(
                        "tfvars file larger than {MAX_TFVARS_BYTES} bytes: its values are not evaluated"
                    ),
                });
                continue;
            }
            let auto = name == "terraform.tfvars" || name.ends_with(".auto.tfvars");
            for e in root.entries().unwrap_or(&[]) {
                if matches!(e.value.kind, NodeKind::Block(_)) {
                    continue;
                }
                let binding = Binding {
                    module: m,
                    file: f.id,
                    node: e.value.clone(),
                    note: format!("{} in {name}", e.key.text),
                };
                let target = if auto {
                    &mut auto_vars
                } else {
                    &mut other_vars
                };
                target
                    .entry((m, e.key.text.to_string()))
                    .or_default()
                    .push(binding);
            }
            continue;
        }
        let module = &mut ws.modules[m];
        for e in root.entries().unwrap_or(&[]) {
            let NodeKind::Block(block) = &e.value.kind else {
                continue;
            };
            let labels: Vec<&str> = block.labels.iter().map(|l| l.text.as_str()).collect();
            match (e.key.text.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    if let Some(default) = e.value.get("default") {
                        defaults.insert(
                            (m, (*name).to_owned()),
                            Binding {
                                module: m,
                                file: f.id,
                                node: default.clone(),
                                note: format!("default of variable {name}"),
                            },
                        );
                    }
                }
                ("locals", []) => {
                    for local in block.body.iter() {
                        module.locals.insert(
                            local.key.text.to_string(),
                            Binding {
                                module: m,
                                file: f.id,
                                node: local.value.clone(),
                                note: format!("local.{}", local.key.text),
                            },
                        );
                    }
                }
                ("resource", [ty, name]) => {
                    module.resources.insert(
                        format!("{ty}.{name}"),
                        Binding {
                            module: m,
                            file: f.id,
                            node: e.value.clone(),
                            note: String::new(),
                        },
                    );
                }
                ("data", [ty, name]) => {
                    module.resources.insert(
                        format!("data.{ty}.{name}"),
                        Binding {
                            module: m,
                            file: f.id,
                            node: e.value.clone(),
                            note: String::new(),
                        },
                    );
                }
                ("module", [name]) => {
                    if let Some(source) = e.value.get("source").and_then(Node::as_str) {
                        calls.push(Call {
                            caller: m,
                            file: f.id,
                            name: (*name).to_owned(),
                            block: e.value.clone(),
                            source: source.to_owned(),
                        });
                    }
                }
                _ => {}
            }
        }
        for e in root.entries().unwrap_or(&[]) {
            // The block holding the call names the policy it renders.
            let owner = match &e.value.kind {
                NodeKind::Block(b) => {
                    let labels: Vec<&str> = b.labels.iter().map(|l| l.text.as_str()).collect();
                    match (e.key.text.as_str(), labels.as_slice()) {
                        ("resource", [ty, name]) => format!("{ty}.{name}"),
                        ("data", [ty, name]) => format!("data.{ty}.{name}"),
                        ("module", [name]) => format!("module.{name}"),
                        ("locals", []) => "locals".to_owned(),
                        _ => String::new(),
                    }
                }
                _ => String::new(),
            };
            collect_templatefile_calls(&e.value, m, f.id, &owner, &mut templatefiles, 0);
        }
    }
    // Module calls whose code is in the scan: local sources, and downloaded
    // ones located by `.terraform/modules/modules.json`. The call's
    // arguments are the module's variables.
    let downloaded = downloaded_modules(files);
    let mut inputs: HashMap<(usize, String), Vec<Binding>> = HashMap::new();
    for call in &calls {
        let caller_dir = ws.modules[call.caller].dir.clone();
        let dir = if call.source.starts_with("./") || call.source.starts_with("../") {
            normalize(&caller_dir.join(&call.source))
        } else {
            match downloaded.locate(&caller_dir, &call.name) {
                Some(dir) => dir,
                None => continue,
            }
        };
        let Some(&child) = module_of_dir.get(&dir) else {
            continue;
        };
        ws.modules[call.caller]
            .calls_on_disk
            .insert(call.name.clone());
        if child == call.caller {
            notices.push(Notice {
                path: files
                    .iter()
                    .find(|f| f.id == call.file)
                    .map_or_else(String::new, |f| f.display.clone()),
                reason: format!(
                    "module \"{}\" sources its own directory: its inputs are not followed",
                    call.name
                ),
            });
            continue;
        }
        for e in call.block.entries().unwrap_or(&[]) {
            if matches!(e.value.kind, NodeKind::Block(_))
                || matches!(
                    e.key.text.as_str(),
                    "source" | "version" | "providers" | "count" | "for_each" | "depends_on"
                )
            {
                continue;
            }
            inputs
                .entry((child, e.key.text.to_string()))
                .or_default()
                .push(Binding {
                    module: call.caller,
                    file: call.file,
                    node: e.value.clone(),
                    note: format!("input {} of module {}", e.key.text, call.name),
                });
        }
    }
    let mut names: Vec<(usize, String)> = defaults
        .keys()
        .chain(auto_vars.keys())
        .chain(other_vars.keys())
        .chain(inputs.keys())
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    for key in names {
        let mut bindings = Vec::new();
        if let Some(given) = inputs.get(&key) {
            bindings.extend(given.iter().cloned());
        } else if let Some(auto) = auto_vars.get(&key) {
            bindings.extend(auto.iter().cloned());
        } else {
            bindings.extend(defaults.get(&key).cloned());
            bindings.extend(other_vars.get(&key).into_iter().flatten().cloned());
        }
        ws.modules[key.0].vars.insert(key.1, bindings);
    }
    notices.extend(check_locals(&ws, files));

    let ws = Arc::new(ws);
    // Templates reached by `templatefile(path, vars)`.
    let mut reached: HashMap<FileId, Vec<Binding>> = HashMap::new();
    let mut template_module: HashMap<FileId, usize> = HashMap::new();
    for (m, file, call, owner) in &templatefiles {
        let NodeKind::Call(c) = &call.kind else {
            continue;
        };
        let Some(path_node) = c.args.first() else {
            continue;
        };
        let scope = Scope {
            ws: ws.clone(),
            module: *m,
            reading: *file,
            vars: None,
            loops: Arc::default(),
            each: None,
        };
        let ev = scope.evaluator();
        let paths = ev
            .node(
                path_node,
                Frame {
                    module: *m,
                    file: *file,
                },
                0,
            )
            .scalars();
        for p in paths {
            if p.is_dynamic() {
                continue;
            }
            let path = PathBuf::from(&p.text);
            let path = if path.is_absolute() || path.starts_with(&ws.modules[*m].dir) {
                normalize(&path)
            } else {
                normalize(&ws.modules[*m].dir.join(&path))
            };
            let Some(target) = files.iter().find(|f| normalize(&f.path) == path) else {
                continue;
            };
            if target.id == *file {
                continue;
            }
            let vars = c
                .args
                .get(1)
                .cloned()
                .unwrap_or_else(|| Node::new(Span::default(), NodeKind::Map(Box::new([]))));
            reached.entry(target.id).or_default().push(Binding {
                module: *m,
                file: *file,
                node: vars,
                note: owner.clone(),
            });
            template_module.entry(target.id).or_insert(*m);
        }
    }
    for f in files.iter_mut() {
        if is_tf(f) {
            if let Some(&m) = module_of_dir.get(&dir_of(f)) {
                f.scope = Some(Scope {
                    ws: ws.clone(),
                    module: m,
                    reading: f.id,
                    vars: None,
                    loops: Arc::default(),
                    each: None,
                });
            }
        } else if let (Some(vars), Some(&m)) = (reached.remove(&f.id), template_module.get(&f.id)) {
            if super::template::includes_itself(f) {
                notices.push(Notice {
                    path: f.display.clone(),
                    reason: "template includes itself through templatefile(): not followed".into(),
                });
            }
            let loops = super::template::loops(&f.text);
            f.scope = Some(Scope {
                ws: ws.clone(),
                module: m,
                reading: f.id,
                vars: Some(Arc::new(vars)),
                loops: Arc::new(loops),
                each: None,
            });
        }
    }
    notices
}

fn collect_templatefile_calls(
    node: &Node,
    module: usize,
    file: FileId,
    owner: &str,
    out: &mut Vec<(usize, FileId, Node, String)>,
    depth: usize,
) {
    if depth > 64 || out.len() > 10_000 {
        return;
    }
    if let NodeKind::Call(call) = &node.kind
        && call.name == "templatefile"
    {
        out.push((module, file, node.clone(), owner.to_owned()));
    }
    for child in node.children() {
        collect_templatefile_calls(child, module, file, owner, out, depth + 1);
    }
}

/// Locals that refer to each other in a cycle, or chain deeper than
/// evaluation follows: a notice each, once per module.
fn check_locals(ws: &Workspace, files: &[SourceFile]) -> Vec<Notice> {
    let mut notices = Vec::new();
    let re = regex::Regex::new(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)").ok();
    let Some(re) = re else {
        return notices;
    };
    for module in &ws.modules {
        let mut names: Vec<&String> = module.locals.keys().collect();
        names.sort();
        let index: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        let mut display = String::new();
        for (i, name) in names.iter().enumerate() {
            let b = &module.locals[*name];
            let Some(file) = files.iter().find(|f| f.id == b.file) else {
                continue;
            };
            if display.is_empty() {
                display = file.display.clone();
            }
            let text = file.slice(b.node.span);
            for c in re.captures_iter(text) {
                if let Some(&j) = c.get(1).and_then(|m| index.get(m.as_str())) {
                    edges[i].push(j);
                }
            }
        }
        // Iterative depth-first search: colour 1 on the stack, 2 done;
        // `height` is the longest chain below a local.
        let mut colour = vec![0u8; names.len()];
        let mut height = vec![0usize; names.len()];
        let mut cycle: Option<Vec<usize>> = None;
        for start in 0..names.len() {
            if colour[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            colour[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&child) = edges[node].get(*next) {
                    *next += 1;
                    match colour[child] {
                        0 => {
                            colour[child] = 1;
                            stack.push((child, 0));
                        }
                        1 => {
                            if cycle.is_none() {
                                let from = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                                cycle = Some(stack[from..].iter().map(|(n, _)| *n).collect());
                            }
                        }
                        _ => height[node] = height[node].max(height[child] + 1),
                    }
                } else {
                    colour[node] = 2;
                    stack.pop();
                    if let Some(&(parent, _)) = stack.last() {
                        height[parent] = height[parent].max(height[node] + 1);
                    }
                }
            }
        }
        if let Some(cycle) = cycle {
            let chain: Vec<String> = cycle
                .iter()
                .chain(cycle.first())
                .map(|i| format!("local.{}", names[*i]))
                .collect();
            notices.push(Notice {
                path: display.clone(),
                reason: format!(
                    "locals refer to each other in a cycle ({}): left unevaluated",
                    chain.join(" -> ")
                ),
            });
        }
        if let Some(deepest) = height.iter().max()
            && *deepest > MAX_DEPTH
        {
            notices.push(Notice {
                path: display.clone(),
                reason: format!(
                    "locals chained {deepest} deep: evaluation follows {MAX_DEPTH} and leaves the rest unknown"
                ),
            });
        }
    }
    notices
}

/// Where `terraform init` put registry and git modules, from each
/// `.terraform/modules/modules.json` in the scan: `{"Modules": [{"Key":
/// "ci_role", "Dir": ".terraform/modules/ci_role"}, ...]}`, keys of nested
/// calls joined by dots, directories relative to the root module.
#[derive(Default)]
struct Downloaded {
    /// (root module directory, key) -> module directory.
    dirs: HashMap<(PathBuf, String), PathBuf>,
    /// module directory -> (root module directory, key).
    keys: HashMap<PathBuf, (PathBuf, String)>,
}

impl Downloaded {
    fn locate(&self, caller: &Path, name: &str) -> Option<PathBuf> {
        let (root, key) = match self.keys.get(caller) {
            Some((root, key)) if !key.is_empty() => (root.clone(), format!("{key}.{name}")),
            _ => (caller.to_path_buf(), name.to_owned()),
        };
        self.dirs.get(&(root, key)).cloned()
    }
}

fn downloaded_modules(files: &[SourceFile]) -> Downloaded {
    #[derive(serde::Deserialize)]
    struct Manifest {
        #[serde(rename = "Modules", default)]
        modules: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Key", default)]
        key: String,
        #[serde(rename = "Dir", default)]
        dir: String,
    }
    let mut out = Downloaded::default();
    for f in files {
        let path = normalize(&f.path);
        if !path.ends_with(".terraform/modules/modules.json") {
            continue;
        }
        let Some(root) = path.parent().and_then(Path::parent).and_then(Path::parent) else {
            continue;
        };
        let Ok(manifest) = serde_json::from_str::<Manifest>(&f.text) else {
            continue;
        };
        for entry in manifest.modules.into_iter().take(10_000) {
            let dir = normalize(&root.join(&entry.dir));
            out.keys
                .insert(dir.clone(), (root.to_path_buf(), entry.key.clone()));
            out.dirs.insert((root.to_path_buf(), entry.key), dir);
        }
    }
    out
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
