//! The trust map: for each role with a federated trust in the scan, who can
//! assume it (in plain words), what it may do, where the trust is written,
//! and which scanned workflow jobs assume it.
//!
//! Built once per scan from the models; carried by the report (JSON and
//! SARIF keep it, so that `shiplint report` can join roles of one
//! repository with the workflows of others).

use super::iam::{self};
use super::oidc::{Grade, IssuerKind, grade};
use super::policy::{Condition, Policy, PolicyRole, Statement};
use super::roles::{self, parse_target};
use super::trust::{Federated, federated, has_wildcard};
use super::workflow;
use crate::source::SourceFile;
use crate::syntax::Span;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustMap {
    #[serde(default)]
    pub roles: Vec<MappedRole>,
    #[serde(default)]
    pub assumptions: Vec<Assumption>,
}

/// A role with a federated trust.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedRole {
    /// The repository whose results carried it (merged reports only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// The identity providers it trusts, by name.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Who can assume it, in plain words.
    #[serde(default)]
    pub who: Vec<String>,
    /// What it may do, in plain words.
    #[serde(default)]
    pub may: Vec<String>,
    #[serde(default)]
    pub admin: bool,
    /// Where the trust is written (its decisive condition, or its principal).
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// A workflow job that assumes a role by a literal name or ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assumption {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repository: String,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub job: String,
    /// The role's name.
    pub role: String,
    /// The account of the ARN, when an ARN is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The role's trust is in the scan and admits none of the job's tokens
    /// (`workflow-role-trust-mismatch`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_admitted: bool,
}

