//! `--diff-base REF`: report only findings in files changed since REF.
//!
//! The changed files are what `git` says changed between the merge base of
//! REF and `HEAD` and the working tree (commits on this branch, staged and
//! unstaged edits, deletions), plus untracked files that are not ignored. A
//! finding counts when its file changed, or the file of one of its related
//! locations did (a cross-file finding is new when either side is).
//!
//! Running `git` reads the repository's metadata, never the scanned content;
//! it runs with the file system monitor and external diff drivers off, so
//! that a scanned repository's configuration cannot make it run a program.

use crate::baseline::Anchor;
use crate::report::Report;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("--diff-base: {0:?} is not a revision name")]
    BadRef(String),
    #[error("--diff-base needs git: {0}")]
    NoGit(String),
    #[error("--diff-base: {0} is not inside a git repository")]
    NotARepository(String),
    #[error("--diff-base: unknown revision {0:?} (in a shallow clone, fetch it first)")]
    UnknownRef(String),
    #[error("--diff-base: git {0} failed: {1}")]
    Git(String, String),
}

/// The files changed since `base`, relative to the repository's top level,
/// and that top level.
pub fn changed_files(start: &Path, base: &str) -> Result<(PathBuf, BTreeSet<String>), DiffError> {
    if base.is_empty() || base.starts_with('-') || base.contains('\0') {
        return Err(DiffError::BadRef(base.to_owned()));
    }
    let dir = if start.is_dir() {
        start.to_path_buf()
    } else {
        start
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    };
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| match e {
        DiffError::Git(..) => DiffError::NotARepository(start.display().to_string()),
        other => other,
    })?;
    let top = PathBuf::from(top.trim_end_matches(['\n', '\r']));
    let top = top.canonicalize().unwrap_or(top);
    let commit = format!("{base}^{{commit}}");
    git(&top, &["rev-parse", "--verify", "--quiet", &commit])
        .map_err(|_| DiffError::UnknownRef(base.to_owned()))?;
    // The merge base keeps changes made on REF's side since the branch point
    // out; without one (unrelated histories, no HEAD yet) REF itself is used.
    let since = git(&top, &["merge-base", &commit, "HEAD"])
        .map(|s| s.trim().to_owned())
        .unwrap_or(commit);
    let mut changed = BTreeSet::new();
    let diff = git(
        &top,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            &since,
            "--",
        ],
    )?;
    let untracked = git(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    for name in diff.split('\0').chain(untracked.split('\0')) {
        if !name.is_empty() {
            changed.insert(name.to_owned());
        }
    }
    Ok((top, changed))
}

fn git(dir: &Path, args: &[&str]) -> Result<String, DiffError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.fsmonitor=false", "-c", "core.quotepath=off"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .output()
        .map_err(|e| DiffError::NoGit(e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(DiffError::Git(
            args.first().copied().unwrap_or_default().to_owned(),
            stderr.trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Keeps in `report` only findings whose file, or one of whose related
/// files, is in `changed` (paths relative to `anchor.root`); returns how many
/// were dropped.
pub fn retain_changed(report: &mut Report, changed: &BTreeSet<String>, anchor: &Anchor) -> usize {
    let mut cache: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    let mut is_changed = |display: &str| {
        *cache
            .entry(display.to_owned())
            .or_insert_with(|| changed.contains(&anchor.relative(display)))
    };
    let before = report.findings.len();
    report.findings.retain(|f| {
        is_changed(&f.place.path) || f.related.iter().any(|r| is_changed(&r.place.path))
    });
    let dropped = before - report.findings.len();
    crate::baseline::recount(report);
    dropped
}
