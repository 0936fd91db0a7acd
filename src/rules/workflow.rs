//! GitHub workflows that talk to AWS: static keys instead of OIDC, and OIDC
//! token permissions granted too widely or on untrusted triggers.

use super::{Context, Rule};
use crate::finding::{Finding, mask};
use crate::model::workflow::{self, Binding, Job, Workflow};
use crate::source::SourceFile;
use crate::syntax::Span;

pub(super) const ID_STATIC: &str = "workflow-static-aws-credentials";
const ID_BROAD: &str = "workflow-id-token-broad";
const ID_UNTRUSTED: &str = "workflow-oidc-untrusted-trigger";

/// Triggers on which code from outside the repository's trusted branches
/// may run with the workflow's permissions.
const UNTRUSTED_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run"];

/// Where static credentials are given, one group per place: the `with` of
/// a configure-aws-credentials step, or one `env` mapping.
pub fn static_credentials(w: &Workflow) -> Vec<Vec<&Binding>> {
    fn env_group(env: &[Binding]) -> Vec<&Binding> {
        env.iter()
            .filter(|b| {
                matches!(
                    b.name.as_str(),
                    "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY"
                )
            })
            .filter(|b| b.value.is_scalar && !b.value.text.trim().is_empty())
            .collect()
    }
    let mut groups = vec![env_group(&w.env)];
    for job in &w.jobs {
        groups.push(env_group(&job.env));
        for step in &job.steps {
            if step.configures_aws_credentials() {
                groups.push(
                    step.with
                        .iter()
                        .filter(|b| {
                            matches!(
                                b.name.as_str(),
                                "aws-access-key-id" | "aws-secret-access-key"
                            )
                        })
                        .filter(|b| b.value.is_scalar && !b.value.text.trim().is_empty())
                        .collect(),
                );
            }
            groups.push(env_group(&step.env));
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// The spans of the credentials this family reports alone: references
/// (`${{ secrets.* }}`, `${{ vars.* }}`). A literal value is also a leaked
/// key, which `aws-access-key-id` / `aws-secret-access-key` report at their
/// own (critical) severity, so the secret rules do not skip it.
pub fn credential_references(w: &Workflow) -> Vec<Span> {
    static_credentials(w)
        .into_iter()
        .flatten()
        .filter(|b| b.value.is_expression())
        .map(|b| b.value.span)
        .collect()
}

/// The span of a scalar's value without its quotes.
fn unquoted(file: &SourceFile, span: Span) -> Span {
    let raw = file.slice(span);
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted {
        Span::new(span.start as usize + 1, span.end as usize - 1)
    } else {
        span
    }
}

/// `workflow-static-aws-credentials`.
pub struct StaticAwsCredentials;

impl Rule for StaticAwsCredentials {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let Some(w) = workflow::of(file) else {
            return;
        };
        for group in static_credentials(w) {
            let literal = |b: &&Binding| !b.value.is_expression();
            // Point at a literal when there is one: it is the worst value.
            let Some(first) = group.iter().find(|b| literal(b)).or_else(|| group.first()) else {
                continue;
            };
            let is_input = first.name.starts_with("aws-");
            let place = if is_input {
                "given to configure-aws-credentials"
            } else {
                "set in env"
            };
            let mut finding = if literal(first) {
                let span = unquoted(file, first.value.span);
                Finding::new(
                    ID_STATIC,
                    file.at(first.value.span),
                    format!(
                        "literal AWS key \"{}\" {place} as {}: deactivate the key, then assume a role with OIDC (role-to-assume and id-token: write)",
                        mask(file.slice(span)),
                        first.name
                    ),
                )
            } else {
                let how = if first.value.is_secret_reference() {
                    "long-lived AWS keys"
                } else {
                    "static AWS keys"
                };
                Finding::new(
                    ID_STATIC,
                    file.at(first.value.span),
                    format!(
                        "{how} \"{}\" {place} as {}: assume a role with OIDC (role-to-assume and id-token: write) instead",
                        first.value.text.trim(),
                        first.name
                    ),
                )
            };
            for b in &group {
                if literal(b) {
                    finding = finding.secret(file.at(unquoted(file, b.value.span)));
                }
                if !std::ptr::eq(*b, *first) {
                    finding = finding.related(file.at(b.value.span), b.name.clone());
                }
            }
            out.push(finding);
        }
    }
}

/// A grant of `id-token: write` that jobs on an untrusted trigger run with.
struct UntrustedGrant<'w> {
    span: Span,
    jobs: Vec<&'w Job>,
}

fn untrusted_trigger(w: &Workflow) -> Option<&workflow::Trigger> {
    UNTRUSTED_TRIGGERS.iter().find_map(|t| w.trigger(t))
}

fn untrusted_grants(w: &Workflow) -> Vec<UntrustedGrant<'_>> {
    let mut grants: Vec<UntrustedGrant<'_>> = Vec::new();
    if untrusted_trigger(w).is_none() {
        return grants;
    }
    for job in &w.jobs {
        let Some(span) = w.effective(job).and_then(|p| p.id_token_write()) else {
            continue;
        };
        match grants.iter_mut().find(|g| g.span == span) {
            Some(g) => g.jobs.push(job),
            None => grants.push(UntrustedGrant {
                span,
                jobs: vec![job],
            }),
        }
    }
    grants
}

