//! The IAM roles a file declares, by the names and ARNs others use to assume
//! them: CloudFormation `AWS::IAM::Role` with a literal `RoleName`, Terraform
//! `aws_iam_role` with a literal `name`, and the `RoleDetailList` of an
//! `aws iam get-account-authorization-details` export (`RoleName`, `Arn`).
//!
//! A role is tied to its trust policy in the IAM model by the owner span: the
//! span [`super::iam`] records as the policy's [`super::policy::Owner`].

use super::fields::{self, cfn_resources, tf_resources};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, Span, Syntax};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The role's name as IAM knows it.
    pub name: String,
    /// Its ARN, when the file says it (exports).
    pub arn: Option<String>,
    /// The span its policies' owner carries.
    pub owner_span: Span,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles {
    pub roles: Vec<Role>,
}

/// The roles of a file, extracted on first use.
pub fn of(file: &SourceFile) -> &Roles {
    file.models.cache().roles.get_or_init(|| extract(file))
}

fn literal(text: &str) -> bool {
    !text.is_empty() && !text.contains("${")
}

fn extract(file: &SourceFile) -> Roles {
    let mut roles = Vec::new();
    for root in file.roots() {
        match file.kind {
            FileKind::CloudFormation => {
                for (_, span, props) in cfn_resources(root, "AWS::IAM::Role") {
                    if let Some(name) = fields::val(props, &["RoleName"])
                        && literal(&name.text)
                    {
                        roles.push(Role {
                            name: name.text,
                            arn: None,
                            owner_span: span,
                        });
                    }
                }
            }
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                for (_, span, body) in tf_resources(root, "aws_iam_role") {
                    if let Some(name) = fields::val(body, &["name"])
                        && literal(&name.text)
                    {
                        roles.push(Role {
                            name: name.text,
                            arn: None,
                            owner_span: span,
                        });
                    }
                }
            }
            FileKind::Policy if super::export::is_authorization_details(root) => {
                for item in root
                    .get("RoleDetailList")
                    .and_then(Node::items)
                    .unwrap_or(&[])
                {
                    if let Some(name) = item.get("RoleName")
                        && let Some(text) = name.as_str()
                    {
                        roles.push(Role {
                            name: text.to_owned(),
                            arn: item.get("Arn").and_then(Node::as_str).map(str::to_owned),
                            owner_span: name.span,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Roles { roles }
}

/// What `role-to-assume` names: a role ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`)
/// or a bare role name. `None` for anything else.
pub fn parse_target(text: &str) -> Option<(Option<String>, String)> {
    let t = text.trim();
    if t.is_empty() || t.contains("${") || t.contains('*') || t.contains(char::is_whitespace) {
        return None;
    }
    if let Some(rest) = t.strip_prefix("arn:") {
        // partition:iam::account:role/path/name
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let [_, "iam", _, account, resource] = parts[..] else {
            return None;
        };
        let path = resource.strip_prefix("role/")?;
        let name = path.rsplit('/').next().unwrap_or(path);
        if name.is_empty() {
            return None;
        }
        return Some((Some(account.to_owned()), name.to_owned()));
    }
    if t.contains(':') || t.contains('/') {
        return None;
    }
    Some((None, t.to_owned()))
}

impl Role {
    /// Whether `role-to-assume` (parsed by [`parse_target`]) names this role.
    pub fn is_named_by(&self, account: Option<&str>, name: &str) -> bool {
        if self.name != name {
            return false;
        }
        match (account, &self.arn) {
            (Some(account), Some(arn)) => arn.split(':').nth(4) == Some(account),
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::load_str;

    #[test]
    fn targets() {
        assert_eq!(
            parse_target("arn:aws:iam::210987654321:role/ci/deploy"),
            Some((Some("210987654321".into()), "deploy".into()))
        );
        assert_eq!(parse_target("deploy"), Some((None, "deploy".into())));
        assert_eq!(parse_target("${{ vars.ROLE }}"), None);
        assert_eq!(parse_target("arn:aws:iam::1:user/x"), None);
        assert_eq!(parse_target("arn:aws:iam::1:role/"), None);
        assert_eq!(parse_target(""), None);
    }

    #[test]
    fn roles_of_each_front_end() {
        let cfn = load_str(
            "t.yaml",
            "AWSTemplateFormatVersion: x\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: deploy\n  S:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub ${AWS::StackName}-x\n",
        );
        assert_eq!(of(&cfn).roles.len(), 1);
        assert_eq!(of(&cfn).roles[0].name, "deploy");
        let tf = load_str(
            "main.tf",
            "resource \"aws_iam_role\" \"d\" {\n  name = \"deploy\"\n}\nresource \"aws_iam_role\" \"e\" {\n  name = var.n\n}\n",
        );
        assert_eq!(of(&tf).roles.len(), 1);
        let export = load_str(
            "iam.json",
            r#"{"RoleDetailList": [{"RoleName": "deploy", "Arn": "arn:aws:iam::210987654321:role/deploy"}]}"#,
        );
        let role = &of(&export).roles[0];
        assert!(role.is_named_by(Some("210987654321"), "deploy"));
        assert!(!role.is_named_by(Some("123456789012"), "deploy"));
        assert!(role.is_named_by(None, "deploy"));
    }
}
