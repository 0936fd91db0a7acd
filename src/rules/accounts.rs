//! Account ids written literally into delivery configuration, and
//! documentation placeholders (`123456789012`, `YOUR_ORG`, `ACCOUNT_ID`)
//! left in live configuration.
//!
//! Account ids are looked for where an account id stands: the account field
//! of an ARN, the registry of an ECR image URI, the value of an
//! `AccountId`-like key or flag. Every scalar of the parsed document is
//! searched as it is written in the file, so a match's offset in the scalar's
//! text is its offset in the file (quotes, escapes and block-scalar headers
//! never contain digits), whether the scalar is a plain string, a JSON string,
//! a YAML block or a Terraform heredoc.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind, Span};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

const ID_HARDCODED: &str = "hardcoded-account-id";
const ID_PLACEHOLDER: &str = "example-placeholder";

/// Account ids that AWS documentation uses as examples.
pub const PLACEHOLDER_ACCOUNTS: &[&str] = &["123456789012", "111122223333", "000000000000"];

/// The ECS placeholders CodeDeployToECS fills in: legitimate.
fn is_ecs_placeholder(s: &str) -> bool {
    s == "<TASK_DEFINITION>"
        || s.strip_prefix("<IMAGE")
            .and_then(|r| r.strip_suffix("_NAME>"))
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// Where an account id stands inside a value.
static ACCOUNT_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // The account field of an ARN; partition and region may be
        // interpolations (`${AWS::Partition}`), the region `*` or empty.
        r"arn:(?:aws[a-z-]*|\$\{[^}]*\}):[A-Za-z0-9-]*:(?:[a-z0-9*-]*|\$\{[^}]*\}):(\d{12})\b",
        // An ECR registry.
        r"\b(\d{12})\.dkr\.ecr[.-]",
        // A shell assignment or embedded key: ACCOUNT_ID=..., "AccountId": "...".
        r#"(?i)account[_-]?(?:id|number)s?["']?\s*[=:]\s*["']?(\d{12})\b"#,
        // A command-line flag.
        r#"--(?:account-id|account|registry-ids?)(?:=|\s+)["']?(\d{12})\b"#,
    ]
    .iter()
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

/// Words that give away a leftover placeholder.
static PLACEHOLDER_WORDS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(["your", "account", "connection", "<", "xxxxxxxxxxxx"])
        .ok()
});

/// Whether `span` overlaps one of `ranges` (in order, not overlapping).
fn overlaps_any(ranges: &[std::ops::Range<usize>], span: Span) -> bool {
    let span = span.range();
    let first = ranges.partition_point(|r| r.end <= span.start);
    ranges.get(first).is_some_and(|r| r.start < span.end)
}

/// The runs of 12 digits or more in the text, in order.
fn long_digit_runs(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in text.bytes().chain(std::iter::once(b' ')).enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(from)) => {
                if i - from >= 12 {
                    runs.push(from..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// True when the text holds a run of exactly 12 digits somewhere.
fn has_twelve_digits(text: &str) -> bool {
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            run += 1;
        } else {
            if run == 12 {
                return true;
            }
            run = 0;
        }
    }
    run == 12
}

/// A scalar of the document and the key it is the value of.
struct Leaf<'n> {
    node: &'n Node,
    key: Option<&'n str>,
}

const MAX_DEPTH: usize = 512;

fn leaves<'n>(node: &'n Node, key: Option<&'n str>, depth: usize, out: &mut Vec<Leaf<'n>>) {
    if depth > MAX_DEPTH {
        return;
    }
    match &node.kind {
        NodeKind::Str(_) | NodeKind::Number(_) | NodeKind::Expr(_) => {
            out.push(Leaf { node, key });
        }
        NodeKind::Map(_) | NodeKind::Block(_) => {
            for e in node.entries().unwrap_or_default() {
                leaves(&e.value, Some(&e.key.text), depth + 1, out);
            }
        }
        NodeKind::Seq(items) => {
            for item in items {
                leaves(item, key, depth + 1, out);
            }
        }
        NodeKind::Call(call) => {
            for arg in &call.args {
                leaves(arg, key, depth + 1, out);
            }
        }
        NodeKind::Null | NodeKind::Bool(_) => {}
    }
}

