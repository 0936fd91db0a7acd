//! Typed views over the syntax trees: what a file *means* (policies, OIDC
//! providers, ...), extracted once per file and cached on it. Extractors
//! understand plain documents, CloudFormation and Terraform, and keep the span
//! of every value so rules can point at it.

pub mod iam;
pub mod oidc;
pub mod policy;
pub mod trust;
pub mod value;

use std::sync::OnceLock;

/// Models computed on first use, once per file.
#[derive(Debug, Default)]
pub struct Cache {
    pub(crate) iam: OnceLock<iam::IamModel>,
}