/// `workflow-oidc-untrusted-trigger`.
pub struct OidcUntrustedTrigger;

impl Rule for OidcUntrustedTrigger {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let Some(w) = workflow::of(file) else {
            return;
        };
        let Some(trigger) = untrusted_trigger(w) else {
            return;
        };
        for grant in untrusted_grants(w) {
            let names: Vec<String> = grant.jobs.iter().map(|j| format!("\"{}\"", j.id)).collect();
            let (noun, names) = match names.as_slice() {
                [one] => ("job", one.clone()),
                _ => ("jobs", names.join(", ")),
            };
            let mut finding = Finding::new(
                ID_UNTRUSTED,
                file.at(grant.span),
                format!(
                    "{noun} {names} can mint OIDC tokens (id-token: write) on {}, where untrusted code may run: move AWS access to a workflow on trusted events (push, workflow_dispatch)",
                    trigger.name
                ),
            )
            .related(file.at(trigger.span), "untrusted trigger");
            for job in &grant.jobs {
                finding = finding.related(file.at(job.key_span), format!("job \"{}\"", job.id));
            }
            out.push(finding);
        }
    }
}

/// `workflow-id-token-broad`.
pub struct IdTokenBroad;

impl Rule for IdTokenBroad {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let Some(w) = workflow::of(file) else {
            return;
        };
        // Grants reported by workflow-oidc-untrusted-trigger are not repeated.
        let reported: Vec<Span> = untrusted_grants(w).iter().map(|g| g.span).collect();
        if let Some(perms) = &w.permissions
            && let Some(span) = perms.id_token_write()
            && !reported.contains(&span)
        {
            let write_all = matches!(perms, workflow::Permissions::WriteAll(_));
            let inheriting: Vec<&Job> = w.jobs.iter().filter(|j| j.permissions.is_none()).collect();
            // A job that calls a reusable workflow passes the grant on, and
            // may need it there: never the one to name.
            let needless = inheriting.iter().find(|j| !j.may_use_id_token());
            if let Some(job) = needless {
                let any_user = inheriting.iter().any(|j| j.may_use_id_token());
                let message = if write_all {
                    "workflow-level permissions: write-all gives every job id-token: write (and every other scope): grant id-token: write only in the job that assumes the role".to_owned()
                } else if !any_user {
                    format!(
                        "id-token: write at workflow level, and no job uses an OIDC token (\"{}\" included): remove it, or grant it only in a job that assumes a role",
                        job.id
                    )
                } else {
                    format!(
                        "id-token: write at workflow level reaches every job, \"{}\" included: grant it only in the job that assumes the role",
                        job.id
                    )
                };
                out.push(
                    Finding::new(ID_BROAD, file.at(span), message)
                        .related(
                            file.at(job.key_span),
                            format!("job \"{}\" gets it without assuming a role", job.id),
                        )
                        .with_fix(crate::fix::edits::move_id_token(file, w)),
                );
            }
        }
        for job in &w.jobs {
            if let Some(workflow::Permissions::WriteAll(span)) = &job.permissions
                && !reported.contains(span)
            {
                out.push(Finding::new(
                    ID_BROAD,
                    file.at(*span),
                    format!(
                        "permissions: write-all gives job \"{}\" id-token: write and every other scope: list only the scopes it needs",
                        job.id
                    ),
                ));
            }
        }
    }
}
