//! What shiplint reads of the git repository around a scan without running
//! git: the commit checked out (for the HTML report) and the files tracked
//! by the index (scanned whatever `.gitignore` says). Both degrade quietly:
//! no repository, a format not understood, or a missing file give nothing.

use std::path::{Path, PathBuf};

/// The git directory of the repository whose work tree holds `root`:
/// `root/.git`, or the directory a `.git` file (`gitdir: ...`, a linked work
/// tree or a submodule) points to.
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    let dot_git = root.join(".git");
    let meta = dot_git.symlink_metadata().ok()?;
    if meta.is_dir() {
        return Some(dot_git);
    }
    let text = std::fs::read_to_string(&dot_git).ok()?;
    let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
    let path = Path::new(target);
    Some(if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    })
}

/// The directory shared by every work tree of the repository (refs, packed
/// refs, objects): `commondir` of a linked work tree, else `git_dir` itself.
fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => {
            let rel = Path::new(text.trim());
            if rel.is_absolute() {
                rel.to_path_buf()
            } else {
                git_dir.join(rel)
            }
        }
        Err(_) => git_dir.to_path_buf(),
    }
}

/// The full commit id checked out in the work tree at `root`, when it can be
/// read from `HEAD`, a loose ref or `packed-refs`.
pub fn head_commit(root: &Path) -> Option<String> {
    let git = git_dir(root)?;
    let common = common_dir(&git);
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref:").map(str::trim) else {
        return is_object_id(head).then(|| head.to_owned());
    };
    if name.contains("..") || !name.starts_with("refs/") {
        return None;
    }
    for dir in [&git, &common] {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            let id = text.trim();
            return is_object_id(id).then(|| id.to_owned());
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (id, reference) = line.split_once(' ')?;
        (reference.trim() == name && is_object_id(id)).then(|| id.to_owned())
    })
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `YYYY-MM-DD HH:MM UTC` for `SOURCE_DATE_EPOCH` when set (reproducible
/// reports), else for now.
pub fn report_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
        });
    utc(seconds)
}

/// Formats seconds since the Unix epoch as a UTC date and time (the civil
/// calendar computed from days, after Howard Hinnant's `civil_from_days`).
pub fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_civil_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_212_800 + 3_660), "2026-12-02 13:01 UTC");
        assert_eq!(utc(-86_400), "1969-12-31 00:00 UTC");
    }

    #[test]
    fn head_is_read_from_loose_and_packed_refs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).expect("mkdir");
        let id = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").expect("write");
        assert_eq!(head_commit(dir.path()), None);
        std::fs::write(git.join("packed-refs"), format!("{id} refs/heads/main\n")).expect("write");
        assert_eq!(head_commit(dir.path()).as_deref(), Some(id));
        let other = "f".repeat(40);
        std::fs::write(git.join("refs/heads/main"), format!("{other}\n")).expect("write");
        assert_eq!(head_commit(dir.path()), Some(other));
        std::fs::write(git.join("HEAD"), "ref: ../../etc/passwd\n").expect("write");
        assert_eq!(head_commit(dir.path()), None);
    }
}
