//! Deployment artifacts that CodePipeline hands to ECS: `imagedefinitions.json`
//! (ECS standard deploy, or the file an ECS action's `FileName` names, or the
//! JSON a buildspec writes into it), `imageDetail.json` (CodeDeployToECS), task
//! definitions and AppSpec files.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::appspec::{self, Platform, RESERVED_EC2_EVENTS};
use crate::model::value::Val;
use crate::model::{pipeline, taskdef, written};
use crate::source::{FileKind, SourceFile};
use crate::syntax::{Entry, Limits, Node, NodeKind, Span, Syntax};

/// `imagedefinitions-shape`.
pub struct ImageDefinitionsShape;

const ID_DEFS: &str = "imagedefinitions-shape";

impl Rule for ImageDefinitionsShape {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if file.kind != FileKind::ImageDefinitions {
            return;
        }
        if let Some(root) = file.roots().first() {
            check_image_definitions(file, root, out);
        }
    }

    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (file, root) in renamed_image_definitions(cx) {
            match root {
                Ok(root) => check_image_definitions(file, &root, out),
                Err((span, message)) => out.push(Finding::new(
                    ID_DEFS,
                    file.at(span),
                    format!("image definitions file is not valid JSON: {message}"),
                )),
            }
        }
        for (file, w) in buildspec_writes(cx) {
            if !is_image_detail(&w.target) {
                check_written(file, &w, ID_DEFS, out, check_image_definitions);
            }
        }
    }
}

/// Files that an ECS deploy action names with `FileName` but that discovery
/// did not recognise by name, parsed as JSON.
/// A document, or where and why it does not parse.
type Parsed = Result<Node, (Span, String)>;

fn renamed_image_definitions<'a>(cx: &Context<'a>) -> Vec<(&'a SourceFile, Parsed)> {
    let names = ecs_file_names(cx);
    let mut out = Vec::new();
    for file in cx.files {
        let base = file.display.rsplit('/').next().unwrap_or("");
        if file.kind == FileKind::ImageDefinitions || !names.iter().any(|n| n == base) {
            continue;
        }
        let root = match (file.syntax, file.roots().first()) {
            (Some(Syntax::Json), Some(root)) => Ok(root.clone()),
            (Some(_), _) => continue,
            (None, _) => match crate::syntax::parse(Syntax::Json, &file.text, &Limits::default()) {
                Ok(doc) => match doc.roots.into_iter().next() {
                    Some(root) => Ok(root),
                    None => continue,
                },
                Err(e) => Err((e.span, e.message)),
            },
        };
        out.push((file, root));
    }
    out
}

/// The file names ECS (rolling) deploy actions read: `FileName`, default
/// `imagedefinitions.json`.
pub(crate) fn ecs_file_names(cx: &Context<'_>) -> Vec<String> {
    let mut names = Vec::new();
    for file in cx.files {
        for p in &pipeline::of(file).pipelines {
            for (_, _, a) in p.actions() {
                if !(a.is_category("Deploy") && a.is_provider("ECS")) {
                    continue;
                }
                if let Some(v) = a.config_value("FileName")
                    && !v.is_dynamic()
                {
                    let base = v.text.rsplit('/').next().unwrap_or("").to_owned();
                    if !names.contains(&base) {
                        names.push(base);
                    }
                }
            }
        }
    }
    names
}

fn is_image_definitions_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") && lower.contains("imagedefinitions")
}

fn is_image_detail(name: &str) -> bool {
    name.rsplit('/')
        .next()
        .is_some_and(|n| n.eq_ignore_ascii_case("imagedetail.json"))
}

/// What buildspecs write into image definition or image detail files.
fn buildspec_writes<'a>(cx: &Context<'a>) -> Vec<(&'a SourceFile, written::Written)> {
    let names = ecs_file_names(cx);
    let is_target = |n: &str| {
        is_image_definitions_name(n) || is_image_detail(n) || names.iter().any(|m| m == n)
    };
    let mut out = Vec::new();
    for file in cx.files.iter().filter(|f| f.kind == FileKind::Buildspec) {
        for root in file.roots() {
            for command in written::buildspec_commands(root) {
                for w in written::writes(&file.text, command, &is_target) {
                    out.push((file, w));
                }
            }
        }
    }
    out
}

fn check_written(
    file: &SourceFile,
    w: &written::Written,
    rule: &'static str,
    out: &mut Vec<Finding>,
    check: fn(&SourceFile, &Node, &mut Vec<Finding>),
) {
    match &w.doc {
        Ok(root) => check(file, root, out),
        Err((span, message)) => out.push(Finding::new(
            rule,
            file.at(*span),
            format!(
                "the text that {} writes into \"{}\" is not valid JSON ({message}): quote the whole JSON in single quotes and pass values as printf arguments",
                w.tool, w.target
            ),
        )),
    }
}

