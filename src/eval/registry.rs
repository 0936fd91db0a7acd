//! Built-in models of registry modules that write OIDC trust policies, for
//! module calls whose code is not on disk. Each model turns the call's
//! arguments (evaluated in the calling module) into the trust policy the
//! module would write, pointing at the arguments: a finding on a subject
//! lands on the `subjects` entry of the call.
//!
//! - terraform-aws-modules/iam `iam-github-oidc-role`: StringLike
//!   `<provider_url>:sub` over `repo:<s>` for each of `subjects` (a leading
//!   `repo:` stripped first), `ForAllValues:StringEquals` `<provider_url>:aud`
//!   over `audience` (default `sts.amazonaws.com`).
//! - unfunco/oidc-github: StringLike `token.actions.githubusercontent.com:sub`
//!   over `repo:<github_organisation>/<repo>:*` for each of
//!   `github_repositories` (an entry already holding `owner/` is taken as
//!   is), StringEquals `aud` = `sts.amazonaws.com`.
//! - terraform-aws-modules/iam `iam-assumable-role-with-oidc` (only with
//!   `create_role = true`, its default being false): for each of
//!   `provider_url` / `provider_urls` (scheme stripped), StringEquals `sub`
//!   over `oidc_fully_qualified_subjects`, StringLike `sub` over
//!   `oidc_subjects_with_wildcards`, StringEquals `aud` over
//!   `oidc_fully_qualified_audiences`.
//!
//! To add a module: a [`Known`] entry and a function building its statement.

use crate::model::policy::{
    Condition, Effect, Operator, Owner, Policy, PolicyRole, Principal, PrincipalKind, Statement,
};
use crate::model::value::{Val, values};
use crate::syntax::{Node, Span};

const GITHUB: &str = "token.actions.githubusercontent.com";

/// A registry module with a built-in model.
struct Known {
    /// Matched against the call's `source` (registry address or git URL).
    source_markers: &'static [&'static str],
    build: fn(&Call<'_>) -> Vec<Statement>,
}

const KNOWN: &[Known] = &[
    Known {
        source_markers: &["modules/iam-github-oidc-role"],
        build: github_oidc_role,
    },
    Known {
        source_markers: &["unfunco/oidc-github", "unfunco/terraform-aws-oidc-github"],
        build: unfunco_oidc_github,
    },
    Known {
        source_markers: &["modules/iam-assumable-role-with-oidc"],
        build: assumable_role_with_oidc,
    },
];

/// A `module "NAME" { ... }` block.
struct Call<'a> {
    block: &'a Node,
    name_span: Span,
}

impl Call<'_> {
    fn arg(&self, name: &str) -> Option<&Node> {
        self.block.get(name)
    }

    fn key_span(&self, name: &str) -> Span {
        self.block
            .entry(name)
            .map_or(self.name_span, |e| e.key.span)
    }

    /// The evaluated values of an argument (a list or a scalar).
    fn values(&self, name: &str) -> Option<Vec<Val>> {
        self.arg(name).map(values)
    }

    fn single(&self, name: &str) -> Option<Val> {
        self.values(name)?.into_iter().next()
    }
}

/// The trust policy a known registry module would write for this call.
pub fn trust_policy(block: &Node, name: &str, name_span: Span) -> Option<Policy> {
    let source = block.get("source").and_then(Node::as_str)?;
    let known = KNOWN
        .iter()
        .find(|k| k.source_markers.iter().any(|m| source.contains(m)))?;
    if crate::eval::tf_scope().is_some_and(|s| s.call_on_disk(name)) {
        return None;
    }
    let call = Call { block, name_span };
    if let Some(create) = call.single("create")
        && create.text == "false"
    {
        return None;
    }
    let statements = (known.build)(&call);
    if statements.is_empty() {
        return None;
    }
    Some(Policy {
        role: PolicyRole::Trust,
        span: block.span,
        owner: Some(Owner {
            description: format!("module.{name}"),
            span: name_span,
        }),
        statements,
    })
}

