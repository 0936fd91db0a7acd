//! Long-lived credentials: AWS access keys written into any scanned text
//! file, and infrastructure code that creates IAM user access keys.
//!
//! Every file is searched, parsed or not, so the search must cost next to
//! nothing on ordinary text: one Aho-Corasick pass for the literal prefixes
//! (`AKIA`, `ASIA`, `ABIA`, `ACCA`) and the context word `secret` decides
//! whether any regular expression runs at all, and the expressions are
//! compiled once for the whole process.

use super::{Context, Rule};
use crate::finding::{Finding, mask};
use crate::model::workflow;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind, Span, Syntax};
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::LazyLock;

const ID_KEY_ID: &str = "aws-access-key-id";
const ID_SECRET: &str = "aws-secret-access-key";
const ID_USER_KEY: &str = "iam-user-access-key";

/// What makes a file worth a regular expression.
static PREFILTER: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::new(["AKIA", "ASIA", "ABIA", "ACCA", "secret", "Secret", "SECRET"]).ok()
});

/// An access key id: a key prefix and 16 characters of base32.
static KEY_ID: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?-u:\b)").ok());

/// A value assigned to a secret-key-like name, in any syntax: `key = v`,
/// `key: v`, `"Key": "v"`, `KEY=v`, `key => v`, `--key v`.
static SECRET_ASSIGNED: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:aws)?[_.-]?secret[_.-]?(?:access)?[_.-]?key["'`\]]?(?:\s{0,8}(?:=>|:=|[:=])\s{0,8}|[ \t]{1,4})["'`]?([A-Za-z0-9/+]{40,})"#,
    )
    .ok()
});

/// A maximal run of the base64 alphabet (without padding).
static BASE64_RUN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9/+]{40,}").ok());

/// Lines above and below an access key id searched for its secret key.
const NEARBY_LINES: usize = 3;

/// AWS's documentation secret key.
const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A credential found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    KeyId { span: Span, temporary: bool },
    Secret { span: Span, key_id: Option<Span> },
}

/// Finds access key ids and secret access keys in `text`.
pub fn find(text: &str) -> Vec<Found> {
    let (Some(prefilter), Some(key_id), Some(assigned), Some(run)) = (
        PREFILTER.as_ref(),
        KEY_ID.as_ref(),
        SECRET_ASSIGNED.as_ref(),
        BASE64_RUN.as_ref(),
    ) else {
        return Vec::new();
    };
    let (mut any_key, mut any_secret) = (false, false);
    for m in prefilter.find_iter(text) {
        if m.pattern().as_usize() < 4 {
            any_key = true;
        } else {
            any_secret = true;
        }
        if any_key && any_secret {
            break;
        }
    }
    let mut out = Vec::new();
    let mut ids = Vec::new();
    if any_key {
        for m in key_id.find_iter(text) {
            let id = m.as_str();
            if id.ends_with("EXAMPLE") || is_placeholder(&id[4..]) {
                continue;
            }
            let span = Span::new(m.start(), m.end());
            ids.push(span);
            out.push(Found::KeyId {
                span,
                temporary: id.starts_with("ASIA"),
            });
        }
    }
    let mut secrets: Vec<Span> = Vec::new();
    if any_secret {
        for c in assigned.captures_iter(text) {
            if let Some(v) = c.get(1)
                && is_secret_key(text, v.start(), v.end())
            {
                secrets.push(Span::new(v.start(), v.end()));
                out.push(Found::Secret {
                    span: Span::new(v.start(), v.end()),
                    key_id: None,
                });
            }
        }
    }
    for id in ids {
        let (from, to) = nearby(text, id, NEARBY_LINES);
        let Some(window) = text.get(from..to) else {
            continue;
        };
        for m in run.find_iter(window) {
            let (start, end) = (from + m.start(), from + m.end());
            let span = Span::new(start, end);
            if is_secret_key(text, start, end) && !secrets.contains(&span) {
                secrets.push(span);
                out.push(Found::Secret {
                    span,
                    key_id: Some(id),
                });
            }
        }
    }
    out
}