/// Checks one imagedefinitions document (a file, or JSON a buildspec writes).
pub fn check_image_definitions(file: &SourceFile, root: &Node, out: &mut Vec<Finding>) {
    let report = |out: &mut Vec<Finding>, node: &Node, message: String| {
        out.push(Finding::new(ID_DEFS, file.at(node.span), message));
    };
    let items = match &root.kind {
        NodeKind::Seq(items) => items,
        // Built by an expression (jq, Terraform): unknown.
        NodeKind::Expr(_) => return,
        NodeKind::Map(_) => {
            out.push(
                Finding::new(
                    ID_DEFS,
                    file.at(root.span),
                    "imagedefinitions is a single object: wrap it in an array `[{\"name\": ..., \"imageUri\": ...}]`",
                )
                .with_fix(crate::fix::edits::wrap_in_array(file, root.span)),
            );
            return;
        }
        _ => {
            return report(
                out,
                root,
                format!(
                    "imagedefinitions must be an array of {{\"name\", \"imageUri\"}} objects, not a {}",
                    root.type_name()
                ),
            );
        }
    };
    if items.is_empty() {
        return report(
            out,
            root,
            "imagedefinitions is an empty array: list each container to update with its name and imageUri".into(),
        );
    }
    for item in items {
        if let NodeKind::Expr(_) = item.kind {
            continue;
        }
        let NodeKind::Map(entries) = &item.kind else {
            report(
                out,
                item,
                format!(
                    "imagedefinitions entry is a {}: write an object {{\"name\": ..., \"imageUri\": ...}}",
                    item.type_name()
                ),
            );
            continue;
        };
        for (field, variants) in [("name", NAME_VARIANTS), ("imageUri", IMAGE_URI_VARIANTS)] {
            required_string(file, item, entries, field, variants, ID_DEFS, out);
        }
    }
}

const NAME_VARIANTS: &[&str] = &[
    "Name",
    "NAME",
    "containerName",
    "ContainerName",
    "container",
];
const IMAGE_URI_VARIANTS: &[&str] = &[
    "image", "Image", "imageURI", "ImageUri", "ImageURI", "imageUrl", "ImageUrl", "imageURL",
    "uri", "imageuri",
];

/// `imagedetail-shape`.
pub struct ImageDetailShape;

const ID_DETAIL: &str = "imagedetail-shape";

impl Rule for ImageDetailShape {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        if file.kind != FileKind::ImageDetail {
            return;
        }
        if let Some(root) = file.roots().first() {
            check_image_detail(file, root, out);
        }
    }

    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (file, w) in buildspec_writes(cx) {
            if is_image_detail(&w.target) {
                check_written(file, &w, ID_DETAIL, out, check_image_detail);
            }
        }
    }
}

/// Checks one imageDetail document (a file, or JSON a buildspec writes).
pub fn check_image_detail(file: &SourceFile, root: &Node, out: &mut Vec<Finding>) {
    match &root.kind {
        NodeKind::Expr(_) => {}
        NodeKind::Map(entries) => required_string(
            file,
            root,
            entries,
            "ImageURI",
            &[
                "imageUri", "ImageUri", "imageURI", "image", "Image", "ImageUrl", "imageuri",
            ],
            ID_DETAIL,
            out,
        ),
        _ => out.push(Finding::new(
            ID_DETAIL,
            file.at(root.span),
            format!(
                "imageDetail.json must be an object {{\"ImageURI\": \"<image>\"}}, not a{} {}",
                if root.type_name().starts_with(['a', 'o']) {
                    "n"
                } else {
                    ""
                },
                root.type_name()
            ),
        )),
    }
}

/// Reports a missing, misspelled, non-string or empty `field` of `object`.
fn required_string(
    file: &SourceFile,
    object: &Node,
    entries: &[Entry],
    field: &str,
    misspellings: &[&str],
    rule: &'static str,
    out: &mut Vec<Finding>,
) {
    let Some(entry) = entries.iter().rev().find(|e| e.key.text == field) else {
        let message = match entries
            .iter()
            .find(|e| misspellings.contains(&e.key.text.as_str()))
        {
            Some(wrong) => {
                out.push(
                    Finding::new(
                        rule,
                        file.at(wrong.key.span),
                        format!("key \"{}\" must be spelled \"{field}\"", wrong.key.text),
                    )
                    .with_fix(crate::fix::edits::rename_key(file, &wrong.key, field)),
                );
                return;
            }
            None => format!("entry has no \"{field}\": add it"),
        };
        out.push(Finding::new(rule, file.at(object.span), message));
        return;
    };
    match entry.value.as_str() {
        None if matches!(entry.value.kind, NodeKind::Expr(_)) => {}
        None => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" must be a string, not a {}", entry.value.type_name()),
        )),
        Some(s) if s.trim().is_empty() => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" is empty"),
        )),
        Some(s) if has_shell_variable(s) => out.push(Finding::new(
            rule,
            file.at(entry.value.span),
            format!("\"{field}\" holds the shell variable in \"{s}\", which was never expanded: write the file with double quotes so the shell substitutes it"),
        )),
        Some(_) => {}
    }
}

