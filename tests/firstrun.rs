//! What a new user hits in the first hour (issue 19): typos and missing
//! paths, closed pipes, skipped files in every format, committed files that
//! `.gitignore` lists, rule selection and deferring rules, stable
//! fingerprints, repository-relative paths, and the smaller items.

mod ship_util;
use ship_util::*;
use std::path::Path;
use std::process::{Command, Stdio};

/// A fake access key id (not the documentation example), built at run time
/// so that the source holds no key-shaped literal.
fn key_id() -> String {
    format!("AKIA{}", "Q3ZT7VXK2MPLR5WN")
}

/// A fake secret access key with the shape of a real one.
fn secret() -> String {
    [
        "h2Rk9", "PzXq/", "7mVbT", "c4Lw+", "YnE8s", "Fu3Ja", "D6gK1", "oBqR0",
    ]
    .concat()
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn git_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

fn commit_all(dir: &Path) {
    git(dir, &["add", "-A", "-f"]);
    git(dir, &["commit", "-q", "-m", "commit"]);
}

const BAD_IMAGEDEFINITIONS: &str = "{\"name\": \"web\", \"imageUri\": \"x\"}\n";

// Item 1: missing paths and unknown subcommands are usage errors.

#[test]
fn a_missing_path_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["check", "does-not-exist"][..],
        &["does-not-exist"],
        &["--format", "json", "does-not-exist"],
        &["check", ".", "nope/deploy"],
    ] {
        let (code, out, err) = run(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains("no such file or directory"), "{err}");
        assert!(out.is_empty(), "{out}");
    }
}

#[test]
fn a_misspelt_subcommand_gets_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (typo, hint) in [("chek", "check"), ("rule", "rules"), ("explian", "explain")] {
        let (code, _, err) = run(dir.path(), &[typo]);
        assert_eq!(code, 2, "{typo}: {err}");
        assert!(err.contains(&format!("did you mean `{hint}`?")), "{err}");
    }
}

#[test]
fn options_before_check_are_options_of_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    let (code, out, err) = run(dir.path(), &["--format", "json", "check"]);
    assert_eq!(code, 1, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["findings"][0]["path"], "imagedefinitions.json");
    let (code, out, err) = run(dir.path(), &["--format", "concise", "check", "."]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("imagedefinitions.json:1:1:"), "{out}");
    // Other subcommands take their own options after their name.
    let (code, _, err) = run(dir.path(), &["--format", "json", "rules"]);
    assert_eq!(code, 2);
    assert!(err.contains("`rules` is a subcommand"), "{err}");
}

#[test]
fn the_action_fails_on_a_wrong_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ok.json", "{}\n");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/action/run.sh");
    let out = Command::new("bash")
        .arg(&script)
        .current_dir(dir.path())
        .env("SHIPLINT_BIN", shiplint_bin())
        .env("INPUT_PATHS", "deplyo")
        .env("RUNNER_TEMP", dir.path())
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("bash runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("::error"), "{stdout}");
}

// Item 8: a reader that goes away ends the output quietly.

#[test]
fn a_closed_pipe_ends_quietly() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example-repo");
    for format in ["sarif", "concise", "json"] {
        let mut child = Command::new(shiplint_bin())
            .current_dir(&example)
            .args(["check", "--no-config", "--format", format, "."])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawns");
        // Close the reading end before anything is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("waits");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

// Item 2: skipped files are named in every format.

#[cfg(unix)]
#[test]
fn skipped_files_are_named_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "real.json", "{}\n");
    std::os::unix::fs::symlink(dir.path().join("real.json"), dir.path().join("link.json"))
        .expect("symlink");
    for format in [
        "full", "concise", "json", "sarif", "github", "markdown", "html",
    ] {
        let (code, out, err) = run(
            dir.path(),
            &["--no-config", "--color", "never", "--format", format, "."],
        );
        assert_eq!(code, 0, "{format}: {err}");
        assert!(
            out.contains("link.json") && out.contains("symbolic link"),
            "{format}: {out}"
        );
    }
    let (_, out, _) = run(dir.path(), &["--no-config", "--format", "concise", "."]);
    assert_eq!(out, "link.json: skipped: symbolic link, not followed\n");
    let (_, out, _) = run(dir.path(), &["--no-config", "--format", "github", "."]);
    assert!(
        out.starts_with("::warning file=link.json,title=shiplint skipped a file::"),
        "{out}"
    );
}

// Item 3: committed files are scanned whatever .gitignore says.

