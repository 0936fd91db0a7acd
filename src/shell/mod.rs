//! Buildspec commands as a shell reads them: statements split on `&&`, `||`,
//! `;`, pipes and newlines, `if`/`then`/`else`/`fi` and the other compound
//! commands, quotes and expansions kept inside their words, and every word
//! with its byte offset in the command text (the rules map those offsets to
//! the file with [`crate::syntax::SourceMap`]).
//!
//! Parser choice: a small tokenizer and recursive-descent parser of our own
//! (`lex`, `parse`), about 600 lines. We evaluated the Rust crates first.
//! `brush-parser` (0.4, maintained, the parser behind the brush shell) is the
//! best fit on paper and its tokens carry positions, but as *character*
//! indexes, its parser returns an error for the fragments and half-valid
//! lines buildspecs are full of (a command item is often one piece of a
//! larger idea), and it brings `peg`, `cached`, `bon` and more. `yash-syntax`
//! is maintained but async-first and heavy for this job; `conch-parser` is
//! unmaintained; `shell-words` only splits words and knows no operators or
//! offsets. What the rules need is total (never fails, bounded nesting) and
//! byte-exact, and covers a well-defined subset: lists, and-or chains,
//! pipelines, redirections and here-documents, `if`/`elif`/`else`, loops,
//! `case`, groups and subshells. Anything else degrades into words of a
//! simple command instead of an error.

pub mod commands;
pub mod follow;
pub mod guard;
pub mod lex;
pub mod parse;

pub use guard::{Dialect, Direct, Hit, ItemScan, Resolve, Step, Unguarded, scan_item, scan_with};
pub use parse::{AndOr, Command, List, Pipeline, Simple, Word, parse, simples};

use std::ops::Range;

/// Every simple command of a script, nested ones included.
pub fn simple_commands(src: &str) -> Vec<Simple> {
    simples(&parse(src)).into_iter().cloned().collect()
}

/// Statements whose failure nobody sees: in a script run without errexit,
/// every statement but the last one whose status is neither checked (`||`)
/// nor harmless (`echo`, assignments of literals, `cd`-free bookkeeping).
/// Returns the number of statements and the ranges of the ignored ones.
pub fn ignored_failures(src: &str, errexit: bool) -> (usize, Vec<Range<usize>>) {
    let list = parse(src);
    let mut out = Vec::new();
    let mut errexit = errexit;
    let count = list.len();
    collect_ignored(&list, &mut errexit, &mut out);
    (count, out)
}

fn collect_ignored(list: &List, errexit: &mut bool, out: &mut Vec<Range<usize>>) {
    for (i, a) in list.iter().enumerate() {
        let last = i + 1 == list.len();
        if a.rest.is_empty()
            && let [Command::Simple(s)] = a.first.commands.as_slice()
        {
            if let Some(on) = commands::errexit(s) {
                *errexit = on;
                continue;
            }
            if harmless(s) {
                continue;
            }
        }
        // Compound commands: their own statements.
        for p in a.pipelines() {
            for c in &p.commands {
                match c {
                    Command::If(f) => {
                        for (_, body) in &f.branches {
                            collect_ignored(body, &mut errexit.clone(), out);
                        }
                        if let Some(e) = &f.else_body {
                            collect_ignored(e, &mut errexit.clone(), out);
                        }
                    }
                    Command::Loop { body, .. } | Command::Group { body, .. } => {
                        collect_ignored(body, &mut errexit.clone(), out)
                    }
                    Command::Simple(_) => {}
                }
            }
        }
        let handled = a
            .rest
            .last()
            .is_some_and(|(c, _)| *c == parse::Connector::Or);
        let compound = a
            .first
            .commands
            .iter()
            .any(|c| !matches!(c, Command::Simple(_)));
        // `[ cond ] && action`: a conditional, whose false status is expected.
        let conditional = !a.rest.is_empty()
            && matches!(a.first.commands.as_slice(), [Command::Simple(s)]
                if commands::program(s).is_some_and(|p| matches!(p.as_str(), "[" | "[[" | "test")));
        if !last && !*errexit && !handled && !compound && !conditional {
            out.push(a.span.clone());
        }
    }
}

/// Statements that cannot meaningfully fail.
fn harmless(s: &Simple) -> bool {
    if commands::is_assignment_only(s) {
        return !s
            .words
            .iter()
            .any(|w| w.raw.contains("$(") || w.raw.contains('`'));
    }
    let Some(p) = commands::program(s) else {
        return true;
    };
    matches!(
        p.as_str(),
        "echo" | "printf" | "true" | ":" | "set" | "shopt"
    ) || (p == "export"
        && !s
            .words
            .iter()
            .any(|w| w.raw.contains("$(") || w.raw.contains('`')))
}

