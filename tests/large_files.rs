//! Large templates take another path through the engine (parsed one at a
//! time, their tree dropped and their models slimmed once their own rules have
//! run). Whatever the path, a template must get the same findings: the same
//! roles written into a large template are reported exactly as in a small one.

use assert_cmd::Command;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// Roles with something to report: an OIDC trust whose subject admits every
/// repository of the organisation (a workspace rule, which needs the trust
/// policy after the tree is gone), a duplicate key, and an inline policy
/// that passes any role (per-file rules).
const FINDINGS: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  GitHubOidc:
    Type: AWS::IAM::OIDCProvider
    Properties:
      Url: https://token.actions.githubusercontent.com
      ClientIdList: [sts.amazonaws.com]
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal:
              Federated: !GetAtt GitHubOidc.Arn
            Action: sts:AssumeRoleWithWebIdentity
            Condition:
              StringEquals:
                token.actions.githubusercontent.com:aud: sts.amazonaws.com
              StringLike:
                token.actions.githubusercontent.com:sub: repo:acme/*
      Policies:
        - PolicyName: deploy
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: iam:PassRole
                Resource: '*'
      Tags:
        - Key: team
          Key: platform
";

/// Clean roles, enough of them to pass the large-file threshold (1 MiB).
fn padding(bytes: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    while out.len() < bytes {
        n += 1;
        let _ = write!(
            out,
            "  Worker{n}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: read{n}\n          PolicyDocument:\n            Statement:\n              - Effect: Allow\n                Action: [s3:GetObject]\n                Resource: !Sub arn:aws:s3:::bucket-{n}/*\n"
        );
    }
    out
}

/// Findings of a one-file scan.
fn findings(dir: &Path, text: &str) -> Vec<Value> {
    std::fs::write(dir.join("template.yaml"), text).expect("written");
    let out = Command::cargo_bin("shiplint")
        .expect("binary built")
        .current_dir(dir)
        .args(["--no-config", "--format", "json", "template.yaml"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    report["findings"].as_array().expect("findings").clone()
}

#[test]
fn a_large_template_is_reported_as_a_small_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let small = findings(dir.path(), FINDINGS);
    let rules: Vec<&str> = small.iter().filter_map(|f| f["rule"].as_str()).collect();
    for rule in [
        "oidc-subject-any-repo",
        "iam-passrole-wildcard",
        "duplicate-key",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    let large_text = format!("{FINDINGS}{}", padding(2 * 1024 * 1024));
    assert!(large_text.len() > 2 * 1024 * 1024);
    let large = findings(dir.path(), &large_text);
    assert_eq!(small, large);
}
