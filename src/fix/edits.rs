//! The fixes rules attach: one function per fix, each building exact edits
//! from the spans a rule already holds, or `None` when the text is not
//! written in a way the fix can edit exactly (then the finding has no fix).

use crate::finding::{Applicability, Edit, Fix};
use crate::model::buildspec::Command;
use crate::shell::Simple;
use crate::source::FileKind;
use crate::source::SourceFile;
use crate::syntax::{Key, Node, NodeKind, Span, Syntax};

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

/// The file span of a byte range of a command's text, when the file holds
/// exactly that text there (no escape, quote or line folding in between).
fn exact(file: &SourceFile, c: &Command, range: std::ops::Range<usize>) -> Option<Span> {
    let text = c.text.as_deref()?.get(range.clone())?;
    let span = c.file_span(range);
    (file.text.get(span.range())? == text).then_some(span)
}

/// `docker-layer-cache-stale`: ` --pull` after the `build` subcommand.
pub fn docker_pull(file: &SourceFile, c: &Command, s: &Simple) -> Option<Fix> {
    let build = s
        .words
        .iter()
        .skip(1)
        .find(|w| matches!(w.raw.as_str(), "build" | "b"))?;
    let span = exact(file, c, build.span.clone())?;
    Some(Fix::safe(
        "add --pull to the docker build",
        vec![Edit::insert(span.end, " --pull")],
    ))
}

/// The line break used by the line that contains `at` (`\r\n` or `\n`).
fn line_break(text: &str, at: usize) -> &'static str {
    match text.get(at..).and_then(|t| t.find('\n')) {
        Some(i) if i > 0 && text.as_bytes().get(at + i - 1) == Some(&b'\r') => "\r\n",
        _ => "\n",
    }
}

/// `buildspec-multiline-no-errexit`: `set -e` as the first line of a
/// literal (`|`) block, indented as the block's first line.
pub fn errexit_block(file: &SourceFile, c: &Command) -> Option<Fix> {
    let text = c.text.as_deref()?;
    if !c.block || !block_header(file, c)?.1.starts_with('|') {
        return None;
    }
    let first_len = text.find('\n').unwrap_or(text.len());
    if first_len == 0 {
        return None;
    }
    let first = exact(file, c, 0..first_len)?;
    let at = first.start as usize;
    let line_start = file.text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let indent = file.text.get(line_start..at)?;
    if !indent.chars().all(|ch| ch == ' ' || ch == '\t') {
        return None;
    }
    let newline = line_break(&file.text, at);
    Some(Fix::unsafe_(
        "start the block with set -e",
        vec![Edit::insert(
            first.start,
            format!("set -e{newline}{indent}"),
        )],
    ))
}

/// The guard `post-build-unguarded-publish` inserts.
pub const GUARD: &str = r#"'[ "$CODEBUILD_BUILD_SUCCEEDING" = "1" ] || exit 1'"#;

/// `post-build-unguarded-publish`: a guard item on its own line before the
/// list item `c`, with the item's indentation.
pub fn guard_before(file: &SourceFile, c: &Command) -> Option<Fix> {
    let (line_start, prefix) = if c.block {
        let (line_start, _) = block_header(file, c)?;
        let line = file.text.get(line_start..)?;
        let dash = line.trim_start_matches([' ', '\t']).strip_prefix('-')?;
        let after = dash.len() - dash.trim_start_matches(' ').len();
        (line_start, line.get(..line.len() - dash.len() + after)?)
    } else {
        let at = c.span.start as usize;
        let line_start = file.text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
        (line_start, file.text.get(line_start..at)?)
    };
    let at = line_start;
    let indent_len = prefix.len() - prefix.trim_start_matches([' ', '\t']).len();
    let (indent, dash) = prefix.split_at(indent_len);
    if !(dash.starts_with('-') && dash.len() > 1 && dash[1..].chars().all(|ch| ch == ' ')) {
        return None;
    }
    let newline = line_break(&file.text, at);
    Some(Fix::unsafe_(
        "stop the phase when the build failed, before the first publishing command",
        vec![Edit::insert(
            u32::try_from(line_start).ok()?,
            format!("{indent}{dash}{GUARD}{newline}"),
        )],
    ))
}

