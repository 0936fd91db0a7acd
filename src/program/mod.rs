//! CDK and Pulumi programs (TypeScript/JavaScript and Python).
//!
//! A program is read with a tree-sitter grammar, its expressions lowered to a
//! small language-neutral form ([`Expr`]: literals, objects, arrays, calls,
//! unresolved references), and the constructs that matter (roles, principals,
//! policy statements, OIDC providers, CodeBuild projects and buildspecs,
//! pipeline shell steps, Pulumi roles and policies) are translated into a
//! document shaped like the CloudFormation template they synthesise to:
//! `{Resources: {Id: {Type: AWS::IAM::Role, Properties: {...}}}}`. Every
//! scalar keeps the span of the literal it was read from, so the existing
//! models and rules apply unchanged and findings land on the `.ts` / `.py`
//! text. Structure the program never wrote (the `Effect` of a statement, the
//! action a principal implies) takes the span of the construct that implies
//! it.
//!
//! Values: string, template and f-string literals, object/dict and
//! array/list literals, computed keys, string concatenation, and constants of
//! the same file. Anything else stays an opaque `${...}` token, never a
//! wildcard. The resolution of constants lives here; it should move to the
//! shared evaluation layer once that exists for programs too.

mod emit;
mod python;
mod typescript;

use crate::syntax::{Limits, Node, ParseError, Span};

/// The language of a program file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// TypeScript or JavaScript (`.ts`, `.tsx`, `.js`, `.mjs`, `.cjs`).
    TypeScript,
    Python,
}

/// Packages whose import makes a file worth parsing.
const MARKERS: [&str; 6] = [
    "aws-cdk-lib",
    "@aws-cdk/",
    "aws_cdk",
    "aws-cdk-github-oidc",
    "@pulumi/aws",
    "pulumi_aws",
];

/// The language of `name` (lowercase file name) when it is a program file.
pub fn lang_of(name: &str) -> Option<Lang> {
    let ext = name.rsplit_once('.')?.1;
    match ext {
        "ts" | "tsx" | "mts" | "cts" | "js" | "mjs" | "cjs" | "jsx" => {
            if name.ends_with(".d.ts") {
                None
            } else {
                Some(Lang::TypeScript)
            }
        }
        "py" => Some(Lang::Python),
        _ => None,
    }
}

/// The cheap textual prefilter: the start of the file names a CDK or Pulumi
/// package (in an import, a `require` or a `from ... import`).
pub fn imports_infrastructure(prefix: &str) -> bool {
    MARKERS.iter().any(|m| prefix.contains(m))
}

/// Parses a program into one document root shaped like a CloudFormation
/// template. Syntax errors do not fail the parse (tree-sitter recovers);
/// they are returned as warnings, with what could be read.
pub fn parse(lang: Lang, text: &str, limits: &Limits) -> Result<Parsed, ParseError> {
    match lang {
        Lang::TypeScript => typescript::parse(text, limits),
        Lang::Python => python::parse(text, limits),
    }
}

/// A translated program.
#[derive(Debug)]
pub struct Parsed {
    pub root: Node,
    /// Why part of the file may not have been read (syntax errors, nesting
    /// beyond the limit).
    pub warnings: Vec<String>,
    /// Where constants of the file are used.
    pub uses: Vec<Use>,
}

/// A constant of the program used somewhere: a finding on a literal of its
/// value lists the use as a related location.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Use {
    /// The constant's value, as written.
    pub value: Span,
    /// The name where it is used.
    pub at: Span,
    pub name: String,
}

/// Uses listed per constant at most.
const MAX_USES_SHOWN: usize = 3;

