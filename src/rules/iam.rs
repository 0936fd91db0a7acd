//! Identity policy risks: iam:PassRole on every role, whole-service and
//! administrator grants.

use super::{Context, Rule};
use crate::finding::{Finding, Severity};
use crate::model::iam;
use crate::model::policy::{PolicyRole, Statement, wildcard_match_ignore_case};
use crate::model::value::Val;
use crate::source::SourceFile;

fn identity_statements(file: &SourceFile) -> impl Iterator<Item = &Statement> {
    iam::of(file)
        .policies
        .iter()
        .filter(|p| p.role == PolicyRole::Identity)
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.is_allow())
}

fn all_resources(statement: &Statement) -> bool {
    statement.not_resources.is_none() && statement.resources.iter().any(|r| r.text == "*")
}

/// Actions of the statement that grant `iam:PassRole` on every role without
/// an `iam:PassedToService` condition.
fn passrole_grants(statement: &Statement) -> Vec<&Val> {
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
        .filter(|a| a.text != "*" && wildcard_match_ignore_case(&a.text, "iam:passrole"))
        .collect()
}

pub struct PassRoleWildcard;
pub const PASSROLE_WILDCARD: &str = "iam-passrole-wildcard";

impl Rule for PassRoleWildcard {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for statement in identity_statements(file) {
            for action in passrole_grants(statement) {
                out.push(crate::model::value::explain(
                    Finding::new(
                        PASSROLE_WILDCARD,
                        action.at(file),
                        format!("\"{}\" on every role with no iam:PassedToService condition lets this principal hand any role, admin ones included, to a service it controls", action.text),
                    )
                    .help("list the role ARNs it may pass and add \"StringEquals\": {\"iam:PassedToService\": \"ecs-tasks.amazonaws.com\"}"),
                    action,
                    file,
                ));
            }
        }
    }
}

pub struct WildcardAction;
pub const WILDCARD_ACTION: &str = "iam-wildcard-action";

const ADMIN_POLICIES: &[&str] = &["AdministratorAccess", "IAMFullAccess"];

impl Rule for WildcardAction {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for statement in identity_statements(file) {
            let passrole = passrole_grants(statement);
            for action in &statement.actions {
                let text = action.text.as_str();
                let whole_service = text == "*"
                    || text
                        .strip_suffix(":*")
                        .is_some_and(|s| !s.contains(['*', '?']));
                // One finding per value: iam:PassRole on every role is the sharper defect.
                if !whole_service || passrole.iter().any(|p| std::ptr::eq(*p, action)) {
                    continue;
                }
                let (message, severity) = if text == "*" && all_resources(statement) {
                    (
                        "\"*\" on every resource grants full administrator access".to_owned(),
                        Some(Severity::High),
                    )
                } else if text == "*" {
                    (
                        "\"*\" grants every action of every service".to_owned(),
                        None,
                    )
                } else {
                    (
                        format!(
                            "\"{text}\" grants every action of the service, including ones added later"
                        ),
                        None,
                    )
                };
                let mut finding = crate::model::value::explain(
                    Finding::new(WILDCARD_ACTION, action.at(file), message)
                        .help("list the actions the pipeline needs"),
                    action,
                    file,
                );
                if let Some(severity) = severity {
                    finding = finding.severity(severity);
                }
                out.push(finding);
            }
            if let Some(not) = &statement.not_actions
                && all_resources(statement)
                && let Some(first) = not.first()
            {
                out.push(
                    Finding::new(
                        WILDCARD_ACTION,
                        first.at(file),
                        format!("Allow with NotAction \"{}\" on every resource grants every other action of every service", first.text),
                    )
                    .help("allow the actions that are needed instead of excluding some"),
                );
            }
        }
        for attachment in &iam::of(file).attachments {
            let arn = &attachment.policy_arn.text;
            if let Some(name) = ADMIN_POLICIES
                .iter()
                .find(|n| arn.ends_with(&format!(":policy/{n}")))
            {
                out.push(
                    Finding::new(
                        WILDCARD_ACTION,
                        attachment.policy_arn.at(file),
                        format!(
                            "{} gets the managed policy {name}: full control of {}",
                            attachment.owner,
                            if *name == "IAMFullAccess" {
                                "IAM"
                            } else {
                                "the account"
                            }
                        ),
                    )
                    .severity(Severity::High)
                    .help(
                        "attach a policy that lists the actions and resources the pipeline needs",
                    ),
                );
            }
        }
    }
}