/// `curl ... | sh` and `bash <(curl ...)`: the range from the download to the
/// shell.
pub fn curl_pipes(src: &str) -> Vec<Range<usize>> {
    let list = parse(src);
    let mut out = Vec::new();
    let mut pipelines = Vec::new();
    collect_pipelines(&list, &mut pipelines);
    for p in pipelines {
        let simple: Vec<&Simple> = p
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::Simple(s) => Some(s),
                _ => None,
            })
            .collect();
        if let Some(fetch) = simple.iter().position(|s| commands::is_fetch(s))
            && let Some(shell) = simple
                .iter()
                .skip(fetch + 1)
                .find(|s| commands::is_shell(s))
            && let Some(start) = simple.get(fetch)
        {
            out.push(start.span.start..shell.span.end);
            continue;
        }
        for s in simple {
            if commands::shell_runs_fetched(s) {
                out.push(s.span.clone());
            }
        }
    }
    out
}

fn collect_pipelines<'a>(list: &'a List, out: &mut Vec<&'a Pipeline>) {
    for a in list {
        for p in a.pipelines() {
            out.push(p);
            for c in &p.commands {
                match c {
                    Command::If(f) => {
                        for (cond, body) in &f.branches {
                            collect_pipelines(cond, out);
                            collect_pipelines(body, out);
                        }
                        if let Some(e) = &f.else_body {
                            collect_pipelines(e, out);
                        }
                    }
                    Command::Loop { cond, body, .. } => {
                        collect_pipelines(cond, out);
                        collect_pipelines(body, out);
                    }
                    Command::Group { body, .. } => collect_pipelines(body, out),
                    Command::Simple(_) => {}
                }
            }
        }
    }
}

/// How a command reveals a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reveal {
    /// `echo $SECRET`, `printf`, `echo $SECRET | base64`, `base64 <<< $S`.
    Prints(String),
    /// `printenv`, `env`, `export -p`: every variable, secrets included.
    DumpsEnvironment,
    /// `set -x`: every later command is printed with its expansions.
    Xtrace,
}

