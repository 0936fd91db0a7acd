//! Finding the files to scan, deciding what each one is, and reading it.
//!
//! The walk is parallel and honours `.gitignore`, `.ignore` and the global git
//! excludes (through the `ignore` crate), never follows symbolic links, and
//! never descends into `.git`. Classification looks at the file name first and
//! then at a small prefix of the content, so that ordinary source files are
//! never parsed.

use crate::report::Notice;
use crate::source::{FileKind, SourceFile};
use crate::syntax::{self, Limits, Span, Syntax};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file the walk found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// Path shown in reports (`/`-separated, relative where possible).
    pub display: String,
    pub path: PathBuf,
    /// Size in bytes when found, for files that may be parsed ([`may_parse`]);
    /// 0 for the others, or when unknown. The file is read later.
    pub size: u64,
}

pub struct WalkOptions<'a> {
    pub threads: usize,
    /// Keeps a file (true) or drops it: configuration and `--include` /
    /// `--exclude` globs. Directories are always entered.
    pub keep: &'a (dyn Fn(&Candidate) -> bool + Sync),
    /// Honour `.gitignore`, `.ignore` and git's excludes (false when
    /// `--include` names the files wanted: they are scanned even if ignored).
    pub ignore_files: bool,
}

/// Walks `roots` in parallel. Candidates come back sorted by display path, so
/// the rest of the scan is deterministic whatever the thread count.
pub fn walk(roots: &[PathBuf], options: &WalkOptions<'_>) -> (Vec<Candidate>, Vec<Notice>) {
    let found = Mutex::new(Vec::new());
    let notices = Mutex::new(Vec::new());
    let cwd = std::env::current_dir().unwrap_or_default();
    for root in roots {
        if !root.exists() && root.symlink_metadata().is_err() {
            push(
                &notices,
                display_path(root, &cwd),
                "no such file or directory".into(),
            );
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .standard_filters(options.ignore_files)
            .hidden(false)
            .follow_links(false)
            .require_git(false)
            .threads(options.threads.max(1))
            .filter_entry(|entry| entry.file_name() != ".git");
        builder.build_parallel().run(|| {
            let found = &found;
            let notices = &notices;
            let cwd = &cwd;
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => {
                        let path = entry.path();
                        let kind = entry.file_type();
                        if kind.is_some_and(|k| k.is_symlink()) {
                            push(
                                notices,
                                display_path(path, cwd),
                                "symbolic link, not followed".into(),
                            );
                        } else if kind.is_some_and(|k| k.is_file()) {
                            let candidate = Candidate {
                                display: display_path(path, cwd),
                                path: path.to_path_buf(),
                                size: if may_parse(path) {
                                    entry.metadata().map_or(0, |m| m.len())
                                } else {
                                    0
                                },
                            };
                            if (options.keep)(&candidate)
                                && let Ok(mut found) = found.lock()
                            {
                                found.push(candidate);
                            }
                        } else if kind.is_some_and(|k| !k.is_dir()) {
                            push(
                                notices,
                                display_path(path, cwd),
                                "not a regular file".into(),
                            );
                        }
                    }
                    Err(err) => {
                        let path = error_path(&err)
                            .map(|p| display_path(p, cwd))
                            .unwrap_or_default();
                        push(notices, path, error_reason(&err));
                    }
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_default();
    if options.ignore_files {
        add_tracked(roots, &cwd, options, &mut found);
    }
    found.sort();
    found.dedup_by(|a, b| a.path == b.path);
    let mut notices = notices.into_inner().unwrap_or_default();
    notices.sort();
    notices.dedup();
    (found, notices)
}

/// Adds the files git tracks under `roots` that the walk left out because an
/// ignore file lists them: a committed file is scanned whatever `.gitignore`
/// says (a `.env` committed by mistake is exactly what must be seen).
fn add_tracked(
    roots: &[PathBuf],
    cwd: &Path,
    options: &WalkOptions<'_>,
    found: &mut Vec<Candidate>,
) {
    let seen: std::collections::HashSet<String> = found.iter().map(|c| c.display.clone()).collect();
    let mut extra = Vec::new();
    for root in roots {
        if !root.is_dir() {
            continue;
        }
        for rel in tracked_files(root) {
            let path = root.join(&rel);
            let display = display_path(&path, cwd);
            if seen.contains(&display)
                || rel.split('/').any(|part| part == ".git")
                || !path.symlink_metadata().is_ok_and(|m| m.is_file())
            {
                continue;
            }
            let candidate = Candidate {
                display,
                size: if may_parse(&path) {
                    path.metadata().map_or(0, |m| m.len())
                } else {
                    0
                },
                path,
            };
            if (options.keep)(&candidate) {
                extra.push(candidate);
            }
        }
    }
    found.append(&mut extra);
}

/// The files git tracks under `dir`, relative to it, `/`-separated; none when
/// `dir` is not in a git work tree or git cannot run. git runs with the file
/// system monitor off, so that a scanned repository's configuration cannot
/// make it start a program.
fn tracked_files(dir: &Path) -> Vec<String> {
    if crate::baseline::repository_root(dir)
        .join(".git")
        .symlink_metadata()
        .is_err()
    {
        return Vec::new();
    }
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.quotepath=off",
            "ls-files",
            "--cached",
            "-z",
            "--",
            ".",
        ])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn push(notices: &Mutex<Vec<Notice>>, path: String, reason: String) {
    if let Ok(mut n) = notices.lock() {
        n.push(Notice { path, reason });
    }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn error_reason(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_reason(err),
        ignore::Error::Loop { .. } => "symbolic link loop, not followed".into(),
        ignore::Error::Io(io) => format!("cannot read: {}", io_reason(io)),
        other => other.to_string().to_lowercase(),
    }
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => err.to_string().to_lowercase(),
    }
}

/// `path` relative to `cwd` when below it, `/`-separated, without `./`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let rel = path.strip_prefix(cwd).unwrap_or(path);
    let text = rel.to_string_lossy().replace('\\', "/");
    let text = text.trim_start_matches("./");
    if text.is_empty() {
        ".".into()
    } else {
        text.to_owned()
    }
}

/// How much of a file classification may look at.
const SNIFF_BYTES: usize = 64 * 1024;
/// How much of a file is read to tell text from binary.
const BINARY_PROBE: usize = 8 * 1024;

/// Whether [`classify`] may give the file a syntax, judging by its name
/// alone: every other file is plain text.
pub fn may_parse(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        [
            "json", "yml", "yaml", "template", "tf", "tfvars", "tpl", "tftpl", "ts", "tsx", "mts",
            "cts", "js", "jsx", "mjs", "cjs", "py",
        ]
        .iter()
        .any(|known| e.eq_ignore_ascii_case(known))
    })
}

