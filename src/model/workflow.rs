//! GitHub Actions workflows (`.github/workflows/*.yml`): triggers,
//! workflow- and job-level `permissions`, jobs, steps with their `uses` and
//! `with` inputs, and `env` at workflow, job and step level.
//!
//! YAML 1.2 (the schema the project's YAML parser resolves with) reads the
//! key `on` as the string "on"; a YAML 1.1 reader would make it the boolean
//! `true`. Both spellings are accepted.

use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind, Span};

/// A scalar value as written: its text (empty for null) and span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub span: Span,
    /// False when the value is a mapping or a sequence (then `text` is empty).
    pub is_scalar: bool,
}

impl Scalar {
    fn of(node: &Node) -> Scalar {
        let text = match &node.kind {
            NodeKind::Null => Some(String::new()),
            _ => node.scalar_text().map(|t| t.into_owned()),
        };
        Scalar {
            is_scalar: text.is_some(),
            text: text.unwrap_or_default(),
            span: node.span,
        }
    }

    /// True when the value is a GitHub expression (`${{ ... }}`) or holds one.
    pub fn is_expression(&self) -> bool {
        self.text.contains("${{")
    }

    /// True for a value that is exactly `${{ secrets.NAME }}`.
    pub fn is_secret_reference(&self) -> bool {
        let t = self.text.trim();
        t.strip_prefix("${{")
            .and_then(|r| r.strip_suffix("}}"))
            .map(str::trim)
            .is_some_and(|inner| {
                inner.strip_prefix("secrets.").is_some_and(|name| {
                    !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                })
            })
    }
}

/// An event the workflow runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub name: String,
    pub span: Span,
    /// `branches:` / `tags:` filters (`push`, `pull_request`); `None` when
    /// the filter is absent. A `*-ignore` filter makes the list `None` too
    /// (any name may then run) but sets `filtered`.
    pub branches: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    /// True when any branch or tag filter (including `*-ignore`) is given.
    pub filtered: bool,
}

/// One `name: value` of an `env` or `with` mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    pub key_span: Span,
    pub value: Scalar,
}

/// One scope of a permissions map (`id-token: write`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub name: String,
    pub key_span: Span,
    pub level: Scalar,
}

/// A `permissions` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    ReadAll(Span),
    WriteAll(Span),
    /// A map of scopes; `{}` (no scope at all) is an empty map.
    Map {
        span: Span,
        scopes: Vec<Scope>,
    },
    /// Anything GitHub would not accept.
    Other(Span),
}

impl Permissions {
    fn of(node: &Node) -> Permissions {
        match &node.kind {
            NodeKind::Str(s) if s == "write-all" => Permissions::WriteAll(node.span),
            NodeKind::Str(s) if s == "read-all" => Permissions::ReadAll(node.span),
            NodeKind::Map(entries) => Permissions::Map {
                span: node.span,
                scopes: entries
                    .iter()
                    .map(|e| Scope {
                        name: e.key.text.to_string(),
                        key_span: e.key.span,
                        level: Scalar::of(&e.value),
                    })
                    .collect(),
            },
            _ => Permissions::Other(node.span),
        }
    }

    pub fn span(&self) -> Span {
        match self {
            Permissions::ReadAll(s) | Permissions::WriteAll(s) | Permissions::Other(s) => *s,
            Permissions::Map { span, .. } => *span,
        }
    }

    /// Where these permissions grant `id-token: write`: the `write` value of
    /// the scope, or the `write-all` value.
    pub fn id_token_write(&self) -> Option<Span> {
        match self {
            Permissions::WriteAll(s) => Some(*s),
            Permissions::Map { scopes, .. } => scopes
                .iter()
                .rev()
                .find(|s| s.name == "id-token")
                .filter(|s| s.level.text == "write")
                .map(|s| s.level.span),
            _ => None,
        }
    }
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub span: Span,
    pub uses: Option<Scalar>,
    /// The `run` script.
    pub run: Option<Scalar>,
    pub with: Vec<Binding>,
    pub env: Vec<Binding>,
}

impl Step {
    /// True when the step runs `aws-actions/configure-aws-credentials`.
    pub fn configures_aws_credentials(&self) -> bool {
        self.uses.as_ref().is_some_and(|u| {
            let action = u.text.split('@').next().unwrap_or("").trim();
            action.eq_ignore_ascii_case("aws-actions/configure-aws-credentials")
        })
    }

