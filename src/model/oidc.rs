//! OIDC federation: which issuer a trust policy trusts, and how broad a
//! subject pattern is — graded by who could present a matching token.

use super::iam::OidcProvider;
use super::policy::wildcard_match;

/// A known issuer family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerKind {
    GitHub,
    GitLab,
    TerraformCloud,
    CircleCi,
    Bitbucket,
    Buildkite,
    Google,
    Cognito,
    Eks,
    Other,
}

/// An issuer as it appears in condition keys: host and path, no scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// Lowercase, e.g. `token.actions.githubusercontent.com`.
    pub key_prefix: String,
    pub kind: IssuerKind,
}

impl Issuer {
    /// Reads an issuer from a URL, a provider ARN's `oidc-provider/...` part,
    /// a built-in federated principal, or a condition key's prefix.
    pub fn parse(text: &str) -> Option<Issuer> {
        let mut t = text.trim();
        if let Some(i) = t.find("oidc-provider/") {
            t = &t[i + "oidc-provider/".len()..];
        }
        let t = t
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        // An unresolved org id is one organisation: still CircleCI.
        let circleci_org = t
            .to_ascii_lowercase()
            .strip_prefix("oidc.circleci.com/org/")
            .is_some_and(|org| org.starts_with("${") && org.ends_with('}') && !org.contains('/'));
        if t.is_empty() || (t.contains("${") && !circleci_org) || t.contains('*') {
            return None;
        }
        let key_prefix = t.to_ascii_lowercase();
        let kind = kind_of(&key_prefix);
        Some(Issuer { key_prefix, kind })
    }

    /// Shared (multi-tenant) issuers: anyone can get a token from them, so a
    /// role that trusts one must pin the tenant.
    pub fn is_shared(&self) -> bool {
        match self.kind {
            IssuerKind::GitHub => {
                // GHE.com tenants and GHES hosts are private to one company.
                self.key_prefix
                    .starts_with("token.actions.githubusercontent.com")
            }
            IssuerKind::GitLab => self.key_prefix == "gitlab.com",
            IssuerKind::TerraformCloud => self.key_prefix == "app.terraform.io",
            IssuerKind::Buildkite | IssuerKind::Google | IssuerKind::Cognito => true,
            IssuerKind::CircleCi | IssuerKind::Bitbucket | IssuerKind::Eks | IssuerKind::Other => {
                false
            }
        }
    }

    /// Claims other than `sub` that pin the tenant on their own.
    pub fn tenant_claims(&self) -> &'static [&'static str] {
        match self.kind {
            IssuerKind::GitHub => &[
                "repository_id",
                "repository_owner_id",
                "repository",
                "repository_owner",
            ],
            IssuerKind::GitLab => &[
                "project_id",
                "project_path",
                "namespace_id",
                "namespace_path",
            ],
            IssuerKind::TerraformCloud => {
                &["terraform_organization_id", "terraform_organization_name"]
            }
            IssuerKind::CircleCi => &["oidc.circleci.com/project-id"],
            IssuerKind::Buildkite => &["organization_slug", "pipeline_slug"],
            IssuerKind::Cognito => &["aud"],
            _ => &[],
        }
    }

    /// The audience a well-configured role pins, when the issuer has one.
    pub fn expected_audience(&self) -> Option<&'static str> {
        match self.kind {
            IssuerKind::GitHub | IssuerKind::Buildkite | IssuerKind::Eks => {
                Some("sts.amazonaws.com")
            }
            IssuerKind::TerraformCloud => Some("aws.workload.identity"),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            IssuerKind::GitHub => "GitHub Actions",
            IssuerKind::GitLab => "GitLab",
            IssuerKind::TerraformCloud => "HCP Terraform",
            IssuerKind::CircleCi => "CircleCI",
            IssuerKind::Bitbucket => "Bitbucket Pipelines",
            IssuerKind::Buildkite => "Buildkite",
            IssuerKind::Google => "Google",
            IssuerKind::Cognito => "Cognito",
            IssuerKind::Eks => "EKS",
            IssuerKind::Other => "this issuer",
        }
    }

    /// Who "any tenant" is, for messages.
    pub fn everyone(&self) -> &'static str {
        match self.kind {
            IssuerKind::GitHub => "any GitHub repository in the world",
            IssuerKind::GitLab => "any gitlab.com project",
            IssuerKind::TerraformCloud => "any HCP Terraform workspace",
            IssuerKind::Buildkite => "any Buildkite pipeline",
            IssuerKind::Google => "any Google account",
            IssuerKind::Cognito => "any Cognito identity of any pool",
            _ => "any tenant of this issuer",
        }
    }
}

