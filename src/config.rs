//! The configuration file: discovery, loading (with `extend` chains),
//! validation with positions, and the path conventions for globs.

use crate::finding::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use toml::Spanned;

/// Names a configuration file may have, in order of preference.
pub const CONFIG_NAMES: [&str; 2] = ["shiplint.toml", ".shiplint.toml"];

/// A commented starter configuration (written by `shiplint init`).
pub const STARTER: &str = r#"# shiplint configuration. Paths and globs are relative to this file's
# directory; `shiplint explain <rule-id>` describes a rule.

# Settings from another configuration file (a path relative to this one);
# the keys below override or extend them.
# extend = "../shared-shiplint.toml"

# Exit 1 when a finding is at least this severe:
# critical, high, medium, low, info or never.
fail-on = "low"

# Files not to scan. A glob without "/" matches a file name at any depth
# ("*.md"); a glob matching a directory excludes everything below it.
exclude = []

[rules]
# Rule ids, rule families, or "all".
select = ["all"]
ignore = []

[rules.severity]
# hardcoded-account-id = "info"

[accounts]
# Your own AWS account ids; enables trust-external-account-no-external-id.
own = []
# Account ids never reported as hard-coded.
known = []

# Settings for some paths only; later blocks win.
# [[overrides]]
# paths = ["sandbox/**"]
# ignore = ["oidc-subject-any-ref"]
# severity = { hardcoded-account-id = "info" }

[limits]
# max-file-size = 8388608     # bytes; larger files are skipped
# max-nesting = 256
# max-alias-nodes = 100000
"#;

/// A configuration error, with the file and (when known) the position.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: {}", .path.display(), io_reason(.source))]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", .path.display())]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = err.to_string().to_lowercase();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

/// `fail-on`: a severity threshold, or never fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run, if any.
    pub fn threshold(&self) -> Option<Severity> {
        match self {
            FailOn::Severity(s) => Some(*s),
            FailOn::Never => None,
        }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::Severity(s) => s.fmt(f),
            FailOn::Never => f.write_str("never"),
        }
    }
}

/// `[accounts]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// The organisation's own accounts.
    pub own: Vec<String>,
    /// Accounts never reported as hard-coded.
    pub known: Vec<String>,
}

/// `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Larger files are skipped (bytes).
    pub max_file_size: u64,
    pub max_nesting: usize,
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 8 * 1024 * 1024,
            max_nesting: 256,
            max_alias_nodes: 100_000,
        }
    }
}

impl Limits {
    /// The limits the parsers enforce.
    pub fn parser(&self) -> crate::syntax::Limits {
        crate::syntax::Limits {
            max_nesting: self.max_nesting,
            max_alias_nodes: self.max_alias_nodes,
        }
    }
}

/// One `[[overrides]]` block.
#[derive(Debug, Clone)]
pub struct Override {
    pub paths: GlobSet,
    pub patterns: Vec<String>,
    /// Replaces the selection for matching files when present.
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory of the top configuration file; None without a file.
    pub root: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub accounts: Accounts,
    pub overrides: Vec<Override>,
    pub limits: Limits,
    /// `repository = "owner/name"`: the repository the scanned workflows
    /// belong to, when neither `GITHUB_REPOSITORY` nor the `origin` remote
    /// says it.
    pub repository: Option<String>,
    exclude: GlobSet,
    exclude_patterns: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            root: None,
            fail_on: None,
            select: vec!["all".into()],
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            accounts: Accounts::default(),
            overrides: Vec::new(),
            limits: Limits::default(),
            repository: None,
            exclude: GlobSet::empty(),
            exclude_patterns: Vec::new(),
        }
    }
}

impl Config {
    /// True if `rel` (relative to `root`, `/`-separated) matches an `exclude` glob.
    pub fn is_excluded(&self, rel: &str) -> bool {
        self.exclude.is_match(clean_rel(rel))
    }