#[test]
fn committed_files_are_scanned_even_when_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git_repo(root);
    write(root, ".gitignore", ".env\nlocal/\n");
    let env = format!("AWS_ACCESS_KEY_ID={}\n", key_id());
    write(root, ".env", &env);
    commit_all(root);
    // Ignored and not committed: not scanned, unless --include asks for it.
    write(root, "local/creds.env", &env);
    let (code, out, err) = run(root, &["--no-config", "--format", "concise", "."]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(".env:1:19: critical[aws-access-key-id]"),
        "{out}"
    );
    assert!(!out.contains("local/creds.env"), "{out}");
    let (_, out, _) = run(
        root,
        &[
            "--no-config",
            "--format",
            "concise",
            "--include",
            "local/**",
            ".",
        ],
    );
    assert!(out.contains("local/creds.env:1:19:"), "{out}");
    assert!(!out.contains("\n.env:"), "--include selects: {out}");
    // A subdirectory scan sees the tracked files below it only.
    write(root, "sub/.env", &env);
    git(root, &["add", "-f", "sub/.env"]);
    let (_, out, _) = run(root, &["--no-config", "--format", "concise", "sub"]);
    assert!(out.starts_with("sub/.env:1:19:"), "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
}

#[test]
fn without_git_ignored_files_stay_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".ignore", "creds.env\n");
    write(dir.path(), "creds.env", &format!("KEY={}\n", key_id()));
    let (code, out, _) = run(dir.path(), &["--no-config", "--format", "concise", "."]);
    assert_eq!(code, 0, "{out}");
}

// Item 4: a rule that is not selected does not take findings away.

#[test]
fn secret_rules_report_workflow_keys_when_the_workflow_rule_does_not_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workflow = format!(
        "on: push\nenv:\n  AWS_ACCESS_KEY_ID: {}\n  AWS_SECRET_ACCESS_KEY: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: aws s3 ls\n",
        key_id(),
        secret()
    );
    write(dir.path(), ".github/workflows/ci.yml", &workflow);
    let rules = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--no-config", "--format", "concise"];
        all.extend_from_slice(args);
        all.push(".");
        let (_, out, _) = run(dir.path(), &all);
        out.lines()
            .map(|l| {
                let start = l.find('[').map_or(0, |i| i + 1);
                let end = l.find(']').unwrap_or(start);
                format!("{}:{}", &l[..l.find(": ").unwrap_or(0)], &l[start..end])
            })
            .collect()
    };
    let path = ".github/workflows/ci.yml";
    // All rules: the leaked key (critical, deactivate it) and the
    // workflow's use of long-lived keys (high, move to OIDC) are two defects.
    let all = rules(&[]);
    for rule in ["aws-access-key-id", "workflow-static-aws-credentials"] {
        assert!(all.contains(&format!("{path}:3:22:{rule}")), "{all:?}");
    }
    let expected = [
        format!("{path}:3:22:aws-access-key-id"),
        format!("{path}:4:26:aws-secret-access-key"),
    ];
    for args in [
        &["--ignore", "workflow-static-aws-credentials"][..],
        &["--select", "secrets"],
    ] {
        let got = rules(args);
        for e in &expected {
            assert!(got.contains(e), "{args:?}: {got:?}");
        }
    }
}

// Item 5: fingerprints survive insertions and never collide.