fn kind_of(prefix: &str) -> IssuerKind {
    if prefix.starts_with("token.actions.githubusercontent.com")
        || (prefix.starts_with("token.actions.") && prefix.ends_with(".ghe.com"))
        || prefix.ends_with("/_services/token")
    {
        IssuerKind::GitHub
    } else if prefix == "gitlab.com" || prefix.starts_with("gitlab.") {
        IssuerKind::GitLab
    } else if prefix == "app.terraform.io" {
        IssuerKind::TerraformCloud
    } else if prefix.starts_with("oidc.circleci.com/org/") {
        IssuerKind::CircleCi
    } else if prefix.starts_with("api.bitbucket.org/") {
        IssuerKind::Bitbucket
    } else if prefix == "agent.buildkite.com" {
        IssuerKind::Buildkite
    } else if prefix == "accounts.google.com" {
        IssuerKind::Google
    } else if prefix == "cognito-identity.amazonaws.com" {
        IssuerKind::Cognito
    } else if prefix.starts_with("oidc.eks.") {
        IssuerKind::Eks
    } else {
        IssuerKind::Other
    }
}

/// Resolves a Federated principal to an issuer: a provider ARN or built-in
/// issuer written out, or a reference to a provider declared in the
/// repository (`${GitHubOidc}`, `${GitHubOidc.Arn}`,
/// `${aws_iam_openid_connect_provider.github.arn}`). `None` when unresolved.
pub fn resolve<'p>(
    principal: &str,
    providers: impl IntoIterator<Item = &'p OidcProvider>,
) -> Option<(Issuer, Option<&'p OidcProvider>)> {
    if let Some(issuer) = Issuer::parse(principal) {
        return Some((issuer, None));
    }
    // `arn:...:oidc-provider/${Var}`-style: unresolvable.
    let reference = principal.strip_prefix("${")?.strip_suffix('}')?;
    let target = reference
        .strip_suffix(".arn")
        .or_else(|| reference.strip_suffix(".Arn"))
        .unwrap_or(reference);
    let target = target
        .strip_prefix("aws_iam_openid_connect_provider.")
        .map_or(target.to_owned(), |name| {
            format!("aws_iam_openid_connect_provider.{name}")
        });
    providers
        .into_iter()
        .find(|p| p.name == target)
        .and_then(|p| Issuer::parse(&p.url.text).map(|i| (i, Some(p))))
}

/// How many principals a subject pattern admits, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grade {
    /// Subjects of any owner/organisation.
    AnyOwner,
    /// Any repository or project of one owner.
    AnyRepo,
    /// One repository, any ref, event or environment.
    AnyRef { admits_pull_request: bool },
    /// Exactly the pull-request subject.
    PullRequest,
    /// A protected ref, an environment, or an exact subject.
    Pinned,
}

/// Grades a `sub` pattern for `issuer`. `wildcards` is true for `StringLike`
/// (where `*` and `?` match), false for `StringEquals` (literal).
pub fn grade(issuer: IssuerKind, pattern: &str, wildcards: bool) -> Grade {
    let literal = if wildcards {
        let end = pattern.find(['*', '?']).unwrap_or(pattern.len());
        &pattern[..end]
    } else {
        pattern
    };
    let exact = literal.len() == pattern.len();
    match issuer {
        IssuerKind::GitHub => github(pattern, literal, exact),
        IssuerKind::GitLab => path_levels(literal, exact, "project_path:", '/', ':'),
        IssuerKind::TerraformCloud => colon_levels(
            pattern,
            literal,
            exact,
            "organization:",
            ":workspace:",
            ":run_phase:",
        ),
        IssuerKind::Buildkite => colon_levels(
            pattern,
            literal,
            exact,
            "organization:",
            ":pipeline:",
            ":ref:",
        ),
        IssuerKind::CircleCi => {
            if exact {
                Grade::Pinned
            } else if !literal.starts_with("org/") || literal["org/".len()..].find('/').is_none() {
                Grade::AnyOwner
            } else if literal
                .find("/project/")
                .is_none_or(|i| literal[i + "/project/".len()..].find('/').is_none())
            {
                Grade::AnyRepo
            } else {
                Grade::Pinned
            }
        }
        IssuerKind::Bitbucket => {
            if exact || literal.contains("}:") {
                Grade::Pinned
            } else {
                Grade::AnyRepo
            }
        }
        IssuerKind::Google => {
            if exact {
                Grade::Pinned
            } else {
                Grade::AnyOwner
            }
        }
        IssuerKind::Eks => {
            if exact {
                Grade::Pinned
            } else {
                match literal.strip_prefix("system:serviceaccount:") {
                    Some(rest) if rest.contains(':') => Grade::AnyRef {
                        admits_pull_request: false,
                    },
                    _ => Grade::AnyRepo,
                }
            }
        }
        IssuerKind::Cognito | IssuerKind::Other => Grade::Pinned,
    }
}