/// For a block scalar item: where its header line (`- |`) starts, and the
/// block indicator written there.
fn block_header<'f>(file: &'f SourceFile, c: &Command) -> Option<(usize, &'f str)> {
    let mut end = file.text.get(..c.span.start as usize)?.rfind('\n')?;
    loop {
        let start = file.text.get(..end)?.rfind('\n').map_or(0, |i| i + 1);
        let line = file.text.get(start..end)?.trim_end_matches('\r');
        let code = match line.find(" #") {
            Some(i) => &line[..i],
            None => line,
        };
        if code.trim().is_empty() {
            end = start.checked_sub(1)?;
            continue;
        }
        return Some((start, code.split_whitespace().last()?));
    }
}

/// `privileged-mode-missing`: privileged mode written `false` becomes
/// `true` (inside its quotes, if any); when it is absent, it is added as the
/// first entry of the project's environment, in the file's own style.
pub fn privileged_on(file: &SourceFile, project: &crate::model::codebuild::Project) -> Option<Fix> {
    let fix = |edit| Some(Fix::unsafe_("turn privileged mode on", vec![edit]));
    if let Some(v) = &project.privileged {
        let written = file.text.get(v.span.range())?;
        let bare = written.trim_matches(['"', '\'']);
        if !bare.eq_ignore_ascii_case("false") || written.len() > bare.len() + 2 {
            return None;
        }
        let quotes = (written.len() - bare.len()) / 2;
        let start = v.span.start as usize + quotes;
        let replacement = match bare {
            "False" => "True",
            "FALSE" => "TRUE",
            _ => "true",
        };
        return fix(Edit::replace(
            Span::new(start, start + bare.len()),
            replacement,
        ));
    }
    let env = project_environment(file, project)?;
    let first = env.entries()?.first()?;
    let (name, assign) = match file.kind {
        FileKind::CloudFormation => ("PrivilegedMode", ": "),
        FileKind::Terraform => ("privileged_mode", " = "),
        FileKind::CodeBuildProject => ("privilegedMode", ": "),
        _ => return None,
    };
    let at = first.key.span.start as usize;
    let line_start = file.text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let indent = file.text.get(line_start..at)?;
    let own_line = indent.chars().all(|c| c == ' ' || c == '\t');
    let newline = line_break(&file.text, at);
    let flow = file.syntax == Some(Syntax::Json)
        || file.text.get(env.span.range())?.starts_with('{') && file.syntax == Some(Syntax::Yaml);
    let edit = if file.syntax == Some(Syntax::Json) {
        let entry = format!("\"{name}\"{assign}true,");
        if own_line {
            Edit::insert(first.key.span.start, format!("{entry}{newline}{indent}"))
        } else {
            Edit::insert(first.key.span.start, format!("{entry} "))
        }
    } else if flow {
        Edit::insert(first.key.span.start, format!("{name}{assign}true, "))
    } else if own_line {
        Edit::insert(
            u32::try_from(line_start).ok()?,
            format!("{indent}{name}{assign}true{newline}"),
        )
    } else {
        return None;
    };
    fix(edit)
}

/// The `Environment` / `environment` node of a project, found again from
/// the span the model keeps (the logical id, the resource's name label or
/// the project object).
fn project_environment<'f>(
    file: &'f SourceFile,
    project: &crate::model::codebuild::Project,
) -> Option<&'f Node> {
    use crate::model::fields;
    for root in file.roots() {
        let body = match file.kind {
            FileKind::CloudFormation => fields::cfn_resources(root, "AWS::CodeBuild::Project")
                .into_iter()
                .find(|(_, span, _)| *span == project.span)
                .map(|(_, _, props)| props),
            FileKind::Terraform => fields::tf_resources(root, "aws_codebuild_project")
                .into_iter()
                .find(|(_, span, _)| *span == project.span)
                .map(|(_, _, body)| body),
            FileKind::CodeBuildProject => find_node(root, project.span, 0),
            _ => None,
        };
        if let Some(env) = body.and_then(|b| fields::get(b, &["environment"])) {
            return Some(env);
        }
    }
    None
}

/// The map node at exactly `span` (bounded depth).
fn find_node(node: &Node, span: Span, depth: usize) -> Option<&Node> {
    if node.span == span && node.entries().is_some() {
        return Some(node);
    }
    if depth > 8 || !node.span.contains(span) {
        return None;
    }
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find_map(|e| find_node(&e.value, span, depth + 1)),
        NodeKind::Seq(items) => items.iter().find_map(|n| find_node(n, span, depth + 1)),
        _ => None,
    }
}
