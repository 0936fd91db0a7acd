//! Fixes: applying the edits rules attach to findings (`check --fix`,
//! `--unsafe-fixes`, `--diff`).
//!
//! A pass scans (with the files already fixed in memory), takes the fixes of
//! the reported findings that the applicability allows, keeps per file those
//! whose edits overlap no edit already kept, applies them, and checks the
//! result: the file is parsed and checked again on its own, and a fix that
//! leaves it unparsable or raises the number of findings of some rule is
//! dropped with a notice; and when the next pass's scan finds more of some
//! rule in the whole repository, the pass is undone and its fixes dropped.
//! Passes repeat until nothing changes (at most
//! [`MAX_PASSES`]), so a second run changes nothing. Only the bytes inside
//! the edits change: a byte-order mark, line endings, comments and quoting
//! outside them are kept as they are.

use crate::engine::{self, ScanError, ScanOptions};
use crate::finding::{Applicability, Fix, Location, ReportedEdit, ReportedFix};
use crate::report::{Notice, Report};
use crate::source::SourceFile;
use crate::syntax::Span;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub mod edits;

/// Scan-and-fix passes at most.
pub const MAX_PASSES: usize = 5;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Locates a rule's fix for reporting. The fix is dropped when an edit is
/// out of the file, splits a character, overlaps another edit of the fix or
/// touches a secret (no fix ever carries or moves a secret).
pub fn locate(file: &SourceFile, fix: Option<&Fix>, secrets: &[Location]) -> Option<ReportedFix> {
    let fix = fix?;
    // CDK and Pulumi programs are code: their values are read, never edited.
    let program = matches!(
        file.syntax,
        Some(crate::syntax::Syntax::TypeScript | crate::syntax::Syntax::Python)
    );
    if program || fix.edits.is_empty() || !valid(&file.text, fix.edits.iter().map(|e| e.span)) {
        return None;
    }
    let touches_secret = fix.edits.iter().any(|e| {
        secrets
            .iter()
            .any(|s| s.file == file.id && s.span.start <= e.span.end && e.span.start <= s.span.end)
    });
    if touches_secret {
        return None;
    }
    Some(ReportedFix {
        applicability: fix.applicability,
        description: fix.description.clone(),
        edits: fix
            .edits
            .iter()
            .map(|e| ReportedEdit {
                start: file.position(e.span.start),
                end: file.position(e.span.end),
                replacement: e.replacement.clone(),
                span: e.span,
            })
            .collect(),
        file: file.path.clone(),
    })
}

/// Spans in order, inside `text`, on character boundaries, not overlapping.
fn valid(text: &str, spans: impl Iterator<Item = Span>) -> bool {
    let mut last: Option<Span> = None;
    for span in spans {
        let (start, end) = (span.start as usize, span.end as usize);
        if start > end || end > text.len() || !text.is_char_boundary(start) {
            return false;
        }
        if !text.is_char_boundary(end) {
            return false;
        }
        if let Some(prev) = last
            && conflict(prev, span)
        {
            return false;
        }
        last = Some(span);
    }
    true
}

/// Two edits conflict when their spans overlap, or when an insertion falls
/// inside or at either end of the other span (the order of the two texts
/// would be ambiguous).
pub fn conflict(a: Span, b: Span) -> bool {
    if a.is_empty() || b.is_empty() {
        a.start <= b.end && b.start <= a.end
    } else {
        a.start < b.end && b.start < a.end
    }
}

/// `text` with `edits` (sorted, not overlapping) applied; `None` when they
/// are not valid for this text.
pub fn apply(text: &str, edits: &[(Span, &str)]) -> Option<String> {
    let mut sorted: Vec<(Span, &str)> = edits.to_vec();
    sorted.sort_by_key(|(s, _)| (s.start, s.end));
    if !valid(text, sorted.iter().map(|(s, _)| *s)) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (span, replacement) in sorted {
        out.push_str(text.get(at..span.start as usize)?);
        out.push_str(replacement);
        at = span.end as usize;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// A file the fixes changed.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The path as found on disk.
    pub path: PathBuf,
    /// The path shown in reports.
    pub display: String,
    /// The bytes read before any fix.
    pub original: Vec<u8>,
    /// The bytes after every fix.
    pub fixed: Vec<u8>,
    /// The texts with secrets masked, for the diff (same byte offsets).
    shown_before: String,
    shown_after: String,
}

/// What a fix run did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changed: Vec<Changed>,
    /// Fixes applied.
    pub applied: usize,
    /// Fixes dropped, and files not written.
    pub notices: Vec<Notice>,
}

