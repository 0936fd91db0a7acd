//! Following what a command runs: `make TARGET` reads the repository's
//! Makefile (rules, prerequisites, variables, includes) and analyses the
//! recipe lines; `./x.sh`, `bash x.sh`, `sh x.sh`, `source x.sh` read the
//! script and analyse it as a shell script; `python3 x.py` looks for the
//! deploy commands (`subprocess`, `os.system`) and AWS SDK calls the script
//! makes. Only a target or script that is not among the scanned files is
//! judged by its name (push, publish, deploy, release, upload).
//!
//! Bounded: targets, scripts and includes are followed [`MAX_DEPTH`] deep,
//! each at most once on a chain, so cycles end.

use super::commands::{argv, publish};
use super::guard::{Dialect, Hit, Resolve, Step, scan_with};
use super::parse::Simple;
use crate::source::SourceFile;
use crate::syntax::Span;
use std::collections::HashMap;
use std::sync::OnceLock;

/// How many Makefiles, targets and scripts deep a command is followed.
pub const MAX_DEPTH: usize = 6;
/// Recipe lines a target may expand to, prerequisites included.
const MAX_LINES: usize = 2_000;
/// Variable expansion rounds.
const MAX_EXPANSION: usize = 16;
/// Recipe lines and scripts analysed for one buildspec command, all levels
/// together: fan-out (`$(MAKE) a b c` in every target) stays linear.
const MAX_WORK: usize = 5_000;

/// True for a file whose text a command may run: Makefiles and scripts
/// (by name or shebang), and Python files that run commands or use the AWS
/// SDK. The engine keeps their text for [`Workspace`].
pub fn may_be_run(display: &str, text: &str) -> bool {
    let name = display.rsplit('/').next().unwrap_or(display);
    let lower = name.to_ascii_lowercase();
    if is_makefile_name(&lower) || lower.ends_with(".sh") || lower.ends_with(".bash") {
        return true;
    }
    if lower.ends_with(".py") {
        return ["subprocess", "os.system", "os.popen", "boto3"]
            .iter()
            .any(|m| text.contains(m));
    }
    !lower.contains('.') && text.starts_with("#!")
}

fn is_makefile_name(lower: &str) -> bool {
    matches!(lower, "makefile" | "gnumakefile")
        || lower.ends_with(".mk")
        || lower.ends_with(".make")
}

/// The scanned files commands may run, by path relative to the repository
/// root.
pub struct Workspace<'a> {
    files: &'a [SourceFile],
    /// The repository root (`a/b/`), or empty.
    root: String,
    index: OnceLock<HashMap<String, usize>>,
    /// What scripts publish, by file and depth.
    scripts: std::cell::RefCell<HashMap<(usize, usize), Option<Hit>>>,
    /// Makefiles already read, by file and directory.
    makefiles: std::cell::RefCell<HashMap<(usize, String), std::rc::Rc<Makefile>>>,
}

impl<'a> Workspace<'a> {
    pub fn new(files: &'a [SourceFile], root: String) -> Workspace<'a> {
        Workspace {
            files,
            root,
            index: OnceLock::new(),
            makefiles: std::cell::RefCell::new(HashMap::new()),
            scripts: std::cell::RefCell::new(HashMap::new()),
        }
    }

    fn index(&self) -> &HashMap<String, usize> {
        self.index.get_or_init(|| {
            self.files
                .iter()
                .enumerate()
                .filter(|(_, f)| !f.text.is_empty() || f.kind != crate::source::FileKind::Text)
                .map(|(i, f)| (normalize(&f.display), i))
                .collect()
        })
    }

    /// The file a path names, relative to the repository root or to `dir`
    /// (the directory of the file that runs it); else the only file whose
    /// path ends the same way.
    fn find(&self, path: &str, dir: &str) -> Option<&'a SourceFile> {
        let path = strip_src_dir(path);
        if path.contains(['$', '`', '*', '?']) || path.is_empty() {
            return None;
        }
        let index = self.index();
        let candidates = [
            normalize(&format!("{}{path}", self.root)),
            normalize(&format!("{dir}/{path}")),
        ];
        if let Some(i) = candidates.iter().find_map(|c| index.get(c)) {
            return self.files.get(*i);
        }
        let tail = format!("/{}", normalize(path));
        let mut matching = index
            .iter()
            .filter(|(p, _)| p.ends_with(&tail) || **p == tail[1..]);
        match (matching.next(), matching.next()) {
            (Some((_, i)), None) => self.files.get(*i),
            _ => None,
        }
    }

