//! The command line, end to end: exit codes, formats, positions, determinism.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn shiplint() -> Command {
    let mut cmd = Command::cargo_bin("shiplint").expect("binary built");
    cmd.env_remove("NO_COLOR");
    cmd
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example-repo")
}

/// Runs shiplint in `dir` with `args`; returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = shiplint()
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

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn golden_outputs_on_the_example_repository() {
    for format in ["full", "concise", "json", "sarif", "github"] {
        let (code, stdout, stderr) = run_in(
            &example(),
            &["--no-config", "--format", format, "--color", "never", "."],
        );
        assert_eq!(code, 1, "{format}: {stderr}");
        insta::assert_snapshot!(format!("example_{format}"), stdout);
    }
}

#[test]
fn positions_are_exact_in_every_format_for_yaml_json_and_hcl() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Each file repeats a key; the second one is the finding (Terraform
    // refuses a redefined attribute outright: a parse error at that key).
    write(
        dir.path(),
        "appspec.yml",
        "version: 0.0\nResources: []\nHooks: []\n  # comment\nResources: []\n",
    );
    write(
        dir.path(),
        "imagedefinitions.json",
        "[\n  {\"name\": \"web\",\n   \"imageUri\": \"x:1\", \"name\": \"api\"}\n]\n",
    );
    write(
        dir.path(),
        "main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"a\"\n\n    bucket = \"b\"\n}\n",
    );
    // (path, line, column) of the duplicate key.
    let expected = [
        ("appspec.yml", 5, 1, "duplicate-key"),
        ("imagedefinitions.json", 3, 23, "duplicate-key"),
        ("main.tf", 4, 5, "parse-error"),
    ];
    let args = |f: &'static str| {
        vec![
            "--no-config",
            "--select",
            "engine",
            "--format",
            f,
            "--color",
            "never",
        ]
    };

    let (_, concise, _) = run_in(dir.path(), &args("concise"));
    let (_, full, _) = run_in(dir.path(), &args("full"));
    let (_, github, _) = run_in(dir.path(), &args("github"));
    let (_, json, _) = run_in(dir.path(), &args("json"));
    let (_, sarif, _) = run_in(dir.path(), &args("sarif"));
    let json: serde_json::Value = serde_json::from_str(&json).expect("json");
    let sarif: serde_json::Value = serde_json::from_str(&sarif).expect("sarif");
    for (path, line, col, rule) in expected {
        assert!(
            concise.contains(&format!("{path}:{line}:{col}: high[{rule}]")),
            "concise {path}:\n{concise}"
        );
        assert!(
            full.contains(&format!("{path}:{line}:{col}")),
            "full {path}:\n{full}"
        );
        assert!(
            github.contains(&format!("file={path},line={line},col={col}")),
            "github {path}:\n{github}"
        );
        let in_json = json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| {
                f["path"] == path
                    && f["rule"] == rule
                    && f["start"]["line"] == line
                    && f["start"]["column"] == col
            });
        assert!(in_json, "json {path}");
        let in_sarif = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| {
                let loc = &r["locations"][0]["physicalLocation"];
                loc["artifactLocation"]["uri"] == path
                    && r["ruleId"] == rule
                    && loc["region"]["startLine"] == line
                    && loc["region"]["startColumn"] == col
            });
        assert!(in_sarif, "sarif {path}");
    }
}

#[test]
fn a_malformed_file_is_one_parse_error_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "policy.json",
        "{\"Statement\": [\n  {\"Effect\": \"Allow\",}\n]}\n",
    );
    write(
        dir.path(),
        "deploy/imagedefinitions.json",
        "{\"name\": \"web\", \"imageUri\": \"x:1\"}\n",
    );
    let (code, out, _) = run_in(dir.path(), &["--no-config", "--format", "concise"]);
    assert_eq!(code, 1);
    let parse_errors: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[parse-error]"))
        .collect();
    assert_eq!(parse_errors.len(), 1, "{out}");
    assert!(
        parse_errors[0].starts_with("policy.json:2:21: high[parse-error]"),
        "{out}"
    );
    assert!(
        out.contains("deploy/imagedefinitions.json:1:1: high[imagedefinitions-shape]"),
        "{out}"
    );
    // --fail-on decides the exit code.
    let (code, _, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--format",
            "concise",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(code, 0);
    let (code, _, _) = run_in(
        dir.path(),
        &["--no-config", "--format", "concise", "--fail-on", "never"],
    );
    assert_eq!(code, 0);
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    for format in ["json", "sarif", "full"] {
        let one = run_in(
            &example(),
            &[
                "--no-config",
                "--format",
                format,
                "--color",
                "never",
                "--threads",
                "1",
            ],
        );
        let eight = run_in(
            &example(),
            &[
                "--no-config",
                "--format",
                format,
                "--color",
                "never",
                "--threads",
                "8",
            ],
        );
        assert_eq!(one, eight, "{format}");
    }
}

