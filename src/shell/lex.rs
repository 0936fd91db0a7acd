//! The tokenizer: words (quotes, `$(...)`, `${...}`, backticks and escapes
//! kept inside the word, as written), operators, newlines. Comments and
//! here-document bodies are dropped. Total: any input yields tokens, never an
//! error, and every token keeps its byte range in the input.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    /// `&&`, `||`, `;`, `;;`, `|`, `|&`, `&`, `(`, `)`.
    Op,
    /// A redirection operator, with its file descriptor if one was written
    /// (`2>&1` is one `Redirect` token `2>&`, then the word `1`).
    Redirect,
    Newline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.span.clone()).unwrap_or("")
    }
}

const OPS: &[&str] = &["&&", "||", ";;", "|&", ";", "|", "&", "(", ")"];
const REDIRECTS: &[&str] = &[
    "<<<", "<<-", "&>>", "<<", "<&", "<>", ">>", ">&", ">|", "&>", "<", ">",
];

/// Splits `src` into tokens.
pub fn tokenize(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Here-document delimiters waiting for the end of the line.
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    let mut expect_delimiter: Option<bool> = None;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b' ' || c == b'\t' || c == b'\r' {
            i += 1;
            continue;
        }
        if c == b'\\' && bytes.get(i + 1) == Some(&b'\n') {
            i += 2;
            continue;
        }
        if c == b'\n' {
            out.push(Token {
                kind: Kind::Newline,
                span: i..i + 1,
            });
            i += 1;
            for (delim, strip) in heredocs.drain(..) {
                i = skip_heredoc(src, i, &delim, strip);
            }
            continue;
        }
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        // An io number: digits right before a redirection.
        let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let at = i + digits;
        let rest = from(src, at);
        if let Some(op) = REDIRECTS.iter().find(|r| rest.starts_with(**r))
            && !(rest.starts_with("<(") || rest.starts_with(">("))
        {
            out.push(Token {
                kind: Kind::Redirect,
                span: i..at + op.len(),
            });
            if op.starts_with("<<") && *op != "<<<" {
                expect_delimiter = Some(*op == "<<-");
            }
            i = at + op.len();
            continue;
        }
        if digits == 0
            && let Some(op) = OPS.iter().find(|o| from(src, i).starts_with(**o))
        {
            out.push(Token {
                kind: Kind::Op,
                span: i..i + op.len(),
            });
            i += op.len();
            continue;
        }
        let end = word_end(src, i);
        let end = if end == i { i + char_len(src, i) } else { end };
        if let Some(strip) = expect_delimiter.take() {
            let delim: String = src
                .get(i..end)
                .unwrap_or("")
                .chars()
                .filter(|c| !matches!(c, '\'' | '"' | '\\'))
                .collect();
            heredocs.push((delim, strip));
        }
        out.push(Token {
            kind: Kind::Word,
            span: i..end,
        });
        i = end;
    }
    out
}

fn char_len(src: &str, i: usize) -> usize {
    src.get(i..)
        .and_then(|s| s.chars().next())
        .map_or(1, char::len_utf8)
}

fn from(src: &str, i: usize) -> &str {
    src.get(i..).unwrap_or("")
}

/// Skips the body of a here-document starting at `i` (a line start); returns
/// the offset after its delimiter line.
fn skip_heredoc(src: &str, mut i: usize, delim: &str, strip: bool) -> usize {
    while i < src.len() {
        let end = from(src, i).find('\n').map_or(src.len(), |n| i + n);
        let line = src.get(i..end).unwrap_or("");
        let line = if strip {
            line.trim_start_matches('\t')
        } else {
            line
        };
        i = (end + 1).min(src.len());
        if line.trim_end_matches('\r') == delim {
            break;
        }
    }
    i
}

