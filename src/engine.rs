//! The scan: discover -> load and parse -> run rules -> select, suppress,
//! locate -> a [`Report`] ready to render. Each stage reads what the previous
//! one produced and nothing flows back.

use crate::config::Config;
use crate::discover::{self, Candidate, Skip, WalkOptions};
use crate::finding::{Finding, Place, RelatedPlace, Reported, Severity};
use crate::report::{Report, RuleInfo, ShownFile, Summary};
use crate::rules::{self, Context, RULES, UNUSED_SUPPRESSION};
use crate::source::{FileKind, SourceFile};
use crate::suppress::Suppression;
use crate::syntax::Route;
use globset::GlobSet;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Everything a scan needs besides the files themselves.
#[derive(Debug, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// Worker threads; 0 picks the number of cores.
    pub threads: usize,
    pub config: Config,
    /// `--select`: replaces the configuration's selection when not empty.
    pub select: Vec<String>,
    /// `--ignore`: added to the configuration's.
    pub ignore: Vec<String>,
    /// `--include`: when not empty, only matching files are scanned.
    pub include: Vec<String>,
    /// `--exclude`: added to the configuration's.
    pub exclude: Vec<String>,
    /// `--no-ignore-comments` turns inline suppressions off.
    pub ignore_comments: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("invalid glob in {0:?}: {1}")]
    Glob(String, String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// Runs a scan.
pub fn scan(options: &ScanOptions) -> Result<Report, ScanError> {
    scan_with_overlay(options, &std::collections::BTreeMap::new())
}

/// Runs a scan in which the files of `overlay` (by the path discovery finds
/// them at) hold the given bytes instead of what is on disk: the fixes of
/// earlier passes, not yet written.
pub fn scan_with_overlay(
    options: &ScanOptions,
    overlay: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
) -> Result<Report, ScanError> {
    let include = globs(&options.include)?;
    let exclude = globs(&options.exclude)?;
    let config = &options.config;
    let keep = |c: &Candidate| {
        let rel = config.relative(&c.path);
        (options.include.is_empty() || matches(&include, &c.display))
            && !matches(&exclude, &c.display)
            && !config.is_excluded(&rel)
    };
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        options.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        // Parsers and rules recurse over trees; nesting is bounded by the
        // limits, and a generous stack keeps them clear of the edge.
        .stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| ScanError::Threads(e.to_string()))?;

    let (candidates, mut notices) = discover::walk(
        &options.paths,
        &WalkOptions {
            threads,
            keep: &keep,
            ignore_files: options.include.is_empty(),
        },
    );
    let limits = config.limits.parser();
    let max_size = config.limits.max_file_size;
    let selection = Selection::new(options);
    let active = selection.active_rules();
    let enabled = |id: &str, file: &SourceFile| selection.enabled_in(id, file);
    let read = |c: &Candidate| match overlay.get(&c.path) {
        Some(bytes) => Ok(discover::parse_bytes(c, 0, bytes.clone(), &limits)),
        None => discover::load(c, 0, max_size, &limits),
    };
    let load = |c: &Candidate| match read(c) {
        Ok(mut file) => {
            // Terraform files and templates are checked once every file is
            // loaded: their values are evaluated in their module.
            let findings = if evaluated_later(&file) {
                Vec::new()
            } else {
                check_file(&mut file, &active, config, &enabled)
            };
            (Ok(file), findings)
        }
        Err(skip) => (Err(skip), Vec::new()),
    };
    // Large files are most of the work and, while parsed, most of the
    // memory. `LARGE_AT_ONCE` lanes start first and take them one after the
    // other, so that no more are parsed at once; the small files are one job
    // queued behind the lanes, split among the threads as they come free.
    let (large, small): (Vec<_>, Vec<_>) = candidates
        .iter()
        .enumerate()
        .partition(|(_, c)| c.size > LARGE_FILE);
    let next_large = AtomicUsize::new(0);
    let loaded = Mutex::new(Vec::with_capacity(candidates.len()));
    let gather = |mut done: Vec<_>| {
        loaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(&mut done);
    };
    pool.install(|| {
        rayon::scope_fifo(|scope| {
            for _ in 0..LARGE_AT_ONCE.min(large.len()) {
                scope.spawn_fifo(|_| {
                    let mut done = Vec::new();
                    while let Some((i, c)) = large.get(next_large.fetch_add(1, Ordering::Relaxed)) {
                        done.push((*i, load(c)));
                    }
                    gather(done);
                });
            }
            scope.spawn_fifo(|_| {
                gather(small.par_iter().map(|(i, c)| (*i, load(c))).collect());
            });
        });
    });
    // Back in path order.
    let mut loaded = loaded.into_inner().unwrap_or_else(PoisonError::into_inner);
    loaded.sort_by_key(|(i, _)| *i);
    let loaded = loaded.into_iter().map(|(_, l)| l);
    let mut files = Vec::with_capacity(candidates.len());
    let mut early = Vec::new();
    for (result, findings) in loaded {
        match result {
            Ok(mut file) => {
                file.id = files.len();
                notices.extend(file_notices(&mut file));
                // Per-file findings only point into their own file.
                early.extend(findings.into_iter().map(|f| f.in_file(file.id)));
                files.push(file);
            }
            Err(Skip::Notice(notice)) => notices.push(notice),
            Err(Skip::Quiet) => {}
        }
    }
    notices.extend(crate::eval::prepare(&mut files));
    let late: Vec<Vec<Finding>> = pool.install(|| {
        files
            .par_iter_mut()
            .filter(|f| evaluated_later(f))
            .map(|f| check_file(f, &active, config, &enabled))
            .collect()
    });
    early.extend(late.into_iter().flatten());
    Ok(analyze(files, early, notices, options, Some(&pool)))
}

