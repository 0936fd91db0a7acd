//! Whether a command runs only while the build succeeds: guards on
//! `CODEBUILD_BUILD_SUCCEEDING` before it, around it or chained in front of
//! it, and how far a guard reaches.
//!
//! In a buildspec phase, every list item is its own command: a failing item
//! fails the phase and the rest of the phase's items do not run. So
//! `[ "$CODEBUILD_BUILD_SUCCEEDING" = 0 ] && exit 1` guards the rest of its
//! item and every later item; `... && exit 0` only ends its own item, and so
//! guards only what follows it inside the same item.

use super::commands::{
    errexit, exit_status, is_double_bracket, publish, shell_c_body, succeeding_test,
};
use super::parse::{AndOr, Command, Connector, List, Pipeline, Simple, parse};
use crate::finding::FileId;
use crate::syntax::Span;
use std::ops::Range;

/// Where a publish was found when it is not the command itself: a Makefile
/// recipe line or a line of a script the command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub file: FileId,
    pub span: Span,
    /// `make target "push"`, `script ci/publish.sh`.
    pub label: String,
}

/// What a command publishes, as a [`Resolve`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// `docker push`, `aws s3 sync`, ...
    pub label: String,
    /// The chain of files it was found through (empty when the command
    /// itself publishes).
    pub trail: Vec<Step>,
    /// Judged by the name of a target or script that is not in the scan.
    pub by_name: bool,
}

/// Decides whether a simple command publishes: by itself, or through the
/// Makefile target or script it runs.
pub trait Resolve {
    fn publishes(&self, s: &Simple) -> Option<Hit>;
}

/// Only the command itself: the catalogue of [`publish`].
pub struct Direct;

impl Resolve for Direct {
    fn publishes(&self, s: &Simple) -> Option<Hit> {
        publish(s).map(|label| Hit {
            label,
            trail: Vec::new(),
            by_name: false,
        })
    }
}

/// How a scan reads commands.
#[derive(Clone, Copy)]
pub struct Dialect<'a> {
    /// The shell is bash (or zsh/ksh): `[[ ... ]]` is a test. Under `sh`
    /// (dash on Ubuntu images) `[[` is "not found" and always false.
    pub bash: bool,
    pub resolve: &'a dyn Resolve,
}

impl Default for Dialect<'_> {
    fn default() -> Self {
        Dialect {
            bash: true,
            resolve: &Direct,
        }
    }
}

/// `sh -c` bodies inside `sh -c` bodies are followed this deep.
const MAX_WRAPPERS: usize = 4;

/// A publishing command that no guard protects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unguarded {
    /// `docker push`, `aws s3 sync`, ...
    pub label: String,
    /// The command's byte range in the item's text.
    pub span: Range<usize>,
    pub trail: Vec<Step>,
    pub by_name: bool,
}

/// What one command item (a list entry of a phase) tells about guards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemScan {
    pub unguarded: Vec<Unguarded>,
    /// The item stops the phase when the build has failed: later items are
    /// guarded.
    pub guards_later: bool,
    /// errexit is on when the item ends (for version 0.2, one shell).
    pub errexit: bool,
}

/// Scans one command item. `guarded`: an earlier guard (or `on-failure:
/// ABORT` on build) already protects it; `errexit`: `set -e` is in force.
pub fn scan_item(src: &str, guarded: bool, errexit: bool) -> ItemScan {
    scan_with(src, guarded, errexit, Dialect::default())
}

/// [`scan_item`] with a shell dialect and a resolver of what commands run.
pub fn scan_with(src: &str, guarded: bool, errexit: bool, dialect: Dialect<'_>) -> ItemScan {
    let cx = Cx { dialect, depth: 0 };
    cx.scan(src, guarded, errexit)
}

#[derive(Clone, Copy)]
struct Cx<'a> {
    dialect: Dialect<'a>,
    depth: usize,
}

