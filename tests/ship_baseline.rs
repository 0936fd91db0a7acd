//! `--write-baseline` / `--baseline`: recorded findings stay hidden when lines
//! move, new ones still fail, paths do not depend on the working directory,
//! and the file holds no values.

mod ship_util;
use ship_util::*;

const BASELINE: &str = ".shiplint-baseline.json";

/// Scans `root` as JSON against the baseline written at its root.
fn scan_against_baseline(root: &std::path::Path) -> (i32, String, String) {
    run(
        root,
        &[
            "--no-config",
            "--format",
            "json",
            "--baseline",
            BASELINE,
            ".",
        ],
    )
}

#[test]
fn baselined_findings_survive_line_moves_and_new_ones_fail() {
    let dir = repo("app");
    let root = dir.path();

    // Before: two findings, exit 1.
    let (code, stdout, _) = run(root, &["--no-config", "--format", "json", "."]);
    assert_eq!(code, 1);
    let (before, _) = findings(&stdout);
    assert_eq!(before.len(), 2, "{before:?}");

    // Record them: nothing left to report, exit 0.
    let (code, stdout, stderr) = run(
        root,
        &[
            "--no-config",
            "--format",
            "json",
            "--write-baseline",
            BASELINE,
            ".",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("wrote 2 findings"), "{stderr}");
    let (after, summary) = findings(&stdout);
    assert!(after.is_empty(), "{after:?}");
    assert_eq!(summary["baselined"], 2);

    let text = std::fs::read_to_string(root.join(BASELINE)).expect("baseline written");
    let baseline: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(baseline["version"], 2);
    let entries = baseline["findings"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    let paths: Vec<&str> = entries.iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(paths, ["deploy/appspec.yaml", "iam/deploy-trust.json"]);
    for entry in entries {
        let keys: Vec<&String> = entry.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["fingerprint", "message", "path", "route", "rule"]);
    }

    // Move both findings down: blank lines and a new key above them.
    insert_before(
        &root.join("iam/deploy-trust.json"),
        2,
        "  \"Id\": \"moved\",\n\n\n",
    );
    insert_before(
        &root.join("deploy/appspec.yaml"),
        2,
        "# a comment\n\n# another\n",
    );
    let (code, stdout, stderr) = scan_against_baseline(root);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let (left, summary) = findings(&stdout);
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(summary["baselined"], 2);
    // The lines really moved: without the baseline the finding is lower.
    let (_, concise, _) = run(root, &["--no-config", "--format", "concise", "."]);
    assert!(concise.contains("iam/deploy-trust.json:18:54"), "{concise}");

    // A new finding still fails, and only it is reported.
    std::fs::write(
        root.join("deploy/imagedefinitions.json"),
        "{\"name\": \"web\", \"imageUri\": \"111111111111.dkr.ecr.eu-west-1.amazonaws.com/web:1\"}\n",
    )
    .expect("write");
    let (code, stdout, stderr) = scan_against_baseline(root);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let (left, summary) = findings(&stdout);
    assert_eq!(
        left,
        [(
            "imagedefinitions-shape".to_owned(),
            "deploy/imagedefinitions.json".to_owned()
        )]
    );
    assert_eq!(summary["baselined"], 2);
}

#[test]
fn a_changed_value_is_a_new_finding() {
    let dir = repo("app");
    let root = dir.path();
    let (code, _, _) = run(root, &["--no-config", "--write-baseline", BASELINE, "."]);
    assert_eq!(code, 0);
    let trust = root.join("iam/deploy-trust.json");
    let text = std::fs::read_to_string(&trust).expect("read");
    std::fs::write(&trust, text.replace("repo:acme/*", "repo:other/*")).expect("write");
    let (code, stdout, _) = scan_against_baseline(root);
    assert_eq!(code, 1);
    let (left, summary) = findings(&stdout);
    assert_eq!(
        left,
        [(
            "oidc-subject-any-repo".to_owned(),
            "iam/deploy-trust.json".to_owned()
        )]
    );
    assert_eq!(summary["baselined"], 1);
}

#[test]
fn paths_are_anchored_at_the_repository_root_whatever_the_working_directory() {
    let dir = repo("app");
    let root = dir.path();
    let baseline = root.join(BASELINE);
    let baseline = baseline.to_str().expect("utf-8 path");
    // Written from a subdirectory, scanning only it ...
    let (code, _, stderr) = run(
        &root.join("iam"),
        &["--no-config", "--write-baseline", baseline, "."],
    );
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(baseline).expect("read");
    assert!(
        text.contains("\"path\": \"iam/deploy-trust.json\""),
        "{text}"
    );
    // ... applied from the root and from outside the repository.
    let (code, stdout, _) = run(
        root,
        &[
            "--no-config",
            "--format",
            "concise",
            "--baseline",
            baseline,
            ".",
        ],
    );
    assert_eq!(code, 1);
    assert!(!stdout.contains("deploy-trust"), "{stdout}");
    assert!(stdout.contains("deploy/appspec.yaml"), "{stdout}");
    let outside = root.parent().expect("parent");
    let scan = root.join("iam");
    let (code, stdout, _) = run(
        outside,
        &[
            "--no-config",
            "--format",
            "concise",
            "--baseline",
            baseline,
            scan.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn unreadable_or_foreign_baselines_are_usage_errors() {
    let dir = repo("app");
    let root = dir.path();
    let (code, _, stderr) = run(root, &["--no-config", "--baseline", "missing.json", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read baseline"), "{stderr}");
    std::fs::write(root.join("other.json"), "{\"findings\": []}").expect("write");
    let (code, _, stderr) = run(root, &["--no-config", "--baseline", "other.json", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not a shiplint baseline"), "{stderr}");
}
