use super::*;
use crate::finding::{Location, Place, RelatedPlace};
use crate::syntax::{LineIndex, Span};

const YAML: &str = "version: 0.2
env:
  variables:
    LABEL: \"café\"
    AWS_SECRET_ACCESS_KEY: \"wJal********************EKEY\"
phases:
  build:
    commands:
      - echo \"déployé\" && curl -k https://example.com/install.sh | sh
";

const JSON: &str = r#"{
  "family": "web",
  "containerDefinitions": [],
  "family": "api"
}
"#;

const YAML_PATH: &str = "deploy/build spec.yml";
const JSON_PATH: &str = "taskdef.json";

/// The place of the `nth` occurrence of `needle` in file `file`.
fn place(files: &[ShownFile], file: usize, needle: &str, nth: usize) -> Place {
    let text = &files[file].text;
    let start = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle in text");
    let span = Span::new(start, start + needle.len());
    let index = LineIndex::new(text);
    Place {
        path: files[file].path.clone(),
        start: index.position(text, span.start),
        end: index.position(text, span.end),
        location: Location { file, span },
    }
}

fn rule(id: &'static str, severity: Severity, summary: &str, fix: &str) -> RuleInfo {
    RuleInfo {
        opt_in: false,
        id,
        family: "test".into(),
        severity,
        tags: vec!["correctness".into()],
        cwe: Some("CWE-798".into()),
        summary: summary.into(),
        fix: fix.into(),
        markdown: format!("# {id}\n\n{summary}.\n\n## Fix\n\n{fix}.\n"),
        help_uri: format!("https://github.com/shiplint/shiplint/blob/main/rules/{id}.md"),
    }
}

fn sample() -> Report {
    let files = vec![
        ShownFile {
            path: YAML_PATH.into(),
            text: YAML.into(),
        },
        ShownFile {
            path: JSON_PATH.into(),
            text: JSON.into(),
        },
    ];
    let findings = vec![
        Reported {
            rule: "hardcoded-secret",
            severity: Severity::Critical,
            message: "AWS secret access key written in the buildspec".into(),
            place: place(&files, 0, "\"wJal********************EKEY\"", 0),
            route: "$.env.variables.AWS_SECRET_ACCESS_KEY".into(),
            related: Vec::new(),
            help: "read it from Secrets Manager with `env.secrets-manager`".into(),
            fingerprint: "3f2a9c0d1e7b4a65".into(),
            fix: None,
        },
        Reported {
            rule: "insecure-download",
            severity: Severity::Medium,
            message: "curl -k: TLS verification off, 100% trust in the network".into(),
            place: place(&files, 0, "-k", 0),
            route: "$.phases.build.commands[0]".into(),
            related: Vec::new(),
            help: "drop -k and pin the script's checksum".into(),
            fingerprint: "9b1c44e07a2d3f18".into(),
            fix: None,
        },
        Reported {
            rule: "duplicate-key",
            severity: Severity::Low,
            message: "key \"family\" is written twice; the last one wins".into(),
            place: place(&files, 1, "\"family\"", 1),
            route: "$.family".into(),
            related: vec![
                RelatedPlace {
                    place: place(&files, 1, "\"family\"", 0),
                    label: "first written here".into(),
                },
                RelatedPlace {
                    place: place(&files, 0, "version", 0),
                    label: "built by this buildspec".into(),
                },
            ],
            help: "keep one of the two keys".into(),
            fingerprint: "c0ffee0012345678".into(),
            fix: None,
        },
    ];
    let mut by_severity: BTreeMap<Severity, usize> =
        Severity::ALL.iter().map(|s| (*s, 0)).collect();
    for f in &findings {
        *by_severity.entry(f.severity).or_default() += 1;
    }
    Report {
        findings,
        files,
        rules: vec![
            rule(
                "duplicate-key",
                Severity::High,
                "a mapping repeats a key, so what a reviewer reads may not be what AWS applies",
                "keep one of the two keys and merge what they hold",
            ),
            rule(
                "hardcoded-secret",
                Severity::Critical,
                "a secret is written into the configuration",
                "reference it from Secrets Manager or Parameter Store",
            ),
        ],
        notices: vec![Notice {
            path: "vendor/huge.json".into(),
            reason: "larger than 1 MiB".into(),
        }],
        summary: Summary {
            files_scanned: 12,
            by_severity,
            suppressed: 1,
            baselined: 0,
        },
        tool_version: "0.1.0",
        trust_map: Default::default(),
    }
}