/// Decides what a file is from its path and the start of its text.
pub fn classify(display: &str, prefix: &str) -> (FileKind, Option<Syntax>) {
    let lower = display.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let in_dir =
        |dir: &str| lower.starts_with(&format!("{dir}/")) || lower.contains(&format!("/{dir}/"));
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let yaml = matches!(ext, "yml" | "yaml");
    let json = ext == "json";

    if name.ends_with(".tf") {
        return (FileKind::Terraform, Some(Syntax::Hcl));
    }
    if name.ends_with(".tf.json") {
        return (FileKind::Terraform, Some(Syntax::Json));
    }
    if name.ends_with(".tfvars") {
        return (FileKind::Terraform, Some(Syntax::Hcl));
    }
    if name.ends_with(".tfvars.json") {
        return (FileKind::Terraform, Some(Syntax::Json));
    }
    if crate::eval::template::is_template(name) {
        let syntax = crate::eval::template::syntax_of(name, prefix);
        return match sniff(prefix, syntax) {
            FileKind::Text => (FileKind::Text, None),
            kind => (kind, Some(syntax)),
        };
    }
    if json && name.contains("imagedefinitions") {
        return (FileKind::ImageDefinitions, Some(Syntax::Json));
    }
    if name == "imagedetail.json" {
        return (FileKind::ImageDetail, Some(Syntax::Json));
    }
    if matches!(name, "appspec.yml" | "appspec.yaml") {
        return (FileKind::AppSpec, Some(Syntax::Yaml));
    }
    if name == "appspec.json" {
        return (FileKind::AppSpec, Some(Syntax::Json));
    }
    if yaml && in_dir(".github/workflows") {
        return (FileKind::Workflow, Some(Syntax::Yaml));
    }
    if yaml && (name.starts_with("buildspec") || in_dir("buildspecs")) {
        return (FileKind::Buildspec, Some(Syntax::Yaml));
    }
    if json
        && (name.contains("taskdef")
            || name.contains("task-definition")
            || name.contains("task_definition"))
    {
        return (FileKind::TaskDefinition, Some(Syntax::Json));
    }
    if json && name.ends_with(".template.json") && in_dir("cdk.out") {
        return (FileKind::CloudFormation, Some(Syntax::Json));
    }
    if let Some(lang) = crate::program::lang_of(name) {
        // CDK and Pulumi programs; `cdk.out` is read as CloudFormation and
        // dependencies are not the repository's code.
        if !in_dir("node_modules")
            && !in_dir("cdk.out")
            && crate::program::imports_infrastructure(prefix)
        {
            let syntax = match lang {
                crate::program::Lang::TypeScript => Syntax::TypeScript,
                crate::program::Lang::Python => Syntax::Python,
            };
            return (FileKind::CloudFormation, Some(syntax));
        }
        return (FileKind::Text, None);
    }
    let syntax = match ext {
        "json" => Syntax::Json,
        "yml" | "yaml" => Syntax::Yaml,
        "template" => {
            if prefix.trim_start().starts_with('{') {
                Syntax::Json
            } else {
                Syntax::Yaml
            }
        }
        _ => return (FileKind::Text, None),
    };
    match sniff(prefix, syntax) {
        FileKind::Text => (FileKind::Text, None),
        kind => (kind, Some(syntax)),
    }
}

