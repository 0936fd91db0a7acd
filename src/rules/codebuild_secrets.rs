//! Secrets in buildspecs and CodeBuild projects: literal values under secret
//! names, secrets exported to later pipeline stages, and commands that print
//! them to the build log.
//!
//! What counts as a literal: a value is *not* a literal when it is only known
//! at deployment or names where the secret lives: CloudFormation and
//! Terraform references (`${...}` after `model::value`), dynamic references
//! (`{{resolve:...}}`), shell expansions (`$(...)`, `$NAME`), ARNs
//! (`arn:aws:secretsmanager:...`, `arn:aws:ssm:...`), Parameter Store paths
//! (`/prod/db/password`: a single path with no spaces), placeholders in angle
//! brackets, booleans, numbers and values shorter than 3 characters (flags
//! and settings such as `TOKEN_REFRESH: "1"`). Names that end in a word that
//! says where a secret lives or how it is handled (`SECRET_ARN`, `TOKEN_URL`,
//! `TOKEN_TTL`, `PASSWORD_PARAMETER`) are not secret names. AWS access keys
//! written literally are left to `aws-access-key-id` /
//! `aws-secret-access-key`, which report them more specifically.

use super::buildspec::quote;
use super::{Context, Rule};
use crate::finding::{Finding, Location, mask};
use crate::model::buildspec::Buildspec;
use crate::model::codebuild::{self, VarType};
use crate::model::fields::words;
use crate::model::value::Val;
use crate::shell::{self, Reveal};
use crate::source::SourceFile;
use crate::syntax::{Limits, Node, NodeKind, Span, Syntax};
use std::collections::HashMap;

const ID_PLAINTEXT: &str = "plaintext-secret-variable";
const ID_EXPORTED: &str = "secret-exported-variable";
const ID_ECHOED: &str = "secret-echoed";

/// True for a name that says it holds a secret: `DB_PASSWORD`, `apiKey`,
/// `GITHUB_TOKEN`, `CLIENT_SECRET`; not `SECRET_ARN`, `TOKEN_URL`,
/// `PASSWORD_PARAMETER`, `ACCESS_KEY_ID`.
pub fn is_secret_name(name: &str) -> bool {
    let w = words(name);
    let Some(last) = w.last() else {
        return false;
    };
    if matches!(
        last.as_str(),
        "arn"
            | "name"
            | "id"
            | "path"
            | "param"
            | "parameter"
            | "url"
            | "uri"
            | "file"
            | "region"
            | "version"
            | "length"
            | "ttl"
            | "header"
            | "type"
            | "prefix"
            | "endpoint"
            | "user"
            | "username"
            | "ref"
            | "location"
            | "dir"
            | "enabled"
            | "interval"
            | "timeout"
            | "expiry"
            | "expiration"
            | "count"
            | "size"
            | "limit"
            | "format"
            | "mode"
            | "required"
            | "policy"
            | "rotation"
            | "scope"
            | "scopes"
            | "audience"
            | "issuer"
            | "host"
            | "port"
    ) {
        return false;
    }
    w.iter().enumerate().any(|(i, word)| {
        let next = w.get(i + 1).map(String::as_str);
        matches!(
            word.as_str(),
            "password"
                | "passwd"
                | "secret"
                | "token"
                | "apikey"
                | "privatekey"
                | "credential"
                | "credentials"
                | "passphrase"
        ) || (matches!(word.as_str(), "api" | "private" | "signing") && next == Some("key"))
    })
}

/// True when a value is written literally (see the module documentation).
pub fn is_literal(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < 3
        || v.contains("${")
        || v.contains("{{resolve:")
        || v.contains("$(")
        || v.starts_with('$')
        || v.starts_with("arn:")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.eq_ignore_ascii_case("true")
        || v.eq_ignore_ascii_case("false")
        || v.chars().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    if v.starts_with('/') && !v.contains(char::is_whitespace) {
        return false;
    }
    true
}

/// The rule that reports `value` more specifically (AWS access keys), if any.
fn aws_key_rule(name: &str, value: &str) -> Option<&'static str> {
    let id = value.len() == 20
        && ["AKIA", "ASIA", "ABIA", "ACCA"]
            .iter()
            .any(|p| value.starts_with(p))
        && value[4..]
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c));
    let upper = name.to_ascii_uppercase();
    let secret_key = value.len() == 40
        && upper.contains("SECRET")
        && upper.contains("KEY")
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+');
    if id {
        Some("aws-access-key-id")
    } else if secret_key {
        Some("aws-secret-access-key")
    } else {
        None
    }
}