/// The 16 characters after a key id's prefix, when they are a placeholder
/// rather than a key: four characters or fewer (`XXXXXXXXXXXXXXXX`,
/// `2222333344445555`), one character six times in a row, or a run of eight
/// that counts up or down (`ABCDEFGHIJKLMNOP`, `234567ABCDEFGHIJ`). Sixteen
/// random characters of a 32-letter alphabet almost never do any of these.
fn is_placeholder(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    let mut distinct: Vec<u8> = bytes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 4 {
        return true;
    }
    let mut run = 1;
    for w in bytes.windows(2) {
        run = if w[0] == w[1] { run + 1 } else { 1 };
        if run >= 6 {
            return true;
        }
    }
    // Position in the base32 alphabet `A-Z2-7`, and in ASCII.
    let b32 = |b: u8| match b {
        b'A'..=b'Z' => i32::from(b - b'A'),
        b'2'..=b'7' => i32::from(b - b'2') + 26,
        _ => -100,
    };
    for order in [b32, |b: u8| i32::from(b)] {
        let (mut up, mut down) = (1, 1);
        for w in bytes.windows(2) {
            let d = order(w[1]) - order(w[0]);
            up = if d == 1 { up + 1 } else { 1 };
            down = if d == -1 { down + 1 } else { 1 };
            if up >= 8 || down >= 8 {
                return true;
            }
        }
    }
    false
}

/// Base64 of the key prefixes (`AKIA`, `ASIA`, `ABIA`, `ACCA`) at each of
/// the three alignments: what makes a base64 value worth decoding.
static ENCODED_PREFIXES: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::new([
        "QUtJQ", "FLSU", "BS0lB", "QVNJQ", "FTSU", "BU0lB", "QUJJQ", "FCSU", "BQklB", "QUNDQ",
        "FDQ0", "BQ0NB",
    ])
    .ok()
});

/// A long base64 value.
static BASE64_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/]{24,}={0,2}").ok());

/// A credential found inside a base64 value (`user_data_base64`,
/// `Fn::Base64` of a literal, a Kubernetes Secret's `data`): the span is the
/// base64 literal's, `value` the decoded credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub span: Span,
    pub found: Found,
    pub value: String,
}

/// Decodes long base64 values that may hold a key id and searches them.
pub fn find_encoded(text: &str) -> Vec<Encoded> {
    let (Some(prefixes), Some(run)) = (ENCODED_PREFIXES.as_ref(), BASE64_VALUE.as_ref()) else {
        return Vec::new();
    };
    if !prefixes.is_match(text) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for m in run.find_iter(text) {
        if !prefixes.is_match(m.as_str()) {
            continue;
        }
        let body = m.as_str().trim_end_matches('=');
        let Ok(bytes) = data_encoding::BASE64_NOPAD.decode(body.as_bytes()) else {
            continue;
        };
        let decoded = String::from_utf8_lossy(&bytes);
        let span = Span::new(m.start(), m.end());
        for found in find(&decoded) {
            let inner = match &found {
                Found::KeyId { span, .. } | Found::Secret { span, .. } => *span,
            };
            if let Some(value) = decoded.get(inner.start as usize..inner.end as usize) {
                out.push(Encoded {
                    span,
                    value: value.to_owned(),
                    found,
                });
            }
        }
    }
    out
}

/// True when `text[start..end]` (a maximal base64 run) has the shape of a
/// secret access key: exactly 40 characters, not followed by padding, with
/// upper case, lower case and digits (as random keys have; hexadecimal
/// hashes have no upper case), and not the documentation example.
fn is_secret_key(text: &str, start: usize, end: usize) -> bool {
    let Some(value) = text.get(start..end) else {
        return false;
    };
    if value.len() != 40 || text[end..].starts_with('=') {
        return false;
    }
    value != EXAMPLE_SECRET
        && !value.contains("EXAMPLE")
        && value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.bytes().any(|b| b.is_ascii_digit())
}

/// The byte range of the `lines` lines around `span`.
fn nearby(text: &str, span: Span, lines: usize) -> (usize, usize) {
    let mut from = span.start as usize;
    for _ in 0..=lines {
        match text[..from].rfind('\n') {
            Some(i) => from = i,
            None => {
                from = 0;
                break;
            }
        }
    }
    let mut to = span.end as usize;
    for _ in 0..=lines {
        match text[to..].find('\n') {
            Some(i) => to += i + 1,
            None => {
                to = text.len();
                break;
            }
        }
    }
    (from, to)
}

