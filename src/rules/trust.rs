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

fn has_plain_condition(statement: &Statement, keys: &[&str]) -> bool {
    statement.conditions.iter().any(|c| {
        keys.contains(&c.key_lower().as_str())
            && !c.operator.tolerates_absence()
            && !c.values.is_empty()
    })
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

pub struct PrincipalPublic;
pub const PRINCIPAL_PUBLIC: &str = "trust-principal-public";

impl Rule for PrincipalPublic {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (_, statement) in trust_statements(file) {
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
                            format!("principal \"{text}\" lets any AWS account in the world assume this role"),
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
        for (_, statement) in trust_statements(file) {
            if let Some(span) = statement.not_principal_span {
                out.push(
                    Finding::new(
                        NOT_PRINCIPAL,
                        file.at(span),
                        "Allow with NotPrincipal trusts every principal except those listed"
                            .to_owned(),
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
        for (_, statement) in trust_statements(file) {
            if !statement.allows_action("sts:AssumeRole")
                || has_plain_condition(
                    statement,
                    &[
                        "sts:externalid",
                        "aws:multifactorauthpresent",
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
                        format!("account {account} is not one of yours and may assume this role without an sts:ExternalId, MFA or organization condition"),
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
