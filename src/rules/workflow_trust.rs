//! `workflow-role-trust-mismatch`: a job assumes a role whose trust policy,
//! found in the same scan, admits none of the tokens the job can present.
//!
//! The job's token (DOMAIN.md, "Workflows and the roles they assume"):
//! `sub` is `repo:O/R:environment:E` when the job names an environment,
//! `repo:O/R:pull_request` on pull_request events, else `repo:O/R:ref:REF`
//! for the refs its triggers run on. What cannot be known (the repository,
//! a ref of an unfiltered push, a glob filter) is a wildcard in the token,
//! so the rule only speaks when no possible token matches. Matrix jobs, jobs
//! that call a reusable workflow, reusable workflows themselves
//! (`workflow_call`) and `role-to-assume` values that are not a literal ARN
//! or name stay silent.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::oidc::IssuerKind;
use crate::model::policy::{Condition, SetQualifier};
use crate::model::roles::{self, parse_target};
use crate::model::trust::{Federated, federated};
use crate::model::workflow::{self, Job, Workflow};
use crate::source::SourceFile;
use std::path::{Path, PathBuf};

pub const ID: &str = "workflow-role-trust-mismatch";

/// One character of a pattern: literal, any one character, any run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Lit(char),
    One,
    Star,
}

type Pat = Vec<Tok>;

fn lit(s: &str) -> Pat {
    s.chars().map(Tok::Lit).collect()
}

