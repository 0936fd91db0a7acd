//! CodeBuild projects: privileged mode, environment variables and their
//! types, cache type and modes, and the buildspec a project runs (inline,
//! a path in the source, or the default `buildspec.yml` at the source root),
//! from CloudFormation `AWS::CodeBuild::Project`, Terraform
//! `aws_codebuild_project` and `create-project` JSON.

use super::buildspec::{self, Buildspec};
use super::fields::{self, cfn_resources, tf_resources};
use super::value::{Val, intrinsic, value, values};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Limits, Node, NodeKind, Span, Syntax, parse_embedded};

/// Where a project's buildspec comes from.
#[derive(Debug, Clone)]
pub enum SpecSource {
    /// Written in the project definition.
    Inline(Box<Buildspec>),
    /// Written in the project definition, but not a readable buildspec.
    Broken { span: Span, message: String },
    /// A file of the source: `path` is relative to the source root, or to the
    /// project file's directory when `from_file_dir` (Terraform `file()`).
    Path {
        path: String,
        span: Span,
        from_file_dir: bool,
    },
    /// No buildspec given: `buildspec.yml` at the source root.
    Default,
    /// A reference shiplint cannot follow (a parameter, an S3 object).
    Unknown,
}

/// The type of a project environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    Plaintext,
    ParameterStore,
    SecretsManager,
    /// Not known until deployment.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: Val,
    pub value: Option<Val>,
    pub ty: VarType,
}

#[derive(Debug, Clone)]
pub struct Project {
    /// How messages name it: `project "web"`.
    pub label: String,
    /// How a pipeline action's `ProjectName` may refer to it: its literal
    /// name, `${LogicalId}` (CloudFormation), or
    /// `${aws_codebuild_project.NAME.name}` / `.id` (Terraform).
    pub refs: Vec<String>,
    /// The resource's logical id or address, or the file root.
    pub span: Span,
    /// `PrivilegedMode` / `privileged_mode` / `privilegedMode`, as written.
    pub privileged: Option<Val>,
    /// The environment type (`LINUX_CONTAINER`, `WINDOWS_SERVER_2022_CONTAINER`, ...).
    pub environment_type: Option<Val>,
    pub env_vars: Vec<EnvVar>,
    pub cache_type: Option<Val>,
    pub cache_modes: Vec<Val>,
    pub buildspec: SpecSource,
}

impl Project {
    /// `Some(true)` / `Some(false)` when privileged mode is known; absent
    /// means off.
    pub fn is_privileged(&self) -> Option<bool> {
        match &self.privileged {
            None => Some(false),
            Some(v) => fields::boolean(v),
        }
    }

    /// True when the environment can run a Docker daemon at all (not
    /// Windows, not Lambda compute).
    pub fn can_run_docker(&self) -> bool {
        self.environment_type.as_ref().is_none_or(|t| {
            let t = t.text.to_ascii_uppercase();
            !t.contains("WINDOWS") && !t.contains("LAMBDA")
        })
    }