fn plaintext(
    (cx, file): (&Context<'_>, &SourceFile),
    name: &str,
    value: &Val,
    where_: &str,
    out: &mut Vec<Finding>,
) {
    // An AWS key is left to its own rule, when that rule runs here.
    let deferred = aws_key_rule(name, &value.text).is_some_and(|rule| cx.reports(rule, file));
    if !is_secret_name(name) || !is_literal(&value.text) || deferred {
        return;
    }
    out.push(
        Finding::new(
            ID_PLAINTEXT,
            file.at(value.span),
            format!(
                "secret variable \"{name}\" has the literal value \"{}\" in {where_}: store it in Secrets Manager or Parameter Store and reference it",
                mask(&value.text)
            ),
        )
        .secret(file.at(unquoted(file, value.span))),
    );
}

/// The span of a scalar without its quotes.
fn unquoted(file: &SourceFile, span: Span) -> Span {
    let text = file.slice(span);
    let quoted = text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')));
    if quoted {
        Span {
            start: span.start + 1,
            end: span.end - 1,
        }
    } else {
        span
    }
}

/// `plaintext-secret-variable` (buildspecs and CodeBuild projects).
pub struct PlaintextSecretVariable;

impl Rule for PlaintextSecretVariable {
    fn check_file(&self, cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            for var in &spec.env.variables {
                if let Some(value) = &var.value {
                    plaintext((cx, file), &var.name.text, value, "env.variables", out);
                }
            }
        }
        for project in &codebuild::of(file).projects {
            for var in &project.env_vars {
                if var.ty != VarType::Plaintext {
                    continue;
                }
                if let Some(value) = &var.value {
                    let where_ = format!("{} (type PLAINTEXT)", project.label);
                    plaintext((cx, file), &var.name.text, value, &where_, out);
                }
            }
        }
        for pipeline in &crate::model::pipeline::of(file).pipelines {
            for (_, _, action) in pipeline.actions() {
                let Some(entry) = action.config("EnvironmentVariables") else {
                    continue;
                };
                let Some(node) = entry
                    .value
                    .as_ref()
                    .and_then(|v| find_node(file.roots(), v.span))
                else {
                    continue;
                };
                let where_ = format!(
                    "the environment variables of pipeline action \"{}\"",
                    action.name.text
                );
                for (name, value) in action_variables(file, node) {
                    plaintext((cx, file), &name, &value, &where_, out);
                }
            }
        }
    }
}

/// The value node written at exactly `span`.
fn find_node(roots: &[Node], span: Span) -> Option<&Node> {
    let mut stack: Vec<&Node> = roots.iter().collect();
    while let Some(node) = stack.pop() {
        if node.span == span {
            return Some(node);
        }
        if node.span.contains(span) {
            stack.extend(node.children());
        }
    }
    None
}

/// The PLAINTEXT `(name, value)` pairs of a pipeline action's
/// `EnvironmentVariables`: a JSON string (CLI, CloudFormation) or
/// `jsonencode([...])` (Terraform).
fn action_variables(file: &SourceFile, node: &Node) -> Vec<(String, Val)> {
    let parsed;
    let list = match &node.kind {
        NodeKind::Call(call) if call.name == "jsonencode" => call.args.first(),
        NodeKind::Str(_) => {
            parsed =
                crate::syntax::parse_embedded(&file.text, node, Syntax::Json, &Limits::default());
            match &parsed {
                Some(Ok(doc)) => doc.roots.first(),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(items) = list.and_then(Node::items) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let get = |k: &str| item.entry_ignore_case(k).map(|e| &e.value);
            let plaintext = get("type")
                .and_then(Node::as_str)
                .is_none_or(|t| t.eq_ignore_ascii_case("PLAINTEXT"));
            let name = get("name")?.as_str()?.to_owned();
            let value = get("value").and_then(crate::model::value::value)?;
            plaintext.then_some((name, value))
        })
        .collect()
}

/// A variable bound from Parameter Store or Secrets Manager.
#[derive(Debug, Clone)]
struct Binding {
    name: String,
    at: Location,
    source: &'static str,
}

/// Secret bindings of every buildspec of the workspace: its own
/// `parameter-store` / `secrets-manager`, and the PARAMETER_STORE /
/// SECRETS_MANAGER variables of the projects that run it. Keyed by the
/// buildspec's address.
fn bindings<'a>(cx: &Context<'a>) -> Vec<(&'a SourceFile, &'a Buildspec, Vec<Binding>)> {
    let mut from_projects: HashMap<usize, Vec<Binding>> = HashMap::new();
    let root = codebuild::repository_root(cx.files);
    for file in cx.files {
        for project in &codebuild::of(file).projects {
            let Some(link) = codebuild::linked(cx.files, &root, file, project) else {
                continue;
            };
            let key = std::ptr::from_ref(link.spec) as usize;
            for var in &project.env_vars {
                let source = match var.ty {
                    VarType::ParameterStore => "parameter-store",
                    VarType::SecretsManager => "secrets-manager",
                    _ => continue,
                };
                from_projects.entry(key).or_default().push(Binding {
                    name: var.name.text.clone(),
                    at: file.at(var.name.span),
                    source,
                });
            }
        }
    }
    let mut out = Vec::new();
    for file in cx.files {
        for spec in codebuild::buildspecs(file) {
            let mut list: Vec<Binding> = spec
                .env
                .parameter_store
                .iter()
                .map(|v| (v, "parameter-store"))
                .chain(
                    spec.env
                        .secrets_manager
                        .iter()
                        .map(|v| (v, "secrets-manager")),
                )
                .map(|(v, source)| Binding {
                    name: v.name.text.to_string(),
                    at: file.at(v.name.span),
                    source,
                })
                .collect();
            let key = std::ptr::from_ref(spec) as usize;
            for b in from_projects.remove(&key).unwrap_or_default() {
                if !list.iter().any(|l| l.name == b.name) {
                    list.push(b);
                }
            }
            if !list.is_empty() {
                out.push((file, spec, list));
            }
        }
    }
    out
}

