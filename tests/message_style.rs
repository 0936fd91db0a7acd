//! One message style (issue 19, item 11), checked over the findings of every
//! rule's documentation examples and of every fixture repository:
//!
//! - quotes nest: a double-quoted value holds no bare double quote (escape
//!   it, `"echo \"token is $X\""`, or quote with backticks);
//! - a shortened value is cut after a whole word (`docker build -t ...`),
//!   never in the middle of one (`$CODEBUILD_RESOLVED_SOURCE...`);
//! - AWS, OIDC and IAM are written in capitals outside quoted values,
//!   identifiers and commands.
//!
//! Violations of rules owned elsewhere that are not fixed yet are listed in
//! `KNOWN`, by rule and check; the test fails on any other violation, and on
//! a `KNOWN` entry that no longer occurs (so the list only shrinks).

use shiplint::config::Config;
use shiplint::engine::{ScanOptions, scan};
use shiplint::rules::{self, RULES};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (rule, check) pairs known to fail; empty: every message follows the style.
const KNOWN: &[(&str, &str)] = &[];

/// The example files of a rule document, grouped as the document tests
/// group them: companions and `shiplint.toml` go with the next example.
fn example_dirs(markdown: &str) -> Vec<tempfile::TempDir> {
    let mut out = Vec::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let words: Vec<&str> = info.split_whitespace().collect();
        let mut code = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            code.push_str(line);
            code.push('\n');
        }
        if !words.contains(&"bad") {
            continue;
        }
        let Some(file) = words.iter().find_map(|w| w.strip_prefix("file=")) else {
            continue;
        };
        pending.push((file.to_owned(), code));
        if file == "shiplint.toml" || words.contains(&"companion") {
            continue;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in pending.drain(..) {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        out.push(dir);
    }
    out
}

/// (rule, message) of every finding of a scan of `dir`.
fn messages(dir: &Path) -> Vec<(String, String)> {
    let config_path = dir.join("shiplint.toml");
    let config = if config_path.exists() {
        shiplint::config::load(&config_path, &rules::is_selector).expect("config loads")
    } else {
        Config::default()
    };
    let report = scan(&ScanOptions {
        paths: vec![dir.to_path_buf()],
        threads: 1,
        config,
        exclude: vec![".expected".into()],
        ignore_comments: true,
        ..ScanOptions::default()
    })
    .expect("scan");
    report
        .findings
        .iter()
        .map(|f| (f.rule.to_owned(), f.message.clone()))
        .collect()
}

/// The message with quoted values (`"..."` with `\"` escapes) and backtick
/// spans removed: what is left is the message's own words.
fn own_words(message: &str) -> String {
    let mut out = String::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str(" Q ");
            }
            '`' => {
                for d in chars.by_ref() {
                    if d == '`' {
                        break;
                    }
                }
                out.push_str(" Q ");
            }
            _ => out.push(c),
        }
    }
    out
}

/// The style checks a message fails.
fn violations(message: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    // Quotes: every double-quoted value closes before a word boundary, so a
    // closing quote directly followed by a letter or digit (or an opening
    // one directly after one) means quotes inside quotes.
    let bytes: Vec<char> = message.chars().collect();
    let mut inside = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            '\\' if inside => i += 1,
            '"' => {
                if inside {
                    let next = bytes.get(i + 1).copied().unwrap_or(' ');
                    if next.is_alphanumeric() || next == '"' || next == '$' {
                        out.push("quotes");
                        break;
                    }
                }
                inside = !inside;
            }
            _ => {}
        }
        i += 1;
    }
    if inside && !out.contains(&"quotes") {
        out.push("quotes");
    }
    // Cut mid-word: an ellipsis glued to the end of a word.
    let glued = |ellipsis: &str| {
        message.match_indices(ellipsis).any(|(at, _)| {
            message[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    if glued("...") || glued("…") {
        out.push("cut");
    }
    // Capitals: aws, oidc, iam as words of the message itself.
    let words = own_words(message);
    // Identifiers such as `iam:PassedToService` stay whole: only trailing
    // punctuation is taken off a word.
    let lower = words
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')'))
        .map(|w| w.trim_end_matches([':', '.']));
    if lower
        .filter(|w| !w.is_empty())
        .any(|w| matches!(w, "aws" | "oidc" | "iam" | "Aws" | "Oidc" | "Iam"))
    {
        out.push("capitals");
    }
    out
}

#[test]
fn style_checks_catch_what_they_should() {
    assert_eq!(
        violations("command \"echo \"token is $X\"\" prints a secret"),
        ["quotes"]
    );
    assert!(violations("command \"echo \\\"token is $X\\\"\" prints a secret").is_empty());
    assert_eq!(
        violations("runs \"docker build -t $REGISTRY/web:$CODEBUILD_RESOLVED_SOURCE...\""),
        ["cut"]
    );
    assert!(violations("runs \"docker build -t ...\" in post_build").is_empty());
    assert_eq!(violations("long-lived aws keys: use oidc"), ["capitals"]);
    assert!(violations("long-lived AWS keys \"aws s3 cp\" in `aws-actions/x`").is_empty());
    assert!(violations("wrap it in an array `[{\"name\": ..., \"imageUri\": ...}]`").is_empty());
}

#[test]
fn every_message_follows_one_style() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("testdata/fixtures"))
        .expect("fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.push(root.join("testdata/example-repo"));
    dirs.sort();
    let mut found: Vec<(String, String)> = Vec::new();
    for dir in &dirs {
        found.extend(messages(dir));
    }
    let mut temps = Vec::new();
    for r in RULES {
        let info = rules::info(r.id).expect("catalogued");
        temps.extend(example_dirs(&info.markdown));
    }
    for dir in &temps {
        found.extend(messages(dir.path()));
    }
    assert!(found.len() > 100, "{}", found.len());

    let mut seen: BTreeSet<(String, &'static str)> = BTreeSet::new();
    let mut failures = Vec::new();
    for (rule, message) in &found {
        for check in violations(message) {
            seen.insert((rule.clone(), check));
            if !KNOWN.contains(&(rule.as_str(), check)) {
                failures.push(format!("{rule} [{check}]: {message}"));
            }
        }
    }
    failures.sort();
    failures.dedup();
    for (rule, check) in KNOWN {
        if !seen.contains(&((*rule).to_owned(), *check)) {
            failures.push(format!("{rule} [{check}]: fixed, remove it from KNOWN"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
