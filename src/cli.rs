//! The command line: argument parsing, configuration loading, exit codes.

use crate::config::{self, Config, FailOn};
use crate::engine::{self, ScanOptions};
use crate::finding::Severity;
use crate::report::{self, Format, RenderOptions};
use crate::rules;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes, the same for every format.
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const CLEAN: i32 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error.
    pub const USAGE: i32 = 2;
    /// Internal error.
    pub const INTERNAL: i32 = 3;
}

#[derive(Debug, Parser)]
#[command(
    name = "shiplint",
    version,
    about = "Security linter for the configuration that ships code to AWS",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan files and directories (the default command).
    Check(Box<CheckArgs>),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print one rule's documentation.
    Explain { id: String },
    /// Write a commented starter shiplint.toml in the current directory.
    Init {
        /// Overwrite an existing shiplint.toml.
        #[arg(long)]
        force: bool,
    },
    /// Manage git hooks.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Merge results (SARIF or shiplint JSON, `NAME=FILE` names the
    /// repository; a directory is scanned) into one Markdown or HTML audit
    /// report.
    Report {
        /// Results files, or directories (scanned, or holding `*.sarif`
        /// artifacts). With --trust-map alone, the current directory.
        #[arg(required_unless_present = "trust_map", value_name = "RESULTS")]
        files: Vec<String>,
        #[arg(long, value_enum, default_value_t = AuditFormat::Markdown)]
        format: AuditFormat,
        /// Only the trust map: each role with a federated trust, who can
        /// assume it, what it may do, and the workflow jobs that assume it
        /// (markdown, html or json).
        #[arg(long)]
        trust_map: bool,
        /// Write the report to FILE instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum HookCommand {
    /// Write a git hook that runs shiplint on what is committed or pushed.
    Install {
        /// Install a pre-push hook (the default).
        #[arg(long, conflicts_with = "pre_commit")]
        pre_push: bool,
        /// Install a pre-commit hook.
        #[arg(long)]
        pre_commit: bool,
        /// Install over a hook that shiplint did not write: that hook is kept
        /// as `<hook>.local` and runs first.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuditFormat {
    Markdown,
    Html,
    /// The trust map as JSON (with --trust-map only).
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOnArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
    Never,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Files and directories to scan [default: .]
    paths: Vec<PathBuf>,
    /// Output format [default: full on a terminal, concise otherwise]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at least this severe [default: low]
    #[arg(long, value_enum)]
    fail_on: Option<FailOnArg>,
    /// Rules or families to run (replaces the configuration's selection).
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    select: Vec<String>,
    /// Rules or families not to run.
    #[arg(long, value_delimiter = ',', value_name = "ID")]
    ignore: Vec<String>,
    /// Use this configuration file instead of the one found.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore every configuration file.
    #[arg(long)]
    no_config: bool,
    /// Only scan files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    include: Vec<String>,
    /// Do not scan files matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not honour `# shiplint: ignore[...]` comments.
    #[arg(long)]
    no_ignore_comments: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
    /// Print nothing when there is nothing to report.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// After the report, print on standard error the number of findings per
    /// rule, the number of files scanned and the peak memory.
    #[arg(long)]
    stats: bool,
    /// Skip files larger than BYTES [default: 8388608, or the config's]
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// Refuse JSON and YAML nested deeper than N levels [default: 256]
    #[arg(long, value_name = "N")]
    max_nesting: Option<usize>,
    /// Refuse YAML whose aliases copy more than N nodes [default: 100000]
    #[arg(long, value_name = "N")]
    max_alias_nodes: Option<usize>,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the current findings in FILE (they are then not reported).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report only findings in files changed since the git revision REF.
    #[arg(long, value_name = "REF")]
    diff_base: Option<String>,
    /// Apply safe fixes in place, then report what remains.
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: apply unsafe fixes too.
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print a unified diff of what the fixes would change; write nothing
    /// (exit 1 when there is something to fix).
    #[arg(long)]
    diff: bool,
}

/// Runs the command line; returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let text = err.render().to_string();
            return if err.use_stderr() {
                let _ = write!(stderr, "{text}");
                exit::USAGE
            } else {
                let _ = write!(stdout, "{text}");
                exit::CLEAN
            };
        }
    };
    let result = match cli.command {
        None => check(cli.check, true, stdout, stderr),
        Some(Command::Check(args)) => check(*args, false, stdout, stderr),
        Some(Command::Rules { format }) => list_rules(format, stdout),
        Some(Command::Explain { id }) => explain(&id, stdout),
        Some(Command::Init { force }) => init(force, stdout),
        Some(Command::Hook(HookCommand::Install {
            pre_commit, force, ..
        })) => hook_install(pre_commit, force, stdout),
        Some(Command::Report {
            files,
            format,
            trust_map,
            output,
        }) => audit_report(&files, format, trust_map, output.as_deref(), stdout),
    };
    match result {
        Ok(code) => code,
        Err(Failure(code, message)) => {
            let _ = writeln!(stderr, "shiplint: error: {message}");
            code
        }
    }
}

