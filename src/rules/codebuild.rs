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
                .related(link.file.at(span), "docker command here"),
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
