//! CodeDeploy deployment groups: `create-deployment-group` input JSON (or
//! `get-deployment-group` output), CloudFormation
//! `AWS::CodeDeploy::DeploymentGroup` and Terraform
//! `aws_codedeploy_deployment_group`.

use super::fields::{self, cfn_resources, tf_resources};
use super::value::Val;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, Span, Syntax};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toggle {
    /// The configuration's key.
    pub span: Span,
    pub enabled: Option<Val>,
    /// Rollback events, or alarm names.
    pub items: Vec<Val>,
}

impl Toggle {
    /// False when `enabled` is literally false, or absent and `default` is
    /// false; an unknown reference counts as on.
    pub fn is_on(&self, default: bool) -> bool {
        match &self.enabled {
            None => default,
            Some(v) => fields::boolean(v) != Some(false),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentGroup {
    /// What to call it in messages.
    pub label: String,
    /// Where it is declared.
    pub span: Span,
    pub name: Option<Val>,
    pub application: Option<Val>,
    pub config: Option<Val>,
    pub auto_rollback: Option<Toggle>,
    pub alarms: Option<Toggle>,
    /// An ECS deployment group (`ecsServices` present).
    pub ecs: bool,
}

impl DeploymentGroup {
    /// The names that may say "production".
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.name.as_ref(), self.application.as_ref()]
            .into_iter()
            .flatten()
            .map(|v| v.text.as_str())
            .chain(std::iter::once(self.label.as_str()))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentGroupModel {
    pub groups: Vec<DeploymentGroup>,
}

pub fn of(file: &SourceFile) -> &DeploymentGroupModel {
    file.models
        .cache()
        .deployment_group
        .get_or_init(|| crate::eval::within(file, || extract(file)))
}

fn extract(file: &SourceFile) -> DeploymentGroupModel {
    let mut groups = Vec::new();
    for root in file.roots() {
        match file.kind {
            FileKind::DeploymentGroup => {
                let body = fields::get(root, &["deploymentGroupInfo"]).unwrap_or(root);
                let label = fields::val(body, &["deploymentGroupName"]).map_or_else(
                    || "deployment group".into(),
                    |n| format!("deployment group \"{}\"", n.text),
                );
                let span =
                    fields::entry(body, &["deploymentGroupName"]).map_or(root.span, |e| e.key.span);
                groups.push(read(body, label, span));
            }
            FileKind::CloudFormation => {
                for (id, span, props) in cfn_resources(root, "AWS::CodeDeploy::DeploymentGroup") {
                    groups.push(read(props, format!("resource {id}"), span));
                }
            }
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                for (name, span, body) in tf_resources(root, "aws_codedeploy_deployment_group") {
                    groups.push(read(
                        body,
                        format!("aws_codedeploy_deployment_group.{name}"),
                        span,
                    ));
                }
            }
            _ => {}
        }
    }
    DeploymentGroupModel { groups }
}

fn toggle(body: &Node, key: &str, items: &str) -> Option<Toggle> {
    let e = fields::entry(body, &[key])?;
    Some(Toggle {
        span: e.key.span,
        enabled: fields::val(&e.value, &["enabled"]),
        items: fields::names(&e.value, &[items]),
    })
}

fn read(body: &Node, label: String, span: Span) -> DeploymentGroup {
    DeploymentGroup {
        label,
        span,
        name: fields::val(body, &["deploymentGroupName"]),
        application: fields::val(body, &["applicationName", "app_name"]),
        config: fields::val(body, &["deploymentConfigName"]),
        auto_rollback: toggle(body, "autoRollbackConfiguration", "events"),
        alarms: toggle(body, "alarmConfiguration", "alarms"),
        ecs: fields::entry(body, &["ecsServices", "ecs_service"]).is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, text: &str) -> SourceFile {
        crate::discover::load_str(path, text)
    }

    fn summary(file: &SourceFile) -> Vec<String> {
        of(file)
            .groups
            .iter()
            .map(|g| {
                let t = |t: &Option<Toggle>| {
                    t.as_ref().map(|t| {
                        (
                            t.is_on(false),
                            t.items.iter().map(|v| v.text.clone()).collect::<Vec<_>>(),
                        )
                    })
                };
                format!(
                    "{:?} {:?} {:?} {:?} ecs={}",
                    g.name.as_ref().map(|v| v.text.as_str()),
                    g.config.as_ref().map(|v| v.text.as_str()),
                    t(&g.auto_rollback),
                    t(&g.alarms),
                    g.ecs
                )
            })
            .collect()
    }

    const EXPECTED: &str = "Some(\"web-prod\") Some(\"CodeDeployDefault.ECSCanary10Percent5Minutes\") Some((true, [\"DEPLOYMENT_FAILURE\"])) Some((true, [\"web-5xx\"])) ecs=true";

    #[test]
    fn every_front_end() {
        let cli = load(
            "deployment-group.json",
            r#"{"applicationName": "web", "deploymentGroupName": "web-prod", "deploymentConfigName": "CodeDeployDefault.ECSCanary10Percent5Minutes",
               "autoRollbackConfiguration": {"enabled": true, "events": ["DEPLOYMENT_FAILURE"]},
               "alarmConfiguration": {"enabled": true, "alarms": [{"name": "web-5xx"}]},
               "ecsServices": [{"clusterName": "c", "serviceName": "s"}]}"#,
        );
        let cfn = load(
            "t.yaml",
            "Resources:\n  G:\n    Type: AWS::CodeDeploy::DeploymentGroup\n    Properties:\n      ApplicationName: web\n      DeploymentGroupName: web-prod\n      DeploymentConfigName: CodeDeployDefault.ECSCanary10Percent5Minutes\n      AutoRollbackConfiguration:\n        Enabled: true\n        Events: [DEPLOYMENT_FAILURE]\n      AlarmConfiguration:\n        Enabled: true\n        Alarms: [{Name: web-5xx}]\n      ECSServices: [{ClusterName: c, ServiceName: s}]\n",
        );
        let tf = load(
            "main.tf",
            "resource \"aws_codedeploy_deployment_group\" \"g\" {\n  app_name = \"web\"\n  deployment_group_name = \"web-prod\"\n  deployment_config_name = \"CodeDeployDefault.ECSCanary10Percent5Minutes\"\n  auto_rollback_configuration {\n    enabled = true\n    events = [\"DEPLOYMENT_FAILURE\"]\n  }\n  alarm_configuration {\n    enabled = true\n    alarms = [\"web-5xx\"]\n  }\n  ecs_service {\n    cluster_name = \"c\"\n    service_name = \"s\"\n  }\n}\n",
        );
        for f in [&cli, &cfn, &tf] {
            assert_eq!(summary(f), [EXPECTED], "{}", f.display);
        }
    }
}
