//! Identity policy risks: administrator access, iam:PassRole on every role,
//! sts:AssumeRole on every role, and whole-service grants. Every carrier of
//! an identity policy is read (`model::iam`): role, user and group inline
//! policies, standalone and managed policies, SSO permission sets, and
//! attached managed policies.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::iam;
use crate::model::policy::{Policy, PolicyRole, Statement, wildcard_match_ignore_case};
use crate::model::value::Val;
use crate::source::SourceFile;

/// Identity policies of the file with their Allow statements.
fn identity_statements(file: &SourceFile) -> impl Iterator<Item = (&Policy, &Statement)> {
    iam::of(file)
        .policies
        .iter()
        .filter(|p| p.role == PolicyRole::Identity)
        .flat_map(|p| p.statements.iter().map(move |s| (p, s)))
        .filter(|(_, s)| s.is_allow())
}

/// "role DeployRole" / "aws_iam_role.deploy" / "this policy", for messages.
fn owner(policy: &Policy) -> String {
    policy
        .owner
        .as_ref()
        .map_or_else(|| "this policy".to_owned(), |o| o.description.clone())
}

fn all_resources(statement: &Statement) -> bool {
    statement.not_resources.is_none() && statement.resources.iter().any(|r| r.text == "*")
}

/// A Deny of the same policy, unconditional, whose actions cover the whole of
/// `action` (a pattern as written in the Allow) and whose resources cover
/// every resource of the Allow `statement`.
fn denied(policy: &Policy, statement: &Statement, action: &str) -> bool {
    let covers_resources = |d: &Statement| {
        all_resources(d)
            || (d.not_resources.is_none()
                && statement.not_resources.is_none()
                && !statement.resources.is_empty()
                && statement.resources.iter().all(|r| {
                    d.resources
                        .iter()
                        .any(|p| wildcard_match_ignore_case(&p.text, &r.text))
                }))
    };
    policy.statements.iter().any(|d| {
        !d.is_allow()
            && d.conditions.is_empty()
            && covers_resources(d)
            && match &d.not_actions {
                None => d
                    .actions
                    .iter()
                    .any(|a| wildcard_match_ignore_case(&a.text, action)),
                Some(_) => false,
            }
    })
}

/// How an Allow action value grants administrator access, when it does.
fn admin_action(policy: &Policy, statement: &Statement, action: &Val) -> Option<&'static str> {
    if !all_resources(statement) || denied(policy, statement, &action.text) {
        return None;
    }
    let text = action.text.as_str();
    if text == "*" || text == "*:*" {
        Some("every action on every resource")
    } else if text.eq_ignore_ascii_case("iam:*") {
        Some("every IAM action on every resource, enough to grant itself every other permission")
    } else {
        None
    }
}

/// Admin managed policies and what they give.
const ADMIN_POLICIES: &[(&str, &str)] = &[
    ("AdministratorAccess", "full control of the account"),
    (
        "IAMFullAccess",
        "full control of IAM, enough to grant itself anything",
    ),
];

/// Actions of the statement that grant `iam:PassRole` on every role without
/// an `iam:PassedToService` condition.
fn passrole_grants<'s>(policy: &Policy, statement: &'s Statement) -> Vec<&'s Val> {
    let roles_open = statement.not_resources.is_none()
        && statement
            .resources
            .iter()
            .any(|r| r.text == "*" || r.text.ends_with(":role/*"));
    let scoped = statement
        .conditions_on("iam:PassedToService")
        .any(|c| !c.operator.tolerates_absence());
    if !roles_open || scoped {
        return Vec::new();
    }
    statement
        .actions
        .iter()
        .filter(|a| {
            a.text != "*"
                && wildcard_match_ignore_case(&a.text, "iam:passrole")
                && admin_action(policy, statement, a).is_none()
                && !denied(policy, statement, &a.text)
        })
        .collect()
}

/// `arn:aws:iam::ACCOUNT:role/*` (any account, every role) or `*`.
fn every_role(resource: &str) -> bool {
    resource == "*"
        || resource
            .strip_prefix("arn:")
            .and_then(|r| r.split_once(":iam::"))
            .and_then(|(_, r)| r.split_once(':'))
            .is_some_and(|(_, res)| res == "*" || res == "role/*" || res == "role*")
}

/// Actions of the statement that allow `sts:AssumeRole` on every role.
fn assume_any_role<'s>(policy: &Policy, statement: &'s Statement) -> Vec<&'s Val> {
    let open = statement.not_resources.is_none()
        && statement.resources.iter().any(|r| every_role(&r.text));
    // Scoped to roles of one tag, account or organisation.
    let scoped = statement.conditions.iter().any(|c| {
        let key = c.key_lower();
        !c.operator.tolerates_absence()
            && (key.starts_with("aws:resource") || key.starts_with("iam:resourcetag"))
    });
    if !open || scoped {
        return Vec::new();
    }
    statement
        .actions
        .iter()
        .filter(|a| {
            wildcard_match_ignore_case(&a.text, "sts:assumerole")
                && admin_action(policy, statement, a).is_none()
                && !denied(policy, statement, &a.text)
        })
        .collect()
}

