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
            // GHEC's unique issuer (`.../<enterprise>`), GHE.com tenants and
            // GHES hosts are private to one enterprise.
            IssuerKind::GitHub => self.key_prefix == "token.actions.githubusercontent.com",
            IssuerKind::GitLab => self.key_prefix == "gitlab.com",
            IssuerKind::TerraformCloud => self.key_prefix == "app.terraform.io",
            IssuerKind::Buildkite | IssuerKind::Google | IssuerKind::Cognito => true,
            IssuerKind::CircleCi | IssuerKind::Bitbucket | IssuerKind::Eks | IssuerKind::Other => {
                false
            }
        }
    }

    /// A self-hosted issuer on a host shiplint does not know (GitLab
    /// self-managed, Terraform Enterprise, a GHES host without its
    /// `/_services/token` path): recognised by the grammar of the subjects
    /// the policy expects, and graded like its family.
    pub fn refine_by_subjects<'s>(&mut self, subjects: impl IntoIterator<Item = &'s str>) {
        if self.kind != IssuerKind::Other {
            return;
        }
        if let Some(kind) = subjects.into_iter().find_map(family_of_subject) {
            self.kind = kind;
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

    /// What a repository is called on this issuer, for messages.
    pub fn repository_noun(&self) -> &'static str {
        match self.kind {
            IssuerKind::GitLab | IssuerKind::CircleCi => "project",
            IssuerKind::TerraformCloud => "workspace",
            IssuerKind::Buildkite => "pipeline",
            _ => "repository",
        }
    }

    /// Who "any tenant" is, for messages.
    pub fn everyone(&self) -> &'static str {
        if !self.is_shared() {
            return match self.kind {
                IssuerKind::GitHub if self.key_prefix.starts_with("token.actions.") => {
                    "any repository of this GitHub enterprise"
                }
                IssuerKind::GitHub => "any repository of this GitHub Enterprise server",
                IssuerKind::GitLab => "any project of this GitLab instance",
                IssuerKind::TerraformCloud => "any workspace of this Terraform Enterprise",
                _ => "any tenant of this issuer",
            };
        }
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

/// The issuer family a subject's grammar belongs to.
fn family_of_subject(subject: &str) -> Option<IssuerKind> {
    let s = subject.trim_start_matches('*');
    if s.starts_with("project_path:") {
        Some(IssuerKind::GitLab)
    } else if s.starts_with("repo:")
        || s.starts_with("repository_owner_id:")
        || s.starts_with("repository_owner:")
        || s.starts_with("repository_id:")
        || s.starts_with("repository:")
    {
        Some(IssuerKind::GitHub)
    } else if s.starts_with("organization:") && s.contains(":workspace:") {
        Some(IssuerKind::TerraformCloud)
    } else if s.starts_with("organization:") && s.contains(":pipeline:") {
        Some(IssuerKind::Buildkite)
    } else if s.starts_with("system:serviceaccount:") {
        Some(IssuerKind::Eks)
    } else {
        None
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

/// What a statement pins of the ref, event or environment, loosest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Refs {
    /// Any ref, environment or event, pull requests included.
    #[default]
    AnyWithPullRequests,
    /// Any ref or environment, but not pull requests.
    Any,
    /// Only the pull-request subject.
    PullRequest,
    /// A ref or an environment.
    Pinned,
}

/// What one condition value (or a whole statement) pins of the identity of
/// the token's workload. Conditions AND, so pins of several conditions
/// combine with [`Pins::and`]; values OR, so the loosest value decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pins {
    /// The owner (organisation, group, namespace) is pinned.
    pub owner: bool,
    /// The repository (project, workspace, pipeline) is pinned.
    pub repo: bool,
    pub refs: Refs,
    /// What a `job_workflow_ref` pin guarantees on its own (GitHub's
    /// reusable deployment workflows): a separate dimension, since it names
    /// the called workflow, not the calling repository.
    pub workflow: Grade,
}

impl Default for Pins {
    fn default() -> Pins {
        Pins {
            owner: false,
            repo: false,
            refs: Refs::default(),
            workflow: Grade::AnyOwner,
        }
    }
}

impl Pins {
    pub const OWNER: Pins = Pins {
        owner: true,
        repo: false,
        refs: Refs::AnyWithPullRequests,
        workflow: Grade::AnyOwner,
    };
    pub const REPO: Pins = Pins {
        owner: true,
        repo: true,
        refs: Refs::AnyWithPullRequests,
        workflow: Grade::AnyOwner,
    };
    pub const PINNED: Pins = Pins {
        owner: true,
        repo: true,
        refs: Refs::Pinned,
        workflow: Grade::AnyOwner,
    };
    fn refs(refs: Refs) -> Pins {
        Pins {
            refs,
            ..Pins::default()
        }
    }

    /// Both restrictions at once (conditions AND).
    pub fn and(self, other: Pins) -> Pins {
        Pins {
            owner: self.owner || other.owner,
            repo: self.repo || other.repo,
            refs: self.refs.max(other.refs),
            workflow: self.workflow.max(other.workflow),
        }
    }

    /// Either restriction (values OR): what both guarantee.
    pub fn or(self, other: Pins) -> Pins {
        Pins {
            owner: self.owner && other.owner,
            repo: self.repo && other.repo,
            refs: self.refs.min(other.refs),
            workflow: self.workflow.min(other.workflow),
        }
    }

    /// Who could present a matching token. A ref or environment pin means
    /// nothing without the repository (anyone names their own branches),
    /// and the repository nothing without the owner.
    pub fn grade(self) -> Grade {
        let caller = if !self.owner {
            Grade::AnyOwner
        } else if !self.repo {
            Grade::AnyRepo
        } else {
            match self.refs {
                Refs::AnyWithPullRequests => Grade::AnyRef {
                    admits_pull_request: true,
                },
                Refs::Any => Grade::AnyRef {
                    admits_pull_request: false,
                },
                Refs::PullRequest => Grade::PullRequest,
                Refs::Pinned => Grade::Pinned,
            }
        };
        caller.max(self.workflow)
    }

    fn from_grade(grade: Grade) -> Pins {
        match grade {
            Grade::AnyOwner => Pins::default(),
            Grade::AnyRepo => Pins::OWNER,
            Grade::AnyRef {
                admits_pull_request: true,
            } => Pins::REPO,
            Grade::AnyRef {
                admits_pull_request: false,
            } => Pins {
                refs: Refs::Any,
                ..Pins::REPO
            },
            Grade::PullRequest => Pins {
                refs: Refs::PullRequest,
                ..Pins::REPO
            },
            Grade::Pinned => Pins::PINNED,
        }
    }
}

/// Grades a `sub` pattern for `issuer`. `wildcards` is true for `StringLike`
/// (where `*` and `?` match), false for `StringEquals` (literal).
pub fn grade(issuer: IssuerKind, pattern: &str, wildcards: bool) -> Grade {
    subject_pins(issuer, pattern, wildcards).grade()
}

/// The literal part of a pattern: up to its first wildcard outside a
/// `${...}` interpolation (the whole pattern for literal operators).
fn literal_prefix(pattern: &str, wildcards: bool) -> &str {
    if !wildcards {
        return pattern;
    }
    let mut depth = 0usize;
    let mut prev = '\0';
    for (i, c) in pattern.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            '*' | '?' if depth == 0 => return &pattern[..i],
            _ => {}
        }
        prev = c;
    }
    pattern
}

