//! ECS task definitions and their containers: `taskdef.json` (register input
//! or describe output), CloudFormation `AWS::ECS::TaskDefinition` and
//! Terraform `aws_ecs_task_definition` (`jsonencode(...)` or heredoc JSON).

use super::fields::{self, cfn_resources, tf_resources};
use super::value::Val;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Limits, Node, NodeKind, Span, Syntax, parse_embedded};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: Val,
    pub image: Option<Val>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDef {
    /// What to call it in messages: `taskdef.json`, `resource WebTask`.
    pub label: String,
    /// Where it is declared (the file root, the resource name).
    pub span: Span,
    /// `None` when the containers cannot be read (a reference, a `file()`).
    pub containers: Option<Vec<Container>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskDefModel {
    pub defs: Vec<TaskDef>,
}

/// The task definitions of a file, extracted on first use.
pub fn of(file: &SourceFile) -> &TaskDefModel {
    file.models.cache().taskdef.get_or_init(|| extract(file))
}

fn extract(file: &SourceFile) -> TaskDefModel {
    let mut defs = Vec::new();
    for root in file.roots() {
        match file.kind {
            FileKind::TaskDefinition => {
                let def = fields::get(root, &["taskDefinition"]).unwrap_or(root);
                if let Some(list) = fields::get(def, &["containerDefinitions"]) {
                    defs.push(TaskDef {
                        label: file.display.rsplit('/').next().unwrap_or("").to_owned(),
                        span: root.span,
                        containers: containers(list),
                    });
                }
            }
            FileKind::CloudFormation => {
                for (id, span, props) in cfn_resources(root, "AWS::ECS::TaskDefinition") {
                    defs.push(TaskDef {
                        label: format!("resource {id}"),
                        span,
                        containers: fields::get(props, &["ContainerDefinitions"])
                            .and_then(containers),
                    });
                }
            }
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                for (name, span, body) in tf_resources(root, "aws_ecs_task_definition") {
                    let list = body.get("container_definitions");
                    defs.push(TaskDef {
                        label: format!("aws_ecs_task_definition.{name}"),
                        span,
                        containers: list.and_then(|l| terraform_containers(file, l)),
                    });
                }
            }
            _ => {}
        }
    }
    TaskDefModel { defs }
}

fn terraform_containers(file: &SourceFile, node: &Node) -> Option<Vec<Container>> {
    match &node.kind {
        NodeKind::Call(call) if call.name == "jsonencode" => containers(call.args.first()?),
        NodeKind::Str(_) => {
            let doc = parse_embedded(&file.text, node, Syntax::Json, &Limits::default())?.ok()?;
            containers(doc.roots.first()?)
        }
        _ => None,
    }
}

/// A literal list of container definitions; `None` when it is not one.
fn containers(list: &Node) -> Option<Vec<Container>> {
    let items = list.items()?;
    let mut out = Vec::new();
    for item in items {
        // A container whose name is not literal makes the list unknowable.
        let name = fields::val(item, &["name"])?;
        out.push(Container {
            name,
            image: fields::val(item, &["image"]),
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, text: &str) -> SourceFile {
        crate::discover::load_str(path, text)
    }

    fn names(file: &SourceFile) -> Vec<Option<Vec<String>>> {
        of(file)
            .defs
            .iter()
            .map(|d| {
                d.containers
                    .as_ref()
                    .map(|c| c.iter().map(|c| c.name.text.clone()).collect())
            })
            .collect()
    }

    #[test]
    fn every_front_end() {
        let json = load(
            "taskdef.json",
            r#"{"family": "web", "containerDefinitions": [{"name": "web", "image": "<IMAGE1_NAME>"}]}"#,
        );
        assert_eq!(names(&json), [Some(vec!["web".to_owned()])]);
        let cfn = load(
            "t.yaml",
            "Resources:\n  Task:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: api\n          Image: !Sub '${Repo}:1'\n",
        );
        assert_eq!(names(&cfn), [Some(vec!["api".to_owned()])]);
        let tf = load(
            "main.tf",
            "resource \"aws_ecs_task_definition\" \"a\" {\n  container_definitions = jsonencode([{ name = \"app\", image = \"x:1\" }])\n}\nresource \"aws_ecs_task_definition\" \"b\" {\n  container_definitions = <<EOF\n[{\"name\": \"sidecar\", \"image\": \"y:2\"}]\nEOF\n}\nresource \"aws_ecs_task_definition\" \"c\" {\n  container_definitions = file(\"c.json\")\n}\n",
        );
        assert_eq!(
            names(&tf),
            [
                Some(vec!["app".to_owned()]),
                Some(vec!["sidecar".to_owned()]),
                None
            ]
        );
        // The heredoc's span maps back into the file.
        let b = &of(&tf).defs[1];
        let c = &b.containers.as_ref().expect("known")[0];
        assert_eq!(tf.slice(c.name.span), "\"sidecar\"");
    }
}
