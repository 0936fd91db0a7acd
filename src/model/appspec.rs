//! CodeDeploy AppSpec files (ECS, Lambda, EC2/on-premises; YAML or JSON; keys
//! in either case: `Resources`/`resources`, `TargetService`/`targetService`).

use super::value::{Val, value};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Entry, Node, NodeKind, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Ecs,
    Lambda,
    Ec2,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ecs => "ECS",
            Platform::Lambda => "Lambda",
            Platform::Ec2 => "EC2/on-premises",
        }
    }

    /// The lifecycle hooks the platform accepts.
    pub fn hooks(self) -> &'static [&'static str] {
        match self {
            Platform::Ecs => &[
                "BeforeInstall",
                "AfterInstall",
                "AfterAllowTestTraffic",
                "BeforeAllowTraffic",
                "AfterAllowTraffic",
            ],
            Platform::Lambda => &["BeforeAllowTraffic", "AfterAllowTraffic"],
            Platform::Ec2 => &[
                "ApplicationStop",
                "BeforeInstall",
                "AfterInstall",
                "ApplicationStart",
                "ValidateService",
                "BeforeBlockTraffic",
                "AfterBlockTraffic",
                "BeforeAllowTraffic",
                "AfterAllowTraffic",
            ],
        }
    }
}

/// EC2 events CodeDeploy runs itself: they cannot take scripts.
pub const RESERVED_EC2_EVENTS: &[&str] =
    &["DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"];

/// One ECS `TargetService` resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    /// The `TargetService` key.
    pub span: Span,
    pub task_definition: Option<Val>,
    pub container_name: Option<Val>,
    pub container_port: Option<Val>,
    /// `Properties` span when present, for "missing" findings.
    pub properties: Option<Span>,
    /// `LoadBalancerInfo` key span when present.
    pub load_balancer_info: Option<Span>,
    /// `Type`, as written.
    pub ty: Option<Val>,
    /// `NetworkConfiguration.AwsvpcConfiguration` key span, when present.
    pub awsvpc: Option<Span>,
    /// `Subnets`: its key span and how many subnets it lists (`None` for a
    /// value that is not a list, such as a reference).
    pub subnets: Option<(Span, Option<usize>)>,
    pub assign_public_ip: Option<Val>,
}

/// One Lambda resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaTarget {
    /// The resource's key (its name in the appspec).
    pub span: Span,
    pub key: String,
    pub ty: Option<Val>,
    pub properties: Option<Span>,
    /// `Name`, `Alias`, `CurrentVersion`, `TargetVersion`: present and not
    /// empty.
    pub missing: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub name: String,
    pub span: Span,
    /// True when the hook runs something (EC2: a non-empty script list).
    pub has_scripts: bool,
    /// The value is null or an empty string (ECS/Lambda: no function).
    pub empty: bool,
    /// EC2: the value is neither a list nor empty (the agent iterates it).
    pub not_a_list: bool,
    /// EC2: script entries without a `location`.
    pub without_location: Vec<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    pub root: Span,
    /// The `version` entry: key span and value.
    pub version: Option<(Span, Option<Val>)>,
    pub platform: Platform,
    pub ecs_targets: Vec<EcsTarget>,
    pub lambda_targets: Vec<LambdaTarget>,
    /// Resources whose type is neither ECS nor Lambda: the `Type` value.
    pub unknown_types: Vec<Val>,
    pub hooks: Vec<Hook>,
    /// Hooks written as a map of event -> scripts (the EC2 form).
    pub hooks_as_map: bool,
    /// `os`: key span and value (EC2/on-premises).
    pub os: Option<(Span, Option<Val>)>,
    /// `files` or `permissions` is present (EC2/on-premises sections).
    pub has_ec2_sections: bool,
    /// Shape problems found while reading: (span, message).
    pub problems: Vec<(Span, String)>,
}

