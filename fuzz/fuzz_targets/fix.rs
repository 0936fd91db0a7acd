//! Fixes on one in-memory file whose name picks the front-end: applying
//! every fix (safe and unsafe) never panics, never leaves a file that parsed
//! unparsable, never raises the number of findings, and a second run has
//! nothing left to change.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::fix::run_in_memory;

const NAMES: &[&str] = &[
    "trust-policy.json",
    "template.yaml",
    "template.json",
    "main.tf",
    "buildspec.yml",
    "pipeline.json",
    "imagedefinitions.json",
    "imageDetail.json",
    "taskdef.json",
    "appspec.yaml",
    ".github/workflows/deploy.yml",
    "notes.txt",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let name = NAMES[selector as usize % NAMES.len()];
    let options = ScanOptions { ignore_comments: true, ..ScanOptions::default() };
    let Ok(outcome) = run_in_memory(&[(name, rest)], &options, true) else { return };
    let count = |bytes: &[u8]| {
        scan_in_memory(&[(name, bytes)], &options).map(|r| {
            let broken = r.findings.iter().filter(|f| f.rule == "parse-error").count();
            (r.findings.len(), broken)
        })
    };
    for changed in &outcome.changed {
        let (Ok((before, broken_before)), Ok((after, broken_after))) =
            (count(changed.original.as_slice()), count(changed.fixed.as_slice()))
        else {
            return;
        };
        assert!(after <= before, "a fix raised the findings from {before} to {after}");
        assert!(broken_after <= broken_before, "a fix broke parsing");
        let again = run_in_memory(&[(name, changed.fixed.as_slice())], &options, true).expect("fix");
        assert!(again.changed.is_empty(), "fixes are not idempotent");
    }
});