impl Cx<'_> {
    fn scan(&self, src: &str, guarded: bool, errexit: bool) -> ItemScan {
        let list = parse(src);
        let mut scan = ItemScan {
            errexit,
            ..ItemScan::default()
        };
        self.walk(&list, guarded, &mut scan, true);
        scan
    }

    /// The scan of the body of `sh -c BODY`, when the command is one and the
    /// nesting allows.
    fn wrapped(&self, s: &Simple, guarded: bool) -> Option<ItemScan> {
        if self.depth >= MAX_WRAPPERS {
            return None;
        }
        let body = shell_c_body(s)?;
        let inner = Cx {
            dialect: self.dialect,
            depth: self.depth + 1,
        };
        Some(inner.scan(&body, guarded, false))
    }

    /// The polarity of a test pipeline: `Some(true)` when it is true only
    /// while the build succeeds (and false once it failed).
    fn polarity(&self, p: &Pipeline) -> Option<bool> {
        let s = only_simple(p)?;
        if let Some(test) = succeeding_test(s) {
            if is_double_bracket(s) && !self.dialect.bash {
                // Not found under sh: always false, `!` makes it always true.
                return (!p.bang).then_some(true);
            }
            return Some(test != p.bang);
        }
        // `bash -c '[ "$CODEBUILD_BUILD_SUCCEEDING" = 0 ] && exit 1'`: fails
        // once the build failed.
        if !p.bang && self.wrapped(s, false).is_some_and(|w| w.guards_later) {
            return Some(true);
        }
        None
    }

    /// The polarity of an `if` condition (its last statement decides).
    fn cond_polarity(&self, cond: &List) -> Option<bool> {
        let last = cond.last()?;
        if !last.rest.is_empty() {
            return None;
        }
        self.polarity(&last.first)
    }

    /// A statement that ends the shell when the build has failed; its exit
    /// status.
    fn guard_statement(&self, a: &AndOr) -> Option<i64> {
        if let [(conn, then)] = a.rest.as_slice() {
            let test = self.polarity(&a.first)?;
            let wanted = if test { Connector::Or } else { Connector::And };
            return (*conn == wanted).then(|| exits(then)).flatten();
        }
        if a.rest.len() > 1 {
            // `[ fail ] && echo "build failed" && exit 1`.
            let test = self.polarity(&a.first)?;
            if test || a.rest.iter().any(|(c, _)| *c != Connector::And) {
                return None;
            }
            return a.rest.last().and_then(|(_, p)| exits(p));
        }
        let [Command::If(i)] = a.first.commands.as_slice() else {
            return None;
        };
        let (cond, body) = i.branches.first()?;
        match self.cond_polarity(cond)? {
            false if i.branches.len() == 1 => body.iter().find_map(list_exit),
            true if i.branches.len() == 1 => i.else_body.as_ref()?.iter().find_map(list_exit),
            _ => None,
        }
    }

    fn walk(&self, list: &List, mut guarded: bool, scan: &mut ItemScan, top: bool) {
        for (index, a) in list.iter().enumerate() {
            let last = index + 1 == list.len();
            if a.rest.is_empty()
                && let Some(s) = only_simple(&a.first)
                && let Some(on) = errexit(s)
            {
                scan.errexit = on;
                continue;
            }
            if let Some(status) = self.guard_statement(a) {
                guarded = true;
                if top && status != 0 {
                    scan.guards_later = true;
                }
                continue;
            }
            // A bare success test: with errexit it ends the shell; as the
            // item's last statement it fails the item.
            if a.rest.is_empty() && self.polarity(&a.first) == Some(true) {
                if scan.errexit {
                    guarded = true;
                }
                if top && (scan.errexit || last) {
                    scan.guards_later = true;
                }
                // A wrapper may publish after its own guard.
                self.and_or(a, guarded, scan);
                continue;
            }
            self.and_or(a, guarded, scan);
        }
    }

    fn and_or(&self, a: &AndOr, guarded: bool, scan: &mut ItemScan) {
        let pipelines: Vec<(Option<Connector>, &Pipeline)> = std::iter::once((None, &a.first))
            .chain(a.rest.iter().map(|(c, p)| (Some(*c), p)))
            .collect();
        // A chain guard: `[ ok ] && cmd`, `[ failed ] || cmd`.
        let mut chained = false;
        for (i, (conn, p)) in pipelines.iter().enumerate() {
            if i > 0 {
                let prev = pipelines.get(i - 1).and_then(|(_, p)| self.polarity(p));
                chained = match (conn, prev) {
                    (Some(Connector::And), Some(true)) | (Some(Connector::Or), Some(false)) => true,
                    (Some(Connector::And), _) => chained,
                    _ => false,
                };
            }
            for c in &p.commands {
                self.command(c, guarded || chained, scan);
            }
        }
    }

    fn command(&self, c: &Command, guarded: bool, scan: &mut ItemScan) {
        match c {
            Command::Simple(s) => {
                if let Some(inner) = self.wrapped(s, guarded) {
                    // Reported at the wrapper, which is what the item runs.
                    for u in inner.unguarded {
                        scan.unguarded.push(Unguarded {
                            span: s.span.clone(),
                            ..u
                        });
                    }
                    return;
                }
                if !guarded && let Some(hit) = self.dialect.resolve.publishes(s) {
                    scan.unguarded.push(Unguarded {
                        label: hit.label,
                        span: s.span.clone(),
                        trail: hit.trail,
                        by_name: hit.by_name,
                    });
                }
            }
            Command::If(i) => {
                // Reaching a later branch means every earlier condition was
                // false: after a "build failed" test, the build is succeeding.
                let mut earlier_failed_test = false;
                for (cond, body) in &i.branches {
                    self.nested(cond, guarded || earlier_failed_test, scan);
                    let p = self.cond_polarity(cond);
                    self.nested(
                        body,
                        guarded || earlier_failed_test || p == Some(true),
                        scan,
                    );
                    earlier_failed_test |= p == Some(false);
                }
                if let Some(e) = &i.else_body {
                    self.nested(e, guarded || earlier_failed_test, scan);
                }
            }
            Command::Loop { cond, body, .. } => {
                self.nested(cond, guarded, scan);
                self.nested(body, guarded, scan);
            }
            Command::Group { body, .. } => self.nested(body, guarded, scan),
        }
    }

    fn nested(&self, list: &List, guarded: bool, scan: &mut ItemScan) {
        let errexit = scan.errexit;
        let later = scan.guards_later;
        self.walk(list, guarded, scan, false);
        scan.errexit = errexit;
        scan.guards_later = later;
    }
}

