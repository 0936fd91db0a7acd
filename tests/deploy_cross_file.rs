//! Cross-file deployment findings name both files in every output format:
//! the primary location and the related one (the task definition, the
//! buildspec that produces the artifact).

use assert_cmd::Command;
use std::path::Path;

fn run(fixture: &str, format: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fixtures")
        .join(fixture);
    let out = Command::cargo_bin("shiplint")
        .expect("binary built")
        .current_dir(&dir)
        .args(["--no-config", "--color", "never", "--format", format, "."])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{fixture} {format}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(fixture: &str, format: &str) -> serde_json::Value {
    serde_json::from_str(&run(fixture, format)).expect("valid JSON")
}

/// (rule, primary path, related path) for each case.
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "pipeline-classic-container-mismatch",
        "image-container-name-mismatch",
        "appspec.yaml",
        "taskdef.json",
    ),
    (
        "pipeline-classic-artifact-missing",
        "pipeline-artifact-file-missing",
        "pipeline.yaml",
        "buildspec.yml",
    ),
];

#[test]
fn json_findings_carry_the_related_file() {
    for (fixture, rule, primary, related) in CASES {
        let report = json(fixture, "json");
        let findings = report["findings"].as_array().expect("findings");
        assert_eq!(findings.len(), 1, "{fixture}: {findings:?}");
        let f = &findings[0];
        assert_eq!(f["rule"], *rule);
        assert_eq!(f["path"], *primary);
        let rel = f["related"].as_array().expect("related");
        assert_eq!(rel.len(), 1, "{fixture}");
        assert_eq!(rel[0]["path"], *related);
        assert!(rel[0]["start"]["line"].as_u64().is_some_and(|l| l >= 1));
    }
}

#[test]
fn sarif_results_carry_related_locations() {
    for (fixture, rule, primary, related) in CASES {
        let report = json(fixture, "sarif");
        let results = report["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), 1, "{fixture}");
        let r = &results[0];
        assert_eq!(r["ruleId"], *rule);
        // SARIF paths are relative to the repository root: this checkout's
        // (or the fixture itself, outside a git checkout).
        let in_repo = |name: &str| {
            [
                name.to_owned(),
                format!("testdata/fixtures/{fixture}/{name}"),
            ]
        };
        let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(
            in_repo(primary).iter().any(|p| uri == p),
            "{fixture}: {uri}"
        );
        let rel = r["relatedLocations"].as_array().expect("relatedLocations");
        let uri = &rel[0]["physicalLocation"]["artifactLocation"]["uri"];
        assert!(
            in_repo(related).iter().any(|p| uri == p),
            "{fixture}: {uri}"
        );
        assert!(
            rel[0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .is_some_and(|l| l >= 1)
        );
    }
}

#[test]
fn the_full_format_shows_both_files() {
    for (fixture, _, primary, related) in CASES {
        let text = run(fixture, "full");
        assert!(
            text.contains(primary) && text.contains(related),
            "{fixture}:\n{text}"
        );
    }
}
