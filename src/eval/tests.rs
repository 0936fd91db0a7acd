use crate::discover::load_str;
use crate::model::value::{Val, alternatives, values};
use crate::source::SourceFile;

fn files(sources: &[(&str, &str)]) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = sources
        .iter()
        .enumerate()
        .map(|(i, (p, t))| {
            let mut f = load_str(p, t);
            f.id = i;
            f
        })
        .collect();
    let notices = super::prepare(&mut files);
    assert!(notices.is_empty(), "{notices:?}");
    files
}

/// The values of `locals { probe = EXPR }` in `m/probe.tf`, beside `others`.
fn tf(expr: &str, others: &[(&str, &str)]) -> Vec<String> {
    let probe = format!("locals {{\n  probe = {expr}\n}}\n");
    let mut sources = vec![("m/probe.tf", probe.as_str())];
    sources.extend_from_slice(others);
    let files = files(&sources);
    let file = &files[0];
    let node = file.roots()[0].entries().expect("locals")[0]
        .value
        .get("probe")
        .expect("probe")
        .clone();
    super::within(file, || values(&node))
        .into_iter()
        .map(|v| v.text)
        .collect()
}

#[test]
fn terraform_functions() {
    let url = [(
        "m/provider.tf",
        "resource \"aws_iam_openid_connect_provider\" \"gh\" {\n  url = \"https://token.actions.githubusercontent.com\"\n}\n",
    )];
    assert_eq!(
        tf("\"${aws_iam_openid_connect_provider.gh.url}:sub\"", &url),
        ["token.actions.githubusercontent.com:sub"]
    );
    assert_eq!(
        tf(
            "\"${replace(aws_iam_openid_connect_provider.gh.url, \"https://\", \"\")}:sub\"",
            &url
        ),
        ["token.actions.githubusercontent.com:sub"]
    );
    assert_eq!(
        tf(
            "replace(\"https://a.b/c\", \"/^https?://([^/]+).*$/\", \"$1\")",
            &[]
        ),
        ["a.b"]
    );
    assert_eq!(
        tf("format(\"%s:sub\", \"gitlab.com\")", &[]),
        ["gitlab.com:sub"]
    );
    assert_eq!(tf("format(\"%s-%d%%\", \"a\", 5)", &[]), ["a-5%"]);
    assert_eq!(
        tf("trimprefix(\"repo:acme/api\", \"repo:\")", &[]),
        ["acme/api"]
    );
    assert_eq!(tf("trimsuffix(\"a.com/\", \"/\")", &[]), ["a.com"]);
    assert_eq!(tf("lower(\"ACME\")", &[]), ["acme"]);
    assert_eq!(tf("join(\"/\", [\"acme\", \"api\"])", &[]), ["acme/api"]);
    assert_eq!(tf("concat([\"a\"], [\"b\", \"c\"])", &[]), ["a", "b", "c"]);
    assert_eq!(
        tf("formatlist(\"repo:acme/%s:*\", [\"a\", \"b\"])", &[]),
        ["repo:acme/a:*", "repo:acme/b:*"]
    );
    assert_eq!(tf("split(\"/\", \"acme/api\")", &[]), ["acme", "api"]);
    assert_eq!(
        tf("try(var.missing, \"repo:a/*\")", &[]),
        ["${var.missing}", "repo:a/*"]
    );
    assert_eq!(
        tf("[for r in [\"a\", \"b\"] : \"repo:acme/${r}:*\"]", &[]),
        ["repo:acme/a:*", "repo:acme/b:*"]
    );
    // Both branches of a conditional are possible.
    assert_eq!(
        tf("var.x ? \"repo:a/b:*\" : \"repo:a/*\"", &[]),
        ["repo:a/b:*", "repo:a/*"]
    );
    // Unknowns stay one opaque value.
    assert_eq!(tf("\"repo:${var.org}/api\"", &[]), ["repo:${var.org}/api"]);
    assert_eq!(
        tf("templatefile(\"x.tpl\", {})", &[]),
        ["${templatefile(...)}"]
    );
}

