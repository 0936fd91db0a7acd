//! The evaluation layer ends quickly on hostile Terraform and templates, says
//! so in a notice, and the rest of the repository is still scanned.

use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::report::Report;
use std::time::{Duration, Instant};

/// A trust policy with a sub wildcard in a file of its own: it must be
/// reported whatever else the scan meets.
const OTHER: (&str, &str) = (
    "other/trust.json",
    r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Federated": "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}}}]}"#,
);

fn role(sub: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "r" {{
  name = "r"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = {{ Federated = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com" }}
      Condition = {{
        StringEquals = {{ "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com" }}
        StringLike   = {{ "token.actions.githubusercontent.com:sub" = {sub} }}
      }}
    }}]
  }})
}}
"#
    )
}

fn run(files: &[(&str, String)]) -> (Report, Duration) {
    let mut inputs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
    inputs.push((OTHER.0, OTHER.1.as_bytes()));
    let started = Instant::now();
    let options = ScanOptions {
        select: vec!["oidc".into()],
        ..ScanOptions::default()
    };
    let report = scan_in_memory(&inputs, &options).expect("scan");
    (report, started.elapsed())
}

fn assert_rest_scanned(report: &Report) {
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.place.path == OTHER.0 && f.rule == "oidc-subject-any-owner"),
        "{:#?}",
        report.findings
    );
}

fn notice(report: &Report, needle: &str) -> bool {
    report.notices.iter().any(|n| n.reason.contains(needle))
}

#[test]
fn locals_in_a_cycle() {
    let main = format!(
        "locals {{\n  a = local.b\n  b = local.a\n}}\n{}",
        role("local.a")
    );
    let (report, took) = run(&[("infra/main.tf", main)]);
    assert!(took < Duration::from_secs(10));
    assert!(
        notice(&report, "cycle (local.a -> local.b -> local.a)"),
        "{:?}",
        report.notices
    );
    // The unresolved local is one unknown value, not a wildcard.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.place.path == "infra/main.tf"),
        "{:#?}",
        report.findings
    );
    assert_rest_scanned(&report);
}

#[test]
fn ten_thousand_chained_locals() {
    let mut main = String::from("locals {\n  l0 = \"repo:*\"\n");
    for i in 1..10_000 {
        main.push_str(&format!("  l{i} = local.l{}\n", i - 1));
    }
    main.push_str("}\n");
    main.push_str(&role("local.l9999"));
    // A short chain in the same module still resolves.
    main.push_str(&role("local.l3").replace("\"r\"", "\"short\""));
    let (report, took) = run(&[("infra/main.tf", main)]);
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(
        notice(&report, "locals chained 9999 deep"),
        "{:?}",
        report.notices
    );
    let in_main: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.place.path == "infra/main.tf")
        .collect();
    // Only the short chain reaches the wildcard, at the literal of l0.
    assert_eq!(in_main.len(), 1, "{in_main:#?}");
    assert_eq!(in_main[0].rule, "oidc-subject-any-owner");
    assert_eq!(
        (in_main[0].place.start.line, in_main[0].place.start.column),
        (2, 8)
    );
    assert_rest_scanned(&report);
}

#[test]
fn locals_that_fan_out() {
    let mut main = String::from("locals {\n  l0 = \"repo:*\"\n");
    for i in 1..40 {
        let p = i - 1;
        main.push_str(&format!(
            "  l{i} = [local.l{p}, local.l{p}, local.l{p}, local.l{p}]\n"
        ));
    }
    main.push_str("}\n");
    main.push_str(&role("local.l39"));
    let (report, took) = run(&[("infra/main.tf", main)]);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_rest_scanned(&report);
}

#[test]
fn module_sourcing_itself() {
    let main = format!(
        "variable \"subjects\" {{\n  default = [\"repo:acme/api:ref:refs/heads/main\"]\n}}\nmodule \"again\" {{\n  source   = \"./\"\n  subjects = var.subjects\n}}\n{}",
        role("var.subjects")
    );
    let (report, took) = run(&[("infra/main.tf", main)]);
    assert!(took < Duration::from_secs(10));
    assert!(
        notice(&report, "sources its own directory"),
        "{:?}",
        report.notices
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.place.path == "infra/main.tf"),
        "{:#?}",
        report.findings
    );
    assert_rest_scanned(&report);
}

