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

mod eval;
mod functions;
mod prepare;

pub use prepare::prepare;

use super::MAX_ALTERNATIVES;
use crate::finding::FileId;
use crate::model::value::Val;
use crate::syntax::{Key, Node, NodeKind};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
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
        let frame = self.frame();
        // A structure (a list of objects in `jsonencode([...])`) has no
        // scalar value: the node is read as written, as without evaluation.
        let value = ev.node(node, frame, 0);
        let structure = matches!(value, Tv::Obj(_));
        let scalars = value.scalars();
        if scalars.is_empty() && !structure {
            // Null or an empty list (`for` over a default `[]`): nothing is
            // known of the values a caller gives; one unknown value, not
            // the expression's text read as a pattern.
            return Some(ev.hole("...", node.span, self.reading).scalars());
        }
        Some(scalars).filter(|v| !v.is_empty())
    }

    /// A mapping key written as a template.
    pub fn key(&self, key: &Key) -> Option<Val> {
        let node = Node::new(key.span, NodeKind::Str(key.text.clone()));
        crate::model::value::known_first(self.alternatives(&node)?)
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

    /// See [`crate::eval::disabled`].
    pub fn disabled(&self, block: &Node) -> bool {
        let Some(count) = block.get("count") else {
            return false;
        };
        match self.evaluator().node(count, self.frame(), 0) {
            Tv::Alts(v) => !v.is_empty() && v.iter().all(|v| v.text.trim() == "0"),
            _ => false,
        }
    }

    /// Inside a block whose `for_each` is empty: no instance of it exists.
    pub fn no_instances(&self) -> bool {
        self.each.as_ref().is_some_and(|e| e.keys.is_empty())
    }

    /// This scope inside a block with `for_each` (a resource, a module
    /// call): `each.key` / `each.value` stand for any of its items.
    pub fn with_each(&self, block: &Node) -> Option<Scope> {
        let for_each = block.get("for_each")?;
        let ev = self.evaluator();
        let frame = self.frame();
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

    /// The module and file being read.
    fn frame(&self) -> Frame {
        Frame {
            module: self.module,
            file: self.reading,
        }
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