/// Files whose per-file rules wait for [`crate::eval::prepare`]: Terraform
/// (a module spans its directory) and templates (`templatefile()` vars).
fn evaluated_later(file: &SourceFile) -> bool {
    file.kind == FileKind::Terraform || crate::eval::template::is_template(&file.display)
}

/// Files larger than this have their tree dropped after their own checks,
/// and only `LARGE_AT_ONCE` of them are parsed at the same time.
const LARGE_FILE: u64 = 1024 * 1024;

/// Large files parsed at the same time, at most.
const LARGE_AT_ONCE: usize = 2;

/// Runs the per-file rules on a file just loaded, then frees what no later
/// stage needs: the text of plain text files without findings, and the tree
/// of large templates (their models are extracted first, and the routes of
/// their findings computed while the tree is there). Per-file rules see their
/// file and the configuration only.
fn check_file(
    file: &mut SourceFile,
    active: &[&rules::Registered],
    config: &Config,
    enabled: &rules::RuleEnabled<'_>,
) -> Vec<Finding> {
    let cx = Context {
        files: &[],
        config,
        enabled: Some(enabled),
    };
    let mut findings = Vec::new();
    for registered in active {
        registered.rule.check_file(&cx, file, &mut findings);
    }
    if file.kind == FileKind::Text {
        // JSON and YAML files may still be read by a workspace rule (a
        // deploy action's renamed imagedefinitions file), and so may the
        // Makefiles and scripts a buildspec runs.
        if findings.is_empty()
            && !may_be_data(&file.display)
            && !crate::shell::follow::may_be_run(&file.display, &file.text)
        {
            file.release_text();
        }
    } else if file.text.len() as u64 > LARGE_FILE
        && matches!(file.kind, FileKind::CloudFormation | FileKind::Terraform)
    {
        crate::model::extract_all(file);
        crate::model::retain_for_workspace(file);
        for finding in &mut findings {
            finding.route = Some(Route::to_span(file.roots(), finding.location.span).to_string());
        }
        file.doc = None;
    }
    findings
}