#[test]
fn baselines_survive_insertions_and_reorderings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - curl -k https://x.example/i.sh | sh\n";
    write(root, "buildspec.yml", spec);
    let (code, _, err) = run(
        root,
        &[
            "--no-config",
            "--write-baseline",
            "b.json",
            "--format",
            "concise",
            ".",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let moved = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo start\n      - curl -k https://x.example/i.sh | sh\n      - make\n";
    write(root, "buildspec.yml", moved);
    let (code, out, err) = run(
        root,
        &[
            "--no-config",
            "--baseline",
            "b.json",
            "--format",
            "concise",
            ".",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty(), "{out}");
}

#[test]
fn no_two_findings_share_a_fingerprint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut dirs: Vec<_> = std::fs::read_dir(root.join("fixtures"))
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(root.join("example-repo"));
    dirs.push(root.join("ship"));
    // And one scan over every fixture at once.
    dirs.push(root.join("fixtures"));
    let mut total = 0;
    for dir in dirs {
        let (_, out, err) = run(&dir, &["--no-config", "--format", "json", "."]);
        let json: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{}: {e}: {err}", dir.display()));
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        for f in json["findings"].as_array().expect("findings") {
            total += 1;
            let place = format!(
                "{} {}:{}:{}-{}:{}",
                f["rule"],
                f["path"],
                f["start"]["line"],
                f["start"]["column"],
                f["end"]["line"],
                f["end"]["column"]
            );
            let fingerprint = f["fingerprint"].as_str().expect("fingerprint").to_owned();
            if let Some(other) = seen.insert(fingerprint.clone(), place.clone()) {
                assert_eq!(
                    other,
                    place,
                    "{}: fingerprint {fingerprint} shared",
                    dir.display()
                );
            }
        }
    }
    assert!(total > 100, "{total}");
}

// Item 7: paths for GitHub are relative to the repository root.

#[test]
fn sarif_and_github_paths_are_relative_to_the_repository_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git_repo(root);
    write(root, "deploy/imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    let deploy = root.join("deploy");
    let (code, out, err) = run(&deploy, &["--no-config", "--format", "sarif", "."]);
    assert_eq!(code, 1, "{err}");
    let sarif: serde_json::Value = serde_json::from_str(&out).expect("sarif");
    let location = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "deploy/imagedefinitions.json"
    );
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert!(sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"].is_object());
    let (_, out, _) = run(&deploy, &["--no-config", "--format", "github", "."]);
    assert!(out.contains("file=deploy/imagedefinitions.json,"), "{out}");
    // The same fingerprint from the root and from deploy/.
    let fingerprint = |dir: &Path| {
        let (_, out, _) = run(dir, &["--no-config", "--format", "json", "."]);
        let json: serde_json::Value = serde_json::from_str(&out).expect("json");
        json["findings"][0]["fingerprint"].clone()
    };
    assert_eq!(fingerprint(root), fingerprint(&deploy));
    // Human formats keep paths relative to where shiplint runs.
    let (_, out, _) = run(&deploy, &["--no-config", "--format", "concise", "."]);
    assert!(out.starts_with("imagedefinitions.json:1:1:"), "{out}");
}

// Item 12: the smaller ones.

#[test]
fn explain_ignores_case_and_hides_test_markers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = run(dir.path(), &["explain", "Duplicate-Key"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("duplicate-key (high"), "{out}");
    let (code, out, _) = run(dir.path(), &["explain", "CACHE-KEY-STALE"]);
    assert_eq!(code, 0);
    assert!(out.contains("\n```yaml\n"), "{out}");
    assert!(
        !out.contains(" bad file=") && !out.contains(" good file="),
        "{out}"
    );
}

#[test]
fn a_baseline_of_another_version_is_unsupported() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "old.json",
        "{\"version\": 1, \"paths\": \"repository\", \"findings\": [{\"fingerprint\": \"x\"}]}",
    );
    let (code, _, err) = run(dir.path(), &["--baseline", "old.json", "."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unsupported version 1"), "{err}");
    assert!(err.contains("--write-baseline"), "{err}");
}

#[test]
fn a_bare_ignore_comment_says_what_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appspec.yml",
        "version: 0.0\n# shiplint: ignore\nResources: []\nResources: []\n",
    );
    let (code, out, _) = run(dir.path(), &["--no-config", "--format", "concise", "."]);
    assert_eq!(code, 1);
    assert!(
        out.contains("appspec.yml:2:3: low[unused-suppression] suppression names no rule"),
        "{out}"
    );
    assert!(
        out.contains("`# shiplint: ignore[rule-id] reason`"),
        "{out}"
    );
    assert!(
        out.contains("[duplicate-key]"),
        "a bare comment silences nothing: {out}"
    );
}

#[test]
fn stats_help_says_what_it_prints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, out, _) = run(dir.path(), &["check", "--help"]);
    let help = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("number of findings per rule"), "{help}");
    assert!(help.contains("files scanned and the peak memory"), "{help}");
    write(dir.path(), "imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    let (_, _, err) = run(dir.path(), &["--no-config", "--stats", "-q", "."]);
    assert!(
        err.contains("imagedefinitions-shape") && err.contains("files scanned"),
        "{err}"
    );
}

#[test]
fn hook_install_force_keeps_and_runs_the_users_hook() {
    let dir = repo("app");
    let root = dir.path();
    let hook = root.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().expect("hooks")).expect("mkdir");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho user-hook-ran >> user-hook.log\nexit 0\n",
    )
    .expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let (code, _, err) = run(root, &["hook", "install", "--pre-commit", "--force"]);
    assert_eq!(code, 0, "{err}");
    let kept = root.join(".git/hooks/pre-commit.local");
    assert!(
        std::fs::read_to_string(&kept)
            .expect("kept")
            .contains("user-hook-ran")
    );
    write(root, "NOTES.md", "# notes\n");
    git(root, &["add", "NOTES.md"]);
    let (ok, out) = try_git(root, &["commit", "-q", "-m", "notes"]);
    assert!(ok, "{out}");
    assert!(root.join("user-hook.log").exists(), "the user's hook ran");
    // A failing user hook stops the commit.
    std::fs::write(&kept, "#!/bin/sh\necho refused by the user hook\nexit 1\n").expect("write");
    write(root, "MORE.md", "# more\n");
    git(root, &["add", "MORE.md"]);
    let (ok, out) = try_git(root, &["commit", "-q", "-m", "more"]);
    assert!(!ok && out.contains("refused by the user hook"), "{out}");
    // Installing again over a kept hook is refused rather than losing it.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").expect("write");
    let (code, _, err) = run(root, &["hook", "install", "--pre-commit", "--force"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("pre-commit.local already exists"), "{err}");
}

