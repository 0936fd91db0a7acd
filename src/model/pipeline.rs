//! CodePipeline definitions from every front-end: `create-pipeline` input
//! (`{"pipeline": {...}}`), `get-pipeline` output (with `metadata`),
//! CloudFormation `AWS::CodePipeline::Pipeline` and Terraform `aws_codepipeline`.
//! One reader serves all of them: keys are matched in any spelling
//! (`actionTypeId` / `ActionTypeId`, `input_artifacts` / `InputArtifacts`).

use super::fields::{self, cfn_resources, tf_resources};
use super::value::Val;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind, Span, Syntax};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    /// The `artifactStore` key (or the region key / list item of `artifactStores`).
    pub span: Span,
    pub encryption_key: Option<Val>,
    pub region: Option<Val>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub key: String,
    pub key_span: Span,
    pub value: Option<Val>,
    /// The value as written, parameters left as `${Name}` holes.
    pub written: Option<Val>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub name: Val,
    pub category: Option<Val>,
    pub owner: Option<Val>,
    pub provider: Option<Val>,
    pub version: Option<Val>,
    pub run_order: Option<u32>,
    pub configuration: Vec<ConfigEntry>,
    pub inputs: Vec<Val>,
    pub outputs: Vec<Val>,
    pub region: Option<Val>,
    pub role_arn: Option<Val>,
}

impl Action {
    fn is(v: &Option<Val>, want: &str) -> bool {
        v.as_ref()
            .is_some_and(|v| v.text.eq_ignore_ascii_case(want))
    }

    pub fn is_category(&self, category: &str) -> bool {
        Self::is(&self.category, category)
    }

    pub fn is_provider(&self, provider: &str) -> bool {
        Self::is(&self.provider, provider)
    }

    /// A manual approval action.
    pub fn is_approval(&self) -> bool {
        self.is_category("Approval")
    }

    /// The configuration entry `key` (case-insensitive).
    pub fn config(&self, key: &str) -> Option<&ConfigEntry> {
        self.configuration
            .iter()
            .rev()
            .find(|c| c.key.eq_ignore_ascii_case(key))
    }

    pub fn config_value(&self, key: &str) -> Option<&Val> {
        self.config(key).and_then(|c| c.value.as_ref())
    }

