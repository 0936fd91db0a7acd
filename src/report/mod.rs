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

#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders `report` as `format`.
pub fn render(report: &Report, format: Format, options: RenderOptions) -> String {
    match format {
        Format::Full => full::render(report, options),
        Format::Concise => concise::render(report),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Markdown => markdown::render(&merge::Audit::from_report(report)),
        Format::Html => html::render(&merge::Audit::from_report(report)),
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