/// One fix in a pass, with what identifies its finding across passes.
struct Candidate<'r> {
    rule: &'static str,
    message: &'r str,
    line: u32,
    fix: &'r ReportedFix,
}

/// What a pass changed: the findings counted before it, each file's state
/// before it (`None`: untouched until then), the fixes it applied.
struct LastPass {
    counts: BTreeMap<&'static str, usize>,
    touched: Vec<(PathBuf, Option<State>)>,
    applied: Vec<(String, &'static str, String, u32)>,
}

/// Per file: the current bytes and the masked texts for the diff.
#[derive(Clone)]
struct State {
    display: String,
    original: Vec<u8>,
    current: Vec<u8>,
    shown_before: String,
    shown_after: String,
}

/// Scans and fixes until nothing more changes. `narrow` applies what the
/// command line narrows a report with (baseline, diff base): only findings
/// that would be reported are fixed. Nothing is written.
pub fn run(
    options: &ScanOptions,
    unsafe_fixes: bool,
    narrow: &mut dyn FnMut(&mut Report),
) -> Result<Outcome, ScanError> {
    let mut scan = |overlay: &Overlay| {
        let mut report = engine::scan_with_overlay(options, overlay)?;
        narrow(&mut report);
        Ok(report)
    };
    passes(
        &mut scan,
        &|path| std::fs::read(path),
        options,
        unsafe_fixes,
    )
}

/// [`run`] over files given in memory as (path, bytes): nothing is read
/// from or written to disk (fuzzing, embedding).
pub fn run_in_memory(
    inputs: &[(&str, &[u8])],
    options: &ScanOptions,
    unsafe_fixes: bool,
) -> Result<Outcome, ScanError> {
    let mut scan = |overlay: &Overlay| {
        let files: Vec<(&str, &[u8])> = inputs
            .iter()
            .map(|(name, bytes)| match overlay.get(Path::new(name)) {
                Some(fixed) => (*name, fixed.as_slice()),
                None => (*name, *bytes),
            })
            .collect();
        engine::scan_in_memory(&files, options)
    };
    let read = |path: &Path| {
        inputs
            .iter()
            .find(|(name, _)| Path::new(name) == path)
            .map(|(_, bytes)| bytes.to_vec())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    };
    passes(&mut scan, &read, options, unsafe_fixes)
}

/// Files fixed so far (by their path on disk), not yet written.
type Overlay = BTreeMap<PathBuf, Vec<u8>>;

/// Scan-and-fix passes until nothing changes; `scan` sees the fixed files
/// through the overlay, `read` gives a file's bytes before any fix.
fn passes(
    scan: &mut dyn FnMut(&Overlay) -> Result<Report, ScanError>,
    read: &dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
    options: &ScanOptions,
    unsafe_fixes: bool,
) -> Result<Outcome, ScanError> {
    let mut states: BTreeMap<PathBuf, State> = BTreeMap::new();
    let mut dropped: BTreeSet<(String, &'static str, String)> = BTreeSet::new();
    let mut outcome = Outcome::default();
    // What the previous pass changed, to undo it if the whole repository
    // reports more than before (a finding in another file).
    let mut last: Option<LastPass> = None;
    for pass in 0..=MAX_PASSES {
        let overlay: Overlay = states
            .iter()
            .map(|(p, s)| (p.clone(), s.current.clone()))
            .collect();
        let report = scan(&overlay)?;
        let counts = rule_counts(&report);
        if let Some(prev) = last.take()
            && let Err(why) = worse(&prev.counts, &counts)
        {
            for (path, before) in prev.touched {
                match before {
                    Some(state) => states.insert(path, state),
                    None => states.remove(&path),
                };
            }
            outcome.applied -= prev.applied.len();
            for (display, rule, message, line) in prev.applied {
                outcome.notices.push(notice(
                    &display,
                    format!("fix for {rule} at line {line} not applied: with the other fixes of its pass, it would {why} in the repository"),
                ));
                dropped.insert((display, rule, message));
            }
            continue;
        }
        if pass == MAX_PASSES {
            break;
        }
        let mut this_pass = LastPass {
            counts,
            touched: Vec::new(),
            applied: Vec::new(),
        };
        let mut by_file: BTreeMap<PathBuf, (usize, Vec<Candidate<'_>>)> = BTreeMap::new();
        for finding in &report.findings {
            let Some(fix) = &finding.fix else { continue };
            if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
                continue;
            }
            let key = (
                finding.place.path.clone(),
                finding.rule,
                finding.message.clone(),
            );
            if dropped.contains(&key) {
                continue;
            }
            by_file
                .entry(fix.file.clone())
                .or_insert_with(|| (finding.place.location.file, Vec::new()))
                .1
                .push(Candidate {
                    rule: finding.rule,
                    message: &finding.message,
                    line: finding.place.start.line,
                    fix,
                });
        }
        let mut progress = false;
        for (path, (file_id, candidates)) in by_file {
            let Some(shown) = report.files.get(file_id) else {
                continue;
            };
            let display = shown.path.clone();
            let bytes = match states.get(&path) {
                Some(s) => s.current.clone(),
                None => match read(&path) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        outcome.notices.push(notice(
                            &display,
                            format!("fixes not applied: cannot read: {e}"),
                        ));
                        continue;
                    }
                },
            };
            let (bom, text) = match split_bom(&bytes) {
                (bom, Ok(text)) => (bom, text),
                (_, Err(())) => {
                    outcome.notices.push(notice(
                        &display,
                        "fixes not applied: the file is not valid UTF-8".into(),
                    ));
                    for c in &candidates {
                        dropped.insert((display.clone(), c.rule, c.message.to_owned()));
                    }
                    continue;
                }
            };
            // The scan's text must be the one on disk (it may have changed since).
            if shown.text.len() != text.len() {
                continue;
            }
            let file_pass = fix_file(&display, text, &candidates, options);
            for (c, why) in &file_pass.dropped {
                dropped.insert((display.clone(), c.rule, c.message.to_owned()));
                outcome.notices.push(notice(
                    &display,
                    format!(
                        "fix for {} at line {} not applied: it would {why}",
                        c.rule, c.line
                    ),
                ));
            }
            if file_pass.kept.is_empty() {
                continue;
            }
            let edits: Vec<(Span, &str)> = file_pass
                .kept
                .iter()
                .flat_map(|c| c.fix.edits.iter().map(|e| (e.span, e.replacement.as_str())))
                .collect();
            let (Some(new_text), Some(new_shown)) =
                (apply(text, &edits), apply(&shown.text, &edits))
            else {
                continue;
            };
            let mut new_bytes = Vec::with_capacity(new_text.len() + 3);
            if bom {
                new_bytes.extend_from_slice(BOM);
            }
            new_bytes.extend_from_slice(new_text.as_bytes());
            if new_bytes == bytes {
                continue;
            }
            outcome.applied += file_pass.kept.len();
            progress = true;
            this_pass
                .touched
                .push((path.clone(), states.get(&path).cloned()));
            this_pass.applied.extend(
                file_pass
                    .kept
                    .iter()
                    .map(|c| (display.clone(), c.rule, c.message.to_owned(), c.line)),
            );
            let state = states.entry(path).or_insert_with(|| State {
                display,
                original: bytes.clone(),
                current: Vec::new(),
                shown_before: shown.text.clone(),
                shown_after: String::new(),
            });
            state.current = new_bytes;
            state.shown_after = new_shown;
        }
        if !progress {
            break;
        }
        last = Some(this_pass);
    }
    outcome.changed = states
        .into_iter()
        .filter(|(_, s)| s.current != s.original)
        .map(|(path, s)| Changed {
            path,
            display: s.display,
            original: s.original,
            fixed: s.current,
            shown_before: s.shown_before,
            shown_after: s.shown_after,
        })
        .collect();
    Ok(outcome)
}