/// An error that ends the command, with its exit code.
struct Failure(i32, String);

fn usage(message: impl std::fmt::Display) -> Failure {
    Failure(exit::USAGE, message.to_string())
}

/// The subcommands, for hints when a path is a misspelt one.
const SUBCOMMANDS: &[&str] = &["check", "rules", "explain", "init", "hook", "report"];

/// Checks the paths to scan: `check` given after top-level options
/// (`shiplint --format json check .`) is the subcommand, not a path; any
/// other path must exist, and one that looks like a misspelt subcommand gets
/// a hint.
fn paths_to_scan(given: &[PathBuf], top_level: bool) -> Result<Vec<PathBuf>, Failure> {
    let mut paths = given.to_vec();
    if let Some(first) = paths.first().and_then(|p| p.to_str()).filter(|_| top_level)
        && SUBCOMMANDS.contains(&first)
        && Path::new(first).symlink_metadata().is_err()
    {
        if first != "check" {
            return Err(usage(format!(
                "`{first}` is a subcommand: put options after it (`shiplint {first} --help`)"
            )));
        }
        paths.remove(0);
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    for path in &paths {
        if path.symlink_metadata().is_ok() {
            continue;
        }
        let shown = path.display().to_string();
        let close = path
            .to_str()
            .filter(|p| !p.contains(['/', '\\', '.']))
            .and_then(|p| {
                SUBCOMMANDS
                    .iter()
                    .map(|c| (strsim::damerau_levenshtein(p, c), *c))
                    .filter(|(d, c)| *d <= 2 && *d < c.len())
                    .min()
            });
        return Err(usage(match close {
            Some((0, command)) => format!(
                "`{shown}`: no such file or directory (the subcommand is `shiplint {command}`)"
            ),
            Some((_, command)) => {
                format!("`{shown}` is neither a file nor a subcommand: did you mean `{command}`?")
            }
            None => format!("`{shown}`: no such file or directory"),
        }));
    }
    Ok(paths)
}

/// Writes a report to standard output. A reader that went away (`| head`)
/// ends the output quietly: the exit code stays the scan's.
fn emit(stdout: &mut dyn Write, text: &str) -> Result<(), Failure> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure(
            exit::INTERNAL,
            format!("cannot write the report: {e}"),
        )),
        _ => Ok(()),
    }
}

