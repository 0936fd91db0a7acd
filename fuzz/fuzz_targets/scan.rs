//! The whole pipeline on one in-memory file whose name picks the front-end
//! (policy, CloudFormation, Terraform, buildspec, pipeline, artifacts,
//! workflow, plain text), rendered in every format.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::report::{Format, RenderOptions, render};

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
    let Ok(report) = scan_in_memory(&[(name, rest)], &options) else { return };
    for format in [Format::Full, Format::Concise, Format::Json, Format::Sarif, Format::Github] {
        let _ = render(&report, format, RenderOptions::default());
    }
});
