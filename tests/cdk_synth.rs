//! Differential test against real CDK synthesis: every app in
//! `testdata/cdk-synth/` is run with Node (aws-cdk-lib and constructs pinned
//! in `testdata/cdk-synth/package.json`, installed by `.ci/run` into a cache
//! outside the repository and named by `$SHIPLINT_CDK_NODE_MODULES`), and
//! shiplint must report the same rules on the JavaScript source as on the
//! CloudFormation template it synthesises. Ignored by a plain `cargo test`.

use shiplint::engine::{ScanOptions, scan};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rules(path: &Path) -> BTreeSet<String> {
    let report = scan(&ScanOptions {
        paths: vec![path.to_path_buf()],
        threads: 1,
        ..ScanOptions::default()
    })
    .expect("scan");
    report.findings.iter().map(|f| f.rule.to_string()).collect()
}

#[test]
#[ignore = "needs Node and aws-cdk-lib from npm; .ci/run installs them and runs it"]
fn source_and_synthesised_template_give_the_same_rules() {
    let modules = PathBuf::from(
        std::env::var("SHIPLINT_CDK_NODE_MODULES").expect("SHIPLINT_CDK_NODE_MODULES"),
    );
    let apps_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cdk-synth");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(&apps_dir)
        .expect("apps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    apps.sort();
    assert!(apps.len() >= 10, "at least ten apps");
    // One Node process synthesises every app: loading aws-cdk-lib takes
    // most of the time, so it is loaded once.
    let work = tempfile::tempdir().expect("tempdir");
    let mut jobs = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        let name = app.file_name().and_then(|n| n.to_str()).unwrap_or("app");
        let dir = work.path().join(i.to_string());
        let source = dir.join("src");
        std::fs::create_dir_all(&source).expect("src dir");
        std::fs::copy(app, source.join(name)).expect("copy app");
        jobs.push((name.to_owned(), source, dir.join("cdk.out")));
    }
    let list: Vec<String> = jobs
        .iter()
        .map(|(name, source, out)| format!("{}\t{}", source.join(name).display(), out.display()))
        .collect();
    const DRIVER: &str = r#"
        let failed = 0;
        for (const line of process.env.SHIPLINT_APPS.split('\n')) {
          const [app, out] = line.split('\t');
          process.env.CDK_OUTDIR = out;
          try { require(app); } catch (e) { failed++; console.error(app + ': ' + e.stack); }
        }
        process.exit(failed ? 1 : 0);
    "#;
    let started = std::time::Instant::now();
    let run = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
        .arg("-e")
        .arg(DRIVER)
        .current_dir(work.path())
        .env("NODE_PATH", &modules)
        .env("SHIPLINT_APPS", list.join("\n"))
        .env("CDK_DISABLE_VERSION_CHECK", "1")
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "synthesis failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    eprintln!("synthesised {} apps in {:?}", jobs.len(), started.elapsed());
    let mut failures = Vec::new();
    let mut firing = 0;
    for (name, source, out) in &jobs {
        let name = name.as_str();
        let from_source = rules(source);
        let from_template = rules(out);
        if !from_source.is_empty() {
            firing += 1;
        }
        if from_source != from_template {
            failures.push(format!(
                "{name}: source {from_source:?}, template {from_template:?}"
            ));
        }
        if name.ends_with("-silent.js") && !from_source.is_empty() {
            failures.push(format!("{name}: must stay silent, got {from_source:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(firing >= 8, "most apps must fire something");
}
