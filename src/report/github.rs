//! `github`: GitHub Actions workflow commands, one per finding, which the
//! runner turns into annotations on the pull request:
//!
//! ```text
//! ::error file=PATH,line=L,col=C,endLine=L,endColumn=C,title=shiplint RULE::MESSAGE
//! ```
//!
//! `error` for critical and high, `warning` for medium, `notice` for low and
//! info. A file the scan skipped is a `warning` on that file. Columns are only sent when the finding starts and ends on one line
//! (GitHub rejects them otherwise).

use super::Report;
use crate::finding::Severity;
use std::fmt::Write as _;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let place = &finding.place;
        let start = place.start;
        let mut end = place.end;
        // A span that runs up to a line ending ends, for the reader, on the
        // line before.
        if end.line > start.line && end.column <= 1 {
            end.line -= 1;
            end.column = 0;
        }
        let mut properties = vec![
            ("file", place.path.clone()),
            ("line", start.line.to_string()),
        ];
        if end.line == start.line && end.column != 0 {
            properties.push(("col", start.column.to_string()));
            properties.push(("endLine", end.line.to_string()));
            properties.push(("endColumn", end.column.to_string()));
        } else {
            properties.push(("endLine", end.line.max(start.line).to_string()));
        }
        properties.push(("title", format!("shiplint {}", finding.rule)));
        let properties = properties
            .iter()
            .map(|(key, value)| format!("{key}={}", escape_property(value)))
            .collect::<Vec<_>>()
            .join(",");
        let _ = writeln!(
            out,
            "::{} {properties}::{}",
            command(finding.severity),
            escape_data(&finding.message)
        );
    }
    for notice in &report.notices {
        let _ = writeln!(
            out,
            "::warning file={},title=shiplint skipped a file::{}",
            escape_property(&notice.path),
            escape_data(&format!("skipped {}: {}", notice.path, notice.reason))
        );
    }
    out
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// Escapes a command's message the way the runner unescapes it.
pub(super) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value: as data, plus `:` and `,`.
pub(super) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}