fn github(pattern: &str, literal: &str, exact: bool) -> Grade {
    if exact {
        return if pattern.ends_with(":pull_request") {
            Grade::PullRequest
        } else {
            Grade::Pinned
        };
    }
    // Custom subject templates may lead with other claims; find `repo:`.
    let start = literal.find("repo:");
    let Some(start) = start else {
        if "repo:".starts_with(literal) || literal.is_empty() {
            return Grade::AnyOwner;
        }
        // A customised template: ids pin as well as names.
        if has_claim_value(literal, "repository_id:") {
            return Grade::AnyRef {
                admits_pull_request: false,
            };
        }
        if has_claim_value(literal, "repository_owner_id:")
            || has_claim_value(literal, "repository_owner:")
        {
            return Grade::AnyRepo;
        }
        return Grade::AnyOwner;
    };
    let rest = &literal[start + "repo:".len()..];
    let Some(slash) = rest.find('/') else {
        return Grade::AnyOwner;
    };
    let Some(colon) = rest[slash + 1..].find(':') else {
        return Grade::AnyRepo;
    };
    let repo = &literal[..start + "repo:".len() + slash + 1 + colon];
    let admits_pull_request = wildcard_match(pattern, &format!("{repo}:pull_request"));
    Grade::AnyRef {
        admits_pull_request,
    }
}

/// `claim:value:` with a non-empty value in `literal`.
fn has_claim_value(literal: &str, claim: &str) -> bool {
    literal
        .find(claim)
        .map(|i| &literal[i + claim.len()..])
        .is_some_and(|rest| rest.find(':').is_some_and(|end| end > 0))
}

/// GitLab-like: `PREFIX group[/sub...]/project SEP ...`.
fn path_levels(
    literal: &str,
    exact: bool,
    prefix: &str,
    owner_end: char,
    project_end: char,
) -> Grade {
    if exact {
        return Grade::Pinned;
    }
    let Some(rest) = literal.strip_prefix(prefix) else {
        return Grade::AnyOwner;
    };
    if !rest.contains(owner_end) {
        return Grade::AnyOwner;
    }
    if !rest.contains(project_end) {
        return Grade::AnyRepo;
    }
    Grade::AnyRef {
        admits_pull_request: false,
    }
}