    /// The `exclude` globs as written.
    pub fn exclude_patterns(&self) -> &[String] {
        &self.exclude_patterns
    }

    /// Overrides whose `paths` match `rel`, in file order.
    pub fn overrides_for<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a Override> + 'a {
        let rel = clean_rel(rel);
        self.overrides.iter().filter(move |o| o.paths.is_match(rel))
    }

    /// `file` relative to `root` (as given when outside it or without a
    /// root), `/`-separated, without a leading `./`.
    pub fn relative(&self, file: &Path) -> String {
        if let Some(root) = &self.root
            && let Ok(abs) = std::path::absolute(file)
            && let Ok(rest) = normalize(&abs).strip_prefix(root)
        {
            let text = slashed(rest);
            return if text.is_empty() { ".".into() } else { text };
        }
        clean_rel(&slashed(file)).to_owned()
    }
}

fn slashed(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn clean_rel(rel: &str) -> &str {
    let mut rel = rel;
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest;
    }
    rel
}

/// Removes `.` and resolves `..` lexically (symbolic links are not followed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Finds the configuration for a scan of `start`: walks up from it (its
/// directory if a file) to the repository root (the directory holding
/// `.git`) or the filesystem root.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = normalize(&std::path::absolute(start).ok()?);
    let mut dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent()?
    };
    loop {
        for name in CONFIG_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?;
    }
}