impl TrustMap {
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty() && self.assumptions.is_empty()
    }

    /// For each role (by index), the indices of the jobs that assume it:
    /// same name, and the same account when both the ARN of the role and
    /// the job's are known. Linear in the size of the map.
    pub fn links(&self) -> Vec<Vec<usize>> {
        let mut by_name: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, a) in self.assumptions.iter().enumerate() {
            by_name.entry(a.role.as_str()).or_default().push(i);
        }
        self.roles
            .iter()
            .map(|role| {
                let account = role.arn.as_deref().and_then(|a| a.split(':').nth(4));
                by_name
                    .get(role.name.as_str())
                    .map(|list| {
                        list.iter()
                            .copied()
                            .filter(
                                |&i| match (account, self.assumptions[i].account.as_deref()) {
                                    (Some(x), Some(y)) => x == y,
                                    _ => true,
                                },
                            )
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    }

    /// Adds another map (of another repository), tagging what it holds.
    pub fn absorb(&mut self, mut other: TrustMap, repository: &str) {
        for r in &mut other.roles {
            if r.repository.is_empty() {
                r.repository = repository.to_owned();
            }
        }
        for a in &mut other.assumptions {
            if a.repository.is_empty() {
                a.repository = repository.to_owned();
            }
        }
        self.roles.extend(other.roles);
        self.assumptions.extend(other.assumptions);
    }

    /// Sorts and deduplicates; call once everything is absorbed.
    pub fn sort(&mut self) {
        self.roles.sort_by(|a, b| {
            (&a.repository, &a.name, &a.path, a.line, a.column).cmp(&(
                &b.repository,
                &b.name,
                &b.path,
                b.line,
                b.column,
            ))
        });
        self.roles.dedup();
        self.assumptions.sort_by(|a, b| {
            (&a.repository, &a.path, a.line, a.column).cmp(&(
                &b.repository,
                &b.path,
                b.line,
                b.column,
            ))
        });
        self.assumptions.dedup();
    }
}

/// Most action names listed for a role before "and N more".
const ACTIONS_SHOWN: usize = 4;

/// The trust map of a scan.
pub fn build(files: &[SourceFile], repository: Option<&str>) -> TrustMap {
    let never = crate::rules::workflow_trust::never_admitted(files, repository);
    let mut map = TrustMap::default();
    let trusts = federated(files);
    // One role per trust policy (its statements together).
    let mut groups: Vec<(&SourceFile, Span, Vec<&Federated<'_>>)> = Vec::new();
    for f in &trusts {
        let key = f.policy.span;
        match groups
            .iter_mut()
            .find(|(file, span, _)| file.id == f.file.id && *span == key)
        {
            Some((_, _, list)) => list.push(f),
            None => groups.push((f.file, key, vec![f])),
        }
    }
    for (file, _, statements) in groups {
        let Some(first) = statements.first() else {
            continue;
        };
        let owner = first.policy.owner.as_ref();
        let declared = owner.and_then(|o| {
            roles::of(file)
                .roles
                .iter()
                .find(|r| r.owner_span == o.span)
        });
        let name = match (declared, owner) {
            (Some(r), _) => r.name.clone(),
            (None, Some(o)) => o
                .description
                .strip_prefix("role ")
                .unwrap_or(&o.description)
                .to_owned(),
            (None, None) => file.display.clone(),
        };
        let mut issuers = Vec::new();
        let mut who = Vec::new();
        for f in &statements {
            let issuer = f
                .effective_issuer()
                .map_or("an unresolved identity provider", |i| i.name());
            push_unique(&mut issuers, issuer.to_owned());
            for w in who_of(f) {
                push_unique(&mut who, w);
            }
        }
        let (may, admin) = powers(files, file, first.policy);
        let at = written_at(first);
        let position = file.position(at.start);
        map.roles.push(MappedRole {
            repository: String::new(),
            name,
            arn: declared.and_then(|r| r.arn.clone()),
            issuers,
            who,
            may,
            admin,
            path: file.display.clone(),
            line: position.line,
            column: position.column,
        });
    }
    for file in files {
        let Some(w) = workflow::of(file) else {
            continue;
        };
        for job in &w.jobs {
            for step in job.steps.iter().filter(|s| s.configures_aws_credentials()) {
                let Some(target) = step.input("role-to-assume") else {
                    continue;
                };
                if target.value.is_expression() {
                    continue;
                }
                let Some((account, role)) = parse_target(&target.value.text) else {
                    continue;
                };
                let position = file.position(target.value.span.start);
                map.assumptions.push(Assumption {
                    repository: String::new(),
                    path: file.display.clone(),
                    line: position.line,
                    column: position.column,
                    job: job.id.clone(),
                    role,
                    account,
                    never_admitted: never.contains(&(file.id, target.value.span)),
                });
            }
        }
    }
    map.sort();
    map
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The decisive text of a trust: its first `sub` value, else its principal.
fn written_at(f: &Federated<'_>) -> Span {
    f.on_claim("sub")
        .first()
        .and_then(|c| c.values.first())
        .map_or(f.principal.value.span, |v| v.span)
}

/// Who a federated statement admits, in plain words.
fn who_of(f: &Federated<'_>) -> Vec<String> {
    let Some(issuer) = f.effective_issuer() else {
        return vec!["whoever the unresolved identity provider vouches for".to_owned()];
    };
    let subs: Vec<&Condition> = f.on_claim("sub");
    let mut out = Vec::new();
    for c in &subs {
        let like = c.operator.is_like();
        for v in &c.values {
            out.push(match issuer.kind {
                IssuerKind::GitHub => github_words(&v.text, like),
                kind => other_words(kind, &v.text, like),
            });
        }
    }
    if !out.is_empty() {
        return out;
    }
    // No subject: the other claims that name who the token belongs to.
    let values = |claim: &str| -> Vec<String> {
        f.on_claim(claim)
            .iter()
            .flat_map(|c| c.values.iter().map(|v| v.text.clone()))
            .collect()
    };
    if issuer.kind == IssuerKind::GitHub {
        for r in values("repository") {
            out.push(format!(
                "any branch, tag, environment or pull request of {r}"
            ));
        }
        if out.is_empty() {
            for o in values("repository_owner") {
                out.push(format!("every repository of {o}"));
            }
        }
        for w in values("job_workflow_ref") {
            out.push(format!("jobs running the reusable workflow {w}"));
        }
    }
    if out.is_empty() {
        out.push(issuer.everyone().to_owned());
    }
    out
}

/// A GitHub `sub` pattern in words: "any branch of acme/api", "pull
/// requests of acme/web", "every repository of acme".
fn github_words(pattern: &str, like: bool) -> String {
    if !like && has_wildcard(pattern) {
        return format!(
            "only the literal subject \"{pattern}\" (StringEquals: \"*\" matches itself)"
        );
    }
    let wild = |s: &str| like && has_wildcard(s);
    if pattern == "*" && like {
        return "any GitHub repository in the world".to_owned();
    }
    let Some(rest) = pattern.strip_prefix("repo:") else {
        return format!("subjects matching \"{pattern}\"");
    };
    if like && rest.starts_with(['*', '?']) {
        return "any GitHub repository in the world".to_owned();
    }
    let (repository, tail) = match rest.split_once(':') {
        Some((r, t)) => (r, Some(t)),
        None => (rest, None),
    };
    let Some((owner, name)) = repository.split_once('/') else {
        return format!("subjects matching \"{pattern}\"");
    };
    let owner = owner.split('@').next().unwrap_or(owner);
    if wild(owner) {
        return if owner == "*" {
            "any GitHub repository in the world".to_owned()
        } else {
            format!("repositories of owners matching \"{owner}\"")
        };
    }
    let name_clean = name.split('@').next().unwrap_or(name);
    let scope = if name_clean == "*" && like {
        format!("every repository of {owner}")
    } else if wild(name_clean) {
        format!("repositories of {owner} matching \"{name_clean}\"")
    } else {
        format!("{owner}/{name_clean}")
    };
    let Some(tail) = tail else {
        // `repo:acme/*`: the star also covers every ref.
        return if name.ends_with('*') && like {
            scope
        } else {
            format!("subjects matching \"{pattern}\"")
        };
    };
    let what = if tail == "*" && like {
        "any branch, tag, environment or pull request".to_owned()
    } else if tail == "pull_request" {
        "pull requests".to_owned()
    } else if let Some(env) = tail.strip_prefix("environment:") {
        if env == "*" && like {
            "any environment".to_owned()
        } else if wild(env) {
            format!("environments matching \"{env}\"")
        } else {
            format!("environment {env}")
        }
    } else if let Some(r) = tail.strip_prefix("ref:") {
        ref_words(r, like)
    } else {
        format!("subjects \"{tail}\"")
    };
    format!("{what} of {scope}")
}

fn ref_words(r: &str, like: bool) -> String {
    let wild = |s: &str| like && has_wildcard(s);
    if r == "*" && like {
        return "any branch or tag".to_owned();
    }
    if let Some(b) = r.strip_prefix("refs/heads/") {
        return if b == "*" && like {
            "any branch".to_owned()
        } else if wild(b) {
            format!("branches matching \"{b}\"")
        } else {
            format!("branch {b}")
        };
    }
    if let Some(t) = r.strip_prefix("refs/tags/") {
        return if t == "*" && like {
            "any tag".to_owned()
        } else if wild(t) {
            format!("tags matching \"{t}\"")
        } else {
            format!("tag {t}")
        };
    }
    format!("ref \"{r}\"")
}

fn other_words(kind: IssuerKind, pattern: &str, like: bool) -> String {
    let scope = match grade(kind, pattern, like) {
        Grade::AnyOwner => "any tenant of the issuer",
        Grade::AnyRepo => "every project of one owner",
        Grade::AnyRef { .. } => "any ref of one project",
        Grade::PullRequest => "pull requests",
        Grade::Pinned => "pinned",
    };
    format!("subject \"{pattern}\" ({scope})")
}

/// What the role may do: its identity policies in the same file (same
/// owner), and its managed policies by ARN (AWS's by name, customer managed
/// ones found in the scan).
fn powers(files: &[SourceFile], file: &SourceFile, trust: &Policy) -> (Vec<String>, bool) {
    let Some(owner) = trust.owner.as_ref() else {
        return (vec![unknown()], false);
    };
    let mut policies: Vec<&Policy> = iam::of(file)
        .policies
        .iter()
        .filter(|p| {
            p.role == PolicyRole::Identity && p.owner.as_ref().map(|o| o.span) == Some(owner.span)
        })
        .collect();
    let mut out = Vec::new();
    let mut admin = false;
    for attachment in iam::of(file)
        .attachments
        .iter()
        .filter(|a| a.owner == owner.description)
    {
        let arn = &attachment.policy_arn.text;
        let name = arn.rsplit('/').next().unwrap_or(arn);
        if super::export::is_aws_managed(arn) {
            if matches!(name, "AdministratorAccess" | "IAMFullAccess") {
                admin = true;
                out.push(format!("admin: the AWS managed policy {name}"));
            } else {
                out.push(format!("the AWS managed policy {name}"));
            }
        } else {
            let managed = format!("managed policy {name}");
            let found: Vec<&Policy> = files
                .iter()
                .flat_map(|f| iam::of(f).policies.iter())
                .filter(|p| p.owner.as_ref().is_some_and(|o| o.description == managed))
                .collect();
            if found.is_empty() {
                out.push(format!("the managed policy {name} (not in the scan)"));
            }
            policies.extend(found);
        }
    }
    let statements: Vec<&Statement> = policies
        .iter()
        .flat_map(|p| p.statements.iter())
        .filter(|s| s.is_allow())
        .collect();
    let everywhere = |s: &Statement| s.resources.iter().any(|r| r.text == "*");
    let mut services = Vec::new();
    let mut actions = Vec::new();
    let mut pass_role = Vec::new();
    for s in &statements {
        if s.not_actions.is_some() && everywhere(s) {
            admin = true;
            push_unique(&mut out, "admin: NotAction on \"*\"".to_owned());
            continue;
        }
        for a in &s.actions {
            let lower = a.text.to_ascii_lowercase();
            if (lower == "*" || lower == "*:*") && everywhere(s) {
                admin = true;
                push_unique(&mut out, "admin: \"*\" on \"*\"".to_owned());
            } else if lower == "iam:*" && everywhere(s) {
                admin = true;
                push_unique(&mut out, "admin: \"iam:*\" on \"*\"".to_owned());
            } else if lower.ends_with(":*") || lower == "*" {
                push_unique(&mut services, a.text.clone());
            } else if s.allows_action("iam:PassRole") && lower.starts_with("iam:pass") {
                let on: Vec<&str> = s.resources.iter().map(|r| r.text.as_str()).collect();
                push_unique(&mut pass_role, format!("iam:PassRole on {}", on.join(", ")));
            } else {
                push_unique(&mut actions, a.text.clone());
            }
        }
    }
    if !services.is_empty() {
        out.push(format!("service wildcards: {}", services.join(", ")));
    }
    out.extend(pass_role);
    if !actions.is_empty() {
        let shown = actions
            .iter()
            .take(ACTIONS_SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let more = actions.len().saturating_sub(ACTIONS_SHOWN);
        out.push(if more > 0 {
            format!("{shown} and {more} more")
        } else {
            shown
        });
    }
    if out.is_empty() {
        out.push(unknown());
    }
    (out, admin)
}

fn unknown() -> String {
    "unknown: no permissions in the scan".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_subjects_in_words() {
        let like = |p: &str| github_words(p, true);
        assert_eq!(
            like("repo:acme/api:ref:refs/heads/*"),
            "any branch of acme/api"
        );
        assert_eq!(
            like("repo:acme/api:ref:refs/heads/main"),
            "branch main of acme/api"
        );
        assert_eq!(
            like("repo:acme/web:pull_request"),
            "pull requests of acme/web"
        );
        assert_eq!(like("repo:acme/*"), "every repository of acme");
        assert_eq!(
            like("repo:acme/*:environment:prod"),
            "environment prod of every repository of acme"
        );
        assert_eq!(
            like("repo:acme/api:ref:refs/tags/v*"),
            "tags matching \"v*\" of acme/api"
        );
        assert_eq!(
            like("repo:acme/api:*"),
            "any branch, tag, environment or pull request of acme/api"
        );
        assert_eq!(like("repo:*"), "any GitHub repository in the world");
        assert_eq!(like("*"), "any GitHub repository in the world");
        assert_eq!(
            like("workflow:deploy"),
            "subjects matching \"workflow:deploy\""
        );
        assert!(github_words("repo:acme/*", false).starts_with("only the literal subject"));
        assert_eq!(
            github_words("repo:acme/api:environment:production", false),
            "environment production of acme/api"
        );
    }
}