    /// What the action deploys to: cluster, service, application, stack...
    pub fn targets(&self) -> impl Iterator<Item = &Val> {
        const TARGET_KEYS: &[&str] = &[
            "ClusterName",
            "ServiceName",
            "ApplicationName",
            "DeploymentGroupName",
            "StackName",
            "FunctionName",
            "EnvironmentName",
            "BucketName",
        ];
        self.configuration
            .iter()
            .filter(|c| TARGET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(&c.key)))
            .filter_map(|c| c.value.as_ref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: Val,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// What to call it in messages.
    pub label: String,
    /// Where it is declared.
    pub span: Span,
    pub role_arn: Option<Val>,
    pub stores: Vec<Store>,
    pub stages: Vec<Stage>,
}

impl Pipeline {
    pub fn actions(&self) -> impl Iterator<Item = (usize, &Stage, &Action)> {
        self.stages
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.actions.iter().map(move |a| (i, s, a)))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineModel {
    pub pipelines: Vec<Pipeline>,
}

/// The pipelines of a file, extracted on first use.
pub fn of(file: &SourceFile) -> &PipelineModel {
    file.models
        .cache()
        .pipeline
        .get_or_init(|| crate::eval::within(file, || extract(file)))
}

fn extract(file: &SourceFile) -> PipelineModel {
    let mut pipelines = Vec::new();
    for root in file.roots() {
        match file.kind {
            FileKind::Pipeline => {
                let (body, span) = match fields::entry(root, &["pipeline"]) {
                    Some(e) => (&e.value, e.key.span),
                    None => (root, root.span),
                };
                let label = fields::val(body, &["name"])
                    .map_or_else(|| "pipeline".into(), |n| format!("pipeline {}", n.text));
                pipelines.push(read(body, label, span));
            }
            FileKind::CloudFormation => {
                for (id, span, props) in cfn_resources(root, "AWS::CodePipeline::Pipeline") {
                    pipelines.push(read(props, format!("resource {id}"), span));
                }
            }
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                for (name, span, body) in tf_resources(root, "aws_codepipeline") {
                    pipelines.push(read(body, format!("aws_codepipeline.{name}"), span));
                }
            }
            _ => {}
        }
    }
    PipelineModel { pipelines }
}

/// Reads a pipeline body in any front-end's spelling.
pub fn read(body: &Node, label: String, span: Span) -> Pipeline {
    let mut stores = Vec::new();
    for e in body.entries().unwrap_or(&[]) {
        let key = fields::norm(&e.key.text);
        if key == "artifactstore" {
            stores.push(store(&e.value, e.key.span, None));
        } else if key == "artifactstores" {
            match &e.value.kind {
                // CLI JSON: {"us-east-1": {...}}
                NodeKind::Map(regions) => {
                    for r in regions {
                        let region = Val::new(r.key.text.clone(), r.key.span);
                        stores.push(store(&r.value, r.key.span, Some(region)));
                    }
                }
                // CloudFormation: [{Region, ArtifactStore: {...}}]
                NodeKind::Seq(items) => {
                    for item in items {
                        let region = fields::val(item, &["Region"]);
                        let inner = fields::get(item, &["ArtifactStore"]).unwrap_or(item);
                        stores.push(store(inner, item.span, region));
                    }
                }
                _ => {}
            }
        }
    }
    let stages = fields::list(body, &["stages", "stage"])
        .into_iter()
        .map(|s| Stage {
            name: fields::val(s, &["name"]).unwrap_or_else(|| Val::new("", s.span)),
            actions: fields::list(s, &["actions", "action"])
                .into_iter()
                .map(action)
                .collect(),
        })
        .collect();
    Pipeline {
        label,
        span,
        role_arn: fields::val(body, &["roleArn"]),
        stores,
        stages,
    }
}

fn store(node: &Node, span: Span, region: Option<Val>) -> Store {
    let key = fields::get(node, &["encryptionKey"])
        .and_then(|k| fields::val(k, &["id"]).or_else(|| Some(Val::new("", k.span))));
    Store {
        span,
        encryption_key: key,
        region: region.or_else(|| fields::val(node, &["region"])),
    }
}

fn action(node: &Node) -> Action {
    let ty = fields::get(node, &["actionTypeId"]).unwrap_or(node);
    let configuration = fields::get(node, &["configuration"])
        .and_then(Node::entries)
        .unwrap_or(&[])
        .iter()
        .map(|e| ConfigEntry {
            key: e.key.text.to_string(),
            key_span: e.key.span,
            value: super::value::value(&e.value),
            written: super::value::written(&e.value),
        })
        .collect();
    Action {
        name: fields::val(node, &["name"]).unwrap_or_else(|| Val::new("", node.span)),
        category: fields::val(ty, &["category"]),
        owner: fields::val(ty, &["owner"]),
        provider: fields::val(ty, &["provider"]),
        version: fields::val(ty, &["version"]),
        run_order: fields::val(node, &["runOrder"]).and_then(|v| v.text.parse().ok()),
        configuration,
        inputs: fields::names(node, &["inputArtifacts"]),
        outputs: fields::names(node, &["outputArtifacts"]),
        region: fields::val(node, &["region"]),
        role_arn: fields::val(node, &["roleArn"]),
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
            .pipelines
            .iter()
            .flat_map(|p| {
                let stores = p.stores.iter().map(|s| {
                    format!(
                        "store key={:?} region={:?}",
                        s.encryption_key.as_ref().map(|k| k.text.clone()),
                        s.region.as_ref().map(|k| k.text.clone())
                    )
                });
                let actions = p.actions().map(|(i, s, a)| {
                    format!(
                        "{i} {} {} {}/{} in={:?} out={:?} file={:?}",
                        s.name.text,
                        a.name.text,
                        a.category.as_ref().map_or("", |v| v.text.as_str()),
                        a.provider.as_ref().map_or("", |v| v.text.as_str()),
                        a.inputs.iter().map(|v| v.text.as_str()).collect::<Vec<_>>(),
                        a.outputs
                            .iter()
                            .map(|v| v.text.as_str())
                            .collect::<Vec<_>>(),
                        a.config_value("FileName").map(|v| v.text.as_str()),
                    )
                });
                stores.chain(actions).collect::<Vec<_>>()
            })
            .collect()
    }

    const EXPECTED: &[&str] = &[
        "store key=Some(\"alias/pipeline\") region=None",
        "0 Source Src Source/CodeStarSourceConnection in=[] out=[\"src\"] file=None",
        "1 Deploy Ecs Deploy/ECS in=[\"src\"] out=[] file=Some(\"images.json\")",
    ];

    #[test]
    fn json_cloudformation_and_terraform_agree() {
        let json = load(
            "pipeline.json",
            r#"{"pipeline": {"name": "p", "artifactStore": {"type": "S3", "location": "b", "encryptionKey": {"id": "alias/pipeline", "type": "KMS"}},
              "stages": [
                {"name": "Source", "actions": [{"name": "Src", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection", "version": "1"}, "outputArtifacts": [{"name": "src"}]}]},
                {"name": "Deploy", "actions": [{"name": "Ecs", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"}, "configuration": {"FileName": "images.json"}, "inputArtifacts": [{"name": "src"}]}]}
              ]}, "metadata": {}}"#,
        );
        let cfn = load(
            "t.yaml",
            "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n      ArtifactStore:\n        Type: S3\n        Location: b\n        EncryptionKey: {Id: alias/pipeline, Type: KMS}\n      Stages:\n        - Name: Source\n          Actions:\n            - Name: Src\n              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeStarSourceConnection, Version: '1'}\n              OutputArtifacts: [{Name: src}]\n        - Name: Deploy\n          Actions:\n            - Name: Ecs\n              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: ECS, Version: '1'}\n              Configuration: {FileName: images.json}\n              InputArtifacts: [{Name: src}]\n",
        );
        let tf = load(
            "main.tf",
            "resource \"aws_codepipeline\" \"p\" {\n  name = \"p\"\n  artifact_store {\n    type = \"S3\"\n    location = \"b\"\n    encryption_key {\n      id = \"alias/pipeline\"\n      type = \"KMS\"\n    }\n  }\n  stage {\n    name = \"Source\"\n    action {\n      name = \"Src\"\n      category = \"Source\"\n      owner = \"AWS\"\n      provider = \"CodeStarSourceConnection\"\n      version = \"1\"\n      output_artifacts = [\"src\"]\n    }\n  }\n  stage {\n    name = \"Deploy\"\n    action {\n      name = \"Ecs\"\n      category = \"Deploy\"\n      owner = \"AWS\"\n      provider = \"ECS\"\n      version = \"1\"\n      input_artifacts = [\"src\"]\n      configuration = {\n        FileName = \"images.json\"\n      }\n    }\n  }\n}\n",
        );
        for f in [&json, &cfn, &tf] {
            assert_eq!(summary(f), EXPECTED, "{}", f.display);
        }
    }

    #[test]
    fn cross_region_stores() {
        let json = load(
            "pipeline.json",
            r#"{"pipeline": {"stages": [], "artifactStores": {"us-east-1": {"type": "S3", "location": "a"}, "eu-west-1": {"type": "S3", "location": "b", "encryptionKey": {"id": "k", "type": "KMS"}}}}}"#,
        );
        assert_eq!(
            summary(&json),
            [
                "store key=None region=Some(\"us-east-1\")",
                "store key=Some(\"k\") region=Some(\"eu-west-1\")"
            ]
        );
    }
}