#[test]
fn terraform_variables_tfvars_and_locals() {
    let vars = [
        (
            "m/variables.tf",
            "variable \"org\" {\n  default = \"acme\"\n}\nvariable \"repo\" {\n  default = \"api\"\n}\nlocals {\n  host = \"gitlab.com\"\n}\n",
        ),
        ("m/terraform.tfvars", "repo = \"web\"\n"),
        ("m/prod.tfvars", "org = \"acme-prod\"\n"),
        ("m/x.auto.tfvars.json", "{\"branch\": \"main\"}"),
        (
            "other/variables.tf",
            "variable \"org\" {\n  default = \"elsewhere\"\n}\n",
        ),
    ];
    // terraform.tfvars replaces the default; prod.tfvars is possible beside it.
    assert_eq!(
        tf("\"${var.org}/${var.repo}\"", &vars),
        ["acme/web", "acme-prod/web"]
    );
    assert_eq!(
        tf("format(\"%s:sub\", local.host)", &vars),
        ["gitlab.com:sub"]
    );
}

#[test]
fn terraform_origin_points_into_the_defining_file() {
    let sources = [
        (
            "m/main.tf",
            "locals {\n  probe = \"repo:${var.repo}:*\"\n}\n",
        ),
        ("m/terraform.tfvars", "repo = \"acme/api\"\n"),
    ];
    let files = files(&sources);
    let node = files[0].roots()[0].entries().expect("locals")[0]
        .value
        .get("probe")
        .expect("probe")
        .clone();
    let v: Vec<Val> = super::within(&files[0], || alternatives(&node));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].text, "repo:acme/api:*");
    assert_eq!(v[0].at(&files[0]).file, 1);
    assert_eq!(files[1].slice(v[0].span), "\"acme/api\"");
    assert_eq!(v[0].note(), Some("repo in terraform.tfvars"));
    let chain = v[0].chain(&files[0]);
    assert_eq!(chain.len(), 1);
    assert_eq!(files[0].slice(chain[0].0.span), "var.repo");
}

fn cfn(value: &str) -> Vec<String> {
    let text = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Org:\n    Type: String\n    Default: acme\n    AllowedValues: [acme, other]\n  Repos:\n    Type: CommaDelimitedList\n    Default: 'api,web'\n  Open:\n    Type: String\n  Ssm:\n    Type: 'AWS::SSM::Parameter::Value<String>'\n    Default: /ci/repository\nMappings:\n  M:\n    prod: {{Sub: 'repo:acme/api:environment:prod'}}\n    dev: {{Sub: 'repo:acme/*'}}\nResources: {{}}\nProbe: {value}\n"
    );
    let file = load_str("template.yaml", &text);
    let node = file.roots()[0].get("Probe").expect("probe").clone();
    super::within(&file, || values(&node))
        .into_iter()
        .map(|v| v.text)
        .collect()
}

#[test]
fn cloudformation_intrinsics() {
    assert_eq!(
        cfn("!Sub 'repo:${Org}/api:*'"),
        ["repo:acme/api:*", "repo:other/api:*"]
    );
    assert_eq!(
        cfn("!Sub ['repo:${A}/${B}', {A: x, B: !Ref Org}]"),
        ["repo:x/acme", "repo:x/other"]
    );
    assert_eq!(
        cfn("!Sub 'a-${!Literal}-${AWS::Partition}'"),
        ["a-${Literal}-aws"]
    );
    assert_eq!(cfn("!Ref Open"), ["${Open}"]);
    assert_eq!(cfn("!Sub 'repo:${Ssm}:*'"), ["repo:${Ssm}:*"]);
    assert_eq!(cfn("!Ref AWS::AccountId"), ["${AWS::AccountId}"]);
    assert_eq!(cfn("!Select [1, !Ref Repos]"), ["web"]);
    assert_eq!(cfn("!Select [0, !Split ['/', 'acme/api']]"), ["acme"]);
    assert_eq!(
        cfn("!Join ['', ['repo:', !Select [1, !Split [',', 'a,b']], '/*']]"),
        ["repo:b/*"]
    );
    assert_eq!(cfn("!If [C, x, !Ref Org]"), ["x", "acme", "other"]);
    assert_eq!(cfn("!FindInMap [M, dev, Sub]"), ["repo:acme/*"]);
    assert_eq!(
        cfn("!FindInMap [M, !Ref AWS::Region, Sub]"),
        ["repo:acme/api:environment:prod", "repo:acme/*"]
    );
    assert_eq!(cfn("!Ref Repos"), ["api", "web"]);
    assert_eq!(cfn("!GetAtt Provider.Arn"), ["${Provider.Arn}"]);
}

