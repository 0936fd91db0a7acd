//! The evaluation layer: between the syntax trees and the models.
//!
//! Real repositories rarely write the decisive value literally: a trust
//! policy's subject comes from a CloudFormation parameter's default, a
//! Terraform variable set in `terraform.tfvars`, a local built with
//! `format()`. Models read every scalar through [`crate::model::value`];
//! while a file's models are extracted inside its [`Scope`], those reads are
//! evaluated here first, so that no model or rule keeps its own variable
//! lookup.
//!
//! - [`cfn`]: one CloudFormation template (parameters, mappings, intrinsics).
//! - [`tf`]: Terraform modules, one per directory, built by the engine once
//!   every file is loaded ([`prepare`]); their files' models are extracted
//!   afterwards, inside the module's scope.
//! - [`registry`]: built-in models of registry modules that are not on disk.
//! - [`template`]: `*.tpl` / `*.tftpl` files read as the document they
//!   render to.
//!
//! A value that cannot be resolved stays a `${...}` hole standing for one
//! value of its place, never a wildcard. Alternatives (allowed values, both
//! branches of a conditional, default and tfvars) are all returned: models
//! and rules grade the worst. Evaluation is bounded in depth and breadth and
//! cycle-safe: a cycle or a limit leaves a hole, and [`prepare`] reports the
//! module-level ones as notices.

pub mod cfn;
pub mod registry;
pub mod template;
pub mod tf;

use crate::model::value::Val;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Key, Node, Syntax};
use std::cell::RefCell;
use std::sync::Arc;

/// Deepest chain of references followed (a local of a local of ...).
pub const MAX_DEPTH: usize = 48;
/// Most alternatives one value may have; more are dropped.
pub const MAX_ALTERNATIVES: usize = 64;

/// What the values of one file are evaluated against.
#[derive(Debug, Clone)]
pub enum Scope {
    /// A CloudFormation template: its parameters and mappings.
    Cfn(Arc<cfn::Template>),
    /// A Terraform module (or a template reached through `templatefile`).
    Tf(tf::Scope),
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `f` (a model extraction) with `file`'s values evaluated in its
/// scope.
pub fn within<R>(file: &SourceFile, f: impl FnOnce() -> R) -> R {
    // Always replaced (by nothing for a file without a scope), so that a
    // model read while another file's is being extracted is read in its own.
    let _restore = enter(scope_of(file));
    f()
}

/// Puts the scope back as it was when dropped, even when unwinding.
struct Restore(Option<Scope>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        SCOPE.with(|s| *s.borrow_mut() = previous);
    }
}

fn enter(scope: Option<Scope>) -> Restore {
    Restore(SCOPE.with(|s| s.replace(scope)))
}

/// The scope of a file: its own template for CloudFormation, the one the
/// engine prepared for Terraform files and templates.
fn scope_of(file: &SourceFile) -> Option<Scope> {
    if let Some(scope) = &file.scope {
        return Some(Scope::Tf(scope.clone()));
    }
    match file.kind {
        FileKind::CloudFormation if file.syntax != Some(Syntax::Hcl) => {
            let root = file.roots().first()?;
            Some(Scope::Cfn(Arc::new(cfn::Template::new(root))))
        }
        _ => None,
    }
}

fn current() -> Option<Scope> {
    SCOPE.with(|s| s.borrow().clone())
}

/// The possible values of a scalar node, when a scope evaluates it.
pub fn alternatives(node: &Node) -> Option<Vec<Val>> {
    match current()? {
        Scope::Cfn(t) => t.alternatives(node),
        Scope::Tf(s) => s.alternatives(node),
    }
}

/// The values of a node that may be a list (`values = var.subjects`).
pub fn values(node: &Node) -> Option<Vec<Val>> {
    match current()? {
        Scope::Cfn(t) => t.values(node),
        Scope::Tf(s) => s.alternatives(node),
    }
}

/// A mapping key written as a template (Terraform object keys).
pub fn key(key: &Key) -> Option<Val> {
    match current()? {
        Scope::Tf(s) => s.key(key),
        Scope::Cfn(_) => None,
    }
}