/// The end of the word starting at `i`.
fn word_end(src: &str, start: usize) -> usize {
    let bytes = src.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
            b'(' => {
                // `(` ends a word unless it opens `<(`/`>(`/`=(` inside one.
                if i > start && matches!(bytes[i - 1], b'<' | b'>' | b'=' | b'@' | b'+') {
                    i = skip_parens(src, i + 1);
                } else {
                    break;
                }
            }
            b'<' | b'>' => {
                if bytes.get(i + 1) == Some(&b'(') {
                    i = skip_parens(src, i + 2);
                } else {
                    break;
                }
            }
            b'\\' => {
                i += 1;
                if i < bytes.len() {
                    i += char_len(src, i);
                }
            }
            b'\'' => i = skip_single(src, i + 1),
            b'"' => i = skip_double(src, i + 1),
            b'`' => i = skip_backtick(src, i + 1),
            b'$' => i = skip_dollar(src, i),
            _ => i += char_len(src, i),
        }
    }
    i.min(bytes.len())
}

fn skip_single(src: &str, i: usize) -> usize {
    from(src, i).find('\'').map_or(src.len(), |n| i + n + 1)
}

fn skip_double(src: &str, mut i: usize) -> usize {
    let bytes = src.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            b'\\' => i += 2,
            b'`' => i = skip_backtick(src, i + 1),
            b'$' => i = skip_dollar(src, i),
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_backtick(src: &str, mut i: usize) -> usize {
    let bytes = src.as_bytes();
    while i < bytes.len() {
        match bytes[i] {
            b'`' => return i + 1,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Skips `$(...)`, `$((...))`, `${...}` or a plain `$`.
fn skip_dollar(src: &str, i: usize) -> usize {
    let bytes = src.as_bytes();
    match bytes.get(i + 1) {
        Some(b'(') => skip_parens(src, i + 2),
        Some(b'{') => {
            let mut depth = 1usize;
            let mut j = i + 2;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    b'\\' => j += 1,
                    b'\'' => {
                        j = skip_single(src, j + 1);
                        continue;
                    }
                    b'"' => {
                        j = skip_double(src, j + 1);
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
            bytes.len()
        }
        _ => i + 1,
    }
}

/// Skips to the `)` closing a `(` just before `i`, quotes respected.
fn skip_parens(src: &str, mut i: usize) -> usize {
    let bytes = src.as_bytes();
    let mut depth = 1usize;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\\' => i += 1,
            b'\'' => {
                i = skip_single(src, i + 1);
                continue;
            }
            b'"' => {
                i = skip_double(src, i + 1);
                continue;
            }
            b'`' => {
                i = skip_backtick(src, i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<&str> {
        tokenize(src).iter().map(|t| t.text(src)).collect()
    }

    #[test]
    fn words_operators_and_quotes() {
        assert_eq!(
            texts(r#"[ "$A" = "0" ] && exit 1; echo 'a b'|sh"#),
            [
                "[", "\"$A\"", "=", "\"0\"", "]", "&&", "exit", "1", ";", "echo", "'a b'", "|",
                "sh"
            ]
        );
        assert_eq!(
            texts("echo $(curl -s x | sh) `a b` ${X:-a b} 2>&1 >out"),
            [
                "echo",
                "$(curl -s x | sh)",
                "`a b`",
                "${X:-a b}",
                "2>&",
                "1",
                ">",
                "out"
            ]
        );
        assert_eq!(texts("a \\\n b # c d\nc"), ["a", "b", "\n", "c"]);
        assert_eq!(texts("bash <(curl x)"), ["bash", "<(curl x)"]);
    }

    #[test]
    fn heredoc_bodies_are_skipped() {
        assert_eq!(
            texts("cat <<EOF > f\nsecret $X && y\nEOF\necho done"),
            ["cat", "<<", "EOF", ">", "f", "\n", "echo", "done"]
        );
    }

    #[test]
    fn unterminated_input_never_panics() {
        for src in ["\"abc", "'x", "$(a", "${a", "`a", "a\\", "é\"", "2>", "<<"] {
            let _ = tokenize(src);
        }
    }
}
