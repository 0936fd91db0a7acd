//! What a rule reports, before and after the engine locates it.

use crate::syntax::{Position, Span};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Severities, lowest first so that `>=` reads as "at least as severe".
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// SARIF `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "note",
        }
    }

    /// GitHub code scanning's `security-severity` score.
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Index of a file in the scan's sorted file list.
pub type FileId = usize;

/// A place in a scanned file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// A second location that explains the first ("trusted provider declared
/// here", "task definition defined here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub location: Location,
    pub label: String,
}

/// A defect as a rule reports it: located by span, not yet by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// `None` takes the rule's (or the configuration's) severity.
    pub severity: Option<Severity>,
    pub message: String,
    pub location: Location,
    pub related: Vec<Related>,
    /// Overrides the rule's documented fix for this finding.
    pub help: Option<String>,
    /// Spans holding secret values, masked in every output.
    pub secrets: Vec<Location>,
    /// The document path of the value, when the engine computed it early
    /// (before dropping a large file's tree).
    pub route: Option<String>,
    /// A mechanical correction, when the rule can write one.
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(rule: &'static str, location: Location, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: None,
            message: message.into(),
            location,
            related: Vec::new(),
            help: None,
            secrets: Vec::new(),
            route: None,
            fix: None,
        }
    }

    /// Attaches a fix (its edits are byte spans of the finding's file).
    pub fn with_fix(mut self, fix: Option<Fix>) -> Finding {
        self.fix = fix;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = Some(severity);
        self
    }

    pub fn related(mut self, location: Location, label: impl Into<String>) -> Finding {
        self.related.push(Related {
            location,
            label: label.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// Moves every location of the finding into file `file` (for findings
    /// made before the file's final id was known).
    pub fn in_file(mut self, file: FileId) -> Finding {
        self.location.file = file;
        for r in &mut self.related {
            r.location.file = file;
        }
        for s in &mut self.secrets {
            s.file = file;
        }
        self
    }

    /// Marks `location` as holding a secret: every output masks it.
    pub fn secret(mut self, location: Location) -> Finding {
        self.secrets.push(location);
        self
    }
}

/// A location resolved to a path and 1-based positions.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Place {
    /// Path relative to the scan root, `/`-separated.
    pub path: String,
    pub start: Position,
    /// Exclusive end.
    pub end: Position,
    #[serde(skip)]
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedPlace {
    #[serde(flatten)]
    pub place: Place,
    pub label: String,
}

/// A finding ready to render: located, severity decided, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reported {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(flatten)]
    pub place: Place,
    /// The document path of the value (`$.Resources.Role.Properties...`).
    pub route: String,
    pub related: Vec<RelatedPlace>,
    pub help: String,
    /// Stable across edits that only move lines: rule, file, route, value.
    pub fingerprint: String,
    /// The fix `--fix` (or `--unsafe-fixes`) would apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<ReportedFix>,
}

/// Whether a fix keeps what the author meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps what the author meant: applied by `--fix`.
    Safe,
    /// Changes behaviour: applied only with `--unsafe-fixes`.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes of `span` (empty: insert at `span.start`) with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

impl Edit {
    pub fn replace(span: Span, replacement: impl Into<String>) -> Edit {
        Edit {
            span,
            replacement: replacement.into(),
        }
    }

    pub fn insert(at: u32, text: impl Into<String>) -> Edit {
        Edit {
            span: Span { start: at, end: at },
            replacement: text.into(),
        }
    }

    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

/// A mechanical correction of a finding: edits on byte spans of its file,
/// sorted and never overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub description: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, description, edits)
    }

    pub fn unsafe_(description: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, description, edits)
    }

    pub fn new(
        applicability: Applicability,
        description: impl Into<String>,
        edits: Vec<Edit>,
    ) -> Fix {
        let mut edits = edits;
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        Fix {
            description: description.into(),
            applicability,
            edits,
        }
    }
}

/// A fix located for reporting; `span`s stay for applying it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedFix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<ReportedEdit>,
    /// The file on disk the edits apply to.
    #[serde(skip)]
    pub file: std::path::PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportedEdit {
    pub start: Position,
    /// Exclusive end (equal to `start` for an insertion).
    pub end: Position,
    /// The text that replaces the span.
    pub replacement: String,
    #[serde(skip)]
    pub span: Span,
}

/// Masks a secret for display: at most its first 4 and last 4 characters
/// stay, the rest become `*` (byte length is kept, so spans stay valid). Values
/// of 12 characters or fewer are masked whole.
pub fn mask(secret: &str) -> String {
    let count = secret.chars().count();
    secret
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if count > 12 && (i < 4 || i >= count - 4) {
                c.to_string()
            } else {
                "*".repeat(c.len_utf8())
            }
        })
        .collect()
}