fn normalized(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Keys whose value is an account id: `AccountId`, `account_id`,
/// `allowed_account_ids`, `aws:SourceAccount`, a principal `AWS`, a
/// Terraform principal's `identifiers`.
fn is_account_key(key: &str) -> bool {
    if matches!(key, "AWS" | "identifiers") {
        return true;
    }
    let k = normalized(key);
    [
        "accountid",
        "accountids",
        "account",
        "accounts",
        "accountnumber",
    ]
    .iter()
    .any(|suffix| k.ends_with(suffix))
}

/// Keys whose value is a repository id (`owner/repo`).
fn is_repository_key(key: &str) -> bool {
    matches!(
        normalized(key).as_str(),
        "fullrepositoryid" | "repository" | "repositoryid" | "repo"
    )
}

/// The spans of the literal account ids in the file's document.
pub fn account_ids(file: &SourceFile) -> Vec<Span> {
    // Every value holding an account id overlaps one of these runs.
    let runs = long_digit_runs(&file.text);
    if runs.is_empty() {
        return Vec::new();
    }
    let mut all = Vec::new();
    for root in file.roots() {
        leaves(root, None, 0, &mut all);
    }
    let mut spans = BTreeSet::new();
    for leaf in all {
        if !overlaps_any(&runs, leaf.node.span) {
            continue;
        }
        let raw = file.slice(leaf.node.span);
        if !has_twelve_digits(raw) {
            continue;
        }
        let base = leaf.node.span.start as usize;
        for re in ACCOUNT_PATTERNS.iter() {
            for c in re.captures_iter(raw) {
                if let Some(m) = c.get(1) {
                    spans.insert(Span::new(base + m.start(), base + m.end()));
                }
            }
        }
        if leaf.key.is_some_and(is_account_key) {
            let inner = raw.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
            if inner.len() == 12 && inner.bytes().all(|b| b.is_ascii_digit()) {
                let offset = raw.find(inner).unwrap_or(0);
                spans.insert(Span::new(base + offset, base + offset + 12));
            }
        }
    }
    spans.into_iter().collect()
}

/// Blanks out references (`${...}`, `${{ ... }}`, `$(...)`, `{{...}}`,
/// `#{...}`, `$NAME`) so that the names inside them are never read as
/// placeholders. Byte offsets are kept.
pub fn blank_references(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let end = if rest.starts_with(b"${") || rest.starts_with(b"#{") {
            balanced(bytes, i + 1, b'{', b'}')
        } else if rest.starts_with(b"{{") {
            balanced(bytes, i, b'{', b'}')
        } else if rest.starts_with(b"$(") {
            balanced(bytes, i + 1, b'(', b')')
        } else if rest.first() == Some(&b'$') {
            let n = rest[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            (n > 0).then_some(i + 1 + n)
        } else {
            None
        };
        match end {
            Some(end) => {
                for b in &mut out[i..end] {
                    *b = b' ';
                }
                i = end;
            }
            None => i += 1,
        }
    }
    // Only ASCII bytes start or end a blanked range, so whole characters are
    // replaced and the text stays UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// The end (exclusive) of the bracketed group opening at `open_at`, or the
/// end of the text when it is never closed.
fn balanced(bytes: &[u8], open_at: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (j, b) in bytes.iter().enumerate().skip(open_at) {
        if *b == open {
            depth += 1;
        } else if *b == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return Some(j + 1);
            }
        }
    }
    Some(bytes.len())
}