    /// A resolver for commands written in `display` (a buildspec), which
    /// leaves the commands that publish by themselves to the per-file check
    /// when `skip_direct`.
    pub fn resolver(&'a self, display: &str, skip_direct: bool) -> Follower<'a> {
        Follower {
            ws: self,
            dir: dir_of(display).to_owned(),
            depth: 0,
            chain: Vec::new(),
            skip_direct,
            vars: HashMap::new(),
            budget: std::rc::Rc::new(std::cell::Cell::new(MAX_WORK)),
        }
    }
}

/// Resolves what commands publish, following Makefiles and scripts.
pub struct Follower<'a> {
    ws: &'a Workspace<'a>,
    /// The directory commands run in, relative to the scan.
    dir: String,
    depth: usize,
    /// Files and targets on the way here (`path` or `path:target`).
    chain: Vec<String>,
    skip_direct: bool,
    /// Make variables in force (inside recipes).
    vars: HashMap<String, String>,
    /// Work left for the current buildspec command.
    budget: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Resolve for Follower<'_> {
    fn publishes(&self, s: &Simple) -> Option<Hit> {
        if let Some(label) = publish(s) {
            return (!self.skip_direct).then(|| Hit {
                label,
                trail: Vec::new(),
                by_name: false,
            });
        }
        if self.depth == 0 {
            self.budget.set(MAX_WORK);
        }
        if self.depth >= MAX_DEPTH || !self.spend() {
            return None;
        }
        let words: Vec<String> = argv(s).iter().map(|a| a.text()).collect();
        let prog = words.first()?;
        let base = prog.rsplit('/').next().unwrap_or(prog);
        if matches!(base, "make" | "gmake" | "$(MAKE)" | "${MAKE}") {
            return self.make(&words);
        }
        if matches!(base, "npm" | "pnpm" | "yarn" | "bun") {
            let ops: Vec<&str> = words
                .iter()
                .skip(1)
                .map(String::as_str)
                .filter(|w| !w.starts_with('-'))
                .collect();
            let name = match (base, ops.first().copied()) {
                (_, Some("run" | "run-script")) => ops.get(1).copied(),
                ("npm" | "pnpm" | "bun", Some(s @ ("test" | "start" | "stop" | "restart"))) => {
                    Some(s)
                }
                ("yarn" | "pnpm", Some(s)) if !PACKAGE_MANAGER_COMMANDS.contains(&s) => Some(s),
                _ => None,
            }?;
            // `npm run cdk -- deploy`: arguments after `--` go to the script.
            let extra = words
                .iter()
                .position(|w| w == "--")
                .map(|i| words[i + 1..].join(" "))
                .unwrap_or_default();
            return self.package_script(base, name, &extra);
        }
        let script = match base {
            "bash" | "sh" | "dash" | "zsh" | "ksh" | "source" | "." => words
                .iter()
                .skip(1)
                .find(|w| !w.starts_with('-') || *w == "-")
                .filter(|w| *w != "-")?,
            b if b.starts_with("python") => {
                let mut found = None;
                for w in words.iter().skip(1) {
                    if w == "-m" || w == "-c" {
                        return None;
                    }
                    if !w.starts_with('-') {
                        found = Some(w);
                        break;
                    }
                }
                found?
            }
            _ if prog.contains('/') => prog,
            _ => return None,
        };
        self.script(script)
    }
}

impl<'a> Follower<'a> {
    /// Takes one unit of work; false when none is left.
    fn spend(&self) -> bool {
        let left = self.budget.get();
        self.budget.set(left.saturating_sub(1));
        left > 0
    }