/// `$NAME` or `${NAME}` (but not a CloudFormation-style `${AWS::...}`).
fn has_shell_variable(s: &str) -> bool {
    s.match_indices('$').any(|(i, _)| {
        let rest = &s[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        rest.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    })
}

/// `image-container-name-mismatch`.
pub struct ImageContainerNameMismatch;

const ID_MISMATCH: &str = "image-container-name-mismatch";

impl Rule for ImageContainerNameMismatch {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // Every container of every task definition in the repository; silent
        // when there is none, or when one cannot be read.
        let mut defs = Vec::new();
        for file in cx.files {
            for def in &taskdef::of(file).defs {
                let Some(containers) = &def.containers else {
                    return;
                };
                if containers.iter().any(|c| c.name.is_dynamic()) {
                    return;
                }
                defs.push((file, def, containers));
            }
        }
        if defs.is_empty() {
            return;
        }
        let known = |name: &str| {
            defs.iter()
                .any(|(_, _, cs)| cs.iter().any(|c| c.name.text == name))
        };
        let report = |out: &mut Vec<Finding>, file: &SourceFile, name: &Val, what: &str| {
            if is_opaque(&name.text) || known(&name.text) {
                return;
            }
            let mut all: Vec<&str> = defs
                .iter()
                .flat_map(|(_, _, cs)| cs.iter().map(|c| c.name.text.as_str()))
                .collect();
            all.sort_unstable();
            all.dedup();
            let mut finding = Finding::new(
                ID_MISMATCH,
                file.at(name.span),
                format!(
                    "{what} \"{}\" is not a container of the task definition ({}): use the container's name",
                    name.text,
                    all.join(", ")
                ),
            );
            for (f, def, cs) in defs.iter().take(3) {
                let names: Vec<&str> = cs.iter().map(|c| c.name.text.as_str()).collect();
                finding = finding.related(
                    f.at(def.span),
                    format!(
                        "task definition {} declares {}",
                        def.label,
                        names.join(", ")
                    ),
                );
            }
            out.push(finding);
        };
        let definitions = |file: &SourceFile, root: &Node, out: &mut Vec<Finding>| {
            for item in root.items().unwrap_or(&[]) {
                if let Some(name) = item.get("name")
                    && let Some(text) = name.as_str()
                {
                    report(out, file, &Val::new(text, name.span), "container");
                }
            }
        };
        for file in cx.files {
            if file.kind == FileKind::ImageDefinitions
                && let Some(root) = file.roots().first()
            {
                definitions(file, root, out);
            }
            if let Some(spec) = appspec::of(file) {
                for t in &spec.ecs_targets {
                    if let Some(name) = &t.container_name {
                        report(out, file, name, "appspec ContainerName");
                    }
                }
            }
        }
        for (file, root) in renamed_image_definitions(cx) {
            if let Ok(root) = root {
                definitions(file, &root, out);
            }
        }
        for (file, w) in buildspec_writes(cx) {
            if let (false, Ok(root)) = (is_image_detail(&w.target), &w.doc) {
                definitions(file, root, out);
            }
        }
    }
}

/// A value only known later: an interpolation, a shell variable, a placeholder.
fn is_opaque(s: &str) -> bool {
    s.contains('$') || s.contains('<') || s.contains("%s")
}

/// `appspec-invalid`.
pub struct AppSpecInvalid;

const ID_APPSPEC: &str = "appspec-invalid";