/// A placeholder word of a value: its span and text.
fn placeholder_words(raw: &str, base: usize, key: Option<&str>, out: &mut Vec<(Span, String)>) {
    let blanked = blank_references(raw);
    let unquoted = blanked.trim_start_matches(['"', '\'', ' ']);
    let in_arn = blanked.contains("arn:");
    let qualifies = in_arn
        || blanked.contains("://")
        || blanked.contains(".amazonaws.com")
        || unquoted.starts_with("repo:")
        || key.is_some_and(is_repository_key);
    if !qualifies {
        return;
    }
    let is_delimiter = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ':' | '/'
                    | '.'
                    | '@'
                    | '?'
                    | '='
                    | '&'
                    | ','
                    | ';'
                    | '"'
                    | '\''
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '#'
                    | '*'
            )
    };
    let mut start = None;
    for (i, c) in blanked
        .char_indices()
        .chain(std::iter::once((blanked.len(), ' ')))
    {
        match (start, is_delimiter(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                let word = &blanked[s..i];
                if is_placeholder_word(word, in_arn) {
                    out.push((Span::new(base + s, base + i), word.to_owned()));
                }
                start = None;
            }
            _ => {}
        }
    }
}

fn is_placeholder_word(word: &str, in_arn: bool) -> bool {
    let lower = word.to_ascii_lowercase();
    if let Some(inner) = word.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
        return !inner.is_empty() && !inner.contains(['<', '>']) && !is_ecs_placeholder(word);
    }
    let rest = lower
        .strip_prefix("your_")
        .or_else(|| lower.strip_prefix("your-"));
    if rest.is_some_and(|r| !r.is_empty()) {
        return true;
    }
    if lower.len() == 12 && lower.bytes().all(|b| b == b'x') {
        return true;
    }
    let id_word = |w: &str| {
        let w = w
            .strip_prefix("aws_")
            .or_else(|| w.strip_prefix("aws-"))
            .unwrap_or(w);
        matches!(
            w,
            "account_id"
                | "account-id"
                | "accountid"
                | "account_number"
                | "account-number"
                | "connection_id"
                | "connection-id"
                | "connectionid"
        )
    };
    if in_arn {
        id_word(&lower)
    } else {
        // Outside ARNs only the unmistakable upper-case spelling: a URL's
        // `?account_id=` is a parameter name.
        word.bytes().all(|b| !b.is_ascii_lowercase()) && id_word(&lower)
    }
}

/// The placeholder words of the file's document.
pub fn placeholders(file: &SourceFile) -> Vec<(Span, String)> {
    let Some(words) = PLACEHOLDER_WORDS.as_ref() else {
        return Vec::new();
    };
    // Matches over the whole text, in order and not overlapping. A value
    // holding a match of its own always overlaps one of them (from wherever
    // the previous match ended, the scan reports one that ends no later than
    // the value's), so only values that overlap one are looked at.
    let hits: Vec<std::ops::Range<usize>> =
        words.find_iter(&file.text).map(|m| m.range()).collect();
    if hits.is_empty() {
        return Vec::new();
    }
    let mut all = Vec::new();
    for root in file.roots() {
        leaves(root, None, 0, &mut all);
    }
    let mut out = Vec::new();
    for leaf in all {
        if !overlaps_any(&hits, leaf.node.span) {
            continue;
        }
        let raw = file.slice(leaf.node.span);
        if words.is_match(raw) {
            placeholder_words(raw, leaf.node.span.start as usize, leaf.key, &mut out);
        }
    }
    out.sort_by_key(|(s, _)| *s);
    out.dedup_by_key(|(s, _)| *s);
    out
}

/// Kinds where a literal account id is reported (plain standalone policy
/// documents are not).
fn hardcoded_applies(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Buildspec
            | FileKind::Workflow
            | FileKind::Pipeline
            | FileKind::TaskDefinition
            | FileKind::CloudFormation
            | FileKind::Terraform
    )
}

/// How to stop writing the account id, by kind of file.
fn account_fix(kind: FileKind) -> Option<&'static str> {
    match kind {
        FileKind::CloudFormation => Some("use ${AWS::AccountId}"),
        FileKind::Terraform => Some("use data.aws_caller_identity.current.account_id"),
        FileKind::Buildspec => Some("read it at run time with `aws sts get-caller-identity`"),
        FileKind::Workflow => Some("keep it in a repository variable such as vars.AWS_ACCOUNT_ID"),
        FileKind::Pipeline | FileKind::TaskDefinition => Some("fill it in at deployment time"),
        _ => None,
    }
}

/// `hardcoded-account-id`.
pub struct HardcodedAccountId;

