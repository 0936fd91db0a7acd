//! The fixes rules attach: one function per fix, each building exact edits
//! from the spans a rule already holds, or `None` when the text is not
//! written in a way the fix can edit exactly (then the finding has no fix).

use crate::finding::{Applicability, Edit, Fix};
use crate::source::SourceFile;
use crate::syntax::{Key, Span};

/// Renames a mapping key in place, inside its quotes when it is quoted.
pub fn rename_key(file: &SourceFile, key: &Key, to: &str) -> Option<Fix> {
    let span = inner(file, key.span, &key.text)?;
    Some(Fix::safe(
        format!("rename \"{}\" to \"{to}\"", key.text),
        vec![Edit::replace(span, to)],
    ))
}

/// The span of `text` written at `span`, bare or inside `"`/`'` quotes
/// (with no escape in it).
fn inner(file: &SourceFile, span: Span, text: &str) -> Option<Span> {
    let written = file.text.get(span.range())?;
    if written == text {
        return Some(span);
    }
    for q in ['"', '\''] {
        if let Some(body) = written.strip_prefix(q).and_then(|w| w.strip_suffix(q))
            && body == text
        {
            return Some(Span::new(span.start as usize + 1, span.end as usize - 1));
        }
    }
    None
}

/// Removes a suppression comment whose marker is at `span`: the whole line
/// (with its line break) when it holds nothing else, or the comment and the
/// blanks before it.
pub fn remove_comment(file: &SourceFile, span: Span, applicability: Applicability) -> Option<Fix> {
    let text = file.text.as_str();
    let at = span.start as usize;
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(line_start..at)?.trim_end();
    let opener = if before.ends_with("//") {
        2
    } else if before.ends_with('#') {
        1
    } else {
        return None;
    };
    let comment_start = line_start + before.len() - opener;
    let newline = text.get(at..)?.find('\n').map(|i| at + i);
    let content_end = match newline {
        Some(n) if n > 0 && text.as_bytes().get(n - 1) == Some(&b'\r') => n - 1,
        Some(n) => n,
        None => text.len(),
    };
    let code = text.get(line_start..comment_start)?;
    let edit = if code.trim().is_empty() {
        match newline {
            Some(n) => Edit::delete(Span::new(line_start, n + 1)),
            // The last line, with no line break: take the one before it.
            None => {
                let from = text
                    .get(..line_start)?
                    .strip_suffix('\n')
                    .map_or(line_start, |t| {
                        t.strip_suffix('\r').map_or(t.len(), str::len)
                    });
                Edit::delete(Span::new(from, text.len()))
            }
        }
    } else {
        let keep = code.trim_end().len();
        Edit::delete(Span::new(line_start + keep, content_end))
    };
    Some(Fix::new(
        applicability,
        "remove the suppression comment",
        vec![edit],
    ))
}