/// The single simple command of a pipeline, if that is all it is.
fn only_simple(p: &Pipeline) -> Option<&Simple> {
    match p.commands.as_slice() {
        [Command::Simple(s)] => Some(s),
        _ => None,
    }
}

/// The exit status of a pipeline that ends the shell: `exit N`, or a `{ ...;
/// exit N; }` group.
fn exits(p: &Pipeline) -> Option<i64> {
    match p.commands.as_slice() {
        [Command::Simple(s)] => exit_status(s),
        [Command::Group { body, .. }] => body_exits(body),
        _ => None,
    }
}

/// The status of the first top-level `exit` of a list.
fn body_exits(list: &List) -> Option<i64> {
    list.iter().find_map(list_exit)
}

fn list_exit(a: &AndOr) -> Option<i64> {
    if a.rest.is_empty() {
        exits(&a.first)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(src: &str) -> Vec<String> {
        scan_item(src, false, false)
            .unguarded
            .into_iter()
            .map(|u| u.label)
            .collect()
    }

    #[test]
    fn unguarded_publish_is_found_at_its_offset() {
        let src = "echo start && docker push x:1";
        let scan = scan_item(src, false, false);
        assert_eq!(scan.unguarded.len(), 1);
        assert_eq!(&src[scan.unguarded[0].span.clone()], "docker push x:1");
    }

    #[test]
    fn guards_in_every_usual_form() {
        for src in [
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = \"0\" ] && exit 1\ndocker push x",
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" -eq 1 ] || exit 1; docker push x",
            "[[ $CODEBUILD_BUILD_SUCCEEDING == 0 ]] && { echo failed; exit 1; }\ndocker push x",
            "test \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 || exit 1\ndocker push x",
            "if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ]; then\n  docker push x\nfi",
            "if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ]; then\n  echo skip\nelse\n  docker push x\nfi",
            "if [ \"$CODEBUILD_BUILD_SUCCEEDING\" != 1 ]; then exit 1; fi\ndocker push x",
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ] && docker push x",
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ] && exit 0\ndocker push x",
            "set -e\n[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ]\ndocker push x",
            "[ \"x$CODEBUILD_BUILD_SUCCEEDING\" = \"x0\" ] && exit 1\ndocker push x",
            "! [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ] && exit 1\ndocker push x",
            "if ! [ \"$CODEBUILD_BUILD_SUCCEEDING\" -eq 1 ]; then exit 1; fi\ndocker push x",
            "bash -c 'if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ]; then exit 1; fi' || exit 1\ndocker push x",
            "bash -c '[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ] || exit 1; docker push x'",
            "sh -c '[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ]' && docker push x",
            // The form of a widely copied AWS workshop: the body's operands
            // are padded with `/`.
            "set -e\nbash -c \"if [ /\"$CODEBUILD_BUILD_SUCCEEDING/\" == /\"0/\" ]; then exit 1; fi\"\ndocker push x",
            "bash -c \"if [ /\"$CODEBUILD_BUILD_SUCCEEDING/\" == /\"0/\" ]; then exit 1; fi\" || exit 1; docker push x",
        ] {
            assert_eq!(labels(src), Vec::<String>::new(), "{src}");
        }
    }

    #[test]
    fn what_is_not_a_guard() {
        for src in [
            "docker push x\n[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ] && exit 1",
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ] || echo failed\ndocker push x",
            "[ \"$OTHER\" = 0 ] && exit 1\ndocker push x",
            "if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ]; then docker push x; fi",
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ]\ndocker push x",
            "bash -c 'docker push x'",
            "bash -c 'if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ]; then exit 0; fi'\ndocker push x",
            "[ \"x$CODEBUILD_BUILD_SUCCEEDING\" = \"y0\" ] && exit 1\ndocker push x",
        ] {
            assert_eq!(labels(src), ["docker push"], "{src}");
        }
    }

    #[test]
    fn double_brackets_depend_on_the_shell() {
        let sh = Dialect {
            bash: false,
            resolve: &Direct,
        };
        let fail_exit = "[[ $CODEBUILD_BUILD_SUCCEEDING == 0 ]] && exit 1\ndocker push x";
        assert!(
            scan_with(fail_exit, false, false, Dialect::default())
                .unguarded
                .is_empty()
        );
        assert_eq!(scan_with(fail_exit, false, false, sh).unguarded.len(), 1);
        // Under sh the test is never true: the push never runs.
        let ok_and = "[[ $CODEBUILD_BUILD_SUCCEEDING == 1 ]] && docker push x";
        assert!(scan_with(ok_and, false, false, sh).unguarded.is_empty());
    }

    #[test]
    fn a_wrapper_guards_later_items() {
        let item = "bash -c 'if [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ]; then exit 1; fi'";
        assert!(scan_item(item, false, false).guards_later);
        assert!(!scan_item("bash -c 'echo hi'", false, false).guards_later);
        let src = "bash -c 'docker push x'";
        let scan = scan_item(src, false, false);
        assert_eq!(scan.unguarded[0].span, 0..src.len());
    }

    #[test]
    fn reach_of_a_guard() {
        let exit1 = scan_item(
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ] && exit 1",
            false,
            false,
        );
        assert!(exit1.guards_later);
        let exit0 = scan_item(
            "[ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ] && exit 0",
            false,
            false,
        );
        assert!(!exit0.guards_later);
        let bare = scan_item("[ \"$CODEBUILD_BUILD_SUCCEEDING\" -eq 1 ]", false, false);
        assert!(bare.guards_later);
        let inside_if = scan_item(
            "if true; then [ \"$CODEBUILD_BUILD_SUCCEEDING\" = 0 ] && exit 1; fi",
            false,
            false,
        );
        assert!(!inside_if.guards_later);
        assert!(scan_item("set -euo pipefail", false, false).errexit);
    }
}
