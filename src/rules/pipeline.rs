//! CodePipeline rules: approvals before production, artifact store
//! encryption, blue/green for production ECS, legacy GitHub sources, and files
//! a deploy action needs that its build never packages.

use super::{Context, Rule};
use crate::finding::Finding;
use crate::model::fields::is_prod;
use crate::model::pipeline::{self, Action, Pipeline, Stage};
use crate::model::value::Val;
use crate::model::{buildspec, codebuild};
use crate::shell::follow::Workspace;
use crate::source::SourceFile;
use crate::syntax::{NodeKind, Span};

/// True when the stage or the action names production, or the action
/// deploys to a production target. Returns the value that says so.
fn prod_marker<'a>(stage: &'a Stage, action: &'a Action) -> Option<&'a Val> {
    if is_prod(&stage.name.text) {
        return Some(&stage.name);
    }
    if is_prod(&action.name.text) {
        return Some(&action.name);
    }
    action.targets().find(|v| is_prod(&v.text))
}

/// Why an action is taken to deploy to production: the value that says so
/// and how to say it.
struct Evidence<'a> {
    at: &'a Val,
    what: String,
}

fn evidence<'a>(
    stage: &'a Stage,
    action: &'a Action,
    prod_params: &[(String, String)],
) -> Option<Evidence<'a>> {
    if is_prod(&stage.name.text) {
        return Some(Evidence {
            at: &stage.name,
            what: format!("stage named \"{}\"", stage.name.text),
        });
    }
    if is_prod(&action.name.text) {
        return Some(Evidence {
            at: &action.name,
            what: format!("action named \"{}\"", action.name.text),
        });
    }
    if let Some(t) = action.targets().find(|v| is_prod(&v.text)) {
        return Some(Evidence {
            at: t,
            what: format!("target \"{}\"", t.text),
        });
    }
    if let Some(p) = action
        .config_value("ProjectName")
        .filter(|v| is_prod(&v.text))
    {
        return Some(Evidence {
            at: p,
            what: format!("CodeBuild project \"{}\"", p.text),
        });
    }
    if let Some(env) = action.config_value("EnvironmentVariables")
        && let Some(value) = env_values(&env.text).into_iter().find(|v| is_prod(v))
    {
        return Some(Evidence {
            at: env,
            what: format!("environment variable value \"{value}\""),
        });
    }
    // A parameter whose allowed values include production, used by the
    // stage or the action.
    let used = std::iter::once(&stage.name)
        .chain(std::iter::once(&action.name))
        .chain(
            action
                .configuration
                .iter()
                .filter_map(|c| c.written.as_ref()),
        );
    for v in used {
        for (name, allowed) in prod_params {
            if v.text.contains(&format!("${{{name}}}")) {
                return Some(Evidence {
                    at: v,
                    what: format!(
                        "parameter \"{name}\", whose allowed values include \"{allowed}\""
                    ),
                });
            }
        }
    }
    None
}

/// The `"value"` strings of a CodeBuild `EnvironmentVariables` JSON list.
fn env_values(text: &str) -> Vec<String> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| i.get("value").and_then(|v| v.as_str()).map(str::to_owned))
        .collect()
}

/// CloudFormation parameters whose `AllowedValues` include a production
/// value: (name, that value).
fn prod_parameters(file: &SourceFile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for root in file.roots() {
        // Terraform: a variable whose validation lists a production value
        // (`contains(["dev", "prod"], var.env)`).
        for e in root.entries().unwrap_or(&[]) {
            if e.key.text != "variable" {
                continue;
            }
            let NodeKind::Block(block) = &e.value.kind else {
                continue;
            };
            let [name] = &block.labels[..] else { continue };
            let text = file.slice(e.value.span);
            let Some(at) = text
                .find("validation")
                .and_then(|v| text[v..].find("condition").map(|c| v + c))
            else {
                continue;
            };
            let line = text[at..].lines().next().unwrap_or("");
            let quoted = line.split('"').skip(1).step_by(2);
            if let Some(v) = quoted.into_iter().find(|q| is_prod(q) && q.len() < 32) {
                out.push((format!("var.{}", name.text), v.to_owned()));
            }
        }
        let Some(params) = root.get("Parameters").and_then(|p| p.entries()) else {
            continue;
        };
        for p in params {
            let allowed = p
                .value
                .get("AllowedValues")
                .map(crate::model::value::values)
                .unwrap_or_default();
            if let Some(v) = allowed.iter().find(|v| is_prod(&v.text)) {
                out.push((p.key.text.to_string(), v.text.clone()));
            }
        }
    }
    out
}