fn empty() -> Report {
    Report {
        findings: Vec::new(),
        files: Vec::new(),
        rules: sample().rules,
        notices: Vec::new(),
        summary: Summary {
            files_scanned: 3,
            by_severity: Severity::ALL.iter().map(|s| (*s, 0)).collect(),
            suppressed: 0,
            baselined: 0,
        },
        tool_version: "0.1.0",
        trust_map: Default::default(),
    }
}

fn render_plain(report: &Report, format: Format) -> String {
    render(report, format, RenderOptions::default())
}

#[test]
fn sample_positions_count_characters() {
    let report = sample();
    // `-k` follows two `é`s on its line: columns count characters, not bytes.
    let line = "      - echo \"déployé\" && curl ";
    let place = &report.findings[1].place;
    assert_eq!(place.start.line, 9);
    assert_eq!(place.start.column as usize, line.chars().count() + 1);
    assert_ne!(place.start.column as usize, line.len() + 1);
}

#[test]
fn full_snapshot() {
    insta::assert_snapshot!("full", render_plain(&sample(), Format::Full));
}

#[test]
fn full_empty_snapshot() {
    insta::assert_snapshot!("full_empty", render_plain(&empty(), Format::Full));
}

#[test]
fn full_color_uses_ansi() {
    let out = render(
        &sample(),
        Format::Full,
        RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(out.contains("\x1b["), "{out}");
    assert!(out.contains("hardcoded-secret"));
    assert!(!render_plain(&sample(), Format::Full).contains('\x1b'));
}

#[test]
fn full_survives_out_of_range_spans() {
    let mut report = sample();
    report.findings[0].place.location.span = Span::new(10_000, 20_000);
    report.findings[1].place.location.file = 99;
    let out = render_plain(&report, Format::Full);
    assert!(out.contains("at: deploy/build spec.yml:9:"), "{out}");
}

#[test]
fn full_caps_notices() {
    let mut report = sample();
    report.notices = (0..25)
        .map(|i| Notice {
            path: format!("big/{i:02}.json"),
            reason: "larger than 1 MiB".into(),
        })
        .collect();
    let out = render_plain(&report, Format::Full);
    assert_eq!(out.matches("note: skipped big/").count(), 10);
    assert!(out.contains("note: skipped 15 more files"), "{out}");
}

#[test]
fn concise_snapshot() {
    insta::assert_snapshot!("concise", render_plain(&sample(), Format::Concise));
    assert_eq!(render_plain(&empty(), Format::Concise), "");
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", render_plain(&sample(), Format::Json));
}

#[test]
fn json_parses_with_version_1() {
    let out = render_plain(&sample(), Format::Json);
    let value: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    assert_eq!(value["version"], 1);
    assert_eq!(value["tool"]["name"], "shiplint");
    assert_eq!(value["summary"]["findings"], 3);
    assert_eq!(value["summary"]["by_severity"]["critical"], 1);
    let findings = value["findings"].as_array().expect("findings array");
    assert_eq!(findings.len(), 3);
    assert_eq!(findings[1]["start"]["line"], 9);
    assert_eq!(findings[2]["related"][1]["path"], YAML_PATH);
    assert!(findings[0].get("location").is_none());
    assert_eq!(value["notices"][0]["path"], "vendor/huge.json");
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!("sarif", render_plain(&sample(), Format::Sarif));
}

/// The official SARIF 2.1.0 schema's `language` pattern (on `run` and
/// `toolComponent`) has a stray `]` (`...[a-zA-Z]{2}]?$`, fixed in the errata);
/// jsonschema checks a schema's own regexes before compiling it, so that
/// pattern is corrected first. We never write `language`.
const BROKEN_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
const FIXED_LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}$|^[a-zA-Z]{2}-[a-zA-Z]{2}$";

