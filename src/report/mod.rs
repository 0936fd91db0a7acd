//! Renderers. Each takes the finished [`Report`] and writes one format; none
//! of them looks at the scanned tree again.

use crate::finding::{Reported, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

mod concise;
mod full;
mod github;
mod html;
mod json;
mod markdown;
pub mod merge;
mod sarif;
pub mod trustmap;

/// Output formats of `shiplint check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Full,
    Concise,
    Json,
    Sarif,
    Github,
    /// A summary table and every finding, for `$GITHUB_STEP_SUMMARY` and PR comments.
    Markdown,
    /// A single self-contained HTML audit report.
    Html,
}

/// What a rule says about itself: from its `rules/<id>.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub family: String,
    pub severity: Severity,
    /// Runs only when selected by its id (`--select ID`), not by "all" or
    /// its family: a stricter check than the catalogue's default bar.
    pub opt_in: bool,
    pub tags: Vec<String>,
    pub cwe: Option<String>,
    /// One line: what the rule flags.
    pub summary: String,
    /// One line: how to fix it.
    pub fix: String,
    /// The whole Markdown document, front matter removed.
    pub markdown: String,
    pub help_uri: String,
}

/// A file the scan did not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Notice {
    pub path: String,
    pub reason: String,
}

/// A file's text as reporters may show it: secrets already masked.
#[derive(Debug, Clone)]
pub struct ShownFile {
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    /// Reported findings by severity (every severity present, zero or not).
    pub by_severity: BTreeMap<Severity, usize>,
    /// Findings silenced by inline comments or configuration.
    pub suppressed: usize,
    /// Findings already recorded in the baseline.
    pub baselined: usize,
}

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct Report {
    /// Sorted by path, line, column, rule, message.
    pub findings: Vec<Reported>,
    /// Indexed by `Place::location.file`.
    pub files: Vec<ShownFile>,
    /// Every rule in the catalogue (SARIF lists them all).
    pub rules: Vec<RuleInfo>,
    pub notices: Vec<Notice>,
    pub summary: Summary,
    pub tool_version: &'static str,
    /// Roles with a federated trust and the workflows that assume them.
    pub trust_map: crate::model::trustmap::TrustMap,
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// Where and when the scan ran, shown by the HTML report.
    pub scanned: Option<merge::Scanned>,
}

/// Renders `report` as `format`.
pub fn render(report: &Report, format: Format, options: RenderOptions) -> String {
    match format {
        Format::Full => full::render(report, &options),
        Format::Concise => concise::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(&merge::Audit::from_report(report)),
        Format::Html => {
            let mut audit = merge::Audit::from_report(report);
            audit.scanned = options.scanned;
            html::render(&audit)
        }
    }
}

/// Joins the reports of two scans (paths with different configurations)
/// into one: file ids of `later` move after those of `earlier`, findings and
/// notices stay sorted, the summaries add up.
pub fn join(mut earlier: Report, later: Report) -> Report {
    let offset = earlier.files.len();
    earlier.files.extend(later.files);
    for mut finding in later.findings {
        finding.place.location.file += offset;
        for related in &mut finding.related {
            related.place.location.file += offset;
        }
        earlier.findings.push(finding);
    }
    earlier
        .findings
        .sort_by(|a, b| (&a.place, a.rule, &a.message).cmp(&(&b.place, b.rule, &b.message)));
    earlier.notices.extend(later.notices);
    earlier.notices.sort();
    earlier.notices.dedup();
    let summary = &mut earlier.summary;
    summary.files_scanned += later.summary.files_scanned;
    summary.suppressed += later.summary.suppressed;
    summary.baselined += later.summary.baselined;
    for (severity, n) in later.summary.by_severity {
        *summary.by_severity.entry(severity).or_default() += n;
    }
    earlier
}

/// Rewrites every path of `report` (findings, related places, files,
/// notices) with `relative`: for formats whose readers place files by their
/// path in the repository (SARIF, GitHub workflow commands).
pub fn rebase(report: &mut Report, relative: &dyn Fn(&str) -> String) {
    let mut cache: BTreeMap<String, String> = BTreeMap::new();
    let mut map = |path: &mut String| {
        let new = cache
            .entry(path.clone())
            .or_insert_with(|| relative(path))
            .clone();
        *path = new;
    };
    for finding in &mut report.findings {
        map(&mut finding.place.path);
        for related in &mut finding.related {
            map(&mut related.place.path);
        }
    }
    for file in &mut report.files {
        map(&mut file.path);
    }
    for notice in &mut report.notices {
        map(&mut notice.path);
    }
}

/// Renders the trust map of an audit alone: Markdown, HTML or JSON (other
/// formats render as Markdown).
pub fn render_trust_map(audit: &merge::Audit, format: Format) -> String {
    match format {
        Format::Html => html::render_trust_map(audit),
        Format::Json => {
            let mut out = serde_json::to_string_pretty(&audit.trust_map)
                .unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }).to_string());
            out.push('\n');
            out
        }
        _ => markdown::render_trust_map(audit),
    }
}

/// Renders an audit (one scan or merged results) as Markdown or HTML; other
/// formats render as Markdown.
pub fn render_audit(audit: &merge::Audit, format: Format) -> String {
    match format {
        Format::Html => html::render(audit),
        _ => markdown::render(audit),
    }
}

#[cfg(test)]
mod tests;