#[test]
fn circleci_issuer_with_an_unresolved_org_id() {
    use crate::model::oidc::{Issuer, IssuerKind};
    let issuer = Issuer::parse("https://oidc.circleci.com/org/${var.circleci_org_id}");
    assert_eq!(issuer.map(|i| i.kind), Some(IssuerKind::CircleCi));
    assert_eq!(Issuer::parse("https://${var.host}/x"), None);
}

#[test]
fn registry_module_models() {
    let files = files(&[(
        "m/main.tf",
        "module \"ci\" {\n  source   = \"terraform-aws-modules/iam/aws//modules/iam-github-oidc-role\"\n  subjects = [\"repo:acme/api:*\", \"acme/web:ref:refs/heads/main\"]\n}\nmodule \"u\" {\n  source = \"unfunco/oidc-github/aws\"\n  github_organisation = \"acme\"\n  github_repositories = [\"api\", \"other/web\"]\n}\nmodule \"irsa\" {\n  source = \"terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc\"\n  create_role = true\n  provider_url = \"https://token.actions.githubusercontent.com\"\n  oidc_subjects_with_wildcards = [\"repo:acme/*\"]\n}\nmodule \"off\" {\n  source = \"terraform-aws-modules/iam/aws//modules/iam-assumable-role-with-oidc\"\n  provider_url = \"token.actions.githubusercontent.com\"\n  oidc_subjects_with_wildcards = [\"repo:*\"]\n}\n",
    )]);
    let model = crate::model::iam::of(&files[0]);
    assert_eq!(model.policies.len(), 3);
    let subs = |i: usize| -> Vec<String> {
        model.policies[i].statements[0]
            .conditions
            .iter()
            .filter(|c| c.key.text.ends_with(":sub"))
            .flat_map(|c| c.values.iter().map(|v| v.text.clone()))
            .collect()
    };
    assert_eq!(
        subs(0),
        ["repo:acme/api:*", "repo:acme/web:ref:refs/heads/main"]
    );
    assert_eq!(subs(1), ["repo:acme/api:*", "repo:other/web:*"]);
    // create_role defaults to false: the module "off" writes no role.
    assert_eq!(subs(2), ["repo:acme/*"]);
    assert_eq!(
        model.policies[2].statements[0].conditions[0].operator.text,
        "StringLike"
    );
    let aud = &model.policies[0].statements[0].conditions[0];
    assert_eq!(aud.operator.text, "ForAllValues:StringEquals");
    assert_eq!(aud.values[0].text, "sts.amazonaws.com");
    // The subject points at its entry in the call.
    let first = &model.policies[0].statements[0].conditions[1].values[0];
    assert_eq!(files[0].slice(first.span), "\"repo:acme/api:*\"");
}

#[test]
fn a_key_takes_its_known_alternative() {
    // `try(each.value.url, "token...")` as a condition key: the known
    // alternative names the claim.
    let files = files(&[(
        "m/main.tf",
        "data \"aws_iam_policy_document\" \"t\" {\n  statement {\n    actions = [\"sts:AssumeRoleWithWebIdentity\"]\n    principals {\n      type        = \"Federated\"\n      identifiers = [\"arn:aws:iam::${local.account}:oidc-provider/token.actions.githubusercontent.com\"]\n    }\n    condition {\n      test     = \"StringLike\"\n      variable = \"${try(each.value.url, \"token.actions.githubusercontent.com\")}:sub\"\n      values   = [\"repo:acme/*\"]\n    }\n  }\n}\n",
    )]);
    let model = crate::model::iam::of(&files[0]);
    let key = &model.policies[0].statements[0].conditions[0].key;
    assert_eq!(key.text, "token.actions.githubusercontent.com:sub");
}
