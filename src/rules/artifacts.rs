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
    // Buildspecs written inline in CodeBuild projects: their trees point
    // into the project's file.
    for file in cx.files.iter().filter(|f| {
        matches!(
            f.kind,
            FileKind::CloudFormation | FileKind::Terraform | FileKind::CodeBuildProject
        )
    }) {
        for project in &crate::model::codebuild::of(file).projects {
            let Some(spec) = project.inline() else {
                continue;
            };
            for command in written::buildspec_commands(&spec.root) {
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
        Some(s) if matches!(field, "imageUri" | "ImageURI") && digest_problem(s).is_some() => {
            out.push(Finding::new(
                rule,
                file.at(entry.value.span),
                format!(
                    "\"{field}\" \"{s}\" has {}: write @sha256: followed by the 64 hex digits of the image digest, or a tag",
                    digest_problem(s).unwrap_or_default()
                ),
            ))
        }
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
                format!(
                    "{} appspec has no \"version\": add version: 0.0",
                    spec.platform.as_str()
                ),
            ),
            Some((_, Some(v))) if v.text == "0.0" || v.is_dynamic() => {}
            Some((key, v)) => report(
                v.as_ref().map_or(*key, |v| v.span),
                format!(
                    "{} appspec version \"{}\" is not valid: CodeDeploy accepts only 0.0",
                    spec.platform.as_str(),
                    v.as_ref().map_or("", |v| v.text.as_str())
                ),
            ),
        }
        let platform = spec.platform.as_str();
        for t in &spec.unknown_types {
            report(
                t.span,
                format!(
                    "resource type \"{}\" is not one CodeDeploy deploys: use AWS::ECS::Service (ECS) or AWS::Lambda::Function (Lambda)",
                    t.text
                ),
            );
        }
        for t in &spec.lambda_targets {
            if let Some(ty) =
                t.ty.as_ref()
                    .filter(|ty| !ty.is_dynamic() && ty.text != "AWS::Lambda::Function")
            {
                report(
                    ty.span,
                    format!(
                        "Lambda resource \"{}\" has type \"{}\": a Lambda appspec deploys AWS::Lambda::Function",
                        t.key, ty.text
                    ),
                );
            } else if t.ty.is_none() {
                report(
                    t.span,
                    format!(
                        "Lambda resource \"{}\" has no Type: set Type: AWS::Lambda::Function",
                        t.key
                    ),
                );
            }
            if !t.missing.is_empty() {
                report(
                    t.properties.unwrap_or(t.span),
                    format!(
                        "Lambda resource \"{}\" has no {}: a Lambda appspec needs Name, Alias, CurrentVersion and TargetVersion",
                        t.key,
                        t.missing.join(", ")
                    ),
                );
            }
        }
        for extra in spec.ecs_targets.iter().skip(1) {
            report(
                extra.span,
                "ECS appspec has a second TargetService: CodeDeploy deploys exactly one ECS service per appspec".into(),
            );
        }
        for t in &spec.ecs_targets {
            if let Some(ty) =
                t.ty.as_ref()
                    .filter(|ty| !ty.is_dynamic() && ty.text != "AWS::ECS::Service")
            {
                report(
                    ty.span,
                    format!(
                        "ECS TargetService has type \"{}\": an ECS appspec deploys AWS::ECS::Service",
                        ty.text
                    ),
                );
            }
            if let Some(port) = t.container_port.as_ref().filter(|p| !p.is_dynamic())
                && !port
                    .text
                    .trim()
                    .parse::<u32>()
                    .is_ok_and(|n| (1..=65535).contains(&n))
            {
                report(
                    port.span,
                    format!(
                        "ECS ContainerPort \"{}\" is not a port number: write the container's port as an integer",
                        port.text
                    ),
                );
            }
            if let Some(awsvpc) = t.awsvpc {
                match t.subnets {
                    None => report(
                        awsvpc,
                        "ECS AwsvpcConfiguration has no Subnets: list the subnets the tasks run in".into(),
                    ),
                    Some((span, Some(0))) => report(
                        span,
                        "ECS AwsvpcConfiguration Subnets is empty: list the subnets the tasks run in".into(),
                    ),
                    _ => {}
                }
            }
            if let Some(ip) = t.assign_public_ip.as_ref().filter(|v| !v.is_dynamic())
                && ip.text != "ENABLED"
                && ip.text != "DISABLED"
            {
                report(
                    ip.span,
                    format!(
                        "ECS AssignPublicIp \"{}\" is not ENABLED or DISABLED",
                        ip.text
                    ),
                );
            }
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
        if spec.platform == Platform::Ec2 {
            // The CodeDeploy agent refuses an appspec without `os: linux`
            // or `os: windows`.
            match &spec.os {
                None if spec.has_ec2_sections || spec.hooks_as_map => report(
                    Span::new(spec.root.start as usize, spec.root.start as usize),
                    "EC2/on-premises appspec has no \"os\": add os: linux (or windows)".into(),
                ),
                Some((key, v)) => {
                    if let Some(v) = v.as_ref().filter(|v| !v.is_dynamic()) {
                        if v.text != "linux" && v.text != "windows" {
                            report(
                                v.span,
                                format!(
                                    "EC2/on-premises appspec os \"{}\" is not linux or windows",
                                    v.text
                                ),
                            );
                        }
                    } else if v.is_none() {
                        report(
                            *key,
                            "EC2/on-premises appspec os is empty: write linux or windows".into(),
                        );
                    }
                }
                None => {}
            }
        }
        let valid = spec.platform.hooks();
        for hook in &spec.hooks {
            if spec.platform == Platform::Ec2 {
                if hook.empty || hook.not_a_list {
                    report(
                        hook.span,
                        format!(
                            "EC2/on-premises hook \"{}\" is not a list of scripts: the agent fails the deployment; list scripts with a location, or remove the hook",
                            hook.name
                        ),
                    );
                }
                for script in &hook.without_location {
                    report(
                        *script,
                        format!(
                            "EC2/on-premises hook \"{}\" has a script with no location: set location to the script's path in the revision",
                            hook.name
                        ),
                    );
                }
            }
            let known = |list: &[&str]| list.iter().any(|h| h.eq_ignore_ascii_case(&hook.name));
            if spec.platform == Platform::Ec2 && known(RESERVED_EC2_EVENTS) {
                if hook.has_scripts {
                    report(
                        hook.span,
                        format!(
                            "EC2/on-premises event \"{}\" is run by CodeDeploy itself and cannot run scripts: move them to a hook such as BeforeInstall or AfterInstall",
                            hook.name
                        ),
                    );
                }
            } else if known(valid) && hook.empty && spec.platform != Platform::Ec2 {
                report(
                    hook.span,
                    format!(
                        "{platform} hook \"{}\" has no value: name the Lambda function it runs, or remove the hook",
                        hook.name
                    ),
                );
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
        // The shape rules report malformed digests in imagedefinitions and
        // imageDetail files: one finding per defect.
        let shaped = matches!(
            file.kind,
            FileKind::ImageDefinitions | FileKind::ImageDetail
        );
        let mut check = |image: &Val| {
            if shaped && digest_problem(&image.text).is_some() {
                return;
            }
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

    /// The image references buildspecs write into imagedefinitions and
    /// imageDetail files, checked like committed ones. What the shell fills
    /// in (`<NAME>` in the evaluated text) is unknown; a literal `:latest`
    /// after it still counts.
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (file, w) in buildspec_writes(cx) {
            let Ok(root) = &w.doc else { continue };
            let images: Vec<&Node> = if is_image_detail(&w.target) {
                root.get("ImageURI").into_iter().collect()
            } else {
                root.items()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|i| i.get("imageUri"))
                    .collect()
            };
            for node in images {
                let Some(text) = node.as_str() else { continue };
                if digest_problem(text).is_some() {
                    continue;
                }
                let judged = shell_placeholders_as_unknown(text);
                if let Some(why) = mutable_image(&judged) {
                    let shown = judged.replace("${", "$").replace('}', "");
                    out.push(Finding::new(
                        ID_TAG,
                        file.at(node.span),
                        format!(
                            "image \"{shown}\" that {} writes into \"{}\" {why}: deploy an immutable version tag or a digest (@sha256:...)",
                            w.tool, w.target
                        ),
                    ));
                }
            }
        }
    }
}

/// `<REPO>:latest` (a shell expansion in evaluated text) -> `${REPO}:latest`.
fn shell_placeholders_as_unknown(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        out.push_str(&rest[..open]);
        out.push_str(&format!("${{{name}}}"));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// What is wrong with the digest of an image reference (`name@sha256:...`):
/// a digest is an algorithm and its hex digits, `sha256:` and 64 of them (or
/// `sha512:` and 128). `None` when there is no digest, it is well formed, or
/// part of it is filled in later (`$DIGEST`, `<...>`, `${...}`).
pub fn digest_problem(image: &str) -> Option<String> {
    let (_, digest) = image.trim().rsplit_once('@')?;
    if digest.contains(['$', '<', '{', '%']) {
        return None;
    }
    let hex = |h: &str, n: usize| {
        h.len() == n
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match digest.split_once(':') {
        Some(("sha256", h)) if hex(h, 64) => None,
        Some(("sha512", h)) if hex(h, 128) => None,
        Some(("sha256", h)) if h.bytes().all(|b| b.is_ascii_hexdigit()) && !h.is_empty() => {
            Some(format!("a digest of {} hex digits instead of 64", h.len()))
        }
        _ => Some(format!("a malformed digest \"{digest}\"")),
    }
}

/// Why an image reference is mutable, if it is: `:latest`, or no tag or
/// digest at all. Values with unknown parts are only judged by a literal
/// `:latest`. A malformed digest pins nothing: the reference is judged
/// without it.
pub fn mutable_image(image: &str) -> Option<&'static str> {
    let image = image.trim();
    if image.is_empty() || image.contains('<') || image.contains("%s") {
        return None;
    }
    let image = match image.rsplit_once('@') {
        Some(_) if digest_problem(image).is_none() => return None,
        Some((name, _)) => {
            let last = name.rsplit('/').next().unwrap_or(name);
            return match last.rsplit_once(':') {
                Some((_, "latest")) => {
                    Some("uses the mutable \"latest\" tag and a malformed digest")
                }
                Some(_) => None,
                None if name.contains('$') => None,
                None => Some("has a malformed digest and no tag, so it means \"latest\""),
            };
        }
        None => image,
    };
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
    use super::{digest_problem, mutable_image};

    #[test]
    fn mutable_images() {
        assert!(mutable_image("web:latest").is_some());
        assert!(mutable_image("1.dkr.ecr.eu-west-1.amazonaws.com/web").is_some());
        assert!(mutable_image("localhost:5000/web").is_some());
        assert!(mutable_image("${Repo}:latest").is_some());
        assert!(mutable_image("localhost:5000/web:1.2").is_none());
        assert!(mutable_image("web@sha256:abc").is_some());
        assert!(mutable_image("web@sha256:latest").is_some());
        assert!(mutable_image("web:1.2@sha256:abc").is_none());
        assert!(mutable_image("web:latest@sha256:abc").is_some());
        let digest = "a".repeat(64);
        assert!(mutable_image(&format!("web@sha256:{digest}")).is_none());
        assert!(mutable_image("web@$DIGEST").is_none());
        assert_eq!(digest_problem(&format!("web@sha256:{digest}")), None);
        assert_eq!(digest_problem("web:1"), None);
        assert_eq!(
            digest_problem("web@sha256:abc1").as_deref(),
            Some("a digest of 4 hex digits instead of 64")
        );
        assert!(digest_problem("web@sha256:latest").is_some());
        assert!(digest_problem(&format!("web@sha256:{}", "A".repeat(64))).is_some());
        assert!(digest_problem("web@${Digest}").is_none());
        assert!(mutable_image("<IMAGE1_NAME>").is_none());
        assert!(mutable_image("${Repo}:${Tag}").is_none());
        assert!(mutable_image("${ImageUri}").is_none());
        assert!(mutable_image("$REPO:$TAG").is_none());
    }
}