/// Labels of the catalogue that deploy (not only publish an image or a
/// package).
fn deploys(label: &str) -> bool {
    let first = label.split_whitespace().next().unwrap_or("");
    match first {
        "aws" => !["aws ecr ", "aws ecr-public ", "aws codeartifact "]
            .iter()
            .any(|p| label.starts_with(p)),
        "cdk" | "sam" | "serverless" | "sls" | "terraform" | "tofu" | "terragrunt" | "pulumi"
        | "copilot" | "eb" | "ecs" | "kubectl" | "oc" | "helmfile" | "skaffold" | "argocd"
        | "firebase" | "netlify" | "fly" | "flyctl" | "vercel" => true,
        "helm" => !label.ends_with("push"),
        "boto3" => true,
        _ => false,
    }
}

/// What a non-Deploy action deploys: a CodeBuild project whose buildspec
/// runs a deploy command (the command's label), or a Lambda / Step
/// Functions invoke named for deploying.
fn deploys_through(
    cx: &Context<'_>,
    ws: &Workspace<'_>,
    root: &str,
    file: &SourceFile,
    action: &Action,
) -> Option<String> {
    if action.is_provider("CodeBuild") {
        let linked = buildspec_of(cx, root, file, action)?;
        let follower = ws.resolver(&linked.file.display, false);
        for (_, command) in linked.spec.commands() {
            let Some(text) = &command.text else { continue };
            if let Some(label) = deploy_in(text, &follower, 0) {
                return Some(format!("whose project runs \"{label}\""));
            }
        }
        return None;
    }
    if action.is_category("Invoke")
        && (action.is_provider("Lambda") || action.is_provider("StepFunctions"))
    {
        let named = action
            .config_value("FunctionName")
            .into_iter()
            .chain(action.config_value("StateMachineArn"))
            .chain(std::iter::once(&action.name))
            .find(|v| {
                let lower = v.text.to_ascii_lowercase();
                ["deploy", "release", "promote", "rollout"]
                    .iter()
                    .any(|w| lower.contains(w))
            })?;
        return Some(format!("which invokes \"{}\"", named.text));
    }
    None
}

/// The first deploy command of a command item, guarded or not, through
/// `sh -c` bodies, Makefiles and scripts (never judged by name alone).
fn deploy_in(text: &str, resolve: &dyn crate::shell::Resolve, depth: usize) -> Option<String> {
    for s in crate::shell::simple_commands(text) {
        if depth < 4
            && let Some(body) = crate::shell::commands::shell_c_body(&s)
        {
            if let Some(found) = deploy_in(&body, resolve, depth + 1) {
                return Some(found);
            }
            continue;
        }
        if let Some(hit) = resolve.publishes(&s)
            && !hit.by_name
            && deploys(&hit.label)
        {
            return Some(hit.label);
        }
    }
    None
}

/// `pipeline-prod-without-approval`.
pub struct ProdWithoutApproval;