/// The AppSpec of a file (`None` for other kinds), extracted on first use.
pub fn of(file: &SourceFile) -> Option<&AppSpec> {
    file.models
        .cache()
        .appspec
        .get_or_init(|| {
            if file.kind != FileKind::AppSpec {
                return None;
            }
            file.roots().first().map(read)
        })
        .as_ref()
}

fn key<'a>(node: &'a Node, name: &str) -> Option<&'a Entry> {
    node.entry_ignore_case(name)
}

/// Reads an appspec document.
pub fn read(root: &Node) -> AppSpec {
    let mut spec = AppSpec {
        root: root.span,
        version: key(root, "version").map(|e| (e.key.span, value(&e.value))),
        platform: Platform::Ec2,
        ecs_targets: Vec::new(),
        lambda_targets: Vec::new(),
        unknown_types: Vec::new(),
        hooks: Vec::new(),
        hooks_as_map: false,
        os: key(root, "os").map(|e| (e.key.span, value(&e.value))),
        has_ec2_sections: root.get("files").is_some() || root.get("permissions").is_some(),
        problems: Vec::new(),
    };
    if root.entries().is_none() {
        spec.problems.push((
            root.span,
            format!("an appspec must be a mapping, not a {}", root.type_name()),
        ));
        return spec;
    }
    if let Some(resources) = key(root, "Resources") {
        match resources.value.items() {
            Some(items) => {
                for item in items {
                    read_resource(item, &mut spec);
                }
            }
            None => spec.problems.push((
                resources.value.span,
                "\"Resources\" must be a list of resources".into(),
            )),
        }
    }
    if let Some(hooks) = key(root, "Hooks") {
        spec.hooks_as_map = matches!(hooks.value.kind, NodeKind::Map(_));
        read_hooks(&hooks.value, &mut spec.hooks);
    }
    spec
}

fn read_resource(item: &Node, spec: &mut AppSpec) {
    for entry in item.entries().unwrap_or(&[]) {
        let ty = key(&entry.value, "Type").and_then(|e| value(&e.value));
        let props_entry = key(&entry.value, "Properties");
        let props = props_entry.map(|e| &e.value);
        let is_ecs = ty
            .as_ref()
            .is_some_and(|t| t.text.starts_with("AWS::ECS::"))
            || entry.key.text.eq_ignore_ascii_case("TargetService");
        const LAMBDA_PROPS: [&str; 4] = ["Name", "Alias", "CurrentVersion", "TargetVersion"];
        let is_lambda = !is_ecs
            && (ty
                .as_ref()
                .is_some_and(|t| t.text.starts_with("AWS::Lambda::"))
                || props.is_some_and(|p| LAMBDA_PROPS.iter().any(|k| key(p, k).is_some())));
        if is_lambda {
            spec.platform = Platform::Lambda;
            let missing = LAMBDA_PROPS
                .into_iter()
                .filter(|k| {
                    props
                        .and_then(|p| key(p, k))
                        .and_then(|e| value(&e.value))
                        .is_none_or(|v| v.text.trim().is_empty())
                })
                .collect();
            spec.lambda_targets.push(LambdaTarget {
                span: entry.key.span,
                key: entry.key.text.to_string(),
                ty: ty.clone(),
                properties: props_entry.map(|e| e.key.span),
                missing,
            });
            continue;
        }
        if !is_ecs {
            if let Some(t) = ty.filter(|t| !t.is_dynamic()) {
                spec.unknown_types.push(t);
            }
            continue;
        }
        {
            let awsvpc = props
                .and_then(|p| key(p, "NetworkConfiguration"))
                .and_then(|n| key(&n.value, "AwsvpcConfiguration"));
            let subnets = awsvpc.and_then(|a| key(&a.value, "Subnets")).map(|e| {
                let count = match &e.value.kind {
                    NodeKind::Seq(items) if e.value.tag.is_none() => Some(items.len()),
                    NodeKind::Null => Some(0),
                    NodeKind::Str(s) if s.trim().is_empty() => Some(0),
                    _ => None,
                };
                (e.key.span, count)
            });
            let assign_public_ip = awsvpc
                .and_then(|a| key(&a.value, "AssignPublicIp"))
                .and_then(|e| value(&e.value));
            spec.platform = Platform::Ecs;
            let lb = props.and_then(|p| key(p, "LoadBalancerInfo"));
            let lb_val = |k: &str| {
                lb.and_then(|lb| key(&lb.value, k))
                    .and_then(|e| value(&e.value))
            };
            spec.ecs_targets.push(EcsTarget {
                span: entry.key.span,
                task_definition: props
                    .and_then(|p| key(p, "TaskDefinition"))
                    .and_then(|e| value(&e.value)),
                container_name: lb_val("ContainerName"),
                container_port: lb_val("ContainerPort"),
                properties: props_entry.map(|e| e.key.span),
                load_balancer_info: lb.map(|e| e.key.span),
                ty,
                awsvpc: awsvpc.map(|e| e.key.span),
                subnets,
                assign_public_ip,
            });
        }
    }
}

