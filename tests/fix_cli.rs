//! `check --fix`, `--unsafe-fixes` and `--diff` from the command line:
//! exit codes, what is written and what is not.

use assert_cmd::Command;
use std::path::Path;

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("shiplint")
        .expect("binary built")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

fn read(dir: &Path, rel: &str) -> Vec<u8> {
    std::fs::read(dir.join(rel)).expect("read")
}

const DETAIL: &[u8] =
    b"\xEF\xBB\xBF{\r\n  \"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1\"\r\n}\r\n";
const BUILDSPEC: &[u8] = b"version: 0.2\nphases:\n  build:\n    commands:\n      - make build\n  post_build:\n    commands:\n      - docker push app   # publish\n";

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn diff_prints_the_fixes_writes_nothing_and_exits_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "imageDetail.json", DETAIL);
    write(dir.path(), "buildspec.yml", BUILDSPEC);
    let before = snapshot(dir.path());
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "--diff", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("--- a/imageDetail.json\n+++ b/imageDetail.json\n"),
        "{stdout}"
    );
    assert!(stdout.contains("-  \"imageUri\""), "{stdout}");
    assert!(stdout.contains("+  \"ImageURI\""), "{stdout}");
    // The guard is unsafe: not without --unsafe-fixes.
    assert!(!stdout.contains("CODEBUILD_BUILD_SUCCEEDING"), "{stdout}");
    assert!(stderr.contains("would fix 1 finding in 1 file"), "{stderr}");
    assert_eq!(snapshot(dir.path()), before, "--diff wrote into the tree");

    // An absolute path gets the single `a/` / `b/` prefix git writes.
    let absolute = dir.path().display().to_string();
    let elsewhere = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_, stdout, _) = run_in(elsewhere, &["check", "--diff", &absolute]);
    let shown = format!("{}/imageDetail.json", absolute.trim_start_matches('/'));
    assert!(stdout.contains(&format!("--- a/{shown}\n")), "{stdout}");
    assert!(
        !stdout.contains("a//") && !stdout.contains("b//"),
        "{stdout}"
    );

    let (code, stdout, _) = run_in(dir.path(), &["check", "--diff", "--unsafe-fixes", "."]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "       - make build\n   post_build:\n     commands:\n+      - '[ \"$CODEBUILD_BUILD_SUCCEEDING\" = \"1\" ] || exit 1'\n       - docker push app   # publish\n"
        ),
        "{stdout}"
    );
    assert_eq!(snapshot(dir.path()), before, "--diff wrote into the tree");
}

#[test]
fn diff_exits_0_when_nothing_is_fixable() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "imageDetail.json",
        b"{\"ImageURI\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1\"}\n",
    );
    let (code, stdout, _) = run_in(dir.path(), &["check", "--diff", "."]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "");
}

#[test]
fn fix_writes_safe_fixes_keeps_bom_and_crlf_and_reports_what_remains() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "imageDetail.json", DETAIL);
    write(dir.path(), "buildspec.yml", BUILDSPEC);
    let (code, stdout, stderr) =
        run_in(dir.path(), &["check", "--fix", "--format", "concise", "."]);
    // The unguarded publish remains (its fix is unsafe): exit 1.
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("fixed 1 finding in 1 file"), "{stderr}");
    assert!(!stdout.contains("imagedetail-shape"), "{stdout}");
    assert!(stdout.contains("post-build-unguarded-publish"), "{stdout}");
    assert_eq!(
        read(dir.path(), "imageDetail.json"),
        b"\xEF\xBB\xBF{\r\n  \"ImageURI\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1\"\r\n}\r\n"
    );
    assert_eq!(read(dir.path(), "buildspec.yml"), BUILDSPEC);
    // No temporary file is left behind.
    assert_eq!(snapshot(dir.path()).len(), 2);

    let (code, _, stderr) = run_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "-q", "."]);
    assert_eq!(code, 0, "{stderr}");
    let fixed = String::from_utf8(read(dir.path(), "buildspec.yml")).expect("utf-8");
    assert!(fixed.contains("      - '[ \"$CODEBUILD_BUILD_SUCCEEDING\" = \"1\" ] || exit 1'\n      - docker push app   # publish\n"), "{fixed}");

    // A second run changes nothing.
    let before = snapshot(dir.path());
    let (code, stdout, _) = run_in(dir.path(), &["check", "--diff", "--unsafe-fixes", "."]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let (code, _, _) = run_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert_eq!(code, 0);
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn fix_leaves_baselined_and_suppressed_findings_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "imageDetail.json", DETAIL);
    let (code, _, stderr) = run_in(
        dir.path(),
        &["check", "--write-baseline", "baseline.json", "-q", "."],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run_in(
        dir.path(),
        &["check", "--fix", "--baseline", "baseline.json", "."],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(dir.path(), "imageDetail.json"), DETAIL);
}

#[cfg(unix)]
#[test]
fn fix_never_writes_through_a_symlink_out_of_the_tree() {
    let outside = tempfile::tempdir().expect("temp dir");
    write(outside.path(), "imageDetail.json", DETAIL);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("repo")).expect("mkdir");
    std::os::unix::fs::symlink(
        outside.path().join("imageDetail.json"),
        dir.path().join("repo/imageDetail.json"),
    )
    .expect("symlink");
    let (_, stdout, stderr) = run_in(
        dir.path(),
        &["check", "--fix", "--format", "concise", "repo"],
    );
    assert_eq!(
        read(outside.path(), "imageDetail.json"),
        DETAIL,
        "{stdout}{stderr}"
    );
    // Named on the command line, the link is scanned, but its target is
    // outside the tree: not written, with a notice.
    let (_, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--fix",
            "--format",
            "concise",
            "repo/imageDetail.json",
        ],
    );
    assert_eq!(
        read(outside.path(), "imageDetail.json"),
        DETAIL,
        "{stdout}{stderr}"
    );
    assert!(stdout.contains("imagedetail-shape"), "{stdout}");
    assert!(
        stderr.contains("fixes not written: it is a symlink to a file outside the scanned tree"),
        "{stderr}"
    );
    assert!(
        std::fs::symlink_metadata(dir.path().join("repo/imageDetail.json"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
}
