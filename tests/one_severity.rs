//! One severity per rule (issue 19, item 6): GitHub code scanning shows a
//! finding at its rule's `security-severity`, so a finding reported at
//! another severity than its rule's would be shown wrongly. Every finding of
//! every fixture repository and of the example repository, scanned with the
//! default configuration, carries its rule's severity.

use shiplint::config::Config;
use shiplint::engine::{ScanOptions, scan};
use shiplint::rules;
use std::path::Path;

#[test]
fn every_finding_has_its_rules_severity() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("testdata/example-repo")];
    let fixtures = std::fs::read_dir(root.join("testdata/fixtures")).expect("fixtures");
    paths.extend(
        fixtures
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir()),
    );
    paths.sort();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for path in paths {
        let report = scan(&ScanOptions {
            paths: vec![path.clone()],
            threads: 1,
            config: Config::default(),
            exclude: vec![".expected".into(), "shiplint.toml".into()],
            ignore_comments: false,
            ..ScanOptions::default()
        })
        .expect("scan");
        for f in &report.findings {
            seen += 1;
            let info = rules::info(f.rule).expect("a reported rule is in the catalogue");
            if f.severity != info.severity {
                wrong.push(format!(
                    "{}: {} reported {:?}, the rule is {:?}: {}",
                    path.display(),
                    f.rule,
                    f.severity,
                    info.severity,
                    f.message
                ));
            }
        }
    }
    assert!(seen > 100, "the fixtures report findings ({seen})");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