fn statement(call: &Call<'_>, issuer: &str, conditions: Vec<Condition>) -> Statement {
    let principal = Principal {
        kind: PrincipalKind::Federated,
        value: Val::new(
            format!(
                "arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:oidc-provider/{issuer}"
            ),
            call.name_span,
        ),
    };
    Statement {
        span: call.block.span,
        sid: None,
        effect: Effect::Allow,
        effect_span: call.name_span,
        principals: Some(vec![principal]),
        principal_span: Some(call.name_span),
        not_principals: None,
        not_principal_span: None,
        actions: vec![Val::new("sts:AssumeRoleWithWebIdentity", call.name_span)],
        not_actions: None,
        resources: Vec::new(),
        not_resources: None,
        conditions,
    }
}

fn condition(operator: &str, span: Span, key: String, values: Vec<Val>) -> Condition {
    Condition {
        operator: Operator::parse(operator, span),
        key: Val::new(key, span),
        values,
    }
}

fn github_oidc_role(call: &Call<'_>) -> Vec<Statement> {
    let issuer = call
        .single("provider_url")
        .map(|v| {
            v.text
                .trim_start_matches("https://")
                .trim_end_matches('/')
                .to_owned()
        })
        .unwrap_or_else(|| GITHUB.to_owned());
    let mut conditions = Vec::new();
    let audience = call
        .values("audience")
        .unwrap_or_else(|| vec![Val::new("sts.amazonaws.com", call.name_span)]);
    conditions.push(condition(
        "ForAllValues:StringEquals",
        call.key_span("audience"),
        format!("{issuer}:aud"),
        audience,
    ));
    if let Some(subjects) = call.values("subjects").filter(|s| !s.is_empty()) {
        let subjects = subjects
            .into_iter()
            .map(|mut v| {
                let rest = v.text.strip_prefix("repo:").unwrap_or(&v.text);
                v.text = format!("repo:{rest}");
                v
            })
            .collect();
        conditions.push(condition(
            "StringLike",
            call.key_span("subjects"),
            format!("{issuer}:sub"),
            subjects,
        ));
    }
    vec![statement(call, &issuer, conditions)]
}

fn unfunco_oidc_github(call: &Call<'_>) -> Vec<Statement> {
    let organisation = call.single("github_organisation");
    let repositories = call.values("github_repositories").unwrap_or_default();
    let subjects: Vec<Val> = repositories
        .into_iter()
        .map(|mut v| {
            v.text = match &organisation {
                Some(org) if !v.text.contains('/') => format!("repo:{}/{}:*", org.text, v.text),
                _ => format!("repo:{}:*", v.text),
            };
            v
        })
        .collect();
    let mut conditions = vec![condition(
        "StringEquals",
        call.name_span,
        format!("{GITHUB}:aud"),
        vec![Val::new("sts.amazonaws.com", call.name_span)],
    )];
    if !subjects.is_empty() {
        conditions.push(condition(
            "StringLike",
            call.key_span("github_repositories"),
            format!("{GITHUB}:sub"),
            subjects,
        ));
    }
    vec![statement(call, GITHUB, conditions)]
}

fn assumable_role_with_oidc(call: &Call<'_>) -> Vec<Statement> {
    if call.single("create_role").is_none_or(|v| v.text != "true") {
        return Vec::new();
    }
    let mut urls: Vec<String> = Vec::new();
    for url in call
        .values("provider_urls")
        .unwrap_or_default()
        .into_iter()
        .chain(call.single("provider_url"))
    {
        let url = url.text.trim_start_matches("https://").to_owned();
        if !url.is_empty() && !urls.contains(&url) {
            urls.push(url);
        }
    }
    let list = |name: &str| call.values(name).unwrap_or_default();
    urls.iter()
        .map(|url| {
            let mut conditions = Vec::new();
            for (arg, operator, claim) in [
                ("oidc_fully_qualified_subjects", "StringEquals", "sub"),
                ("oidc_subjects_with_wildcards", "StringLike", "sub"),
                ("oidc_fully_qualified_audiences", "StringEquals", "aud"),
            ] {
                let values = list(arg);
                if !values.is_empty() {
                    conditions.push(condition(
                        operator,
                        call.key_span(arg),
                        format!("{url}:{claim}"),
                        values,
                    ));
                }
            }
            statement(call, url, conditions)
        })
        .collect()
}