pub struct AdminAccess;
pub const ADMIN_ACCESS: &str = "iam-admin-access";

impl Rule for AdminAccess {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in identity_statements(file) {
            for action in &statement.actions {
                if let Some(what) = admin_action(policy, statement, action) {
                    out.push(crate::model::value::explain(
                        Finding::new(
                            ADMIN_ACCESS,
                            action.at(file),
                            format!(
                                "{} gets administrator access: \"{}\" allows {what}",
                                owner(policy),
                                action.text
                            ),
                        )
                        .help("list the actions and resources the workload needs"),
                        action,
                        file,
                    ));
                }
            }
            if let Some(not) = &statement.not_actions
                && all_resources(statement)
                && !denied(policy, statement, "*")
                && let Some(first) = not.first()
            {
                out.push(
                    Finding::new(
                        ADMIN_ACCESS,
                        first.at(file),
                        format!(
                            "{} gets administrator access: Allow with NotAction \"{}\" on every resource allows every other action of every service",
                            owner(policy),
                            first.text
                        ),
                    )
                    .help("allow the actions that are needed instead of excluding some"),
                );
            }
        }
        for attachment in &iam::of(file).attachments {
            let arn = &attachment.policy_arn.text;
            if let Some((name, what)) = ADMIN_POLICIES
                .iter()
                .find(|(n, _)| arn.ends_with(&format!(":policy/{n}")))
            {
                out.push(crate::model::value::explain(
                    Finding::new(
                        ADMIN_ACCESS,
                        attachment.policy_arn.at(file),
                        format!(
                            "{} gets the managed policy {name}: {what}",
                            attachment.owner
                        ),
                    )
                    .help(
                        "attach a policy that lists the actions and resources the workload needs",
                    ),
                    &attachment.policy_arn,
                    file,
                ));
            }
        }
    }
}

pub struct PassRoleWildcard;
pub const PASSROLE_WILDCARD: &str = "iam-passrole-wildcard";

impl Rule for PassRoleWildcard {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in identity_statements(file) {
            for action in passrole_grants(policy, statement) {
                out.push(crate::model::value::explain(
                    Finding::new(
                        PASSROLE_WILDCARD,
                        action.at(file),
                        format!("\"{}\" on every role with no iam:PassedToService condition lets {} hand any role, admin ones included, to a service it controls", action.text, owner(policy)),
                    )
                    .help("list the role ARNs it may pass and add \"StringEquals\": {\"iam:PassedToService\": \"ecs-tasks.amazonaws.com\"}"),
                    action,
                    file,
                ));
            }
        }
    }
}

pub struct AssumeAnyRole;
pub const ASSUME_ANY_ROLE: &str = "iam-assume-any-role";

impl Rule for AssumeAnyRole {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in identity_statements(file) {
            for action in assume_any_role(policy, statement) {
                out.push(crate::model::value::explain(
                    Finding::new(
                        ASSUME_ANY_ROLE,
                        action.at(file),
                        format!(
                            "\"{}\" on every role lets {} become any role that trusts its account",
                            action.text,
                            owner(policy)
                        ),
                    )
                    .help("list the ARNs of the roles it must assume under Resource"),
                    action,
                    file,
                ));
            }
        }
    }
}

pub struct WildcardAction;
pub const WILDCARD_ACTION: &str = "iam-wildcard-action";

impl Rule for WildcardAction {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for (policy, statement) in identity_statements(file) {
            // One finding per value: the sharper rules own theirs.
            let owned: Vec<&Val> = passrole_grants(policy, statement)
                .into_iter()
                .chain(assume_any_role(policy, statement))
                .collect();
            for action in &statement.actions {
                let text = action.text.as_str();
                let whole_service = text == "*"
                    || text == "*:*"
                    || text
                        .strip_suffix(":*")
                        .is_some_and(|s| !s.is_empty() && !s.contains(['*', '?']));
                if !whole_service
                    || admin_action(policy, statement, action).is_some()
                    || denied(policy, statement, text)
                    || owned.iter().any(|o| std::ptr::eq(*o, action))
                {
                    continue;
                }
                let message = if text == "*" || text == "*:*" {
                    format!(
                        "\"{text}\" grants {} every action of every service on these resources",
                        owner(policy)
                    )
                } else {
                    format!(
                        "\"{text}\" grants {} every action of the service, including ones added later",
                        owner(policy)
                    )
                };
                out.push(crate::model::value::explain(
                    Finding::new(WILDCARD_ACTION, action.at(file), message)
                        .help("list the actions the workload needs"),
                    action,
                    file,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_role_patterns() {
        assert!(super::every_role("*"));
        assert!(super::every_role("arn:aws:iam::*:role/*"));
        assert!(super::every_role("arn:aws:iam::111111111111:role/*"));
        assert!(!super::every_role("arn:aws:iam::111111111111:role/deploy"));
        assert!(!super::every_role("arn:aws:s3:::bucket/*"));
    }
}