#[test]
fn exit_codes_for_usage_and_config_errors() {
    let (code, _, err) = run_in(&example(), &["--format", "nope"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run_in(&example(), &["--select", "no-such-rule"]);
    assert_eq!(code, 2);
    assert!(err.contains("no-such-rule"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shiplint.toml",
        "fail-on = \"high\"\nfrobnicate = 1\n",
    );
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(err.contains("shiplint.toml:2:1"), "{err}");
    let (code, out, _) = run_in(dir.path(), &["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--fail-on"));
}

#[test]
fn rules_explain_and_init() {
    let (code, out, _) = run_in(&example(), &["rules"]);
    assert_eq!(code, 0);
    assert!(out.contains("imagedefinitions-shape") && out.contains("duplicate-key"));
    let (code, out, _) = run_in(&example(), &["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let rules: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(rules.as_array().is_some_and(|r| r.len() >= 5));
    let (code, out, _) = run_in(&example(), &["explain", "duplicate-key"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("duplicate-key (high"), "{out}");
    let (code, _, err) = run_in(&example(), &["explain", "duplicate"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean duplicate-key"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, _) = run_in(dir.path(), &["init"]);
    assert_eq!(code, 0);
    assert!(dir.path().join("shiplint.toml").exists());
    let (code, _, _) = run_in(dir.path(), &["init"]);
    assert_eq!(code, 2, "init refuses to overwrite");
    // The starter configuration is valid.
    write(dir.path(), "imagedefinitions.json", "[]");
    let (code, out, err) = run_in(dir.path(), &["--format", "concise"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("imagedefinitions-shape"));
}

#[test]
fn inline_suppressions_and_unused_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "appspec.yml",
        "version: 0.0\nResources: []\n# shiplint: ignore[duplicate-key] kept during the migration\nResources: []\nHooks: []\nHooks: [] # shiplint: ignore[duplicate-key]\nfiles: [] # shiplint: ignore[duplicate-key] nothing here\n",
    );
    let (code, out, _) = run_in(dir.path(), &["--no-config", "--format", "concise"]);
    assert_eq!(code, 1);
    assert!(!out.contains("[duplicate-key]"), "{out}");
    assert!(
        out.contains("appspec.yml:7:13: low[unused-suppression]"),
        "{out}"
    );
    let (_, out, _) = run_in(
        dir.path(),
        &["--no-config", "--format", "concise", "--no-ignore-comments"],
    );
    assert_eq!(out.matches("[duplicate-key]").count(), 2, "{out}");
}

#[test]
fn configuration_selects_ignores_and_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a/imagedefinitions.json", "[]");
    write(dir.path(), "b/imagedefinitions.json", "[]");
    write(dir.path(), "c/imagedefinitions.json", "[]");
    write(
        dir.path(),
        "shiplint.toml",
        "exclude = [\"c\"]\n[rules.severity]\nimagedefinitions-shape = \"low\"\n[[overrides]]\npaths = [\"b/**\"]\nignore = [\"artifacts\"]\n",
    );
    let (code, out, _) = run_in(dir.path(), &["--format", "concise"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "a/imagedefinitions.json:1:1: low[imagedefinitions-shape] imagedefinitions is an empty array: list each container to update with its name and imageUri"
    );
    let (code, _, _) = run_in(dir.path(), &["--format", "concise", "--fail-on", "medium"]);
    assert_eq!(code, 0);
    let (_, out, _) = run_in(dir.path(), &["--format", "concise", "--exclude", "a"]);
    assert!(out.trim().is_empty(), "{out}");
}

#[test]
fn in_memory_scans_can_run_again_and_again() {
    use shiplint::engine::{ScanOptions, scan_in_memory};
    let options = ScanOptions::default();
    for _ in 0..3 {
        let report =
            scan_in_memory(&[("imagedefinitions.json", b"[]")], &options).expect("scan runs");
        assert_eq!(report.findings.len(), 1);
    }
}