/// Splits on `:` outside `${...}` interpolations (`${AWS::StackName}`).
fn split_claims(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut prev = '\0';
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    out.push(&text[start..]);
    out
}

/// What a `sub` pattern pins, for `issuer`.
pub fn subject_pins(issuer: IssuerKind, pattern: &str, wildcards: bool) -> Pins {
    let literal = literal_prefix(pattern, wildcards);
    let exact = literal.len() == pattern.len();
    // `*` alone admits every subject of any issuer.
    if literal.is_empty() && !exact {
        return Pins::default();
    }
    match issuer {
        IssuerKind::GitHub => github(pattern, literal, exact),
        IssuerKind::GitLab => {
            Pins::from_grade(path_levels(literal, exact, "project_path:", '/', ':'))
        }
        IssuerKind::TerraformCloud => Pins::from_grade(colon_levels(
            pattern,
            literal,
            exact,
            "organization:",
            ":workspace:",
            ":run_phase:",
        )),
        IssuerKind::Buildkite => Pins::from_grade(colon_levels(
            pattern,
            literal,
            exact,
            "organization:",
            ":pipeline:",
            ":ref:",
        )),
        IssuerKind::CircleCi => {
            // The issuer is the organisation: every subject is of its owner.
            if exact
                || literal
                    .find("/project/")
                    .is_some_and(|i| literal[i + "/project/".len()..].contains('/'))
            {
                Pins::PINNED
            } else {
                Pins::OWNER
            }
        }
        IssuerKind::Bitbucket => {
            // `{REPO_UUID}:{STEP_UUID}` or `{REPO_UUID}:{ENV_UUID}:{STEP_UUID}`;
            // the issuer is the workspace. The step id changes every run, so
            // `{REPO}:{ENV}:*` pins a deployment environment.
            // A closed `{...}` group is a whole UUID: `{REPO}*` is `{REPO}:*`.
            let groups = literal.matches('}').count();
            if exact || groups >= 2 {
                Pins::PINNED
            } else if groups == 1 {
                Pins::REPO
            } else {
                Pins::OWNER
            }
        }
        IssuerKind::Google => {
            if exact {
                Pins::PINNED
            } else {
                Pins::default()
            }
        }
        IssuerKind::Eks => {
            if exact {
                Pins::PINNED
            } else {
                match literal.strip_prefix("system:serviceaccount:") {
                    Some(rest) if rest.contains(':') => Pins {
                        refs: Refs::Any,
                        ..Pins::REPO
                    },
                    _ => Pins::OWNER,
                }
            }
        }
        IssuerKind::Cognito | IssuerKind::Other => Pins::PINNED,
    }
}

