//! OIDC federation in role trust policies.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::iam;
use crate::model::oidc::{Grade, Issuer, IssuerKind};
use crate::model::policy::PolicyRole;
use crate::model::trust::{ClaimState, Federated, federated, has_wildcard};

/// Adds the "trusted issuer" related locations every OIDC finding carries.
fn with_context(finding: Finding, f: &Federated<'_>) -> Finding {
    let mut finding = finding;
    if finding.location != f.principal_location() {
        finding = finding.related(f.principal_location(), "federated principal trusted here");
    }
    if let Some((file, provider)) = f.provider {
        finding = finding.related(file.at(provider.span), "identity provider declared here");
    }
    finding
}

/// A finding on an evaluated value (see [`crate::model::value::explain`]).
fn evaluated(finding: Finding, value: &crate::model::value::Val, f: &Federated<'_>) -> Finding {
    crate::model::value::explain(finding, value, f.file)
}

/// A statement whose federated principal has alternatives (`!If` between two
/// provider ARNs) misses a claim once, not once per alternative: the first
/// alternative of the same issuer family carries the finding.
#[derive(Default)]
struct OncePerStatement(std::collections::HashSet<(usize, u32, u32, IssuerKind)>);

impl OncePerStatement {
    fn first(&mut self, f: &Federated<'_>) -> bool {
        let kind = f.effective_issuer().map_or(IssuerKind::Other, |i| i.kind);
        let span = f.statement.span;
        self.0.insert((f.file.id, span.start, span.end, kind))
    }
}

/// "role X" / "this role", for messages.
fn who(f: &Federated<'_>) -> String {
    f.policy
        .owner
        .as_ref()
        .map_or_else(|| "this role".to_owned(), |o| o.description.clone())
}

pub struct SubjectMissing;
pub const SUBJECT_MISSING: &str = "oidc-subject-missing";

impl Rule for SubjectMissing {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut once = OncePerStatement::default();
        for f in federated(cx.files) {
            let Some(issuer) = f.effective_issuer() else {
                continue;
            };
            // Shared issuers, and self-hosted ones of a known family (GHES,
            // GHEC's enterprise issuer, GitLab self-managed, Terraform
            // Enterprise): every repository of the instance is a tenant.
            // Per-organisation issuers (CircleCI, Bitbucket) are graded by
            // the subject rules.
            let family = matches!(
                issuer.kind,
                IssuerKind::GitHub
                    | IssuerKind::GitLab
                    | IssuerKind::TerraformCloud
                    | IssuerKind::Buildkite
            );
            if !(issuer.is_shared() || family) || !f.mismatched_keys().is_empty() {
                continue;
            }
            // Cognito's tenant is the identity pool, pinned by `aud`.
            let claim = if issuer.kind == IssuerKind::Cognito {
                "aud"
            } else {
                "sub"
            };
            // A tenant-pinning claim (`repository_id`, `job_workflow_ref`...)
            // or any other claim condition is graded by the subject rules.
            if !matches!(f.claim_state(claim), ClaimState::Missing)
                || f.subject_grade().is_some()
                || !f.deny_narrowing(claim).is_empty()
            {
                continue;
            }
            let key = f.claim_key(claim).unwrap_or_default();
            let message = format!(
                "{} trusts {} with no \"{key}\" condition: {} can assume it",
                who(&f),
                issuer.name(),
                issuer.everyone()
            );
            let help = match issuer.kind {
                IssuerKind::GitHub => format!(
                    "add a condition \"StringEquals\": {{\"{key}\": \"repo:OWNER/REPO:ref:refs/heads/main\"}} (or an environment)"
                ),
                IssuerKind::Cognito => format!(
                    "add a condition \"StringEquals\": {{\"{key}\": \"<identity pool id>\"}}"
                ),
                _ => format!("add a condition that pins \"{key}\" to your own project and ref"),
            };
            if !once.first(&f) {
                continue;
            }
            out.push(with_context(
                Finding::new(SUBJECT_MISSING, f.principal_location(), message).help(help),
                &f,
            ));
        }
    }
}

/// The four grades of a too-broad subject, one rule each.
pub struct SubjectGrade {
    rule: &'static str,
    accepts: fn(Grade) -> bool,
}