/// Whether a Terraform block is switched off by its `count`: it evaluates to
/// 0 for certain (`count = var.attach ? 1 : 0` with `attach` false by
/// default and in tfvars). An empty `for_each` is seen by [`with_each`].
pub fn disabled(block: &Node) -> bool {
    tf_scope().is_some_and(|s| s.disabled(block))
}

/// Runs `f` (the extraction of one block) with `each.key` / `each.value`
/// standing for the items of the block's `for_each`, when it has one; `None`
/// without running it when that `for_each` is empty (no instance exists).
pub fn with_each<R>(block: &Node, f: impl FnOnce() -> R) -> Option<R> {
    let Some(scope) = tf_scope().and_then(|s| s.with_each(block)) else {
        return Some(f());
    };
    if scope.no_instances() {
        return None;
    }
    let _restore = enter(Some(Scope::Tf(scope)));
    Some(f())
}

/// The Terraform scope of the file being read, if any.
pub fn tf_scope() -> Option<tf::Scope> {
    match current()? {
        Scope::Tf(s) => Some(s),
        Scope::Cfn(_) => None,
    }
}

/// Builds the Terraform modules of a scan (every file loaded, ids
/// assigned) and gives each Terraform file and reached template its scope.
/// Returns notices for what evaluation will not follow.
pub fn prepare(files: &mut [SourceFile]) -> Vec<crate::report::Notice> {
    tf::prepare(files)
}

/// Combines parts written one after the other (a `!Sub`, a Terraform
/// template, a `!Join`) into every possible whole, at most
/// [`MAX_ALTERNATIVES`]. The result points at the one evaluated part when
/// exactly one part came through a reference (that part decides), else at
/// `whole` in `file` with every reached part as a step of the chain.
pub(crate) fn concat(parts: &[Vec<Val>], whole: Val) -> Vec<Val> {
    let mut combos: Vec<Vec<&Val>> = vec![Vec::new()];
    for alternatives in parts {
        if alternatives.is_empty() {
            continue;
        }
        let mut next = Vec::new();
        'outer: for combo in &combos {
            for alt in alternatives {
                if next.len() >= MAX_ALTERNATIVES {
                    break 'outer;
                }
                let mut c = combo.clone();
                c.push(alt);
                next.push(c);
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|combo| {
            let text: String = combo.iter().map(|v| v.text.as_str()).collect();
            let reached: Vec<&&Val> = combo.iter().filter(|v| v.origin.is_some()).collect();
            // Of several reached parts, the one holding a wildcard decides.
            let wild: Vec<&&Val> = reached
                .iter()
                .copied()
                .filter(|v| v.text.contains(['*', '?']))
                .collect();
            if reached.len() > 1
                && let [decisive] = wild.as_slice()
            {
                let mut origin = decisive.origin.clone().unwrap_or_default();
                for v in &reached {
                    if std::ptr::eq(**v, **decisive) {
                        continue;
                    }
                    if let Some(o) = &v.origin {
                        origin.via.push(crate::model::value::Via {
                            file: o.file,
                            span: v.span,
                            label: if o.note.is_empty() {
                                "value from here".into()
                            } else {
                                o.note.clone()
                            },
                        });
                    }
                }
                return Val {
                    text,
                    span: decisive.span,
                    origin: Some(origin),
                };
            }
            match reached.as_slice() {
                [] => Val {
                    text,
                    ..whole.clone()
                },
                [one] => Val {
                    text,
                    span: one.span,
                    origin: one.origin.clone(),
                },
                many => {
                    let mut origin = whole.origin.clone().unwrap_or_default();
                    let mut notes = Vec::new();
                    for v in many {
                        if let Some(o) = &v.origin {
                            origin.via.extend(o.via.iter().cloned());
                            origin.via.push(crate::model::value::Via {
                                file: o.file,
                                span: v.span,
                                label: if o.note.is_empty() {
                                    "value from here".into()
                                } else {
                                    o.note.clone()
                                },
                            });
                            if !o.note.is_empty() && !notes.contains(&o.note) {
                                notes.push(o.note.clone());
                            }
                        }
                    }
                    origin.note = notes.join(" and ");
                    Val {
                        text,
                        span: whole.span,
                        origin: Some(origin),
                    }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
