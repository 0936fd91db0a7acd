//! JSON that buildspec commands write into files: `printf '...' > f`,
//! `echo '...' > f`, `jq -n '...' > f` (also through `| tee f`). The shell
//! words are decoded the way the shell would (quotes, escapes, expansions),
//! the printed text is parsed, and every span is mapped back into the
//! buildspec so that a finding points inside the command.
//!
//! This is a deliberately small reader: simple commands, quoting, `$VAR`,
//! `${...}`, `$(...)` and backquotes. Anything it does not understand is
//! skipped, never guessed.

use crate::syntax::{Entry, Key, Limits, Node, NodeKind, SourceMap, Span, Syntax};

/// A file a command writes, with what it writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The target as written (decoded), and its span in the file.
    pub target: String,
    pub target_span: Span,
    /// `printf`, `echo` or `jq`.
    pub tool: &'static str,
    /// The printed document with file spans, or why it does not parse.
    pub doc: Result<Node, (Span, String)>,
}

/// The command strings of a buildspec document: `phases.*.commands` and
/// `phases.*.finally`.
pub fn buildspec_commands(root: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    for phase in root.get("phases").and_then(Node::entries).unwrap_or(&[]) {
        for key in ["commands", "finally"] {
            if let Some(items) = phase.value.get(key).and_then(Node::items) {
                out.extend(items.iter().filter(|n| n.as_str().is_some()));
            }
        }
    }
    out
}

/// What `command` (a string node of `file_text`) writes into files whose
/// base name `is_target` accepts.
pub fn writes(file_text: &str, command: &Node, is_target: &dyn Fn(&str) -> bool) -> Vec<Written> {
    let Some(value) = command.as_str() else {
        return Vec::new();
    };
    let raw = file_text.get(command.span.range()).unwrap_or("");
    let map = SourceMap::align(raw, command.span.start as usize, value);
    let tokens = lex(value);
    let mut out = heredocs(value, &map, is_target);
    // Split into simple commands, remembering pipes.
    let mut segments: Vec<(Vec<Word>, bool)> = vec![(Vec::new(), false)];
    for t in tokens {
        match t {
            Tok::Word(w) => {
                if let Some(last) = segments.last_mut() {
                    last.0.push(w);
                }
            }
            Tok::Op(op) => segments.push((Vec::new(), op == "|")),
        }
    }
    for i in 0..segments.len() {
        let (words, _) = &segments[i];
        // `cmd > file` / `cmd >> file`
        let mut argv = Vec::new();
        let mut target = None;
        let mut it = words.iter();
        while let Some(w) = it.next() {
            if !w.quoted && (w.text == ">" || w.text == ">>") {
                target = it.next();
            } else if !w.quoted && w.text.starts_with('>') && w.text.len() > 1 {
                // `>file` lexed as one word.
                target = Some(w);
            } else {
                argv.push(w);
            }
        }
        let (writer, target) = match target {
            Some(t) => (argv, t.clone()),
            None => {
                // `cmd | tee [-a] file`
                let is_tee = argv.first().is_some_and(|w| w.text == "tee");
                let piped = segments.get(i).is_some_and(|s| s.1);
                let file = argv.iter().skip(1).find(|w| !w.text.starts_with('-'));
                match (is_tee && piped && i > 0, file) {
                    (true, Some(file)) => {
                        let prev = &segments[i - 1].0;
                        (prev.iter().collect(), (*file).clone())
                    }
                    _ => continue,
                }
            }
        };
        let target = target.strip_gt();
        let base = target.text.rsplit('/').next().unwrap_or("");
        if !is_target(base) {
            continue;
        }
        let Some((tool, printed)) = printed(&writer) else {
            continue;
        };
        let to_file = |span: Span| {
            let at = |i: u32| map.map(printed.offs.get(i as usize).copied().unwrap_or(0));
            let start = at(span.start);
            let end = if span.end > span.start {
                at(span.end - 1).saturating_add(1).max(start)
            } else {
                start
            };
            Span { start, end }
        };
        let doc = if tool == "jq" {
            jq::parse(&printed.text).map(|n| (n, true))
        } else {
            match crate::syntax::parse(Syntax::Json, &printed.text, &Limits::default()) {
                Ok(doc) => doc
                    .roots
                    .into_iter()
                    .next()
                    .map(|n| (n, false))
                    .ok_or((Span::default(), "nothing is printed".into())),
                Err(e) => Err((e.span, e.message)),
            }
        };
        let doc = match doc {
            Ok((mut node, jq)) => {
                if !jq && !expansions_inside_strings(&node, &printed.expansions) {
                    // The shell builds part of the structure: unknowable.
                    continue;
                }
                remap(&mut node, &to_file, 0);
                Ok(node)
            }
            Err(_) if !printed.expansions.is_empty() => continue,
            Err((span, message)) => Err((to_file(span), message)),
        };
        out.push(Written {
            target: target.text.clone(),
            target_span: map.map_span(Span::new(
                target.offs.first().copied().unwrap_or(0) as usize,
                target.offs.last().map_or(0, |o| *o as usize + 1),
            )),
            tool,
            doc,
        });
    }
    out
}

