//! `json`: a versioned document for scripts and dashboards.
//!
//! Schema, version 1. Keys always appear in this order; lines and columns are
//! 1-based, columns count Unicode code points, and every `end` is exclusive
//! (it points just past the last character of the span). Adding a key is not a
//! breaking change; removing or renaming one bumps `version`.
//!
//! ```text
//! {
//!   "version": 1,
//!   "tool": { "name": "shiplint", "version": "0.1.0" },
//!   "summary": {
//!     "findings": 3,              // reported findings (not suppressed, not baselined)
//!     "files_scanned": 12,
//!     "by_severity": {            // every severity, zero or not, lowest first
//!       "info": 0, "low": 1, "medium": 0, "high": 1, "critical": 1
//!     },
//!     "suppressed": 1,            // silenced by inline comments or configuration
//!     "baselined": 0              // already recorded in the baseline
//!   },
//!   "findings": [                 // sorted by path, line, column, rule, message
//!     {
//!       "rule": "duplicate-key",
//!       "severity": "high",       // info | low | medium | high | critical
//!       "message": "...",
//!       "path": "deploy/buildspec.yml",   // relative to the scan root, `/`-separated
//!       "start": { "line": 4, "column": 3 },
//!       "end": { "line": 4, "column": 9 },
//!       "route": "$.phases.build",        // document path of the value
//!       "related": [              // other places that explain this one (may be empty)
//!         {
//!           "path": "...",
//!           "start": { "line": 1, "column": 1 },
//!           "end": { "line": 1, "column": 5 },
//!           "label": "first defined here"
//!         }
//!       ],
//!       "help": "...",            // how to fix it
//!       "fingerprint": "...",     // stable across moved lines and list insertions
//!       "fix": {                  // only when shiplint can fix it (`check --fix`)
//!         "applicability": "safe",        // safe | unsafe (`--unsafe-fixes`)
//!         "description": "...",
//!         "edits": [              // sorted, never overlapping
//!           {
//!             "start": { "line": 2, "column": 4 },
//!             "end": { "line": 2, "column": 12 },   // exclusive; = start to insert
//!             "replacement": "ImageURI"
//!           }
//!         ]
//!       }
//!     }
//!   ],
//!   "notices": [                  // files the scan did not read
//!     { "path": "...", "reason": "..." }
//!   ]
//! }
//! ```
//!
//! Secret values are masked in every string, as in the other formats.

use super::{Notice, Report, Summary};
use crate::finding::Reported;
use serde::Serialize;

/// The version of the document's shape (not of the tool).
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'r> {
    version: u32,
    tool: Tool,
    summary: SummaryOut<'r>,
    findings: &'r [Reported],
    notices: &'r [Notice],
    /// Roles with a federated trust and the jobs that assume them (only
    /// when the scan found any).
    #[serde(skip_serializing_if = "no_trust_map")]
    trust_map: &'r crate::model::trustmap::TrustMap,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SummaryOut<'r> {
    findings: usize,
    #[serde(flatten)]
    summary: &'r Summary,
}

fn no_trust_map(map: &&crate::model::trustmap::TrustMap) -> bool {
    map.is_empty()
}

pub fn render(report: &Report) -> String {
    let document = Document {
        version: VERSION,
        tool: Tool {
            name: "shiplint",
            version: report.tool_version,
        },
        summary: SummaryOut {
            findings: report.summary.by_severity.values().sum(),
            summary: &report.summary,
        },
        findings: &report.findings,
        notices: &report.notices,
        trust_map: &report.trust_map,
    };
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_else(|e| {
        // Not reachable with these types (string keys only); still valid JSON.
        serde_json::json!({ "version": VERSION, "error": e.to_string() }).to_string()
    });
    out.push('\n');
    out
}