fn notice(path: &str, reason: String) -> Notice {
    Notice {
        path: path.to_owned(),
        reason,
    }
}

/// Whether the bytes start with a byte-order mark, and the text after it.
fn split_bom(bytes: &[u8]) -> (bool, Result<&str, ()>) {
    let (bom, rest) = match bytes.strip_prefix(BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    (bom, std::str::from_utf8(rest).map_err(|_| ()))
}

struct FilePass<'c, 'r> {
    kept: Vec<&'c Candidate<'r>>,
    dropped: Vec<(&'c Candidate<'r>, String)>,
}

/// Picks the fixes of one file: not overlapping those picked before, and
/// each leaving the file parsable with no rule reporting more than before.
fn fix_file<'c, 'r>(
    display: &str,
    text: &str,
    candidates: &'c [Candidate<'r>],
    options: &ScanOptions,
) -> FilePass<'c, 'r> {
    let mut chosen: Vec<&Candidate<'_>> = Vec::new();
    let mut taken: Vec<Span> = Vec::new();
    for c in candidates {
        let spans: Vec<Span> = c.fix.edits.iter().map(|e| e.span).collect();
        if spans.iter().any(|s| taken.iter().any(|t| conflict(*s, *t))) {
            // Overlaps a fix already picked: left for the next pass.
            continue;
        }
        taken.extend(spans);
        chosen.push(c);
    }
    let before = counts(display, text, options);
    let with = |set: &[&Candidate<'_>]| -> Option<String> {
        let edits: Vec<(Span, &str)> = set
            .iter()
            .flat_map(|c| c.fix.edits.iter().map(|e| (e.span, e.replacement.as_str())))
            .collect();
        apply(text, &edits)
    };
    let verdict = |set: &[&Candidate<'_>]| -> Result<(), String> {
        let Some(new) = with(set) else {
            return Err("not apply to the file as it is".into());
        };
        worse(&before, &counts(display, &new, options))
    };
    if verdict(&chosen).is_ok() {
        return FilePass {
            kept: chosen,
            dropped: Vec::new(),
        };
    }
    // One at a time, keeping those that pass with the ones kept before.
    let mut kept: Vec<&Candidate<'_>> = Vec::new();
    let mut dropped = Vec::new();
    for c in chosen {
        kept.push(c);
        if let Err(why) = verdict(&kept) {
            kept.pop();
            dropped.push((c, why));
        }
    }
    FilePass { kept, dropped }
}