fn check(
    args: CheckArgs,
    top_level: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Failure> {
    let paths = paths_to_scan(&args.paths, top_level)?;
    for selector in args.select.iter().chain(&args.ignore) {
        if !rules::is_selector(selector) {
            return Err(usage(format!(
                "unknown rule or family \"{selector}\" (see `shiplint rules`)"
            )));
        }
    }
    let ship = Narrowing {
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        diff_base: args.diff_base.clone(),
        quiet: args.quiet,
    };
    // Each path is scanned with the configuration found for it; paths that
    // share one are scanned together (cross-file rules join their files).
    let mut report: Option<report::Report> = None;
    // The `--fail-on` threshold of each file of the report, by file id.
    let mut thresholds: Vec<Option<Severity>> = Vec::new();
    // `--fix`: notices of what was fixed; `--diff`: what would be.
    let mut fixed: Vec<report::Notice> = Vec::new();
    let mut diff = crate::fix::Outcome::default();
    for (mut config, group) in load_configs(&args, &paths)? {
        if let Some(n) = args.max_file_size {
            config.limits.max_file_size = n;
        }
        if let Some(n) = args.max_nesting {
            config.limits.max_nesting = n;
        }
        if let Some(n) = args.max_alias_nodes {
            config.limits.max_alias_nodes = n;
        }
        let fail_on = match args.fail_on {
            Some(FailOnArg::Critical) => Some(Severity::Critical),
            Some(FailOnArg::High) => Some(Severity::High),
            Some(FailOnArg::Medium) => Some(Severity::Medium),
            Some(FailOnArg::Low) => Some(Severity::Low),
            Some(FailOnArg::Info) => Some(Severity::Info),
            Some(FailOnArg::Never) => None,
            None => match config.fail_on {
                Some(FailOn::Never) => None,
                Some(FailOn::Severity(s)) => Some(s),
                None => Some(Severity::Low),
            },
        };
        let options = ScanOptions {
            paths: group,
            threads: args.threads,
            config,
            select: args.select.clone(),
            ignore: args.ignore.clone(),
            include: args.include.clone(),
            exclude: args.exclude.clone(),
            ignore_comments: !args.no_ignore_comments,
        };
        if args.fix || args.diff {
            let outcome = fix_passes(&options, &ship, args.unsafe_fixes)?;
            if args.diff {
                diff.changed.extend(outcome.changed);
                diff.applied += outcome.applied;
                diff.notices.extend(outcome.notices);
                continue;
            }
            fixed.extend(write_fixes(&outcome, &options.paths, args.quiet, stderr));
        }
        let scanned = engine::scan(&options).map_err(usage)?;
        thresholds.extend(std::iter::repeat_n(fail_on, scanned.files.len()));
        report = Some(match report {
            None => scanned,
            Some(earlier) => report::join(earlier, scanned),
        });
    }
    if args.diff {
        return show_diff(&diff, args.output.as_deref(), args.quiet, stdout, stderr);
    }
    let Some(mut report) = report else {
        return Err(Failure(exit::INTERNAL, "nothing was scanned".to_owned()));
    };
    narrow(&mut report, &paths, &ship, stderr)?;
    report.notices.extend(fixed);

    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        Format::Full
    } else {
        Format::Concise
    });
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let nothing = report.findings.is_empty() && report.notices.is_empty();
    if !(args.quiet && nothing) {
        let anchor = crate::baseline::Anchor::for_scan(&paths);
        if matches!(format, Format::Sarif | Format::Github) {
            // Code scanning and annotations place files by their path in
            // the repository, whatever directory shiplint ran from.
            report::rebase(&mut report, &|display| anchor.relative(display));
        }
        let scanned = (format == Format::Html).then(|| report::merge::Scanned {
            paths: paths.iter().map(|p| p.display().to_string()).collect(),
            date: crate::repo::report_date(),
            commit: crate::repo::head_commit(&anchor.root),
        });
        let text = report::render(&report, format, RenderOptions { color, scanned });
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
            None => emit(stdout, &text)?,
        }
    }
    if args.stats {
        let mut counts = std::collections::BTreeMap::new();
        for f in &report.findings {
            *counts.entry(f.rule).or_insert(0usize) += 1;
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (rule, n) in counts {
            let _ = writeln!(stderr, "{n:>6}  {rule}");
        }
        let _ = writeln!(stderr, "{:>6}  files scanned", report.summary.files_scanned);
        if let Some(kib) = peak_memory_kib() {
            let _ = writeln!(stderr, "{:>6}  MiB peak memory", kib / 1024);
        }
    }
    let failing = report.findings.iter().any(|f| {
        thresholds
            .get(f.place.location.file)
            .copied()
            .flatten()
            .is_some_and(|t| f.severity >= t)
    });
    Ok(if failing { exit::FINDINGS } else { exit::CLEAN })
}