pub const SUBJECT_ANY_OWNER: SubjectGrade = SubjectGrade {
    rule: "oidc-subject-any-owner",
    accepts: |g| g == Grade::AnyOwner,
};
pub const SUBJECT_ANY_REPO: SubjectGrade = SubjectGrade {
    rule: "oidc-subject-any-repo",
    accepts: |g| g == Grade::AnyRepo,
};
pub const SUBJECT_ANY_REF: SubjectGrade = SubjectGrade {
    rule: "oidc-subject-any-ref",
    accepts: |g| matches!(g, Grade::AnyRef { .. }),
};
pub const SUBJECT_PULL_REQUEST: SubjectGrade = SubjectGrade {
    rule: "oidc-subject-pull-request",
    accepts: |g| g == Grade::PullRequest,
};

impl Rule for SubjectGrade {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for f in federated(cx.files) {
            let Some(issuer) = f.effective_issuer() else {
                continue;
            };
            if !f.mismatched_keys().is_empty() {
                continue;
            }
            let Some(verdict) = f.subject_grade() else {
                continue;
            };
            let grade = verdict.grade;
            if !(self.accepts)(grade) || grade == Grade::Pinned {
                continue;
            }
            let role = who(&f);
            let help = match issuer.kind {
                IssuerKind::GitHub => {
                    "pin the owner, repository and a protected branch or environment: \"repo:OWNER/REPO:ref:refs/heads/main\" or \"repo:OWNER/REPO:environment:production\""
                }
                IssuerKind::GitLab => {
                    "pin the full subject with StringEquals: \"project_path:GROUP/PROJECT:ref_type:branch:ref:main\""
                }
                IssuerKind::TerraformCloud => {
                    "pin organization, project, workspace and run phase: \"organization:ORG:project:PROJ:workspace:WS:run_phase:apply\""
                }
                IssuerKind::CircleCi => {
                    "pin the project: a \"sub\" of \"org/ORG_ID/project/PROJECT_ID/user/*\" or the \"oidc.circleci.com/project-id\" claim"
                }
                IssuerKind::Bitbucket => {
                    "pin the repository and a deployment environment: \"{REPO_UUID}:{ENV_UUID}:*\""
                }
                _ => "pin the subject to your own project and a protected ref",
            };
            if verdict.values.is_empty() {
                let owner = if issuer.kind == IssuerKind::Bitbucket {
                    "workspace"
                } else {
                    "organisation"
                };
                let message = format!(
                    "{role} trusts {} with no subject or project condition: every {} of the {owner} can assume it",
                    issuer.name(),
                    issuer.repository_noun()
                );
                out.push(with_context(
                    Finding::new(self.rule, f.principal_location(), message).help(help),
                    &f,
                ));
                continue;
            }
            for value in verdict.values {
                let pattern = &value.text;
                let message = if verdict.claim == "sub" {
                    sub_message(grade, issuer, pattern, &role)
                } else {
                    claim_message(grade, issuer, &verdict.claim, pattern, &role)
                };
                out.push(with_context(
                    evaluated(
                        Finding::new(self.rule, value.at(f.file), message).help(help),
                        value,
                        &f,
                    ),
                    &f,
                ));
            }
        }
    }
}

fn sub_message(grade: Grade, issuer: &Issuer, pattern: &str, role: &str) -> String {
    match grade {
        Grade::AnyOwner => format!(
            "sub condition \"{pattern}\" admits subjects of other owners: {} can assume {role}",
            issuer.everyone()
        ),
        Grade::AnyRepo => format!(
            "sub condition \"{pattern}\" lets every {} of {} assume {role}",
            issuer.repository_noun(),
            owner_of(pattern)
        ),
        Grade::AnyRef {
            admits_pull_request,
        } => {
            let (what, who) = admitted_refs(issuer.kind, pattern, admits_pull_request);
            format!("sub condition \"{pattern}\" admits {what}: {who} can assume {role}")
        }
        Grade::PullRequest => format!(
            "sub condition \"{pattern}\" trusts pull requests: code proposed in a pull request, not yet reviewed, can assume {role}"
        ),
        Grade::Pinned => String::new(),
    }
}