impl Rule for ProdWithoutApproval {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let root = codebuild::repository_root(cx.files);
        let ws = Workspace::new(cx.files, root.clone());
        for file in cx.files {
            let pipelines = &pipeline::of(file).pipelines;
            if pipelines.is_empty() {
                continue;
            }
            let prod_params = prod_parameters(file);
            for p in pipelines {
                for (i, stage) in p.stages.iter().enumerate() {
                    let approved_before = p.stages[..i]
                        .iter()
                        .any(|s| s.actions.iter().any(Action::is_approval));
                    if approved_before {
                        continue;
                    }
                    let found = stage.actions.iter().find_map(|a| {
                        let evidence = evidence(stage, a, &prod_params).or_else(|| {
                            // A CodeBuild project named for production.
                            let Found::One(_, project) = project_of(cx, file, a) else {
                                return None;
                            };
                            let name = project
                                .refs
                                .iter()
                                .find(|r| !r.contains("${") && is_prod(r))?;
                            Some(Evidence {
                                at: a.config_value("ProjectName")?,
                                what: format!("CodeBuild project \"{name}\""),
                            })
                        })?;
                        let how = if a.is_category("Deploy") {
                            None
                        } else {
                            Some(deploys_through(cx, &ws, &root, file, a)?)
                        };
                        let order = a.run_order.unwrap_or(1);
                        let approved_here = stage
                            .actions
                            .iter()
                            .any(|b| b.is_approval() && b.run_order.unwrap_or(1) < order);
                        (!approved_here).then_some((a, evidence, how))
                    });
                    if let Some((a, evidence, how)) = found {
                        let through = how
                            .map(|h| format!(" through action \"{}\", {h},", a.name.text))
                            .unwrap_or_default();
                        out.push(Finding::new(
                            "pipeline-prod-without-approval",
                            file.at(evidence.at.span),
                            format!(
                                "stage \"{}\" deploys to production{through} with no manual approval before it (evidence of production: {}): add a Manual approval action in an earlier stage",
                                stage.name.text, evidence.what
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// `pipeline-artifact-store-default-key`.
pub struct ArtifactStoreDefaultKey;

fn account(arn: &Val) -> Option<&str> {
    if arn.is_dynamic() {
        return None;
    }
    arn.text
        .split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

/// Why the pipeline needs a customer-managed key beyond good practice.
fn crosses(p: &Pipeline) -> Option<&'static str> {
    if p.stores.len() > 1 || p.actions().any(|(_, _, a)| a.region.is_some()) {
        return Some("cross-region");
    }
    let own = p.role_arn.as_ref().and_then(account);
    let other = p
        .actions()
        .filter_map(|(_, _, a)| a.role_arn.as_ref().and_then(account))
        .any(|a| own.is_some_and(|o| o != a));
    other.then_some("cross-account")
}

impl Rule for ArtifactStoreDefaultKey {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for p in &pipeline::of(file).pipelines {
            let crossing = crosses(p);
            for store in &p.stores {
                if store.encryption_key.is_some() {
                    continue;
                }
                let region = store
                    .region
                    .as_ref()
                    .map_or(String::new(), |r| format!(" ({})", r.text));
                // One severity for the rule (GitHub reads it from the rule):
                // the cross-account/region case says so in its message.
                out.push(Finding::new(
                    "pipeline-artifact-store-default-key",
                    file.at(store.span),
                    match crossing {
                        Some(how) => format!(
                            "artifact store{region} has no encryptionKey, and the pipeline has a {how} action that cannot read artifacts under the AWS-managed S3 key: set a customer-managed KMS key"
                        ),
                        None => format!(
                            "artifact store{region} has no encryptionKey: artifacts use the AWS-managed S3 key; set a customer-managed KMS key"
                        ),
                    },
                ));
            }
        }
    }
}

/// `pipeline-prod-rolling-ecs`.
pub struct ProdRollingEcs;

impl Rule for ProdRollingEcs {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for p in &pipeline::of(file).pipelines {
            for (_, stage, a) in p.actions() {
                if !(a.is_category("Deploy") && a.is_provider("ECS")) {
                    continue;
                }
                let (Some(provider), Some(_)) = (&a.provider, prod_marker(stage, a)) else {
                    continue;
                };
                out.push(Finding::new(
                    "pipeline-prod-rolling-ecs",
                    file.at(provider.span),
                    format!(
                        "production action \"{}\" deploys with the rolling \"ECS\" provider: use CodeDeployToECS (blue/green) for a tested switch and instant rollback",
                        a.name.text
                    ),
                ));
            }
        }
    }
}

/// `pipeline-oauth-source`.
pub struct OauthSource;

impl Rule for OauthSource {
    fn check_file(&self, _cx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
        for p in &pipeline::of(file).pipelines {
            for (_, _, a) in p.actions() {
                let Some(provider) = &a.provider else {
                    continue;
                };
                let token = a.config("OAuthToken");
                let third_party = a
                    .owner
                    .as_ref()
                    .is_some_and(|o| o.text.eq_ignore_ascii_case("ThirdParty"));
                if !(a.is_category("Source")
                    && a.is_provider("GitHub")
                    && (third_party || token.is_some()))
                {
                    continue;
                }
                let mut finding = Finding::new(
                    "pipeline-oauth-source",
                    file.at(provider.span),
                    format!(
                        "source action \"{}\" uses the GitHub version 1 provider with an OAuth token: use a CodeStarSourceConnection (CodeConnections) connection",
                        a.name.text
                    ),
                );
                if let Some(t) = token {
                    finding = finding.related(file.at(t.key_span), "long-lived OAuth token");
                }
                out.push(finding);
            }
        }
    }
}

/// `pipeline-artifact-file-missing`.
pub struct ArtifactFileMissing;

const ID_FILE: &str = "pipeline-artifact-file-missing";

/// A file a deploy action reads from an input artifact.
struct Needed<'a> {
    artifact: &'a str,
    file: String,
    /// Where the action names the file (or, for a default, the artifact).
    at: Span,
}

fn needed(a: &Action) -> Vec<Needed<'_>> {
    let mut out = Vec::new();
    if !a.is_category("Deploy") {
        return out;
    }
    if a.is_provider("ECS") {
        let Some(input) = a.inputs.first().filter(|v| !v.is_dynamic()) else {
            return out;
        };
        match a.config_value("FileName") {
            Some(f) if f.is_dynamic() => {}
            Some(f) => out.push(Needed {
                artifact: &input.text,
                file: f.text.clone(),
                at: f.span,
            }),
            None => out.push(Needed {
                artifact: &input.text,
                file: "imagedefinitions.json".into(),
                at: a.provider.as_ref().map_or(input.span, |p| p.span),
            }),
        }
    } else if a.is_provider("CodeDeployToECS") {
        for (artifact_key, path_key, default) in [
            (
                "TaskDefinitionTemplateArtifact",
                "TaskDefinitionTemplatePath",
                "taskdef.json",
            ),
            (
                "AppSpecTemplateArtifact",
                "AppSpecTemplatePath",
                "appspec.yaml",
            ),
            ("Image1ArtifactName", "", "imageDetail.json"),
        ] {
            let Some(artifact) = a.config_value(artifact_key).filter(|v| !v.is_dynamic()) else {
                continue;
            };
            match a.config_value(path_key) {
                Some(p) if p.is_dynamic() => {}
                Some(p) => out.push(Needed {
                    artifact: &artifact.text,
                    file: p.text.clone(),
                    at: p.span,
                }),
                None => out.push(Needed {
                    artifact: &artifact.text,
                    file: default.into(),
                    at: artifact.span,
                }),
            }
        }
    }
    out
}

/// True when a buildspec `artifacts.files` pattern puts a file at `path` of
/// the artifact.
fn packages(pattern: &str, path: &str, discard_paths: bool) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let path = path.trim_start_matches("./");
    let glob = |p: &str, s: &str| {
        globset::GlobBuilder::new(p)
            .literal_separator(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(s))
    };
    if discard_paths {
        if path.contains('/') {
            return false;
        }
        let last = pattern.rsplit('/').next().unwrap_or(pattern);
        return last == "**" || glob(last, path);
    }
    glob(pattern, path)
}

/// The buildspec a CodeBuild action runs, when the repository says: the
/// project its `ProjectName` names (inline, by path, or the default
/// `buildspec.yml`), else the repository's only buildspec.
enum Found<'a> {
    One(&'a SourceFile, &'a codebuild::Project),
    None,
    /// Several projects of that name: which one runs is unknown.
    Ambiguous,
}

/// The CodeBuild project a `ProjectName` refers to: one in the pipeline's
/// own file, else the only one in the repository with that name.
fn project_of<'a>(cx: &Context<'a>, pipeline_file: &'a SourceFile, action: &Action) -> Found<'a> {
    let Some(name) = action.config_value("ProjectName") else {
        return Found::None;
    };
    let named = |f: &'a SourceFile| {
        codebuild::of(f)
            .projects
            .iter()
            .filter(|p| p.refs.contains(&name.text))
            .map(move |p| (f, p))
    };
    if let Some((f, p)) = named(pipeline_file).next() {
        return Found::One(f, p);
    }
    let mut all = cx.files.iter().flat_map(named);
    match (all.next(), all.next()) {
        (Some((f, p)), None) => Found::One(f, p),
        (None, _) => Found::None,
        (Some(_), Some(_)) => Found::Ambiguous,
    }
}

fn buildspec_of<'a>(
    cx: &Context<'a>,
    root: &str,
    pipeline_file: &'a SourceFile,
    action: &Action,
) -> Option<codebuild::Linked<'a>> {
    let project = match project_of(cx, pipeline_file, action) {
        Found::One(file, project) => Some((file, project)),
        Found::None => None,
        Found::Ambiguous => return None,
    };
    if let Some((file, project)) = project {
        return codebuild::linked(cx.files, root, file, project);
    }
    let mut buildspecs = cx
        .files
        .iter()
        .filter_map(|f| buildspec::of(f).map(|spec| (f, spec)));
    match (buildspecs.next(), buildspecs.next()) {
        (Some((file, spec)), None) => Some(codebuild::Linked { file, spec }),
        _ => None,
    }
}

