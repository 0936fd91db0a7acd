//! CodeBuild projects joined to the buildspec they run: privileged mode that
//! Docker needs, and privileged mode nothing needs.

use super::buildspec::quote;
use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::buildspec::Buildspec;
use crate::model::codebuild::{self, Linked, Project, SpecSource};
use crate::shell::{self, commands};
use crate::source::SourceFile;
use crate::syntax::Span;

const ID_MISSING: &str = "privileged-mode-missing";
const ID_UNNEEDED: &str = "privileged-mode-unneeded";

/// How a message names the buildspec a project runs.
fn describe(project: &Project, link: &Linked<'_>, root: &str) -> String {
    let path = link
        .file
        .display
        .strip_prefix(root)
        .unwrap_or(&link.file.display);
    match &project.buildspec {
        SpecSource::Inline(_) => "its inline buildspec".into(),
        SpecSource::Default => format!("the default buildspec {path}"),
        _ => format!("buildspec {path}"),
    }
}

/// The first command that talks to the Docker daemon: (span in the
/// buildspec's file, the command text).
fn first_docker(spec: &Buildspec) -> Option<(Span, String)> {
    for (_, c) in spec.commands() {
        let Some(text) = &c.text else { continue };
        for s in shell::simple_commands(text) {
            if commands::docker(&s).is_some() {
                let shown = text.get(s.span.clone()).unwrap_or("").to_owned();
                return Some((c.file_span(s.span), shown));
            }
        }
    }
    None
}

/// Every project of the workspace with the buildspec it runs.
fn projects<'a>(cx: &Context<'a>) -> (String, Vec<(&'a SourceFile, &'a Project, Linked<'a>)>) {
    let root = codebuild::repository_root(cx.files);
    let mut out = Vec::new();
    for file in cx.files {
        for project in &codebuild::of(file).projects {
            if let Some(link) = codebuild::linked(cx.files, &root, file, project) {
                out.push((file, project, link));
            }
        }
    }
    (root, out)
}

/// `privileged-mode-missing`.
pub struct PrivilegedMissing;

impl Rule for PrivilegedMissing {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (root, projects) = projects(cx);
        for (file, project, link) in projects {
            if project.is_privileged() != Some(false) || !project.can_run_docker() {
                continue;
            }
            let Some((span, text)) = first_docker(link.spec) else {
                continue;
            };
            let at = project.privileged.as_ref().map_or(project.span, |v| v.span);
            out.push(
                Finding::new(
                    ID_MISSING,
                    file.at(at),
                    format!(
                        "{} runs \"{}\" in {} but privileged mode is off: the Docker daemon cannot start; set privileged mode to true",
                        project.label,
                        quote(&text),
                        describe(project, &link, &root)
                    ),
                )
                .related(link.file.at(span), "docker command here")
                .with_fix(crate::fix::edits::privileged_on(file, project)),
            );
        }
    }
}

/// `privileged-mode-unneeded`.
pub struct PrivilegedUnneeded;

impl Rule for PrivilegedUnneeded {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (root, projects) = projects(cx);
        for (file, project, link) in projects {
            if project.is_privileged() != Some(true) {
                continue;
            }
            let Some(privileged) = &project.privileged else {
                continue;
            };
            let needs = link.spec.commands().any(|(_, c)| {
                c.text.as_deref().is_some_and(|t| {
                    shell::simple_commands(t)
                        .iter()
                        .any(commands::may_need_privilege)
                })
            });
            if needs {
                continue;
            }
            out.push(
                Finding::new(
                    ID_UNNEEDED,
                    file.at(privileged.span),
                    format!(
                        "{} runs privileged but {} never uses Docker: turn privileged mode off",
                        project.label,
                        describe(project, &link, &root)
                    ),
                )
                .related(
                    link.file.at(link
                        .spec
                        .root
                        .entry("phases")
                        .map_or(link.spec.span, |e| e.key.span)),
                    "the commands it runs",
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{ScanOptions, scan_in_memory};

    /// (rule, path:line:col, related path:line:col) of every finding.
    fn scan(files: &[(&str, &str)]) -> Vec<(String, String, Vec<String>)> {
        let inputs: Vec<(&str, &[u8])> = files.iter().map(|(p, t)| (*p, t.as_bytes())).collect();
        let report = scan_in_memory(&inputs, &ScanOptions::default()).expect("scan");
        let at =
            |p: &crate::finding::Place| format!("{}:{}:{}", p.path, p.start.line, p.start.column);
        report
            .findings
            .iter()
            .filter(|f| f.rule.starts_with("privileged-mode"))
            .map(|f| {
                (
                    f.rule.to_owned(),
                    at(&f.place),
                    f.related.iter().map(|r| at(&r.place)).collect(),
                )
            })
            .collect()
    }

    const DOCKER: &str = "version: 0.2\nphases:\n  build:\n    on-failure: ABORT\n    commands:\n      - docker build --pull -t web .\n";

    #[test]
    fn default_buildspec_of_the_repository() {
        let found = scan(&[
            ("repo/buildspec.yml", DOCKER),
            (
                "repo/infra/main.tf",
                "resource \"aws_codebuild_project\" \"web\" {\n  environment {\n    type = \"LINUX_CONTAINER\"\n  }\n  source {\n    type = \"CODEPIPELINE\"\n  }\n}\n",
            ),
        ]);
        assert_eq!(
            found,
            [(
                "privileged-mode-missing".to_owned(),
                "repo/infra/main.tf:1:34".to_owned(),
                vec!["repo/buildspec.yml:6:9".to_owned()]
            )]
        );
    }

    #[test]
    fn buildspec_by_path_from_cloudformation() {
        let template = "Resources:\n  Web:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Environment:\n        Type: LINUX_CONTAINER\n        PrivilegedMode: false\n      Source:\n        Type: CODEPIPELINE\n        BuildSpec: ci/buildspec-image.yml\n";
        let found = scan(&[
            ("repo/ci/buildspec-image.yml", DOCKER),
            (
                "repo/buildspec.yml",
                "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n",
            ),
            ("repo/template.yaml", template),
        ]);
        assert_eq!(
            found,
            [(
                "privileged-mode-missing".to_owned(),
                "repo/template.yaml:7:25".to_owned(),
                vec!["repo/ci/buildspec-image.yml:6:9".to_owned()]
            )]
        );
    }

    #[test]
    fn privileged_project_whose_buildspec_uses_docker_is_silent() {
        let found = scan(&[
            ("repo/buildspec.yml", DOCKER),
            (
                "repo/project.json",
                "{\"name\": \"web\", \"source\": {\"type\": \"GITHUB\"}, \"environment\": {\"type\": \"LINUX_CONTAINER\", \"computeType\": \"BUILD_GENERAL1_SMALL\", \"privilegedMode\": true}}",
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn windows_and_unknown_privilege_are_not_judged() {
        let found = scan(&[
            ("repo/buildspec.yml", DOCKER),
            (
                "repo/main.tf",
                "resource \"aws_codebuild_project\" \"win\" {\n  environment {\n    type = \"WINDOWS_SERVER_2019_CONTAINER\"\n  }\n}\nresource \"aws_codebuild_project\" \"var\" {\n  environment {\n    type = \"LINUX_CONTAINER\"\n    privileged_mode = var.privileged\n  }\n}\n",
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }
}