impl Rule for AppSpecInvalid {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let Some(spec) = appspec::of(file) else {
            return;
        };
        let mut report = |span: Span, message: String| {
            out.push(Finding::new(ID_APPSPEC, file.at(span), message));
        };
        for (span, message) in &spec.problems {
            report(*span, message.clone());
        }
        if !spec.problems.is_empty() {
            return;
        }
        match &spec.version {
            None => report(
                Span::new(spec.root.start as usize, spec.root.start as usize),
                "appspec has no \"version\": add version: 0.0".into(),
            ),
            Some((_, Some(v))) if v.text == "0.0" || v.is_dynamic() => {}
            Some((key, v)) => report(
                v.as_ref().map_or(*key, |v| v.span),
                format!(
                    "appspec version \"{}\" is not valid: CodeDeploy accepts only 0.0",
                    v.as_ref().map_or("", |v| v.text.as_str())
                ),
            ),
        }
        for t in &spec.ecs_targets {
            let at = t.properties.unwrap_or(t.span);
            if t.task_definition.is_none() {
                report(
                    at,
                    "ECS target has no TaskDefinition: set it to <TASK_DEFINITION> (CodePipeline) or a task definition ARN".into(),
                );
            }
            let lb = t.load_balancer_info.unwrap_or(at);
            let missing: Vec<&str> = [
                ("ContainerName", t.container_name.is_none()),
                ("ContainerPort", t.container_port.is_none()),
            ]
            .into_iter()
            .filter_map(|(k, m)| m.then_some(k))
            .collect();
            if !missing.is_empty() {
                report(
                    lb,
                    format!(
                        "ECS target has no LoadBalancerInfo {}: name the container that receives traffic and its port",
                        missing.join(" or ")
                    ),
                );
            }
        }
        let valid = spec.platform.hooks();
        for hook in &spec.hooks {
            let known = |list: &[&str]| list.iter().any(|h| h.eq_ignore_ascii_case(&hook.name));
            if spec.platform == Platform::Ec2 && known(RESERVED_EC2_EVENTS) {
                if hook.has_scripts {
                    report(
                        hook.span,
                        format!(
                            "\"{}\" is run by CodeDeploy itself and cannot run scripts: move them to a hook such as BeforeInstall or AfterInstall",
                            hook.name
                        ),
                    );
                }
            } else if !known(valid) {
                report(
                    hook.span,
                    format!(
                        "\"{}\" is not a lifecycle hook of {} deployments: use one of {}",
                        hook.name,
                        spec.platform.as_str(),
                        valid.join(", ")
                    ),
                );
            }
        }
    }
}

/// `image-tag-mutable`.
pub struct ImageTagMutable;

const ID_TAG: &str = "image-tag-mutable";

impl Rule for ImageTagMutable {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        let mut check = |image: &Val| {
            if let Some(why) = mutable_image(&image.text) {
                out.push(Finding::new(
                    ID_TAG,
                    file.at(image.span),
                    format!(
                        "image \"{}\" {why}: deploy an immutable version tag or a digest (@sha256:...)",
                        image.text
                    ),
                ));
            }
        };
        let root = file.roots().first();
        match (file.kind, root) {
            (FileKind::ImageDefinitions, Some(root)) => {
                for item in root.items().unwrap_or(&[]) {
                    if let Some(uri) = item.get("imageUri")
                        && let Some(text) = uri.as_str()
                    {
                        check(&Val::new(text, uri.span));
                    }
                }
            }
            (FileKind::ImageDetail, Some(root)) => {
                if let Some(uri) = root.get("ImageURI")
                    && let Some(text) = uri.as_str()
                {
                    check(&Val::new(text, uri.span));
                }
            }
            _ => {}
        }
        for def in &taskdef::of(file).defs {
            for c in def.containers.iter().flatten() {
                if let Some(image) = &c.image {
                    check(image);
                }
            }
        }
    }
}

/// Why an image reference is mutable, if it is: `:latest`, or no tag or
/// digest at all. Values with unknown parts are only judged by a literal
/// `:latest`.
pub fn mutable_image(image: &str) -> Option<&'static str> {
    let image = image.trim();
    if image.is_empty() || image.contains('<') || image.contains("%s") || image.contains('@') {
        return None;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, "latest")) => Some("uses the mutable \"latest\" tag"),
        Some(_) => None,
        None if image.contains('$') => None,
        None => Some("has no tag, so it means \"latest\""),
    }
}

#[cfg(test)]
mod tests {
    use super::mutable_image;

    #[test]
    fn mutable_images() {
        assert!(mutable_image("web:latest").is_some());
        assert!(mutable_image("1.dkr.ecr.eu-west-1.amazonaws.com/web").is_some());
        assert!(mutable_image("localhost:5000/web").is_some());
        assert!(mutable_image("${Repo}:latest").is_some());
        assert!(mutable_image("localhost:5000/web:1.2").is_none());
        assert!(mutable_image("web@sha256:abc").is_none());
        assert!(mutable_image("<IMAGE1_NAME>").is_none());
        assert!(mutable_image("${Repo}:${Tag}").is_none());
        assert!(mutable_image("${ImageUri}").is_none());
        assert!(mutable_image("$REPO:$TAG").is_none());
    }
}
