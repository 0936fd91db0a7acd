//! Trust policies that federate an OIDC issuer: which issuer each statement
//! trusts and what its conditions really admit, with IAM's semantics —
//! statements OR, operators and keys AND, values OR (the loosest decides),
//! key names case-insensitive, a Deny that narrows an Allow, and operators
//! that are true when the key is absent.

use super::iam::{self, OidcProvider};
use super::oidc::{Grade, Issuer, grade};
use super::policy::{Condition, Policy, PolicyRole, Principal, PrincipalKind, Statement};
use super::value::Val;
use crate::finding::Location;
use crate::source::SourceFile;
use std::path::Path;

/// An Allow statement of a trust policy that lets a Federated principal
/// call `sts:AssumeRoleWithWebIdentity`.
pub struct Federated<'a> {
    pub file: &'a SourceFile,
    pub policy: &'a Policy,
    pub statement: &'a Statement,
    pub principal: &'a Principal,
    /// The issuer, when the principal or a provider in the repository names it.
    pub issuer: Option<Issuer>,
    /// The issuer learnt from the condition keys, when the principal is an
    /// unresolved reference.
    pub key_issuer: Option<Issuer>,
    /// The provider declaration the principal refers to.
    pub provider: Option<(&'a SourceFile, &'a OidcProvider)>,
}

/// Every federated Allow statement in the repository.
pub fn federated(files: &[SourceFile]) -> Vec<Federated<'_>> {
    let providers: Vec<(&SourceFile, &OidcProvider)> = files
        .iter()
        .flat_map(|f| iam::of(f).providers.iter().map(move |p| (f, p)))
        .collect();
    let mut out = Vec::new();
    for file in files {
        for policy in &iam::of(file).policies {
            if policy.role != PolicyRole::Trust {
                continue;
            }
            for statement in &policy.statements {
                let federated_principal = |p: &Principal| p.kind == PrincipalKind::Federated;
                if !statement.is_allow()
                    || !statement
                        .principals
                        .iter()
                        .flatten()
                        .any(federated_principal)
                    || !statement.allows_action("sts:AssumeRoleWithWebIdentity")
                {
                    continue;
                }
                for principal in statement.principals.iter().flatten() {
                    if principal.kind != PrincipalKind::Federated
                        || principal.value.text.contains("saml-provider/")
                    {
                        continue;
                    }
                    let (issuer, provider) = resolve(file, &principal.value.text, &providers);
                    let key_issuer = if issuer.is_none() {
                        issuer_from_keys(statement)
                    } else {
                        None
                    };
                    out.push(Federated {
                        file,
                        policy,
                        statement,
                        principal,
                        issuer,
                        key_issuer,
                        provider,
                    });
                }
            }
        }
    }
    out
}

/// Resolves a principal, preferring a provider in the same file, then in the
/// same directory (a Terraform module), then anywhere.
fn resolve<'a>(
    file: &SourceFile,
    principal: &str,
    providers: &[(&'a SourceFile, &'a OidcProvider)],
) -> (Option<Issuer>, Option<(&'a SourceFile, &'a OidcProvider)>) {
    let dir = |f: &SourceFile| f.path.parent().map(Path::to_path_buf);
    let tiers: [&dyn Fn(&SourceFile) -> bool; 3] = [
        &|f: &SourceFile| f.id == file.id,
        &|f: &SourceFile| dir(f) == dir(file),
        &|_: &SourceFile| true,
    ];
    for tier in tiers {
        let candidates: Vec<_> = providers.iter().filter(|(f, _)| tier(f)).collect();
        if let Some((issuer, found)) =
            super::oidc::resolve(principal, candidates.iter().map(|(_, p)| *p))
        {
            let found = found.and_then(|p| {
                candidates
                    .iter()
                    .find(|(_, c)| std::ptr::eq(*c, p))
                    .map(|(f, p)| (*f, *p))
            });
            return (Some(issuer), found);
        }
    }
    (None, None)
}

