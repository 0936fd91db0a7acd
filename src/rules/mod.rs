//! The rule registry: one list, each rule a small type and a document in
//! `rules/<id>.md` whose front matter gives its default severity, family,
//! tags and CWE. The documents are embedded in the binary, served by
//! `shiplint rules` / `shiplint explain`, carried into SARIF, and their
//! examples are run as tests.

use crate::config::Config;
use crate::finding::{Finding, Severity};
use crate::report::RuleInfo;
use crate::source::SourceFile;
use std::sync::OnceLock;

mod accounts;
mod artifacts;
mod buildspec;
mod codebuild;
mod codebuild_secrets;
mod deploy;
mod engine;
mod iam;
mod oidc;
mod pipeline;
mod secrets;
mod trust;
mod workflow;
pub(crate) mod workflow_trust;

pub use engine::{DUPLICATE_KEY, PARSE_ERROR, UNUSED_SUPPRESSION};

/// What every rule sees.
pub struct Context<'a> {
    /// Every scanned file, sorted by path; `FileId`s index into it.
    pub files: &'a [SourceFile],
    pub config: &'a Config,
    /// Whether a rule reports in a file (selected, not ignored there); none
    /// means every rule does.
    pub enabled: Option<&'a RuleEnabled<'a>>,
}

/// Whether rule `id` (first argument) reports in a file.
pub type RuleEnabled<'a> = dyn Fn(&str, &SourceFile) -> bool + Sync + 'a;

impl Context<'_> {
    /// Whether rule `id` reports findings in `file`. A rule that leaves a
    /// defect to a more specific rule ("one finding per defect") asks this
    /// first: it must not defer to a rule that does not run.
    pub fn reports(&self, id: &str, file: &SourceFile) -> bool {
        self.enabled.is_none_or(|enabled| enabled(id, file))
    }
}

/// A rule looks at one file at a time, or at the whole repository for checks
/// that join several files; it reports findings located by span.
pub trait Rule: Sync + Send {
    fn check_file(&self, _cx: &Context<'_>, _file: &SourceFile, _out: &mut Vec<Finding>) {}
    fn check_workspace(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

/// A rule and its document.
pub struct Registered {
    pub id: &'static str,
    pub doc: &'static str,
    pub rule: &'static dyn Rule,
}

macro_rules! registry {
    ($($id:literal => $rule:expr),* $(,)?) => {
        /// Every rule, in catalogue order.
        pub static RULES: &[Registered] = &[$(Registered {
            id: $id,
            doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
            rule: &$rule,
        }),*];
    };
}

registry! {
    "oidc-subject-missing" => oidc::SubjectMissing,
    "oidc-subject-any-owner" => oidc::SUBJECT_ANY_OWNER,
    "oidc-subject-any-repo" => oidc::SUBJECT_ANY_REPO,
    "oidc-subject-any-ref" => oidc::SUBJECT_ANY_REF,
    "oidc-subject-pull-request" => oidc::SUBJECT_PULL_REQUEST,
    "oidc-condition-absent-tolerant" => oidc::AbsentTolerant,
    "oidc-audience-missing" => oidc::AudienceMissing,
    "oidc-issuer-key-mismatch" => oidc::IssuerKeyMismatch,
    "oidc-wildcard-in-string-equals" => oidc::WildcardInStringEquals,
    "oidc-subject-mutable-path" => oidc::SubjectMutablePath,
    "trust-principal-public" => trust::PrincipalPublic,
    "trust-not-principal" => trust::NotPrincipal,
    "trust-external-account-no-external-id" => trust::ExternalAccountNoExternalId,
    "iam-passrole-wildcard" => iam::PassRoleWildcard,
    "iam-wildcard-action" => iam::WildcardAction,
    "iam-admin-access" => iam::AdminAccess,
    "iam-assume-any-role" => iam::AssumeAnyRole,
    "aws-access-key-id" => secrets::AccessKeyId,
    "aws-secret-access-key" => secrets::SecretAccessKey,
    "iam-user-access-key" => secrets::IamUserAccessKey,
    "workflow-static-aws-credentials" => workflow::StaticAwsCredentials,
    "workflow-id-token-broad" => workflow::IdTokenBroad,
    "workflow-oidc-untrusted-trigger" => workflow::OidcUntrustedTrigger,
    "workflow-role-trust-mismatch" => workflow_trust::RoleTrustMismatch,
    "plaintext-secret-variable" => codebuild_secrets::PlaintextSecretVariable,
    "secret-exported-variable" => codebuild_secrets::SecretExportedVariable,
    "secret-echoed" => codebuild_secrets::SecretEchoed,
    "post-build-unguarded-publish" => buildspec::UnguardedPublish,
    "buildspec-invalid" => buildspec::Invalid,
    "buildspec-multiline-no-errexit" => buildspec::MultilineNoErrexit,
    "buildspec-legacy-version" => buildspec::LegacyVersion,
    "docker-layer-cache-stale" => buildspec::DockerLayerCacheStale,
    "cache-key-stale" => buildspec::CacheKeyStale,
    "curl-pipe-shell" => buildspec::CurlPipeShell,
    "privileged-mode-missing" => codebuild::PrivilegedMissing,
    "privileged-mode-unneeded" => codebuild::PrivilegedUnneeded,
    "hardcoded-account-id" => accounts::HardcodedAccountId,
    "example-placeholder" => accounts::ExamplePlaceholder,
    "imagedefinitions-shape" => artifacts::ImageDefinitionsShape,
    "imagedetail-shape" => artifacts::ImageDetailShape,
    "image-container-name-mismatch" => artifacts::ImageContainerNameMismatch,
    "appspec-invalid" => artifacts::AppSpecInvalid,
    "image-tag-mutable" => artifacts::ImageTagMutable,
    "pipeline-prod-without-approval" => pipeline::ProdWithoutApproval,
    "pipeline-artifact-store-default-key" => pipeline::ArtifactStoreDefaultKey,
    "pipeline-prod-rolling-ecs" => pipeline::ProdRollingEcs,
    "pipeline-oauth-source" => pipeline::OauthSource,
    "pipeline-artifact-file-missing" => pipeline::ArtifactFileMissing,
    "deployment-group-no-auto-rollback" => deploy::NoAutoRollback,
    "deployment-all-at-once-prod" => deploy::AllAtOnceProd,
    "parse-error" => engine::ParseErrorRule,
    "duplicate-key" => engine::DuplicateKey,
    "unused-suppression" => engine::UnusedSuppression,
}

/// Where rule documents are published.
pub const DOCS_BASE: &str = "https://github.com/shiplint/shiplint/blob/main/rules/";

/// The catalogue, parsed once from the embedded documents.
pub fn catalogue() -> &'static [RuleInfo] {
    static CATALOGUE: OnceLock<Vec<RuleInfo>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        RULES
            .iter()
            .map(|r| parse_doc(r.id, r.doc).unwrap_or_else(|e| fallback(r.id, &e)))
            .collect()
    })
}

