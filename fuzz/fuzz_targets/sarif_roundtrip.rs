//! SARIF output of any scan is valid JSON whose results match the findings,
//! each with a 1-based region.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::report::{Format, RenderOptions, render};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let name = ["trust-policy.json", "template.yaml", "main.tf", "buildspec.yml"][selector as usize % 4];
    let options = ScanOptions { ignore_comments: true, ..ScanOptions::default() };
    let Ok(report) = scan_in_memory(&[(name, rest)], &options) else { return };
    let sarif = render(&report, Format::Sarif, RenderOptions::default());
    let value: serde_json::Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    let results = value["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for result in results {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().is_some_and(|l| l >= 1));
        assert!(region["startColumn"].as_u64().is_some_and(|c| c >= 1));
    }
});
