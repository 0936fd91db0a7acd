//! Hostile input: every case gives a clear diagnostic or a skip notice, the
//! scan finishes, the other files' findings are all there, and memory stays
//! bounded. The inputs are generated here, not committed.

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

/// A file with a known finding that every scan must still report.
const CANARY: (&str, &str) = ("deploy/imagedefinitions.json", "[]\n");

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), CANARY.0, CANARY.1.as_bytes());
    dir
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

struct Scan {
    code: i32,
    json: serde_json::Value,
    stderr: String,
}

impl Scan {
    fn findings(&self, rule: &str) -> Vec<&serde_json::Value> {
        self.json["findings"]
            .as_array()
            .map(|f| f.iter().filter(|f| f["rule"] == rule).collect())
            .unwrap_or_default()
    }

    fn notice(&self, path: &str) -> Option<String> {
        self.json["notices"]
            .as_array()?
            .iter()
            .find(|n| n["path"] == path)
            .and_then(|n| n["reason"].as_str())
            .map(str::to_owned)
    }

    fn assert_canary(&self) {
        assert!(
            self.findings("imagedefinitions-shape")
                .iter()
                .any(|f| f["path"] == CANARY.0),
            "the canary finding is missing: {}",
            self.json
        );
        assert_eq!(self.code, 1);
    }

    /// Peak memory in MiB, from `--stats`.
    fn peak_mib(&self) -> u64 {
        self.stderr
            .lines()
            .find(|l| l.ends_with("MiB peak memory"))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .expect("--stats reports peak memory")
    }
}

