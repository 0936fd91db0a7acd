//! `concise`: one greppable line per finding,
//! `path:line:col: severity[rule-id] message`, then one line per file the
//! scan skipped, `path: skipped: reason` (no line and column, so that tools
//! reading `path:line:col:` lines pass over them).

use super::Report;
use std::fmt::Write as _;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let place = &finding.place;
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            place.path,
            place.start.line,
            place.start.column,
            finding.severity,
            finding.rule,
            one_line(&finding.message),
        );
    }
    for notice in &report.notices {
        let _ = writeln!(
            out,
            "{}: skipped: {}",
            notice.path,
            one_line(&notice.reason)
        );
    }
    out
}

/// Keeps a finding on one line whatever its message holds.
fn one_line(text: &str) -> String {
    text.replace("\r\n", " ").replace(['\r', '\n'], " ")
}
