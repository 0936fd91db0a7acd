//! `--diff-base REF`: only findings in files changed since REF (committed on
//! the branch, staged, unstaged or untracked); a cross-file finding counts
//! when either of its files changed.

mod ship_util;
use ship_util::*;

fn diff_scan(root: &std::path::Path, base: &str) -> (i32, Vec<(String, String)>) {
    let (code, stdout, stderr) = run(
        root,
        &["--no-config", "--format", "json", "--diff-base", base, "."],
    );
    assert!(code == 0 || code == 1, "{stderr}");
    (code, findings(&stdout).0)
}

fn pair(rule: &str, path: &str) -> (String, String) {
    (rule.to_owned(), path.to_owned())
}

#[test]
fn nothing_changed_reports_nothing() {
    let dir = repo("app");
    assert_eq!(diff_scan(dir.path(), "main"), (0, vec![]));
    assert_eq!(diff_scan(dir.path(), "HEAD"), (0, vec![]));
}

#[test]
fn committed_staged_and_untracked_changes_count() {
    let dir = repo("app");
    let root = dir.path();
    git(root, &["checkout", "-q", "-b", "feature"]);
    // Committed on the branch: the trust policy.
    insert_before(&root.join("iam/deploy-trust.json"), 2, "  \"Id\": \"x\",\n");
    git(root, &["commit", "-q", "-am", "touch trust"]);
    assert_eq!(
        diff_scan(root, "main"),
        (
            1,
            vec![pair("oidc-subject-any-repo", "iam/deploy-trust.json")]
        )
    );
    // Untracked new file with a finding.
    std::fs::write(
        root.join("deploy/imagedefinitions.json"),
        "{\"name\": \"web\", \"imageUri\": \"111111111111.dkr.ecr.eu-west-1.amazonaws.com/web:1\"}\n",
    )
    .expect("write");
    let (_, found) = diff_scan(root, "main");
    assert_eq!(
        found,
        vec![
            pair("imagedefinitions-shape", "deploy/imagedefinitions.json"),
            pair("oidc-subject-any-repo", "iam/deploy-trust.json"),
        ]
    );
    // Against the branch itself only the working tree counts.
    assert_eq!(
        diff_scan(root, "HEAD").1,
        vec![pair(
            "imagedefinitions-shape",
            "deploy/imagedefinitions.json"
        )]
    );
}

#[test]
fn changes_on_the_base_branch_after_the_fork_do_not_count() {
    let dir = repo("app");
    let root = dir.path();
    git(root, &["checkout", "-q", "-b", "feature"]);
    git(root, &["checkout", "-q", "main"]);
    insert_before(&root.join("iam/deploy-trust.json"), 2, "  \"Id\": \"x\",\n");
    git(root, &["commit", "-q", "-am", "main moves on"]);
    git(root, &["checkout", "-q", "feature"]);
    assert_eq!(diff_scan(root, "main"), (0, vec![]));
}

#[test]
fn cross_file_findings_count_when_either_side_changed() {
    let dir = repo("app");
    let root = dir.path();
    // The appspec's container name is checked against the task definition:
    // editing only the task definition brings the appspec finding back.
    let taskdef = root.join("deploy/taskdef.json");
    let text = std::fs::read_to_string(&taskdef).expect("read");
    std::fs::write(
        &taskdef,
        text.replace("\"cpu\": \"256\"", "\"cpu\": \"512\""),
    )
    .expect("write");
    assert_eq!(
        diff_scan(root, "HEAD"),
        (
            1,
            vec![pair("image-container-name-mismatch", "deploy/appspec.yaml")]
        )
    );
    // Editing an unrelated file does not.
    git(root, &["checkout", "-q", "--", "deploy/taskdef.json"]);
    std::fs::write(root.join("deploy/NOTES.md"), "# notes\n").expect("write");
    assert_eq!(diff_scan(root, "HEAD"), (0, vec![]));
}

#[test]
fn works_from_a_subdirectory_and_refuses_bad_revisions() {
    let dir = repo("app");
    let root = dir.path();
    insert_before(&root.join("iam/deploy-trust.json"), 2, "  \"Id\": \"x\",\n");
    let (code, stdout, _) = run(
        &root.join("iam"),
        &[
            "--no-config",
            "--format",
            "concise",
            "--diff-base",
            "HEAD",
            ".",
        ],
    );
    assert_eq!(code, 1);
    assert!(stdout.starts_with("deploy-trust.json:"), "{stdout}");
    let (code, _, stderr) = run(root, &["--no-config", "--diff-base", "no-such-ref", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown revision"), "{stderr}");
    let (code, _, stderr) = run(root, &["--no-config", "--diff-base=--output=x", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a revision name"), "{stderr}");
    let outside = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = run(outside.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not inside a git repository"), "{stderr}");
}