impl Rule for ArtifactFileMissing {
    fn check_workspace(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let root = codebuild::repository_root(cx.files);
        for file in cx.files {
            for p in &pipeline::of(file).pipelines {
                for (_, _, action) in p.actions() {
                    for need in needed(action) {
                        let producer = p
                            .actions()
                            .map(|(_, _, a)| a)
                            .find(|a| a.outputs.iter().any(|o| o.text == need.artifact));
                        let Some(producer) = producer.filter(|a| a.is_provider("CodeBuild")) else {
                            continue;
                        };
                        let Some(linked) = buildspec_of(cx, &root, file, producer) else {
                            continue;
                        };
                        let (spec_file, spec) = (linked.file, linked.spec);
                        let empty = Default::default();
                        let arts = spec.artifacts.as_ref().unwrap_or(&empty);
                        let discard = arts.discard_paths.as_ref().is_some_and(|v| {
                            matches!(v.text.to_ascii_lowercase().as_str(), "yes" | "true")
                        });
                        // Secondary artifacts or `$VARS` make the content unknowable.
                        let unknown = !arts.secondary.is_empty()
                            || arts.files.iter().any(|f| f.text.contains('$'));
                        if unknown
                            || arts
                                .files
                                .iter()
                                .any(|f| packages(&f.text, &need.file, discard))
                        {
                            continue;
                        }
                        let listed_at = arts.files.first().map_or(spec.span, |f| f.span);
                        out.push(
                            Finding::new(
                                ID_FILE,
                                file.at(need.at),
                                format!(
                                    "action \"{}\" reads \"{}\" from artifact \"{}\", but {} never lists it under artifacts.files: add it there",
                                    action.name.text, need.file, need.artifact, spec_file.display
                                ),
                            )
                            .related(
                                spec_file.at(listed_at),
                                format!(
                                    "artifacts of the build that produces \"{}\"",
                                    need.artifact
                                ),
                            ),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{deploys, env_values, packages};

    #[test]
    fn deployments_and_mere_publishes() {
        for label in [
            "aws cloudformation deploy",
            "aws ecs update-service",
            "cdk deploy",
            "terraform apply",
            "kubectl apply",
            "helm upgrade",
            "boto3 update_service",
            "aws s3 sync",
        ] {
            assert!(deploys(label), "{label}");
        }
        for label in [
            "docker push",
            "aws ecr put-image",
            "npm publish",
            "helm push",
            "twine upload",
        ] {
            assert!(!deploys(label), "{label}");
        }
    }

    #[test]
    fn environment_values() {
        assert_eq!(
            env_values(r#"[{"name":"STAGE","value":"prod","type":"PLAINTEXT"}]"#),
            ["prod"]
        );
        assert!(env_values("not json").is_empty());
    }

    #[test]
    fn artifact_patterns() {
        assert!(packages(
            "imagedefinitions.json",
            "imagedefinitions.json",
            false
        ));
        assert!(packages("**/*", "imagedefinitions.json", false));
        assert!(packages("*.json", "imageDetail.json", false));
        assert!(!packages("build/**/*", "imagedefinitions.json", false));
        assert!(!packages("deploy/taskdef.json", "taskdef.json", false));
        assert!(packages("deploy/taskdef.json", "taskdef.json", true));
        assert!(packages("deploy/*", "appspec.yaml", true));
        assert!(!packages("deploy/*", "deploy/appspec.yaml", true));
        assert!(packages("./appspec.yaml", "appspec.yaml", false));
    }
}
