//! Baselines: `--write-baseline FILE` records the findings of a scan,
//! `--baseline FILE` then hides those and reports only new ones.
//!
//! A baseline entry is matched by fingerprint: FNV-1a (the report's hash) of
//! the rule, the file's path relative to the repository root, the route of
//! the value (`$.Resources.Role...`) and the value's text as shown (secrets
//! masked). Lines and columns are not part of it, and routes name list items
//! by identity or content rather than position (see
//! [`crate::syntax::Route`]), so an entry survives edits that move lines,
//! insert items above it or reorder a list; changing the value, moving it to
//! another key or renaming the file makes it a new finding. The repository root is the
//! nearest directory holding `.git` above the first scanned path (the path
//! itself when there is none), so the same baseline works whatever the working
//! directory. The baseline fingerprint equals the report's `fingerprint` for
//! every finding whose value holds no secret.
//!
//! Version policy: `version` changes whenever fingerprints of the same
//! findings would change; a baseline of another version is refused as
//! "unsupported version" (write it again with `--write-baseline`).
//!
//! The file holds, per finding, the fingerprint, rule, path, route and the
//! message cut short: never the value itself. Messages quote secrets only
//! masked (see [`crate::finding::mask`]).

use crate::finding::Severity;
use crate::report::Report;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The version of the baseline file format. Version 2 changed routes (list
/// items named by identity or content, Terraform block labels) and so every
/// fingerprint: a version 1 baseline is refused, with a message saying to
/// write it again, rather than silently matching nothing.
pub const VERSION: u32 = 2;
/// Longest message kept in a baseline entry, in characters.
const MESSAGE_CHARS: usize = 160;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    /// What entry paths are relative to: always `"repository"`.
    pub paths: String,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub route: String,
    /// For people reading the file; not used for matching.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {0}: {1}")]
    Read(String, String),
    #[error("baseline {0} is not a shiplint baseline: {1}")]
    Parse(String, String),
    #[error(
        "baseline {0} has unsupported version {1} (this shiplint reads version {VERSION}): write it again with --write-baseline"
    )]
    Version(String, u64),
    #[error("cannot write baseline {0}: {1}")]
    Write(String, String),
}

/// Where scanned paths are anchored: the nearest directory holding `.git`
/// above `start` (its directory when `start` is a file), else that directory.
pub fn repository_root(start: &Path) -> PathBuf {
    let abs = canonical(start);
    let dir = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf)
    };
    let mut cursor = Some(dir.as_path());
    while let Some(candidate) = cursor {
        if candidate.join(".git").exists() {
            return candidate.to_path_buf();
        }
        cursor = candidate.parent();
    }
    dir
}

/// A scanned file's display path (relative to `cwd`, or absolute) made
/// relative to `root`, `/`-separated; the display path itself when the file
/// lies outside `root`.
pub fn relative_to(root: &Path, display: &str, cwd: &Path) -> String {
    // The directory is resolved, not the file: a symbolic link keeps its name.
    let joined = cwd.join(display);
    let abs = match (joined.parent(), joined.file_name()) {
        (Some(parent), Some(name)) => canonical(parent).join(name),
        _ => canonical(&joined),
    };
    match abs.strip_prefix(root) {
        Ok(rest) => rest.to_string_lossy().replace('\\', "/"),
        Err(_) => display.to_owned(),
    }
}

/// `path` absolute, with symbolic links resolved when it exists (so that it
/// compares equal to what `git` prints), else normalized lexically.
fn canonical(path: &Path) -> PathBuf {
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in abs.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Anchors paths for a scan: the repository root and the working directory.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub root: PathBuf,
    pub cwd: PathBuf,
}

impl Anchor {
    /// The anchor of a scan of `paths` from the current directory.
    pub fn for_scan(paths: &[PathBuf]) -> Anchor {
        let first = paths.first().map_or(Path::new("."), PathBuf::as_path);
        Anchor {
            root: repository_root(first),
            cwd: std::env::current_dir().unwrap_or_default(),
        }
    }

    /// A display path relative to the repository root.
    pub fn relative(&self, display: &str) -> String {
        relative_to(&self.root, display, &self.cwd)
    }
}

/// The baseline entries of every finding in `report`, sorted by path, rule,
/// route and fingerprint so that a rewritten baseline diffs cleanly.
pub fn entries(report: &Report, anchor: &Anchor) -> Vec<Entry> {
    let mut out: Vec<Entry> = report
        .findings
        .iter()
        .zip(keys(report, anchor))
        .map(|(f, (path, fingerprint))| Entry {
            fingerprint,
            rule: f.rule.to_owned(),
            path,
            route: f.route.clone(),
            message: short(&f.message),
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.path, &a.rule, &a.route, &a.fingerprint).cmp(&(
            &b.path,
            &b.rule,
            &b.route,
            &b.fingerprint,
        ))
    });
    out
}

