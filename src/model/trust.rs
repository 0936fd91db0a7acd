//! Trust policies that federate an OIDC issuer: which issuer each statement
//! trusts and what its conditions really admit, with IAM's semantics —
//! statements OR, operators and keys AND, values OR (the loosest decides),
//! key names case-insensitive, a Deny that narrows an Allow, and operators
//! that are true when the key is absent.

use super::iam::{self, OidcProvider};
use super::oidc::{Grade, Issuer, IssuerKind, Pins, claim_pins, issuer_pins, subject_pins};
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
                    let (mut issuer, provider) = resolve(file, &principal.value.text, &providers);
                    let mut key_issuer = if issuer.is_none() {
                        issuer_from_keys(statement)
                    } else {
                        None
                    };
                    // An unknown host: learn the family from the subjects.
                    let subjects = |i: &Issuer| {
                        let key = format!("{}:sub", i.key_prefix);
                        statement
                            .conditions_on(&key)
                            .flat_map(|c| c.values.iter().map(|v| v.text.clone()))
                            .collect::<Vec<_>>()
                    };
                    for found in [&mut issuer, &mut key_issuer].into_iter().flatten() {
                        let subs = subjects(found);
                        found.refine_by_subjects(subs.iter().map(String::as_str));
                    }
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
            .partition(|c| tolerant_on(claim, &c.operator));
        if plain.is_empty() {
            return match tolerant.first() {
                Some(condition) => ClaimState::AbsentTolerant {
                    condition,
                    pinned_otherwise: !self.claim_conditions().is_empty(),
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

    /// Plain (positive, not absence-tolerant) conditions on the issuer's
    /// claims other than `sub` and the audience, for issuers whose claims
    /// shiplint knows: `(claim, condition)`.
    pub fn claim_conditions(&self) -> Vec<(String, &'a Condition)> {
        let Some(issuer) = self.effective_issuer() else {
            return Vec::new();
        };
        if !matches!(
            issuer.kind,
            IssuerKind::GitHub
                | IssuerKind::GitLab
                | IssuerKind::CircleCi
                | IssuerKind::TerraformCloud
                | IssuerKind::Buildkite
        ) {
            return Vec::new();
        }
        let prefix = format!("{}:", issuer.key_prefix);
        self.statement
            .conditions
            .iter()
            .filter(|c| !c.operator.tolerates_absence() && !c.values.is_empty())
            .filter_map(|c| {
                let key = c.key_lower();
                let claim = key.strip_prefix(&prefix)?;
                (!matches!(claim, "sub" | "aud" | "amr" | "azp" | "iss" | "oaud"))
                    .then(|| (claim.to_owned(), c))
            })
            .collect()
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

    /// The effective grade of the workload identity the statement admits:
    /// the conjunction of its `sub` patterns, its other claim conditions, a
    /// Deny that refuses other subjects, and what the issuer itself pins.
    /// `None` when nothing positive constrains the identity (the subject is
    /// missing or only tolerantly constrained: other rules report those).
    pub fn subject_grade(&self) -> Option<Verdict<'a>> {
        let issuer = self.effective_issuer()?;
        let kind = issuer.kind;
        let mut terms: Vec<Term<'a>> = Vec::new();
        for condition in self.on_claim("sub") {
            if condition.operator.tolerates_absence() || condition.values.is_empty() {
                continue;
            }
            let like = condition.operator.is_like();
            terms.push(Term {
                claim: "sub".to_owned(),
                sub: true,
                values: condition
                    .values
                    .iter()
                    .map(|v| (subject_pins(kind, &v.text, like), v))
                    .collect(),
            });
        }
        let deny = self.deny_narrowing("sub");
        if !deny.is_empty() {
            terms.push(Term {
                claim: "sub".to_owned(),
                sub: true,
                values: deny
                    .iter()
                    .map(|(v, like)| (subject_pins(kind, &v.text, *like), *v))
                    .collect(),
            });
        }
        for (claim, condition) in self.claim_conditions() {
            let like = condition.operator.is_like();
            terms.push(Term {
                values: condition
                    .values
                    .iter()
                    .map(|v| (claim_pins(kind, &claim, &v.text, like), v))
                    .collect(),
                claim,
                sub: false,
            });
        }
        let base = issuer_pins(kind);
        if terms.is_empty() {
            // A per-organisation issuer with no subject condition at all.
            return (base != Pins::default()
                && matches!(self.claim_state("sub"), ClaimState::Missing))
            .then(|| Verdict {
                grade: base.grade(),
                values: Vec::new(),
                claim: String::new(),
            });
        }
        let all = terms.iter().fold(base, |acc, t| acc.and(t.pins()));
        let grade = all.grade();
        // Report at the binding `sub` condition when there is one, else at
        // the claim condition that pins the most.
        let subs = terms.iter().any(|t| t.sub);
        let binding = terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.sub == subs)
            .max_by_key(|(i, t)| (t.pins().grade(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i)?;
        let others = terms
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != binding)
            .fold(base, |acc, (_, t)| acc.and(t.pins()));
        let term = &terms[binding];
        let graded: Vec<(Grade, &'a Val)> = term
            .values
            .iter()
            .map(|(p, v)| (p.and(others).grade(), *v))
            .collect();
        let loosest = graded.iter().map(|(g, _)| *g).min()?;
        Some(Verdict {
            grade,
            values: graded
                .into_iter()
                .filter(|(g, _)| *g == loosest)
                .map(|(_, v)| v)
                .collect(),
            claim: term.claim.clone(),
        })
    }
}

/// Whether `op` on `claim` can be true for a token that does not carry the
/// claim, or admits every value it does not list.
///
/// `aud` is always in the request: STS accepts a web identity token only
/// when its audience is one of the provider's client ids, before any
/// condition is evaluated. `ForAllValues:` with a positive operator then
/// requires every audience of the token to be listed, as strict as the plain
/// operator; terraform-aws-modules/iam writes its GitHub and Bitbucket
/// trusts that way.
fn tolerant_on(claim: &str, op: &super::policy::Operator) -> bool {
    if claim == "aud"
        && op.set == Some(super::policy::SetQualifier::ForAllValues)
        && !op.negated
        && !op.if_exists
        && op.base != "null"
    {
        return false;
    }
    op.tolerates_absence()
}

/// One condition of a statement on a claim, each value with what it pins.
struct Term<'a> {
    claim: String,
    sub: bool,
    values: Vec<(Pins, &'a Val)>,
}

impl Term<'_> {
    /// Values OR: what every value guarantees.
    fn pins(&self) -> Pins {
        self.values
            .iter()
            .map(|(p, _)| *p)
            .reduce(Pins::or)
            .unwrap_or_default()
    }
}

/// What a statement admits, and where to say so.
pub struct Verdict<'a> {
    pub grade: Grade,
    /// The loosest values of the binding condition; empty when only the
    /// issuer binds (report at the principal).
    pub values: Vec<&'a Val>,
    /// The claim those values constrain (`sub`, `repository_owner_id`...).
    pub claim: String,
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
