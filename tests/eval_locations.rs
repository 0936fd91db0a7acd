//! Findings made from evaluated values point into the file where the
//! decisive literal is written; suppressions there apply, fingerprints
//! survive moved lines, and the chain comes along as related locations.

use shiplint::engine::{ScanOptions, scan_in_memory};
use shiplint::report::Report;

const MAIN: &str = r#"variable "repository" {
  type    = string
  default = "acme/api"
}

data "aws_iam_policy_document" "deploy" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = ["repo:${var.repository}:ref:refs/heads/main"]
    }
  }
}
"#;

fn scan(tfvars: &str) -> Report {
    let inputs: [(&str, &[u8]); 2] = [
        ("infra/main.tf", MAIN.as_bytes()),
        ("infra/terraform.tfvars", tfvars.as_bytes()),
    ];
    scan_in_memory(
        &inputs,
        &ScanOptions {
            select: vec!["oidc".into(), "unused-suppression".into()],
            ignore_comments: true,
            ..ScanOptions::default()
        },
    )
    .expect("scan")
}

#[test]
fn a_tfvars_value_is_reported_where_it_is_written() {
    let report = scan("repository = \"acme/*\"\n");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule, "oidc-subject-any-repo");
    assert_eq!(f.place.path, "infra/terraform.tfvars");
    assert_eq!((f.place.start.line, f.place.start.column), (1, 14));
    assert!(
        f.message.contains("\"repo:acme/*:ref:refs/heads/main\""),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("repository in terraform.tfvars"),
        "{}",
        f.message
    );
    let used = f
        .related
        .iter()
        .find(|r| r.label == "variable repository used here")
        .expect("the use is a related location");
    assert_eq!(used.place.path, "infra/main.tf");
    assert_eq!((used.place.start.line, used.place.start.column), (21, 27));
}

#[test]
fn the_default_is_silent_when_pinned() {
    let report = scan("# nothing set\n");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
}

#[test]
fn suppressed_in_the_tfvars_file_and_fingerprints_survive_moves() {
    let suppressed = scan(
        "# shiplint: ignore[oidc-subject-any-repo] every repository of acme is ours\nrepository = \"acme/*\"\n",
    );
    assert!(suppressed.findings.is_empty(), "{:#?}", suppressed.findings);
    assert_eq!(suppressed.summary.suppressed, 1);
    let a = scan("repository = \"acme/*\"\n");
    let b = scan("\n\n# moved down\nrepository = \"acme/*\"\n");
    assert_eq!(a.findings[0].fingerprint, b.findings[0].fingerprint);
    assert_ne!(
        a.findings[0].place.start.line,
        b.findings[0].place.start.line
    );
}

#[test]
fn a_template_at_the_root_of_the_scan_gets_its_vars() {
    let main = r#"resource "aws_iam_role" "deploy" {
  name               = "deploy"
  assume_role_policy = templatefile("${path.module}/templates/trust.json.tpl", { repo = "acme/*" })
}
"#;
    let template = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Federated": "arn:aws:iam::${account_id}:oidc-provider/token.actions.githubusercontent.com"},
  "Action": "sts:AssumeRoleWithWebIdentity",
  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {"token.actions.githubusercontent.com:sub": "repo:${repo}:ref:refs/heads/main"}}}]}"#;
    let inputs: [(&str, &[u8]); 2] = [
        ("./main.tf", main.as_bytes()),
        ("./templates/trust.json.tpl", template.as_bytes()),
    ];
    let report = scan_in_memory(
        &inputs,
        &ScanOptions {
            select: vec!["oidc".into()],
            ..ScanOptions::default()
        },
    )
    .expect("scan");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule, "oidc-subject-any-repo");
    assert_eq!(f.place.path, "./main.tf");
    assert_eq!((f.place.start.line, f.place.start.column), (3, 89));
    assert!(f.message.contains("aws_iam_role.deploy"), "{}", f.message);
}