    fn child(&self, dir: String, link: String, vars: HashMap<String, String>) -> Follower<'a> {
        let mut chain = self.chain.clone();
        chain.push(link);
        Follower {
            ws: self.ws,
            dir,
            depth: self.depth + 1,
            chain,
            skip_direct: false,
            vars,
            budget: self.budget.clone(),
        }
    }

    /// `npm run deploy`, `yarn release`: the `scripts` entry of the
    /// package.json (with its `pre`/`post` scripts).
    fn package_script(&self, tool: &str, name: &str, extra: &str) -> Option<Hit> {
        let shown = format!("{tool} run {name}");
        let Some(file) = self.ws.find("package.json", &self.dir) else {
            return by_name(name, "script").map(|h| Hit {
                label: shown.clone(),
                ..h
            });
        };
        let key = format!("{}:{name}", normalize(&file.display));
        if self.chain.contains(&key) {
            return None;
        }
        let json: serde_json::Value = serde_json::from_str(&file.text).ok()?;
        let scripts = json.get("scripts")?.as_object()?;
        if !scripts.contains_key(name) {
            return by_name(name, "script").map(|h| Hit {
                label: shown.clone(),
                ..h
            });
        }
        let child = self.child(self.dir.clone(), key, HashMap::new());
        for entry in [format!("pre{name}"), name.to_owned(), format!("post{name}")] {
            let Some(body) = scripts.get(&entry).and_then(|v| v.as_str()) else {
                continue;
            };
            if !self.spend() {
                return None;
            }
            let body = if entry == name && !extra.is_empty() {
                format!("{body} {extra}")
            } else {
                body.to_owned()
            };
            let scan = scan_with(
                &body,
                false,
                false,
                Dialect {
                    bash: false,
                    resolve: &child,
                },
            );
            if let Some(u) = scan.unguarded.into_iter().next() {
                let span = json_key_line(&file.text, &entry).unwrap_or_default();
                let mut trail = vec![Step {
                    file: file.id,
                    span,
                    label: format!("package script \"{entry}\" runs \"{}\"", u.label),
                }];
                trail.extend(u.trail);
                return Some(Hit {
                    label: u.label,
                    trail,
                    by_name: u.by_name,
                });
            }
        }
        None
    }

    /// `./ci/publish.sh`, `bash deploy.sh`, `python3 ops/deploy.py`.
    fn script(&self, path: &str) -> Option<Hit> {
        let Some(file) = self.ws.find(path, &self.dir) else {
            return by_name(path, "script");
        };
        let key = normalize(&file.display);
        if self.chain.contains(&key) {
            return None;
        }
        // A script is analysed once per scan and depth.
        let cached = self
            .ws
            .scripts
            .borrow()
            .get(&(file.id, self.depth))
            .cloned();
        if let Some(hit) = cached {
            return hit;
        }
        let hit = self.analyse_script(file, key);
        self.ws
            .scripts
            .borrow_mut()
            .insert((file.id, self.depth), hit.clone());
        hit
    }

    fn analyse_script(&self, file: &SourceFile, key: String) -> Option<Hit> {
        let cost = file.text.len() / 2048;
        let left = self.budget.get();
        if left < cost {
            self.budget.set(0);
            return None;
        }
        self.budget.set(left - cost);
        let child = self.child(self.dir.clone(), key, HashMap::new());
        let lower = file.display.to_ascii_lowercase();
        let python = lower.ends_with(".py") || file.text.starts_with("#!/usr/bin/env python");
        let (label, span, mut trail) = if python {
            python_publish(&file.text)?
        } else {
            let bash = !file.text.starts_with("#!/bin/sh");
            let scan = scan_with(
                &file.text,
                false,
                false,
                Dialect {
                    bash,
                    resolve: &child,
                },
            );
            let u = scan.unguarded.into_iter().next()?;
            (u.label, Span::new(u.span.start, u.span.end), u.trail)
        };
        let what = if python { "python script" } else { "script" };
        trail.insert(
            0,
            Step {
                file: file.id,
                span,
                label: format!("{what} {} runs \"{label}\"", file.display),
            },
        );
        Some(Hit {
            label,
            trail,
            by_name: false,
        })
    }

    /// `make [-C dir] [-f file] [VAR=value] [targets]`.
    fn make(&self, words: &[String]) -> Option<Hit> {
        let mut dir = String::new();
        let mut makefile: Option<String> = None;
        let mut targets = Vec::new();
        let mut overrides = HashMap::new();
        let mut it = words.iter().skip(1);
        while let Some(w) = it.next() {
            match w.as_str() {
                "-C" | "--directory" => dir = it.next()?.clone(),
                "-f" | "--file" | "--makefile" => makefile = Some(it.next()?.clone()),
                "-j" | "-l" | "-o" | "-W" | "-I" => {
                    it.next();
                }
                _ if w.starts_with("--directory=") || w.starts_with("-C") && w.len() > 2 => {
                    dir = w
                        .trim_start_matches("--directory=")
                        .trim_start_matches("-C")
                        .to_owned();
                }
                _ if w.starts_with("--file=") || w.starts_with("-f") && w.len() > 2 => {
                    makefile = Some(
                        w.trim_start_matches("--file=")
                            .trim_start_matches("-f")
                            .to_owned(),
                    );
                }
                _ if w.starts_with('-') => {}
                _ if w.contains('=') => {
                    if let Some((k, v)) = w.split_once('=') {
                        overrides.insert(k.trim().to_owned(), v.to_owned());
                    }
                }
                _ => targets.push(w.clone()),
            }
        }
        let base_dir = if dir.is_empty() {
            self.dir.clone()
        } else {
            normalize(&format!("{}/{dir}", self.dir))
        };
        let names: Vec<String> = match &makefile {
            Some(f) => vec![format!("{dir}/{f}")],
            None => ["GNUmakefile", "makefile", "Makefile"]
                .iter()
                .map(|n| format!("{dir}/{n}"))
                .collect(),
        };
        let file = names.iter().find_map(|n| self.ws.find(n, &self.dir));
        let shown = format!("make {}", targets.join(" ")).trim_end().to_owned();
        let Some(file) = file else {
            return targets
                .iter()
                .find_map(|t| by_name(t, "make target"))
                .map(|h| Hit {
                    label: shown.clone(),
                    ..h
                });
        };
        // Reading a Makefile costs work in proportion to its size; each is
        // read once per scan and directory.
        let cost = file.text.len() / 2048;
        let left = self.budget.get();
        if left < cost {
            self.budget.set(0);
            return None;
        }
        self.budget.set(left - cost);
        let read = self
            .ws
            .makefiles
            .borrow()
            .get(&(file.id, base_dir.clone()))
            .cloned();
        let read = read.unwrap_or_else(|| {
            let mut visited = Vec::new();
            let mut mk = Makefile::default();
            read_makefile(self.ws, file, &base_dir, &mut mk, &mut visited, 0);
            let mk = std::rc::Rc::new(mk);
            self.ws
                .makefiles
                .borrow_mut()
                .insert((file.id, base_dir.clone()), mk.clone());
            mk
        });
        let mut mk = Makefile {
            vars: read.vars.clone(),
            rules: HashMap::new(),
            default: read.default.clone(),
            expanded: std::cell::Cell::new(0),
        };
        let rules = &read.rules;
        for (k, v) in overrides {
            mk.vars.insert(k, v);
        }
        for (k, v) in &self.vars {
            mk.vars.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if targets.is_empty() {
            targets.extend(mk.default.clone());
        }
        for t in &targets {
            if !rules.contains_key(t.as_str()) {
                if let Some(h) = by_name(t, "make target") {
                    return Some(Hit {
                        label: format!("make {t}"),
                        ..h
                    });
                }
                continue;
            }
            let mut lines = Vec::new();
            let mut seen = Vec::new();
            read.recipe(t, &mut lines, &mut seen, 0);
            for (target, line) in lines {
                let key = format!("{}:{target}", normalize(&file.display));
                if self.chain.contains(&key) {
                    continue;
                }
                if !self.spend() {
                    return None;
                }
                let text = mk.expand(&line.text, &target, 0);
                let child = self.child(base_dir.clone(), key, mk.vars.clone());
                let scan = scan_with(
                    &text,
                    false,
                    false,
                    Dialect {
                        bash: false,
                        resolve: &child,
                    },
                );
                if let Some(u) = scan.unguarded.into_iter().next() {
                    let mut trail = vec![Step {
                        file: line.file,
                        span: line.span,
                        label: format!("make target \"{target}\" runs \"{}\"", u.label),
                    }];
                    trail.extend(u.trail);
                    return Some(Hit {
                        label: u.label,
                        trail,
                        by_name: u.by_name,
                    });
                }
            }
        }
        None
    }
}