/// ECS/Lambda: a list of single-key maps (`- BeforeInstall: fn`).
/// EC2: a map of event -> list of scripts.
fn read_hooks(node: &Node, out: &mut Vec<Hook>) {
    let mut push = |e: &Entry| {
        let has_scripts = match &e.value.kind {
            NodeKind::Seq(items) => !items.is_empty(),
            NodeKind::Null => false,
            _ => true,
        };
        let empty = match &e.value.kind {
            NodeKind::Null => true,
            NodeKind::Str(s) => s.trim().is_empty(),
            _ => false,
        };
        let not_a_list = !empty && !matches!(e.value.kind, NodeKind::Seq(_));
        let without_location = e
            .value
            .items()
            .unwrap_or(&[])
            .iter()
            .filter(|script| {
                script
                    .get("location")
                    .is_none_or(|l| matches!(l.kind, NodeKind::Null))
            })
            .map(|script| script.span)
            .collect();
        out.push(Hook {
            name: e.key.text.to_string(),
            span: e.key.span,
            has_scripts,
            empty,
            not_a_list,
            without_location,
        });
    };
    match &node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .flat_map(|i| i.entries().unwrap_or(&[]))
            .for_each(&mut push),
        NodeKind::Map(entries) => entries.iter().for_each(&mut push),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, Syntax, parse};

    fn spec(syntax: Syntax, text: &str) -> AppSpec {
        let doc = parse(syntax, text, &Limits::default()).expect("parses");
        read(doc.root().expect("root"))
    }

    #[test]
    fn ecs_in_both_key_cases() {
        let upper = spec(
            Syntax::Yaml,
            "version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 80\n",
        );
        let lower = spec(
            Syntax::Json,
            r#"{"version": 0.0, "resources": [{"targetService": {"type": "AWS::ECS::Service", "properties": {"taskDefinition": "<TASK_DEFINITION>", "loadBalancerInfo": {"containerName": "web", "containerPort": 80}}}}]}"#,
        );
        for s in [upper, lower] {
            assert_eq!(s.platform, Platform::Ecs);
            let t = &s.ecs_targets[0];
            assert_eq!(
                t.container_name.as_ref().map(|v| v.text.as_str()),
                Some("web")
            );
            assert_eq!(
                t.container_port.as_ref().map(|v| v.text.as_str()),
                Some("80")
            );
            assert!(t.task_definition.is_some());
        }
    }

    #[test]
    fn lambda_and_ec2_hooks() {
        let l = spec(
            Syntax::Yaml,
            "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties: {Name: f, Alias: live, CurrentVersion: 1, TargetVersion: 2}\nHooks:\n  - BeforeAllowTraffic: check\n",
        );
        assert_eq!(l.platform, Platform::Lambda);
        assert_eq!(l.hooks[0].name, "BeforeAllowTraffic");
        let e = spec(
            Syntax::Yaml,
            "version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: x.sh\n  ApplicationStart:\n",
        );
        assert_eq!(e.platform, Platform::Ec2);
        assert!(e.hooks[0].has_scripts);
        assert!(!e.hooks[1].has_scripts);
    }
}