/// Adds to each finding on a literal of a constant the places that constant
/// is used (and, for a constant used in another constant, that one's uses).
pub fn relate_uses(files: &[crate::source::SourceFile], findings: &mut [crate::finding::Finding]) {
    for finding in findings.iter_mut() {
        let Some(file) = files.get(finding.location.file) else {
            continue;
        };
        if file.uses.is_empty() {
            continue;
        }
        let within =
            |outer: Span, inner: Span| outer.start <= inner.start && inner.end <= outer.end;
        let mut span = finding.location.span;
        for _ in 0..MAX_RESOLVE {
            // The innermost constant whose value holds the span.
            let Some(inner) = file
                .uses
                .iter()
                .filter(|u| within(u.value, span) && !within(u.at, span))
                .min_by_key(|u| u.value.end - u.value.start)
            else {
                break;
            };
            let value = inner.value;
            let mut next = None;
            for u in file
                .uses
                .iter()
                .filter(|u| u.value == value)
                .take(MAX_USES_SHOWN)
            {
                next.get_or_insert(u.at);
                let location = file.at(u.at);
                if finding.related.iter().any(|r| r.location == location) {
                    continue;
                }
                finding.related.push(crate::finding::Related {
                    location,
                    label: format!("{} is used here", u.name),
                });
            }
            match next {
                Some(at) if at != span => span = at,
                _ => break,
            }
        }
    }
}

/// The key prefix of the entries an unknown spread (`...x`, `**x`) stands
/// for: the object is known to be incomplete, the entries are not emitted.
pub(crate) const SPREAD: &str = "...";

/// Deepest expression nesting lowered; deeper parts become opaque.
const MAX_DEPTH: usize = 48;
/// Constants followed through one another at most this far.
const MAX_RESOLVE: usize = 12;
/// Expressions lowered per file at most (a 5 MB minified bundle stays cheap).
const MAX_LOWERED: usize = 400_000;
/// Longest text kept for an opaque expression.
const MAX_OPAQUE: usize = 80;

/// A language-neutral expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A string known in full (or with `${...}` holes for unknown parts); the
    /// span is the literal's (the constant's when it came from one).
    Str(Span, String),
    Num(Span, String),
    Bool(Span, bool),
    Null(Span),
    Obj(Span, Vec<Prop>),
    Arr(Span, Vec<Expr>),
    Call(Box<CallExpr>),
    /// `object.name` where the object is not a literal.
    Member(Span, Box<Expr>, String),
    /// A function: the expression it returns.
    Func(Span, Box<Expr>),
    /// Anything else, as written.
    Opaque(Span, String),
}

#[derive(Debug, Clone)]
pub(crate) struct Prop {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
}

/// A call or `new`: `new iam.Role(this, 'R', {...})`, `role.addToPolicy(s)`,
/// Python `iam.Role(self, "R", assumed_by=...)`.
#[derive(Debug, Clone)]
pub(crate) struct CallExpr {
    /// The whole call.
    pub span: Span,
    /// `new iam.Role` / `iam.Role`: where synthesized structure points.
    pub head: Span,
    /// The callee as written, split at dots (`["iam", "Role"]`).
    pub path: Vec<String>,
    /// The receiver of a method call, resolved (`role` -> `new Role(...)`).
    pub receiver: Option<Expr>,
    pub args: Vec<Expr>,
    /// Python keyword arguments.
    pub kwargs: Vec<Prop>,
    /// Where the construct is used, when it was reached through a name
    /// (`new OpenIdConnectPrincipal(provider)`: `provider`).
    pub via: Option<Span>,
}

impl CallExpr {
    pub fn name(&self) -> &str {
        self.path.last().map_or("", String::as_str)
    }

    /// Where the construct was created: its identity for later method calls.
    pub fn key(&self) -> u32 {
        self.span.start
    }
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Str(s, _)
            | Expr::Num(s, _)
            | Expr::Bool(s, _)
            | Expr::Null(s)
            | Expr::Obj(s, _)
            | Expr::Arr(s, _)
            | Expr::Member(s, _, _)
            | Expr::Func(s, _)
            | Expr::Opaque(s, _) => *s,
            Expr::Call(c) => c.span,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(_, s) => Some(s),
            _ => None,
        }
    }

    pub fn as_call(&self) -> Option<&CallExpr> {
        match self {
            Expr::Call(c) => Some(c),
            _ => None,
        }
    }

    /// The text of an opaque token for this expression.
    pub fn hole(&self, source: &str) -> String {
        let raw = source.get(self.span().range()).unwrap_or("");
        hole_text(raw)
    }
}