/// Content markers for YAML and JSON files whose name says nothing.
fn sniff(prefix: &str, syntax: Syntax) -> FileKind {
    let has = |marker: &str| prefix.contains(marker);
    // `"Key"` in JSON, `Key:` in YAML.
    let key = |k: &str| match syntax {
        Syntax::Json => has(&format!("\"{k}\"")),
        _ => prefix.lines().any(|l| {
            let l = l.trim_start().trim_start_matches("- ");
            l.strip_prefix(k)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
                || l.strip_prefix(&format!("\"{k}\""))
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        }),
    };
    // `aws iam get-account-authorization-details`: its documents may be
    // URL-encoded, with no `Statement` to see.
    if [
        "RoleDetailList",
        "UserDetailList",
        "GroupDetailList",
        "PolicyVersionList",
    ]
    .iter()
    .any(|k| key(k))
    {
        return FileKind::Policy;
    }
    // `aws cloudformation get-template`: a `TemplateBody` string.
    if key("TemplateBody") {
        return FileKind::CloudFormation;
    }
    if key("AWSTemplateFormatVersion") || (key("Resources") && has("AWS::")) {
        FileKind::CloudFormation
    } else if key("phases") && key("version") {
        FileKind::Buildspec
    } else if key("stages") && (key("actionTypeId") || key("pipeline")) {
        FileKind::Pipeline
    } else if key("containerDefinitions") {
        FileKind::TaskDefinition
    } else if key("deploymentGroupName") || key("autoRollbackConfiguration") {
        FileKind::DeploymentGroup
    } else if key("environment") && key("computeType") {
        FileKind::CodeBuildProject
    } else if key("Statement") {
        FileKind::Policy
    } else {
        FileKind::Text
    }
}

/// Why a file was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Reported as a notice.
    Notice(Notice),
    /// Not worth a line (binary files).
    Quiet,
}