/// Runs the workspace rules over files already loaded and checked one by
/// one (`per_file` holds those findings), then selects, suppresses and
/// locates every finding.
fn analyze(
    files: Vec<SourceFile>,
    per_file: Vec<Finding>,
    mut notices: Vec<crate::report::Notice>,
    options: &ScanOptions,
    pool: Option<&rayon::ThreadPool>,
) -> Report {
    notices.sort();
    let selection = Selection::new(options);
    let active = selection.active_rules();
    let enabled = |id: &str, file: &SourceFile| selection.enabled_in(id, file);
    let cx = Context {
        files: &files,
        config: &options.config,
        enabled: Some(&enabled),
    };
    let mut raw = per_file;
    let workspace = |registered: &&rules::Registered| {
        let mut out = Vec::new();
        registered.rule.check_workspace(&cx, &mut out);
        out
    };
    let joined: Vec<Vec<Finding>> = match pool {
        Some(pool) => pool.install(|| active.par_iter().map(workspace).collect()),
        None => active.iter().map(workspace).collect(),
    };
    raw.extend(joined.into_iter().flatten());
    crate::model::export::name_entities(&files, &mut raw);
    crate::rules::workflow_trust::note_pull_request_jobs(
        &files,
        options.config.repository.as_deref(),
        &mut raw,
    );
    route_into_dropped_trees(&files, &mut raw, &options.config);
    crate::program::relate_uses(&files, &mut raw);

    let finished = finish(&files, raw, &selection, options.ignore_comments);
    Report {
        summary: summarize(&finished, files.len()),
        files: shown_files(&files, &finished.secrets, &finished.reported),
        findings: finished.reported,
        rules: rules::catalogue().to_vec(),
        notices,
        tool_version: env!("CARGO_PKG_VERSION"),
        trust_map: crate::model::trustmap::build(&files, options.config.repository.as_deref()),
    }
}

/// Large templates lose their tree once their own rules have run (see
/// [`check_file`]). A finding a workspace rule makes in one gets its route
/// from the file parsed again, once per file; such findings are rare.
fn route_into_dropped_trees(files: &[SourceFile], findings: &mut [Finding], config: &Config) {
    let dropped = |f: &Finding| {
        f.route.is_none()
            && files
                .get(f.location.file)
                .is_some_and(|file| file.doc.is_none() && file.parse_error.is_none())
    };
    let mut pending: Vec<&mut Finding> = findings.iter_mut().filter(|f| dropped(f)).collect();
    pending.sort_by_key(|f| f.location.file);
    let limits = config.limits.parser();
    for group in pending.chunk_by_mut(|a, b| a.location.file == b.location.file) {
        let file = &files[group[0].location.file];
        let Some(syntax) = file.syntax else { continue };
        let Ok(doc) = crate::syntax::parse(syntax, &file.text, &limits) else {
            continue;
        };
        for finding in group {
            finding.route = Some(Route::to_span(&doc.roots, finding.location.span).to_string());
        }
    }
}

/// Scans files given in memory as (path, bytes), on the calling thread: the
/// whole pipeline without the file system, for fuzzing and embedding.
pub fn scan_in_memory(
    inputs: &[(&str, &[u8])],
    options: &ScanOptions,
) -> Result<Report, ScanError> {
    let limits = options.config.limits.parser();
    let mut candidates: Vec<Candidate> = inputs
        .iter()
        .map(|(path, bytes)| Candidate {
            display: (*path).to_owned(),
            path: PathBuf::from(path),
            size: bytes.len() as u64,
        })
        .collect();
    candidates.sort();
    let selection = Selection::new(options);
    let active = selection.active_rules();
    let enabled = |id: &str, file: &SourceFile| selection.enabled_in(id, file);
    let mut files = Vec::new();
    let mut per_file = Vec::new();
    let mut notices = Vec::new();
    for c in &candidates {
        let Some((_, bytes)) = inputs.iter().find(|(p, _)| *p == c.display) else {
            continue;
        };
        let mut file = discover::parse_bytes(c, files.len(), bytes.to_vec(), &limits);
        notices.extend(file_notices(&mut file));
        if !evaluated_later(&file) {
            per_file.extend(check_file(&mut file, &active, &options.config, &enabled));
        }
        files.push(file);
    }
    notices.extend(crate::eval::prepare(&mut files));
    for file in files.iter_mut().filter(|f| evaluated_later(f)) {
        per_file.extend(check_file(file, &active, &options.config, &enabled));
    }
    Ok(analyze(files, per_file, notices, options, None))
}