/// GitHub subjects: the default `repo:OWNER/REPO:CONTEXT`, or a custom
/// template of `claim:value` pairs in the order the owner chose. A claim
/// pins only when its whole value is literal (followed by `:` in the
/// literal part, or the pattern is exact).
fn github(pattern: &str, literal: &str, exact: bool) -> Pins {
    let tokens = split_claims(literal);
    let last = tokens.len() - 1;
    let complete = |i: usize| i < last || exact;
    let mut pins = Pins::default();
    let mut context_seen = false;
    let mut free_text = false;
    // The literal up to the end of the last claim that names the repository:
    // where a default template's context (`pull_request`) would follow.
    let mut repo_end: Option<usize> = None;
    let offset = |i: usize| -> usize { tokens[..i].iter().map(|t| t.len() + 1).sum::<usize>() };
    let mut i = 0;
    while i <= last {
        let name = tokens[i];
        let value = tokens.get(i + 1).copied();
        let value_complete = complete(i + 1) && value.is_some();
        match name {
            "pull_request" if complete(i) => {
                pins.refs = pins.refs.max(Refs::PullRequest);
                context_seen = true;
                i += 1;
                continue;
            }
            "context" => {
                i += 1;
                continue;
            }
            "repo" | "repository" => {
                if let Some(v) = value {
                    let (owner, repo) = v.split_once('/').unwrap_or((v, ""));
                    if value_complete {
                        pins.owner |= !owner.is_empty();
                        pins.repo |= !owner.is_empty() && !repo.is_empty();
                        if pins.repo {
                            repo_end = Some(offset(i + 2));
                        }
                    } else if v.contains('/') && !owner.is_empty() {
                        pins.owner = true;
                    }
                }
            }
            "repository_id" if value_complete && value.is_some_and(|v| !v.is_empty()) => {
                pins.owner = true;
                pins.repo = true;
                repo_end = Some(offset(i + 2));
            }
            "repository_owner" | "repository_owner_id"
                if value_complete && value.is_some_and(|v| !v.is_empty()) =>
            {
                pins.owner = true;
            }
            "ref" | "environment" => {
                context_seen = true;
                if value_complete && value.is_some_and(|v| !v.is_empty()) {
                    pins.refs = Refs::Pinned;
                }
            }
            "job_workflow_ref" => {
                if let Some(v) = value {
                    pins.workflow = pins.workflow.max(workflow_ref(v, !value_complete).grade());
                }
            }
            // A workflow's name is free text chosen by whoever writes the
            // workflow, colons included: an attacker can name theirs
            // `x:repo:acme/app:ref:refs/heads/main`, so nothing after it
            // pins anything.
            "workflow" => {
                free_text = true;
                break;
            }
            _ => {}
        }
        i += 2;
    }
    // A literal tail after the last wildcard may still pin the context:
    // `repo:acme/*:ref:refs/heads/main`.
    if !exact
        && !free_text
        && let Some(tail) = pattern.rsplit(['*', '?']).next()
    {
        let tail = split_claims(tail);
        if tail
            .windows(2)
            .any(|w| matches!(w[0], "ref" | "environment") && !w[1].is_empty())
        {
            pins.refs = Refs::Pinned;
        }
    }
    if pins.refs < Refs::PullRequest {
        if exact {
            // An exact subject without a context: the owner's own template.
            if !context_seen {
                pins.refs = Refs::Pinned;
            }
        } else {
            let admits_pull_request = repo_end.is_some_and(|end| {
                literal
                    .get(..end)
                    .is_some_and(|head| wildcard_match(pattern, &format!("{head}pull_request")))
            });
            pins.refs = if admits_pull_request {
                Refs::AnyWithPullRequests
            } else {
                Refs::Any
            };
        }
    }
    // A value that is not a `claim:value` subject (no `:`) matches no
    // GitHub token: the condition is dead, not open.
    if exact && !pattern.contains(':') {
        return Pins::PINNED;
    }
    pins
}