impl Rule for HardcodedAccountId {
    fn check_file(&self, cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if !hardcoded_applies(file.kind) {
            return;
        }
        for span in account_ids(file) {
            let id = file.slice(span);
            if PLACEHOLDER_ACCOUNTS.contains(&id)
                || cx.config.accounts.known.iter().any(|k| k == id)
            {
                continue;
            }
            out.push(Finding::new(
                ID_HARDCODED,
                file.at(span),
                format!(
                    "account id \"{id}\" written literally: {}, or list it in accounts.known",
                    account_fix(file.kind).unwrap_or("fill it in at deployment time")
                ),
            ));
        }
    }
}

/// `example-placeholder`.
pub struct ExamplePlaceholder;

impl Rule for ExamplePlaceholder {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if file.kind == FileKind::Text || file.doc.is_none() {
            return;
        }
        for span in account_ids(file) {
            let id = file.slice(span);
            if PLACEHOLDER_ACCOUNTS.contains(&id) {
                out.push(Finding::new(
                    ID_PLACEHOLDER,
                    file.at(span),
                    match account_fix(file.kind) {
                        Some(fix) => format!(
                            "placeholder account id \"{id}\" from the AWS documentation: write the real account, or {fix}"
                        ),
                        None => format!(
                            "placeholder account id \"{id}\" from the AWS documentation: write the real account"
                        ),
                    },
                ));
            }
        }
        for (span, word) in placeholders(file) {
            out.push(Finding::new(
                ID_PLACEHOLDER,
                file.at(span),
                format!("placeholder \"{word}\" left in live configuration: replace it with the real value"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> SourceFile {
        crate::discover::load_str(name, text)
    }

    fn ids(name: &str, text: &str) -> Vec<String> {
        let f = file(name, text);
        account_ids(&f)
            .into_iter()
            .map(|s| f.slice(s).to_owned())
            .collect()
    }

    fn words(name: &str, text: &str) -> Vec<String> {
        let f = file(name, text);
        placeholders(&f)
            .into_iter()
            .map(|(s, w)| {
                assert_eq!(f.slice(s), w);
                w
            })
            .collect()
    }

    #[test]
    fn spans_overlapping_ranges() {
        let ranges = [2..4, 10..12];
        let at = |a, b| overlaps_any(&ranges, Span::new(a, b));
        assert!(at(3, 5) && at(0, 3) && at(11, 20) && at(0, 30));
        assert!(!at(0, 2) && !at(4, 10) && !at(12, 13));
        assert!(!overlaps_any(&[], Span::new(0, 5)));
    }

    #[test]
    fn long_digit_runs_are_found_in_order() {
        let text = "a 123456789012 b 12345678901 c 1234567890123\n999999999999";
        let runs: Vec<&str> = long_digit_runs(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(runs, ["123456789012", "1234567890123", "999999999999"]);
        assert!(long_digit_runs("no digits 12345").is_empty());
    }

    #[test]
    fn account_ids_in_arns_ecr_uris_and_keys() {
        let text = r#"
version: 0.2
env:
  variables:
    ACCOUNT: "210987654321"
    ROLE: arn:aws:iam::210987654322:role/deploy
phases:
  build:
    commands:
      - docker push 210987654323.dkr.ecr.eu-west-1.amazonaws.com/web:1
      - |
        set -e
        ACCOUNT_ID=210987654324 make
        aws ecr describe-images --registry-id 210987654325
"#;
        assert_eq!(
            ids("buildspec.yml", text),
            [
                "210987654321",
                "210987654322",
                "210987654323",
                "210987654324",
                "210987654325"
            ]
        );
    }

    #[test]
    fn arn_forms() {
        let text = r#"{"Resources": {"R": {"Type": "AWS::X::Y", "Properties": {
  "A": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:210987654321:log-group:x"},
  "B": "arn:aws:logs:*:210987654322:*",
  "C": "arn:aws-us-gov:s3:::bucket-210987654323",
  "D": "arn:aws:iam::aws:policy/ReadOnlyAccess",
  "E": 2109876543211
}}}}"#;
        assert_eq!(
            ids("t.json", text),
            ["210987654321", "210987654322"],
            "s3 bucket names and 13-digit numbers are not account fields"
        );
    }

    #[test]
    fn references_to_the_account_are_silent() {
        let cfn = "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      Arn: !Sub arn:aws:iam::${AWS::AccountId}:root\n";
        assert!(ids("t.yaml", cfn).is_empty());
        let tf = "data \"aws_caller_identity\" \"current\" {}\nlocals {\n  arn = \"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root\"\n}\n";
        assert!(ids("main.tf", tf).is_empty());
        let bs = "version: 0.2\nphases:\n  build:\n    commands:\n      - ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)\n      - docker push $AWS_ACCOUNT_ID.dkr.ecr.$AWS_REGION.amazonaws.com/web\n";
        assert!(ids("buildspec.yml", bs).is_empty());
    }

    #[test]
    fn exact_spans_in_block_scalars_and_heredocs() {
        let tf = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\"Resource\": \"arn:aws:sqs:eu-west-1:210987654321:q\"}\nEOF\n}\n";
        let f = file("main.tf", tf);
        let spans = account_ids(&f);
        assert_eq!(spans.len(), 1);
        assert_eq!(&tf[spans[0].range()], "210987654321");
        assert_eq!(f.position(spans[0].start).line, 3);
    }

    #[test]
    fn keys_that_hold_account_ids() {
        for key in [
            "AccountId",
            "account_id",
            "allowed_account_ids",
            "aws:SourceAccount",
            "AWS",
            "AWS_ACCOUNT_ID",
        ] {
            assert!(is_account_key(key), "{key}");
        }
        for key in ["Port", "Timeout", "RetentionInDays", "Version"] {
            assert!(!is_account_key(key), "{key}");
        }
        let text = "Resources:\n  R:\n    Type: AWS::X\n    Properties:\n      AccountId: 210987654321\n      Other: 210987654322\n";
        assert_eq!(ids("t.yaml", text), ["210987654321"]);
    }

    #[test]
    fn references_are_blanked() {
        assert_eq!(blank_references("a${b}c"), "a    c");
        assert_eq!(blank_references("${{ secrets.X }}!"), "                !");
        assert_eq!(
            blank_references("x $ACCOUNT_ID y"),
            format!("x {} y", " ".repeat(11))
        );
        assert_eq!(blank_references("$(echo $(id))z"), "             z");
        assert_eq!(
            blank_references("#{V.x} {{resolve:y}} $"),
            "                     $"
        );
        assert_eq!(blank_references("${unclosed é"), "             ");
    }

    #[test]
    fn placeholder_words_only_where_they_are_placeholders() {
        let text = r#"
Resources:
  P:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      A: arn:aws:iam::ACCOUNT_ID:role/x
      B: arn:aws:codestar-connections:eu-west-1:210987654321:connection/CONNECTION_ID
      FullRepositoryId: YOUR_ORG/YOUR_REPO
      D: https://example.com/<your-repo>/x
      E: !Sub arn:aws:iam::${AccountId}:role/x
      F: arn:aws:iam::${ACCOUNT_ID}:role/x
      G: https://example.com/api?account_id=1
      H: <IMAGE1_NAME>
      I: just YOUR_ORG text, not an id
      J: arn:aws:iam::account-id:root
"#;
        assert_eq!(
            words("t.yaml", text),
            [
                "ACCOUNT_ID",
                "CONNECTION_ID",
                "YOUR_ORG",
                "YOUR_REPO",
                "<your-repo>",
                "account-id"
            ]
        );
        assert!(words("taskdef.json", r#"{"containerDefinitions": [{"image": "<IMAGE1_NAME>"}], "x": "arn:aws:ecs:::<TASK_DEFINITION>"}"#).is_empty());
    }

    #[test]
    fn twelve_digit_runs() {
        assert!(has_twelve_digits("a210987654321"));
        assert!(has_twelve_digits("210987654321"));
        assert!(!has_twelve_digits("2109876543210"));
        assert!(!has_twelve_digits("21098765432"));
    }
}