/// The notices a file gathered while it was read (CDK and Pulumi programs).
fn file_notices(file: &mut SourceFile) -> Vec<crate::report::Notice> {
    std::mem::take(&mut file.notices)
        .into_iter()
        .map(|reason| crate::report::Notice {
            path: file.display.clone(),
            reason,
        })
        .collect()
}

/// JSON or YAML by extension: a file a workspace rule may read even when
/// classification did not recognise it.
fn may_be_data(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".json", ".yml", ".yaml"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn globs(patterns: &[String]) -> Result<GlobSet, ScanError> {
    crate::config::compile(patterns)
        .map_err(|e| ScanError::Glob(patterns.join(","), e.kind().to_string()))
}

fn matches(set: &GlobSet, path: &str) -> bool {
    !set.is_empty() && set.is_match(path)
}

/// Which rules run where, and at what severity.
struct Selection<'a> {
    options: &'a ScanOptions,
}

impl<'a> Selection<'a> {
    fn new(options: &'a ScanOptions) -> Self {
        Selection { options }
    }

    /// Rules that may run somewhere: enabled by the selection, or by an
    /// override that selects them for some paths.
    fn active_rules(&self) -> Vec<&'static rules::Registered> {
        let config = &self.options.config;
        RULES
            .iter()
            .filter(|r| {
                rules::info(r.id).is_some_and(|info| {
                    let any = |list: &[String]| list.iter().any(|s| rules::selects(s, info));
                    let on = |list: &[String]| list.iter().any(|s| rules::turns_on(s, info));
                    !any(&self.options.ignore)
                        && (self.selected(info)
                            || config
                                .overrides
                                .iter()
                                .any(|o| o.select.as_deref().is_some_and(on)))
                })
            })
            .collect()
    }

    /// Selected before path overrides: `--select` (or the configuration's
    /// `select`) minus the configuration's `ignore`.
    fn selected(&self, rule: &RuleInfo) -> bool {
        let config = &self.options.config;
        let select = if self.options.select.is_empty() {
            &config.select
        } else {
            &self.options.select
        };
        let any = |list: &[String]| list.iter().any(|s| rules::selects(s, rule));
        select.iter().any(|s| rules::turns_on(s, rule)) && !any(&config.ignore)
    }

    /// Whether rule `id` reports in `file`, for rules that defer to others.
    fn enabled_in(&self, id: &str, file: &SourceFile) -> bool {
        rules::info(id)
            .is_some_and(|info| self.enabled(info, &self.options.config.relative(&file.path)))
    }

    fn enabled(&self, rule: &RuleInfo, rel: &str) -> bool {
        let any = |list: &[String]| list.iter().any(|s| rules::selects(s, rule));
        let mut on = self.selected(rule);
        for o in self.options.config.overrides_for(rel) {
            if let Some(select) = &o.select {
                on = select.iter().any(|s| rules::turns_on(s, rule));
            }
            if any(&o.ignore) {
                on = false;
            }
        }
        on && !any(&self.options.ignore)
    }

    fn severity(&self, rule: &RuleInfo, rel: &str, finding: Option<Severity>) -> Severity {
        let config = &self.options.config;
        // The most specific key wins: rule id, then family, then "all".
        let pick = |map: &std::collections::BTreeMap<String, Severity>| {
            [rule.id, rule.family.as_str(), "all"]
                .iter()
                .find_map(|k| map.get(*k).copied())
        };
        let mut severity = pick(&config.severity);
        for o in config.overrides_for(rel) {
            if let Some(s) = pick(&o.severity) {
                severity = Some(s);
            }
        }
        severity.or(finding).unwrap_or(rule.severity)
    }
}

