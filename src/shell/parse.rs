//! A small recursive-descent parser over [`lex`](super::lex) tokens: lists,
//! and-or chains, pipelines, simple commands with redirections, `if`/`elif`/
//! `else`, loops, `case`, `{ ...; }` and `( ... )`. It never fails: what it
//! does not understand becomes words of a simple command. Nesting is bounded.

use super::lex::{Kind, Token, tokenize};
use std::ops::Range;

/// A word as written, with its byte range in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub raw: String,
    pub span: Range<usize>,
}

impl Word {
    /// The word with quotes and backslashes removed (expansions kept as
    /// written).
    pub fn unquoted(&self) -> String {
        let mut out = String::new();
        let mut chars = self.raw.chars();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '\\') | (Some('"'), '\\') => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The operator as written, with its descriptor: `>`, `2>&`, `<<<`.
    pub op: String,
    pub target: Option<Word>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simple {
    /// Words, assignments included, in order.
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct If {
    /// `if`/`elif` conditions with their bodies.
    pub branches: Vec<(List, List)>,
    pub else_body: Option<List>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Simple(Simple),
    If(If),
    /// `while`/`until`/`for` (condition empty for `for`), `case` arms, `{}`
    /// and `()` groups: bodies whose commands may or may not run.
    Loop {
        cond: List,
        body: List,
        span: Range<usize>,
    },
    Group {
        body: List,
        span: Range<usize>,
    },
}

impl Command {
    pub fn span(&self) -> Range<usize> {
        match self {
            Command::Simple(s) => s.span.clone(),
            Command::If(i) => i.span.clone(),
            Command::Loop { span, .. } | Command::Group { span, .. } => span.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// `! cmd`: the status is negated.
    pub bang: bool,
    pub commands: Vec<Command>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// `a && b || c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
    pub span: Range<usize>,
}

impl AndOr {
    pub fn pipelines(&self) -> impl Iterator<Item = &Pipeline> {
        std::iter::once(&self.first).chain(self.rest.iter().map(|(_, p)| p))
    }
}

/// Statements separated by `;`, `&` or newlines.
pub type List = Vec<AndOr>;

const MAX_DEPTH: usize = 48;

/// Parses a script.
pub fn parse(src: &str) -> List {
    let tokens = tokenize(src);
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    let mut list = Vec::new();
    while p.pos < p.tokens.len() {
        let before = p.pos;
        list.extend(p.list(&[]));
        if p.pos == before {
            // A stray closer (`fi`, `)`, `;;`): step over it.
            p.pos += 1;
        }
    }
    list
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn text(&self, t: &Token) -> &str {
        t.text(self.src)
    }

    fn peek_text(&self) -> Option<&str> {
        self.peek().map(|t| t.text(self.src))
    }

    fn is_word(&self, word: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Kind::Word && self.text(t) == word)
    }

    fn is_op(&self, op: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == Kind::Op && self.text(t) == op)
    }

    fn skip_newlines(&mut self) {
        while self.peek().is_some_and(|t| t.kind == Kind::Newline) {
            self.pos += 1;
        }
    }

    fn end_of(&self, fallback: usize) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(fallback, |t| t.span.end)
            .max(fallback)
    }

    /// A list, up to one of `stops` (reserved words) or a closer.
    fn list(&mut self, stops: &[&str]) -> List {
        let mut out = Vec::new();
        loop {
            // Separators between statements.
            while let Some(t) = self.peek() {
                let sep = t.kind == Kind::Newline
                    || (t.kind == Kind::Op && matches!(self.text(t), ";" | "&"));
                if !sep {
                    break;
                }
                self.pos += 1;
            }
            let Some(t) = self.peek() else { break };
            if t.kind == Kind::Op && matches!(self.text(t), ")" | ";;" | "&&" | "||" | "|" | "|&") {
                break;
            }
            if t.kind == Kind::Word && stops.contains(&self.text(t)) {
                break;
            }
            let before = self.pos;
            if let Some(and_or) = self.and_or(stops) {
                out.push(and_or);
            }
            if self.pos == before {
                break;
            }
        }
        out
    }

    fn and_or(&mut self, stops: &[&str]) -> Option<AndOr> {
        let first = self.pipeline(stops)?;
        let start = first.span.start;
        let mut rest = Vec::new();
        loop {
            let conn = if self.is_op("&&") {
                Connector::And
            } else if self.is_op("||") {
                Connector::Or
            } else {
                break;
            };
            self.pos += 1;
            self.skip_newlines();
            match self.pipeline(stops) {
                Some(p) => rest.push((conn, p)),
                None => break,
            }
        }
        let end = rest.last().map_or(first.span.end, |(_, p)| p.span.end);
        Some(AndOr {
            first,
            rest,
            span: start..end,
        })
    }

    fn pipeline(&mut self, stops: &[&str]) -> Option<Pipeline> {
        let start = self.peek()?.span.start;
        let bang = self.is_word("!");
        if bang {
            self.pos += 1;
        }
        let mut commands = Vec::new();
        loop {
            let before = self.pos;
            match self.command(stops) {
                Some(c) => commands.push(c),
                None => break,
            }
            if self.pos == before {
                break;
            }
            if self.is_op("|") || self.is_op("|&") {
                self.pos += 1;
                self.skip_newlines();
            } else {
                break;
            }
        }
        if commands.is_empty() {
            return None;
        }
        let end = commands.last().map_or(start, |c| c.span().end);
        Some(Pipeline {
            bang,
            commands,
            span: start..end,
        })
    }

    fn command(&mut self, stops: &[&str]) -> Option<Command> {
        let t = self.peek()?.clone();
        let start = t.span.start;
        if self.depth < MAX_DEPTH {
            let text = self.text(&t).to_owned();
            if t.kind == Kind::Word {
                match text.as_str() {
                    "if" => return Some(self.if_clause(start)),
                    "while" | "until" => {
                        self.pos += 1;
                        let cond = self.nested(&["do"]);
                        let body = self.do_body();
                        return Some(Command::Loop {
                            cond,
                            body,
                            span: start..self.end_of(start),
                        });
                    }
                    "for" | "select" => {
                        self.pos += 1;
                        while let Some(t) = self.peek() {
                            if t.kind == Kind::Word && self.text(t) == "do" {
                                break;
                            }
                            self.pos += 1;
                        }
                        let body = self.do_body();
                        return Some(Command::Loop {
                            cond: Vec::new(),
                            body,
                            span: start..self.end_of(start),
                        });
                    }
                    "case" => return Some(self.case_clause(start)),
                    "{" => {
                        self.pos += 1;
                        let body = self.nested(&["}"]);
                        if self.is_word("}") {
                            self.pos += 1;
                        }
                        return Some(Command::Group {
                            body,
                            span: start..self.end_of(start),
                        });
                    }
                    _ => {}
                }
            } else if t.kind == Kind::Op && text == "(" {
                self.pos += 1;
                let body = self.nested(&[]);
                if self.is_op(")") {
                    self.pos += 1;
                }
                return Some(Command::Group {
                    body,
                    span: start..self.end_of(start),
                });
            }
        }
        self.simple(stops).map(Command::Simple)
    }

    fn nested(&mut self, stops: &[&str]) -> List {
        self.depth += 1;
        let list = self.list(stops);
        self.depth -= 1;
        list
    }

    fn do_body(&mut self) -> List {
        if !self.is_word("do") {
            return Vec::new();
        }
        self.pos += 1;
        let body = self.nested(&["done"]);
        if self.is_word("done") {
            self.pos += 1;
        }
        body
    }

    fn if_clause(&mut self, start: usize) -> Command {
        self.pos += 1;
        let mut branches = Vec::new();
        let mut else_body = None;
        loop {
            let cond = self.nested(&["then"]);
            if !self.is_word("then") {
                branches.push((cond, Vec::new()));
                break;
            }
            self.pos += 1;
            let body = self.nested(&["elif", "else", "fi"]);
            branches.push((cond, body));
            match self.peek_text() {
                Some("elif") => {
                    self.pos += 1;
                    continue;
                }
                Some("else") => {
                    self.pos += 1;
                    else_body = Some(self.nested(&["fi"]));
                    if self.is_word("fi") {
                        self.pos += 1;
                    }
                }
                Some("fi") => self.pos += 1,
                _ => {}
            }
            break;
        }
        Command::If(If {
            branches,
            else_body,
            span: start..self.end_of(start),
        })
    }

    fn case_clause(&mut self, start: usize) -> Command {
        self.pos += 1;
        // The subject and `in`.
        while let Some(t) = self.peek() {
            let done = t.kind == Kind::Word && self.text(t) == "in";
            self.pos += 1;
            if done {
                break;
            }
        }
        let mut body = Vec::new();
        loop {
            self.skip_newlines();
            if self.peek().is_none() || self.is_word("esac") {
                break;
            }
            // The pattern, up to `)`.
            while let Some(t) = self.peek() {
                let close = t.kind == Kind::Op && self.text(t) == ")";
                self.pos += 1;
                if close {
                    break;
                }
            }
            let before = self.pos;
            body.extend(self.nested(&["esac"]));
            // Step over `;;`, or over a token nothing consumed.
            if self.is_op(";;") || (self.pos == before && !self.is_word("esac")) {
                self.pos += 1;
            }
        }
        if self.is_word("esac") {
            self.pos += 1;
        }
        Command::Loop {
            cond: Vec::new(),
            body,
            span: start..self.end_of(start),
        }
    }

    fn simple(&mut self, stops: &[&str]) -> Option<Simple> {
        let mut words = Vec::new();
        let mut redirects = Vec::new();
        let start = self.peek()?.span.start;
        let mut end = start;
        while let Some(t) = self.peek().cloned() {
            match t.kind {
                Kind::Word => {
                    let text = self.text(&t);
                    // Reserved words end a command only in command position.
                    if words.is_empty() && redirects.is_empty() && stops.contains(&text) {
                        break;
                    }
                    words.push(Word {
                        raw: text.to_owned(),
                        span: t.span.clone(),
                    });
                    end = t.span.end;
                    self.pos += 1;
                }
                Kind::Redirect => {
                    self.pos += 1;
                    let op = self.text(&t).to_owned();
                    end = t.span.end;
                    let target = match self.peek() {
                        Some(n) if n.kind == Kind::Word => {
                            let w = Word {
                                raw: self.text(n).to_owned(),
                                span: n.span.clone(),
                            };
                            end = n.span.end;
                            self.pos += 1;
                            Some(w)
                        }
                        _ => None,
                    };
                    redirects.push(Redirect { op, target });
                }
                Kind::Op if self.text(&t) == "(" && words.len() == 1 => {
                    // `name() { ... }`: a function definition; keep its body.
                    self.pos += 1;
                    if self.is_op(")") {
                        self.pos += 1;
                    }
                    end = self.end_of(end);
                    break;
                }
                _ => break,
            }
        }
        if words.is_empty() && redirects.is_empty() {
            return None;
        }
        Some(Simple {
            words,
            redirects,
            span: start..end,
        })
    }
}

/// Every simple command of a list, nested ones included, in source order.
pub fn simples(list: &List) -> Vec<&Simple> {
    let mut out = Vec::new();
    for and_or in list {
        for p in and_or.pipelines() {
            for c in &p.commands {
                command_simples(c, &mut out);
            }
        }
    }
    out
}

fn command_simples<'a>(c: &'a Command, out: &mut Vec<&'a Simple>) {
    match c {
        Command::Simple(s) => out.push(s),
        Command::If(i) => {
            for (cond, body) in &i.branches {
                out.extend(simples(cond));
                out.extend(simples(body));
            }
            if let Some(e) = &i.else_body {
                out.extend(simples(e));
            }
        }
        Command::Loop { cond, body, .. } => {
            out.extend(simples(cond));
            out.extend(simples(body));
        }
        Command::Group { body, .. } => out.extend(simples(body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &Simple) -> Vec<&str> {
        s.words.iter().map(|w| w.raw.as_str()).collect()
    }

    #[test]
    fn lists_chains_and_pipelines() {
        let list = parse("set -e\n[ \"$X\" = 0 ] && exit 1 || true; curl x | sh");
        assert_eq!(list.len(), 3);
        assert_eq!(list[1].rest.len(), 2);
        assert_eq!(list[1].rest[0].0, Connector::And);
        assert_eq!(list[2].first.commands.len(), 2);
        let all = simples(&list);
        assert_eq!(words(all[0]), ["set", "-e"]);
        assert_eq!(words(all[5]), ["sh"]);
    }

    #[test]
    fn if_else_and_nesting() {
        let src = "if [ \"$S\" = 1 ]; then\n  docker push x\nelif true; then :\nelse\n  echo no\nfi\necho after";
        let list = parse(src);
        assert_eq!(list.len(), 2);
        let Command::If(i) = &list[0].first.commands[0] else {
            panic!("not an if: {:?}", list[0]);
        };
        assert_eq!(i.branches.len(), 2);
        assert_eq!(words(simples(&i.branches[0].1)[0]), ["docker", "push", "x"]);
        assert!(i.else_body.is_some());
        let push = simples(&i.branches[0].1)[0];
        assert_eq!(&src[push.span.clone()], "docker push x");
    }

    #[test]
    fn redirects_and_loops() {
        let list =
            parse("for f in a b; do echo $f > out; done\ncase $x in a) echo a;; *) echo b;; esac");
        assert_eq!(list.len(), 2);
        let all = simples(&list);
        assert_eq!(words(all[0]), ["echo", "$f"]);
        assert_eq!(all[0].redirects[0].op, ">");
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn hostile_input_never_panics() {
        let deep = "if ".repeat(500) + &"( ".repeat(500);
        for src in [
            "fi",
            ")",
            ";;",
            "if",
            "if x; then",
            "case",
            "{",
            "a | | b",
            "&& a",
            &deep,
        ] {
            let _ = parse(src);
        }
    }
}