/// Spans that `workflow-static-aws-credentials` reports (credentials given
/// to configure-aws-credentials or set in `env`): the more specific rule
/// owns them.
fn owned_by_workflow_rule(file: &SourceFile) -> Vec<Span> {
    let Some(w) = workflow::of(file) else {
        return Vec::new();
    };
    super::workflow::credential_references(w)
}

fn credentials(cx: &Context<'_>, file: &SourceFile) -> (Vec<Found>, Vec<Span>) {
    if is_own_sarif(file) {
        return (Vec::new(), Vec::new());
    }
    let found = find(&file.text);
    let owned = if found.is_empty()
        || file.kind != FileKind::Workflow
        || !cx.reports(super::workflow::ID_STATIC, file)
    {
        Vec::new()
    } else {
        owned_by_workflow_rule(file)
    };
    (found, owned)
}

/// A SARIF report written by shiplint: it quotes the rule documents, whose
/// bad examples hold fake credentials. Other tools' SARIF is still scanned.
fn is_own_sarif(file: &SourceFile) -> bool {
    let head = file.text.get(..file.text.len().min(4096)).unwrap_or("");
    file.display.ends_with(".sarif")
        && head.contains("\"$schema\"")
        && head.contains("\"name\": \"shiplint\"")
}

fn owned(owned: &[Span], span: Span) -> bool {
    owned.iter().any(|o| o.contains(span))
}

/// `aws-access-key-id`.
pub struct AccessKeyId;

impl Rule for AccessKeyId {
    fn check_file(&self, cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let (found, skip) = credentials(cx, file);
        for f in found {
            let Found::KeyId { span, temporary } = f else {
                continue;
            };
            if owned(&skip, span) {
                continue;
            }
            let shown = mask(file.slice(span));
            let finding = if temporary {
                Finding::new(
                    ID_KEY_ID,
                    file.at(span),
                    format!(
                        "temporary AWS access key id \"{shown}\" in plain text: revoke its session and keep credentials out of files"
                    ),
                )
                .help("revoke the role session (or wait for it to expire) and remove the credentials from the file and its history")
            } else {
                Finding::new(
                    ID_KEY_ID,
                    file.at(span),
                    format!(
                        "AWS access key id \"{shown}\" in plain text: deactivate the key in IAM and use a role or a secret store"
                    ),
                )
            };
            out.push(finding.secret(file.at(span)));
        }
        for encoded in encoded_credentials(file) {
            let Found::KeyId { .. } = encoded.found else {
                continue;
            };
            out.push(
                Finding::new(
                    ID_KEY_ID,
                    file.at(encoded.span),
                    format!(
                        "base64 value decodes to AWS access key id \"{}\": deactivate the key in IAM and use a role or a secret store",
                        mask(&encoded.value)
                    ),
                )
                .secret(file.at(encoded.span)),
            );
        }
    }
}

fn encoded_credentials(file: &SourceFile) -> Vec<Encoded> {
    if is_own_sarif(file) {
        return Vec::new();
    }
    find_encoded(&file.text)
}

/// `aws-secret-access-key`.
pub struct SecretAccessKey;

impl Rule for SecretAccessKey {
    fn check_file(&self, cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let (found, skip) = credentials(cx, file);
        for f in found {
            let Found::Secret { span, key_id } = f else {
                continue;
            };
            if owned(&skip, span) {
                continue;
            }
            let shown = mask(file.slice(span));
            let mut finding = Finding::new(
                ID_SECRET,
                file.at(span),
                format!(
                    "AWS secret access key \"{shown}\" in plain text: deactivate its key pair in IAM (or revoke the session of a temporary key) and use a role or a secret store"
                ),
            )
            .secret(file.at(span));
            if let Some(id) = key_id {
                finding = finding
                    .related(file.at(id), "its access key id")
                    .secret(file.at(id));
            }
            out.push(finding);
        }
        for encoded in encoded_credentials(file) {
            let Found::Secret { .. } = encoded.found else {
                continue;
            };
            out.push(
                Finding::new(
                    ID_SECRET,
                    file.at(encoded.span),
                    format!(
                        "base64 value decodes to AWS secret access key \"{}\": deactivate the key pair in IAM and use a role or a secret store",
                        mask(&encoded.value)
                    ),
                )
                .secret(file.at(encoded.span)),
            );
        }
    }
}