    pub fn inline(&self) -> Option<&Buildspec> {
        match &self.buildspec {
            SpecSource::Inline(b) => Some(b),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CodeBuildModel {
    pub projects: Vec<Project>,
}

/// The CodeBuild projects of a file, extracted on first use.
pub fn of(file: &SourceFile) -> &CodeBuildModel {
    file.models
        .cache()
        .codebuild
        .get_or_init(|| crate::eval::within(file, || extract(file)))
}

/// Every buildspec of a file: the file itself, or the inline buildspecs of
/// its projects.
pub fn buildspecs(file: &SourceFile) -> Vec<&Buildspec> {
    let mut out: Vec<&Buildspec> = buildspec::of(file).into_iter().collect();
    out.extend(of(file).projects.iter().filter_map(Project::inline));
    out
}

fn extract(file: &SourceFile) -> CodeBuildModel {
    let mut projects = Vec::new();
    for root in file.roots() {
        match file.kind {
            FileKind::CloudFormation => {
                for (id, span, props) in cfn_resources(root, "AWS::CodeBuild::Project") {
                    let name = fields::val(props, &["Name"]).filter(|v| !v.is_dynamic());
                    let mut refs = vec![format!("${{{id}}}")];
                    refs.extend(name.as_ref().map(|n| n.text.clone()));
                    let label = name.map_or_else(|| id.to_owned(), |n| n.text);
                    projects.push(read(file, props, label, refs, span));
                }
            }
            FileKind::Terraform if file.syntax == Some(Syntax::Hcl) => {
                for (name, span, body) in tf_resources(root, "aws_codebuild_project") {
                    let literal = fields::val(body, &["name"]).filter(|v| !v.is_dynamic());
                    let mut refs = vec![
                        format!("${{aws_codebuild_project.{name}.name}}"),
                        format!("${{aws_codebuild_project.{name}.id}}"),
                    ];
                    refs.extend(literal.as_ref().map(|n| n.text.clone()));
                    let label = literal.map_or(name, |n| n.text);
                    projects.push(read(file, body, label, refs, span));
                }
            }
            FileKind::CodeBuildProject => {
                let list = match fields::get(root, &["projects"]).and_then(Node::items) {
                    Some(items) => items.iter().collect(),
                    None => vec![fields::get(root, &["project"]).unwrap_or(root)],
                };
                for p in list {
                    let name = fields::val(p, &["name"]);
                    let refs = name.iter().map(|n| n.text.clone()).collect();
                    let label = name.map_or_else(
                        || file.display.rsplit('/').next().unwrap_or("").to_owned(),
                        |n| n.text,
                    );
                    projects.push(read(file, p, label, refs, p.span));
                }
            }
            _ => {}
        }
    }
    CodeBuildModel { projects }
}

fn read(file: &SourceFile, body: &Node, label: String, refs: Vec<String>, span: Span) -> Project {
    let env = fields::get(body, &["environment"]);
    let privileged = env.and_then(|e| fields::val(e, &["privilegedMode"]));
    let env_vars = env
        .map(|e| fields::list(e, &["environmentVariables", "environment_variable"]))
        .unwrap_or_default()
        .into_iter()
        .filter_map(read_var)
        .collect();
    let cache = fields::get(body, &["cache"]);
    let source = fields::get(body, &["source"]);
    Project {
        label: format!("project \"{label}\""),
        refs,
        span,
        privileged,
        environment_type: env.and_then(|e| fields::val(e, &["type"])),
        env_vars,
        cache_type: cache.and_then(|c| fields::val(c, &["type"])),
        cache_modes: cache
            .and_then(|c| fields::get(c, &["modes"]))
            .map(values)
            .unwrap_or_default(),
        buildspec: source
            .and_then(|s| fields::get(s, &["buildspec"]))
            .map_or(SpecSource::Default, |n| spec_source(file, n)),
    }
}

fn read_var(node: &Node) -> Option<EnvVar> {
    let name = fields::val(node, &["name"])?;
    let ty = match fields::val(node, &["type"]) {
        None => VarType::Plaintext,
        Some(t) => match t.text.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => VarType::Plaintext,
            "PARAMETER_STORE" => VarType::ParameterStore,
            "SECRETS_MANAGER" => VarType::SecretsManager,
            _ => VarType::Other,
        },
    };
    Some(EnvVar {
        name,
        value: fields::get(node, &["value"]).and_then(value),
        ty,
    })
}

/// What a `BuildSpec` / `buildspec` value is.
fn spec_source(file: &SourceFile, node: &Node) -> SpecSource {
    // `Fn::Sub: |` (long form) holds the text in its argument.
    let node = match intrinsic(node) {
        Some(("Fn::Sub", arg)) if node.tag.is_none() => match &arg.kind {
            NodeKind::Seq(items) => match items.first() {
                Some(first) => first,
                None => return SpecSource::Unknown,
            },
            _ => arg,
        },
        Some(("Fn::Sub", _)) => node,
        Some(_) => return SpecSource::Unknown,
        None => node,
    };
    match &node.kind {
        NodeKind::Call(call) if call.name == "file" || call.name == "templatefile" => {
            match call.args.first().and_then(Node::as_str) {
                Some(path) => SpecSource::Path {
                    path: path.trim_start_matches("${path.module}/").to_owned(),
                    span: node.span,
                    from_file_dir: true,
                },
                None => SpecSource::Unknown,
            }
        }
        // A buildspec written as an object (CDK `BuildSpec.fromObject`).
        NodeKind::Map(_) => match Buildspec::from_node(&file.text, node, node.span) {
            Some(spec) => SpecSource::Inline(Box::new(spec)),
            None => SpecSource::Unknown,
        },
        NodeKind::Str(text) => {
            let one_line = !text.trim().contains('\n');
            match parse_embedded(&file.text, node, Syntax::Yaml, &Limits::default()) {
                Some(Ok(doc)) => match doc.roots.first() {
                    Some(root) if root.entries().is_some() => {
                        match Buildspec::from_node(&file.text, root, node.span) {
                            Some(spec) => SpecSource::Inline(Box::new(spec)),
                            None => SpecSource::Unknown,
                        }
                    }
                    _ if one_line => path_source(text.trim(), node.span),
                    _ => SpecSource::Broken {
                        span: node.span,
                        message: "inline buildspec is not a mapping".into(),
                    },
                },
                Some(Err(e)) if !one_line => SpecSource::Broken {
                    span: e.span,
                    message: format!("inline buildspec does not parse: {}", e.message),
                },
                _ if one_line => path_source(text.trim(), node.span),
                _ => SpecSource::Unknown,
            }
        }
        _ => SpecSource::Unknown,
    }
}

fn path_source(path: &str, span: Span) -> SpecSource {
    if path.is_empty() {
        return SpecSource::Default;
    }
    if path.starts_with("arn:") || path.contains("${") || path.contains("://") {
        return SpecSource::Unknown;
    }
    SpecSource::Path {
        path: path.to_owned(),
        span,
        from_file_dir: false,
    }
}

/// A project joined to the buildspec it runs.
#[derive(Debug, Clone, Copy)]
pub struct Linked<'a> {
    /// The file the buildspec is in (the project's own file when inline).
    pub file: &'a SourceFile,
    pub spec: &'a Buildspec,
}

/// The directory every scanned file is under (the repository root), with a
/// trailing `/`, or empty.
pub fn repository_root(files: &[SourceFile]) -> String {
    let mut dirs = files.iter().map(|f| dir_of(&f.display));
    let Some(first) = dirs.next() else {
        return String::new();
    };
    let mut common: Vec<&str> = first.split('/').filter(|s| !s.is_empty()).collect();
    for d in dirs {
        let parts: Vec<&str> = d.split('/').filter(|s| !s.is_empty()).collect();
        let same = common
            .iter()
            .zip(&parts)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(same);
    }
    if common.is_empty() {
        String::new()
    } else {
        format!("{}/", common.join("/"))
    }
}

fn dir_of(display: &str) -> &str {
    display.rsplit_once('/').map_or("", |(d, _)| d)
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

/// The buildspec `project` (declared in `file`) runs, when it is written
/// inline or is a buildspec file among `files`.
pub fn linked<'a>(
    files: &'a [SourceFile],
    root: &str,
    file: &'a SourceFile,
    project: &'a Project,
) -> Option<Linked<'a>> {
    let wanted = match &project.buildspec {
        SpecSource::Inline(spec) => return Some(Linked { file, spec }),
        SpecSource::Broken { .. } | SpecSource::Unknown => return None,
        SpecSource::Default => normalize(&format!("{root}buildspec.yml")),
        SpecSource::Path {
            path,
            from_file_dir,
            ..
        } => {
            if *from_file_dir {
                normalize(&format!("{}/{path}", dir_of(&file.display)))
            } else {
                normalize(&format!("{root}{path}"))
            }
        }
    };
    // Only buildspec files can be linked: looking at them alone keeps this
    // linear in the number of buildspecs, not of files.
    let buildspecs = || files.iter().filter(|f| f.kind == FileKind::Buildspec);
    let found = buildspecs()
        .find(|f| normalize(&f.display) == wanted)
        .or_else(|| match &project.buildspec {
            // Scanned from elsewhere than the source root: a path that ends
            // the same way, if only one file does.
            SpecSource::Path { path, .. } => {
                let tail = format!("/{}", normalize(path));
                let mut matching = buildspecs().filter(|f| normalize(&f.display).ends_with(&tail));
                match (matching.next(), matching.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
            _ => None,
        })?;
    let spec = buildspec::of(found)?;
    Some(Linked { file: found, spec })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(path: &str, text: &str) -> SourceFile {
        crate::discover::load_str(path, text)
    }

    #[test]
    fn cloudformation_project_with_inline_buildspec() {
        let text = "Resources:
  Build:
    Type: AWS::CodeBuild::Project
    Properties:
      Environment:
        Type: LINUX_CONTAINER
        PrivilegedMode: false
        EnvironmentVariables:
          - Name: DB_PASSWORD
            Type: PARAMETER_STORE
            Value: /prod/db
          - Name: STAGE
            Value: prod
      Cache:
        Type: LOCAL
        Modes: [LOCAL_DOCKER_LAYER_CACHE]
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
          version: 0.2
          phases:
            build:
              commands:
                - docker build -t x .
";
        let file = load("infra/build.yaml", text);
        let model = of(&file);
        assert_eq!(model.projects.len(), 1);
        let p = &model.projects[0];
        assert_eq!(p.label, "project \"Build\"");
        assert_eq!(p.is_privileged(), Some(false));
        assert_eq!(p.env_vars[0].ty, VarType::ParameterStore);
        assert_eq!(p.env_vars[1].ty, VarType::Plaintext);
        assert_eq!(p.cache_modes[0].text, "LOCAL_DOCKER_LAYER_CACHE");
        let spec = p.inline().expect("inline");
        let (_, cmd) = spec.commands().next().expect("a command");
        assert_eq!(&text[cmd.span.range()], "docker build -t x .");
    }

    #[test]
    fn terraform_heredoc_path_and_default() {
        let text = r#"resource "aws_codebuild_project" "web" {
  name = "web"
  environment {
    compute_type    = "BUILD_GENERAL1_SMALL"
    privileged_mode = true
    environment_variable {
      name  = "API_TOKEN"
      value = "abc"
    }
  }
  source {
    type      = "GITHUB"
    buildspec = <<EOF
version: 0.2
phases:
  post_build:
    commands:
      - docker push x
EOF
  }
}
resource "aws_codebuild_project" "path" {
  source {
    buildspec = "ci/buildspec-deploy.yml"
  }
}
resource "aws_codebuild_project" "file" {
  source {
    buildspec = file("${path.module}/buildspec.yml")
  }
}
resource "aws_codebuild_project" "default" {
  source {
    type = "CODEPIPELINE"
  }
}
"#;
        let file = load("infra/main.tf", text);
        let model = of(&file);
        assert_eq!(model.projects.len(), 4);
        assert_eq!(model.projects[0].is_privileged(), Some(true));
        assert_eq!(model.projects[0].env_vars[0].name.text, "API_TOKEN");
        let spec = model.projects[0].inline().expect("inline");
        let (_, cmd) = spec.commands().next().expect("a command");
        assert_eq!(&text[cmd.span.range()], "docker push x");
        assert!(
            matches!(&model.projects[1].buildspec, SpecSource::Path { path, from_file_dir: false, .. } if path == "ci/buildspec-deploy.yml")
        );
        assert!(
            matches!(&model.projects[2].buildspec, SpecSource::Path { path, from_file_dir: true, .. } if path == "buildspec.yml")
        );
        assert!(matches!(model.projects[3].buildspec, SpecSource::Default));
    }

    #[test]
    fn create_project_json() {
        let text = r#"{"name": "web", "source": {"type": "GITHUB", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - docker build -t \"x\" .\n"}, "environment": {"type": "LINUX_CONTAINER", "computeType": "BUILD_GENERAL1_SMALL", "privilegedMode": true}}"#;
        let file = load("codebuild/project.json", text);
        assert_eq!(file.kind, FileKind::CodeBuildProject);
        let p = &of(&file).projects[0];
        assert_eq!(p.label, "project \"web\"");
        let spec = p.inline().expect("inline");
        let (_, cmd) = spec.commands().next().expect("a command");
        assert_eq!(&text[cmd.span.range()], "docker build -t \\\"x\\\" .");
    }

    #[test]
    fn links_projects_to_files() {
        let files = vec![
            load(
                "repo/buildspec.yml",
                "version: 0.2\nphases:\n  build:\n    commands: [make]\n",
            ),
            load(
                "repo/ci/buildspec-deploy.yml",
                "version: 0.2\nphases:\n  build:\n    commands: [make]\n",
            ),
            load(
                "repo/infra/main.tf",
                "resource \"aws_codebuild_project\" \"a\" {\n  source {\n    buildspec = \"ci/buildspec-deploy.yml\"\n  }\n}\nresource \"aws_codebuild_project\" \"b\" {\n  source {\n    type = \"GITHUB\"\n  }\n}\n",
            ),
        ];
        let root = repository_root(&files);
        assert_eq!(root, "repo/");
        let tf = &files[2];
        let model = of(tf);
        let a = linked(&files, &root, tf, &model.projects[0]).expect("linked");
        assert_eq!(a.file.display, "repo/ci/buildspec-deploy.yml");
        let b = linked(&files, &root, tf, &model.projects[1]).expect("linked");
        assert_eq!(b.file.display, "repo/buildspec.yml");
    }
}