/// Commands that print a secret-bound variable to the build log.
pub fn reveals(src: &str, is_secret: &dyn Fn(&str) -> bool) -> Vec<(Range<usize>, Reveal)> {
    let list = parse(src);
    let mut pipelines = Vec::new();
    collect_pipelines(&list, &mut pipelines);
    let mut out = Vec::new();
    for p in pipelines {
        let simple: Vec<&Simple> = p
            .commands
            .iter()
            .filter_map(|c| match c {
                Command::Simple(s) => Some(s),
                _ => None,
            })
            .collect();
        let Some(last) = simple.last() else { continue };
        // Where the pipeline's output goes: the log, unless redirected into a
        // file or consumed by a program that does not print it.
        let to_log = |s: &Simple| {
            !s.redirects.iter().any(|r| {
                let op = r.op.trim_start_matches(|c: char| c.is_ascii_digit());
                let target = r.target.as_ref().map(|t| t.unquoted()).unwrap_or_default();
                matches!(op, ">" | ">>" | ">|" | "&>" | "&>>")
                    && !matches!(target.as_str(), "/dev/stdout" | "/dev/stderr" | "/dev/tty")
                    && !r.op.starts_with('2')
            })
        };
        let pipe_prints = simple.len() == 1
            || commands::program(last).is_some_and(|p| {
                matches!(
                    p.as_str(),
                    "base64" | "tee" | "cat" | "xxd" | "od" | "rev" | "hexdump"
                )
            }) && to_log(last);
        for (i, s) in simple.iter().enumerate() {
            let args = commands::argv(s);
            let Some(prog) = commands::program(s) else {
                continue;
            };
            let secret_in = |words: &mut dyn Iterator<Item = &Word>| {
                words
                    .flat_map(|w| commands::var_refs(&w.raw))
                    .find(|n| is_secret(n))
            };
            let is_last = i + 1 == simple.len();
            match prog.as_str() {
                "echo" | "printf" => {
                    let printed = if is_last { to_log(s) } else { pipe_prints };
                    if printed
                        && let Some(name) = secret_in(&mut args.iter().skip(1).map(|a| a.word))
                    {
                        // Printed through a pipe: the span runs to its end.
                        let end = if is_last { s.span.end } else { last.span.end };
                        out.push((s.span.start..end, Reveal::Prints(name)));
                    }
                }
                "base64" | "xxd" | "od" if to_log(s) && is_last => {
                    let here = s
                        .redirects
                        .iter()
                        .filter(|r| r.op.ends_with("<<<"))
                        .filter_map(|r| r.target.as_ref());
                    let mut words = here.chain(args.iter().skip(1).map(|a| a.word));
                    if let Some(name) = secret_in(&mut words) {
                        out.push((s.span.clone(), Reveal::Prints(name)));
                    }
                }
                "printenv" | "env" | "export" | "declare" | "typeset" => {
                    let rest: Vec<String> = args.iter().skip(1).map(|a| a.text()).collect();
                    let dumps = match prog.as_str() {
                        "printenv" => rest.is_empty() || rest.iter().any(|n| is_secret(n)),
                        "env" => rest.is_empty(),
                        _ => rest == ["-p"],
                    };
                    if dumps && is_last && to_log(s) {
                        out.push((s.span.clone(), Reveal::DumpsEnvironment));
                    }
                }
                "set" if commands::xtrace(s) => out.push((s.span.clone(), Reveal::Xtrace)),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_failures_in_blocks() {
        let (n, ignored) = ignored_failures("npm ci\nnpm test\nnpm run build\n", false);
        assert_eq!(n, 3);
        assert_eq!(ignored.len(), 2);
        assert!(
            ignored_failures("set -e\nnpm ci\nnpm test\n", false)
                .1
                .is_empty()
        );
        assert!(
            ignored_failures("npm ci && \\\n  npm test\n", false)
                .1
                .is_empty()
        );
        assert!(ignored_failures("echo hi\nnpm test\n", false).1.is_empty());
        assert!(
            ignored_failures("npm ci || true\nnpm test\n", false)
                .1
                .is_empty()
        );
        assert!(ignored_failures("npm ci\nnpm test\n", true).1.is_empty());
        assert!(
            ignored_failures("[ \"$X\" = 0 ] && exit 0\nnpm test\n", false)
                .1
                .is_empty()
        );
        assert_eq!(
            ignored_failures("set -o errexit\nnpm ci\nnpm test\n", false)
                .1
                .len(),
            0
        );
    }

    #[test]
    fn curl_pipes_found() {
        let src = "curl -fsSL https://get.example.sh | sudo bash -s -- x";
        let r = curl_pipes(src);
        assert_eq!(r.len(), 1);
        assert_eq!(&src[r[0].clone()], src);
        assert!(curl_pipes("curl -o x.sh https://e && sh x.sh").is_empty());
        assert_eq!(curl_pipes("wget -qO- https://e | grep x").len(), 0);
        assert_eq!(curl_pipes("bash <(curl -s https://e)").len(), 1);
    }

    #[test]
    fn secret_reveals() {
        let secret = |n: &str| n == "TOKEN";
        let r = |s: &str| {
            reveals(s, &secret)
                .into_iter()
                .map(|(_, r)| r)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            r("echo \"token is $TOKEN\""),
            [Reveal::Prints("TOKEN".into())]
        );
        assert_eq!(r("echo $TOKEN | base64"), [Reveal::Prints("TOKEN".into())]);
        assert_eq!(r("base64 <<< \"$TOKEN\""), [Reveal::Prints("TOKEN".into())]);
        assert!(r("echo \"//registry/:_authToken=${TOKEN}\" > .npmrc").is_empty());
        assert!(r("echo $TOKEN | docker login -u x --password-stdin").is_empty());
        assert!(r("echo '$TOKEN'").is_empty());
        assert!(r("echo $OTHER").is_empty());
        assert_eq!(r("printenv"), [Reveal::DumpsEnvironment]);
        assert!(r("printenv HOME").is_empty());
        assert_eq!(r("set -ex"), [Reveal::Xtrace]);
        assert!(r("env FOO=1 make").is_empty());
    }

    #[test]
    fn random_scripts_never_panic() {
        // A deterministic generator over the characters that steer the
        // tokenizer and the parser, multibyte ones included.
        let alphabet: Vec<char> = "if then else elif fi case esac do done for while { } ( ) [ ] ; & | < > $ ` ' \" \\ # \n x 1 é ∑ = - set -e exit"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..3000 {
            let mut src = String::new();
            let len = (state % 60) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state % alphabet.len() as u64) as usize;
                src.push(alphabet[i]);
            }
            let _ = scan_item(&src, false, false);
            let _ = ignored_failures(&src, false);
            let _ = curl_pipes(&src);
            let _ = reveals(&src, &|_| true);
            for s in simple_commands(&src) {
                assert!(src.get(s.span.clone()).is_some(), "{src:?}: {:?}", s.span);
            }
        }
    }
}