/// TFC / Buildkite-like: `organization:ORG:...REPO_MARK NAME:...REF_MARK...`.
fn colon_levels(
    pattern: &str,
    literal: &str,
    exact: bool,
    prefix: &str,
    repo_mark: &str,
    ref_mark: &str,
) -> Grade {
    if exact {
        return Grade::Pinned;
    }
    let Some(rest) = literal.strip_prefix(prefix) else {
        return Grade::AnyOwner;
    };
    if !rest.contains(':') {
        return Grade::AnyOwner;
    }
    let pinned_repo = literal
        .find(repo_mark)
        .is_some_and(|i| literal[i + repo_mark.len()..].contains(':'));
    if !pinned_repo {
        return Grade::AnyRepo;
    }
    // The repository-level field is pinned; is anything after it open?
    if literal.contains(ref_mark) && !pattern.ends_with(":*") {
        Grade::Pinned
    } else if literal.contains(ref_mark) || pattern.ends_with(":*") {
        Grade::AnyRef {
            admits_pull_request: false,
        }
    } else {
        Grade::Pinned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gh(p: &str) -> Grade {
        grade(IssuerKind::GitHub, p, true)
    }

    #[test]
    fn github_subjects() {
        assert_eq!(gh("*"), Grade::AnyOwner);
        assert_eq!(gh("repo:*"), Grade::AnyOwner);
        assert_eq!(gh("repo:acme*"), Grade::AnyOwner);
        assert_eq!(gh("repo:*/infra:*"), Grade::AnyOwner);
        assert_eq!(gh("repo:acme/*"), Grade::AnyRepo);
        assert_eq!(gh("repo:acme/*:ref:refs/heads/main"), Grade::AnyRepo);
        assert_eq!(gh("repo:acme/app*"), Grade::AnyRepo);
        assert_eq!(
            gh("repo:acme/app:*"),
            Grade::AnyRef {
                admits_pull_request: true
            }
        );
        assert_eq!(
            gh("repo:acme/app:ref:refs/heads/*"),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(
            gh("repo:acme/app:environment:*"),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(gh("repo:acme/app:ref:refs/heads/main"), Grade::Pinned);
        assert_eq!(gh("repo:acme/app:pull_request"), Grade::PullRequest);
        assert_eq!(
            gh("repo:acme@1234/app@5678:ref:refs/heads/main"),
            Grade::Pinned
        );
        assert_eq!(gh("repo:acme@1234/*"), Grade::AnyRepo);
        assert_eq!(gh("repo:${var.org}/app:ref:refs/heads/main"), Grade::Pinned);
        assert_eq!(gh("repo:${var.org}/*"), Grade::AnyRepo);
        assert_eq!(
            gh("repo:acme/app:ref:refs/heads/releas?"),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(gh("repository_owner_id:42:*"), Grade::AnyRepo);
        assert_eq!(
            gh("repository_owner_id:42:repository_id:7:*"),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(gh("job_workflow_ref:*"), Grade::AnyOwner);
        // StringEquals: a star is a literal character.
        assert_eq!(
            grade(IssuerKind::GitHub, "repo:acme/*", false),
            Grade::Pinned
        );
    }

    #[test]
    fn other_issuers() {
        assert_eq!(
            grade(IssuerKind::GitLab, "project_path:*", true),
            Grade::AnyOwner
        );
        assert_eq!(
            grade(IssuerKind::GitLab, "project_path:group/*", true),
            Grade::AnyRepo
        );
        assert_eq!(
            grade(
                IssuerKind::GitLab,
                "project_path:group/app:ref_type:branch:ref:*",
                true
            ),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(
            grade(IssuerKind::TerraformCloud, "organization:acme*", true),
            Grade::AnyOwner
        );
        assert_eq!(
            grade(
                IssuerKind::TerraformCloud,
                "organization:acme:project:infra:workspace:*",
                true
            ),
            Grade::AnyRepo
        );
        assert_eq!(
            grade(
                IssuerKind::TerraformCloud,
                "organization:acme:project:infra:workspace:prod:run_phase:*",
                true
            ),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        assert_eq!(
            grade(
                IssuerKind::TerraformCloud,
                "organization:acme:project:infra:workspace:prod:run_phase:apply",
                true
            ),
            Grade::Pinned
        );
        assert_eq!(
            grade(IssuerKind::CircleCi, "org/abc/project/*", true),
            Grade::AnyRepo
        );
        assert_eq!(
            grade(IssuerKind::CircleCi, "org/abc/project/def/user/*", true),
            Grade::Pinned
        );
        assert_eq!(
            grade(IssuerKind::Buildkite, "organization:acme:pipeline:*", true),
            Grade::AnyRepo
        );
    }

    #[test]
    fn issuers_parse_and_resolve() {
        let gh = Issuer::parse(
            "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com",
        )
        .expect("issuer");
        assert_eq!(gh.kind, IssuerKind::GitHub);
        assert!(gh.is_shared());
        let ghes = Issuer::parse("https://github.example.com/_services/token").expect("issuer");
        assert_eq!(ghes.kind, IssuerKind::GitHub);
        assert!(!ghes.is_shared());
        assert!(Issuer::parse("arn:aws:iam::${AWS::AccountId}:oidc-provider/${Issuer}").is_none());
        assert_eq!(
            Issuer::parse("arn:aws:iam::${AWS::AccountId}:oidc-provider/gitlab.com")
                .map(|i| i.kind),
            Some(IssuerKind::GitLab)
        );
    }
}