fn claim_message(grade: Grade, issuer: &Issuer, claim: &str, value: &str, role: &str) -> String {
    match grade {
        Grade::AnyOwner => format!(
            "condition \"{claim}\" = \"{value}\" pins no owner (any owner can give its own repositories that value): {} can assume {role}",
            issuer.everyone()
        ),
        Grade::AnyRepo => format!(
            "condition \"{claim}\" = \"{value}\" pins the owner but no {noun}: every {noun} of the owner can assume {role}",
            noun = issuer.repository_noun()
        ),
        Grade::AnyRef {
            admits_pull_request: true,
        } => format!(
            "condition \"{claim}\" = \"{value}\" pins the {} but no branch or environment: every ref, environment and {} of it can assume {role}",
            issuer.repository_noun(),
            if issuer.kind == IssuerKind::GitLab {
                "merge request"
            } else {
                "pull request"
            }
        ),
        Grade::AnyRef {
            admits_pull_request: false,
        } => format!(
            "condition \"{claim}\" = \"{value}\" pins the {} but not one protected branch or environment: anyone who can push a matching ref can assume {role}",
            issuer.repository_noun()
        ),
        Grade::PullRequest => format!(
            "condition \"{claim}\" = \"{value}\" admits pull requests: unreviewed code can assume {role}"
        ),
        Grade::Pinned => String::new(),
    }
}

/// What an any-ref pattern admits of the repository, and who can use it.
fn admitted_refs(kind: IssuerKind, pattern: &str, pull_requests: bool) -> (String, &'static str) {
    let after = |mark: &str| pattern.rfind(mark).map(|i| &pattern[i + mark.len()..]);
    let matching = |rest: &str, any: &str, some: &str| {
        if rest.trim_matches('*').is_empty() {
            format!("{any} of the repository")
        } else {
            format!("{some} matching \"{rest}\"")
        }
    };
    match kind {
        IssuerKind::GitHub => {
            if pull_requests {
                return (
                    "every ref, environment and pull request of the repository".into(),
                    "unreviewed code",
                );
            }
            if let Some(rest) = after(":ref:refs/heads/") {
                (
                    matching(rest, "any branch", "branches"),
                    "anyone who can push a branch",
                )
            } else if let Some(rest) = after(":ref:refs/tags/") {
                (
                    matching(rest, "any tag", "tags"),
                    "anyone who can push a tag",
                )
            } else if let Some(rest) = after(":environment:") {
                (
                    matching(rest, "any environment", "environments"),
                    "any job that names one",
                )
            } else {
                (
                    "any branch, tag or environment of the repository".into(),
                    "anyone who can push one",
                )
            }
        }
        IssuerKind::GitLab => {
            if pattern.contains(":ref_type:branch:ref:") {
                (
                    "any branch of the project".into(),
                    "anyone who can push a branch",
                )
            } else if pattern.contains(":ref_type:tag:ref:") {
                ("any tag of the project".into(), "anyone who can push a tag")
            } else {
                (
                    "any branch or tag of the project".into(),
                    "anyone who can push one",
                )
            }
        }
        IssuerKind::TerraformCloud => (
            "every run phase of the workspace, plans included".into(),
            "anyone who can queue a plan",
        ),
        IssuerKind::Bitbucket => (
            "every branch, pull request and deployment of the repository".into(),
            "unreviewed code",
        ),
        IssuerKind::Eks => (
            "any service account of the namespace".into(),
            "any workload of the namespace",
        ),
        _ => (
            "any ref or event of the project".into(),
            "anyone who can push one",
        ),
    }
}

/// `acme` from `repo:acme/*`, for messages.
fn owner_of(pattern: &str) -> String {
    // CircleCI (`org/<ID>/project/...`) and Bitbucket (`{REPO_UUID}...`)
    // subjects carry no readable owner: the issuer is the organisation.
    if pattern.starts_with("org/") {
        return "the organisation".into();
    }
    if pattern.starts_with('{') {
        return "the workspace".into();
    }
    let rest = pattern
        .split_once("repository_owner_id:")
        .or_else(|| pattern.split_once("repository_owner:"))
        .or_else(|| pattern.split_once("repo:"))
        .or_else(|| pattern.split_once("project_path:"))
        .or_else(|| pattern.split_once("organization:"))
        .map_or(pattern, |(_, r)| r);
    // The owner ends at the first delimiter outside a `${...}` interpolation.
    let mut depth = 0usize;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '{' if rest[..i].ends_with('$') => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '/' | ':' | '*' | '?' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let owner = &rest[..end];
    if owner.is_empty() {
        "the owner".into()
    } else {
        owner.into()
    }
}