/// `secret-exported-variable`.
pub struct SecretExportedVariable;

impl Rule for SecretExportedVariable {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (file, spec, bound) in bindings(cx) {
            for exported in &spec.env.exported_variables {
                let Some(b) = bound.iter().find(|b| b.name == exported.text) else {
                    continue;
                };
                out.push(
                    Finding::new(
                        ID_EXPORTED,
                        file.at(exported.span),
                        format!(
                            "exported variable \"{}\" is bound from {}: later pipeline stages see it in plaintext; do not export secrets, read them where they are needed",
                            exported.text, b.source
                        ),
                    )
                    .related(b.at, format!("bound from {} here", b.source)),
                );
            }
        }
    }
}

/// `secret-echoed`.
pub struct SecretEchoed;

impl Rule for SecretEchoed {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (file, spec, bound) in bindings(cx) {
            let is_secret = |n: &str| bound.iter().any(|b| b.name == n);
            for (_, c) in spec.commands() {
                let Some(text) = &c.text else { continue };
                for (range, reveal) in shell::reveals(text, &is_secret) {
                    let shown = quote(text.get(range.clone()).unwrap_or(""));
                    let (message, binding) = match reveal {
                        Reveal::Prints(name) => (
                            format!(
                                "\"{shown}\" prints the secret \"{name}\" to the build log: never print secrets; pass them by file or stdin"
                            ),
                            bound.iter().find(|b| b.name == name),
                        ),
                        Reveal::DumpsEnvironment => (
                            format!(
                                "\"{shown}\" prints every variable, secrets included, to the build log: print only the variables you need"
                            ),
                            bound.first(),
                        ),
                        Reveal::Xtrace => (
                            format!(
                                "\"{shown}\" traces every later command with secrets expanded into the build log: drop -x where secrets are bound"
                            ),
                            bound.first(),
                        ),
                    };
                    let mut finding = Finding::new(ID_ECHOED, file.at(c.file_span(range)), message);
                    if let Some(b) = binding {
                        finding = finding
                            .related(b.at, format!("\"{}\" bound from {} here", b.name, b.source));
                    }
                    out.push(finding);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "apiKey",
            "GITHUB_TOKEN",
            "CLIENT_SECRET",
            "NPM_AUTH_TOKEN",
            "SIGNING_KEY",
            "api_key",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in [
            "SECRET_ARN",
            "TOKEN_URL",
            "PASSWORD_PARAMETER",
            "ACCESS_KEY_ID",
            "IMAGE_TAG",
            "PWD",
            "KEYBOARD",
        ] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn literals() {
        assert!(is_literal("hunter2-prod"));
        for v in [
            "${DbPassword}",
            "{{resolve:secretsmanager:db:SecretString:password}}",
            "$(cat x)",
            "$OTHER",
            "arn:aws:secretsmanager:us-east-1:1:secret:x",
            "/prod/db/password",
            "<password>",
            "true",
            "1",
        ] {
            assert!(!is_literal(v), "{v}");
        }
    }
}