/// Scans and fixes in memory until nothing more changes; only findings the
/// report would show (after the baseline and the diff base) are fixed.
fn fix_passes(
    options: &ScanOptions,
    ship: &Narrowing,
    unsafe_fixes: bool,
) -> Result<crate::fix::Outcome, Failure> {
    let probe = Narrowing {
        baseline: ship.baseline.clone(),
        write_baseline: None,
        diff_base: ship.diff_base.clone(),
        quiet: true,
    };
    let mut narrowing = |report: &mut report::Report| {
        // Errors here are reported by the final scan's narrowing.
        let _ = narrow(report, &options.paths, &probe, &mut std::io::sink());
    };
    crate::fix::run(options, unsafe_fixes, &mut narrowing).map_err(usage)
}

/// `--diff`: prints what the fixes would change; exit 1 when anything would.
fn show_diff(
    outcome: &crate::fix::Outcome,
    output: Option<&Path>,
    quiet: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, Failure> {
    let text = crate::fix::diff(outcome);
    match output {
        Some(path) => std::fs::write(path, &text)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
        None => stdout
            .write_all(text.as_bytes())
            .map_err(|e| Failure(exit::INTERNAL, format!("cannot write the diff: {e}")))?,
    }
    if !quiet {
        for n in &outcome.notices {
            let _ = writeln!(stderr, "shiplint: {}: {}", n.path, n.reason);
        }
        let _ = writeln!(
            stderr,
            "shiplint: would fix {} {} in {} {}",
            outcome.applied,
            if outcome.applied == 1 {
                "finding"
            } else {
                "findings"
            },
            outcome.changed.len(),
            if outcome.changed.len() == 1 {
                "file"
            } else {
                "files"
            },
        );
    }
    Ok(if outcome.changed.is_empty() {
        exit::CLEAN
    } else {
        exit::FINDINGS
    })
}

/// `--fix`: writes the fixed files; returns the notices for the report.
fn write_fixes(
    outcome: &crate::fix::Outcome,
    paths: &[PathBuf],
    quiet: bool,
    stderr: &mut dyn Write,
) -> Vec<report::Notice> {
    let (written, mut notices) = crate::fix::write(outcome, paths);
    if !quiet && outcome.applied > 0 {
        let _ = writeln!(
            stderr,
            "shiplint: fixed {} {} in {written} {}",
            outcome.applied,
            if outcome.applied == 1 {
                "finding"
            } else {
                "findings"
            },
            if written == 1 { "file" } else { "files" },
        );
    }
    let mut all = outcome.notices.clone();
    all.append(&mut notices);
    if !quiet {
        // Also on standard error: not every format shows notices.
        for n in &all {
            let _ = writeln!(stderr, "shiplint: {}: {}", n.path, n.reason);
        }
    }
    all
}

/// What narrows a scan's report: a baseline to write or apply, a diff base.
struct Narrowing {
    baseline: Option<PathBuf>,
    write_baseline: Option<PathBuf>,
    diff_base: Option<String>,
    quiet: bool,
}

/// Writes and applies baselines, then keeps only findings in changed files.
fn narrow(
    report: &mut report::Report,
    paths: &[PathBuf],
    ship: &Narrowing,
    stderr: &mut dyn Write,
) -> Result<(), Failure> {
    let mut anchor = crate::baseline::Anchor::for_scan(paths);
    if let Some(path) = &ship.write_baseline {
        let n = crate::baseline::write(report, &anchor, path).map_err(usage)?;
        if !ship.quiet {
            let _ = writeln!(stderr, "shiplint: wrote {n} findings to {}", path.display());
        }
    }
    if let Some(path) = ship.write_baseline.as_ref().or(ship.baseline.as_ref()) {
        let baseline = crate::baseline::load(path).map_err(usage)?;
        crate::baseline::apply(report, &baseline, &anchor);
    }
    if let Some(base) = &ship.diff_base {
        let start = paths.first().map_or(Path::new("."), PathBuf::as_path);
        let (top, changed) = crate::diff::changed_files(start, base).map_err(usage)?;
        anchor.root = top;
        crate::diff::retain_changed(report, &changed, &anchor);
    }
    Ok(())
}

fn hook_install(pre_commit: bool, force: bool, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let kind = if pre_commit {
        crate::hook::HookKind::PreCommit
    } else {
        crate::hook::HookKind::PrePush
    };
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("shiplint"));
    let path = crate::hook::install(kind, Path::new("."), &exe, force).map_err(usage)?;
    let _ = writeln!(
        stdout,
        "installed {} hook at {}",
        kind.name(),
        path.display()
    );
    Ok(exit::CLEAN)
}