/// Reads, classifies and parses one file.
pub fn load(
    candidate: &Candidate,
    id: usize,
    max_file_size: u64,
    limits: &Limits,
) -> Result<SourceFile, Skip> {
    let notice = |reason: String| {
        Skip::Notice(Notice {
            path: candidate.display.clone(),
            reason,
        })
    };
    let mut file = std::fs::File::open(&candidate.path)
        .map_err(|e| notice(format!("cannot read: {}", io_reason(&e))))?;
    let meta = file
        .metadata()
        .map_err(|e| notice(format!("cannot read: {}", io_reason(&e))))?;
    if !meta.is_file() {
        return Err(notice("not a regular file".into()));
    }
    if meta.len() > max_file_size {
        return Err(notice(format!(
            "larger than the {} byte limit (max-file-size), not read",
            max_file_size
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(BINARY_PROBE));
    (&mut file)
        .take(BINARY_PROBE as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| notice(format!("cannot read: {}", io_reason(&e))))?;
    if bytes.contains(&0) {
        return Err(Skip::Quiet);
    }
    // A probe shorter than asked for ended at the end of the file: most
    // files are read whole by it. Otherwise, room for the rest at once
    // (growing by doubling would leave up to twice the file's size
    // allocated), and never past the limit: the size may have changed since
    // `metadata`.
    if bytes.len() == BINARY_PROBE {
        let rest = usize::try_from(meta.len()).unwrap_or(0);
        bytes.reserve_exact(rest.saturating_sub(bytes.len()));
        file.take(max_file_size.saturating_sub(bytes.len() as u64) + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| notice(format!("cannot read: {}", io_reason(&e))))?;
    }
    if bytes.len() as u64 > max_file_size {
        return Err(notice(format!(
            "larger than the {} byte limit (max-file-size), not read",
            max_file_size
        )));
    }
    if bytes.contains(&0) {
        return Err(Skip::Quiet);
    }
    Ok(parse_bytes(candidate, id, bytes, limits))
}

/// Classifies and parses `text` as if read from `path` (tests, embedding).
pub fn load_str(path: &str, text: &str) -> SourceFile {
    let candidate = Candidate {
        display: path.to_owned(),
        path: PathBuf::from(path),
        size: text.len() as u64,
    };
    parse_bytes(&candidate, 0, text.as_bytes().to_vec(), &Limits::default())
}

/// Classifies and parses bytes already read.
pub fn parse_bytes(
    candidate: &Candidate,
    id: usize,
    bytes: Vec<u8>,
    limits: &Limits,
) -> SourceFile {
    let mut bytes = bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let (text, invalid_at) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(err.as_bytes()).into_owned(),
                Some(at),
            )
        }
    };
    let prefix = text.get(..SNIFF_BYTES.min(text.len())).unwrap_or_else(|| {
        let mut end = SNIFF_BYTES.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    });
    let (kind, syntax) = classify(&candidate.display, prefix);
    let lines = syntax::LineIndex::new(&text);
    let mut notices = Vec::new();
    let mut uses = Vec::new();
    let (doc, parse_error) = match (syntax, invalid_at) {
        // Programs: tree-sitter reads what it can; problems are notices.
        (Some(syntax @ (Syntax::TypeScript | Syntax::Python)), invalid_at) => {
            let lang = match syntax {
                Syntax::Python => crate::program::Lang::Python,
                _ => crate::program::Lang::TypeScript,
            };
            if let Some(at) = invalid_at {
                let (line, column) = crate::program::line_col(&text, at);
                notices.push(format!(
                    "not valid UTF-8 at line {line}, column {column}: read with the invalid bytes replaced"
                ));
            }
            match crate::program::parse(lang, &text, limits) {
                Ok(parsed) => {
                    notices.extend(parsed.warnings);
                    uses = parsed.uses;
                    (
                        Some(syntax::Document {
                            syntax,
                            roots: vec![parsed.root],
                        }),
                        None,
                    )
                }
                Err(e) => {
                    notices.push(format!("not read: {}", e.message));
                    (None, None)
                }
            }
        }
        (Some(_), Some(at)) => (
            None,
            Some(syntax::ParseError {
                message: "not valid UTF-8".into(),
                span: Span::new(at, at),
            }),
        ),
        (Some(syntax), None) if crate::eval::template::is_template(&candidate.display) => {
            crate::eval::template::parse(&text, syntax, limits)
        }
        (Some(syntax), None) => match syntax::parse(syntax, &text, limits) {
            // `aws cloudformation get-template`: the template is its body.
            Ok(doc) if kind == FileKind::CloudFormation => {
                let body = doc
                    .root()
                    .filter(|r| crate::model::export::is_template_export(r))
                    .and_then(|r| crate::model::export::template_body(&text, syntax, r, limits));
                (Some(body.unwrap_or(doc)), None)
            }
            Ok(doc) => (Some(doc), None),
            Err(e) => (None, Some(e)),
        },
        (None, _) => (None, None),
    };
    let models = crate::model::Models::new(doc.is_some());
    let roots = doc.as_ref().map_or(&[][..], |d| d.roots.as_slice());
    let suppressions = crate::suppress::comments(&text, syntax, roots);
    SourceFile {
        id,
        path: candidate.path.clone(),
        display: candidate.display.clone(),
        kind,
        syntax,
        text,
        lines,
        doc,
        parse_error,
        notices,
        uses,
        models,
        suppressions,
        scope: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_that_may_parse_are_given_a_syntax() {
        let prefixes = [
            "",
            "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
            "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}",
            "version: 0.2\nphases: {}\n",
        ];
        let names = [
            "README.md",
            "main.py",
            "src/lib.rs",
            "Makefile",
            "main.tf",
            "stack.tf.json",
            "infra/stack.template",
            "infra/stack.TEMPLATE",
            "buildspec.yml",
            "ci/Buildspec.YAML",
            ".github/workflows/ci.yml",
            "imagedefinitions.json",
            "taskdef.json",
            "appspec.yaml",
            "policy.JSON",
            "notes.txt",
            "yml",
            "template",
        ];
        for name in names {
            for prefix in prefixes {
                let (_, syntax) = classify(name, prefix);
                if syntax.is_some() {
                    assert!(may_parse(Path::new(name)), "{name} is parsed but not sized");
                }
            }
        }
        assert!(!may_parse(Path::new("main.go")));
        // Programs are sized: a CDK or Pulumi program may be parsed.
        assert!(may_parse(Path::new("main.py")));
    }

    #[test]
    fn classifies_by_name() {
        let k = |p: &str| classify(p, "").0;
        assert_eq!(k("infra/main.tf"), FileKind::Terraform);
        assert_eq!(k("a/imagedefinitions.json"), FileKind::ImageDefinitions);
        assert_eq!(k("imageDetail.json"), FileKind::ImageDetail);
        assert_eq!(k("deploy/appspec.yaml"), FileKind::AppSpec);
        assert_eq!(k(".github/workflows/ci.yml"), FileKind::Workflow);
        assert_eq!(k("buildspec-test.yml"), FileKind::Buildspec);
        assert_eq!(k("ci/buildspecs/deploy.yaml"), FileKind::Buildspec);
        assert_eq!(k("taskdef.json"), FileKind::TaskDefinition);
        assert_eq!(k("cdk.out/App.template.json"), FileKind::CloudFormation);
        assert_eq!(k("src/main.rs"), FileKind::Text);
        assert_eq!(k("config.yml"), FileKind::Text);
    }

    #[test]
    fn classifies_by_content() {
        let k = |p: &str, c: &str| classify(p, c).0;
        assert_eq!(
            k("t.yaml", "AWSTemplateFormatVersion: '2010-09-09'\n"),
            FileKind::CloudFormation
        );
        assert_eq!(
            k("t.yaml", "Resources:\n  R:\n    Type: AWS::IAM::Role\n"),
            FileKind::CloudFormation
        );
        assert_eq!(
            k(
                "trust.json",
                "{\"Version\": \"2012-10-17\", \"Statement\": []}"
            ),
            FileKind::Policy
        );
        assert_eq!(
            k("ci.yml", "version: 0.2\nphases:\n  build: {}\n"),
            FileKind::Buildspec
        );
        assert_eq!(
            k("p.json", "{\"pipeline\": {\"stages\": []}}"),
            FileKind::Pipeline
        );
        assert_eq!(
            k("docker-compose.yml", "services:\n  web: {}\n"),
            FileKind::Text
        );
        assert_eq!(
            k("notes.json", "{\"note\": \"Statement of work\"}"),
            FileKind::Text
        );
    }
}
