//! Every rule has a document, every document a rule, and each document's
//! examples behave as they say: `bad` examples fire the rule, `good` ones
//! stay silent.

use shiplint::config::Config;
use shiplint::engine::{ScanOptions, scan};
use shiplint::rules::{self, RULES};
use std::collections::BTreeSet;
use std::path::Path;

struct Example {
    rule: &'static str,
    bad: bool,
    /// (file name, content): the example itself, last, after any companion
    /// files (a `shiplint.toml` block applies to the next example).
    files: Vec<(String, String)>,
}

fn examples(rule: &'static str, markdown: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut pending: Vec<(bool, String, String)> = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let words: Vec<&str> = info.split_whitespace().collect();
        let bad = words.contains(&"bad");
        let good = words.contains(&"good");
        let file = words.iter().find_map(|w| w.strip_prefix("file="));
        let mut code = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            code.push_str(line);
            code.push('\n');
        }
        let Some(file) = file.filter(|_| bad || good) else {
            continue;
        };
        // `shiplint.toml` and blocks marked `companion` go with the next
        // example of the same kind (cross-file rules need two files).
        if file == "shiplint.toml" || words.contains(&"companion") {
            pending.push((bad, file.to_owned(), code));
            continue;
        }
        let mut files: Vec<(String, String)> = pending
            .iter()
            .filter(|(b, _, _)| *b == bad)
            .map(|(_, f, c)| (f.clone(), c.clone()))
            .collect();
        pending.retain(|(b, _, _)| *b != bad);
        files.push((file.to_owned(), code));
        out.push(Example { rule, bad, files });
    }
    out
}

#[test]
fn every_rule_has_a_valid_document_and_every_document_a_rule() {
    let registered: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"))
            .expect("rules/ exists")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".md")
                    .map(str::to_owned)
            })
            .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(registered, on_disk, "rules/*.md and the registry differ");
    for r in RULES {
        let info =
            rules::parse_doc(r.id, r.doc).unwrap_or_else(|e| panic!("rules/{}.md: {e}", r.id));
        assert!(
            !info.summary.is_empty() && !info.fix.is_empty(),
            "{}: summary and fix",
            r.id
        );
        assert!(!info.tags.is_empty(), "{}: tags", r.id);
        let ex = examples(r.id, &info.markdown);
        assert!(ex.iter().any(|e| e.bad), "{}: no bad example", r.id);
        assert!(ex.iter().any(|e| !e.bad), "{}: no good example", r.id);
    }
}

#[test]
fn document_examples_fire_and_stay_silent_as_they_say() {
    let mut failures = Vec::new();
    for r in RULES {
        let info = rules::info(r.id).expect("catalogued");
        for (i, example) in examples(r.id, &info.markdown).into_iter().enumerate() {
            let dir = tempfile::tempdir().expect("tempdir");
            for (file, code) in &example.files {
                let path = dir.path().join(file);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).expect("mkdir");
                }
                std::fs::write(&path, code).expect("write");
            }
            let config_path = dir.path().join("shiplint.toml");
            let config = if config_path.exists() {
                shiplint::config::load(&config_path, &rules::is_selector)
                    .expect("example config loads")
            } else {
                Config::default()
            };
            let name = &example.files.last().expect("an example file").0;
            let report = scan(&ScanOptions {
                paths: vec![dir.path().to_path_buf()],
                threads: 1,
                config,
                ignore_comments: true,
                ..ScanOptions::default()
            })
            .expect("scan");
            let fired: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.rule == example.rule)
                .collect();
            if example.bad && fired.is_empty() {
                failures.push(format!(
                    "{} example {i} ({name}): bad example did not fire",
                    r.id
                ));
            }
            if !example.bad && !fired.is_empty() {
                failures.push(format!(
                    "{} example {i} ({name}): good example fired: {}",
                    r.id, fired[0].message
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