struct Finished {
    reported: Vec<Reported>,
    /// Spans to mask, per file.
    secrets: Vec<crate::finding::Location>,
    suppressed: usize,
}

fn finish(
    files: &[SourceFile],
    raw: Vec<Finding>,
    selection: &Selection<'_>,
    ignore_comments: bool,
) -> Finished {
    let config = &selection.options.config;
    let rel: Vec<String> = files.iter().map(|f| config.relative(&f.path)).collect();
    // Fingerprints name files by their path in the repository, so that they
    // do not depend on the directory shiplint runs from.
    let anchor = (!selection.options.paths.is_empty())
        .then(|| crate::baseline::Anchor::for_scan(&selection.options.paths));
    let mut in_repo: Vec<Option<String>> = vec![None; files.len()];
    let mut repo_path = |file: &SourceFile| -> String {
        let compute = || match &anchor {
            Some(anchor) => anchor.relative(&file.display),
            None => file.display.clone(),
        };
        match in_repo.get_mut(file.id) {
            Some(slot) => slot.get_or_insert_with(compute).clone(),
            None => compute(),
        }
    };
    let mut suppressions: Vec<Vec<(Suppression, bool)>> = files
        .iter()
        .map(|f| {
            if ignore_comments {
                f.suppressions.iter().map(|s| (s.clone(), false)).collect()
            } else {
                Vec::new()
            }
        })
        .collect();

    let mut secrets = Vec::new();
    let mut reported = Vec::new();
    let mut suppressed = 0;
    for finding in raw {
        secrets.extend(finding.secrets.iter().copied());
        let Some(info) = rules::info(finding.rule) else {
            continue;
        };
        let file_id = finding.location.file;
        let Some(file) = files.get(file_id) else {
            continue;
        };
        if !selection.enabled(info, &rel[file_id]) {
            continue;
        }
        let place = place(files, finding.location);
        if let Some((_, used)) = suppressions[file_id]
            .iter_mut()
            .find(|(s, _)| s.covers(info.id, &info.family, place.start.line))
        {
            *used = true;
            suppressed += 1;
            continue;
        }
        reported.push(locate(
            files,
            (file, &repo_path(file)),
            finding,
            info,
            place,
            selection,
            &rel[file_id],
        ));
    }

    if let Some(info) = rules::info(UNUSED_SUPPRESSION) {
        for (file, comments) in files.iter().zip(&suppressions) {
            if !selection.enabled(info, &rel[file.id]) {
                continue;
            }
            for (comment, used) in comments {
                if *used {
                    continue;
                }
                let unknown = comment.selectors.iter().find(|s| !rules::is_selector(s));
                // Removing a comment that names an unknown rule may drop a
                // typo the author meant to correct.
                let applicability = if unknown.is_some() {
                    crate::finding::Applicability::Unsafe
                } else {
                    crate::finding::Applicability::Safe
                };
                let message = match unknown {
                    _ if comment.selectors.is_empty() => {
                        "suppression names no rule, so it silences nothing: write `# shiplint: ignore[rule-id] reason`".to_owned()
                    }
                    Some(unknown) => format!(
                        "suppression names unknown rule \"{unknown}\": correct or remove it"
                    ),
                    None => {
                        let ran = comment.selectors.iter().any(|s| {
                            rules::catalogue().iter().any(|r| {
                                rules::selects(s, r) && selection.enabled(r, &rel[file.id])
                            })
                        });
                        if !ran {
                            continue;
                        }
                        format!(
                            "suppression of \"{}\" matches no finding on this line or the next: remove it",
                            comment.selectors.join(", ")
                        )
                    }
                };
                let finding =
                    Finding::new(UNUSED_SUPPRESSION, file.at(comment.span), message).with_fix(
                        crate::fix::edits::remove_comment(file, comment.span, applicability),
                    );
                let place = place(files, finding.location);
                reported.push(locate(
                    files,
                    (file, &repo_path(file)),
                    finding,
                    info,
                    place,
                    selection,
                    &rel[file.id],
                ));
            }
        }
    }

    reported.sort_by(|a, b| (&a.place, a.rule, &a.message).cmp(&(&b.place, b.rule, &b.message)));
    reported.dedup_by(|a, b| a.place == b.place && a.rule == b.rule && a.message == b.message);
    Finished {
        reported,
        secrets,
        suppressed,
    }
}