fn issuer_from_keys(statement: &Statement) -> Option<Issuer> {
    statement.conditions.iter().find_map(|c| {
        let (prefix, _) = c.key.text.rsplit_once(':')?;
        (prefix.contains('.'))
            .then(|| Issuer::parse(prefix))
            .flatten()
    })
}

/// What the conditions on one claim amount to.
pub enum ClaimState<'a> {
    /// Nothing constrains the claim.
    Missing,
    /// Only operators that are true when the claim is absent (or that admit
    /// everything not listed) constrain it. `pinned_otherwise` when a plain
    /// operator on the claim or a tenant claim pins it anyway.
    AbsentTolerant {
        condition: &'a Condition,
        pinned_otherwise: bool,
    },
    /// Plain operators constrain it; `binding` is the tightest condition.
    Constrained { binding: Vec<&'a Condition> },
}

impl<'a> Federated<'a> {
    /// The issuer the statement is judged against.
    pub fn effective_issuer(&self) -> Option<&Issuer> {
        self.issuer.as_ref().or(self.key_issuer.as_ref())
    }

    pub fn principal_location(&self) -> Location {
        self.principal.value.used_at(self.file)
    }

    /// The condition key for `claim` of the effective issuer, lowercase.
    pub fn claim_key(&self, claim: &str) -> Option<String> {
        self.effective_issuer()
            .map(|i| format!("{}:{claim}", i.key_prefix))
    }

