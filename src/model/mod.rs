//! Typed views over the syntax trees: what a file *means* (policies, OIDC
//! providers, ...), extracted once per file and cached on it. Extractors
//! understand plain documents, CloudFormation and Terraform, and keep the span
//! of every value so rules can point at it.

pub mod appspec;
pub mod buildspec;
pub mod codebuild;
pub mod deployment_group;
pub mod export;
pub mod fields;
pub mod iam;
pub mod oidc;
pub mod pipeline;
pub mod policy;
pub mod roles;
pub mod taskdef;
pub mod trust;
pub mod trustmap;
pub mod value;
pub mod workflow;
pub mod written;

use std::sync::{LazyLock, OnceLock};

/// Computes every model of a file now, so that its tree can be dropped
/// afterwards. A new model must be added here.
pub fn extract_all(file: &crate::source::SourceFile) {
    let _ = iam::of(file);
    let _ = workflow::of(file);
    let _ = buildspec::of(file);
    let _ = codebuild::of(file);
    let _ = appspec::of(file);
    let _ = deployment_group::of(file);
    let _ = pipeline::of(file);
    let _ = taskdef::of(file);
    let _ = roles::of(file);
}

/// Drops the parts of a file's models that only per-file rules read, once
/// those have run. A workspace rule that reads more must say so here.
pub fn retain_for_workspace(file: &mut crate::source::SourceFile) {
    if let Some(model) = file.models.cache_mut().and_then(|c| c.iam.get_mut()) {
        model.retain_for_workspace();
    }
}

/// The models of one file. Files without a document (plain text, or
/// configuration that did not parse) have nothing to extract, and every
/// extractor reads the document only: they share one set of empty caches
/// instead of carrying a kilobyte each, which on a repository of mostly
/// source files is most of the memory a scan keeps.
#[derive(Debug)]
pub struct Models(Option<Box<Cache>>);

static WITHOUT_DOCUMENT: LazyLock<Cache> = LazyLock::new(Cache::default);

impl Models {
    pub fn new(has_document: bool) -> Models {
        Models(has_document.then(Box::default))
    }

    pub(crate) fn cache(&self) -> &Cache {
        self.0.as_deref().unwrap_or(&WITHOUT_DOCUMENT)
    }

    fn cache_mut(&mut self) -> Option<&mut Cache> {
        self.0.as_deref_mut()
    }
}

/// Models computed on first use, once per file.
#[derive(Debug, Default)]
pub struct Cache {
    pub(crate) iam: OnceLock<iam::IamModel>,
    pub(crate) workflow: OnceLock<Option<workflow::Workflow>>,
    pub(crate) buildspec: OnceLock<Option<buildspec::Buildspec>>,
    pub(crate) codebuild: OnceLock<codebuild::CodeBuildModel>,
    pub(crate) appspec: OnceLock<Option<appspec::AppSpec>>,
    pub(crate) deployment_group: OnceLock<deployment_group::DeploymentGroupModel>,
    pub(crate) pipeline: OnceLock<pipeline::PipelineModel>,
    pub(crate) taskdef: OnceLock<taskdef::TaskDefModel>,
    pub(crate) roles: OnceLock<roles::Roles>,
}

#[cfg(test)]
mod tests {
    use crate::discover::load_str;

    /// Files without a document share one set of caches: that is only right
    /// while every extractor finds nothing in them, whatever their kind.
    #[test]
    fn files_without_a_document_have_empty_models() {
        let broken = "a: [\n";
        let files = [
            load_str("README.md", "AKIA is not a key\n"),
            load_str("buildspec.yml", broken),
            load_str(
                "template.yaml",
                &format!("AWSTemplateFormatVersion: x\n{broken}"),
            ),
            load_str(".github/workflows/ci.yml", broken),
            load_str("appspec.yml", broken),
            load_str("main.tf", "resource \"a\" {\n"),
            load_str("taskdef.json", "{\"containerDefinitions\": [\n"),
        ];
        for file in &files {
            assert!(file.doc.is_none(), "{}", file.display);
            assert_eq!(super::iam::of(file), &super::iam::IamModel::default());
            assert!(super::workflow::of(file).is_none());
            assert!(super::buildspec::of(file).is_none());
            assert!(super::codebuild::of(file).projects.is_empty());
            assert!(super::appspec::of(file).is_none());
            assert!(super::deployment_group::of(file).groups.is_empty());
            assert!(super::pipeline::of(file).pipelines.is_empty());
            assert!(super::taskdef::of(file).defs.is_empty());
        }
    }
}