/// Findings per rule when the file is checked on its own.
fn counts(display: &str, text: &str, options: &ScanOptions) -> BTreeMap<&'static str, usize> {
    match engine::scan_in_memory(&[(display, text.as_bytes())], options) {
        Ok(report) => rule_counts(&report),
        Err(_) => BTreeMap::new(),
    }
}

fn rule_counts(report: &Report) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for f in &report.findings {
        *counts.entry(f.rule).or_insert(0) += 1;
    }
    counts
}

/// Why `after` is worse than `before`, if it is.
fn worse(
    before: &BTreeMap<&'static str, usize>,
    after: &BTreeMap<&'static str, usize>,
) -> Result<(), String> {
    for (rule, n) in after {
        if *n > before.get(rule).copied().unwrap_or(0) {
            return Err(if *rule == crate::rules::PARSE_ERROR {
                "leave the file unparsable".into()
            } else {
                format!("introduce a new {rule} finding")
            });
        }
    }
    Ok(())
}

/// A unified diff of every changed file (secrets masked), `a/` and `b/`
/// prefixed as git does.
pub fn diff(outcome: &Outcome) -> String {
    let mut out = String::new();
    for c in &outcome.changed {
        let diff = similar::TextDiff::from_lines(&c.shown_before, &c.shown_after);
        // `a/` and `b/` prefixes as git writes them, also for absolute paths.
        let path = c.display.trim_start_matches('/');
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        out.push_str(&text);
        if !text.is_empty() && !text.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Writes the changed files in place, atomically (a temporary file in the
/// same directory, renamed over the original), and only inside the scanned
/// roots: a file reached through a symlink that leads out of them, or changed
/// on disk since it was read, is left alone with a notice. Returns the
/// notices and the number of files written.
pub fn write(outcome: &Outcome, roots: &[PathBuf]) -> (usize, Vec<Notice>) {
    let roots: Vec<PathBuf> = roots.iter().filter_map(|r| canonical_root(r)).collect();
    let mut notices = Vec::new();
    let mut written = 0;
    for c in &outcome.changed {
        match write_one(c, &roots) {
            Ok(()) => written += 1,
            Err(reason) => notices.push(notice(&c.display, format!("fixes not written: {reason}"))),
        }
    }
    (written, notices)
}

/// A scanned path, resolved; a file named through a symlink stays the
/// link's own path (its target is not part of the tree).
fn canonical_root(root: &Path) -> Option<PathBuf> {
    let meta = std::fs::symlink_metadata(root).ok()?;
    if meta.file_type().is_symlink() && !root.is_dir() {
        let parent = match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        return Some(std::fs::canonicalize(parent).ok()?.join(root.file_name()?));
    }
    std::fs::canonicalize(root).ok()
}

fn write_one(c: &Changed, roots: &[PathBuf]) -> Result<(), String> {
    let target = std::fs::canonicalize(&c.path).map_err(|e| format!("cannot resolve: {e}"))?;
    if !roots.iter().any(|r| target.starts_with(r)) {
        return Err("it is a symlink to a file outside the scanned tree".into());
    }
    let now = std::fs::read(&target).map_err(|e| format!("cannot read: {e}"))?;
    if now != c.original {
        return Err("the file changed while shiplint ran".into());
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".shiplint-fix")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    std::io::Write::write_all(&mut temp, &c.fixed).map_err(|e| format!("cannot write: {e}"))?;
    if let Ok(meta) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(temp.path(), meta.permissions());
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| format!("cannot write: {e}"))?;
    temp.persist(&target)
        .map_err(|e| format!("cannot replace the file: {}", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests;