pub struct AbsentTolerant;
pub const ABSENT_TOLERANT: &str = "oidc-condition-absent-tolerant";

impl Rule for AbsentTolerant {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for f in federated(cx.files) {
            if f.effective_issuer().is_none() {
                continue;
            }
            for claim in ["sub", "aud"] {
                let ClaimState::AbsentTolerant { condition, .. } = f.claim_state(claim) else {
                    continue;
                };
                let op = &condition.operator;
                let why = if op.negated {
                    "in an Allow admits every value it does not list, and a token without the claim"
                } else if op.base == "null" {
                    "only asserts that the claim is present, not what it holds"
                } else {
                    "is true when the token has no such claim"
                };
                let message = format!(
                    "\"{}\" on \"{}\" {why}: {} is not really constrained",
                    op.text, condition.key.text, claim
                );
                let finding =
                    Finding::new(ABSENT_TOLERANT, f.file.at(op.span), message).help(format!(
                        "use a plain StringEquals or StringLike on \"{}\"",
                        condition.key.text
                    ));
                out.push(with_context(finding, &f));
            }
        }
    }
}

pub struct AudienceMissing;
pub const AUDIENCE_MISSING: &str = "oidc-audience-missing";

impl Rule for AudienceMissing {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut once = OncePerStatement::default();
        for f in federated(cx.files) {
            let Some(issuer) = f.effective_issuer() else {
                continue;
            };
            let relevant =
                issuer.expected_audience().is_some() || issuer.kind == IssuerKind::GitLab;
            if !relevant || !f.mismatched_keys().is_empty() {
                continue;
            }
            let expected = issuer.expected_audience().unwrap_or("your audience");
            let key = f.claim_key("aud").unwrap_or_default();
            match f.claim_state("aud") {
                ClaimState::Missing if !once.first(&f) => {}
                ClaimState::Missing => out.push(with_context(
                    Finding::new(
                        AUDIENCE_MISSING,
                        f.principal_location(),
                        format!("{} trusts {} with no \"{key}\" condition: tokens minted for other audiences are accepted", who(&f), issuer.name()),
                    )
                    .help(format!("add \"StringEquals\": {{\"{key}\": \"{expected}\"}}"))
                    .with_fix(match issuer.kind {
                        IssuerKind::GitHub => issuer.expected_audience().and_then(|aud| {
                            crate::fix::edits::audience_condition(f.file, f.statement.span, &key, aud)
                        }),
                        _ => None,
                    }),
                    &f,
                )),
                ClaimState::Constrained { binding } => {
                    for condition in binding {
                        for value in &condition.values {
                            if condition.operator.is_like() && value.text.trim_matches('*').is_empty() {
                                out.push(with_context(
                                    evaluated(
                                        Finding::new(
                                            AUDIENCE_MISSING,
                                            value.at(f.file),
                                            format!("aud condition \"{}\" admits every audience", value.text),
                                        )
                                        .help(format!("pin it: \"StringEquals\": {{\"{key}\": \"{expected}\"}}"))
                                        .with_fix(match issuer.kind {
                                            // Only a value written in this file is edited here.
                                            IssuerKind::GitHub if value.origin.is_none() => {
                                                issuer.expected_audience().and_then(|aud| {
                                                    crate::fix::edits::pin_audience(f.file, value.span, &value.text, aud)
                                                })
                                            }
                                            _ => None,
                                        }),
                                        value,
                                        &f,
                                    ),
                                    &f,
                                ));
                            }
                        }
                    }
                }
                ClaimState::AbsentTolerant { .. } => {}
            }
        }
    }
}

pub struct IssuerKeyMismatch;
pub const ISSUER_KEY_MISMATCH: &str = "oidc-issuer-key-mismatch";