/// Loads a configuration file and the files it extends.
pub fn load(path: &Path, is_selector: &dyn Fn(&str) -> bool) -> Result<Config, ConfigError> {
    let mut stack = Vec::new();
    let layer = load_layer(path, is_selector, &mut stack)?;
    let abs = std::path::absolute(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })?;
    let root = normalize(&abs).parent().map(Path::to_path_buf);
    let exclude = compile(&layer.exclude).map_err(|e| ConfigError::File {
        path: path.to_owned(),
        message: format!("invalid glob: {}", e.kind()),
    })?;
    let defaults = Limits::default();
    Ok(Config {
        root,
        fail_on: layer.fail_on,
        select: layer.select.unwrap_or_else(|| vec!["all".into()]),
        ignore: layer.ignore,
        severity: layer.severity,
        accounts: Accounts {
            own: layer.own,
            known: layer.known,
        },
        overrides: layer.overrides,
        limits: Limits {
            max_file_size: layer.max_file_size.unwrap_or(defaults.max_file_size),
            max_nesting: layer.max_nesting.unwrap_or(defaults.max_nesting),
            max_alias_nodes: layer.max_alias_nodes.unwrap_or(defaults.max_alias_nodes),
        },
        repository: layer.repository,
        exclude,
        exclude_patterns: layer.exclude,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    extend: Option<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    repository: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    accounts: RawAccounts,
    #[serde(default)]
    overrides: Vec<RawOverride>,
    #[serde(default)]
    limits: RawLimits,
}

type RawSeverities = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: RawSeverities,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAccounts {
    #[serde(default)]
    own: Vec<Spanned<String>>,
    #[serde(default)]
    known: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverride {
    paths: Spanned<Vec<Spanned<String>>>,
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: RawSeverities,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<u64>,
    max_nesting: Option<usize>,
    max_alias_nodes: Option<usize>,
}

/// One file's validated settings, before defaults.
#[derive(Default)]
struct Layer {
    fail_on: Option<FailOn>,
    exclude: Vec<String>,
    select: Option<Vec<String>>,
    ignore: Vec<String>,
    severity: BTreeMap<String, Severity>,
    own: Vec<String>,
    known: Vec<String>,
    overrides: Vec<Override>,
    max_file_size: Option<u64>,
    max_nesting: Option<usize>,
    max_alias_nodes: Option<usize>,
    repository: Option<String>,
}

impl Layer {
    /// `self` extended by `child`.
    fn merge(mut self, child: Layer) -> Layer {
        self.fail_on = child.fail_on.or(self.fail_on);
        self.exclude.extend(child.exclude);
        self.select = child.select.or(self.select);
        self.ignore.extend(child.ignore);
        self.severity.extend(child.severity);
        self.own.extend(child.own);
        self.known.extend(child.known);
        self.overrides.extend(child.overrides);
        self.max_file_size = child.max_file_size.or(self.max_file_size);
        self.max_nesting = child.max_nesting.or(self.max_nesting);
        self.max_alias_nodes = child.max_alias_nodes.or(self.max_alias_nodes);
        self.repository = child.repository.or(self.repository);
        self
    }
}

/// The file being validated, for positions in errors.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    is_selector: &'a dyn Fn(&str) -> bool,
}

impl Source<'_> {
    fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        match span {
            Some(span) => {
                let (line, column) = line_col(self.text, span.start);
                ConfigError::At {
                    path: self.path.to_owned(),
                    line,
                    column,
                    message,
                }
            }
            None => ConfigError::File {
                path: self.path.to_owned(),
                message,
            },
        }
    }

    fn rule(&self, id: Spanned<String>) -> Result<String, ConfigError> {
        if (self.is_selector)(id.get_ref()) {
            Ok(id.into_inner())
        } else {
            let message = format!("unknown rule or family `{}`", id.get_ref());
            Err(self.error(Some(id.span()), message))
        }
    }

    fn rules(&self, ids: Vec<Spanned<String>>) -> Result<Vec<String>, ConfigError> {
        ids.into_iter().map(|id| self.rule(id)).collect()
    }

    fn severities(&self, raw: RawSeverities) -> Result<BTreeMap<String, Severity>, ConfigError> {
        let mut out = BTreeMap::new();
        for (id, value) in raw {
            let severity = parse_severity(value.get_ref()).ok_or_else(|| {
                let message = format!(
                    "invalid severity `{}`, expected one of {SEVERITIES}",
                    value.get_ref()
                );
                self.error(Some(value.span()), message)
            })?;
            out.insert(self.rule(id)?, severity);
        }
        Ok(out)
    }

    fn accounts(&self, ids: Vec<Spanned<String>>) -> Result<Vec<String>, ConfigError> {
        ids.into_iter()
            .map(|id| {
                let text = id.get_ref();
                if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(id.into_inner())
                } else {
                    let message = format!("invalid account id `{text}`, expected 12 digits");
                    Err(self.error(Some(id.span()), message))
                }
            })
            .collect()
    }

    /// Checks each glob; returns them as written.
    fn globs(&self, globs: Vec<Spanned<String>>) -> Result<Vec<String>, ConfigError> {
        globs
            .into_iter()
            .map(|g| {
                let problem = if g.get_ref().trim_matches(['/', '.']).is_empty() {
                    Some("empty pattern".to_owned())
                } else {
                    compile(std::slice::from_ref(g.get_ref()))
                        .err()
                        .map(|e| e.kind().to_string())
                };
                match problem {
                    None => Ok(g.into_inner()),
                    Some(problem) => {
                        let message = format!("invalid glob `{}`: {problem}", g.get_ref());
                        Err(self.error(Some(g.span()), message))
                    }
                }
            })
            .collect()
    }

    fn layer(&self, raw: RawFile) -> Result<Layer, ConfigError> {
        let fail_on = match raw.fail_on {
            None => None,
            Some(v) if v.get_ref() == "never" => Some(FailOn::Never),
            Some(v) => Some(FailOn::Severity(parse_severity(v.get_ref()).ok_or_else(
                || {
                    let message = format!(
                        "invalid fail-on `{}`, expected one of {SEVERITIES}, never",
                        v.get_ref()
                    );
                    self.error(Some(v.span()), message)
                },
            )?)),
        };
        let repository = match raw.repository {
            None => None,
            Some(v) => {
                let text = v.get_ref();
                let ok = text.split_once('/').is_some_and(|(o, n)| {
                    !o.is_empty() && !n.is_empty() && !n.contains('/') && !text.contains(' ')
                });
                if !ok {
                    let message = format!("invalid repository `{text}`, expected \"owner/name\"");
                    return Err(self.error(Some(v.span()), message));
                }
                Some(text.clone())
            }
        };
        let mut overrides = Vec::new();
        for o in raw.overrides {
            if o.paths.get_ref().is_empty() {
                let message = "`paths` must not be empty".to_owned();
                return Err(self.error(Some(o.paths.span()), message));
            }
            let patterns = self.globs(o.paths.into_inner())?;
            let paths = compile(&patterns).map_err(|e| self.error(None, e.to_string()))?;
            overrides.push(Override {
                paths,
                patterns,
                select: o.select.map(|s| self.rules(s)).transpose()?,
                ignore: self.rules(o.ignore)?,
                severity: self.severities(o.severity)?,
            });
        }
        Ok(Layer {
            fail_on,
            exclude: self.globs(raw.exclude)?,
            select: raw.rules.select.map(|s| self.rules(s)).transpose()?,
            ignore: self.rules(raw.rules.ignore)?,
            severity: self.severities(raw.rules.severity)?,
            own: self.accounts(raw.accounts.own)?,
            known: self.accounts(raw.accounts.known)?,
            overrides,
            max_file_size: raw.limits.max_file_size,
            max_nesting: raw.limits.max_nesting,
            max_alias_nodes: raw.limits.max_alias_nodes,
            repository,
        })
    }
}

