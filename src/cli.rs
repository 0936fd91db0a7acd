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
        /// Replace a hook that shiplint did not write.
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
    /// Print the number of findings per rule on standard error.
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
        None => check(cli.check, stdout, stderr),
        Some(Command::Check(args)) => check(*args, stdout, stderr),
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

fn check(args: CheckArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<i32, Failure> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    for selector in args.select.iter().chain(&args.ignore) {
        if !rules::is_selector(selector) {
            return Err(usage(format!(
                "unknown rule or family \"{selector}\" (see `shiplint rules`)"
            )));
        }
    }
    let mut config = load_config(&args, &paths)?;
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
    let ship = Narrowing {
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        diff_base: args.diff_base.clone(),
        quiet: args.quiet,
    };
    let options = ScanOptions {
        paths,
        threads: args.threads,
        config,
        select: args.select,
        ignore: args.ignore,
        include: args.include,
        exclude: args.exclude,
        ignore_comments: !args.no_ignore_comments,
    };
    let mut report = engine::scan(&options).map_err(usage)?;
    narrow(&mut report, &options.paths, &ship, stderr)?;

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
        let text = report::render(&report, format, RenderOptions { color });
        match &args.output {
            Some(path) => std::fs::write(path, text)
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?,
            None => stdout
                .write_all(text.as_bytes())
                .map_err(|e| Failure(exit::INTERNAL, format!("cannot write the report: {e}")))?,
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
    let failing = fail_on.is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(if failing { exit::FINDINGS } else { exit::CLEAN })
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
        None => stdout
            .write_all(text.as_bytes())
            .map_err(|e| Failure(exit::INTERNAL, format!("cannot write the report: {e}")))?,
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

fn load_config(args: &CheckArgs, paths: &[PathBuf]) -> Result<Config, Failure> {
    if args.no_config {
        return Ok(Config::default());
    }
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        None => config::discover(paths.first().map_or(Path::new("."), PathBuf::as_path)),
    };
    match path {
        Some(path) => config::load(&path, &rules::is_selector).map_err(usage),
        None => Ok(Config::default()),
    }
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
    stdout
        .write_all(text.as_bytes())
        .map_err(|e| Failure(exit::INTERNAL, e.to_string()))?;
    Ok(exit::CLEAN)
}

fn explain(id: &str, stdout: &mut dyn Write) -> Result<i32, Failure> {
    let Some(info) = rules::info(id) else {
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
        info.markdown
    );
    stdout
        .write_all(text.as_bytes())
        .map_err(|e| Failure(exit::INTERNAL, e.to_string()))?;
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
