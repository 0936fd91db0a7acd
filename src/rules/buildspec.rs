//! CodeBuild buildspecs, in their own files and written inline in CodeBuild
//! projects: publishing after a failed build, files CodeBuild would reject,
//! multi-line commands without errexit, the legacy version, stale caches and
//! downloaded scripts piped into a shell.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::buildspec::{self, Buildspec, Command, PHASES, Phase, TOP_LEVEL_KEYS};
use crate::model::codebuild::{self, SpecSource};
use crate::shell::follow::Workspace;
use crate::shell::{self, commands};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Node, NodeKind};

const ID_UNGUARDED: &str = "post-build-unguarded-publish";
const ID_INVALID: &str = "buildspec-invalid";
const ID_ERREXIT: &str = "buildspec-multiline-no-errexit";
const ID_LEGACY: &str = "buildspec-legacy-version";
const ID_DOCKER_CACHE: &str = "docker-layer-cache-stale";
const ID_CACHE_KEY: &str = "cache-key-stale";
const ID_CURL: &str = "curl-pipe-shell";

/// A command's text for a message, which puts it between double quotes: on
/// one line, its own double quotes escaped (`"echo \"token is $X\""`), and
/// when long cut after a whole word with `...` (never in the middle of one).
pub(crate) fn quote(text: &str) -> String {
    const LONGEST: usize = 60;
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown = if one_line.chars().count() > LONGEST {
        let head: String = one_line.chars().take(LONGEST - 3).collect();
        // The words that fit whole; a first word longer than that is kept
        // whole up to twice the length.
        match head.rfind(' ') {
            Some(space) if space > 0 => format!("{} ...", &head[..space]),
            _ => {
                let word = one_line.split(' ').next().unwrap_or("");
                if word == one_line && word.chars().count() <= 2 * LONGEST {
                    one_line.clone()
                } else if word.chars().count() <= 2 * LONGEST {
                    format!("{word} ...")
                } else {
                    let cut: String = word.chars().take(2 * LONGEST).collect();
                    format!("{cut} ...")
                }
            }
        }
    } else {
        one_line
    };
    // Only quotes are escaped: a backslash stays as written, for readers.
    shown.replace('"', "\\\"")
}

/// `a number`, `an array`.
fn a(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

fn is_abort(phase: Option<&Phase>) -> bool {
    phase
        .and_then(|p| p.on_failure.as_ref())
        .is_some_and(|v| v.text.eq_ignore_ascii_case("ABORT"))
}

/// `post-build-unguarded-publish`.
pub struct UnguardedPublish;

impl Rule for UnguardedPublish {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            unguarded_in(file, spec, &shell::Direct, out);
        }
    }

    /// Commands that publish through a Makefile target or a script of the
    /// repository (or, when those are not in the scan, judged by name).
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let ws = Workspace::new(cx.files, codebuild::repository_root(cx.files));
        for file in cx.files {
            if file.kind == FileKind::Text {
                continue;
            }
            let specs = codebuild::buildspecs(file);
            if specs.is_empty() {
                continue;
            }
            let follower = ws.resolver(&file.display, true);
            for spec in specs {
                unguarded_in(file, spec, &follower, out);
            }
        }
    }
}

