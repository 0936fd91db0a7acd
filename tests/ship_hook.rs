//! `shiplint hook install`: the hooks it writes block a commit or a push that
//! brings a new finding, and let clean ones through.

mod ship_util;
use ship_util::*;

const BAD_IMAGES: &str =
    "{\"name\": \"web\", \"imageUri\": \"111111111111.dkr.ecr.eu-west-1.amazonaws.com/web:1\"}\n";

#[test]
fn install_writes_an_executable_hook_and_keeps_foreign_ones() {
    let dir = repo("app");
    let root = dir.path();
    let (code, stdout, stderr) = run(root, &["hook", "install", "--pre-commit"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("installed pre-commit hook"), "{stdout}");
    let hook = root.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).expect("hook written");
    assert!(
        text.starts_with("#!/bin/sh\n# shiplint hook: pre-commit"),
        "{text}"
    );
    assert!(text.contains(&*shiplint_bin().to_string_lossy()), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).expect("meta").permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{mode:o}");
    }
    // Ours is replaced quietly; someone else's only with --force.
    assert_eq!(run(root, &["hook", "install", "--pre-commit"]).0, 0);
    std::fs::write(root.join(".git/hooks/pre-push"), "#!/bin/sh\nexit 0\n").expect("write");
    let (code, _, stderr) = run(root, &["hook", "install", "--pre-push"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not written by shiplint"), "{stderr}");
    assert_eq!(
        run(root, &["hook", "install", "--pre-push", "--force"]).0,
        0
    );
    let text = std::fs::read_to_string(root.join(".git/hooks/pre-push")).expect("read");
    assert!(text.contains("# shiplint hook: pre-push"));
    // Outside a repository.
    let outside = tempfile::tempdir().expect("tempdir");
    assert_eq!(run(outside.path(), &["hook", "install"]).0, 2);
}

#[test]
fn pre_commit_hook_blocks_a_commit_that_adds_a_finding() {
    let dir = repo("app");
    let root = dir.path();
    assert_eq!(run(root, &["hook", "install", "--pre-commit"]).0, 0);

    // A clean change commits, although the repository has old findings.
    std::fs::write(root.join("NOTES.md"), "# notes\n").expect("write");
    git(root, &["add", "NOTES.md"]);
    let (ok, out) = try_git(root, &["commit", "-q", "-m", "notes"]);
    assert!(ok, "{out}");

    // A change that brings a finding is refused, and the finding is shown.
    std::fs::write(root.join("deploy/imagedefinitions.json"), BAD_IMAGES).expect("write");
    git(root, &["add", "deploy/imagedefinitions.json"]);
    let (ok, out) = try_git(root, &["commit", "-q", "-m", "images"]);
    assert!(!ok, "commit went through: {out}");
    assert!(
        out.contains("deploy/imagedefinitions.json:1:1: high[imagedefinitions-shape]"),
        "{out}"
    );
    assert!(
        !out.contains("deploy-trust"),
        "old findings reported: {out}"
    );
}

#[test]
fn pre_push_hook_blocks_a_push_that_adds_a_finding() {
    let dir = repo("app");
    let root = dir.path();
    let remote = tempfile::tempdir().expect("tempdir");
    git(remote.path(), &["init", "-q", "--bare"]);
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            remote.path().to_str().expect("utf-8"),
        ],
    );
    git(root, &["push", "-q", "origin", "main"]);
    assert_eq!(run(root, &["hook", "install", "--pre-push"]).0, 0);

    // Clean commit: pushed.
    std::fs::write(root.join("NOTES.md"), "# notes\n").expect("write");
    git(root, &["add", "NOTES.md"]);
    git(root, &["commit", "-q", "-m", "notes"]);
    let (ok, out) = try_git(root, &["push", "-q", "origin", "main"]);
    assert!(ok, "{out}");

    // A commit with a finding: refused.
    std::fs::write(root.join("deploy/imagedefinitions.json"), BAD_IMAGES).expect("write");
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "images"]);
    let (ok, out) = try_git(root, &["push", "-q", "origin", "main"]);
    assert!(!ok, "push went through: {out}");
    assert!(out.contains("high[imagedefinitions-shape]"), "{out}");
    assert!(
        !out.contains("deploy-trust"),
        "old findings reported: {out}"
    );
    let remote_head = git(remote.path(), &["rev-parse", "main"]);
    let local_parent = git(root, &["rev-parse", "HEAD~1"]);
    assert_eq!(remote_head, local_parent, "the remote did not move");
}