fn audit_report(
    files: &[String],
    format: AuditFormat,
    trust_map: bool,
    output: Option<&Path>,
    stdout: &mut dyn Write,
) -> Result<i32, Failure> {
    if matches!(format, AuditFormat::Json) && !trust_map {
        return Err(usage("--format json needs --trust-map"));
    }
    let here = [".".to_owned()];
    let files = if files.is_empty() { &here[..] } else { files };
    let mut dirs = Vec::new();
    let mut results = Vec::new();
    for input in files {
        let path = Path::new(input.as_str());
        if !path.is_dir() {
            results.push(input.clone());
            continue;
        }
        let found = sarif_files(path);
        if found.is_empty() {
            dirs.push(input);
        } else {
            results.extend(found);
        }
    }
    let audit = if let ([dir], []) = (dirs.as_slice(), results.as_slice()) {
        report::merge::Audit::from_report(&scan_for_report(Path::new(dir.as_str()))?)
    } else {
        let mut audit = report::merge::Audit::merge(&results).map_err(usage)?;
        for dir in dirs {
            let scan = scan_for_report(Path::new(dir.as_str()))?;
            audit.join(report::merge::Audit::from_report(&scan), &dir_name(dir));
        }
        audit
    };
    let format = match format {
        AuditFormat::Markdown => Format::Markdown,
        AuditFormat::Html => Format::Html,
        AuditFormat::Json => Format::Json,
    };
    let text = if trust_map {
        report::render_trust_map(&audit, format)
    } else {
        report::render_audit(&audit, format)
    };
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
        None => emit(stdout, &text)?,
    }
    Ok(exit::CLEAN)
}

/// The SARIF files below a directory given to `report` (downloaded
/// artifacts), as `NAME=FILE`: a file in a subdirectory is named by the
/// subdirectory (the artifact), one at the top by its own name.
fn sarif_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for entry in walk.flatten() {
        let path = entry.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !(name.ends_with(".sarif") || name.ends_with(".sarif.json")) || !path.is_file() {
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let mut parts = rel.components();
        let first = parts
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        let repo = match (first, parts.next()) {
            (Some(artifact), Some(_)) => artifact,
            _ => name
                .strip_suffix(".sarif.json")
                .or_else(|| name.strip_suffix(".sarif"))
                .unwrap_or(&name)
                .to_owned(),
        };
        let repo: String = repo
            .chars()
            .map(|c| if c == '=' { '-' } else { c })
            .collect();
        out.push(format!("{repo}={}", path.display()));
    }
    out.sort();
    out
}

/// A directory given to `report`: scanned with its own configuration.
fn scan_for_report(dir: &Path) -> Result<report::Report, Failure> {
    let config = match config::discover(dir) {
        Some(path) => config::load(&path, &rules::is_selector).map_err(usage)?,
        None => Config::default(),
    };
    let options = ScanOptions {
        paths: vec![dir.to_path_buf()],
        config,
        ignore_comments: true,
        ..ScanOptions::default()
    };
    engine::scan(&options).map_err(usage)
}