fn sarif_validator() -> jsonschema::Validator {
    // The project's copy of ../shared/schemas/sarif-schema-2.1.0.json
    // (.ci/run checks that the two are the same).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/schemas/sarif-schema-2.1.0.json"
    );
    let text = std::fs::read_to_string(path)
        .expect("SARIF schema readable")
        .replace(BROKEN_LANGUAGE_PATTERN, FIXED_LANGUAGE_PATTERN);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("SARIF schema parses");
    // Formats are checked too (`uri-reference` for every `uri`).
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("SARIF schema compiles")
}

fn assert_valid_sarif(validator: &jsonschema::Validator, out: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(out).expect("sarif output parses");
    let errors = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect::<Vec<_>>();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
    value
}

#[test]
fn sarif_validates_against_schema() {
    let validator = sarif_validator();
    let value = assert_valid_sarif(&validator, &render_plain(&sample(), Format::Sarif));
    assert_valid_sarif(&validator, &render_plain(&empty(), Format::Sarif));

    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["name"], "DuplicateKey");
    for rule in rules {
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert!(tags.iter().any(|t| t == "security"));
        assert!(rule["properties"]["security-severity"].is_string());
        assert!(rule["help"]["markdown"].is_string());
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    for result in results {
        let location = &result["locations"][0]["physicalLocation"];
        let region = &location["region"];
        assert!(
            region["startLine"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
        assert!(
            region["startColumn"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
        assert!(region["endLine"].is_u64() && region["endColumn"].is_u64());
        assert!(result["partialFingerprints"]["shiplint/v1"].is_string());
        assert!(
            result["partialFingerprints"]
                .get("primaryLocationLineHash")
                .is_none()
        );
        let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.contains(' ') && !uri.starts_with('/'), "{uri}");
    }
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/build%20spec.yml"
    );
    // A rule missing from the catalogue gets no (dangling) ruleIndex.
    assert!(results[1].get("ruleIndex").is_none());
    assert_eq!(results[0]["ruleIndex"], 1);
    assert_eq!(
        results[2]["relatedLocations"][1]["message"]["text"],
        "built by this buildspec"
    );
}

#[test]
fn sarif_validator_rejects_broken_logs() {
    let validator = sarif_validator();
    let mut value: serde_json::Value =
        serde_json::from_str(&render_plain(&sample(), Format::Sarif)).expect("sarif parses");
    let region = &mut value["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    region["startColumn"] = 0.into();
    assert!(!validator.is_valid(&value));

    let mut value: serde_json::Value =
        serde_json::from_str(&render_plain(&sample(), Format::Sarif)).expect("sarif parses");
    value["runs"][0]["columnKind"] = "bytes".into();
    assert!(!validator.is_valid(&value));
}

#[test]
fn sarif_encodes_paths() {
    assert_eq!(
        sarif::encode_path("a b/c%d#e?.yml"),
        "a%20b/c%25d%23e%3F.yml"
    );
    assert_eq!(
        sarif::encode_path("c:/x/été.json"),
        "c%3A/x/%C3%A9t%C3%A9.json"
    );
    assert_eq!(
        sarif::encode_path(".github/workflows/ci.yml"),
        ".github/workflows/ci.yml"
    );
}

#[test]
fn sarif_rule_names_are_upper_camel_case() {
    assert_eq!(sarif::camel("duplicate-key"), "DuplicateKey");
    assert_eq!(sarif::camel("iam-wildcard-action"), "IamWildcardAction");
    assert_eq!(sarif::camel("s3"), "S3");
}

#[test]
fn github_snapshot() {
    insta::assert_snapshot!("github", render_plain(&sample(), Format::Github));
}

#[test]
fn github_escapes_properties_and_data() {
    assert_eq!(
        github::escape_data("50%\r\nnext: a,b"),
        "50%25%0D%0Anext: a,b"
    );
    assert_eq!(
        github::escape_property("dir:x,y/50%\n"),
        "dir%3Ax%2Cy/50%25%0A"
    );

    let mut report = sample();
    report.findings[0].message = "two\nlines, 100%: done".into();
    report.findings[0].place.path = "odd:dir,name/a.yml".into();
    let out = render_plain(&report, Format::Github);
    let first = out.lines().next().expect("a line");
    assert_eq!(
        first,
        "::error file=odd%3Adir%2Cname/a.yml,line=5,col=28,endLine=5,endColumn=58,\
         title=shiplint hardcoded-secret::two%0Alines, 100%25: done"
    );
    assert_eq!(out.lines().count(), 4, "three findings and a skipped file");
}

#[test]
fn github_drops_columns_across_lines() {
    let mut report = sample();
    let place = &mut report.findings[0].place;
    place.end.line = place.start.line + 2;
    place.end.column = 4;
    let out = render_plain(&report, Format::Github);
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with("::error file=deploy/build spec.yml,line=5,endLine=7,title="),
        "{first}"
    );

    // A span ending at the start of the next line ends on its own line.
    let mut report = sample();
    let place = &mut report.findings[0].place;
    place.end.line = place.start.line + 1;
    place.end.column = 1;
    let out = render_plain(&report, Format::Github);
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with("::error file=deploy/build spec.yml,line=5,endLine=5,title="),
        "{first}"
    );
}

#[test]
fn full_handles_empty_files_and_end_of_file_spans() {
    let mut report = sample();
    report.files.push(ShownFile {
        path: "empty.json".into(),
        text: String::new(),
    });
    let end = YAML.len();
    report.findings[0].place.location.span = Span::new(end, end);
    report.findings[1].place.location = Location {
        file: 2,
        span: Span::new(0, 0),
    };
    let out = render_plain(&report, Format::Full);
    assert!(out.contains("error[hardcoded-secret]"), "{out}");
    assert!(out.contains("warning[insecure-download]"), "{out}");
    assert!(out.contains("found 3 findings"), "{out}");
}

#[test]
fn example_repository_sarif_validates_and_locates_every_result() {
    let options = crate::engine::ScanOptions {
        paths: vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/example-repo"
        ))],
        threads: 2,
        ignore_comments: true,
        ..Default::default()
    };
    let report = crate::engine::scan(&options).expect("scan");
    assert!(
        !report.findings.is_empty(),
        "the example repository has defects"
    );
    let value = assert_valid_sarif(&sarif_validator(), &render_plain(&report, Format::Sarif));
    let results = value["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for result in results {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(
            region["startLine"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
        assert!(
            region["startColumn"].as_u64().is_some_and(|n| n >= 1),
            "{result}"
        );
    }
}