/// `iam-user-access-key`.
pub struct IamUserAccessKey;

impl Rule for IamUserAccessKey {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        match file.kind {
            FileKind::CloudFormation => {
                for root in file.roots() {
                    cloudformation_keys(file, root, out);
                }
            }
            FileKind::Terraform => {
                for root in file.roots() {
                    terraform_keys(file, root, file.syntax == Some(Syntax::Json), out);
                }
            }
            _ => {}
        }
    }
}

fn user_key_finding(file: &SourceFile, span: Span, what: &str, name: &str) -> Finding {
    Finding::new(
        ID_USER_KEY,
        file.at(span),
        format!(
            "{what} \"{name}\" creates a long-lived IAM user access key: give the workload a role (OIDC federation for CI) instead"
        ),
    )
}

fn cloudformation_keys(file: &SourceFile, root: &Node, out: &mut Vec<Finding>) {
    let Some(resources) = root.get("Resources").and_then(Node::entries) else {
        return;
    };
    for resource in resources {
        if let Some(ty) = resource.value.get("Type")
            && ty.as_str() == Some("AWS::IAM::AccessKey")
        {
            out.push(user_key_finding(
                file,
                ty.span,
                "AWS::IAM::AccessKey",
                &resource.key.text,
            ));
        }
    }
}