/// A repository's name for a scanned directory: its last component.
fn dir_name(dir: &str) -> String {
    let path = std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir));
    path.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
            _ => None,
        })
        .next_back()
        .unwrap_or_else(|| dir.to_owned())
}

/// The configuration of each path, with the paths that share it (in the
/// order given): `--no-config` and `--config FILE` give one for all, else
/// each path's is the one found by walking up from it.
fn load_configs(
    args: &CheckArgs,
    paths: &[PathBuf],
) -> Result<Vec<(Config, Vec<PathBuf>)>, Failure> {
    if args.no_config {
        return Ok(vec![(Config::default(), paths.to_vec())]);
    }
    if let Some(path) = &args.config {
        let config = config::load(path, &rules::is_selector).map_err(usage)?;
        return Ok(vec![(config, paths.to_vec())]);
    }
    let mut groups: Vec<(Option<PathBuf>, Vec<PathBuf>)> = Vec::new();
    for path in paths {
        let found = config::discover(path);
        match groups.iter_mut().find(|(c, _)| *c == found) {
            Some((_, group)) => group.push(path.clone()),
            None => groups.push((found, vec![path.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(found, group)| {
            let config = match found {
                Some(file) => config::load(&file, &rules::is_selector).map_err(usage)?,
                None => Config::default(),
            };
            Ok((config, group))
        })
        .collect()
}

fn list_rules(format: RulesFormat, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let catalogue = rules::catalogue();
    let text = match format {
        RulesFormat::Json => {
            let mut text = serde_json::to_string_pretty(catalogue)
                .map_err(|e| Failure(exit::INTERNAL, e.to_string()))?;
            text.push('\n');
            text
        }
        RulesFormat::Text => {
            let width = catalogue.iter().map(|r| r.id.len()).max().unwrap_or(0);
            catalogue
                .iter()
                .map(|r| {
                    format!(
                        "{:<width$}  {:<8}  {}\n",
                        r.id,
                        r.severity.as_str(),
                        r.summary
                    )
                })
                .collect()
        }
    };
    emit(stdout, &text)?;
    Ok(exit::CLEAN)
}

/// A rule document as people read it: the examples' test markers
/// (```` ```yaml bad file=buildspec.yml ````) reduced to the language.
fn without_test_markers(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let fence_len = body.len() - body.trim_start_matches('`').len();
        let info = &body[fence_len..];
        if fence_len >= 3 && info.split_whitespace().count() > 1 {
            out.push_str(&body[..fence_len]);
            out.push_str(info.split_whitespace().next().unwrap_or(""));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

fn explain(id: &str, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let info = rules::info(id).or_else(|| {
        rules::catalogue()
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(id.trim()))
    });
    let id = &id.to_ascii_lowercase();
    let Some(info) = info else {
        let close: Vec<&str> = rules::catalogue()
            .iter()
            .map(|r| r.id)
            .filter(|r| r.contains(id) || id.contains(r))
            .collect();
        let hint = if close.is_empty() {
            "see `shiplint rules`".to_owned()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(usage(format!("no rule \"{id}\": {hint}")));
    };
    let text = format!(
        "{} ({}; family {}{})\n\n{}",
        info.id,
        info.severity,
        info.family,
        info.cwe
            .as_ref()
            .map(|c| format!("; {c}"))
            .unwrap_or_default(),
        without_test_markers(&info.markdown)
    );
    emit(stdout, &text)?;
    Ok(exit::CLEAN)
}

fn init(force: bool, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let path = Path::new(config::CONFIG_NAMES[0]);
    if path.exists() && !force {
        return Err(usage(format!(
            "{} already exists (use --force to overwrite it)",
            path.display()
        )));
    }
    std::fs::write(path, config::STARTER)
        .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
    let _ = writeln!(stdout, "wrote {}", path.display());
    Ok(exit::CLEAN)
}

/// The process's peak resident memory (Linux `VmHWM`), for `--stats`.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
