//! `full`: rustc-style diagnostics rendered with codespan-reporting, then the
//! notices and a one-line summary.

use super::{RenderOptions, Report};
use crate::finding::{Place, Reported, Severity};
use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as Level};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config, termcolor};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;

/// At most this many notices are listed one by one; the rest are counted.
const MAX_NOTICES: usize = 10;

const BOLD: &str = "\x1b[1m";
const NOTE: &str = "\x1b[1;32m";
const RESET: &str = "\x1b[0m";

pub fn render(report: &Report, options: &RenderOptions) -> String {
    let mut files = Files::new(report);
    let config = Config::default();
    let mut out = String::new();
    for finding in &report.findings {
        let diagnostic = diagnostic(report, &mut files, finding);
        if !emit(&mut out, &config, &files.db, &diagnostic, options.color) {
            // Only reached for spans codespan cannot place; say it plainly.
            let _ = writeln!(out, "{}\n", plain(finding));
        }
    }
    notices(&mut out, report, options.color);
    summary(&mut out, report, options.color);
    out
}

/// The files that findings point into, added to codespan's database on first
/// use (so that line starts are computed only for files that are shown).
struct Files<'r> {
    report: &'r Report,
    db: SimpleFiles<&'r str, &'r str>,
    ids: HashMap<usize, usize>,
}

impl<'r> Files<'r> {
    fn new(report: &'r Report) -> Files<'r> {
        Files {
            report,
            db: SimpleFiles::new(),
            ids: HashMap::new(),
        }
    }

    /// The codespan id and the clamped byte range of `place`, when its file is
    /// one the report carries.
    fn locate(&mut self, place: &Place) -> Option<(usize, Range<usize>)> {
        let file = place.location.file;
        let shown = self.report.files.get(file)?;
        let id = *self
            .ids
            .entry(file)
            .or_insert_with(|| self.db.add(shown.path.as_str(), shown.text.as_str()));
        Some((id, clamp(&shown.text, place.location.span.range())))
    }
}

/// `range` limited to `text` and moved onto character boundaries.
fn clamp(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

fn level(severity: Severity) -> Level {
    match severity {
        Severity::Critical | Severity::High => Level::Error,
        Severity::Medium => Level::Warning,
        Severity::Low => Level::Note,
        Severity::Info => Level::Help,
    }
}

fn diagnostic(report: &Report, files: &mut Files<'_>, finding: &Reported) -> Diagnostic<usize> {
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    match files.locate(&finding.place) {
        Some((id, range)) => {
            labels.push(Label::primary(id, range).with_message(finding.severity.as_str()));
        }
        None => notes.push(format!("at: {}", at(&finding.place))),
    }
    for related in &finding.related {
        match files.locate(&related.place) {
            Some((id, range)) => {
                labels.push(Label::secondary(id, range).with_message(&related.label));
            }
            None => notes.push(format!("{}: {}", related.label, at(&related.place))),
        }
    }
    if !finding.help.is_empty() {
        notes.push(format!("help: {}", finding.help));
    }
    if let Some(fix) = &finding.fix {
        notes.push(match fix.applicability {
            crate::finding::Applicability::Safe => format!("fix: {} (`--fix`)", fix.description),
            crate::finding::Applicability::Unsafe => {
                format!("fix: {} (unsafe: `--fix --unsafe-fixes`)", fix.description)
            }
        });
    }
    if let Some(rule) = report.rules.iter().find(|r| r.id == finding.rule) {
        notes.push(format!("see: {}", rule.help_uri));
    }
    let safe_fix = finding
        .fix
        .as_ref()
        .is_some_and(|f| f.applicability == crate::finding::Applicability::Safe);
    let message = if safe_fix {
        format!("[*] {}", finding.message)
    } else {
        finding.message.clone()
    };
    Diagnostic::new(level(finding.severity))
        .with_code(finding.rule)
        .with_message(message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Appends `diagnostic` to `out`; false if codespan could not render it.
fn emit(
    out: &mut String,
    config: &Config,
    db: &SimpleFiles<&str, &str>,
    diagnostic: &Diagnostic<usize>,
    color: bool,
) -> bool {
    if !color {
        let mut text = String::new();
        if term::emit_to_string(&mut text, config, db, diagnostic).is_err() {
            return false;
        }
        out.push_str(&text);
        return true;
    }
    let mut writer = termcolor::Ansi::new(Vec::new());
    if term::emit_to_write_style(&mut writer, config, db, diagnostic).is_err() {
        return false;
    }
    out.push_str(&String::from_utf8_lossy(&writer.into_inner()));
    true
}

fn at(place: &Place) -> String {
    format!("{}:{}:{}", place.path, place.start.line, place.start.column)
}

fn plain(finding: &Reported) -> String {
    format!(
        "{}[{}]: {}\n  --> {}",
        finding.severity,
        finding.rule,
        finding.message,
        at(&finding.place)
    )
}

fn style(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("{code}{text}{RESET}")
    } else {
        text.to_owned()
    }
}

fn notices(out: &mut String, report: &Report, color: bool) {
    let note = style("note", NOTE, color);
    for notice in report.notices.iter().take(MAX_NOTICES) {
        let _ = writeln!(out, "{note}: skipped {}: {}", notice.path, notice.reason);
    }
    let more = report.notices.len().saturating_sub(MAX_NOTICES);
    if more > 0 {
        let _ = writeln!(
            out,
            "{note}: skipped {more} more {} (`--format json` lists them all)",
            plural(more, "file", "files")
        );
    }
}

fn summary(out: &mut String, report: &Report, color: bool) {
    let summary = &report.summary;
    let total: usize = summary.by_severity.values().sum();
    let files = format!(
        "{} {}",
        summary.files_scanned,
        plural(summary.files_scanned, "file", "files")
    );
    let silenced = if summary.suppressed + summary.baselined > 0 {
        format!(
            " ({} suppressed, {} baselined)",
            summary.suppressed, summary.baselined
        )
    } else {
        String::new()
    };
    let line = if total == 0 {
        format!("no findings{silenced} in {files}")
    } else {
        let counts = Severity::ALL
            .iter()
            .filter_map(|s| {
                let n = summary.by_severity.get(s).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {s}"))
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "found {total} {}: {counts}{silenced} in {files}",
            plural(total, "finding", "findings")
        )
    };
    let _ = writeln!(out, "{}", style(&line, BOLD, color));
    fixable(out, report);
}

/// Counts the fixes available, as ruff does: "[*] N fixable with `--fix`".
fn fixable(out: &mut String, report: &Report) {
    let count = |a| {
        report
            .findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| x.applicability == a))
            .count()
    };
    let safe = count(crate::finding::Applicability::Safe);
    let unsafe_ = count(crate::finding::Applicability::Unsafe);
    if safe > 0 {
        let _ = writeln!(
            out,
            "[*] {safe} {} with `shiplint check --fix`",
            plural(safe, "finding fixable", "findings fixable")
        );
    }
    if unsafe_ > 0 {
        let _ = writeln!(
            out,
            "{unsafe_} more {} with `--fix --unsafe-fixes` (check the result: they change behaviour)",
            plural(unsafe_, "fix is available", "fixes are available")
        );
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