/// `cat > f <<EOF ... EOF` (also `cat <<'EOF' > f`, `<<-EOF`, `tee f
/// <<EOF`): the here-document's text as the file's content. With an unquoted
/// delimiter the shell expands `$...`, which must then lie inside JSON
/// strings; otherwise the content is unknowable and skipped.
fn heredocs(value: &str, map: &SourceMap, is_target: &dyn Fn(&str) -> bool) -> Vec<Written> {
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let mut offset = 0;
    for l in value.split_inclusive('\n') {
        lines.push((offset, l.trim_end_matches(['\n', '\r'])));
        offset += l.len();
    }
    let mut i = 0;
    while i < lines.len() {
        let (at, line) = lines[i];
        i += 1;
        if !line.contains("<<") {
            continue;
        }
        let words: Vec<(usize, &str)> = line
            .split_whitespace()
            .map(|w| (w.as_ptr() as usize - line.as_ptr() as usize, w))
            .collect();
        let Some(&(_, tool)) = words.first() else {
            continue;
        };
        let tool: &'static str = match tool {
            "cat" => "cat",
            "tee" => "tee",
            _ => continue,
        };
        let mut target: Option<(usize, &str)> = None;
        let mut delim: Option<(&str, bool, bool)> = None;
        let mut k = 1;
        while k < words.len() {
            let (pos, w) = words[k];
            k += 1;
            if let Some(rest) = w.strip_prefix("<<") {
                if rest.starts_with('<') {
                    break;
                }
                let strip = rest.starts_with('-');
                let rest = rest.trim_start_matches('-');
                let d = if rest.is_empty() {
                    k += 1;
                    words.get(k - 1).map_or("", |w| w.1)
                } else {
                    rest
                };
                let quoted = d.contains(['\'', '"', '\\']);
                delim = Some((d.trim_matches(['\'', '"', '\\']), quoted, strip));
            } else if w == ">" || w == ">|" {
                target = words.get(k).copied();
                k += 1;
            } else if let Some(t) = w
                .strip_prefix('>')
                .filter(|t| !t.is_empty() && !t.starts_with('>'))
            {
                target = Some((pos + 1, t));
            } else if tool == "tee" && !w.starts_with('-') && target.is_none() {
                target = Some((pos, w));
            }
        }
        let (Some((tpos, t)), Some((d, quoted, strip))) = (target, delim) else {
            continue;
        };
        if d.is_empty() {
            continue;
        }
        let t_clean = t.trim_matches(['\'', '"']);
        let base = t_clean.rsplit('/').next().unwrap_or("");
        // The body runs to the delimiter line.
        let body_start = lines.get(i).map_or(value.len(), |l| l.0);
        let mut body_end = None;
        while i < lines.len() {
            let (lat, l) = lines[i];
            i += 1;
            let l = if strip { l.trim_start_matches('\t') } else { l };
            if l == d {
                body_end = Some(lat);
                break;
            }
        }
        let Some(body_end) = body_end else { continue };
        if !is_target(base) {
            continue;
        }
        let body = value.get(body_start..body_end).unwrap_or("");
        // The text the shell writes: with an unquoted delimiter, expansions
        // become `<NAME>` and `\$`, `\``, `\\` lose their backslash.
        let chars: Vec<(usize, char)> = body
            .char_indices()
            .map(|(p, c)| (p + body_start, c))
            .collect();
        let mut text = Word::default();
        let mut k = 0;
        while let Some(&(p, c)) = chars.get(k) {
            match c {
                '$' | '`' if !quoted => k = expansion(&chars, k, &mut text),
                '\\' if !quoted
                    && chars
                        .get(k + 1)
                        .is_some_and(|n| matches!(n.1, '$' | '`' | '\\')) =>
                {
                    k += 1;
                    if let Some(&(p, c)) = chars.get(k) {
                        text.push(c, p);
                    }
                }
                _ => text.push(c, p),
            }
            k += 1;
        }
        let to_file = |span: Span| {
            let at = |i: u32| map.map(text.offs.get(i as usize).copied().unwrap_or(0));
            let start = at(span.start);
            let end = if span.end > span.start {
                at(span.end - 1).saturating_add(1).max(start)
            } else {
                start
            };
            Span { start, end }
        };
        let expansions = text.expansions.clone();
        let doc = match crate::syntax::parse(Syntax::Json, &text.text, &Limits::default()) {
            Ok(doc) => match doc.roots.into_iter().next() {
                Some(mut node) => {
                    if !expansions_inside_strings(&node, &expansions) {
                        continue;
                    }
                    remap(&mut node, &to_file, 0);
                    Ok(node)
                }
                None => Err((to_file(Span::new(0, 0)), "nothing is written".to_owned())),
            },
            Err(_) if !expansions.is_empty() => continue,
            Err(e) => Err((to_file(e.span), e.message)),
        };
        let tpos = at + tpos + (t.len() - t.trim_start_matches(['\'', '"']).len());
        out.push(Written {
            target: t_clean.to_owned(),
            target_span: map.map_span(Span::new(tpos, tpos + t_clean.len())),
            tool,
            doc,
        });
    }
    out
}