/// Every unguarded publish of a buildspec's post_build and finally blocks.
fn unguarded_in(
    file: &SourceFile,
    spec: &Buildspec,
    resolve: &dyn shell::Resolve,
    out: &mut Vec<Finding>,
) {
    // Without build commands nothing can fail before post_build: a failure
    // in install or pre_build skips post_build.
    let build = spec.phase("build");
    let abort = is_abort(build) || build.is_none_or(|b| b.commands.is_empty());
    let bash = spec.env.shell.as_ref().is_some_and(|s| {
        matches!(
            s.text.rsplit('/').next().unwrap_or(""),
            "bash" | "zsh" | "ksh"
        )
    });
    let dialect = shell::Dialect { bash, resolve };
    for phase in &spec.phases {
        let post = phase.name.text == "post_build";
        if post {
            unguarded(
                file,
                spec,
                phase,
                &phase.commands,
                abort,
                false,
                dialect,
                out,
            );
        }
        unguarded(
            file,
            spec,
            phase,
            &phase.finally,
            abort && post,
            true,
            dialect,
            out,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn unguarded(
    file: &SourceFile,
    spec: &Buildspec,
    phase: &Phase,
    items: &[Command],
    mut guarded: bool,
    finally: bool,
    dialect: shell::Dialect<'_>,
    out: &mut Vec<Finding>,
) {
    let mut errexit = false;
    let mut double_brackets = false;
    // The guard goes before the first item that publishes.
    let mut first: Option<&Command> = None;
    for item in items {
        let Some(text) = &item.text else { continue };
        let scan = shell::scan_with(text, guarded, errexit && !spec.is_legacy(), dialect);
        double_brackets |= text.contains("[[") && text.contains("CODEBUILD_BUILD_SUCCEEDING");
        if first.is_none() && !scan.unguarded.is_empty() {
            first = Some(item);
        }
        for u in &scan.unguarded {
            let what = if finally {
                format!("{} finally", phase.name.text)
            } else {
                phase.name.text.to_string()
            };
            let mut fix = if phase.name.text == "post_build" {
                "guard it with CODEBUILD_BUILD_SUCCEEDING or set on-failure: ABORT on build"
                    .to_owned()
            } else {
                "guard it with CODEBUILD_BUILD_SUCCEEDING".to_owned()
            };
            if double_brackets && !dialect.bash {
                fix.push_str(" (`[[` is no test under the default sh: set env.shell: bash)");
            }
            let command = quote(text.get(u.span.clone()).unwrap_or(""));
            let message = if u.by_name {
                format!(
                    "\"{command}\" in {what} looks like a publish (judged by the name: the {} is not in the scan) and runs even when the build failed: {fix}",
                    if u.label.starts_with("make") {
                        "target"
                    } else {
                        "script"
                    }
                )
            } else if u.trail.is_empty() {
                format!(
                    "\"{}\" in {what} runs even when the build failed: {fix}",
                    u.label
                )
            } else {
                format!(
                    "\"{command}\" in {what} runs \"{}\" even when the build failed: {fix}",
                    u.label
                )
            };
            let mut finding = Finding::new(
                ID_UNGUARDED,
                file.at(item.file_span(u.span.clone())),
                message,
            );
            for step in &u.trail {
                finding = finding.related(
                    crate::finding::Location {
                        file: step.file,
                        span: step.span,
                    },
                    step.label.clone(),
                );
            }
            out.push(
                finding.with_fix(crate::fix::edits::guard_before(file, first.unwrap_or(item))),
            );
        }
        guarded |= scan.guards_later;
        errexit = scan.errexit;
    }
}

/// `buildspec-invalid`.
pub struct Invalid;

const PHASE_KEYS: &[&str] = &[
    "run-as",
    "on-failure",
    "runtime-versions",
    "commands",
    "finally",
];

impl Rule for Invalid {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for project in &codebuild::of(file).projects {
            if let SpecSource::Broken { span, message } = &project.buildspec {
                out.push(Finding::new(
                    ID_INVALID,
                    file.at(*span),
                    format!("{message} ({})", project.label),
                ));
            }
        }
        if file.kind == FileKind::Buildspec
            && buildspec::of(file).is_none()
            && file.parse_error.is_none()
            && file
                .roots()
                .first()
                .is_none_or(|root| matches!(root.kind, NodeKind::Null))
        {
            // CodeBuild: "YAML_FILE_ERROR: ... buildspec is empty" (or has
            // no document at all).
            out.push(Finding::new(
                ID_INVALID,
                file.at(crate::syntax::Span::new(0, 0)),
                "buildspec is empty: CodeBuild rejects it; write a mapping with version and phases",
            ));
        } else if file.kind == FileKind::Buildspec
            && buildspec::of(file).is_none()
            && let Some(root) = file.roots().first()
            && !matches!(root.kind, NodeKind::Null)
        {
            out.push(Finding::new(
                ID_INVALID,
                file.at(root.span),
                format!(
                    "buildspec is {}: write a mapping with version and phases",
                    a(root.type_name())
                ),
            ));
        }
        for spec in codebuild::buildspecs(file) {
            invalid(file, spec, out);
        }
    }
}

fn invalid(file: &SourceFile, spec: &Buildspec, out: &mut Vec<Finding>) {
    let root = &spec.root;
    let mut report = |node_span, message: String| {
        out.push(Finding::new(ID_INVALID, file.at(node_span), message));
    };
    match root.get("version") {
        None => {
            let at = root
                .entries()
                .and_then(|e| e.first())
                .map_or(root.span, |e| e.key.span);
            report(at, "buildspec has no version: add \"version: 0.2\"".into());
        }
        Some(v) => {
            let text = v.scalar_text().map(|t| t.into_owned()).unwrap_or_default();
            if text != "0.1" && text != "0.2" {
                report(
                    v.span,
                    format!("buildspec version \"{text}\" is not 0.1 or 0.2: use \"version: 0.2\""),
                );
            }
        }
    }
    for e in root.entries().unwrap_or(&[]) {
        if !TOP_LEVEL_KEYS.contains(&e.key.text.as_str()) {
            out.push(Finding::new(
                ID_INVALID,
                file.at(e.key.span),
                format!(
                    "unknown top-level key \"{}\": CodeBuild ignores it; expected one of {}",
                    e.key.text,
                    TOP_LEVEL_KEYS.join(", ")
                ),
            ));
        }
    }
    let Some(phases) = root.get("phases") else {
        return;
    };
    let Some(entries) = phases.entries() else {
        if !matches!(phases.kind, NodeKind::Null) {
            out.push(Finding::new(
                ID_INVALID,
                file.at(phases.span),
                format!(
                    "phases is {}: write a mapping of install, pre_build, build and post_build",
                    a(phases.type_name())
                ),
            ));
        }
        return;
    };
    for phase in entries {
        if !PHASES.contains(&phase.key.text.as_str()) {
            out.push(Finding::new(
                ID_INVALID,
                file.at(phase.key.span),
                format!(
                    "unknown phase \"{}\": CodeBuild runs only install, pre_build, build and post_build",
                    phase.key.text
                ),
            ));
            continue;
        }
        let Some(keys) = phase.value.entries() else {
            if !matches!(phase.value.kind, NodeKind::Null) {
                out.push(Finding::new(
                    ID_INVALID,
                    file.at(phase.value.span),
                    format!(
                        "phase {} is {}: write a mapping with commands",
                        phase.key.text,
                        a(phase.value.type_name())
                    ),
                ));
            }
            continue;
        };
        for k in keys {
            match k.key.text.as_str() {
                "commands" | "finally" => commands_shape(file, &k.key.text, &k.value, out),
                "on-failure" => on_failure(file, &k.value, out),
                key if !PHASE_KEYS.contains(&key) => out.push(Finding::new(
                    ID_INVALID,
                    file.at(k.key.span),
                    format!(
                        "unknown key \"{key}\" in phase {}: expected one of {}",
                        phase.key.text,
                        PHASE_KEYS.join(", ")
                    ),
                )),
                _ => {}
            }
        }
    }
}

fn commands_shape(file: &SourceFile, key: &str, node: &Node, out: &mut Vec<Finding>) {
    let Some(items) = node.items() else {
        if !matches!(node.kind, NodeKind::Null) {
            out.push(Finding::new(
                ID_INVALID,
                file.at(node.span),
                format!(
                    "{key} is {}: write a list of command strings",
                    a(node.type_name())
                ),
            ));
        }
        return;
    };
    for item in items {
        let message = match &item.kind {
            NodeKind::Str(_) => continue,
            NodeKind::Map(entries) => {
                let text = entries
                    .first()
                    .map(|e| {
                        let v = e.value.scalar_text().map(|t| t.into_owned());
                        match v {
                            Some(v) => format!("{}: {v}", e.key.text),
                            None => format!("{}:", e.key.text),
                        }
                    })
                    .unwrap_or_default();
                format!(
                    "command \"{}\" is read by YAML as a mapping (\": \" inside it): quote the whole command",
                    quote(&text)
                )
            }
            _ => format!(
                "command is {}, not a string: CodeBuild rejects it; quote it",
                a(item.type_name())
            ),
        };
        out.push(Finding::new(ID_INVALID, file.at(item.span), message));
    }
}

fn on_failure(file: &SourceFile, node: &Node, out: &mut Vec<Finding>) {
    let text = node
        .scalar_text()
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let upper = text.to_ascii_uppercase();
    let valid = matches!(upper.as_str(), "ABORT" | "CONTINUE" | "RETRY")
        || upper.strip_prefix("RETRY-").is_some_and(|r| !r.is_empty());
    if !valid {
        out.push(Finding::new(
            ID_INVALID,
            file.at(node.span),
            format!("on-failure \"{text}\" is not ABORT, CONTINUE or RETRY[-count][-regex]"),
        ));
    }
}

/// `buildspec-multiline-no-errexit`.
pub struct MultilineNoErrexit;

impl Rule for MultilineNoErrexit {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            for phase in &spec.phases {
                for items in [&phase.commands, &phase.finally] {
                    let mut errexit = false;
                    for item in items {
                        let Some(text) = &item.text else { continue };
                        let inherited = errexit && !spec.is_legacy();
                        if item.block {
                            let (count, ignored) = shell::ignored_failures(text, inherited);
                            if count > 1
                                && let Some(first) = ignored.first()
                            {
                                out.push(
                                    Finding::new(
                                        ID_ERREXIT,
                                        file.at(item.file_span(first.clone())),
                                        format!(
                                            "multi-line command of {count} commands runs without \"set -e\": a failure of \"{}\" does not fail the build; start the block with \"set -e\"",
                                            quote(text.get(first.clone()).unwrap_or(""))
                                        ),
                                    )
                                    .with_fix(crate::fix::edits::errexit_block(file, item)),
                                );
                            }
                        }
                        errexit = shell::scan_item(text, false, inherited).errexit;
                    }
                }
            }
        }
    }
}

