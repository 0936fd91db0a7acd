use super::*;
use crate::discover::load_str;
use crate::source::FileKind;
use crate::syntax::Syntax;

fn roles(text: &str, path: &str) -> Vec<(String, Vec<String>)> {
    let file = load_str(path, text);
    crate::model::iam::of(&file)
        .policies
        .iter()
        .map(|p| {
            let owner = p
                .owner
                .as_ref()
                .map(|o| o.description.clone())
                .unwrap_or_default();
            let subs = p
                .statements
                .iter()
                .flat_map(|s| &s.conditions)
                .filter(|c| c.key.text.ends_with(":sub"))
                .flat_map(|c| c.values.iter().map(|v| v.text.clone()))
                .collect();
            (owner, subs)
        })
        .collect()
}

#[test]
fn only_programs_that_import_a_cdk_or_pulumi_package_are_parsed() {
    let cdk = load_str("lib/stack.ts", "import * as cdk from 'aws-cdk-lib';\n");
    assert_eq!(cdk.kind, FileKind::CloudFormation);
    assert_eq!(cdk.syntax, Some(Syntax::TypeScript));
    let py = load_str("app.py", "from aws_cdk import aws_iam as iam\n");
    assert_eq!(py.syntax, Some(Syntax::Python));
    let pulumi = load_str("index.js", "const aws = require(\"@pulumi/aws\");\n");
    assert_eq!(pulumi.syntax, Some(Syntax::TypeScript));
    for (path, text) in [
        ("src/app.ts", "import React from 'react';\n"),
        ("main.py", "import boto3\n"),
        ("node_modules/x/index.js", "require('aws-cdk-lib')\n"),
        ("types.d.ts", "import 'aws-cdk-lib';\n"),
        ("README.md", "aws-cdk-lib\n"),
    ] {
        let file = load_str(path, text);
        assert_eq!(file.kind, FileKind::Text, "{path}");
        assert!(file.doc.is_none(), "{path}");
    }
}

#[test]
fn constants_template_literals_and_computed_keys_resolve() {
    let text = r#"import * as iam from 'aws-cdk-lib/aws-iam';
const HOST = 'token.actions.githubusercontent.com';
const ORG = 'acme';
const cfg = { repo: 'app' };
new iam.Role(this, 'R', {
  assumedBy: new iam.WebIdentityPrincipal('arn', {
    StringLike: { [`${HOST}:sub`]: `repo:${ORG}/${cfg.repo}:` + 'ref:refs/heads/*' },
  }),
});
"#;
    assert_eq!(
        roles(text, "a.ts"),
        [(
            "role R".to_owned(),
            vec!["repo:acme/app:ref:refs/heads/*".to_owned()]
        )]
    );
}

#[test]
fn unknown_values_stay_opaque_holes() {
    let text = r#"import * as iam from 'aws-cdk-lib/aws-iam';
new iam.Role(this, 'R', {
  assumedBy: new iam.WebIdentityPrincipal(arn, {
    StringLike: { 'token.actions.githubusercontent.com:sub': `repo:${props.owner}/${props.repo}:*` },
  }),
});
"#;
    assert_eq!(
        roles(text, "a.ts")[0].1,
        ["repo:${props.owner}/${props.repo}:*"]
    );
}

#[test]
fn a_constant_points_at_its_literal() {
    let text = "import aws_cdk\nSUB = \"repo:acme/*\"\niam.Role(self, \"R\", assumed_by=iam.WebIdentityPrincipal(\"arn\", {\"StringLike\": {\"token.actions.githubusercontent.com:sub\": SUB}}))\n";
    let file = load_str("app.py", text);
    let model = crate::model::iam::of(&file);
    let value = &model.policies[0].statements[0].conditions[0].values[0];
    assert_eq!(file.slice(value.span), "\"repo:acme/*\"");
}

#[test]
fn python_f_strings_and_keyword_arguments() {
    let text = r#"from aws_cdk import aws_iam as iam
OWNER = "acme"
iam.Role(self, "Deploy", assumed_by=iam.WebIdentityPrincipal("arn", conditions={"StringLike": {"token.actions.githubusercontent.com:sub": f"repo:{OWNER}/{name}:*"}}))
"#;
    assert_eq!(
        roles(text, "app.py"),
        [(
            "role Deploy".to_owned(),
            vec!["repo:acme/${name}:*".to_owned()]
        )]
    );
}