/// A decoded shell word: its text and, per byte, the offset in the command
/// string it came from (plus one for the end).
#[derive(Debug, Clone, Default)]
struct Word {
    text: String,
    offs: Vec<u32>,
    /// Any part was quoted.
    quoted: bool,
    /// Decoded ranges that the shell fills in (expansions).
    expansions: Vec<(usize, usize)>,
}

impl Word {
    fn push(&mut self, c: char, at: usize) {
        self.text.push(c);
        let at = u32::try_from(at).unwrap_or(u32::MAX);
        self.offs.extend(std::iter::repeat_n(at, c.len_utf8()));
    }

    fn push_str(&mut self, s: &str, at: usize) {
        for c in s.chars() {
            self.push(c, at);
        }
    }

    fn strip_gt(&self) -> Word {
        let n = self.text.len() - self.text.trim_start_matches('>').len();
        Word {
            text: self.text[n..].to_owned(),
            offs: self.offs.get(n..).unwrap_or(&[]).to_vec(),
            quoted: self.quoted,
            expansions: Vec::new(),
        }
    }
}

enum Tok {
    Word(Word),
    Op(&'static str),
}

/// Splits a command string into words and operators.
fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut cur: Option<Word> = None;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut i = 0;
    let flush = |cur: &mut Option<Word>, out: &mut Vec<Tok>| {
        if let Some(w) = cur.take() {
            out.push(Tok::Word(w));
        }
    };
    while let Some(&(at, c)) = chars.get(i) {
        let next = chars.get(i + 1).map(|p| p.1);
        match c {
            ' ' | '\t' => flush(&mut cur, &mut out),
            '\n' | ';' => {
                flush(&mut cur, &mut out);
                out.push(Tok::Op(";"));
            }
            '&' | '|' => {
                flush(&mut cur, &mut out);
                if next == Some(c) {
                    i += 1;
                    out.push(Tok::Op(";"));
                } else {
                    out.push(Tok::Op(if c == '|' { "|" } else { ";" }));
                }
            }
            '>' => {
                flush(&mut cur, &mut out);
                let mut w = Word::default();
                w.push('>', at);
                if next == Some('>') {
                    i += 1;
                    w.push('>', at + 1);
                }
                out.push(Tok::Word(w));
            }
            '#' if cur.is_none() => {
                while chars.get(i + 1).is_some_and(|p| p.1 != '\n') {
                    i += 1;
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(Word::default);
                w.quoted = true;
                i += 1;
                while let Some(&(at, c)) = chars.get(i) {
                    if c == '\'' {
                        break;
                    }
                    w.push(c, at);
                    i += 1;
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(Word::default);
                w.quoted = true;
                i += 1;
                while let Some(&(at, c)) = chars.get(i) {
                    match c {
                        '"' => break,
                        '\\' => {
                            let n = chars.get(i + 1).map(|p| p.1);
                            match n {
                                Some(e @ ('"' | '\\' | '$' | '`')) => {
                                    w.push(e, at + 1);
                                    i += 1;
                                }
                                Some('\n') => i += 1,
                                _ => w.push('\\', at),
                            }
                        }
                        '$' | '`' => i = expansion(&chars, i, w),
                        _ => w.push(c, at),
                    }
                    i += 1;
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(Word::default);
                if let Some(&(at, n)) = chars.get(i + 1) {
                    if n != '\n' {
                        w.push(n, at);
                    }
                    i += 1;
                }
            }
            '$' | '`' => {
                let w = cur.get_or_insert_with(Word::default);
                i = expansion(&chars, i, w);
            }
            _ => cur.get_or_insert_with(Word::default).push(c, at),
        }
        i += 1;
    }
    flush(&mut cur, &mut out);
    out
}

/// Reads an expansion starting at `chars[i]` (`$NAME`, `${...}`, `$(...)`,
/// `` `...` ``), pushes a `<NAME>` placeholder, returns the index of its last
/// character.
fn expansion(chars: &[(usize, char)], i: usize, w: &mut Word) -> usize {
    let Some(&(at, c)) = chars.get(i) else {
        return i;
    };
    let start = w.text.len();
    let mut j = i + 1;
    let mut name = String::new();
    let close = match (c, chars.get(j).map(|p| p.1)) {
        ('`', _) => Some('`'),
        ('$', Some('{')) => Some('}'),
        ('$', Some('(')) => Some(')'),
        _ => None,
    };
    match close {
        Some(close) => {
            if c == '$' {
                j += 1;
            }
            let open = chars.get(j.saturating_sub(1)).map_or(' ', |p| p.1);
            let mut depth = 0usize;
            while let Some(&(_, ch)) = chars.get(j) {
                if ch == close && depth == 0 {
                    break;
                }
                if ch == open && open != close {
                    depth += 1;
                } else if ch == close {
                    depth = depth.saturating_sub(1);
                }
                if ch.is_ascii_alphanumeric() || ch == '_' {
                    name.push(ch);
                }
                j += 1;
            }
        }
        None => {
            while let Some(&(_, ch)) = chars.get(j) {
                if !(ch.is_ascii_alphanumeric() || ch == '_') {
                    break;
                }
                name.push(ch);
                j += 1;
            }
            if name.is_empty() {
                // A lone `$`: literal.
                w.push('$', at);
                return i;
            }
            j -= 1;
        }
    }
    if name.is_empty() {
        name.push_str("value");
    }
    w.push_str(&format!("<{name}>"), at);
    w.expansions.push((start, w.text.len()));
    j
}

/// The text a writer command prints: (tool, text with offsets).
fn printed(argv: &[&Word]) -> Option<(&'static str, Word)> {
    let (cmd, args) = argv.split_first()?;
    match cmd.text.as_str() {
        "echo" => {
            let args: Vec<&&Word> = args
                .iter()
                .skip_while(|w| matches!(w.text.as_str(), "-n" | "-e" | "-E" | "-ne" | "-en"))
                .collect();
            let mut out = Word::default();
            for (k, w) in args.iter().enumerate() {
                if k > 0 {
                    let at = out.offs.last().copied().unwrap_or(0) as usize;
                    out.push(' ', at);
                }
                append(&mut out, w);
            }
            Some(("echo", out))
        }
        "printf" => {
            let mut args = args.iter().skip_while(|w| w.text == "--");
            let format = args.next()?;
            let mut rest = args;
            Some(("printf", printf(format, &mut rest)))
        }
        "jq" => {
            let null_input = args.iter().any(|w| {
                w.text == "--null-input"
                    || (w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && w.text.contains('n'))
            });
            let mut it = args.iter();
            while let Some(w) = it.next() {
                match w.text.as_str() {
                    "--arg" | "--argjson" | "--slurpfile" | "--rawfile" => {
                        it.next();
                        it.next();
                    }
                    t if t.starts_with('-') => {}
                    t if t.trim_start().starts_with(['[', '{']) => {
                        return Some(("jq", (*w).clone()));
                    }
                    // `jq -n '.ImageURI = $uri'`: on null input, an object
                    // of the assigned keys.
                    t if null_input && jq::assignments(t).is_some() => {
                        return Some(("jq", (*w).clone()));
                    }
                    _ => return None,
                }
            }
            None
        }
        _ => None,
    }
}

fn append(out: &mut Word, w: &Word) {
    let base = out.text.len();
    out.text.push_str(&w.text);
    out.offs.extend_from_slice(&w.offs);
    out.expansions
        .extend(w.expansions.iter().map(|(a, b)| (a + base, b + base)));
}

/// Applies printf's format: `%s` (and friends) take the next argument (an
/// unknown value unless it is a literal), `%%` is `%`, backslash escapes.
fn printf<'a>(format: &Word, args: &mut dyn Iterator<Item = &'a &'a Word>) -> Word {
    let mut out = Word::default();
    let bytes = format.text.as_bytes();
    let mut i = 0;
    let off = |i: usize| format.offs.get(i).copied().unwrap_or(0) as usize;
    while i < bytes.len() {
        let Some(c) = format.text[i..].chars().next() else {
            break;
        };
        match c {
            '%' if format.text[i..].starts_with("%%") => {
                out.push('%', off(i));
                i += 2;
                continue;
            }
            '%' => {
                let spec_len = format.text[i + 1..]
                    .find(|c: char| c.is_ascii_alphabetic())
                    .map_or(1, |n| n + 2);
                match args.next() {
                    Some(arg) if arg.expansions.is_empty() => {
                        let start = out.text.len();
                        out.push_str(&arg.text, off(i));
                        let _ = start;
                    }
                    _ => {
                        let start = out.text.len();
                        out.push_str("<arg>", off(i));
                        out.expansions.push((start, out.text.len()));
                    }
                }
                i += spec_len;
                continue;
            }
            '\\' => {
                let n = format.text[i + 1..].chars().next();
                let decoded = match n {
                    Some('n') => Some('\n'),
                    Some('t') => Some('\t'),
                    Some('\\') => Some('\\'),
                    Some('"') => Some('"'),
                    _ => None,
                };
                if let Some(d) = decoded {
                    out.push(d, off(i));
                    i += 2;
                    continue;
                }
                out.push('\\', off(i));
            }
            c => out.push(c, off(i)),
        }
        i += c.len_utf8();
    }
    out
}

/// True when every expansion lies inside a JSON string or key.
fn expansions_inside_strings(node: &Node, expansions: &[(usize, usize)]) -> bool {
    let mut strings = Vec::new();
    collect_strings(node, &mut strings, 0);
    expansions.iter().all(|&(a, b)| {
        strings
            .iter()
            .any(|s: &Span| (s.start as usize) < a && b < s.end as usize)
    })
}

fn collect_strings(node: &Node, out: &mut Vec<Span>, depth: usize) {
    if depth > 64 {
        return;
    }
    match &node.kind {
        NodeKind::Str(_) => out.push(node.span),
        NodeKind::Map(entries) => {
            for e in entries {
                out.push(e.key.span);
                collect_strings(&e.value, out, depth + 1);
            }
        }
        _ => node
            .children()
            .for_each(|c| collect_strings(c, out, depth + 1)),
    }
}

fn remap(node: &mut Node, f: &dyn Fn(Span) -> Span, depth: usize) {
    node.span = f(node.span);
    if depth > 64 {
        return;
    }
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| remap(n, f, depth + 1)),
        NodeKind::Map(entries) => {
            for e in entries {
                e.key.span = f(e.key.span);
                remap(&mut e.value, f, depth + 1);
            }
        }
        _ => {}
    }
}