/// Loads `path` and what it extends; `stack` holds the files being loaded
/// (canonical paths) to detect cycles.
fn load_layer(
    path: &Path,
    is_selector: &dyn Fn(&str) -> bool,
    stack: &mut Vec<PathBuf>,
) -> Result<Layer, ConfigError> {
    let io = |source| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    stack.push(std::fs::canonicalize(path).map_err(io)?);
    let source = Source {
        path,
        text: &text,
        is_selector,
    };
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        let message = e.message().trim();
        let message = message.replace("unknown field", "unknown key");
        let message = message.replace("missing field", "missing key");
        source.error(e.span(), message)
    })?;
    let extend = raw.extend.clone();
    let layer = source.layer(raw)?;
    let merged = match extend {
        None => layer,
        Some(target) => {
            let base_path = path
                .parent()
                .unwrap_or(Path::new(""))
                .join(target.get_ref());
            let canonical = std::fs::canonicalize(&base_path).map_err(|e| {
                let message = format!("cannot read `{}`: {}", base_path.display(), io_reason(&e));
                source.error(Some(target.span()), message)
            })?;
            if let Some(start) = stack.iter().position(|p| *p == canonical) {
                let mut names: Vec<String> = stack[start..]
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                names.push(canonical.display().to_string());
                let message = format!("extend cycle: {}", names.join(" -> "));
                return Err(source.error(Some(target.span()), message));
            }
            load_layer(&base_path, is_selector, stack)?.merge(layer)
        }
    };
    stack.pop();
    Ok(merged)
}

const SEVERITIES: &str = "critical, high, medium, low, info";

fn parse_severity(text: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|s| s.as_str() == text)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// Globs a pattern stands for: one without `/` matches a name at any depth,
/// and whatever matches a directory also matches everything below it.
fn expand(pattern: &str) -> Vec<String> {
    let p = clean_rel(pattern);
    let anchored = p.starts_with('/');
    let p = p.trim_start_matches('/').trim_end_matches('/');
    let base = if anchored || p.contains('/') {
        p.to_owned()
    } else {
        format!("**/{p}")
    };
    if base.ends_with("/**") {
        vec![base]
    } else {
        vec![format!("{base}/**"), base]
    }
}

