//! `markdown`: a summary table and every finding with its snippet, for
//! `$GITHUB_STEP_SUMMARY`, pull-request comments and audit reports. Text from
//! the scanned files is only ever shown inside code fences longer than any
//! run of backticks it holds; messages are escaped for table cells.

use super::merge::{Audit, Item, Repo};
use crate::finding::Severity;
use std::fmt::Write as _;

/// `shiplint report --trust-map`: the trust map alone.
pub fn render_trust_map(audit: &Audit) -> String {
    let section = super::trustmap::markdown(&audit.trust_map, audit.merged);
    if section.is_empty() {
        return "# shiplint trust map\n\nNo role with a federated trust, and no workflow assuming a role, in the scan.\n".to_owned();
    }
    format!("# shiplint trust map\n\n{section}")
}

pub fn render(audit: &Audit) -> String {
    let mut out = String::new();
    let total = audit.total();
    let title = if audit.merged {
        "shiplint audit report"
    } else {
        "shiplint"
    };
    let _ = writeln!(out, "# {title}\n");
    let mut facts = vec![format!(
        "**{total} {}**",
        if total == 1 { "finding" } else { "findings" }
    )];
    if audit.merged {
        facts.push(format!("{} repositories", audit.repos.len()));
    }
    if let Some(n) = audit.files_scanned() {
        facts.push(format!("{n} files scanned"));
    }
    facts.push(format!("{} suppressed", audit.suppressed()));
    facts.push(format!("{} baselined", audit.baselined()));
    let _ = writeln!(out, "{}\n", facts.join(" · "));

    let _ = writeln!(out, "## By severity\n");
    let _ = writeln!(out, "| severity | findings | |\n|---|---:|---|");
    let by_severity = audit.by_severity();
    let most = by_severity.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (severity, n) in &by_severity {
        let bar = bar(*n, most);
        let bar = if bar.is_empty() {
            String::new()
        } else {
            format!("`{bar}`")
        };
        let _ = writeln!(out, "| {} {severity} | {n} | {bar} |", icon(*severity));
    }
    let _ = writeln!(out, "| **total** | **{total}** | |\n");

    let by_rule = audit.by_rule();
    if !by_rule.is_empty() {
        let _ = writeln!(out, "## By rule\n");
        let _ = writeln!(
            out,
            "| rule | critical | high | medium | low | info | findings |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for row in &by_rule {
            let _ = write!(out, "| {} ", rule_link(audit, &row.rule));
            for (_, n) in &row.by_severity {
                let _ = write!(out, "| {n} ");
            }
            let _ = writeln!(out, "| {} |", row.total());
        }
        out.push('\n');
    }

    if audit.merged {
        let _ = writeln!(out, "## By repository\n");
        let _ = writeln!(
            out,
            "| repository | critical | high | medium | low | info | total |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for repo in &audit.repos {
            let _ = write!(out, "| {} ", cell(&repo.name));
            for severity in Severity::ALL {
                let _ = write!(out, "| {} ", repo.count(severity));
            }
            let _ = writeln!(out, "| {} |", repo.findings.len());
        }
        out.push('\n');
    }

    let skipped: Vec<_> = audit.notices().collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "## Skipped files\n");
        for (repo, notice) in skipped {
            let repo = if audit.merged {
                format!("{}: ", cell(&repo.name))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "- {repo}`{}`: {}",
                code_text(&notice.path),
                inline(&notice.reason)
            );
        }
        out.push('\n');
    }
    out.push_str(&super::trustmap::markdown(&audit.trust_map, audit.merged));

    if total > 0 {
        let _ = writeln!(out, "## Findings\n");
        for repo in &audit.repos {
            if repo.findings.is_empty() {
                continue;
            }
            if audit.merged {
                let _ = writeln!(out, "### {}\n", cell(&repo.name));
            }
            for item in &repo.findings {
                finding(&mut out, audit, repo, item);
            }
        }
    }
    out
}

fn finding(out: &mut String, audit: &Audit, _repo: &Repo, item: &Item) {
    let _ = writeln!(
        out,
        "- {} **{}** {} `{}:{}:{}`  \n  {}",
        icon(item.severity),
        item.severity,
        rule_link(audit, &item.rule),
        code_text(&item.path),
        item.line,
        item.column,
        inline(&item.message),
    );
    for (path, line, label) in &item.related {
        let _ = writeln!(out, "  - `{}:{line}`: {}", code_text(path), inline(label));
    }
    if !item.help.is_empty() {
        let _ = writeln!(out, "  - help: {}", inline(&item.help));
    }
    if let Some(snippet) = &item.snippet {
        let body: String = snippet
            .lines
            .iter()
            .map(|(n, text, marked)| {
                format!("{} {n:>4} | {text}\n", if *marked { '>' } else { ' ' })
            })
            .collect();
        let fence = fence(&body);
        let _ = write!(out, "\n  {fence}text\n");
        for line in body.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let _ = writeln!(out, "  {fence}");
    }
    out.push('\n');
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🟥",
        Severity::High => "🟧",
        Severity::Medium => "🟨",
        Severity::Low => "🟦",
        Severity::Info => "⬜",
    }
}

/// A text bar of up to 20 blocks, proportional to `n / most`.
fn bar(n: usize, most: usize) -> String {
    if most == 0 || n == 0 {
        return String::new();
    }
    let width = (n * 20).div_ceil(most).max(1);
    "█".repeat(width)
}

fn rule_link(audit: &Audit, rule: &str) -> String {
    match audit.rules.get(rule) {
        Some(meta) if !meta.help_uri.is_empty() && !meta.help_uri.contains([')', ' ']) => {
            format!("[`{}`]({})", code_text(rule), meta.help_uri)
        }
        _ => format!("`{}`", code_text(rule)),
    }
}

/// Escapes text for a Markdown table cell or list item: one line, no raw
/// HTML, no table breaks, no emphasis or link syntax.
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '*' | '_' | '[' | ']' | '\\' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text that may hold `code` spans: the spans are kept (their text is shown
/// literally by Markdown), the rest is escaped as for [`cell`]. With an odd
/// number of backticks the whole text is escaped.
fn inline(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return cell(text).replace('`', "\\`");
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 && !part.is_empty() {
                format!("`{}`", part.replace(['\r', '\n'], " "))
            } else {
                cell(part)
            }
        })
        .collect()
}

/// Text for inline code: no backticks or line breaks inside.
fn code_text(text: &str) -> String {
    text.replace(['`', '\r', '\n'], "'")
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_and_cells_are_escaped() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ```` b"), "`````");
        assert_eq!(cell("a|b<script>\n*x*"), "a\\|b&lt;script&gt; \\*x\\*");
        assert_eq!(
            inline("wrap it in `[{\"a\": 1}]` <now>"),
            "wrap it in `[{\"a\": 1}]` &lt;now&gt;"
        );
        assert_eq!(inline("odd ` tick*"), "odd \\` tick\\*");
        assert_eq!(bar(0, 5), "");
        assert_eq!(bar(5, 5).chars().count(), 20);
        assert_eq!(bar(1, 100).chars().count(), 1);
    }
}
