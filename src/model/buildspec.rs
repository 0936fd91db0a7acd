//! CodeBuild buildspecs: `version`, `env` (variables, parameter-store,
//! secrets-manager, exported-variables, shell), phases with `on-failure`,
//! `run-as`, `commands` and `finally`, artifacts, cache and reports. Built
//! from a [`Node`], so the same model serves buildspec files and buildspecs
//! written inline in a CodeBuild project (whose nodes are already mapped to
//! the project file's positions by `syntax::parse_embedded`).

use super::value::{Val, value, values};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Entry, Key, Node, NodeKind, SourceMap, Span};
use std::ops::Range;

/// Keys CodeBuild reads at the top of a buildspec.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "version",
    "run-as",
    "env",
    "proxy",
    "batch",
    "phases",
    "reports",
    "artifacts",
    "cache",
    "eb_codebuild_settings",
];

/// Phase names, in the order CodeBuild runs them.
pub const PHASES: &[&str] = &["install", "pre_build", "build", "post_build"];

#[derive(Debug, Clone)]
pub struct Buildspec {
    /// The file root, or the string holding an inline buildspec.
    pub span: Span,
    pub root: Node,
    /// `version`, as written.
    pub version: Option<Val>,
    pub env: Env,
    pub phases: Vec<Phase>,
    pub artifacts: Option<Artifacts>,
    pub cache: Option<CacheSpec>,
    pub reports: Vec<Report>,
}

/// A variable binding: `NAME: value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    pub name: Key,
    /// The value as a string; `None` for maps, lists and nulls.
    pub value: Option<Val>,
}

#[derive(Debug, Clone, Default)]
pub struct Env {
    pub shell: Option<Val>,
    /// Plaintext `env.variables`.
    pub variables: Vec<Var>,
    /// `env.parameter-store`: NAME -> parameter name.
    pub parameter_store: Vec<Var>,
    /// `env.secrets-manager`: NAME -> `secret-id:json-key:...`.
    pub secrets_manager: Vec<Var>,
    pub exported_variables: Vec<Val>,
    pub git_credential_helper: Option<Val>,
}

impl Env {
    /// The binding of a variable read from parameter-store or secrets-manager.
    pub fn secret_binding(&self, name: &str) -> Option<&Var> {
        self.parameter_store
            .iter()
            .chain(&self.secrets_manager)
            .find(|v| v.name.text == name)
    }
}

/// One command item of a phase.
#[derive(Debug, Clone)]
pub struct Command {
    /// The item's span in the file.
    pub span: Span,
    /// The command text, for string items.
    pub text: Option<String>,
    /// Written as a `|` or `>` block scalar.
    pub block: bool,
    /// What the item is when it is not a string (`object`, `number`, ...).
    pub type_name: &'static str,
    map: SourceMap,
}

impl Command {
    /// The file span of a byte range of the command text.
    pub fn file_span(&self, range: Range<usize>) -> Span {
        self.map.map_span(Span::new(range.start, range.end))
    }
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub name: Key,
    pub on_failure: Option<Val>,
    pub run_as: Option<Val>,
    pub commands: Vec<Command>,
    pub finally: Vec<Command>,
}

#[derive(Debug, Clone, Default)]
pub struct Artifacts {
    /// `artifacts.files`: the paths (globs) the artifact holds.
    pub files: Vec<Val>,
    pub name: Option<Val>,
    pub base_directory: Option<Val>,
    pub discard_paths: Option<Val>,
    /// `secondary-artifacts`: identifier and artifact.
    pub secondary: Vec<(Key, Artifacts)>,
}

#[derive(Debug, Clone)]
pub struct CacheSpec {
    /// The `cache` key.
    pub span: Span,
    pub paths: Vec<Val>,
    pub key: Option<Val>,
    pub fallback_keys: Vec<Val>,
    pub action: Option<Val>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub name: Key,
    pub files: Vec<Val>,
    pub base_directory: Option<Val>,
    pub file_format: Option<Val>,
}