#[test]
fn sarif_fixes_validate_against_schema() {
    let buildspec = "version: 0.2\ncache:\n  paths:\n    - '/var/lib/docker/**/*'\nphases:\n  build:\n    commands:\n      - docker build -t app .\n      - |\n        npm ci\n        npm test\n  post_build:\n    commands:\n      - docker push app # shiplint: ignore[curl-pipe-shell]\n";
    let detail = "{\"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1\"}\n";
    let options = crate::engine::ScanOptions {
        ignore_comments: true,
        ..Default::default()
    };
    let report = crate::engine::scan_in_memory(
        &[
            ("buildspec.yml", buildspec.as_bytes()),
            ("imageDetail.json", detail.as_bytes()),
        ],
        &options,
    )
    .expect("scan");
    let value = assert_valid_sarif(&sarif_validator(), &render_plain(&report, Format::Sarif));
    let results = value["runs"][0]["results"].as_array().expect("results");
    let with_fixes: Vec<_> = results
        .iter()
        .filter(|r| r["fixes"].as_array().is_some_and(|f| !f.is_empty()))
        .collect();
    // --pull, set -e, the guard, the unused comment, the key rename.
    assert_eq!(with_fixes.len(), 5, "{value:#}");
    for r in with_fixes {
        let change = &r["fixes"][0]["artifactChanges"][0];
        assert_eq!(
            change["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        );
        assert!(change["replacements"][0]["deletedRegion"]["startLine"].as_u64() >= Some(1));
    }
}
