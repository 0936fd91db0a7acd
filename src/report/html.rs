//! `html`: one self-contained audit report. Styles are inline, charts are
//! CSS bars, there is no script, and a Content-Security-Policy of
//! `default-src 'none'` keeps the browser from loading anything else. Every
//! piece of text is escaped; scanned text appears only in `<pre>` snippets
//! (secrets already masked).

use super::merge::{Audit, Item};
use crate::finding::Severity;
use std::fmt::Write as _;

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:16px;margin:20px 0 8px}
.muted{color:#59636e}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:10px 14px;min-width:92px}
.card .n{font-size:22px;font-weight:600;display:block}
.chart{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:12px 14px}
.row{display:grid;grid-template-columns:220px 1fr 48px;gap:10px;align-items:center;margin:3px 0}
.row .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.track{background:#eef1f4;border-radius:4px;height:14px}
.fill{height:14px;border-radius:4px;min-width:2px}
.count{text-align:right;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #d1d9e0;padding:5px 8px;text-align:left}td.num,th.num{text-align:right}
.finding{background:#fff;border:1px solid #d1d9e0;border-left-width:5px;border-radius:6px;padding:10px 14px;margin:10px 0}
.finding .head{display:flex;gap:8px;flex-wrap:wrap;align-items:baseline}
.badge{font-size:12px;font-weight:600;border-radius:10px;padding:1px 8px;color:#fff}
.loc{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
pre{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:6px 0;overflow-x:auto;margin:8px 0 0}
pre span{display:block;padding:0 10px}pre span.hit{background:#fff5b1}
.ln{color:#8c959f;user-select:none;display:inline-block;width:4ch;text-align:right;margin-right:10px}
ul.rel{margin:6px 0 0;padding-left:20px}
.critical{background:#a40e26;border-color:#a40e26}.high{background:#d1242f;border-color:#d1242f}
.medium{background:#bf8700;border-color:#bf8700}.low{background:#0969da;border-color:#0969da}
.info{background:#6e7781;border-color:#6e7781}
.finding.critical,.finding.high,.finding.medium,.finding.low,.finding.info{background:#fff}
";

/// The page up to its first section.
fn head(out: &mut String, title: &str, version: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{STYLE}{}</style>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n\
         <p class=\"muted\">shiplint {}</p>\n",
        super::trustmap::STYLE,
        esc(version)
    );
}

/// `shiplint report --trust-map --format html`: the trust map alone.
pub fn render_trust_map(audit: &Audit) -> String {
    let mut out = String::new();
    head(&mut out, "shiplint trust map", &audit.tool_version);
    let section = super::trustmap::html(&audit.trust_map, audit.merged);
    if section.is_empty() {
        out.push_str("<p id=\"no-trust\">No role with a federated trust, and no workflow assuming a role, in the scan.</p>\n");
    } else {
        out.push_str(&section);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

pub fn render(audit: &Audit) -> String {
    let mut out = String::new();
    let total = audit.total();
    let title = if audit.merged {
        "shiplint audit report"
    } else {
        "shiplint report"
    };
    head(&mut out, title, &audit.tool_version);
    if let Some(scanned) = &audit.scanned {
        let _ = write!(
            out,
            "<p class=\"muted\" id=\"scanned\">scanned <span class=\"loc\">{}</span> on {}",
            esc(&scanned.paths.join(" ")),
            esc(&scanned.date)
        );
        if let Some(commit) = &scanned.commit {
            let _ = write!(out, " at commit <span class=\"loc\">{}</span>", esc(commit));
        }
        out.push_str("</p>\n");
    }

    // Totals.
    out.push_str("<section class=\"cards\" id=\"totals\">\n");
    card(&mut out, "total", "findings", total);
    for (severity, n) in audit.by_severity() {
        card(&mut out, severity.as_str(), severity.as_str(), n);
    }
    if audit.merged {
        card(&mut out, "repositories", "repositories", audit.repos.len());
    }
    if let Some(n) = audit.files_scanned() {
        card(&mut out, "files", "files scanned", n);
    }
    card(&mut out, "suppressed", "suppressed", audit.suppressed());
    card(&mut out, "baselined", "baselined", audit.baselined());
    out.push_str("</section>\n");

    // Charts.
    out.push_str("<h2>By severity</h2>\n<div class=\"chart\" id=\"chart-severity\">\n");
    let by_severity = audit.by_severity();
    let most = by_severity.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (severity, n) in &by_severity {
        bar(&mut out, severity.as_str(), severity.as_str(), *n, most);
    }
    out.push_str("</div>\n");
    let by_rule = audit.by_rule();
    if !by_rule.is_empty() {
        out.push_str("<h2>By rule</h2>\n<div class=\"chart\" id=\"chart-rule\">\n");
        let most = by_rule.iter().map(|r| r.total()).max().unwrap_or(0);
        for row in &by_rule {
            bar(&mut out, &row.rule, row.worst().as_str(), row.total(), most);
        }
        out.push_str("</div>\n<table id=\"by-rule\">\n<tr><th>rule</th>");
        for severity in Severity::ALL {
            let _ = write!(out, "<th class=\"num\">{severity}</th>");
        }
        out.push_str("<th class=\"num\">total</th></tr>\n");
        for row in &by_rule {
            let _ = write!(out, "<tr><td>{}</td>", esc(&row.rule));
            for (_, n) in &row.by_severity {
                let _ = write!(out, "<td class=\"num\">{n}</td>");
            }
            let _ = writeln!(out, "<td class=\"num\">{}</td></tr>", row.total());
        }
        out.push_str("</table>\n");
    }

    if audit.merged {
        out.push_str(
            "<h2>By repository</h2>\n<table id=\"by-repository\">\n<tr><th>repository</th>",
        );
        for severity in Severity::ALL {
            let _ = write!(out, "<th class=\"num\">{severity}</th>");
        }
        out.push_str("<th class=\"num\">total</th></tr>\n");
        for repo in &audit.repos {
            let _ = write!(out, "<tr><td>{}</td>", esc(&repo.name));
            for severity in Severity::ALL {
                let _ = write!(out, "<td class=\"num\">{}</td>", repo.count(severity));
            }
            let _ = writeln!(out, "<td class=\"num\">{}</td></tr>", repo.findings.len());
        }
        out.push_str("</table>\n");
    }

    let skipped: Vec<_> = audit.notices().collect();
    if !skipped.is_empty() {
        out.push_str("<h2>Skipped files</h2>\n<ul id=\"skipped\">\n");
        for (repo, notice) in skipped {
            let repo = if audit.merged {
                format!("{}: ", esc(&repo.name))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "<li>{repo}<span class=\"loc\">{}</span>: {}</li>",
                esc(&notice.path),
                esc(&notice.reason)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&super::trustmap::html(&audit.trust_map, audit.merged));

    out.push_str("<h2>Findings</h2>\n");
    if total == 0 {
        out.push_str("<p id=\"no-findings\">No findings.</p>\n");
    }
    for repo in &audit.repos {
        if repo.findings.is_empty() {
            continue;
        }
        if audit.merged {
            let _ = writeln!(out, "<h3>{}</h3>", esc(&repo.name));
        }
        for item in &repo.findings {
            finding(&mut out, audit, item);
        }
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn card(out: &mut String, id: &str, label: &str, n: usize) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><span class=\"n\" id=\"total-{id}\">{n}</span><span class=\"muted\">{label}</span></div>"
    );
}

fn bar(out: &mut String, label: &str, class: &str, n: usize, most: usize) {
    let percent = (n * 100).checked_div(most).unwrap_or(0);
    let _ = writeln!(
        out,
        "<div class=\"row\"><span class=\"label\" title=\"{l}\">{l}</span><div class=\"track\"><div class=\"fill {class}\" style=\"width:{percent}%\"></div></div><span class=\"count\">{n}</span></div>",
        l = esc(label),
    );
}

fn finding(out: &mut String, audit: &Audit, item: &Item) {
    let severity = item.severity.as_str();
    let _ = write!(
        out,
        "<div class=\"finding {severity}\">\n<div class=\"head\"><span class=\"badge {severity}\">{severity}</span>"
    );
    let rule = esc(&item.rule);
    match audit.rules.get(&item.rule) {
        Some(meta) if is_web_link(&meta.help_uri) => {
            let _ = write!(
                out,
                "<a class=\"loc\" href=\"{}\">{rule}</a>",
                esc(&meta.help_uri)
            );
        }
        _ => {
            let _ = write!(out, "<span class=\"loc\">{rule}</span>");
        }
    }
    let _ = writeln!(
        out,
        "<span class=\"loc\">{}:{}:{}</span></div>\n<div>{}</div>",
        esc(&item.path),
        item.line,
        item.column,
        esc(&item.message)
    );
    if !item.related.is_empty() || !item.help.is_empty() {
        out.push_str("<ul class=\"rel\">");
        for (path, line, label) in &item.related {
            let _ = write!(
                out,
                "<li><span class=\"loc\">{}:{line}</span> {}</li>",
                esc(path),
                esc(label)
            );
        }
        if !item.help.is_empty() {
            let _ = write!(out, "<li>help: {}</li>", esc(&item.help));
        }
        out.push_str("</ul>\n");
    }
    if let Some(snippet) = &item.snippet {
        out.push_str("<pre>");
        for (n, text, hit) in &snippet.lines {
            let _ = write!(
                out,
                "<span{}><span class=\"ln\">{n}</span>{}</span>",
                if *hit { " class=\"hit\"" } else { "" },
                esc(text)
            );
        }
        out.push_str("</pre>\n");
    }
    out.push_str("</div>\n");
}

fn is_web_link(uri: &str) -> bool {
    uri.starts_with("https://") || uri.starts_with("http://")
}

/// Escapes text for HTML element content and quoted attribute values.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<img src=x onerror='a'>&\""),
            "&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&quot;"
        );
        assert!(is_web_link("https://x"));
        assert!(!is_web_link("javascript:alert(1)"));
    }
}