pub fn info(id: &str) -> Option<&'static RuleInfo> {
    catalogue().iter().find(|r| r.id == id)
}

/// True for "all", a rule id or a family name.
pub fn is_selector(s: &str) -> bool {
    s == "all" || catalogue().iter().any(|r| r.id == s || r.family == s)
}

/// True when `selector` names `rule` (by id, family or "all").
pub fn selects(selector: &str, rule: &RuleInfo) -> bool {
    selector == "all" || selector == rule.id || selector == rule.family
}

/// True when selecting `selector` turns `rule` on: as [`selects`], except
/// that an opt-in rule is turned on only by its own id.
pub fn turns_on(selector: &str, rule: &RuleInfo) -> bool {
    selects(selector, rule) && (!rule.opt_in || selector == rule.id)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    family: String,
    severity: Severity,
    #[serde(default)]
    opt_in: bool,
    tags: Vec<String>,
    cwe: Option<String>,
    summary: String,
    fix: String,
}

/// Parses a rule document: TOML front matter between `+++` lines, then Markdown.
pub fn parse_doc(id: &'static str, doc: &str) -> Result<RuleInfo, String> {
    let rest = doc
        .strip_prefix("+++\n")
        .ok_or("document does not start with +++ front matter")?;
    let (front, markdown) = rest
        .split_once("\n+++\n")
        .ok_or("front matter is not closed by +++")?;
    let meta: FrontMatter = toml::from_str(front).map_err(|e| e.to_string())?;
    if meta.id != id {
        return Err(format!(
            "front matter id {:?} is not the file's id {id:?}",
            meta.id
        ));
    }
    Ok(RuleInfo {
        id,
        family: meta.family,
        severity: meta.severity,
        opt_in: meta.opt_in,
        tags: meta.tags,
        cwe: meta.cwe,
        summary: meta.summary,
        fix: meta.fix,
        markdown: markdown.trim_start().to_owned(),
        help_uri: format!("{DOCS_BASE}{id}.md"),
    })
}

/// A catalogue entry for a document that does not parse (a test forbids it).
fn fallback(id: &'static str, error: &str) -> RuleInfo {
    RuleInfo {
        id,
        family: "other".into(),
        severity: Severity::High,
        opt_in: false,
        tags: Vec::new(),
        cwe: None,
        summary: format!("(rule document does not parse: {error})"),
        fix: String::new(),
        markdown: String::new(),
        help_uri: format!("{DOCS_BASE}{id}.md"),
    }
}