/// A trust value: `*`/`?` are wildcards under `StringLike` (`like`),
/// literal otherwise; a `${...}` interpolation is unknown (any run).
fn trust_pattern(s: &str, like: bool, fold: bool) -> Pat {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${")
            && let Some(end) = rest.find('}')
        {
            out.push(Tok::Star);
            rest = &rest[end + 1..];
            continue;
        }
        out.push(match c {
            '*' if like => Tok::Star,
            '?' if like => Tok::One,
            c if fold => Tok::Lit(c.to_ascii_lowercase()),
            c => Tok::Lit(c),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A branch or tag filter of a workflow trigger: any glob character makes
/// the rest of the name unknown (GitHub's filter syntax is richer than IAM's).
fn filter_pattern(s: &str) -> Pat {
    let mut out = Vec::new();
    for c in s.chars() {
        if matches!(c, '*' | '?' | '+' | '[' | ']' | '!' | '{' | '}' | '$') {
            out.push(Tok::Star);
            break;
        }
        out.push(Tok::Lit(c));
    }
    out
}

fn fold(p: &Pat) -> Pat {
    p.iter()
        .map(|t| match t {
            Tok::Lit(c) => Tok::Lit(c.to_ascii_lowercase()),
            t => *t,
        })
        .collect()
}

/// Whether some string matches both patterns. Work is bounded: very long
/// patterns are assumed to meet (the rule then stays silent).
fn intersects(a: &Pat, b: &Pat) -> bool {
    const MAX: usize = 1 << 18;
    if (a.len() + 1).saturating_mul(b.len() + 1) > MAX {
        return true;
    }
    let width = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let at = i * width + j;
        if seen[at] {
            continue;
        }
        seen[at] = true;
        let (x, y) = (a.get(i), b.get(j));
        match (x, y) {
            (None, None) => return true,
            (Some(Tok::Star), _) | (_, Some(Tok::Star)) => {
                if x == Some(&Tok::Star) {
                    // The star matches nothing more, or one more of b.
                    stack.push((i + 1, j));
                    if j < b.len() {
                        stack.push((i, j + 1));
                    }
                }
                if y == Some(&Tok::Star) {
                    stack.push((i, j + 1));
                    if i < a.len() {
                        stack.push((i + 1, j));
                    }
                }
            }
            (Some(p), Some(q)) => {
                let meet = match (p, q) {
                    (Tok::Lit(c), Tok::Lit(d)) => c == d,
                    _ => true,
                };
                if meet {
                    stack.push((i + 1, j + 1));
                }
            }
            _ => {}
        }
    }
    false
}

fn show(p: &Pat) -> String {
    p.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::One => '?',
            Tok::Star => '*',
        })
        .collect()
}

/// The value a token may carry for a claim.
#[derive(Debug, Clone)]
enum Claim {
    Absent,
    Value(Pat),
}

/// The claims of the tokens one job may present, as patterns.
#[derive(Debug, Clone)]
struct Token {
    sub: Pat,
    claims: Vec<(&'static str, Claim)>,
}

impl Token {
    fn claim(&self, name: &str) -> Option<&Claim> {
        if name == "sub" {
            return None;
        }
        self.claims.iter().find(|(n, _)| *n == name).map(|(_, c)| c)
    }
}

/// The tokens `job` may present, or `None` when they cannot be known.
fn tokens(w: &Workflow, job: &Job, repo: &Pat, audience: &str) -> Option<Vec<Token>> {
    if job.matrix || job.uses.is_some() || w.trigger("workflow_call").is_some() {
        return None;
    }
    let owner: Pat = {
        let mut o = Vec::new();
        for t in repo {
            if *t == Tok::Lit('/') {
                break;
            }
            o.push(*t);
        }
        o
    };
    let prefix = |rest: &Pat| -> Pat {
        let mut s = lit("repo:");
        s.extend(repo.iter().copied());
        s.push(Tok::Lit(':'));
        s.extend(rest.iter().copied());
        s
    };
    let base = |event: Pat, reference: Pat, environment: Claim| -> Vec<(&'static str, Claim)> {
        vec![
            ("aud", Claim::Value(lit(audience))),
            ("repository", Claim::Value(repo.clone())),
            ("repository_owner", Claim::Value(owner.clone())),
            ("event_name", Claim::Value(event)),
            ("ref", Claim::Value(reference)),
            ("environment", environment),
        ]
    };
    if let Some(env) = &job.environment {
        if !env.is_scalar || env.is_expression() || env.text.trim().is_empty() {
            return None;
        }
        let e = lit(env.text.trim());
        let mut rest = lit("environment:");
        rest.extend(e.iter().copied());
        return Some(vec![Token {
            sub: prefix(&rest),
            claims: base(vec![Tok::Star], vec![Tok::Star], Claim::Value(e)),
        }]);
    }
    if w.triggers.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let refs = |kind: &str, names: &Option<Vec<String>>| -> Vec<Pat> {
        let mut list = Vec::new();
        match names {
            Some(names) => {
                for n in names.iter().filter(|n| !n.starts_with('!')) {
                    let mut p = lit(kind);
                    p.extend(filter_pattern(n));
                    list.push(p);
                }
            }
            None => {
                let mut p = lit(kind);
                p.push(Tok::Star);
                list.push(p);
            }
        }
        list
    };
    for trigger in w.triggers.iter().filter(|t| job.may_run_on(&t.name)) {
        let event = lit(&trigger.name);
        let by_ref = |reference: Pat, out: &mut Vec<Token>| {
            let mut rest = lit("ref:");
            rest.extend(reference.iter().copied());
            out.push(Token {
                sub: prefix(&rest),
                claims: base(event.clone(), reference, Claim::Absent),
            });
        };
        match trigger.name.as_str() {
            "pull_request" => out.push(Token {
                sub: prefix(&lit("pull_request")),
                claims: base(event.clone(), lit("refs/pull/*"), Claim::Absent)
                    .into_iter()
                    .map(|(n, c)| match n {
                        "ref" => ("ref", Claim::Value(vec![Tok::Star])),
                        _ => (n, c),
                    })
                    .collect(),
            }),
            "push" => {
                let (branches, tags) = match (&trigger.branches, &trigger.tags) {
                    (Some(_), None) => (refs("refs/heads/", &trigger.branches), Vec::new()),
                    (None, Some(_)) => (Vec::new(), refs("refs/tags/", &trigger.tags)),
                    _ => (
                        refs("refs/heads/", &trigger.branches),
                        refs("refs/tags/", &trigger.tags),
                    ),
                };
                for r in branches.into_iter().chain(tags) {
                    by_ref(r, &mut out);
                }
            }
            "schedule" => by_ref(
                lit("refs/heads/").into_iter().chain([Tok::Star]).collect(),
                &mut out,
            ),
            _ => {
                // Any other event: its ref is not known here, and
                // pull_request_target may use either form.
                by_ref(
                    lit("refs/").into_iter().chain([Tok::Star]).collect(),
                    &mut out,
                );
                if trigger.name == "pull_request_target" {
                    out.push(Token {
                        sub: prefix(&lit("pull_request")),
                        claims: base(event.clone(), vec![Tok::Star], Claim::Absent),
                    });
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether one condition can hold for `token`.
fn condition_holds(c: &Condition, prefix: &str, token: &Token) -> bool {
    let Some((key_prefix, claim)) = c.key.text.rsplit_once(':') else {
        return true;
    };
    if !key_prefix.eq_ignore_ascii_case(prefix) {
        return true;
    }
    let claim = claim.to_ascii_lowercase();
    let value = if claim == "sub" {
        Claim::Value(token.sub.clone())
    } else {
        match token.claim(&claim) {
            Some(c) => c.clone(),
            // A claim this rule does not model: it may hold.
            None => return true,
        }
    };
    let op = &c.operator;
    let Claim::Value(pattern) = value else {
        return match op.set {
            Some(SetQualifier::ForAnyValue) => false,
            _ => {
                op.tolerates_absence()
                    || (op.base == "null" && c.values.iter().any(|v| v.text == "true"))
            }
        };
    };
    if op.base == "null" {
        return !c.values.iter().any(|v| v.text == "true") || op.negated;
    }
    let like = op.is_like();
    if !like && !op.is_equals() {
        return true;
    }
    let ignore_case = op.base.ends_with("ignorecase");
    let pattern = if ignore_case { fold(&pattern) } else { pattern };
    let any = c
        .values
        .iter()
        .any(|v| intersects(&trust_pattern(&v.text, like, ignore_case), &pattern));
    if op.negated {
        // Some token value escapes every listed value, unless the token is
        // fully known and listed.
        pattern.iter().any(|t| !matches!(t, Tok::Lit(_))) || !any
    } else {
        any
    }
}

fn statement_admits(f: &Federated<'_>, token: &Token) -> bool {
    let Some(issuer) = f.effective_issuer() else {
        return true;
    };
    f.statement
        .conditions
        .iter()
        .all(|c| condition_holds(c, &issuer.key_prefix, token))
}

/// The repository a workflow file belongs to: `GITHUB_REPOSITORY` when the
/// scan runs in GitHub Actions on that checkout, else the `origin` remote of
/// the repository the workflow sits in, else `repository` from the
/// configuration.
fn repository_of(file: &SourceFile, configured: Option<&str>) -> Option<String> {
    let root = workflow_root(&file.path)?;
    if let (Some(ws), Some(repo)) = (
        std::env::var_os("GITHUB_WORKSPACE"),
        std::env::var("GITHUB_REPOSITORY").ok(),
    ) {
        let ws = std::path::absolute(PathBuf::from(ws)).ok();
        let root = std::path::absolute(&root).ok();
        if ws.is_some() && ws == root && repo.contains('/') {
            return Some(repo);
        }
    }
    origin_remote(&root).or_else(|| configured.map(str::to_owned))
}

/// `ROOT` for a workflow at `ROOT/.github/workflows/NAME`.
fn workflow_root(path: &Path) -> Option<PathBuf> {
    let workflows = path.parent()?;
    let github = workflows.parent()?;
    if workflows.file_name()? != "workflows" || github.file_name()? != ".github" {
        return None;
    }
    Some(github.parent().map_or_else(PathBuf::new, Path::to_path_buf))
}

fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(256 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// `owner/name` of the `origin` remote in `root/.git/config` (a `.git` file
/// of a worktree or submodule is followed).
fn origin_remote(root: &Path) -> Option<String> {
    let dot_git = if root.as_os_str().is_empty() {
        PathBuf::from(".git")
    } else {
        root.join(".git")
    };
    let config = if dot_git.is_dir() {
        dot_git.join("config")
    } else {
        let text = read_small(&dot_git)?;
        let gitdir = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
        let gitdir = if gitdir.is_absolute() {
            gitdir
        } else {
            root.join(gitdir)
        };
        match read_small(&gitdir.join("commondir")) {
            Some(common) => gitdir.join(common.trim()).join("config"),
            None => gitdir.join("config"),
        }
    };
    remote_url(&read_small(&config)?).and_then(|u| repository_from_url(&u))
}

fn remote_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    for line in config.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_origin = l == "[remote \"origin\"]";
            continue;
        }
        if in_origin
            && let Some((k, v)) = l.split_once('=')
            && k.trim() == "url"
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

/// `git@github.com:acme/api.git`, `https://github.com/acme/api` -> `acme/api`.
fn repository_from_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/')?.1,
        None => url.split_once(':')?.1,
    };
    let mut parts = path.rsplit('/');
    let name = parts.next()?;
    let owner = parts.next()?;
    (!owner.is_empty() && !name.is_empty()).then(|| format!("{owner}/{name}"))
}

/// A job that assumes a role by a literal name or ARN whose trust is in
/// the scan and federates GitHub: the tokens it may present, and the trust
/// statements of that role.
struct Use<'a> {
    file: &'a SourceFile,
    job: &'a Job,
    target: &'a workflow::Binding,
    name: String,
    tokens: Vec<Token>,
    statements: Vec<&'a Federated<'a>>,
}

fn uses<'a>(
    files: &'a [SourceFile],
    trusts: &'a [Federated<'a>],
    configured: Option<&str>,
) -> Vec<Use<'a>> {
    let mut out = Vec::new();
    if !files.iter().any(|f| workflow::of(f).is_some()) {
        return out;
    }
    // Each trust statement with the role it belongs to, found once.
    let owned: Vec<(&Federated<'_>, &roles::Role)> = trusts
        .iter()
        .filter_map(|f| {
            let owner = f.policy.owner.as_ref()?.span;
            roles::of(f.file)
                .roles
                .iter()
                .find(|r| r.owner_span == owner)
                .map(|r| (f, r))
        })
        .collect();
    for file in files {
        let Some(w) = workflow::of(file) else {
            continue;
        };
        let repo = repository_of(file, configured).map_or_else(|| vec![Tok::Star], |r| lit(&r));
        for job in &w.jobs {
            for step in job.steps.iter().filter(|s| s.configures_aws_credentials()) {
                let Some(target) = step.input("role-to-assume") else {
                    continue;
                };
                if target.value.is_expression() {
                    continue;
                }
                let Some((account, name)) = parse_target(&target.value.text) else {
                    continue;
                };
                let audience = step
                    .input("audience")
                    .filter(|a| !a.value.is_expression())
                    .map_or("sts.amazonaws.com", |a| a.value.text.trim());
                let Some(tokens) = tokens(w, job, &repo, audience) else {
                    continue;
                };
                let statements: Vec<&Federated<'_>> = owned
                    .iter()
                    .filter(|(_, r)| r.is_named_by(account.as_deref(), &name))
                    .map(|(f, _)| *f)
                    .collect();
                if statements.is_empty()
                    || statements.iter().any(|f| {
                        f.effective_issuer()
                            .is_none_or(|i| i.kind != IssuerKind::GitHub)
                    })
                {
                    continue;
                }
                out.push(Use {
                    file,
                    job,
                    target,
                    name,
                    tokens,
                    statements,
                });
            }
        }
    }
    out
}

pub struct RoleTrustMismatch;

impl Rule for RoleTrustMismatch {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.files.iter().any(|f| workflow::of(f).is_some()) {
            return;
        }
        let trusts = federated(cx.files);
        for u in uses(cx.files, &trusts, cx.config.repository.as_deref()) {
            if u.statements
                .iter()
                .any(|f| u.tokens.iter().any(|t| statement_admits(f, t)))
            {
                continue;
            }
            out.push(finding(
                u.file,
                u.job,
                u.target,
                &u.name,
                &u.tokens,
                &u.statements,
            ));
        }
    }
}

/// The `role-to-assume` values (file id, span) of jobs whose role's trust,
/// in the scan, admits none of their tokens: what this rule reports, for
/// the trust map.
pub fn never_admitted(
    files: &[SourceFile],
    configured: Option<&str>,
) -> Vec<(usize, crate::syntax::Span)> {
    if !files.iter().any(|f| workflow::of(f).is_some()) {
        return Vec::new();
    }
    let trusts = federated(files);
    uses(files, &trusts, configured)
        .into_iter()
        .filter(|u| {
            !u.statements
                .iter()
                .any(|f| u.tokens.iter().any(|t| statement_admits(f, t)))
        })
        .map(|u| (u.file.id, u.target.value.span))
        .collect()
}

/// Trust rules whose findings say which pull_request job the trust admits.
fn is_trust_finding(rule: &str) -> bool {
    rule.starts_with("oidc-")
}

/// Says on trust findings (`oidc-*`) which scanned pull_request jobs the
/// trust statement admits: code proposed in a pull request can then assume
/// the role in practice, not only in principle.
pub fn note_pull_request_jobs(
    files: &[SourceFile],
    configured: Option<&str>,
    findings: &mut [Finding],
) {
    if !findings.iter().any(|f| is_trust_finding(f.rule))
        || !files.iter().any(|f| workflow::of(f).is_some())
    {
        return;
    }
    let trusts = federated(files);
    // (file id, statement span) -> jobs admitted on pull requests.
    let mut admitted: Vec<(
        usize,
        crate::syntax::Span,
        &SourceFile,
        &Job,
        &workflow::Binding,
    )> = Vec::new();
    for u in uses(files, &trusts, configured) {
        let pull_requests: Vec<&Token> = u
            .tokens
            .iter()
            .filter(|t| t.sub.ends_with(&lit(":pull_request")))
            .collect();
        for f in &u.statements {
            if pull_requests.iter().any(|t| statement_admits(f, t)) {
                admitted.push((f.file.id, f.statement.span, u.file, u.job, u.target));
            }
        }
    }
    for finding in findings.iter_mut().filter(|f| is_trust_finding(f.rule)) {
        let mut jobs: Vec<String> = Vec::new();
        for (file_id, span, wf, job, target) in &admitted {
            if finding.location.file != *file_id || !span.contains(finding.location.span) {
                continue;
            }
            // The workflow by its path in its repository.
            let shown = wf
                .display
                .rfind(".github/")
                .map_or(wf.display.as_str(), |i| &wf.display[i..]);
            let label = format!("pull_request job \"{}\" of {shown}", job.id);
            if jobs.contains(&label) {
                continue;
            }
            finding.related.push(crate::finding::Related {
                location: wf.at(target.value.span),
                label: format!("{label} assumes this role"),
            });
            jobs.push(label);
        }
        if !jobs.is_empty() {
            finding.message = format!("{}; it admits {}", finding.message, jobs.join(", "));
        }
    }
}

fn finding(
    file: &SourceFile,
    job: &Job,
    target: &workflow::Binding,
    name: &str,
    tokens: &[Token],
    statements: &[&Federated<'_>],
) -> Finding {
    let mut subjects: Vec<String> = tokens
        .iter()
        .map(|t| format!("\"{}\"", show(&t.sub)))
        .collect();
    subjects.dedup();
    let shown = if subjects.len() > 3 {
        format!("{}, ...", subjects[..3].join(", "))
    } else {
        subjects.join(", ")
    };
    let how = match &job.environment {
        Some(e) => format!("runs in environment \"{}\"", e.text.trim()),
        None => "runs without an environment".to_owned(),
    };
    let mut finding = Finding::new(
        ID,
        file.at(target.value.span),
        format!(
            "job \"{}\" {how} and can never assume role \"{name}\": its trust admits none of the job's subjects ({shown}): run the job where the trust expects (its environment or branch), or add the job's subject to the trust",
            job.id
        ),
    )
    .related(file.at(job.key_span), format!("job \"{}\"", job.id));
    if let Some(e) = &job.environment {
        finding = finding.related(file.at(e.span), "the environment sets the token's subject");
    }
    for f in statements {
        let sub = f.on_claim("sub");
        let location = match sub.first().and_then(|c| c.values.first()) {
            Some(v) => f.file.at(v.span),
            None => f.file.at(f.statement.span),
        };
        let who = f
            .policy
            .owner
            .as_ref()
            .map_or_else(|| "the role".to_owned(), |o| o.description.clone());
        finding = finding.related(location, format!("trust condition of {who}"));
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_meet() {
        let like = |s: &str| trust_pattern(s, true, false);
        assert!(intersects(
            &like("repo:acme/*"),
            &lit("repo:acme/api:ref:refs/heads/main")
        ));
        assert!(!intersects(
            &like("repo:acme/api:ref:refs/heads/main"),
            &lit("repo:acme/api:environment:prod")
        ));
        // A star on either side.
        let job: Pat = lit("repo:acme/api:ref:refs/heads/")
            .into_iter()
            .chain([Tok::Star])
            .collect();
        assert!(intersects(&like("repo:acme/api:ref:refs/heads/main"), &job));
        assert!(!intersects(&like("repo:acme/api:ref:refs/tags/*"), &job));
        assert!(intersects(&like("repo:*:ref:*"), &vec![Tok::Star]));
        // StringEquals: the star is literal.
        let eq = trust_pattern("repo:acme/api:*", false, false);
        assert!(!intersects(&eq, &lit("repo:acme/api:pull_request")));
        // Interpolations are unknown.
        assert!(intersects(
            &trust_pattern("repo:${var.org}/api:pull_request", false, false),
            &lit("repo:acme/api:pull_request")
        ));
        assert!(intersects(&like("a?c"), &lit("abc")));
        assert!(!intersects(&like("a?c"), &lit("ac")));
    }

    #[test]
    fn remote_urls() {
        assert_eq!(
            repository_from_url("git@github.com:acme/api.git").as_deref(),
            Some("acme/api")
        );
        assert_eq!(
            repository_from_url("https://github.com/acme/web").as_deref(),
            Some("acme/web")
        );
        assert_eq!(
            repository_from_url("ssh://git@github.example.com/acme/infra.git/").as_deref(),
            Some("acme/infra")
        );
        assert_eq!(repository_from_url("nothing"), None);
        let config = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = git@github.com:x/y.git\n[remote \"origin\"]\n\turl = https://github.com/acme/api.git\n";
        assert_eq!(
            remote_url(config).as_deref(),
            Some("https://github.com/acme/api.git")
        );
    }

    #[test]
    fn workflow_roots() {
        assert_eq!(
            workflow_root(Path::new("a/b/.github/workflows/ci.yml")),
            Some(PathBuf::from("a/b"))
        );
        assert_eq!(
            workflow_root(Path::new(".github/workflows/ci.yml")),
            Some(PathBuf::new())
        );
        assert_eq!(workflow_root(Path::new("a/ci.yml")), None);
    }
}