/// A `job_workflow_ref` value `OWNER/REPO/PATH@REF`, graded as what it
/// pins of the called workflow. `open` when the value continues with a
/// wildcard.
fn workflow_ref(value: &str, open: bool) -> Pins {
    let parts: Vec<&str> = value.splitn(3, '/').collect();
    let owner = parts.first().is_some_and(|o| !o.is_empty()) && parts.len() >= 2;
    let repo = owner && parts.len() == 3;
    if !open && repo {
        return Pins::PINNED;
    }
    let pinned_ref = value
        .split_once('@')
        .is_some_and(|(_, r)| !r.is_empty() && !open);
    Pins {
        owner,
        repo,
        refs: if pinned_ref {
            Refs::Pinned
        } else {
            Refs::AnyWithPullRequests
        },
        workflow: Grade::AnyOwner,
    }
}

/// What a condition on a claim other than `sub` pins, for one value.
/// `wildcards` as for [`grade`]. Claims nobody but the owner controls
/// (ids, owner and repository names) pin; claims every owner chooses for
/// their own repositories (`environment`, `ref`, `workflow`...) pin the
/// ref or environment only, which means something only once the
/// repository is pinned.
pub fn claim_pins(issuer: IssuerKind, claim: &str, value: &str, wildcards: bool) -> Pins {
    let literal = literal_prefix(value, wildcards);
    let exact = literal.len() == value.len() && !value.is_empty();
    let claim = claim.to_ascii_lowercase();
    let claim = claim.rsplit(':').next().unwrap_or("");
    let owner_path = |sep: char| {
        if exact {
            Pins::REPO
        } else if literal.split_once(sep).is_some_and(|(o, _)| !o.is_empty()) {
            Pins::OWNER
        } else {
            Pins::default()
        }
    };
    let truthy = exact && value.eq_ignore_ascii_case("true");
    match (issuer, claim) {
        (IssuerKind::GitHub, "repository_owner" | "repository_owner_id")
        | (IssuerKind::GitLab, "namespace_id" | "namespace_path")
        | (
            IssuerKind::TerraformCloud,
            "terraform_organization_id" | "terraform_organization_name",
        )
        | (IssuerKind::Buildkite, "organization_slug" | "organization_id") => {
            if exact {
                Pins::OWNER
            } else {
                Pins::default()
            }
        }
        (IssuerKind::GitHub, "repository") | (IssuerKind::GitLab, "project_path") => {
            owner_path('/')
        }
        (IssuerKind::GitHub, "repository_id")
        | (IssuerKind::GitLab, "project_id")
        | (IssuerKind::TerraformCloud, "terraform_workspace_id")
        | (IssuerKind::Buildkite, "pipeline_id") => {
            if exact {
                Pins::REPO
            } else {
                Pins::default()
            }
        }
        // CircleCI subjects carry no ref: the project is the safe minimum.
        (IssuerKind::CircleCi, "oidc.circleci.com/project-id") => {
            if exact {
                Pins::PINNED
            } else {
                Pins::default()
            }
        }
        (IssuerKind::TerraformCloud, "terraform_workspace_name")
        | (IssuerKind::Buildkite, "pipeline_slug") => Pins {
            repo: exact,
            ..Pins::default()
        },
        (IssuerKind::GitHub, "job_workflow_ref") => {
            if value.is_empty() {
                Pins::default()
            } else {
                Pins {
                    workflow: workflow_ref(literal, !exact).grade(),
                    ..Pins::default()
                }
            }
        }
        // Branches or tags only: pull request tokens carry `refs/pull/N/merge`.
        (IssuerKind::GitHub, "ref")
            if !exact
                && (literal.starts_with("refs/heads/") || literal.starts_with("refs/tags/")) =>
        {
            Pins::refs(Refs::Any)
        }
        (IssuerKind::GitHub | IssuerKind::GitLab, "environment" | "ref")
        | (IssuerKind::TerraformCloud, "terraform_run_phase")
        | (IssuerKind::Buildkite, "build_branch") => {
            if exact {
                Pins::refs(Refs::Pinned)
            } else {
                Pins::default()
            }
        }
        (IssuerKind::GitHub | IssuerKind::GitLab, "ref_protected" | "environment_protected") => {
            if truthy {
                Pins::refs(Refs::Pinned)
            } else {
                Pins::default()
            }
        }
        (IssuerKind::GitHub, "event_name") if exact && value != "pull_request" => {
            Pins::refs(Refs::Any)
        }
        _ => Pins::default(),
    }
}