impl Buildspec {
    /// Reads a buildspec from its root node; `text` is the text of the file
    /// the node's spans point into. `None` when the root is not a mapping.
    pub fn from_node(text: &str, root: &Node, span: Span) -> Option<Buildspec> {
        root.entries()?;
        let env = root.get("env").map(read_env).unwrap_or_default();
        let phases = root
            .get("phases")
            .and_then(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| read_phase(text, e))
            .collect();
        let cache = root.entry("cache").map(|e| CacheSpec {
            span: e.key.span,
            paths: list(&e.value, "paths"),
            key: e.value.get("key").and_then(value),
            fallback_keys: list(&e.value, "fallback-keys"),
            action: e.value.get("action").and_then(value),
        });
        let reports = root
            .get("reports")
            .and_then(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| Report {
                name: e.key.clone(),
                files: list(&e.value, "files"),
                base_directory: e.value.get("base-directory").and_then(value),
                file_format: e.value.get("file-format").and_then(value),
            })
            .collect();
        Some(Buildspec {
            span,
            root: root.clone(),
            version: root.get("version").and_then(value),
            env,
            phases,
            artifacts: root.get("artifacts").map(read_artifacts),
            cache,
            reports,
        })
    }

    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().rev().find(|p| p.name.text == name)
    }

    /// True for `version: 0.1`.
    pub fn is_legacy(&self) -> bool {
        self.version.as_ref().is_some_and(|v| v.text == "0.1")
    }

    /// Every string command with the phase it belongs to, `commands` before
    /// `finally`, phases in file order.
    pub fn commands(&self) -> impl Iterator<Item = (&Phase, &Command)> {
        self.phases.iter().flat_map(|p| {
            p.commands
                .iter()
                .chain(&p.finally)
                .filter(|c| c.text.is_some())
                .map(move |c| (p, c))
        })
    }
}

fn vars(node: Option<&Node>) -> Vec<Var> {
    node.and_then(Node::entries)
        .unwrap_or(&[])
        .iter()
        .map(|e| Var {
            name: e.key.clone(),
            value: match e.value.kind {
                NodeKind::Str(_) | NodeKind::Number(_) | NodeKind::Bool(_) => value(&e.value),
                _ => None,
            },
        })
        .collect()
}

fn read_env(env: &Node) -> Env {
    Env {
        shell: env.get("shell").and_then(value),
        variables: vars(env.get("variables")),
        parameter_store: vars(env.get("parameter-store")),
        secrets_manager: vars(env.get("secrets-manager")),
        exported_variables: env
            .get("exported-variables")
            .map(values)
            .unwrap_or_default(),
        git_credential_helper: env.get("git-credential-helper").and_then(value),
    }
}

fn list(node: &Node, key: &str) -> Vec<Val> {
    node.get(key).map(values).unwrap_or_default()
}

fn read_artifacts(node: &Node) -> Artifacts {
    Artifacts {
        files: list(node, "files"),
        name: node.get("name").and_then(value),
        base_directory: node.get("base-directory").and_then(value),
        discard_paths: node.get("discard-paths").and_then(value),
        secondary: node
            .get("secondary-artifacts")
            .and_then(Node::entries)
            .unwrap_or(&[])
            .iter()
            .map(|e| (e.key.clone(), read_artifacts(&e.value)))
            .collect(),
    }
}

fn read_phase(text: &str, entry: &Entry) -> Phase {
    let node = &entry.value;
    let commands = |key: &str| {
        node.get(key)
            .and_then(Node::items)
            .unwrap_or(&[])
            .iter()
            .map(|c| read_command(text, c))
            .collect()
    };
    Phase {
        name: entry.key.clone(),
        on_failure: node.get("on-failure").and_then(value),
        run_as: node.get("run-as").and_then(value),
        commands: commands("commands"),
        finally: commands("finally"),
    }
}

fn read_command(text: &str, node: &Node) -> Command {
    let raw = text.get(node.span.range()).unwrap_or("");
    let value = node.as_str();
    Command {
        span: node.span,
        text: value.map(str::to_owned),
        block: value.is_some() && after_block_indicator(text, node.span.start as usize),
        type_name: node.type_name(),
        map: SourceMap::align(raw, node.span.start as usize, value.unwrap_or("")),
    }
}