fn place(files: &[SourceFile], location: crate::finding::Location) -> Place {
    let file = &files[location.file];
    Place {
        path: file.display.clone(),
        start: file.position(location.span.start),
        end: file.position(location.span.end),
        location,
    }
}

fn locate(
    files: &[SourceFile],
    (file, repo_path): (&SourceFile, &str),
    finding: Finding,
    info: &RuleInfo,
    place: Place,
    selection: &Selection<'_>,
    rel: &str,
) -> Reported {
    let route = match &finding.route {
        Some(route) => route.clone(),
        None => Route::to_span(file.roots(), finding.location.span).to_string(),
    };
    // A secret never goes into a fingerprint, not even hashed.
    let raw = file.slice(finding.location.span);
    let value = if finding
        .secrets
        .iter()
        .any(|s| s.file == file.id && overlaps(s.span, finding.location.span))
    {
        crate::finding::mask(raw)
    } else {
        raw.to_owned()
    };
    let fingerprint = fingerprint(&[info.id, repo_path, &route, &value]);
    let fix = crate::fix::locate(file, finding.fix.as_ref(), &finding.secrets);
    Reported {
        rule: info.id,
        severity: selection.severity(info, rel, finding.severity),
        message: finding.message,
        place,
        route,
        related: finding
            .related
            .into_iter()
            .filter(|r| r.location.file < files.len())
            .map(|r| RelatedPlace {
                place: self::place(files, r.location),
                label: r.label,
            })
            .collect(),
        help: finding.help.unwrap_or_else(|| info.fix.clone()),
        fingerprint,
        fix,
    }
}

fn overlaps(a: crate::syntax::Span, b: crate::syntax::Span) -> bool {
    a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1)
}

/// FNV-1a, 64 bits, over the parts separated by NUL: stable across runs,
/// platforms and versions (unlike `std`'s hasher).
pub(crate) fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn summarize(finished: &Finished, files_scanned: usize) -> Summary {
    let mut by_severity = Severity::ALL
        .iter()
        .map(|s| (*s, 0))
        .collect::<std::collections::BTreeMap<_, _>>();
    for r in &finished.reported {
        *by_severity.entry(r.severity).or_default() += 1;
    }
    Summary {
        files_scanned,
        by_severity,
        suppressed: finished.suppressed,
        baselined: 0,
    }
}

/// The text reporters may show: files that findings point into, with every
/// secret masked; other files are left empty.
fn shown_files(
    files: &[SourceFile],
    secrets: &[crate::finding::Location],
    reported: &[Reported],
) -> Vec<ShownFile> {
    let mut needed = vec![false; files.len()];
    for r in reported {
        needed[r.place.location.file] = true;
        for related in &r.related {
            needed[related.place.location.file] = true;
        }
    }
    files
        .iter()
        .map(|f| {
            let mut text = if needed[f.id] {
                f.text.clone()
            } else {
                String::new()
            };
            if needed[f.id] {
                for secret in secrets.iter().filter(|s| s.file == f.id) {
                    mask_in_place(&mut text, secret.span.range());
                }
            }
            ShownFile {
                path: f.display.clone(),
                text,
            }
        })
        .collect()
}

/// Replaces all but the first and last four characters of `range` with `*`,
/// keeping byte offsets (so spans stay valid).
fn mask_in_place(text: &mut String, range: std::ops::Range<usize>) {
    let Some(secret) = text.get(range.clone()) else {
        return;
    };
    let masked = crate::finding::mask(secret);
    text.replace_range(range, &masked);
}