/// The least every token of the issuer pins on its own: per-organisation
/// issuers (CircleCI's `oidc.circleci.com/org/<ORG>`, Bitbucket's
/// workspace) only ever mint tokens of their owner.
pub fn issuer_pins(issuer: IssuerKind) -> Pins {
    match issuer {
        IssuerKind::CircleCi | IssuerKind::Bitbucket => Pins::OWNER,
        _ => Pins::default(),
    }
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
        // Anything may follow the ids, a pull-request context included.
        assert_eq!(
            gh("repository_owner_id:42:repository_id:7:*"),
            Grade::AnyRef {
                admits_pull_request: true
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
    fn custom_subjects_pin_only_owner_claims() {
        let exact = |p| grade(IssuerKind::GitHub, p, false);
        // No owner in the subject: any owner can mint it.
        assert_eq!(exact("workflow:deploy"), Grade::AnyOwner);
        assert_eq!(exact("environment:production"), Grade::AnyOwner);
        // A workflow name is free text: what follows it can be forged.
        assert_eq!(
            exact("workflow:github-actions:repo:acme/app:ref:refs/heads/main"),
            Grade::AnyOwner
        );
        assert_eq!(
            exact("repo:acme/app:workflow:deploy:ref:refs/heads/main"),
            Grade::Pinned
        );
        assert_eq!(
            exact("repository_owner_id:5512398:environment:prod"),
            Grade::AnyRepo
        );
        assert_eq!(
            exact("repository_owner_id:1:repository_id:2:environment:production"),
            Grade::Pinned
        );
        assert_eq!(exact("repo:acme/app:environment:production"), Grade::Pinned);
        assert_eq!(
            exact("job_workflow_ref:acme/deploy/.github/workflows/d.yml@refs/heads/main"),
            Grade::Pinned
        );
        assert_eq!(
            exact("repo:acme/app:context:ref:refs/heads/main"),
            Grade::Pinned
        );
        // `${AWS::StackName}` holds colons of its own.
        assert_eq!(gh("repo:${AWS::StackName}-org/*"), Grade::AnyRepo);
        // A value that is no `claim:value` subject matches no token.
        assert_eq!(exact("acme"), Grade::Pinned);
    }

    #[test]
    fn claims_combine_with_the_subject() {
        use IssuerKind::*;
        let c = |k, claim, v| claim_pins(k, claim, v, false);
        assert_eq!(
            c(GitHub, "repository_owner_id", "42").grade(),
            Grade::AnyRepo
        );
        assert_eq!(
            c(GitHub, "repository_id", "42").grade(),
            Grade::AnyRef {
                admits_pull_request: true
            }
        );
        assert_eq!(c(GitHub, "environment", "prod").grade(), Grade::AnyOwner);
        assert_eq!(
            c(GitHub, "repository", "acme/app")
                .and(c(GitHub, "environment", "prod"))
                .grade(),
            Grade::Pinned
        );
        assert_eq!(
            c(GitHub, "repository_owner", "acme")
                .and(c(GitHub, "environment", "prod"))
                .grade(),
            Grade::AnyRepo
        );
        assert_eq!(
            c(
                GitHub,
                "job_workflow_ref",
                "acme/ci/.github/workflows/deploy.yml@refs/heads/main"
            )
            .grade(),
            Grade::Pinned
        );
        assert_eq!(
            claim_pins(GitHub, "repository", "acme/*", true).grade(),
            Grade::AnyRepo
        );
        assert_eq!(
            c(GitLab, "project_id", "42")
                .and(c(GitLab, "ref_protected", "true"))
                .grade(),
            Grade::Pinned
        );
        assert_eq!(c(GitLab, "namespace_id", "7").grade(), Grade::AnyRepo);
        assert_eq!(
            c(CircleCi, "oidc.circleci.com/project-id", "abc").grade(),
            Grade::Pinned
        );
        // A branch wildcard admits no pull request.
        assert_eq!(
            c(GitHub, "repository", "acme/app")
                .and(claim_pins(GitHub, "ref", "refs/heads/*", true))
                .grade(),
            Grade::AnyRef {
                admits_pull_request: false
            }
        );
        // The sub `repo:acme/*:ref:refs/heads/main` and a pinned repository.
        assert_eq!(
            subject_pins(GitHub, "repo:acme/*:ref:refs/heads/main", true)
                .and(c(GitHub, "repository", "acme/app"))
                .grade(),
            Grade::Pinned
        );
    }

    #[test]
    fn per_tenant_issuers() {
        assert_eq!(issuer_pins(IssuerKind::CircleCi).grade(), Grade::AnyRepo);
        assert_eq!(
            grade(IssuerKind::Bitbucket, "{8f1e-repo}:*", true),
            Grade::AnyRef {
                admits_pull_request: true
            }
        );
        assert_eq!(
            grade(IssuerKind::Bitbucket, "{8f1e-repo}:{41c2-env}:*", true),
            Grade::Pinned
        );
        // A closed UUID group pins the repository even without the colon.
        assert_eq!(
            grade(IssuerKind::Bitbucket, "{8f1e-repo}*", true),
            Grade::AnyRef {
                admits_pull_request: true
            }
        );
        assert_eq!(
            grade(IssuerKind::Bitbucket, "{8f1e-*", true),
            Grade::AnyRepo
        );
        for kind in [IssuerKind::Other, IssuerKind::Cognito, IssuerKind::Eks] {
            assert_eq!(grade(kind, "*", true), Grade::AnyOwner);
        }
        let mut corp = Issuer::parse("https://git.corp.example").expect("issuer");
        corp.refine_by_subjects(["project_path:platform/*"]);
        assert_eq!(corp.kind, IssuerKind::GitLab);
        assert!(!corp.is_shared());
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
        let ghec =
            Issuer::parse("https://token.actions.githubusercontent.com/acme-ent").expect("issuer");
        assert_eq!(ghec.kind, IssuerKind::GitHub);
        assert!(!ghec.is_shared());
        assert!(Issuer::parse("arn:aws:iam::${AWS::AccountId}:oidc-provider/${Issuer}").is_none());
        assert_eq!(
            Issuer::parse("arn:aws:iam::${AWS::AccountId}:oidc-provider/gitlab.com")
                .map(|i| i.kind),
            Some(IssuerKind::GitLab)
        );
    }
}
