//! `shiplint hook install [--pre-commit|--pre-push]`: writes a git hook that
//! lints what is about to be committed or pushed.
//!
//! - pre-commit: the files that differ from `HEAD` (staged, unstaged or new);
//!   the whole tree before the first commit.
//! - pre-push: for each ref pushed, the files changed since the remote's
//!   commit; for a new branch, since its merge base with the remote's default
//!   branch (`<remote>/HEAD`, else `<remote>/main` or `<remote>/master`), else
//!   since its upstream; the whole tree when there is none of these.
//!
//! Hooks run the shiplint that installed them (by absolute path), or the one
//! named by `$SHIPLINT`, or `shiplint` from `PATH`. A hook that shiplint did
//! not write is never replaced without `--force`; with it, the user's hook is
//! kept as `<hook>.local` (`pre-push.local`) and shiplint's hook runs it first,
//! with the same arguments and input, and stops when it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The line that marks a hook as ours.
pub const MARKER: &str = "# shiplint hook:";

/// Appended to a hook's name to keep the user's hook that `--force` replaced.
pub const LOCAL_SUFFIX: &str = ".local";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    PreCommit,
    PrePush,
}

impl HookKind {
    pub fn name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("not inside a git repository: {0}")]
    NotARepository(String),
    #[error("{0} exists and was not written by shiplint: use --force to replace it")]
    Exists(String),
    #[error("cannot write {0}: {1}")]
    Write(String, String),
}

/// Single-quotes `text` for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The hook script for `kind`, running `exe` by default.
pub fn script(kind: HookKind, exe: &Path) -> String {
    let head = format!(
        "#!/bin/sh\n{MARKER} {name} (written by `shiplint hook install`; skip once with --no-verify)\n\
         if [ -z \"${{SHIPLINT:-}}\" ]; then\n  SHIPLINT={exe}\n  [ -x \"$SHIPLINT\" ] || SHIPLINT=shiplint\nfi\n\
         # The hook that was here before (kept by `shiplint hook install --force`) runs first.\n\
         local_hook=\"$0{LOCAL_SUFFIX}\"\n",
        name = kind.name(),
        exe = quote(&exe.to_string_lossy()),
    );
    let body = match kind {
        HookKind::PreCommit => {
            "if [ -x \"$local_hook\" ]; then\n  \"$local_hook\" \"$@\" || exit $?\nfi\n\
             if git rev-parse --verify --quiet HEAD >/dev/null; then\n  \
               exec \"$SHIPLINT\" check --diff-base HEAD --format concise .\n\
             fi\n\
             exec \"$SHIPLINT\" check --format concise .\n"
        }
        HookKind::PrePush => {
            "refs=$(cat)\n\
             if [ -x \"$local_hook\" ]; then\n  \
               printf '%s\\n' \"$refs\" | \"$local_hook\" \"$@\" || exit $?\n\
             fi\n\
             remote=${1:-origin}\n\
             default=\n\
             for candidate in \"refs/remotes/$remote/HEAD\" \"refs/remotes/$remote/main\" \"refs/remotes/$remote/master\"; do\n  \
               if git rev-parse --verify --quiet \"$candidate^{commit}\" >/dev/null; then\n    \
                 default=$candidate\n    \
                 break\n  \
               fi\n\
             done\n\
             status=0\n\
             while read -r local_ref local_sha remote_ref remote_sha; do\n  \
               case \"$local_sha\" in *[!0]*) ;; *) continue ;; esac\n  \
               base=\n  \
               case \"$remote_sha\" in\n    \
                 *[!0]*) git cat-file -e \"$remote_sha^{commit}\" 2>/dev/null && base=$remote_sha ;;\n    \
                 *) [ -z \"$default\" ] || base=$(git merge-base \"$local_sha\" \"$default\" 2>/dev/null) || base= ;;\n  \
               esac\n  \
               [ -n \"$base\" ] || base=$(git rev-parse --verify --quiet '@{upstream}' 2>/dev/null) || base=\n  \
               if [ -n \"$base\" ]; then\n    \
                 \"$SHIPLINT\" check --diff-base \"$base\" --format concise . || status=$?\n  \
               else\n    \
                 \"$SHIPLINT\" check --format concise . || status=$?\n  \
               fi\n\
             done <<EOF\n\
             $refs\n\
             EOF\n\
             exit $status\n"
        }
    };
    head + body
}

/// Installs the `kind` hook of the repository around `dir`; returns its path.
pub fn install(kind: HookKind, dir: &Path, exe: &Path, force: bool) -> Result<PathBuf, HookError> {
    let hook = format!("hooks/{}", kind.name());
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "rev-parse",
            "--git-path",
            &hook,
        ])
        .output()
        .map_err(|e| HookError::NotARepository(e.to_string()))?;
    if !output.status.success() {
        return Err(HookError::NotARepository(dir.display().to_string()));
    }
    let rel = String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_owned();
    let path = dir.join(rel);
    let name = path.display().to_string();
    if let Ok(existing) = std::fs::read(&path)
        && !String::from_utf8_lossy(&existing).contains(MARKER)
    {
        if !force {
            return Err(HookError::Exists(name));
        }
        // Keep the user's hook; ours runs it first.
        let mut kept = path.clone().into_os_string();
        kept.push(LOCAL_SUFFIX);
        let kept = PathBuf::from(kept);
        if kept.exists() {
            return Err(HookError::Write(
                name,
                format!(
                    "{} already exists: merge the two hooks by hand",
                    kept.display()
                ),
            ));
        }
        std::fs::rename(&path, &kept)
            .map_err(|e| HookError::Write(kept.display().to_string(), e.to_string()))?;
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| HookError::Write(name.clone(), e.to_string()))?;
    }
    std::fs::write(&path, script(kind, exe))
        .map_err(|e| HookError::Write(name.clone(), e.to_string()))?;
    make_executable(&path).map_err(|e| HookError::Write(name, e.to_string()))?;
    Ok(path)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_quotes_are_quoted_for_the_shell() {
        let text = script(HookKind::PreCommit, Path::new("/opt/it's here/shiplint"));
        assert!(
            text.contains(r"SHIPLINT='/opt/it'\''s here/shiplint'"),
            "{text}"
        );
        assert!(text.starts_with("#!/bin/sh\n# shiplint hook: pre-commit"));
    }

    #[test]
    fn scripts_are_valid_shell() {
        for kind in [HookKind::PreCommit, HookKind::PrePush] {
            let text = script(kind, Path::new("/usr/bin/shiplint"));
            let Ok(out) = std::process::Command::new("sh")
                .args(["-n", "-c", &text])
                .output()
            else {
                continue;
            };
            assert!(
                out.status.success(),
                "{}: {}\n{text}",
                kind.name(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