#[test]
fn pre_push_of_a_new_branch_compares_with_the_default_branch() {
    let dir = repo("app");
    let root = dir.path();
    let remote = tempfile::tempdir().expect("tempdir");
    git(remote.path(), &["init", "-q", "--bare"]);
    let url = remote.path().to_str().expect("utf-8");
    git(root, &["remote", "add", "origin", url]);
    git(root, &["push", "-q", "origin", "main"]);
    git(root, &["fetch", "-q", "origin"]);
    assert_eq!(run(root, &["hook", "install", "--pre-push"]).0, 0);
    // The repository has old findings; a new branch with a clean change
    // pushes.
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(root, "NOTES.md", "# notes\n");
    git(root, &["add", "NOTES.md"]);
    git(root, &["commit", "-q", "-m", "notes"]);
    let (ok, out) = try_git(root, &["push", "-q", "origin", "feature"]);
    assert!(ok, "{out}");
    // Another new branch that brings a finding is refused, with only it.
    git(root, &["checkout", "-q", "-b", "images", "main"]);
    write(root, "deploy/imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "images"]);
    let (ok, out) = try_git(root, &["push", "-q", "origin", "images"]);
    assert!(!ok, "{out}");
    assert!(out.contains("high[imagedefinitions-shape]"), "{out}");
    assert!(
        !out.contains("deploy-trust"),
        "old findings reported: {out}"
    );
}

#[test]
fn html_report_names_the_scan_and_counts_rules_per_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git_repo(root);
    write(root, "deploy/imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    commit_all(root);
    let head = git(root, &["rev-parse", "HEAD"]).trim().to_owned();
    let out = Command::new(shiplint_bin())
        .current_dir(root)
        .args(["--no-config", "--format", "html", "deploy"])
        .env("SOURCE_DATE_EPOCH", "1796212800")
        .output()
        .expect("runs");
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.contains(&format!(
            "<p class=\"muted\" id=\"scanned\">scanned <span class=\"loc\">deploy</span> on 2026-12-02 12:00 UTC at commit <span class=\"loc\">{head}</span></p>"
        )),
        "{html}"
    );
    assert!(
        html.contains(
            "<tr><td>imagedefinitions-shape</td><td class=\"num\">0</td><td class=\"num\">1</td>"
        ),
        "{html}"
    );
}

// Item 13: each path uses its own configuration.

#[test]
fn each_path_uses_the_configuration_found_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "a/shiplint.toml",
        "[rules]\nignore = [\"imagedefinitions-shape\"]\n",
    );
    write(root, "a/imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    write(root, "b/imagedefinitions.json", BAD_IMAGEDEFINITIONS);
    for args in [["a", "b"], ["b", "a"]] {
        let (code, out, err) = run(root, &["--format", "concise", args[0], args[1]]);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            out.contains("b/imagedefinitions.json:1:1:"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("a/imagedefinitions.json"), "{args:?}: {out}");
    }
}

#[test]
fn plaintext_secret_variables_report_keys_when_the_key_rules_do_not_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = format!(
        "version: 0.2\nenv:\n  variables:\n    AWS_SECRET_ACCESS_KEY: {}\nphases:\n  build:\n    commands:\n      - make\n",
        secret()
    );
    write(dir.path(), "buildspec.yml", &spec);
    let scan = |extra: &[&str]| {
        let mut args = vec!["--no-config", "--format", "concise"];
        args.extend_from_slice(extra);
        args.push(".");
        run(dir.path(), &args).1
    };
    let all = scan(&[]);
    assert!(
        all.contains("buildspec.yml:4:28: critical[aws-secret-access-key]"),
        "{all}"
    );
    assert!(
        !all.contains("plaintext-secret-variable"),
        "one finding per defect: {all}"
    );
    let without = scan(&["--ignore", "aws-secret-access-key"]);
    assert!(
        without.contains("buildspec.yml:4:28: high[plaintext-secret-variable]"),
        "{without}"
    );
}
