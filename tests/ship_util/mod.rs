//! Helpers shared by the `ship_*` tests: copies of fixture repositories in
//! temporary directories, git, and running shiplint.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn shiplint_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shiplint"))
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/ship")
        .join(name)
}

/// Copies `from` into `to` recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs shiplint in `dir`; returns (exit code, stdout, stderr).
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(shiplint_bin())
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("shiplint runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs git in `dir` with a fixed identity; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=ship", "-c", "user.email=ship@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding a copy of fixture `name`, committed on `main`.
pub fn repo(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(name), dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

/// The JSON report's findings as (rule, path) pairs, and its summary.
pub fn findings(stdout: &str) -> (Vec<(String, String)>, serde_json::Value) {
    let report: serde_json::Value = serde_json::from_str(stdout).expect("json report");
    let list = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_owned(),
                f["path"].as_str().expect("path").to_owned(),
            )
        })
        .collect();
    (list, report["summary"].clone())
}

/// Inserts `text` before line `line` (1-based) of `path`.
pub fn insert_before(path: &Path, line: usize, text: &str) {
    let old = std::fs::read_to_string(path).expect("read");
    let mut lines: Vec<&str> = old.split_inclusive('\n').collect();
    lines.insert(line - 1, text);
    std::fs::write(path, lines.concat()).expect("write");
}

/// Headless Chromium (`$CHROMIUM`, else `chromium`), offline, with its
/// profile in a directory of the test.
pub struct Chromium {
    bin: String,
    profile: PathBuf,
}

impl Chromium {
    /// Headless, offline and with nothing left behind but its profile.
    const HEADLESS: &[&str] = &[
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    pub fn new(profile: PathBuf) -> Chromium {
        let bin = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
        Chromium { bin, profile }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(Self::HEADLESS)
            .arg(format!("--user-data-dir={}", self.profile.display()));
        command
    }

    /// The DOM of `page` once its scripts (if any) have run.
    pub fn dump_dom(&self, page: &Path) -> String {
        let result = self
            .command()
            .arg("--virtual-time-budget=2000")
            .args(["--dump-dom", &format!("file://{}", page.display())])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin));
        assert!(
            result.status.success(),
            "{} failed: {}",
            self.bin,
            String::from_utf8_lossy(&result.stderr)
        );
        String::from_utf8_lossy(&result.stdout).into_owned()
    }

    /// A screenshot of `page` at `size` ("1200,900") into `png`, checked to
    /// be a PNG that is not blank; its bytes.
    pub fn screenshot(&self, page: &Path, png: &Path, size: &str) -> Vec<u8> {
        let shot = self
            .command()
            .args(["--hide-scrollbars", &format!("--window-size={size}")])
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium runs");
        assert!(shot.status.success());
        let bytes = std::fs::read(png).expect("screenshot written");
        assert!(bytes.starts_with(b"\x89PNG"));
        assert!(
            bytes.len() > 10_000,
            "screenshot of {} bytes looks blank",
            bytes.len()
        );
        bytes
    }
}

/// Runs git, returning (success, stdout + stderr) instead of panicking.
pub fn try_git(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=ship", "-c", "user.email=ship@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("SHIPLINT")
        .output()
        .expect("git runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