/// True when the text before `at` ends with a block scalar header (`|`,
/// `>-`, ...): block scalar spans start at their content. Line breaks may be
/// written as `\n` escapes when the buildspec is a JSON string.
fn after_block_indicator(text: &str, at: usize) -> bool {
    let mut before = text.get(..at).unwrap_or("");
    loop {
        let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']);
        let trimmed = trimmed
            .strip_suffix("\\n")
            .or_else(|| trimmed.strip_suffix("\\r"))
            .unwrap_or(trimmed);
        if trimmed.len() == before.len() {
            break;
        }
        before = trimmed;
    }
    // A comment after the indicator (`- |   # build and test`).
    let line_start = before
        .rfind('\n')
        .map_or(0, |i| i + 1)
        .max(before.rfind("\\n").map_or(0, |i| i + 2));
    let line = &before[line_start..];
    if let Some((i, _)) = line
        .char_indices()
        .find(|&(i, c)| c == '#' && line[..i].ends_with([' ', '\t']))
    {
        before = before[..line_start + i].trim_end_matches([' ', '\t']);
    }
    let token = before
        .rsplit(|c: char| c.is_whitespace() || c == '"')
        .next()
        .unwrap_or("");
    token.starts_with(['|', '>'])
        && token
            .chars()
            .all(|c| matches!(c, '|' | '>' | '+' | '-') || c.is_ascii_digit())
}

/// The buildspec of a buildspec file, extracted on first use.
pub fn of(file: &SourceFile) -> Option<&Buildspec> {
    file.models
        .cache()
        .buildspec
        .get_or_init(|| {
            if file.kind != FileKind::Buildspec {
                return None;
            }
            let root = file.roots().first()?;
            Buildspec::from_node(&file.text, root, root.span)
        })
        .as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{Limits, Syntax, parse};

    const SPEC: &str = "version: 0.2
env:
  variables:
    IMAGE: web
  parameter-store:
    DB_PASSWORD: /prod/db/password
  exported-variables:
    - DB_PASSWORD
phases:
  build:
    on-failure: ABORT
    commands:
      - docker build -t x .
      - |
        set -e
        make
  post_build:
    commands:
      - docker push x
    finally:
      - echo done
artifacts:
  files:
    - imagedefinitions.json
  secondary-artifacts:
    reports:
      files: [out.xml]
cache:
  key: npm-$(codebuild-hash-files package-lock.json)
  paths:
    - /root/.npm/**/*
";

    #[test]
    fn reads_every_section() {
        let doc = parse(Syntax::Yaml, SPEC, &Limits::default()).expect("parses");
        let root = doc.root().expect("root");
        let spec = Buildspec::from_node(SPEC, root, root.span).expect("a buildspec");
        assert_eq!(spec.version.as_ref().map(|v| v.text.as_str()), Some("0.2"));
        assert_eq!(spec.env.variables[0].name.text, "IMAGE");
        assert!(spec.env.secret_binding("DB_PASSWORD").is_some());
        assert_eq!(spec.env.exported_variables[0].text, "DB_PASSWORD");
        let build = spec.phase("build").expect("build");
        assert_eq!(
            build.on_failure.as_ref().map(|v| v.text.as_str()),
            Some("ABORT")
        );
        assert!(!build.commands[0].block);
        assert!(build.commands[1].block);
        let post = spec.phase("post_build").expect("post_build");
        assert_eq!(post.finally.len(), 1);
        let push = &post.commands[0];
        let span = push.file_span(7..11);
        assert_eq!(&SPEC[span.range()], "push");
        let artifacts = spec.artifacts.as_ref().expect("artifacts");
        assert_eq!(artifacts.files[0].text, "imagedefinitions.json");
        assert_eq!(artifacts.secondary[0].1.files[0].text, "out.xml");
        let cache = spec.cache.as_ref().expect("cache");
        assert!(
            cache
                .key
                .as_ref()
                .is_some_and(|k| k.text.contains("codebuild-hash-files"))
        );
        assert_eq!(spec.commands().count(), 4);
    }

    #[test]
    fn block_offsets_map_to_file_lines() {
        let doc = parse(Syntax::Yaml, SPEC, &Limits::default()).expect("parses");
        let root = doc.root().expect("root");
        let spec = Buildspec::from_node(SPEC, root, root.span).expect("a buildspec");
        let block = &spec.phase("build").expect("build").commands[1];
        let text = block.text.as_deref().expect("text");
        let at = text.find("make").expect("make");
        assert_eq!(&SPEC[block.file_span(at..at + 4).range()], "make");
    }
}