/// `buildspec-legacy-version`.
pub struct LegacyVersion;

impl Rule for LegacyVersion {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            if spec.is_legacy()
                && let Some(v) = &spec.version
            {
                out.push(Finding::new(
                    ID_LEGACY,
                    file.at(v.span),
                    "buildspec version 0.1 runs every command in its own shell: use version 0.2",
                ));
            }
        }
    }
}

/// True for a cache path under Docker's data directory.
fn is_docker_path(path: &str) -> bool {
    path.trim_start_matches('\'')
        .trim_start_matches('"')
        .starts_with("/var/lib/docker")
}

/// Docker builds of a buildspec that reuse cached layers.
fn stale_builds(spec: &Buildspec) -> Vec<(&Command, shell::Simple)> {
    let mut out = Vec::new();
    for (_, c) in spec.commands() {
        let Some(text) = &c.text else { continue };
        for s in shell::simple_commands(text) {
            if commands::is_docker_build(&s) && !commands::refreshes_layers(&s) {
                out.push((c, s));
            }
        }
    }
    out
}

/// `docker-layer-cache-stale`.
pub struct DockerLayerCacheStale;

const DOCKER_CACHE_FIX: &str =
    "add --pull (or --no-cache) so base images and OS patches are refreshed";

impl Rule for DockerLayerCacheStale {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            let Some(path) = spec
                .cache
                .as_ref()
                .and_then(|c| c.paths.iter().find(|p| is_docker_path(&p.text)))
            else {
                continue;
            };
            for (c, s) in stale_builds(spec) {
                out.push(
                    Finding::new(
                        ID_DOCKER_CACHE,
                        file.at(c.file_span(s.span.clone())),
                        format!(
                            "\"{}\" reuses Docker layers cached across builds: {DOCKER_CACHE_FIX}",
                            quote(text_of(c, &s))
                        ),
                    )
                    .with_fix(crate::fix::edits::docker_pull(file, c, &s))
                    .related(file.at(path.span), "docker layers cached here"),
                );
            }
        }
    }

    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let root = codebuild::repository_root(cx.files);
        // Projects that share a buildspec: one finding per command.
        let mut seen = std::collections::HashSet::new();
        for file in cx.files {
            for project in &codebuild::of(file).projects {
                let Some(mode) = project
                    .cache_modes
                    .iter()
                    .find(|m| m.text == "LOCAL_DOCKER_LAYER_CACHE")
                else {
                    continue;
                };
                let Some(link) = codebuild::linked(cx.files, &root, file, project) else {
                    continue;
                };
                // The buildspec's own docker cache path is reported by
                // check_file.
                if link
                    .spec
                    .cache
                    .as_ref()
                    .is_some_and(|c| c.paths.iter().any(|p| is_docker_path(&p.text)))
                {
                    continue;
                }
                for (c, s) in stale_builds(link.spec) {
                    let at = link.file.at(c.file_span(s.span.clone()));
                    if !seen.insert(at) {
                        continue;
                    }
                    out.push(
                        Finding::new(
                            ID_DOCKER_CACHE,
                            at,
                            format!(
                                "\"{}\" reuses Docker layers that {} caches (LOCAL_DOCKER_LAYER_CACHE): {DOCKER_CACHE_FIX}",
                                quote(text_of(c, &s)),
                                project.label
                            ),
                        )
                        .with_fix(crate::fix::edits::docker_pull(link.file, c, &s))
                        .related(file.at(mode.span), "docker layer cache enabled here"),
                    );
                }
            }
        }
    }
}

