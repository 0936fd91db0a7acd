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

/// `imagedefinitions-shape`: a single JSON object wrapped in `[` `]`.
pub fn wrap_in_array(file: &SourceFile, span: Span) -> Option<Fix> {
    let written = file.text.get(span.range())?;
    if !(written.starts_with('{') && written.ends_with('}')) {
        return None;
    }
    Some(Fix::safe(
        "wrap the object in an array",
        vec![Edit::insert(span.start, "["), Edit::insert(span.end, "]")],
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
            // The last line, with no line break: the file then ends with
            // the line break before it.
            None => Edit::delete(Span::new(line_start, text.len())),
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

/// A value to insert: a string or a mapping.
#[derive(Clone)]
pub enum New<'a> {
    Str(&'a str),
    Map(Vec<(&'a str, New<'a>)>),
}

impl New<'_> {
    /// Inline, JSON-like (`{"k": "v"}`), or HCL (`{ "k" = "v" }`).
    fn inline(&self, hcl: bool) -> String {
        match self {
            New::Str(s) => json_string(s),
            New::Map(entries) => {
                let sep = if hcl { " = " } else { ": " };
                let body: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}{sep}{}", json_string(k), v.inline(hcl)))
                    .collect();
                if hcl {
                    format!("{{ {} }}", body.join(", "))
                } else {
                    format!("{{{}}}", body.join(", "))
                }
            }
        }
    }

    /// YAML block lines at `indent`, each ending with `newline`.
    fn block(&self, key: &str, indent: &str, newline: &str, out: &mut String) {
        match self {
            New::Str(s) => {
                out.push_str(&format!("{indent}{key}: {s}{newline}"));
            }
            New::Map(entries) => {
                out.push_str(&format!("{indent}{key}:{newline}"));
                let inner = format!("{indent}  ");
                for (k, v) in entries {
                    v.block(k, &inner, newline, out);
                }
            }
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Inserts `key: value` as the first entry of the mapping `map`, written in
/// the mapping's own style (JSON, YAML block or flow, HCL object or block
/// body), on its own line when the first entry is on its own line.
pub fn insert_first(file: &SourceFile, map: &Node, key: &str, value: &New<'_>) -> Option<Edit> {
    let first = map.entries()?.first()?;
    let at = first.key.span.start as usize;
    let line_start = file.text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let indent = file.text.get(line_start..at)?;
    let own_line = indent.chars().all(|c| c == ' ' || c == '\t');
    let newline = line_break(&file.text, at);
    let line_at = u32::try_from(line_start).ok()?;
    match file.syntax? {
        Syntax::Json => {
            let entry = format!("{}: {},", json_string(key), value.inline(false));
            Some(if own_line {
                Edit::insert(first.key.span.start, format!("{entry}{newline}{indent}"))
            } else {
                Edit::insert(first.key.span.start, format!("{entry} "))
            })
        }
        Syntax::Yaml => {
            if file.text.get(map.span.range())?.starts_with('{') {
                let entry = format!("{}: {}, ", json_string(key), value.inline(false));
                Some(Edit::insert(first.key.span.start, entry))
            } else if own_line {
                let mut lines = String::new();
                value.block(key, indent, newline, &mut lines);
                Some(Edit::insert(line_at, lines))
            } else {
                append_yaml(file, map, indent, key, value, newline)
            }
        }
        Syntax::Hcl => {
            if matches!(map.kind, NodeKind::Block(_)) {
                // A block body: `name = value` attributes, one per line.
                if !own_line {
                    return None;
                }
                Some(Edit::insert(
                    line_at,
                    format!("{indent}{key} = {}{newline}", value.inline(true)),
                ))
            } else if own_line {
                Some(Edit::insert(
                    line_at,
                    format!(
                        "{indent}{} = {}{newline}",
                        json_string(key),
                        value.inline(true)
                    ),
                ))
            } else {
                Some(Edit::insert(
                    first.key.span.start,
                    format!("{} = {}, ", json_string(key), value.inline(true)),
                ))
            }
        }
        Syntax::TypeScript | Syntax::Python => None,
    }
}

/// The mapping (or HCL block) written at exactly `span`, anywhere in the
/// file's tree (depth-bounded).
pub fn map_at(file: &SourceFile, span: Span) -> Option<&Node> {
    file.roots().iter().find_map(|r| map_in(r, span, 0))
}

fn map_in(node: &Node, span: Span, depth: usize) -> Option<&Node> {
    if node.span == span && node.entries().is_some() {
        return Some(node);
    }
    if depth > 128 || !node.span.contains(span) {
        return None;
    }
    match &node.kind {
        NodeKind::Map(entries) => entries
            .iter()
            .find_map(|e| map_in(&e.value, span, depth + 1)),
        NodeKind::Seq(items) => items.iter().find_map(|n| map_in(n, span, depth + 1)),
        NodeKind::Block(block) => block
            .body
            .iter()
            .find_map(|e| map_in(&e.value, span, depth + 1)),
        NodeKind::Call(call) => call.args.iter().find_map(|n| map_in(n, span, depth + 1)),
        _ => None,
    }
}

/// `oidc-audience-missing`: a wildcard audience value (`*`) replaced with
/// `audience`, inside its quotes.
pub fn pin_audience(file: &SourceFile, span: Span, written: &str, audience: &str) -> Option<Fix> {
    let span = inner(file, span, written)?;
    Some(Fix::unsafe_(
        format!("replace \"{written}\" with \"{audience}\""),
        vec![Edit::replace(span, audience)],
    ))
}

/// `oidc-audience-missing`: a `StringEquals` condition on the audience
/// claim `key` with `audience`, added to the statement at `statement`
/// (into its `StringEquals`, its `Condition`, or as a new `Condition`; in a
/// Terraform policy document as a new `condition` block).
pub fn audience_condition(
    file: &SourceFile,
    statement: Span,
    key: &str,
    audience: &str,
) -> Option<Fix> {
    let stmt = map_at(file, statement)?;
    let describe = format!("add the condition \"StringEquals\": {{\"{key}\": \"{audience}\"}}");
    let edit = if matches!(stmt.kind, NodeKind::Block(_)) {
        // data "aws_iam_policy_document": a `condition` block.
        let first = stmt.entries()?.first()?;
        let at = first.key.span.start as usize;
        let line_start = file.text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
        let indent = file.text.get(line_start..at)?;
        if !indent.chars().all(|c| c == ' ' || c == '\t') {
            return None;
        }
        let nl = line_break(&file.text, at);
        Edit::insert(
            u32::try_from(line_start).ok()?,
            format!(
                "{indent}condition {{{nl}{indent}  test     = \"StringEquals\"{nl}{indent}  variable = {}{nl}{indent}  values   = [{}]{nl}{indent}}}{nl}",
                json_string(key),
                json_string(audience)
            ),
        )
    } else {
        let condition = crate::model::fields::get(stmt, &["Condition"]);
        match condition {
            Some(c) if c.entries().is_some() => {
                let equals = c
                    .entries()?
                    .iter()
                    .rev()
                    .find(|e| e.key.text == "StringEquals")
                    .map(|e| &e.value);
                match equals {
                    Some(eq) if eq.entries().is_some_and(|e| !e.is_empty()) => {
                        insert_first(file, eq, key, &New::Str(audience))?
                    }
                    Some(_) => return None,
                    None => insert_first(
                        file,
                        c,
                        "StringEquals",
                        &New::Map(vec![(key, New::Str(audience))]),
                    )?,
                }
            }
            Some(_) => return None,
            None => insert_first(
                file,
                stmt,
                "Condition",
                &New::Map(vec![(
                    "StringEquals",
                    New::Map(vec![(key, New::Str(audience))]),
                )]),
            )?,
        }
    };
    Some(Fix::unsafe_(describe, vec![edit]))
}

/// Appends `key: value` after the last entry of a YAML block mapping whose
/// first key shares its line with a `- ` (a sequence item): the new lines
/// take the first key's column.
fn append_yaml(
    file: &SourceFile,
    map: &Node,
    prefix: &str,
    key: &str,
    value: &New<'_>,
    newline: &str,
) -> Option<Edit> {
    if !prefix.chars().all(|c| c == ' ' || c == '-') || !prefix.contains('-') {
        return None;
    }
    let indent = " ".repeat(prefix.chars().count());
    let last = map.entries()?.last()?;
    let end = last.value.span.end.max(last.key.span.end) as usize;
    let at = if file.text.get(..end)?.ends_with('\n') {
        end
    } else {
        end + file.text.get(end..)?.find('\n')? + 1
    };
    let mut lines = String::new();
    value.block(key, &indent, newline, &mut lines);
    Some(Edit::insert(u32::try_from(at).ok()?, lines))
}

/// `workflow-id-token-broad`: `id-token: write` leaves the workflow's
/// `permissions` and goes to each job that inherits them and runs
/// configure-aws-credentials (to assume a role); such a job gets a copy of
/// the workflow's scopes, so that nothing else changes for it. Only for a
/// map of scopes (not `write-all`).
pub fn move_id_token(file: &SourceFile, w: &crate::model::workflow::Workflow) -> Option<Fix> {
    use crate::model::workflow::Permissions;
    let Some(Permissions::Map { span, scopes }) = &w.permissions else {
        return None;
    };
    let id_token = scopes
        .iter()
        .rev()
        .find(|s| s.name == "id-token" && s.level.text == "write")?;
    let map = map_at(file, *span)?;
    let mut edits = vec![if scopes.len() == 1 {
        // The only scope: the workflow keeps `permissions: {}` (no scope).
        let before = file.text.get(..span.start as usize)?;
        let colon = before.trim_end().strip_suffix(':')?.len();
        let end = span.start as usize + file.text.get(span.range())?.trim_end().len();
        Edit::replace(Span::new(colon + 1, end), " {}")
    } else {
        remove_entry(file, map, id_token.key_span, id_token.level.span)?
    }];
    let root = file.roots().first()?;
    let jobs = crate::model::fields::get(root, &["jobs"])?.entries()?;
    let copy: Vec<(&str, New<'_>)> = scopes
        .iter()
        .map(|s| (s.name.as_str(), New::Str(s.level.text.as_str())))
        .collect();
    // The jobs that assume a role with OIDC; also those that configure AWS
    // credentials otherwise (static keys about to be replaced by a role),
    // so that no job touching AWS loses the token.
    for job in w.jobs.iter().filter(|j| {
        j.permissions.is_none()
            && (j.assumes_role_with_oidc()
                || j.steps.iter().any(|s| s.configures_aws_credentials()))
    }) {
        let node = &jobs.iter().find(|e| e.key.span == job.key_span)?.value;
        edits.push(insert_first(
            file,
            node,
            "permissions",
            &New::Map(copy.clone()),
        )?);
    }
    Some(Fix::unsafe_(
        "move id-token: write from the workflow's permissions to the jobs that assume a role",
        edits,
    ))
}

/// Deletes one `key: value` entry of a mapping: its whole line in a block
/// mapping (when the line holds nothing else but a comment), or the entry
/// and one neighbouring comma in a flow mapping.
fn remove_entry(file: &SourceFile, map: &Node, key: Span, value: Span) -> Option<Edit> {
    let text = file.text.as_str();
    let start = key.start as usize;
    let end = value.end.max(key.end) as usize;
    if text.get(map.span.range())?.starts_with('{') {
        let after = text.get(end..)?;
        let trimmed = after.trim_start_matches([' ', '\t']);
        if let Some(rest) = trimmed.strip_prefix(',') {
            let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            return Some(Edit::delete(Span::new(
                start,
                text.len() - rest.len() + gap,
            )));
        }
        let before = text.get(..start)?.trim_end_matches([' ', '\t']);
        let comma = before.strip_suffix(',')?.len();
        return Some(Edit::delete(Span::new(comma, end)));
    }
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    if !text.get(line_start..start)?.trim().is_empty() {
        return None;
    }
    let rest = text.get(end..)?;
    let line_end = rest.find('\n').map_or(text.len(), |i| end + i + 1);
    let tail = text.get(end..line_end)?.trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(Edit::delete(Span::new(line_start, line_end)))
}
