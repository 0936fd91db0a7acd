//! Fixture repositories with their expected findings.
//!
//! Each directory under `testdata/fixtures/` is a small repository. Its
//! `.expected` file lists, in the concise format, exactly the findings a scan
//! of it must report (paths relative to the fixture); an empty `.expected`
//! means the fixture must stay silent. A `shiplint.toml` in the fixture is
//! honoured. `UPDATE_EXPECTED=1 cargo test --test fixtures` rewrites the
//! files; review the diff before committing it.

use shiplint::config::{self, Config};
use shiplint::engine::{ScanOptions, scan};
use shiplint::report::{Format, RenderOptions, render};
use std::path::Path;

#[test]
fn fixtures_report_exactly_what_they_expect() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata/fixtures exists")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    let update = std::env::var_os("UPDATE_EXPECTED").is_some();
    let mut failures = Vec::new();
    for dir in dirs {
        let config = match std::fs::exists(dir.join("shiplint.toml")) {
            Ok(true) => config::load(&dir.join("shiplint.toml"), &shiplint::rules::is_selector)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display())),
            _ => Config::default(),
        };
        let report = scan(&ScanOptions {
            paths: vec![dir.clone()],
            threads: 1,
            config,
            exclude: vec![".expected".into()],
            ignore_comments: true,
            ..ScanOptions::default()
        })
        .expect("scan");
        // Reported paths are relative to the working directory (the crate).
        let shown = dir.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(&dir);
        let prefix = format!("{}/", shown.display());
        let actual: String = render(&report, Format::Concise, RenderOptions::default())
            .lines()
            .map(|l| format!("{}\n", l.strip_prefix(&prefix).unwrap_or(l)))
            .collect();
        // Files named fire-* must be reported, files named silent-* must not.
        for entry in std::fs::read_dir(&dir)
            .expect("fixture dir")
            .filter_map(|e| e.ok())
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let reported = actual.lines().any(|l| l.starts_with(&format!("{name}:")));
            if name.starts_with("fire-") && !reported {
                failures.push(format!("{}: {name} is not reported", dir.display()));
            }
            if name.starts_with("silent-") && reported {
                failures.push(format!("{}: {name} is reported", dir.display()));
            }
        }
        let expected_path = dir.join(".expected");
        if update {
            std::fs::write(&expected_path, &actual).expect("write .expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