fn terraform_keys(file: &SourceFile, root: &Node, json: bool, out: &mut Vec<Finding>) {
    const TYPE: &str = "aws_iam_access_key";
    for entry in root.entries().unwrap_or(&[]) {
        if entry.key.text != "resource" {
            continue;
        }
        match &entry.value.kind {
            NodeKind::Block(block) => {
                if let [ty, name, ..] = &block.labels[..]
                    && ty.text == TYPE
                {
                    out.push(user_key_finding(
                        file,
                        ty.span,
                        "resource aws_iam_access_key",
                        &name.text,
                    ));
                }
            }
            // `.tf.json`: {"resource": {"aws_iam_access_key": {"NAME": {...}}}}
            NodeKind::Map(types) if json => {
                for ty in types.iter().filter(|t| t.key.text == TYPE) {
                    for name in ty.value.entries().unwrap_or(&[]) {
                        out.push(user_key_finding(
                            file,
                            ty.key.span,
                            "resource aws_iam_access_key",
                            &name.key.text,
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real-shaped key id and secret, built so that no literal key sits in
    /// the source.
    fn key_id(prefix: &str) -> String {
        format!("{prefix}{}", "Q3ZT7VXK2MPLR5WN")
    }

    #[test]
    fn own_sarif_reports_are_not_scanned_but_other_sarif_is() {
        let key = key_id("AKIA");
        let own = format!(
            "{{\n  \"$schema\": \"x\",\n  \"runs\": [{{\"tool\": {{\"driver\": {{\"name\": \"shiplint\", \"help\": \"{key}\"}}}}}}]\n}}"
        );
        let file = crate::discover::load_str("out/report.sarif", &own);
        let config = crate::config::Config::default();
        let cx = Context {
            files: &[],
            config: &config,
            enabled: None,
        };
        assert!(credentials(&cx, &file).0.is_empty());
        let other = own.replace("\"name\": \"shiplint\"", "\"name\": \"othertool\"");
        let file = crate::discover::load_str("out/report.sarif", &other);
        assert_eq!(credentials(&cx, &file).0.len(), 1);
    }

    fn secret() -> String {
        [
            "h2Rk9", "PzXq/", "7mVbT", "c4Lw+", "YnE8s", "Fu3Ja", "D6gK1", "oBqR0",
        ]
        .concat()
    }

    fn ids(text: &str) -> Vec<&str> {
        find(text)
            .into_iter()
            .filter_map(|f| match f {
                Found::KeyId { span, .. } => text.get(span.range()),
                Found::Secret { .. } => None,
            })
            .collect()
    }

    fn secrets(text: &str) -> Vec<&str> {
        find(text)
            .into_iter()
            .filter_map(|f| match f {
                Found::Secret { span, .. } => text.get(span.range()),
                Found::KeyId { .. } => None,
            })
            .collect()
    }

    #[test]
    fn key_ids_by_prefix_and_alphabet() {
        for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
            let id = key_id(prefix);
            assert_eq!(ids(&format!("key = \"{id}\"\n")), [id.as_str()], "{prefix}");
        }
        // Ids that are not keys, wrong alphabet, wrong length, not bounded.
        for text in [
            "AIDAQ3ZT7VXK2MPLR5WN",
            "AROAQ3ZT7VXK2MPLR5WN",
            "AKIAQ3ZT7VXK2MPLR5W1",
            "AKIAQ3ZT7VXK2MPLR5W",
            "AKIAQ3ZT7VXK2MPLR5WNX",
            "xAKIAQ3ZT7VXK2MPLR5WN",
            "akiaq3zt7vxk2mplr5wn",
        ] {
            assert!(ids(text).is_empty(), "{text}");
        }
        let found = find(&key_id("ASIA"));
        assert_eq!(
            found,
            [Found::KeyId {
                span: Span::new(0, 20),
                temporary: true
            }]
        );
    }

    #[test]
    fn documentation_examples_are_not_reported() {
        let text = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
        assert!(find(text).is_empty());
        assert!(find("AKIAI44QH8DHBEXAMPLE").is_empty());
    }

    #[test]
    fn placeholder_key_ids() {
        for rest in [
            "XXXXXXXXXXXXXXXX",
            "2222333344445555",
            "Z7QH4KAAAAAAAAAA",
            "ABCDEFGHIJKLMNOP",
        ] {
            assert!(super::is_placeholder(rest), "{rest}");
        }
        for rest in ["Z7QH4KXPLM2NW3RT", "Q3ZT7VXK2MPLR5WN", "AABBQ3ZT7VXK2MPL"] {
            assert!(!super::is_placeholder(rest), "{rest}");
        }
    }

    #[test]
    fn secret_keys_by_name_in_any_syntax() {
        let s = secret();
        for text in [
            format!("aws_secret_access_key = {s}\n"),
            format!("AWS_SECRET_ACCESS_KEY: \"{s}\"\n"),
            format!("{{\"SecretAccessKey\": \"{s}\"}}"),
            format!("export AWS_SECRET_ACCESS_KEY={s}\n"),
            format!("  secret_key = \"{s}\"\n"),
            format!(":aws_secret_access_key => '{s}',\n"),
            format!("aws-secret-access-key:\n    {s}\n"),
        ] {
            assert_eq!(secrets(&text), [s.as_str()], "{text}");
        }
    }

    #[test]
    fn secret_keys_next_to_a_key_id() {
        let s = secret();
        let id = key_id("AKIA");
        let text = format!("[default]\nid: {id}\nkey: {s}\n");
        let found = find(&text);
        assert_eq!(found.len(), 2);
        assert!(matches!(
            found[1],
            Found::Secret {
                key_id: Some(_),
                ..
            }
        ));
        // Too far away.
        let far = format!("{id}\n\n\n\n\n\nvalue: {s}\n");
        assert!(secrets(&far).is_empty());
    }

    #[test]
    fn no_secret_without_context_or_with_the_wrong_shape() {
        let s = secret();
        // Shape alone is not enough.
        assert!(secrets(&format!("value: {s}\n")).is_empty());
        // Hashes next to a key id: hexadecimal, no upper case.
        let id = key_id("AKIA");
        let sha = "3f786850e387550fdab836ed7e6dc881de23001b";
        assert!(secrets(&format!("{id}\ncommit: {sha}\n")).is_empty());
        // Longer base64 runs, padding, references.
        assert!(secrets(&format!("secret_key = {s}AB\n")).is_empty());
        assert!(secrets(&format!("secret_key = {s}=\n")).is_empty());
        assert!(
            secrets("AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n").is_empty()
        );
        assert!(
            secrets("aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n")
                .is_empty()
        );
    }

    #[test]
    fn multibyte_text_does_not_panic() {
        let id = key_id("AKIA");
        let text = format!("é\n{id}\nä€\n{}\n", secret());
        assert_eq!(find(&text).len(), 2);
        let _ = nearby("€€", Span::new(0, 3), 3);
    }
}