impl Rule for IssuerKeyMismatch {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for f in federated(cx.files) {
            let Some(issuer) = &f.issuer else {
                continue;
            };
            for condition in f.mismatched_keys() {
                let effect = if condition.operator.tolerates_absence() {
                    "never applies, and its operator is true when the claim is absent: the role is open to every token of the issuer"
                } else {
                    "never applies: no token of the trusted issuer carries it, so the role cannot be assumed"
                };
                let claim = condition.key.text.rsplit_once(':').map_or("", |(_, c)| c);
                let message = format!(
                    "condition key \"{}\" does not match the trusted issuer \"{}\": it {effect}",
                    condition.key.text, issuer.key_prefix
                );
                out.push(with_context(
                    Finding::new(ISSUER_KEY_MISMATCH, condition.key.at(f.file), message).help(
                        format!("write the key as \"{}:{claim}\"", issuer.key_prefix),
                    ),
                    &f,
                ));
            }
        }
    }
}

pub struct WildcardInStringEquals;
pub const WILDCARD_IN_STRING_EQUALS: &str = "oidc-wildcard-in-string-equals";

impl Rule for WildcardInStringEquals {
    fn check_file(
        &self,
        _cx: &Context<'_>,
        file: &crate::source::SourceFile,
        out: &mut Vec<Finding>,
    ) {
        for policy in &iam::of(file).policies {
            if policy.role != PolicyRole::Trust {
                continue;
            }
            for statement in &policy.statements {
                for condition in &statement.conditions {
                    let op = &condition.operator;
                    if !op.base.starts_with("stringequals") {
                        continue;
                    }
                    for value in condition.values.iter().filter(|v| has_wildcard(&v.text)) {
                        let like = if op.negated {
                            "StringNotLike"
                        } else {
                            "StringLike"
                        };
                        out.push(
                            Finding::new(
                                WILDCARD_IN_STRING_EQUALS,
                                value.at(file),
                                format!(
                                    "\"{}\" under {} is matched literally: the condition only matches a value with a real \"*\" or \"?\"",
                                    value.text, op.text
                                ),
                            )
                            .help(format!("use {like} if the wildcard is meant, or remove it"))
                            .related(file.at(op.span), "operator"),
                        );
                    }
                }
            }
        }
    }
}

pub struct SubjectMutablePath;
pub const SUBJECT_MUTABLE_PATH: &str = "oidc-subject-mutable-path";

impl Rule for SubjectMutablePath {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for f in federated(cx.files) {
            let Some(issuer) = f.effective_issuer() else {
                continue;
            };
            if issuer.kind != IssuerKind::GitLab || !f.mismatched_keys().is_empty() {
                continue;
            }
            // Only a role the subject rules find pinned: a broader one is
            // theirs to report.
            if f.subject_grade().map(|v| v.grade) != Some(Grade::Pinned) {
                continue;
            }
            // A stable id pinned beside the path (a claim condition or a
            // `project_id:`-led subject) closes the gap.
            let ids_pinned = f
                .claim_conditions()
                .iter()
                .any(|(claim, _)| claim == "project_id" || claim == "namespace_id");
            if ids_pinned {
                continue;
            }
            let subs: Vec<_> = f
                .on_claim("sub")
                .into_iter()
                .filter(|c| !c.operator.tolerates_absence())
                .collect();
            if subs.iter().any(|c| {
                c.values
                    .iter()
                    .all(|v| !v.text.starts_with("project_path:"))
            }) {
                continue;
            }
            let key = f.claim_key("project_id").unwrap_or_default();
            for value in subs.iter().flat_map(|c| c.values.iter()) {
                let message = format!(
                    "sub condition \"{}\" pins the project of {} by its path only: a project that later takes over the path (after a rename, transfer or deletion) gets the same subject",
                    value.text,
                    who(&f)
                );
                out.push(with_context(
                    Finding::new(SUBJECT_MUTABLE_PATH, value.at(f.file), message).help(
                        format!("also pin the project's id: \"StringEquals\": {{\"{key}\": \"<project id>\"}}"),
                    ),
                    &f,
                ));
            }
        }
    }
}