/// Subcommands of yarn and pnpm that are not package scripts.
const PACKAGE_MANAGER_COMMANDS: &[&str] = &[
    "add",
    "audit",
    "autoclean",
    "bin",
    "cache",
    "check",
    "config",
    "create",
    "dlx",
    "exec",
    "global",
    "help",
    "import",
    "info",
    "init",
    "install",
    "i",
    "ci",
    "licenses",
    "link",
    "list",
    "ls",
    "login",
    "logout",
    "node",
    "outdated",
    "owner",
    "pack",
    "policies",
    "publish",
    "remove",
    "rm",
    "tag",
    "team",
    "unlink",
    "unplug",
    "up",
    "update",
    "upgrade",
    "upgrade-interactive",
    "version",
    "versions",
    "why",
    "workspace",
    "workspaces",
    "npm",
    "set",
    "plugin",
    "prune",
    "rebuild",
    "store",
    "patch",
    "fetch",
    "test",
    "start",
    "env",
    "root",
    "dedupe",
];

/// The span of a `"key": ...` line of a JSON text (from the key to the end
/// of its line).
fn json_key_line(text: &str, key: &str) -> Option<Span> {
    let quoted = format!("\"{key}\"");
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find(&quoted) {
        let start = from + at;
        let after = text.get(start + quoted.len()..)?;
        if after.trim_start().starts_with(':') {
            let end = text[start..].find('\n').map_or(text.len(), |n| start + n);
            let line = text.get(start..end)?.trim_end().trim_end_matches(',');
            return Some(Span::new(start, start + line.len()));
        }
        from = start + quoted.len();
    }
    None
}

/// A target or script that is not in the scan, judged by its name.
fn by_name(name: &str, what: &str) -> Option<Hit> {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    let stem = base.split('.').next().unwrap_or(&base);
    let publishes = stem
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| {
            ["push", "publish", "deploy", "release", "upload"]
                .iter()
                .any(|w| part.starts_with(w))
        });
    publishes.then(|| Hit {
        label: format!("{what} {name}"),
        trail: Vec::new(),
        by_name: true,
    })
}

/// `$CODEBUILD_SRC_DIR/ci/x.sh` -> `ci/x.sh`.
fn strip_src_dir(path: &str) -> &str {
    for prefix in [
        "$CODEBUILD_SRC_DIR/",
        "${CODEBUILD_SRC_DIR}/",
        "$PWD/",
        "${PWD}/",
    ] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return rest;
        }
    }
    path
}