/// The repository-relative path and baseline fingerprint of each finding, in
/// the report's order.
fn keys(report: &Report, anchor: &Anchor) -> Vec<(String, String)> {
    let mut paths: HashMap<&str, String> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let path = paths
                .entry(f.place.path.as_str())
                .or_insert_with(|| anchor.relative(&f.place.path))
                .clone();
            let value = report
                .files
                .get(f.place.location.file)
                .and_then(|file| file.text.get(f.place.location.span.range()))
                .unwrap_or("");
            let fingerprint = crate::engine::fingerprint(&[f.rule, &path, &f.route, value]);
            (path, fingerprint)
        })
        .collect()
}

fn short(message: &str) -> String {
    if message.chars().count() <= MESSAGE_CHARS {
        return message.to_owned();
    }
    let mut out: String = message.chars().take(MESSAGE_CHARS - 1).collect();
    out.push('…');
    out
}

/// Writes the baseline of `report` to `path`; returns the number of entries.
pub fn write(report: &Report, anchor: &Anchor, path: &Path) -> Result<usize, BaselineError> {
    let baseline = Baseline {
        version: VERSION,
        paths: "repository".into(),
        findings: entries(report, anchor),
    };
    let mut text = serde_json::to_string_pretty(&baseline)
        .map_err(|e| BaselineError::Write(path.display().to_string(), e.to_string()))?;
    text.push('\n');
    std::fs::write(path, text)
        .map_err(|e| BaselineError::Write(path.display().to_string(), e.to_string()))?;
    Ok(baseline.findings.len())
}

/// Reads a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| BaselineError::Read(name.clone(), e.to_string()))?;
    // The version first: a baseline of another version may have other fields.
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BaselineError::Parse(name.clone(), e.to_string()))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(version) if version == u64::from(VERSION) => {}
        Some(version) => return Err(BaselineError::Version(name, version)),
        None => {
            return Err(BaselineError::Parse(
                name,
                "no \"version\" number".to_owned(),
            ));
        }
    }
    serde_json::from_value(value).map_err(|e| BaselineError::Parse(name, e.to_string()))
}

/// Removes from `report` the findings recorded in `baseline` (each entry
/// hides one finding), counting them in `summary.baselined`; returns how many
/// were hidden.
pub fn apply(report: &mut Report, baseline: &Baseline, anchor: &Anchor) -> usize {
    let mut remaining: HashMap<&str, usize> = HashMap::new();
    for entry in &baseline.findings {
        *remaining.entry(entry.fingerprint.as_str()).or_default() += 1;
    }
    let keys = keys(report, anchor);
    let mut keep = Vec::with_capacity(report.findings.len());
    for (_, fingerprint) in &keys {
        let hidden = match remaining.get_mut(fingerprint.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        };
        keep.push(!hidden);
    }
    let before = report.findings.len();
    let mut flags = keep.into_iter();
    report.findings.retain(|_| flags.next().unwrap_or(true));
    let hidden = before - report.findings.len();
    report.summary.baselined += hidden;
    recount(report);
    hidden
}

/// Recomputes `summary.by_severity` from the findings left in the report.
pub fn recount(report: &mut Report) {
    let mut by_severity: std::collections::BTreeMap<Severity, usize> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in &report.findings {
        *by_severity.entry(f.severity).or_default() += 1;
    }
    report.summary.by_severity = by_severity;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let message = "é".repeat(400);
        let cut = short(&message);
        assert_eq!(cut.chars().count(), MESSAGE_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(short("short"), "short");
    }

    #[test]
    fn paths_are_relative_to_the_repository_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
        std::fs::create_dir_all(repo.join("deploy")).expect("mkdir");
        std::fs::write(repo.join("deploy/a.json"), "{}").expect("write");
        let root = repository_root(&repo.join("deploy"));
        assert_eq!(root, repo.canonicalize().expect("canonical"));
        // From the repository, from a subdirectory and from outside.
        assert_eq!(relative_to(&root, "deploy/a.json", &repo), "deploy/a.json");
        assert_eq!(
            relative_to(&root, "a.json", &repo.join("deploy")),
            "deploy/a.json"
        );
        assert_eq!(
            relative_to(&root, "repo/deploy/a.json", dir.path()),
            "deploy/a.json"
        );
        let outside = dir.path().join("elsewhere.json");
        std::fs::write(&outside, "{}").expect("write");
        assert_eq!(
            relative_to(&root, "elsewhere.json", dir.path()),
            "elsewhere.json"
        );
    }

    #[test]
    fn baselines_of_another_version_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.json");
        std::fs::write(
            &path,
            r#"{"version": 9, "paths": "repository", "findings": []}"#,
        )
        .expect("write");
        assert!(matches!(load(&path), Err(BaselineError::Version(_, 9))));
        // Another version's fields do not hide its version.
        std::fs::write(&path, r#"{"version": 1, "entries": {}}"#).expect("write");
        let err = load(&path).expect_err("refused").to_string();
        assert!(err.contains("unsupported version 1"), "{err}");
        std::fs::write(&path, "[]").expect("write");
        assert!(matches!(load(&path), Err(BaselineError::Parse(..))));
    }
}
