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
        }
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