/// jq object and array construction, read leniently: literal keys and
/// strings are kept; any other expression is an opaque [`NodeKind::Expr`].
mod jq {
    use super::*;

    pub fn parse(s: &str) -> Result<Node, (Span, String)> {
        if s.trim_start().starts_with('.') {
            return assignments(s).ok_or((Span::new(0, 0), "not an assignment".into()));
        }
        let mut p = P { s, i: 0 };
        let node = p.value(0)?;
        Ok(node)
    }

    /// `.a = X | .b = Y` (also `."A"`, `.["A"]`) on null input: the object
    /// `{a: X, b: Y}`. `None` for any other filter.
    pub fn assignments(s: &str) -> Option<Node> {
        // Top-level `|` separators, outside strings and brackets.
        let mut parts = Vec::new();
        let (mut depth, mut start, mut in_str, mut escaped) = (0i32, 0usize, false, false);
        for (i, c) in s.char_indices() {
            if in_str {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_str = true,
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                '|' if depth == 0 && s.get(i + 1..i + 2) != Some("=") => {
                    parts.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push((start, s.len()));
        let mut entries: Vec<Entry> = Vec::new();
        for (a, b) in parts {
            let mut p = P {
                s: s.get(..b)?,
                i: a,
            };
            p.ws();
            if p.peek() != Some('.') {
                return None;
            }
            p.i += 1;
            let kstart = p.i;
            let text = match p.peek() {
                Some('"') => p.string().ok()?,
                Some('[') => {
                    p.i += 1;
                    p.ws();
                    if p.peek() != Some('"') {
                        return None;
                    }
                    let t = p.string().ok()?;
                    p.ws();
                    if p.peek() != Some(']') {
                        return None;
                    }
                    p.i += 1;
                    t
                }
                _ => p.ident(),
            };
            if text.is_empty() {
                return None;
            }
            let key = Key {
                text: text.into(),
                span: Span::new(kstart, p.i),
            };
            p.ws();
            // Only plain `=` (not `==`, `|=`, nested paths).
            if p.peek() != Some('=') || p.s.get(p.i + 1..p.i + 2) == Some("=") {
                return None;
            }
            p.i += 1;
            let value = p.value(1).ok()?;
            p.ws();
            if p.peek().is_some() {
                return None;
            }
            entries.push(Entry { key, value });
        }
        let span = Span::new(0, s.len());
        Some(Node::new(span, NodeKind::Map(entries.into())))
    }

    struct P<'a> {
        s: &'a str,
        i: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.peek().is_some_and(char::is_whitespace) {
                self.i += 1;
            }
        }

        fn peek(&self) -> Option<char> {
            self.s[self.i..].chars().next()
        }

        fn err(&self, msg: &str) -> (Span, String) {
            (Span::new(self.i, self.i), msg.into())
        }

        fn value(&mut self, depth: usize) -> Result<Node, (Span, String)> {
            if depth > 64 {
                return Err(self.err("too deeply nested"));
            }
            self.ws();
            let start = self.i;
            match self.peek() {
                Some('[') => {
                    self.i += 1;
                    let mut items = Vec::new();
                    self.ws();
                    if self.peek() == Some(']') {
                        self.i += 1;
                    } else {
                        loop {
                            items.push(self.value(depth + 1)?);
                            self.ws();
                            match self.peek() {
                                Some(',') => self.i += 1,
                                Some(']') => {
                                    self.i += 1;
                                    break;
                                }
                                _ => return Err(self.err("expected , or ]")),
                            }
                        }
                    }
                    Ok(self.finish(start, NodeKind::Seq(items.into())))
                }
                Some('{') => {
                    self.i += 1;
                    let mut entries = Vec::new();
                    self.ws();
                    if self.peek() == Some('}') {
                        self.i += 1;
                    } else {
                        loop {
                            self.ws();
                            let kstart = self.i;
                            let (text, var) = match self.peek() {
                                Some('"') => (self.string()?, false),
                                Some('$') => {
                                    self.i += 1;
                                    (self.ident(), true)
                                }
                                _ => (self.ident(), false),
                            };
                            if text.is_empty() {
                                return Err(self.err("expected a key"));
                            }
                            let key = Key {
                                text: text.into(),
                                span: Span::new(kstart, self.i),
                            };
                            self.ws();
                            let value = if self.peek() == Some(':') {
                                self.i += 1;
                                self.value(depth + 1)?
                            } else {
                                let kind = if var {
                                    NodeKind::Expr(key.text.clone())
                                } else {
                                    NodeKind::Expr(compact_str::format_compact!(".{}", key.text))
                                };
                                Node::new(key.span, kind)
                            };
                            entries.push(Entry { key, value });
                            self.ws();
                            match self.peek() {
                                Some(',') => self.i += 1,
                                Some('}') => {
                                    self.i += 1;
                                    break;
                                }
                                _ => return Err(self.err("expected , or }")),
                            }
                        }
                    }
                    Ok(self.finish(start, NodeKind::Map(entries.into())))
                }
                Some('"') => {
                    let text = self.string()?;
                    self.ws();
                    if self.at_end_of_value() {
                        Ok(self.finish(start, NodeKind::Str(text.into())))
                    } else {
                        self.expr(start)
                    }
                }
                _ => self.expr(start),
            }
        }

        fn at_end_of_value(&self) -> bool {
            matches!(self.peek(), None | Some(',' | ']' | '}'))
        }

        fn finish(&self, start: usize, kind: NodeKind) -> Node {
            Node::new(Span::new(start, self.i), kind)
        }

        /// Any other expression, up to the next `,`, `]` or `}` at depth 0.
        fn expr(&mut self, start: usize) -> Result<Node, (Span, String)> {
            let mut depth = 0usize;
            while let Some(c) = self.peek() {
                match c {
                    '"' => {
                        self.string()?;
                        continue;
                    }
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' if depth > 0 => depth -= 1,
                    ',' | ']' | '}' => break,
                    _ => {}
                }
                self.i += c.len_utf8();
            }
            let text = self.s[start..self.i].trim_end().to_owned();
            if text.is_empty() {
                return Err(self.err("expected a value"));
            }
            let end = start + text.len();
            Ok(Node::new(
                Span::new(start, end),
                NodeKind::Expr(text.into()),
            ))
        }

        fn ident(&mut self) -> String {
            let start = self.i;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                self.i += 1;
            }
            self.s[start..self.i].to_owned()
        }

        /// A jq string; `\(...)` interpolations become `<expr>`.
        fn string(&mut self) -> Result<String, (Span, String)> {
            self.i += 1;
            let mut out = String::new();
            while let Some(c) = self.peek() {
                self.i += c.len_utf8();
                match c {
                    '"' => return Ok(out),
                    '\\' => {
                        let Some(n) = self.peek() else { break };
                        self.i += n.len_utf8();
                        match n {
                            '(' => {
                                let mut depth = 1usize;
                                while let Some(c) = self.peek() {
                                    self.i += c.len_utf8();
                                    match c {
                                        '(' => depth += 1,
                                        ')' => {
                                            depth -= 1;
                                            if depth == 0 {
                                                break;
                                            }
                                        }
                                        _ => {}
                                    }
                                }
                                out.push_str("<expr>");
                            }
                            'n' => out.push('\n'),
                            't' => out.push('\t'),
                            other => out.push(other),
                        }
                    }
                    c => out.push(c),
                }
            }
            Err(self.err("unterminated string"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    /// (target, document summary or error) for each write in a one-command
    /// buildspec, with the text each interesting span covers.
    fn run(yaml_command: &str) -> (String, Vec<Written>) {
        let text =
            format!("version: 0.2\nphases:\n  build:\n    commands:\n      - {yaml_command}\n");
        let doc = parse(Syntax::Yaml, &text, &Limits::default()).expect("yaml");
        let root = doc.root().expect("root").clone();
        let cmds = buildspec_commands(&root);
        let w = cmds
            .iter()
            .flat_map(|c| {
                writes(&text, c, &|n: &str| {
                    n.eq_ignore_ascii_case("imagedefinitions.json")
                        || n.eq_ignore_ascii_case("imagedetail.json")
                })
            })
            .collect();
        (text, w)
    }

    fn image_uri(text: &str, w: &Written) -> (String, String) {
        let doc = w.doc.as_ref().expect("parses");
        let item = doc.items().and_then(|i| i.first()).unwrap_or(doc);
        let entry = item
            .entries()
            .expect("object")
            .iter()
            .find(|e| e.key.text.to_ascii_lowercase().starts_with("image"))
            .expect("image key");
        let value = match &entry.value.kind {
            NodeKind::Str(s) => s.to_string(),
            NodeKind::Expr(e) => format!("expr {e}"),
            _ => "other".into(),
        };
        (
            value,
            text.get(entry.value.span.range()).unwrap_or("").to_owned(),
        )
    }

    #[test]
    fn single_quoted_echo_keeps_variables_literal() {
        let (text, w) =
            run(r#"echo '[{"name":"web","imageUri":"$REPO:$TAG"}]' > imagedefinitions.json"#);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].tool, "echo");
        assert_eq!(
            text.get(w[0].target_span.range()),
            Some("imagedefinitions.json")
        );
        assert_eq!(
            image_uri(&text, &w[0]),
            ("$REPO:$TAG".into(), "\"$REPO:$TAG\"".into())
        );
    }

    #[test]
    fn printf_substitutes_arguments() {
        let (text, w) = run(
            r#"printf '[{"name":"web","imageUri":"%s"}]' "$REPO:$TAG" > imagedefinitions.json"#,
        );
        assert_eq!(image_uri(&text, &w[0]), ("<arg>".into(), "\"%s\"".into()));
    }

    #[test]
    fn double_quoted_echo_expands() {
        let (text, w) = run(r#"'echo "{\"ImageURI\":\"$URI\"}" | tee imageDetail.json'"#);
        assert_eq!(w.len(), 1);
        assert_eq!(
            image_uri(&text, &w[0]),
            ("<URI>".into(), "\"$URI\\\"".into())
        );
    }

    #[test]
    fn jq_construction() {
        let (text, w) = run(
            r#"jq -n --arg uri "$URI" '[{name:"web", imageURI:$uri}]' > imagedefinitions.json"#,
        );
        assert_eq!(w[0].tool, "jq");
        assert_eq!(image_uri(&text, &w[0]), ("expr $uri".into(), "$uri".into()));
    }

    #[test]
    fn structure_built_by_the_shell_is_skipped_and_other_files_ignored() {
        assert!(
            run(r#"printf '[%s]' "$DEFS" > imagedefinitions.json"#)
                .1
                .is_empty()
        );
        assert!(run(r#"echo '[{"a":1}]' > other.json"#).1.is_empty());
        assert!(run("docker push \"$REPO:$TAG\"").1.is_empty());
    }

    #[test]
    fn jq_assignments_on_null_input() {
        let (text, w) =
            run(r#"jq -n --arg uri "$REPO:$TAG" '.imageUri = $uri' > imageDetail.json"#);
        assert_eq!(w.len(), 1);
        let doc = w[0].doc.as_ref().expect("object");
        let key = &doc.entries().expect("map")[0].key;
        assert_eq!(key.text, "imageUri");
        assert_eq!(text.get(key.span.range()), Some("imageUri"));
        let (_, w) = run(r#"jq -n '.ImageURI = "r/web:1" | ."other" = 2' > imageDetail.json"#);
        assert_eq!(
            w[0].doc.as_ref().expect("map").entries().map(<[_]>::len),
            Some(2)
        );
        // Without -n the input is unknown; other filters are not read.
        assert!(
            run(r#"jq '.ImageURI = "x"' in.json > imageDetail.json"#)
                .1
                .is_empty()
        );
        assert!(run(r#"jq -n '.a.b = 1' > imageDetail.json"#).1.is_empty());
        assert!(run(r#"jq -n '.a |= 1' > imageDetail.json"#).1.is_empty());
    }

    fn run_block(block: &str) -> (String, Vec<Written>) {
        let indented: String = block.lines().map(|l| format!("        {l}\n")).collect();
        let text = format!("version: 0.2\nphases:\n  build:\n    commands:\n      - |\n{indented}");
        let doc = parse(Syntax::Yaml, &text, &Limits::default()).expect("yaml");
        let root = doc.root().expect("root").clone();
        let w = buildspec_commands(&root)
            .iter()
            .flat_map(|c| {
                writes(&text, c, &|n: &str| {
                    n.eq_ignore_ascii_case("imagedetail.json")
                })
            })
            .collect();
        (text, w)
    }

    #[test]
    fn heredocs_are_read() {
        let (text, w) = run_block(
            "cat > imageDetail.json <<EOF\n{\"ImageUri\": \"$REPO:$TAG\"}\nEOF\necho done",
        );
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].tool, "cat");
        let doc = w[0].doc.as_ref().expect("object");
        let key = &doc.entries().expect("map")[0].key;
        assert_eq!(text.get(key.span.range()), Some("\"ImageUri\""));
        assert_eq!(text.get(w[0].target_span.range()), Some("imageDetail.json"));
        let (_, w) = run_block(
            "cat <<'EOF' > imageDetail.json\n{\"ImageURI\": \"r/web@sha256:latest\"}\nEOF",
        );
        assert_eq!(w.len(), 1);
        // The shell builds structure: unknowable.
        assert!(
            run_block("cat > imageDetail.json <<EOF\n$DOC\nEOF")
                .1
                .is_empty()
        );
        // No delimiter line: not a here-document the shell would finish.
        assert!(run_block("cat > imageDetail.json <<EOF\n{}").1.is_empty());
        assert!(run_block("cat > other.json <<EOF\n{}\nEOF").1.is_empty());
    }

    #[test]
    fn random_writers_never_panic() {
        let pieces = [
            "cat",
            "tee",
            " > ",
            ">",
            "imageDetail.json",
            "<<",
            "<<-",
            "'EOF'",
            "EOF",
            "\n",
            "{",
            "}",
            "\"",
            "ImageURI",
            ":",
            "$X",
            "${Y}",
            "\\",
            "jq -n ",
            "'.a = $u'",
            " | ",
            "[",
            "]",
            "é",
            "\t",
            "printf '%s' ",
            "echo ",
            ",",
            "=",
            ".",
        ];
        let mut state: u64 = 0xDEAD_BEEF_CAFE_F00D;
        for _ in 0..2000 {
            let mut cmd = String::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                cmd.push_str(pieces[(state % pieces.len() as u64) as usize]);
            }
            let _ = run_block(&cmd);
            let _ = jq::assignments(&cmd);
        }
    }

    #[test]
    fn invalid_json_is_located() {
        let (text, w) = run(r#"echo [{"name":"web"}] > imagedefinitions.json"#);
        let (span, _) = w[0].doc.as_ref().expect_err("invalid");
        assert!(text.get(span.range()).is_some());
        assert!(span.start as usize > text.find("echo").expect("echo"));
    }
}