    /// The last `with` input called `name`.
    pub fn input(&self, name: &str) -> Option<&Binding> {
        self.with.iter().rev().find(|b| b.name == name)
    }
}

/// One job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub key_span: Span,
    pub permissions: Option<Permissions>,
    pub env: Vec<Binding>,
    pub steps: Vec<Step>,
    /// A reusable workflow the job calls.
    pub uses: Option<Scalar>,
    /// `environment: NAME` or `environment: {name: NAME}`.
    pub environment: Option<Scalar>,
    /// The job has a `strategy.matrix`.
    pub matrix: bool,
    /// The job's `if:` condition.
    pub condition: Option<Scalar>,
}

impl Job {
    /// True when a step assumes a role through configure-aws-credentials.
    pub fn assumes_role_with_oidc(&self) -> bool {
        self.steps.iter().any(|s| {
            s.configures_aws_credentials()
                && s.input("role-to-assume").is_some()
                && s.input("aws-access-key-id").is_none()
        })
    }
}

/// Actions that request an OIDC token themselves (other clouds, registries,
/// signing and attestations).
const TOKEN_ACTIONS: &[&str] = &[
    "aws-actions/configure-aws-credentials",
    "google-github-actions/auth",
    "azure/login",
    "hashicorp/vault-action",
    "pypa/gh-action-pypi-publish",
    "actions/attest-build-provenance",
    "actions/attest-sbom",
    "actions/attest",
    "sigstore/cosign-installer",
    "sigstore/gh-action-sigstore-python",
    "octo-sts/action",
    "rust-lang/crates-io-auth-action",
];

