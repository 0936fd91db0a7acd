//! Parse + every rule, per file kind, on files from the fixtures (and one
//! 1 MB CloudFormation template made here). `cargo bench --bench per_file`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shiplint::engine::{ScanOptions, scan_in_memory};
use std::hint::black_box;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/testdata/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn large_template() -> Vec<u8> {
    let mut text = String::from("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n");
    let mut n = 0;
    while text.len() < 1024 * 1024 {
        n += 1;
        text.push_str(&format!(
            "  Role{n}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: p{n}\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: [s3:GetObject]\n                Resource: !Sub arn:aws:s3:::bucket-{n}/*\n"
        ));
    }
    text.into_bytes()
}

fn per_file(c: &mut Criterion) {
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        (
            "policy-json",
            "trust-policy.json",
            fixture("fixtures/oidc-json/fire-any-repo.json"),
        ),
        (
            "cloudformation-yaml",
            "template.yaml",
            fixture("fixtures/oidc-cloudformation/silent-github-deploy.yaml"),
        ),
        (
            "terraform",
            "main.tf",
            fixture("fixtures/oidc-terraform/silent-data-document.tf"),
        ),
        (
            "buildspec",
            "buildspec.yml",
            fixture("example-repo/ci/buildspec.yml"),
        ),
        (
            "workflow",
            ".github/workflows/deploy.yml",
            fixture("example-repo/.github/workflows/deploy.yml"),
        ),
        (
            "source-text",
            "src/app.py",
            fixture("example-repo/src/app.py"),
        ),
        ("cloudformation-1mb", "big.template.yaml", large_template()),
    ];
    let options = ScanOptions {
        ignore_comments: true,
        ..ScanOptions::default()
    };
    let mut group = c.benchmark_group("parse_and_rules");
    for (name, path, bytes) in &cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |b| {
            b.iter(|| black_box(scan_in_memory(&[(path, bytes.as_slice())], &options)))
        });
    }
    group.finish();
}

criterion_group!(benches, per_file);
criterion_main!(benches);