fn text_of<'a>(c: &'a Command, s: &shell::Simple) -> &'a str {
    c.text
        .as_deref()
        .and_then(|t| t.get(s.span.clone()))
        .unwrap_or("")
}

/// `cache-key-stale`.
pub struct CacheKeyStale;

impl Rule for CacheKeyStale {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            let Some(cache) = &spec.cache else { continue };
            // A cache of Docker layers only is docker-layer-cache-stale's.
            if cache.paths.is_empty() || cache.paths.iter().all(|p| is_docker_path(&p.text)) {
                continue;
            }
            match &cache.key {
                None => out.push(Finding::new(
                    ID_CACHE_KEY,
                    file.at(cache.span),
                    "cache has no key: it is re-uploaded after every build and grows; key it on a lockfile hash, e.g. key: deps-$(codebuild-hash-files <lockfile>)",
                )),
                Some(key) if !key.text.contains('$') => out.push(Finding::new(
                    ID_CACHE_KEY,
                    file.at(key.span),
                    format!(
                        "cache key \"{}\" is constant: a cache whose key exists is never updated; key it on a lockfile hash, e.g. {}-$(codebuild-hash-files <lockfile>)",
                        key.text, key.text
                    ),
                )),
                Some(_) => {}
            }
        }
    }
}

/// `curl-pipe-shell`.
pub struct CurlPipeShell;

impl Rule for CurlPipeShell {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for spec in codebuild::buildspecs(file) {
            for (_, c) in spec.commands() {
                let Some(text) = &c.text else { continue };
                for range in shell::curl_pipes(text) {
                    out.push(Finding::new(
                        ID_CURL,
                        file.at(c.file_span(range.clone())),
                        format!(
                            "\"{}\" runs downloaded code unverified: download it to a file, check its checksum or signature, then run it",
                            quote(text.get(range).unwrap_or(""))
                        ),
                    ));
                }
            }
        }
    }
}
