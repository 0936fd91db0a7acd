//! Typed views over the syntax trees: what a file *means* (policies, OIDC
//! providers, ...), extracted once per file and cached on it. Extractors
//! understand plain documents, CloudFormation and Terraform, and keep the span
//! of every value so rules can point at it.

pub mod appspec;
pub mod buildspec;
pub mod codebuild;
pub mod deployment_group;
pub mod fields;
pub mod iam;
pub mod oidc;
pub mod pipeline;
pub mod policy;
pub mod taskdef;
pub mod trust;
pub mod value;
pub mod workflow;
pub mod written;

use std::sync::OnceLock;

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
}

/// Drops the parts of a file's models that only per-file rules read, once
/// those have run. A workspace rule that reads more must say so here.
pub fn retain_for_workspace(file: &mut crate::source::SourceFile) {
    if let Some(model) = file.models.iam.get_mut() {
        model.retain_for_workspace();
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
}