/// Compiles globs with the conventions of [`expand`]; `--include` and
/// `--exclude` use it too, so globs mean the same everywhere.
pub fn compile(patterns: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        for glob in expand(pattern) {
            builder.add(GlobBuilder::new(&glob).literal_separator(true).build()?);
        }
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn known(s: &str) -> bool {
        [
            "all",
            "oidc",
            "image-tag-mutable",
            "hardcoded-account-id",
            "oidc-subject-any-ref",
        ]
        .contains(&s)
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("create directory");
        }
        fs::write(&path, text).expect("write file");
        path
    }

    fn load_text(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("temporary directory");
        load(&write(dir.path(), "shiplint.toml", text), &known)
    }

    /// The error text with the temporary directory stripped.
    fn error(text: &str) -> String {
        let err = load_text(text).expect_err("an error").to_string();
        let at = err.find("shiplint.toml").expect("path in error");
        err[at..].to_owned()
    }

    const EXAMPLE: &str = r#"fail-on = "medium"
exclude = ["examples/**"]
[rules]
select = ["all"]
ignore = ["image-tag-mutable"]
[rules.severity]
hardcoded-account-id = "info"
[accounts]
own = ["210987654321"]                  # enables trust-external-account-no-external-id
known = ["210987654321", "602401143452"]   # never reported as hard-coded
[[overrides]]
paths = ["sandbox/**"]
ignore = ["oidc-subject-any-ref"]
"#;

    #[test]
    fn loads_the_design_example() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = write(dir.path(), "shiplint.toml", EXAMPLE);
        let c = load(&path, &known).expect("loads");
        assert_eq!(
            c.root.as_deref(),
            Some(normalize(&std::path::absolute(dir.path()).expect("absolute")).as_path())
        );
        assert_eq!(c.fail_on, Some(FailOn::Severity(Severity::Medium)));
        assert_eq!(
            c.fail_on.and_then(|f| f.threshold()),
            Some(Severity::Medium)
        );
        assert_eq!(c.exclude_patterns(), ["examples/**"]);
        assert!(c.is_excluded("examples/a/b.json"));
        assert!(!c.is_excluded("src/examples.json"));
        assert_eq!(c.select, ["all"]);
        assert_eq!(c.ignore, ["image-tag-mutable"]);
        assert_eq!(
            c.severity,
            BTreeMap::from([("hardcoded-account-id".to_owned(), Severity::Info)])
        );
        assert_eq!(c.accounts.own, ["210987654321"]);
        assert_eq!(c.accounts.known, ["210987654321", "602401143452"]);
        assert_eq!(c.overrides.len(), 1);
        let o = &c.overrides[0];
        assert_eq!(o.patterns, ["sandbox/**"]);
        assert!(o.paths.is_match("sandbox/x/policy.json"));
        assert_eq!(o.select, None);
        assert_eq!(o.ignore, ["oidc-subject-any-ref"]);
        assert!(o.severity.is_empty());
        assert_eq!(c.limits, Limits::default());
        assert_eq!(c.limits.max_file_size, 8 * 1024 * 1024);
        assert_eq!(
            c.relative(&dir.path().join("sandbox/p.json")),
            "sandbox/p.json"
        );
        assert_eq!(c.relative(&dir.path().join("a/../b/./c.yml")), "b/c.yml");
        assert_eq!(
            c.relative(Path::new("/elsewhere/x.json")),
            "/elsewhere/x.json"
        );
    }

    #[test]
    fn defaults_and_limits() {
        let c = Config::default();
        assert_eq!(c.root, None);
        assert_eq!(c.select, ["all"]);
        assert_eq!(c.fail_on, None);
        assert_eq!(c.limits.max_nesting, 256);
        assert_eq!(c.limits.max_alias_nodes, 100_000);
        assert!(!c.is_excluded("a.json"));
        assert_eq!(c.overrides_for("a.json").count(), 0);
        assert_eq!(c.relative(Path::new("./a/b.json")), "a/b.json");

        let limits = "[limits]\nmax-file-size = 1024\nmax-nesting = 10\nmax-alias-nodes = 5";
        let c = load_text(&format!("fail-on = 'never'\n{limits}")).expect("loads");
        assert_eq!(c.fail_on, Some(FailOn::Never));
        assert_eq!(c.fail_on.and_then(|f| f.threshold()), None);
        assert_eq!(c.select, ["all"]);
        assert_eq!(
            c.limits,
            Limits {
                max_file_size: 1024,
                max_nesting: 10,
                max_alias_nodes: 5
            }
        );
    }

    /// The configuration error for `text` starts with `prefix`.
    fn starts(text: &str, prefix: &str) {
        let e = error(text);
        assert!(e.starts_with(prefix), "{e}");
    }

    #[test]
    fn unknown_keys_have_positions() {
        starts(
            "fail-on = \"high\"\nfolo = 1\n",
            "shiplint.toml:2:1: unknown key `folo`, expected one of",
        );
        starts(
            "[rules]\n  selct = []\n",
            "shiplint.toml:2:3: unknown key `selct`, expected one of",
        );
        starts(
            "[[overrides]]\npaths = [\"a\"]\nignroe = []\n",
            "shiplint.toml:3:1: unknown key `ignroe`",
        );
        starts(
            "[limits]\nmax-depth = 3\n",
            "shiplint.toml:2:1: unknown key `max-depth`",
        );
    }

    #[test]
    fn unknown_rules_have_positions() {
        let e = error("[rules]\nignore = [\"oidc\", \"no-such-rule\"]\n");
        assert_eq!(
            e,
            "shiplint.toml:2:19: unknown rule or family `no-such-rule`"
        );
        let e = error("[rules.severity]\nnope = \"low\"\n");
        assert_eq!(e, "shiplint.toml:2:1: unknown rule or family `nope`");
        let e = error("[[overrides]]\npaths = [\"a\"]\nselect = [\"x\"]\n");
        assert_eq!(e, "shiplint.toml:3:11: unknown rule or family `x`");
    }

    #[test]
    fn bad_values_have_positions() {
        let e = error("[rules.severity]\nhardcoded-account-id = \"severe\"\n");
        assert_eq!(
            e,
            format!("shiplint.toml:2:24: invalid severity `severe`, expected one of {SEVERITIES}")
        );
        starts(
            "fail-on = \"all\"\n",
            "shiplint.toml:1:11: invalid fail-on `all`",
        );
        let e = error("[accounts]\nown = [\"210987654321\", \"1234\"]\n");
        assert_eq!(
            e,
            "shiplint.toml:2:24: invalid account id `1234`, expected 12 digits"
        );
        starts(
            "[accounts]\nknown = [\"21098765432x\"]\n",
            "shiplint.toml:2:10: invalid account id",
        );
        let e = error("[[overrides]]\npaths = []\n");
        assert_eq!(e, "shiplint.toml:2:9: `paths` must not be empty");
        starts(
            "[[overrides]]\nignore = []\n",
            "shiplint.toml:1:1: missing key `paths`",
        );
        starts(
            "exclude = [\"a/[b\"]\n",
            "shiplint.toml:1:12: invalid glob `a/[b`",
        );
        starts("[limits]\nmax-nesting = -1\n", "shiplint.toml:2:15: ");
        starts("fail-on = \n", "shiplint.toml:1:");
    }

    #[test]
    fn io_errors_name_the_path() {
        let e = load(Path::new("/no/such/shiplint.toml"), &known).expect_err("an error");
        assert_eq!(
            e.to_string(),
            "/no/such/shiplint.toml: no such file or directory"
        );
    }

    #[test]
    fn extend_chains_merge() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(
            d,
            "shared/base.toml",
            r#"fail-on = "high"
exclude = ["base"]
[rules]
select = ["oidc"]
ignore = ["image-tag-mutable"]
[rules.severity]
image-tag-mutable = "low"
hardcoded-account-id = "high"
[accounts]
own = ["111111111111"]
[[overrides]]
paths = ["b"]
[limits]
max-nesting = 7
max-file-size = 9
"#,
        );
        write(
            d,
            "shared/mid.toml",
            r#"extend = "base.toml"
exclude = ["mid"]
[rules.severity]
hardcoded-account-id = "info"
[limits]
max-nesting = 8
"#,
        );
        let top = write(
            d,
            "repo/shiplint.toml",
            r#"extend = "../shared/mid.toml"
fail-on = "critical"
exclude = ["top"]
[rules]
ignore = ["oidc-subject-any-ref"]
[accounts]
own = ["222222222222"]
known = ["333333333333"]
[[overrides]]
paths = ["t"]
"#,
        );
        let c = load(&top, &known).expect("loads");
        assert_eq!(
            c.root.as_deref(),
            Some(normalize(&std::path::absolute(d.join("repo")).expect("absolute")).as_path())
        );
        assert_eq!(c.fail_on, Some(FailOn::Severity(Severity::Critical)));
        assert_eq!(c.exclude_patterns(), ["base", "mid", "top"]);
        assert_eq!(c.select, ["oidc"]);
        assert_eq!(c.ignore, ["image-tag-mutable", "oidc-subject-any-ref"]);
        assert_eq!(c.severity["image-tag-mutable"], Severity::Low);
        assert_eq!(c.severity["hardcoded-account-id"], Severity::Info);
        assert_eq!(c.accounts.own, ["111111111111", "222222222222"]);
        assert_eq!(c.accounts.known, ["333333333333"]);
        let paths: Vec<_> = c.overrides.iter().map(|o| o.patterns.clone()).collect();
        assert_eq!(paths, [["b"], ["t"]]);
        assert_eq!(c.limits.max_nesting, 8);
        assert_eq!(c.limits.max_file_size, 9);
        assert_eq!(c.limits.max_alias_nodes, 100_000);

        // The child's select replaces the base's.
        write(
            d,
            "child.toml",
            "extend = \"shared/base.toml\"\n[rules]\nselect = [\"all\"]\n",
        );
        assert_eq!(
            load(&d.join("child.toml"), &known).expect("loads").select,
            ["all"]
        );

        // Errors in an extended file name that file.
        write(d, "bad.toml", "[rules]\nignore = [\"zzz\"]\n");
        write(d, "uses-bad.toml", "extend = \"bad.toml\"\n");
        let e = load(&d.join("uses-bad.toml"), &known)
            .expect_err("an error")
            .to_string();
        assert!(
            e.ends_with("bad.toml:2:11: unknown rule or family `zzz`"),
            "{e}"
        );
        write(d, "missing.toml", "extend = \"nothere.toml\"\n");
        let e = load(&d.join("missing.toml"), &known)
            .expect_err("an error")
            .to_string();
        assert!(e.contains("missing.toml:1:10: cannot read `"), "{e}");
        assert!(
            e.ends_with("nothere.toml`: no such file or directory"),
            "{e}"
        );
    }

    #[test]
    fn extend_cycles_are_errors() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(d, "a.toml", "extend = \"sub/b.toml\"\n");
        write(d, "sub/b.toml", "# b\nextend = \"../a.toml\"\n");
        let e = load(&d.join("a.toml"), &known)
            .expect_err("an error")
            .to_string();
        assert!(e.contains("b.toml:2:10: extend cycle: "), "{e}");
        assert!(e.ends_with("a.toml"), "{e}");
        write(d, "self.toml", "extend = \"self.toml\"\n");
        let e = load(&d.join("self.toml"), &known)
            .expect_err("an error")
            .to_string();
        assert!(e.contains("self.toml:1:10: extend cycle: "), "{e}");
    }

    #[test]
    fn discover_walks_up_to_the_repository_root() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(d, "shiplint.toml", "");
        fs::create_dir_all(d.join("repo/.git")).expect("create directory");
        let deep = d.join("repo/a/b");
        fs::create_dir_all(&deep).expect("create directory");
        // Stops at the repository root: the file above it is not used.
        assert_eq!(discover(&deep), None);
        let found = write(d, "repo/.shiplint.toml", "");
        assert_eq!(discover(&deep).as_deref(), Some(found.as_path()));
        let file = write(d, "repo/a/b/policy.json", "{}");
        assert_eq!(discover(&file).as_deref(), Some(found.as_path()));
        // The first name wins within a directory.
        let preferred = write(d, "repo/a/shiplint.toml", "");
        write(d, "repo/a/.shiplint.toml", "");
        assert_eq!(discover(&deep).as_deref(), Some(preferred.as_path()));
        // Outside a repository the walk goes on upwards.
        let plain = d.join("plain/x");
        fs::create_dir_all(&plain).expect("create directory");
        assert_eq!(
            discover(&plain.join("..")).as_deref(),
            Some(d.join("shiplint.toml").as_path())
        );
    }

    #[test]
    fn glob_conventions() {
        let c = load_text(
            "exclude = [\"*.md\", \"examples\", \"/top.json\", \"build/\", \"docs/**\"]\n",
        )
        .expect("loads");
        for yes in [
            "README.md",
            "a/b/c.md",
            "examples/a/b.json",
            "x/examples/y.json",
            "examples",
            "top.json",
            "build/o.json",
            "docs/a/b.yml",
            "./a.md",
        ] {
            assert!(c.is_excluded(yes), "{yes}");
        }
        for no in [
            "a.json",
            "examples.json",
            "x/top.json",
            "md",
            "docs.json",
            "a/docs/b.yml",
        ] {
            assert!(!c.is_excluded(no), "{no}");
        }
        let c = load_text("exclude = [\"src/*.json\"]\n").expect("loads");
        assert!(c.is_excluded("src/a.json"));
        assert!(!c.is_excluded("src/a/b.json"), "* does not cross /");

        let c = load_text(
            r#"[[overrides]]
paths = ["sandbox"]
ignore = ["oidc"]
[[overrides]]
paths = ["*.json"]
select = ["hardcoded-account-id"]
severity = { hardcoded-account-id = "high" }
"#,
        )
        .expect("loads");
        let ids = |rel: &str| -> Vec<usize> {
            c.overrides_for(rel)
                .map(|o| {
                    c.overrides
                        .iter()
                        .position(|x| std::ptr::eq(x, o))
                        .expect("loads")
                })
                .collect()
        };
        assert_eq!(ids("sandbox/a/p.json"), [0, 1]);
        assert_eq!(ids("sandbox/a/p.yml"), [0]);
        assert_eq!(ids("p.json"), [1]);
        assert_eq!(ids("p.yml"), Vec::<usize>::new());
        assert_eq!(
            c.overrides[1].select.as_deref(),
            Some(&["hardcoded-account-id".to_owned()][..])
        );
        assert_eq!(
            c.overrides[1].severity["hardcoded-account-id"],
            Severity::High
        );
    }

    #[test]
    fn starter_loads() {
        let c = load_text(STARTER).expect("loads");
        assert_eq!(c.fail_on, Some(FailOn::Severity(Severity::Low)));
        assert_eq!(c.select, ["all"]);
        assert!(c.overrides.is_empty());
        assert_eq!(c.limits, Limits::default());
        // With every commented line enabled it still loads.
        let enabled: String = STARTER
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with("[[") => rest,
                _ => l,
            })
            .filter(|l| !l.starts_with("extend"))
            .collect::<Vec<_>>()
            .join("\n");
        let c = load_text(&enabled).expect("loads");
        assert_eq!(c.severity["hardcoded-account-id"], Severity::Info);
        assert_eq!(c.overrides.len(), 1);
        assert_eq!(c.limits.max_file_size, 8_388_608);
    }
}