fn dir_of(display: &str) -> &str {
    display.rsplit_once('/').map_or("", |(d, _)| d)
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

/// A recipe line as written.
#[derive(Debug, Clone)]
struct Line {
    file: usize,
    span: Span,
    text: String,
}

#[derive(Debug, Clone, Default)]
struct Rule {
    prereqs: Vec<String>,
    recipe: Vec<Line>,
}

/// What shiplint reads of a Makefile: variables, explicit rules and the
/// default goal. Conditionals are read as if every branch applied.
#[derive(Debug, Default)]
struct Makefile {
    vars: HashMap<String, String>,
    rules: HashMap<String, Rule>,
    default: Option<String>,
    /// Variable references expanded so far: `A = $(A)$(A)` must not take
    /// exponential time.
    expanded: std::cell::Cell<usize>,
}

/// Variable references one Makefile may expand in all.
const MAX_REFERENCES: usize = 20_000;
/// The longest expanded text.
const MAX_EXPANDED_LEN: usize = 64 * 1024;

fn read_makefile(
    ws: &Workspace<'_>,
    file: &SourceFile,
    dir: &str,
    mk: &mut Makefile,
    visited: &mut Vec<usize>,
    depth: usize,
) {
    if depth > MAX_DEPTH || visited.contains(&file.id) {
        return;
    }
    visited.push(file.id);
    let text = &file.text;
    // Logical lines: continuation backslashes joined, with the offset where
    // each starts.
    let mut logical: Vec<(usize, usize, String)> = Vec::new();
    let mut offset = 0;
    let mut pending: Option<(usize, String)> = None;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (at, mut acc) = pending.take().unwrap_or((start, String::new()));
        if let Some(cont) = line.strip_suffix('\\') {
            acc.push_str(cont);
            acc.push(' ');
            pending = Some((at, acc));
            continue;
        }
        acc.push_str(line);
        logical.push((at, start + line.len(), acc));
    }
    if let Some((at, acc)) = pending {
        logical.push((at, text.len(), acc));
    }
    let mut current: Vec<String> = Vec::new();
    let mut in_define = false;
    for (start, end, line) in logical {
        if in_define {
            if line.trim_start().starts_with("endef") {
                in_define = false;
            }
            continue;
        }
        if let Some(recipe) = line.strip_prefix('\t') {
            let trimmed = recipe.trim_start_matches(['@', '-', '+', ' ', '\t']);
            if trimmed.is_empty() || trimmed.starts_with('#') || current.is_empty() {
                continue;
            }
            let lead = line.len() - trimmed.len();
            for t in &current {
                if let Some(rule) = mk.rules.get_mut(t) {
                    rule.recipe.push(Line {
                        file: file.id,
                        span: Span::new(start + lead, end),
                        text: trimmed.to_owned(),
                    });
                }
            }
            continue;
        }
        let code = line.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        let word = code.split_whitespace().next().unwrap_or("");
        match word {
            "define" => {
                in_define = true;
                continue;
            }
            "ifeq" | "ifneq" | "ifdef" | "ifndef" | "else" | "endif" | "vpath" | "unexport" => {
                continue;
            }
            "include" | "-include" | "sinclude" => {
                current.clear();
                for inc in code.split_whitespace().skip(1) {
                    let inc = mk.expand(inc, "", 0);
                    if let Some(f) = ws.find(&format!("{dir}/{inc}"), "")
                        && f.text.len() < 1 << 20
                    {
                        read_makefile(ws, f, dir, mk, visited, depth + 1);
                    }
                }
                continue;
            }
            _ => {}
        }
        let code = code
            .strip_prefix("export ")
            .or_else(|| code.strip_prefix("override "))
            .unwrap_or(code)
            .trim();
        if let Some((name, op, value)) = assignment(code) {
            current.clear();
            let value = value.trim().to_owned();
            match op {
                "?=" => {
                    mk.vars.entry(name.to_owned()).or_insert(value);
                }
                "+=" => {
                    let v = mk.vars.entry(name.to_owned()).or_default();
                    if !v.is_empty() {
                        v.push(' ');
                    }
                    v.push_str(&value);
                }
                ":=" | "::=" | ":::=" => {
                    let v = mk.expand(&value, "", 0);
                    mk.vars.insert(name.to_owned(), v);
                }
                _ => {
                    mk.vars.insert(name.to_owned(), value);
                }
            }
            continue;
        }
        let Some((targets, rest)) = code.split_once(':') else {
            current.clear();
            continue;
        };
        let rest = rest.trim_start_matches(':');
        let (prereqs, inline) = match rest.split_once(';') {
            Some((p, r)) => (p, Some(r)),
            None => (rest, None),
        };
        let targets: Vec<String> = targets
            .split_whitespace()
            .map(|t| mk.expand(t, "", 0))
            .collect();
        let prereqs: Vec<String> = prereqs
            .split('|')
            .flat_map(str::split_whitespace)
            .map(|p| mk.expand(p, "", 0))
            .flat_map(|p| p.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        current.clear();
        for t in targets {
            if t.starts_with('.') || t.contains('%') {
                continue;
            }
            if mk.default.is_none() {
                mk.default = Some(t.clone());
            }
            let rule = mk.rules.entry(t.clone()).or_default();
            rule.prereqs.extend(prereqs.iter().cloned());
            if let Some(r) = inline.map(str::trim).filter(|r| !r.is_empty()) {
                rule.recipe.push(Line {
                    file: file.id,
                    span: Span::new(start, end),
                    text: r.to_owned(),
                });
            }
            current.push(t);
        }
    }
}

/// `NAME = value`, `NAME := value`, `NAME ?= value`, `NAME += value`.
fn assignment(code: &str) -> Option<(&str, &str, &str)> {
    let eq = code.find('=')?;
    let colon = code.find(':');
    let before = code.get(..eq)?;
    let (name, op) = if let Some(n) = before.strip_suffix(":::") {
        (n, ":::=")
    } else if let Some(n) = before.strip_suffix("::") {
        (n, "::=")
    } else if let Some(n) = before.strip_suffix(':') {
        (n, ":=")
    } else if let Some(n) = before.strip_suffix('?') {
        (n, "?=")
    } else if let Some(n) = before.strip_suffix('+') {
        (n, "+=")
    } else if let Some(n) = before.strip_suffix('!') {
        (n, "!=")
    } else {
        // A `:` before the `=` makes it a rule (`target: VAR = x`).
        if colon.is_some_and(|c| c < eq) {
            return None;
        }
        (before, "=")
    };
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains(':') {
        return None;
    }
    Some((name, op, code.get(eq + 1..)?))
}

impl Makefile {
    /// Recipe lines of a target, prerequisites first, each with the target
    /// it belongs to.
    fn recipe(
        &self,
        target: &str,
        out: &mut Vec<(String, Line)>,
        seen: &mut Vec<String>,
        depth: usize,
    ) {
        if depth > MAX_DEPTH * 4 || out.len() >= MAX_LINES || seen.iter().any(|s| s == target) {
            return;
        }
        seen.push(target.to_owned());
        let Some(rule) = self.rules.get(target) else {
            return;
        };
        for p in &rule.prereqs {
            self.recipe(p, out, seen, depth + 1);
        }
        for line in &rule.recipe {
            if out.len() >= MAX_LINES {
                return;
            }
            out.push((target.to_owned(), line.clone()));
        }
    }

    /// Expands `$(VAR)`, `${VAR}`, `$@` and `$$`; functions and unknown
    /// variables stay as written.
    fn expand(&self, text: &str, target: &str, depth: usize) -> String {
        if depth > MAX_EXPANSION || !text.contains('$') {
            return text.to_owned();
        }
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let mut chars = after.chars();
            match chars.next() {
                Some('$') => {
                    out.push('$');
                    rest = &after[1..];
                }
                Some('@') => {
                    out.push_str(target);
                    rest = &after[1..];
                }
                Some(open @ ('(' | '{')) => {
                    let close = if open == '(' { ')' } else { '}' };
                    let Some(end) = after.find(close) else {
                        out.push_str(&rest[at..]);
                        rest = "";
                        break;
                    };
                    let name = &after[1..end];
                    let spent = self.expanded.get();
                    match self.vars.get(name) {
                        Some(v)
                            if !name.contains(' ')
                                && spent < MAX_REFERENCES
                                && out.len() < MAX_EXPANDED_LEN =>
                        {
                            self.expanded.set(spent + 1);
                            out.push_str(&self.expand(v, target, depth + 1));
                        }
                        _ => out.push_str(&rest[at..at + 1 + end + 1]),
                    }
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('$');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// AWS SDK (boto3) calls that publish or deploy.
const SDK_CALLS: &[&str] = &[
    "update_service",
    "create_service",
    "register_task_definition",
    "update_function_code",
    "update_function_configuration",
    "update_alias",
    "publish_version",
    "put_image",
    "create_deployment",
    "create_stack",
    "update_stack",
    "execute_change_set",
    "send_command",
    "upload_file",
    "upload_fileobj",
    "put_object",
    "update_environment",
    "start_deployment",
];

/// The first deploying command or SDK call of a Python script: its label,
/// the span of its line, no further trail.
fn python_publish(text: &str) -> Option<(String, Span, Vec<Step>)> {
    let sdk = text.contains("boto3");
    let mut offset = 0;
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .map(|l| {
            let at = offset;
            offset += l.len();
            (at, l.trim_end_matches(['\n', '\r']))
        })
        .collect();
    for (i, (at, line)) in lines.iter().enumerate() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        let lead = line.len() - code.len();
        let span = Span::new(at + lead, at + line.len());
        if sdk {
            for call in SDK_CALLS {
                if code.contains(&format!(".{call}(")) {
                    return Some((format!("boto3 {call}"), span, Vec::new()));
                }
            }
        }
        let runs = [
            "subprocess.",
            "os.system(",
            "os.popen(",
            "check_call(",
            "check_output(",
            "run(",
            "Popen(",
            "call(",
        ]
        .iter()
        .any(|m| code.contains(m));
        if !runs {
            continue;
        }
        // The call may continue on the next lines: up to its closing paren.
        let mut call = String::new();
        let mut depth = 0i32;
        for (_, l) in lines.iter().skip(i).take(12) {
            call.push_str(l);
            call.push(' ');
            depth += l.matches('(').count() as i32 - l.matches(')').count() as i32;
            if depth <= 0 {
                break;
            }
        }
        let literals = string_literals(&call);
        let command = if call.contains('[') && literals.len() > 1 {
            literals.join(" ")
        } else {
            literals.into_iter().next().unwrap_or_default()
        };
        for s in super::simple_commands(&command) {
            if let Some(label) = publish(&s) {
                return Some((label, span, Vec::new()));
            }
        }
    }
    None
}

/// The contents of the string literals of a line of Python (`f`/`r`
/// prefixes dropped, escapes kept).
fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'#' {
            break;
        }
        if c == b'"' || c == b'\'' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != c {
                if bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            if let Some(s) = code.get(i + 1..j.min(bytes.len())) {
                out.push(s.to_owned());
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parse::{parse, simples};

    fn files(list: &[(&str, &str)]) -> Vec<SourceFile> {
        let mut out: Vec<SourceFile> = list
            .iter()
            .map(|(p, t)| crate::discover::load_str(p, t))
            .collect();
        for (i, f) in out.iter_mut().enumerate() {
            f.id = i;
        }
        out
    }

    fn hit(fs: &[SourceFile], cmd: &str) -> Option<Hit> {
        let ws = Workspace::new(fs, String::new());
        let r = ws.resolver("buildspec.yml", false);
        let list = parse(cmd);
        let s = simples(&list)[0].clone();
        r.publishes(&s)
    }

    #[test]
    fn make_targets_are_followed_through_prerequisites_and_variables() {
        let mk = "IMAGE ?= acme/web\nTAG := $(shell git rev-parse HEAD)\n\nbuild:\n\tdocker build -t $(IMAGE):$(TAG) .\n\ndocker-push: build\n\t@docker push $(IMAGE):$(TAG)\n\nrelease: docker-push\n\ntest:\n\tgo test ./...\n";
        let fs = files(&[("Makefile", mk)]);
        let h = hit(&fs, "make release").expect("release pushes");
        assert_eq!(h.label, "docker push");
        assert!(!h.by_name);
        let step = &h.trail[0];
        assert_eq!(&mk[step.span.range()], "docker push $(IMAGE):$(TAG)");
        assert!(step.label.contains("docker-push"), "{}", step.label);
        assert_eq!(hit(&fs, "make test"), None);
        // The default goal is the first target.
        assert_eq!(hit(&fs, "make"), None);
        assert_eq!(
            hit(&fs, "make -C . docker-push")
                .map(|h| h.label)
                .as_deref(),
            Some("docker push")
        );
    }

    #[test]
    fn recursive_make_includes_and_cycles() {
        let mk = "include deploy.mk\nall: a\na: b\n\t$(MAKE) ship\nb: a\n";
        let inc = "ship:\n\taws ecs update-service --cluster c --service s\n";
        let fs = files(&[("Makefile", mk), ("deploy.mk", inc)]);
        let h = hit(&fs, "make all").expect("follows $(MAKE) into the include");
        assert_eq!(h.label, "aws ecs update-service");
        assert_eq!(h.trail.len(), 2);
        assert_eq!(h.trail[1].file, 1);
        // A Makefile that calls itself forever ends.
        let fs = files(&[("Makefile", "loop:\n\t$(MAKE) loop\n")]);
        assert_eq!(hit(&fs, "make loop"), None);
    }

    #[test]
    fn scripts_are_read() {
        let sh = "#!/bin/bash\nset -euo pipefail\necho building\ndocker push \"$REPO:$TAG\"\n";
        let quiet = "#!/bin/bash\necho \"push the button\"\nnpm test\n";
        let py = "import subprocess\n\ndef main():\n    subprocess.run(\n        [\"aws\", \"cloudformation\", \"deploy\", \"--stack-name\", \"api\"],\n        check=True)\n";
        let sdk = "import boto3\nclient = boto3.client('ecs')\nclient.update_service(cluster='c', service='s')\n";
        let fs = files(&[
            ("ci/publish_container.sh", sh),
            ("ci/test.sh", quiet),
            ("ops/deploy_api.py", py),
            ("ops/roll.py", sdk),
            ("ci/loop.sh", "#!/bin/sh\n./ci/loop.sh\n"),
        ]);
        let h = hit(&fs, "./ci/publish_container.sh").expect("script pushes");
        assert_eq!(h.label, "docker push");
        assert_eq!(&sh[h.trail[0].span.range()], "docker push \"$REPO:$TAG\"");
        assert_eq!(
            hit(&fs, "bash ci/publish_container.sh")
                .map(|h| h.label)
                .as_deref(),
            Some("docker push")
        );
        assert_eq!(hit(&fs, "source ./ci/test.sh"), None);
        let h = hit(&fs, "python3 ops/deploy_api.py --env prod").expect("python deploys");
        assert_eq!(h.label, "aws cloudformation deploy");
        assert_eq!(&py[h.trail[0].span.range()], "subprocess.run(");
        assert_eq!(
            hit(&fs, "python ops/roll.py").map(|h| h.label).as_deref(),
            Some("boto3 update_service")
        );
        assert_eq!(hit(&fs, "./ci/loop.sh"), None);
    }

    #[test]
    fn names_only_for_what_is_not_scanned() {
        let fs = files(&[("Makefile", "test:\n\tgo test\n")]);
        let h = hit(&fs, "./scripts/deploy-prod.sh").expect("judged by name");
        assert!(h.by_name);
        assert_eq!(h.trail, []);
        assert!(hit(&fs, "./scripts/lint.sh").is_none());
        let h = hit(&fs, "make docker-push").expect("target not in the Makefile");
        assert!(h.by_name);
        assert_eq!(h.label, "make docker-push");
        assert!(hit(&fs, "make test").is_none());
        // A script in the scan that does not publish is not judged by name.
        let fs = files(&[("deploy.sh", "#!/bin/sh\necho nothing to deploy\n")]);
        assert!(hit(&fs, "./deploy.sh").is_none());
    }

    #[test]
    fn random_makefiles_and_scripts_never_panic() {
        let alphabet: Vec<char> =
            "x:=?+$(){}@-\t\n \\#.%|;'\"[]é∑ include define endef docker push subprocess.run boto3 .update_service( make $(MAKE) ./s.sh"
                .chars()
                .collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..1500 {
            let mut text = String::new();
            for _ in 0..(state % 80) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            let fs = files(&[
                ("Makefile", &text),
                ("s.sh", &text),
                ("p.py", &text),
                ("x.mk", &text),
            ]);
            for cmd in ["make x", "make", "./s.sh", "python3 p.py", "make -f x.mk x"] {
                let _ = hit(&fs, cmd);
            }
        }
    }

    #[test]
    fn package_scripts() {
        let pkg = "{\n  \"name\": \"web\",\n  \"scripts\": {\n    \"build\": \"tsc\",\n    \"predeploy\": \"npm run build\",\n    \"deploy\": \"cdk deploy --all\",\n    \"lint\": \"eslint .\"\n  }\n}\n";
        let fs = files(&[("package.json", pkg)]);
        let h = hit(&fs, "npm run deploy").expect("deploys");
        assert_eq!(h.label, "cdk deploy");
        assert_eq!(
            &pkg[h.trail[0].span.range()],
            "\"deploy\": \"cdk deploy --all\""
        );
        assert_eq!(
            hit(&fs, "yarn deploy").map(|h| h.label).as_deref(),
            Some("cdk deploy")
        );
        assert_eq!(hit(&fs, "npm run lint"), None);
        let fs2 = files(&[("package.json", "{\"scripts\": {\"cdk\": \"cdk\"}}")]);
        assert_eq!(
            hit(&fs2, "npm run cdk -- deploy --all")
                .map(|h| h.label)
                .as_deref(),
            Some("cdk deploy")
        );
        assert_eq!(hit(&fs2, "npm run cdk -- synth"), None);
        assert_eq!(hit(&fs, "yarn install"), None);
        let h = hit(&fs, "npm run release").expect("not in package.json: by name");
        assert!(h.by_name);
    }

    #[test]
    fn fan_out_is_bounded() {
        let mut mk = String::new();
        for i in 0..40 {
            mk.push_str(&format!("t{i}:\n"));
            for j in 0..40 {
                mk.push_str(&format!("\t$(MAKE) t{j}\n"));
            }
        }
        let fs = files(&[("Makefile", &mk)]);
        let started = std::time::Instant::now();
        assert_eq!(hit(&fs, "make t0"), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn self_doubling_variables_end() {
        let mk =
            "A = x\nB = $(A)$(A)\nC = $(B)$(B)\nD = $(C)$(C)$(D)$(D)\nall:\n\techo $(D)$(D)$(D)\n";
        let fs = files(&[("Makefile", mk)]);
        assert_eq!(hit(&fs, "make all"), None);
    }

    #[test]
    fn files_to_keep() {
        assert!(may_be_run("a/Makefile", ""));
        assert!(may_be_run("ci/x.sh", ""));
        assert!(may_be_run("bin/deploy", "#!/bin/bash\n"));
        assert!(may_be_run("ops/d.py", "import boto3\n"));
        assert!(!may_be_run("src/app.py", "print(1)\n"));
        assert!(!may_be_run("README.md", "#!"));
    }
}