impl Job {
    /// True when the job may use its OIDC token: it assumes a role, calls a
    /// reusable workflow (whose jobs inherit the grant), runs an action that
    /// requests a token, or a script that reads the token endpoint, signs or
    /// publishes with provenance.
    pub fn may_use_id_token(&self) -> bool {
        if self.uses.is_some() {
            return true;
        }
        self.steps.iter().any(|s| {
            let action = s
                .uses
                .as_ref()
                .map(|u| {
                    u.text
                        .split('@')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            TOKEN_ACTIONS.iter().any(|a| action == *a)
                || s.run.as_ref().is_some_and(|r| {
                    [
                        "ACTIONS_ID_TOKEN",
                        "--provenance",
                        "cosign",
                        "id-token",
                        "oidc",
                    ]
                    .iter()
                    .any(|m| r.text.contains(m))
                })
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workflow {
    pub triggers: Vec<Trigger>,
    pub permissions: Option<Permissions>,
    pub env: Vec<Binding>,
    pub jobs: Vec<Job>,
}

impl Workflow {
    /// The permissions a job runs with: its own, else the workflow's.
    pub fn effective<'a>(&'a self, job: &'a Job) -> Option<&'a Permissions> {
        job.permissions.as_ref().or(self.permissions.as_ref())
    }

    pub fn trigger(&self, name: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.name == name)
    }
}

/// The workflow model of a file (`None` unless it is a workflow whose root is
/// a mapping), extracted on first use.
pub fn of(file: &SourceFile) -> Option<&Workflow> {
    file.models
        .cache()
        .workflow
        .get_or_init(|| {
            if file.kind != FileKind::Workflow {
                return None;
            }
            file.roots().first().and_then(extract)
        })
        .as_ref()
}

/// Reads a workflow from its root node.
pub fn extract(root: &Node) -> Option<Workflow> {
    let entries = root.entries()?;
    let mut workflow = Workflow::default();
    for entry in entries {
        match entry.key.text.as_str() {
            "on" | "true" => workflow.triggers = triggers(&entry.value),
            "permissions" => workflow.permissions = Some(Permissions::of(&entry.value)),
            "env" => workflow.env = bindings(&entry.value),
            "jobs" => {
                workflow.jobs = entry
                    .value
                    .entries()
                    .unwrap_or(&[])
                    .iter()
                    .map(|j| job(&j.key.text, j.key.span, &j.value))
                    .collect();
            }
            _ => {}
        }
    }
    Some(workflow)
}

fn triggers(node: &Node) -> Vec<Trigger> {
    let one = |n: &Node| {
        n.scalar_text().map(|t| Trigger {
            name: t.into_owned(),
            span: n.span,
            branches: None,
            tags: None,
            filtered: false,
        })
    };
    let names = |n: Option<&Node>| -> Option<Vec<String>> {
        let n = n?;
        Some(match &n.kind {
            NodeKind::Seq(items) => items
                .iter()
                .filter_map(|i| i.scalar_text().map(|t| t.into_owned()))
                .collect(),
            _ => n
                .scalar_text()
                .map(|t| t.into_owned())
                .into_iter()
                .collect(),
        })
    };
    match &node.kind {
        NodeKind::Str(_) => one(node).into_iter().collect(),
        NodeKind::Seq(items) => items.iter().filter_map(one).collect(),
        NodeKind::Map(entries) => entries
            .iter()
            .map(|e| {
                let branches = names(e.value.get("branches"));
                let tags = names(e.value.get("tags"));
                let ignored = e.value.get("branches-ignore").is_some()
                    || e.value.get("tags-ignore").is_some();
                Trigger {
                    name: e.key.text.to_string(),
                    span: e.key.span,
                    filtered: ignored || branches.is_some() || tags.is_some(),
                    branches,
                    tags,
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn bindings(node: &Node) -> Vec<Binding> {
    node.entries()
        .unwrap_or(&[])
        .iter()
        .map(|e| Binding {
            name: e.key.text.to_string(),
            key_span: e.key.span,
            value: Scalar::of(&e.value),
        })
        .collect()
}

fn job(id: &str, key_span: Span, node: &Node) -> Job {
    Job {
        id: id.to_owned(),
        key_span,
        permissions: node.get("permissions").map(Permissions::of),
        env: node.get("env").map(bindings).unwrap_or_default(),
        steps: node
            .get("steps")
            .and_then(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter(|s| s.entries().is_some())
            .map(|s| Step {
                span: s.span,
                uses: s.get("uses").map(Scalar::of),
                run: s.get("run").map(Scalar::of),
                with: s.get("with").map(bindings).unwrap_or_default(),
                env: s.get("env").map(bindings).unwrap_or_default(),
            })
            .collect(),
        uses: node.get("uses").map(Scalar::of),
        environment: node
            .get("environment")
            .map(|e| e.get("name").unwrap_or(e))
            .map(Scalar::of),
        matrix: node
            .get("strategy")
            .is_some_and(|s| s.get("matrix").is_some()),
        condition: node.get("if").map(Scalar::of),
    }
}

impl Job {
    /// Whether the job's `if:` lets it run on `event`. Only conjunctions of
    /// `github.event_name == 'X'` / `!= 'X'` are read; any other condition
    /// (or one with `||`) may hold on every event.
    pub fn may_run_on(&self, event: &str) -> bool {
        let Some(condition) = &self.condition else {
            return true;
        };
        let text = condition.text.replace(['"', '`'], "'");
        if text.contains("||") {
            return true;
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("github.event_name") {
            rest = rest[at + "github.event_name".len()..].trim_start();
            let (equal, after) = if let Some(r) = rest.strip_prefix("==") {
                (true, r)
            } else if let Some(r) = rest.strip_prefix("!=") {
                (false, r)
            } else {
                continue;
            };
            let after = after.trim_start();
            let Some(quoted) = after.strip_prefix('\'') else {
                continue;
            };
            let Some(end) = quoted.find('\'') else {
                continue;
            };
            let named = &quoted[..end];
            if (named == event) != equal {
                return false;
            }
            rest = &quoted[end..];
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, Syntax, parse};

    fn wf(text: &str) -> Workflow {
        let doc = parse(Syntax::Yaml, text, &Limits::default()).expect("parses");
        extract(doc.root().expect("root")).expect("a mapping")
    }

    fn names(w: &Workflow) -> Vec<&str> {
        w.triggers.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn job_conditions_on_the_event() {
        let w = wf(
            "on: [push, pull_request]\njobs:\n  a:\n    if: github.event_name == 'push'\n    runs-on: x\n  b:\n    if: ${{ github.event_name != \"pull_request\" && github.ref == 'refs/heads/main' }}\n    runs-on: x\n  c:\n    if: github.event_name == 'push' || github.event_name == 'pull_request'\n    runs-on: x\n  d:\n    runs-on: x\n",
        );
        let job = |id: &str| w.jobs.iter().find(|j| j.id == id).expect("job");
        assert!(job("a").may_run_on("push"));
        assert!(!job("a").may_run_on("pull_request"));
        assert!(job("b").may_run_on("push"));
        assert!(!job("b").may_run_on("pull_request"));
        assert!(job("c").may_run_on("pull_request"));
        assert!(job("d").may_run_on("pull_request"));
    }

    #[test]
    fn on_is_read_as_a_string_key_in_every_form() {
        assert_eq!(names(&wf("on: push\njobs: {}\n")), ["push"]);
        assert_eq!(
            names(&wf("on: [push, pull_request_target]\n")),
            ["push", "pull_request_target"]
        );
        assert_eq!(
            names(&wf(
                "on:\n  workflow_run:\n    workflows: [ci]\n  push:\n    branches: [main]\n"
            )),
            ["workflow_run", "push"]
        );
        // Quoted, and the YAML 1.1 boolean spelling.
        assert_eq!(names(&wf("\"on\": push\n")), ["push"]);
        assert_eq!(names(&wf("true: push\n")), ["push"]);
    }

    #[test]
    fn the_yaml_parser_keeps_on_as_a_string() {
        let doc = parse(Syntax::Yaml, "on: push\n", &Limits::default()).expect("parses");
        let root = doc.root().expect("root");
        let entry = root.entries().expect("map").first().expect("entry");
        assert_eq!(entry.key.text, "on");
    }

    #[test]
    fn permissions_in_every_form() {
        let w = wf("permissions: write-all\n");
        assert!(matches!(w.permissions, Some(Permissions::WriteAll(_))));
        assert!(
            w.permissions
                .as_ref()
                .and_then(|p| p.id_token_write())
                .is_some()
        );
        let w = wf("permissions: read-all\n");
        assert!(matches!(w.permissions, Some(Permissions::ReadAll(_))));
        assert!(
            w.permissions
                .as_ref()
                .and_then(|p| p.id_token_write())
                .is_none()
        );
        let w = wf("permissions: {}\n");
        assert!(
            matches!(&w.permissions, Some(Permissions::Map { scopes, .. }) if scopes.is_empty())
        );
        let text = "permissions:\n  contents: read\n  id-token: write\n";
        let w = wf(text);
        let span = w
            .permissions
            .as_ref()
            .and_then(|p| p.id_token_write())
            .expect("id-token write");
        assert_eq!(&text[span.range()], "write");
        let w = wf("permissions:\n  id-token: read\n");
        assert!(
            w.permissions
                .as_ref()
                .and_then(|p| p.id_token_write())
                .is_none()
        );
    }

    #[test]
    fn jobs_steps_inputs_and_env() {
        let text = "\
env:
  REGION: eu-west-1
jobs:
  deploy:
    permissions:
      id-token: write
    env:
      STAGE: prod
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::210987654321:role/deploy
          aws-region: eu-west-1
        env:
          DEBUG: 1
      - run: make
  reuse:
    uses: acme/infra/.github/workflows/deploy.yml@main
";
        let w = wf(text);
        assert_eq!(w.env[0].name, "REGION");
        assert_eq!(w.jobs.len(), 2);
        let deploy = &w.jobs[0];
        assert_eq!(deploy.id, "deploy");
        assert_eq!(deploy.env[0].value.text, "prod");
        assert_eq!(deploy.steps.len(), 3);
        let step = &deploy.steps[1];
        assert!(step.configures_aws_credentials());
        assert!(!deploy.steps[0].configures_aws_credentials());
        let role = step.input("role-to-assume").expect("input");
        assert_eq!(&text[role.value.span.range()], role.value.text);
        assert_eq!(step.env[0].value.text, "1");
        assert!(deploy.assumes_role_with_oidc());
        assert!(w.jobs[1].uses.is_some());
        assert!(w.effective(&w.jobs[1]).is_none());
        assert!(w.effective(deploy).is_some());
    }

    #[test]
    fn secret_references() {
        let s = |t: &str| Scalar {
            text: t.into(),
            span: Span::default(),
            is_scalar: true,
        };
        assert!(s("${{ secrets.AWS_KEY }}").is_secret_reference());
        assert!(s("${{secrets.AWS_KEY}}").is_secret_reference());
        assert!(!s("${{ vars.AWS_KEY }}").is_secret_reference());
        assert!(s("${{ vars.AWS_KEY }}").is_expression());
        assert!(!s("AKIA${{ secrets.X }}").is_secret_reference());
        assert!(!s("AKIAZZZ").is_expression());
    }

    #[test]
    fn bad_shapes_do_not_panic() {
        for text in [
            "[]\n",
            "on:\njobs:\n",
            "jobs: [1, 2]\n",
            "jobs:\n  a: 1\n  b:\n    steps: {}\n",
            "jobs:\n  a:\n    steps: [1, [2], {uses: {a: b}}]\n",
        ] {
            let doc = parse(Syntax::Yaml, text, &Limits::default()).expect("parses");
            let _ = doc.root().and_then(extract);
        }
    }
}