#[test]
fn template_including_itself() {
    let main = "resource \"aws_iam_role\" \"t\" {\n  name = \"t\"\n  assume_role_policy = templatefile(\"${path.module}/trust.json.tpl\", { repo = \"acme/*\" })\n}\n".to_owned();
    let template = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Federated": "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:${repo}:ref:refs/heads/main"}},
  "Sid": "${templatefile("trust.json.tpl", {repo = repo})}"}]}"#;
    let (report, took) = run(&[
        ("infra/main.tf", main),
        ("infra/trust.json.tpl", template.to_owned()),
    ]);
    assert!(took < Duration::from_secs(10));
    assert!(
        notice(&report, "template includes itself"),
        "{:?}",
        report.notices
    );
    // The vars of the call still reach the template: repo:acme/* is any-repo,
    // reported at the call's `repo` value.
    let any_repo: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "oidc-subject-any-repo")
        .collect();
    assert_eq!(any_repo.len(), 1, "{:#?}", report.findings);
    assert_eq!(any_repo[0].place.path, "infra/main.tf");
    assert_rest_scanned(&report);
}

#[test]
fn a_megabyte_of_tfvars() {
    let mut tfvars = String::new();
    let mut i = 0;
    while tfvars.len() < 1024 * 1024 {
        tfvars.push_str(&format!(
            "v{i} = \"repo:acme/app{i}:ref:refs/heads/main\"\n"
        ));
        i += 1;
    }
    tfvars.push_str("subject = \"repo:*\"\n");
    let main = format!(
        "variable \"subject\" {{\n  default = \"repo:acme/api:ref:refs/heads/main\"\n}}\n{}",
        role("var.subject")
    );
    let (report, took) = run(&[("infra/main.tf", main), ("infra/terraform.tfvars", tfvars)]);
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(
        notice(&report, "its values are not evaluated"),
        "{:?}",
        report.notices
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.place.path.starts_with("infra/")),
        "{:#?}",
        report.findings
    );
    assert_rest_scanned(&report);
}

/// Truncated and mutated modules and templates never crash the evaluation
/// (a fixed-seed stand-in for a fuzz run, cheap enough for every test run).
#[test]
fn mutated_modules_and_templates_do_not_crash() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures");
    let read = |p: &str| std::fs::read(root.join(p)).expect("fixture");
    let seeds = [
        ("m/main.tf", read("eval-terraform/locals-for/main.tf")),
        ("m/vars.tf", read("eval-terraform/tfvars/variables.tf")),
        (
            "m/terraform.tfvars",
            read("eval-terraform/tfvars/terraform.tfvars"),
        ),
        ("m/role.tf", read("eval-terraform/for-each/main.tf")),
        ("m/call.tf", read("eval-terraform/template-loop/main.tf")),
        (
            "m/templates/trust.json.tftpl",
            read("eval-terraform/template-loop/templates/trust.json.tftpl"),
        ),
        (
            "t/template.yaml",
            read("eval-cloudformation/fire-find-in-map.yaml"),
        ),
    ];
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    const PIECES: &[&[u8]] = &[
        b"${",
        b"%{",
        b"}",
        b"local.",
        b"var.",
        b"each.value",
        b"[for x in ",
        b"]",
        b"(",
        b"\"",
        b"!Ref ",
        b"!Sub ",
        b"format(\"%s%",
        b"replace(",
        b"/(/",
        b"\n",
        b"{",
        b"*",
    ];
    for round in 0..150 {
        let files: Vec<(&str, Vec<u8>)> = seeds
            .iter()
            .map(|(name, bytes)| {
                let mut b = bytes.clone();
                for _ in 0..(next() % 6) {
                    let at = next() % (b.len() + 1);
                    match next() % 3 {
                        0 => b.truncate(at),
                        1 => {
                            let piece = PIECES[next() % PIECES.len()];
                            b.splice(at..at, piece.iter().copied());
                        }
                        _ => {
                            let end = (at + next() % 16).min(b.len());
                            b.drain(at..end);
                        }
                    }
                }
                (*name, b)
            })
            .collect();
        let inputs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
        let report = scan_in_memory(&inputs, &ScanOptions::default());
        assert!(report.is_ok(), "round {round}");
    }
}