#[test]
fn github_actions_role_defaults_its_filter_to_any() {
    let text = "import { GithubActionsRole } from 'aws-cdk-github-oidc';\nnew GithubActionsRole(this, 'R', { provider, owner: 'acme', repo: 'app' });\n";
    assert_eq!(roles(text, "a.ts")[0].1, ["repo:acme/app:*"]);
}

#[test]
fn syntax_errors_are_notices_and_the_rest_is_read() {
    let text = "import * as iam from 'aws-cdk-lib/aws-iam';\nconst x = (;\nnew iam.Role(this, 'R', { assumedBy: new iam.WebIdentityPrincipal('arn', { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' } }) });\n";
    let file = load_str("a.ts", text);
    assert!(file.parse_error.is_none());
    assert!(
        file.notices
            .iter()
            .any(|n| n.contains("syntax error at line 2")),
        "{:?}",
        file.notices
    );
    assert_eq!(roles(text, "a.ts")[0].1, ["repo:*"]);
}

#[test]
fn invalid_utf8_is_a_notice_and_the_rest_is_read() {
    let mut bytes = b"import * as iam from 'aws-cdk-lib/aws-iam';\n// \xff\xfe\n".to_vec();
    bytes.extend_from_slice(
        b"new iam.Role(this, 'R', { assumedBy: new iam.WebIdentityPrincipal('arn', { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' } }) });\n",
    );
    let candidate = crate::discover::Candidate {
        display: "a.ts".into(),
        path: "a.ts".into(),
        size: bytes.len() as u64,
    };
    let file = crate::discover::parse_bytes(&candidate, 0, bytes, &Limits::default());
    assert!(file.parse_error.is_none());
    assert!(
        file.notices
            .iter()
            .any(|n| n.contains("not valid UTF-8 at line 2"))
    );
    let model = crate::model::iam::of(&file);
    assert_eq!(model.policies.len(), 1);
}

#[test]
fn deep_nesting_is_bounded_with_a_notice() {
    let depth = 20_000;
    let mut text = String::from(
        "import * as iam from 'aws-cdk-lib/aws-iam';\nnew iam.Role(this, 'R', { assumedBy: ",
    );
    text.push_str(&"[".repeat(depth));
    text.push_str(&"]".repeat(depth));
    text.push_str(" });\n");
    let parsed = parse(Lang::TypeScript, &text, &Limits::default()).expect("parses");
    assert!(
        parsed.warnings.iter().any(|w| w.contains("nested deeper")),
        "{:?}",
        parsed.warnings
    );
    let mut py = String::from("import aws_cdk\nx = ");
    py.push_str(&"(".repeat(depth));
    py.push_str(&")".repeat(depth));
    py.push_str("\niam.Role(self, 'R', assumed_by=x)\n");
    // Python's grammar may give up on it; it must not crash or hang.
    let _ = parse(Lang::Python, &py, &Limits::default());
}

#[test]
fn line_and_column_count_characters() {
    assert_eq!(line_col("ab\ncé x", 7), (2, 4));
    assert_eq!(line_col("", 10), (1, 1));
}

#[test]
fn holes_are_short_and_single_line() {
    assert_eq!(hole_text("props\n  .owner"), "${props .owner}");
    assert!(hole_text(&"x".repeat(500)).len() < 100);
}

#[test]
fn with_conditions_merges_operators_without_duplicate_keys() {
    let text = r#"import * as iam from 'aws-cdk-lib/aws-iam';
new iam.Role(this, 'R', {
  assumedBy: new iam.WebIdentityPrincipal(arn, {
    StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
  }).withConditions({
    StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' },
  }),
});
"#;
    let file = load_str("a.ts", text);
    let model = crate::model::iam::of(&file);
    let conditions = &model.policies[0].statements[0].conditions;
    assert_eq!(conditions.len(), 2);
    let report = crate::engine::scan_in_memory(
        &[("a.ts", text.as_bytes())],
        &crate::engine::ScanOptions::default(),
    )
    .expect("scan");
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}