fn scan_with(dir: &Path, extra: &[&str], wrap: Option<&[&str]>) -> Scan {
    let bin = assert_cmd::cargo::cargo_bin("shiplint");
    let mut cmd = match wrap {
        Some(prefix) => {
            let mut c = Command::new(prefix[0]);
            c.args(&prefix[1..]).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let out = cmd
        .current_dir(dir)
        .args(["--no-config", "--format", "json", "--stats", "."])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Scan {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("json output ({e}): {stdout}")),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn scan(dir: &Path) -> Scan {
    scan_with(dir, &[], None)
}

fn parse_error_in<'a>(scan: &'a Scan, path: &str) -> &'a serde_json::Value {
    scan.findings("parse-error")
        .into_iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no parse-error for {path}: {}", scan.json))
}

#[test]
fn yaml_alias_bomb_is_a_parse_error_with_bounded_memory() {
    let dir = repo();
    let mut bomb = String::from(
        "version: 0.2\nphases: {}\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    write(dir.path(), "buildspec.yml", bomb.as_bytes());
    let scan = scan(dir.path());
    scan.assert_canary();
    let err = parse_error_in(&scan, "buildspec.yml");
    assert!(
        err["message"].as_str().is_some_and(|m| m.contains("alias")),
        "{err}"
    );
    assert!(scan.peak_mib() < 200, "peak memory {} MiB", scan.peak_mib());
}

#[test]
fn ten_thousand_levels_of_nesting_in_json_yaml_and_hcl() {
    let dir = repo();
    let depth = 10_000;
    let json = format!(
        "{{\"Statement\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    write(dir.path(), "policy.json", json.as_bytes());
    let yaml = format!(
        "version: 0.2\nphases: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    write(dir.path(), "buildspec.yml", yaml.as_bytes());
    let hcl = format!(
        "locals {{\n  x = {}{}\n}}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    write(dir.path(), "main.tf", hcl.as_bytes());
    // Block style indents once per level: 3,000 levels already make 4.5 MB.
    let block_yaml = format!(
        "version: 0.2\nphases:\n{}",
        (0..3_000)
            .map(|i| format!("{}k:\n", " ".repeat(i + 1)))
            .collect::<String>()
    );
    write(dir.path(), "buildspecs/deep.yml", block_yaml.as_bytes());
    let scan = scan(dir.path());
    scan.assert_canary();
    for path in [
        "policy.json",
        "buildspec.yml",
        "main.tf",
        "buildspecs/deep.yml",
    ] {
        let err = parse_error_in(&scan, path);
        assert!(
            err["start"]["line"].as_u64().is_some_and(|l| l >= 1),
            "{err}"
        );
    }
}

#[test]
fn a_100_mb_file_is_skipped_without_being_read() {
    let dir = repo();
    let big = std::fs::File::create(dir.path().join("huge.template.json")).expect("create");
    big.set_len(100 * 1024 * 1024).expect("sparse 100 MB");
    let scan = scan(dir.path());
    scan.assert_canary();
    let reason = scan
        .notice("huge.template.json")
        .expect("a notice for the large file");
    assert!(reason.contains("max-file-size"), "{reason}");
    assert!(scan.peak_mib() < 100, "peak memory {} MiB", scan.peak_mib());
    // The limit is a flag too.
    let scan = scan_with(dir.path(), &["--max-file-size", "1"], None);
    assert!(scan.notice(CANARY.0).is_some(), "{}", scan.json);
}

#[test]
fn invalid_utf8_nul_bytes_bom_and_crlf() {
    let dir = repo();
    write(
        dir.path(),
        "policy.json",
        b"{\"Statement\": [],\n \"Sid\": \"\xff\xfe\"}\n",
    );
    write(dir.path(), "notes.txt", b"caf\xe9 au lait\n");
    write(dir.path(), "blob.json", b"{\"Statement\": \0\0\0}");
    write(
        dir.path(),
        "bom/imagedefinitions.json",
        "\u{feff}{\"name\": \"web\"}\n".as_bytes(),
    );
    write(
        dir.path(),
        "crlf/appspec.yml",
        b"version: 0.0\r\nResources: []\r\nResources: []\r\n",
    );
    let scan = scan(dir.path());
    scan.assert_canary();
    let utf8 = parse_error_in(&scan, "policy.json");
    assert!(
        utf8["message"]
            .as_str()
            .is_some_and(|m| m.contains("UTF-8")),
        "{utf8}"
    );
    assert_eq!(
        (
            utf8["start"]["line"].as_u64(),
            utf8["start"]["column"].as_u64()
        ),
        (Some(2), Some(10))
    );
    assert!(
        scan.json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .all(|f| f["path"] != "blob.json" && f["path"] != "notes.txt")
    );
    let bom = scan
        .findings("imagedefinitions-shape")
        .into_iter()
        .find(|f| f["path"] == "bom/imagedefinitions.json")
        .expect("bom file scanned");
    assert_eq!(
        (
            bom["start"]["line"].as_u64(),
            bom["start"]["column"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let crlf = scan
        .findings("duplicate-key")
        .into_iter()
        .find(|f| f["path"] == "crlf/appspec.yml")
        .expect("crlf file scanned");
    assert_eq!(
        (
            crlf["start"]["line"].as_u64(),
            crlf["start"]["column"].as_u64()
        ),
        (Some(3), Some(1))
    );
}

#[cfg(unix)]
#[test]
fn symlinks_loops_and_fifos_are_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = repo();
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "imagedefinitions.json", b"{}");
    symlink(dir.path(), dir.path().join("loop")).expect("symlink loop");
    symlink(outside.path(), dir.path().join("outside")).expect("symlink out");
    symlink(
        outside.path().join("imagedefinitions.json"),
        dir.path().join("imagedefinitions.json"),
    )
    .expect("file link");
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let scan = scan(dir.path());
    scan.assert_canary();
    for link in ["loop", "outside", "imagedefinitions.json"] {
        let reason = scan
            .notice(link)
            .unwrap_or_else(|| panic!("no notice for {link}: {}", scan.json));
        assert!(reason.contains("symbolic link"), "{reason}");
    }
    assert!(
        scan.notice("pipe.json")
            .is_some_and(|r| r.contains("not a regular file"))
    );
    assert_eq!(
        scan.findings("imagedefinitions-shape").len(),
        1,
        "nothing behind a link was read"
    );
}

#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_give_notices() {
    use std::os::unix::fs::PermissionsExt;
    let dir = repo();
    write(dir.path(), "secret/buildspec.yml", b"version: 0.2\n");
    write(dir.path(), "locked.json", b"{\"Statement\": []}");
    let set = |rel: &str, mode: u32| {
        std::fs::set_permissions(dir.path().join(rel), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
    };
    set(".", 0o755);
    set("deploy", 0o755);
    set("deploy/imagedefinitions.json", 0o644);
    set("secret", 0o000);
    set("locked.json", 0o000);
    // Root reads everything: run the scan as an unprivileged user then.
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let wrap: Option<&[&str]> = if is_root {
        Some(&[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ])
    } else {
        None
    };
    let scan = scan_with(dir.path(), &[], wrap);
    set("secret", 0o755);
    scan.assert_canary();
    assert!(
        scan.notice("secret")
            .is_some_and(|r| r.contains("permission denied")),
        "{}",
        scan.json
    );
    assert!(
        scan.notice("locked.json")
            .is_some_and(|r| r.contains("permission denied")),
        "{}",
        scan.json
    );
}

#[test]
fn extremely_long_lines() {
    let dir = repo();
    let statements: Vec<String> = (0..20_000)
        .map(|i| format!("{{\"Sid\": \"S{i}\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::b/{i}\"}}"))
        .collect();
    let policy = format!(
        "{{\"Version\": \"2012-10-17\", \"Statement\": [{}, {{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}]}}",
        statements.join(", ")
    );
    write(dir.path(), "policy.json", policy.as_bytes());
    write(
        dir.path(),
        "minified.js",
        "x".repeat(3 * 1024 * 1024).as_bytes(),
    );
    let scan = scan(dir.path());
    scan.assert_canary();
    let wildcard = scan
        .findings("iam-wildcard-action")
        .into_iter()
        .find(|f| f["path"] == "policy.json")
        .expect("the one-line policy is analysed");
    assert_eq!(wildcard["start"]["line"].as_u64(), Some(1));
    let column = policy.find("\"s3:*\"").expect("present") + 1;
    assert_eq!(wildcard["start"]["column"].as_u64(), Some(column as u64));
}