    /// Conditions of the statement on `claim` of the trusted issuer.
    pub fn on_claim(&self, claim: &str) -> Vec<&'a Condition> {
        let Some(key) = self.claim_key(claim) else {
            return Vec::new();
        };
        self.statement
            .conditions
            .iter()
            .filter(|c| c.key.text.eq_ignore_ascii_case(&key))
            .collect()
    }

    /// Conditions whose key names another issuer than the trusted one: they
    /// never apply.
    pub fn mismatched_keys(&self) -> Vec<&'a Condition> {
        let Some(issuer) = &self.issuer else {
            return Vec::new();
        };
        self.statement
            .conditions
            .iter()
            .filter(|c| {
                let Some((prefix, _)) = c.key.text.rsplit_once(':') else {
                    return false;
                };
                looks_like_issuer(prefix) && !prefix.eq_ignore_ascii_case(&issuer.key_prefix)
            })
            .collect()
    }

    pub fn claim_state(&self, claim: &str) -> ClaimState<'a> {
        let conditions = self.on_claim(claim);
        let (tolerant, plain): (Vec<_>, Vec<_>) = conditions
            .into_iter()
            .partition(|c| c.operator.tolerates_absence());
        if plain.is_empty() {
            return match tolerant.first() {
                Some(condition) => ClaimState::AbsentTolerant {
                    condition,
                    pinned_otherwise: self.tenant_pinned(),
                },
                None => ClaimState::Missing,
            };
        }
        if let Some(condition) = tolerant.first() {
            return ClaimState::AbsentTolerant {
                condition,
                pinned_otherwise: true,
            };
        }
        ClaimState::Constrained { binding: plain }
    }

    /// A claim other than `sub` that pins the tenant exactly (e.g. GitHub
    /// `repository_id`), through a plain operator without wildcards.
    pub fn tenant_pinned(&self) -> bool {
        self.tenant_grade().is_some()
    }

    /// The grade that tenant claims alone guarantee.
    fn tenant_grade(&self) -> Option<Grade> {
        let issuer = self.effective_issuer()?;
        let mut best: Option<Grade> = None;
        for claim in issuer.tenant_claims() {
            let key = if claim.contains('/') {
                (*claim).to_owned()
            } else {
                format!("{}:{claim}", issuer.key_prefix)
            };
            let pinned = self.statement.conditions.iter().any(|c| {
                c.key.text.eq_ignore_ascii_case(&key)
                    && !c.operator.tolerates_absence()
                    && !c.values.is_empty()
                    && c.values
                        .iter()
                        .all(|v| !(c.operator.is_like() && has_wildcard(&v.text)))
            });
            if pinned {
                let g = match *claim {
                    "repository_owner_id"
                    | "repository_owner"
                    | "namespace_id"
                    | "namespace_path"
                    | "terraform_organization_id"
                    | "terraform_organization_name"
                    | "organization_slug" => Grade::AnyRepo,
                    _ => Grade::AnyRef {
                        admits_pull_request: false,
                    },
                };
                best = Some(best.map_or(g, |b| b.max(g)));
            }
        }
        best
    }

    /// Deny statements of the same policy that refuse every subject not
    /// matching their patterns: `Deny` + `StringNotLike sub [...]` as the only
    /// condition. Returns the patterns with whether they are wildcards.
    pub fn deny_narrowing(&self, claim: &str) -> Vec<(&'a Val, bool)> {
        let Some(key) = self.claim_key(claim) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for deny in &self.policy.statements {
            if deny.is_allow() || !deny.allows_action("sts:AssumeRoleWithWebIdentity") {
                continue;
            }
            let covers_principal = match &deny.principals {
                None => true,
                Some(ps) => ps.iter().any(|p| {
                    p.kind == PrincipalKind::Everyone
                        || p.value.text == "*"
                        || p.value.text == self.principal.value.text
                }),
            };
            if !covers_principal {
                continue;
            }
            if let [only] = deny.conditions.as_slice()
                && only.key.text.eq_ignore_ascii_case(&key)
                && only.operator.negated
                && only.operator.set.is_none()
            {
                out.extend(only.values.iter().map(|v| (v, only.operator.is_like())));
            }
        }
        out
    }

    /// The effective grade of the subject, and the values that make it so
    /// (the loosest values of the binding condition). `None` when the subject
    /// is missing or only tolerantly constrained (other rules report those).
    pub fn subject_grade(&self) -> Option<(Grade, Vec<&'a Val>)> {
        let issuer = self.effective_issuer()?;
        let kind = issuer.kind;
        let mut candidates: Vec<(Grade, Vec<&'a Val>)> = Vec::new();
        let plain = self
            .on_claim("sub")
            .into_iter()
            .filter(|c| !c.operator.tolerates_absence());
        {
            for condition in plain {
                let graded: Vec<(Grade, &Val)> = condition
                    .values
                    .iter()
                    .map(|v| (grade(kind, &v.text, condition.operator.is_like()), v))
                    .collect();
                if let Some(loosest) = graded.iter().map(|(g, _)| *g).min() {
                    let values = graded
                        .iter()
                        .filter(|(g, _)| *g == loosest)
                        .map(|(_, v)| *v)
                        .collect();
                    candidates.push((loosest, values));
                }
            }
        }
        let deny = self.deny_narrowing("sub");
        if !deny.is_empty() {
            let graded: Vec<(Grade, &Val)> = deny
                .iter()
                .map(|(v, like)| (grade(kind, &v.text, *like), *v))
                .collect();
            if let Some(loosest) = graded.iter().map(|(g, _)| *g).min() {
                candidates.push((
                    loosest,
                    graded
                        .iter()
                        .filter(|(g, _)| *g == loosest)
                        .map(|(_, v)| *v)
                        .collect(),
                ));
            }
        }
        // Conditions AND: the tightest one binds.
        let (mut grade, values) = candidates.into_iter().max_by_key(|(g, _)| *g)?;
        if let Some(tenant) = self.tenant_grade()
            && tenant > grade
        {
            grade = tenant;
        }
        Some((grade, values))
    }
}

/// `*` or `?` outside `${...}` interpolations.
pub fn has_wildcard(text: &str) -> bool {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                depth += 1;
            }
            '}' if depth > 0 => depth -= 1,
            '*' | '?' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Condition key prefixes that name an OIDC issuer (a host), as opposed to
/// global keys such as `aws:` or `sts:`.
pub fn looks_like_issuer(prefix: &str) -> bool {
    prefix.contains('.') && !prefix.contains("${")
}