pub(crate) fn find_prop<'a>(props: &'a [Prop], name: &str) -> Option<&'a Prop> {
    let want = crate::model::fields::norm(name);
    props
        .iter()
        .rev()
        .find(|p| crate::model::fields::norm(&p.key) == want)
}

/// `${text}` with whitespace collapsed and the text cut short.
pub(crate) fn hole_text(raw: &str) -> String {
    let mut text = String::new();
    for word in raw.split_whitespace() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(word);
    }
    let text = text.replace(['{', '}'], "");
    let mut end = text.len().min(MAX_OPAQUE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("${{{}}}", &text[..end])
}

/// Decodes the escapes of a JavaScript or Python string body.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\n') => {}
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Counts lowered expressions and how deep the lowering is, so that hostile
/// input stays bounded.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    pub lowered: usize,
    pub too_deep: Option<Span>,
    pub exhausted: bool,
}

impl Budget {
    /// False once the file's budget is spent or `depth` is too deep.
    pub fn admit(&mut self, depth: usize, span: Span) -> bool {
        if self.lowered >= MAX_LOWERED {
            self.exhausted = true;
            return false;
        }
        if depth > MAX_DEPTH {
            self.too_deep.get_or_insert(span);
            return false;
        }
        self.lowered += 1;
        true
    }
}

/// Warnings for what the lowering skipped.
pub(crate) fn budget_warnings(budget: &Budget, text: &str, warnings: &mut Vec<String>) {
    if let Some(span) = budget.too_deep {
        let (line, col) = line_col(text, span.start as usize);
        warnings.push(format!(
            "expression nested deeper than {MAX_DEPTH} levels at line {line}, column {col}: the deeper part is not read"
        ));
    }
    if budget.exhausted {
        warnings.push(format!(
            "more than {MAX_LOWERED} expressions: the rest of the program is not read"
        ));
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let mut at_b = at;
    while !text.is_char_boundary(at_b) {
        at_b -= 1;
    }
    let before = &text[..at_b];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The warning for the first syntax error of a tree.
pub(crate) fn syntax_warning(root: tree_sitter::Node<'_>, text: &str) -> Option<String> {
    if !root.has_error() {
        return None;
    }
    let mut cursor = root.walk();
    let mut node = root;
    // Descend to the first error or missing node.
    'outer: loop {
        if node.is_error() || node.is_missing() {
            break;
        }
        for child in node.children(&mut cursor) {
            if child.has_error() || child.is_missing() {
                node = child;
                continue 'outer;
            }
        }
        break;
    }
    let (line, col) = line_col(text, node.start_byte());
    Some(format!(
        "syntax error at line {line}, column {col}: constructs around it may not be read"
    ))
}

pub(crate) fn span_of(node: tree_sitter::Node<'_>) -> Span {
    Span::new(node.start_byte(), node.end_byte())
}

/// Runs tree-sitter on `text` with `language`, giving up after a time limit
/// proportional to the size of the file.
pub(crate) fn run_parser(
    language: tree_sitter::Language,
    text: &str,
) -> Result<tree_sitter::Tree, ParseError> {
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).map_err(|e| ParseError {
        message: format!("grammar: {e}"),
        span: Span::default(),
    })?;
    let started = std::time::Instant::now();
    // Generous: tree-sitter reads several MB per second.
    let allowed = std::time::Duration::from_secs(10 + (text.len() / (256 * 1024)) as u64);
    let mut progress = |_: &tree_sitter::ParseState| {
        if started.elapsed() > allowed {
            std::ops::ControlFlow::Break(())
        } else {
            std::ops::ControlFlow::Continue(())
        }
    };
    let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
    let bytes = text.as_bytes();
    let len = bytes.len();
    parser
        .parse_with_options(
            &mut |at: usize, _| -> &[u8] { if at < len { &bytes[at..] } else { &[] } },
            None,
            Some(options),
        )
        .ok_or_else(|| ParseError {
            message: "the program could not be parsed in time".into(),
            span: Span::default(),
        })
}

#[cfg(test)]
mod tests;
