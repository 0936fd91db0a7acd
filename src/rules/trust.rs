//! Trust policy risks other than OIDC: public principals, NotPrincipal, and
//! other accounts without an external id.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::iam;
use crate::model::policy::{PolicyRole, PrincipalKind, Statement};
use crate::source::SourceFile;

/// Condition keys that narrow a `*` principal to known callers.
const NARROWING_KEYS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "sts:externalid",
];

/// A plain condition on one of `keys` that narrows something: not
/// absence-tolerant, and not made of wildcards only (`aws:PrincipalArn "*"`,
/// `arn:aws:iam::*:*` narrow nothing). `aws:MultiFactorAuthPresent` counts
/// only as `Bool ... "true"`: `"false"` requires the absence of MFA.
fn has_plain_condition(statement: &Statement, keys: &[&str]) -> bool {
    statement.conditions.iter().any(|c| {
        let key = c.key_lower();
        if !keys.contains(&key.as_str()) || c.operator.tolerates_absence() || c.values.is_empty() {
            return false;
        }
        if key == "aws:multifactorauthpresent" {
            return c.operator.base == "bool"
                && c.values.iter().all(|v| v.text.eq_ignore_ascii_case("true"));
        }
        let like = c.operator.is_like();
        c.values.iter().all(|v| !(like && only_wildcards(&v.text)))
    })
}

/// `*`, `???`, or an ARN whose account and resource are wildcards.
fn only_wildcards(value: &str) -> bool {
    let open = |part: &str| part.chars().all(|c| c == '*' || c == '?');
    if open(value) {
        return true;
    }
    // Organisation ids and paths: `o-*`, `o-*/*` name every organisation.
    let id_open = |seg: &str| {
        ["o-", "r-", "ou-"]
            .iter()
            .find_map(|p| seg.strip_prefix(p))
            .is_some_and(open)
    };
    if value.starts_with("o-")
        && value
            .split('/')
            .all(|s| s.is_empty() || open(s) || id_open(s))
    {
        return true;
    }
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && open(parts[4])
        && parts[5]
            .split_once('/')
            .map_or(open(parts[5]), |(_, name)| open(name))
}

fn trust_statements(
    file: &SourceFile,
) -> impl Iterator<Item = (&crate::model::policy::Policy, &Statement)> {
    iam::of(file)
        .policies
        .iter()
        .filter(|p| p.role == PolicyRole::Trust)
        .flat_map(|p| p.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| s.is_allow())
}

/// "role DeployRole" / "aws_iam_role.deploy" / "this role", for messages.
fn who(policy: &crate::model::policy::Policy) -> String {
    policy
        .owner
        .as_ref()
        .map_or_else(|| "this role".to_owned(), |o| o.description.clone())
}

pub struct PrincipalPublic;
pub const PRINCIPAL_PUBLIC: &str = "trust-principal-public";

impl Rule for PrincipalPublic {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in trust_statements(file) {
            if has_plain_condition(statement, NARROWING_KEYS) {
                continue;
            }
            for principal in statement.principals.iter().flatten() {
                let text = &principal.value.text;
                let public = principal.kind == PrincipalKind::Everyone
                    || (principal.kind == PrincipalKind::Aws
                        && (text == "*" || text == "arn:aws:iam::*:root"));
                if public {
                    out.push(crate::model::value::explain(
                        Finding::new(
                            PRINCIPAL_PUBLIC,
                            principal.value.at(file),
                            format!("principal \"{text}\" lets any AWS account in the world assume {}", who(policy)),
                        )
                        .help("name the accounts or roles that may assume it, or add an aws:PrincipalOrgID / sts:ExternalId condition"),
                        &principal.value,
                        file,
                    ));
                }
            }
        }
    }
}

pub struct NotPrincipal;
pub const NOT_PRINCIPAL: &str = "trust-not-principal";

impl Rule for NotPrincipal {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in trust_statements(file) {
            // An empty `NotPrincipal: {}` names nobody to except.
            if let Some(span) = statement.not_principal_span
                && statement
                    .not_principals
                    .as_ref()
                    .is_some_and(|p| !p.is_empty())
            {
                out.push(
                    Finding::new(
                        NOT_PRINCIPAL,
                        file.at(span),
                        format!(
                            "Allow with NotPrincipal lets every principal except those listed assume {}: list the principals that may assume it under Principal instead",
                            who(policy)
                        ),
                    )
                    .help("list the principals that may assume the role under Principal instead"),
                );
            }
        }
    }
}

pub struct ExternalAccountNoExternalId;
pub const EXTERNAL_ACCOUNT: &str = "trust-external-account-no-external-id";

/// The account of an AWS principal: a 12-digit id or an IAM ARN's account.
fn account_of(principal: &str) -> Option<&str> {
    let id = principal
        .strip_prefix("arn:aws:iam::")
        .or_else(|| principal.strip_prefix("arn:aws-us-gov:iam::"))
        .or_else(|| principal.strip_prefix("arn:aws-cn:iam::"))
        .map_or(principal, |rest| rest.split(':').next().unwrap_or(""));
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

impl Rule for ExternalAccountNoExternalId {
    fn check_file(&self, cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let own = &cx.config.accounts.own;
        if own.is_empty() {
            return;
        }
        for (policy, statement) in trust_statements(file) {
            if !statement.allows_action("sts:AssumeRole")
                || has_plain_condition(
                    statement,
                    &[
                        "sts:externalid",
                        "aws:multifactorauthpresent",
                        "aws:multifactorauthage",
                        "aws:principalorgid",
                        "aws:principalorgpaths",
                    ],
                )
            {
                continue;
            }
            for principal in statement.principals.iter().flatten() {
                if principal.kind != PrincipalKind::Aws {
                    continue;
                }
                let Some(account) = account_of(&principal.value.text) else {
                    continue;
                };
                if own.iter().any(|o| o == account) {
                    continue;
                }
                out.push(crate::model::value::explain(
                    Finding::new(
                        EXTERNAL_ACCOUNT,
                        principal.value.at(file),
                        format!("account {account} is not one of yours and may assume {} without an sts:ExternalId, MFA or organization condition", who(policy)),
                    )
                    .help("add \"StringEquals\": {\"sts:ExternalId\": \"<agreed id>\"} (or list the account under accounts.own if it is yours)"),
                    &principal.value,
                    file,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcard_only_values() {
        assert!(super::only_wildcards("*"));
        assert!(super::only_wildcards("arn:aws:iam::*:*"));
        assert!(super::only_wildcards("arn:aws:iam::*:role/*"));
        assert!(!super::only_wildcards("arn:aws:iam::210987654321:role/*"));
        assert!(!super::only_wildcards("o-a1b2c3d4e5"));
        assert!(super::only_wildcards("o-*"));
        assert!(super::only_wildcards("o-*/*"));
        assert!(!super::only_wildcards("o-a1b2c3d4e5/*"));
        assert!(!super::only_wildcards("o-*/r-ab12/*"));
    }

    #[test]
    fn accounts_of_principals() {
        assert_eq!(super::account_of("210987654321"), Some("210987654321"));
        assert_eq!(
            super::account_of("arn:aws:iam::210987654321:root"),
            Some("210987654321")
        );
        assert_eq!(
            super::account_of("arn:aws:iam::210987654321:role/x"),
            Some("210987654321")
        );
        assert_eq!(
            super::account_of("arn:aws:iam::${AWS::AccountId}:root"),
            None
        );
    }
}
