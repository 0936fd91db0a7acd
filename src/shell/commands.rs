//! What a simple command does: its program and arguments once assignments and
//! wrappers (`sudo`, `env`, `time`, ...) are stepped over, and the kinds of
//! command the rules care about.

use super::parse::{Simple, Word};

/// An argument: its text without quotes and the word it came from.
#[derive(Debug, Clone, Copy)]
pub struct Arg<'a> {
    pub word: &'a Word,
}

impl Arg<'_> {
    pub fn text(&self) -> String {
        self.word.unquoted()
    }
}

fn is_assignment(raw: &str) -> bool {
    let Some((name, _)) = raw.split_once('=') else {
        return false;
    };
    let name = name.strip_suffix('+').unwrap_or(name);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when the command only assigns variables.
pub fn is_assignment_only(s: &Simple) -> bool {
    !s.words.is_empty() && s.words.iter().all(|w| is_assignment(&w.raw))
}

/// The words that name the program and its arguments, without leading
/// assignments and wrappers.
pub fn argv(s: &Simple) -> Vec<Arg<'_>> {
    let mut words: &[Word] = &s.words;
    loop {
        while let Some((first, rest)) = words.split_first() {
            if is_assignment(&first.raw) {
                words = rest;
            } else {
                break;
            }
        }
        let Some((first, rest)) = words.split_first() else {
            break;
        };
        let name = base(&first.unquoted());
        match name.as_str() {
            "sudo" | "env" | "time" | "nohup" | "exec" | "command" | "nice" | "stdbuf"
                if !rest.is_empty() =>
            {
                words = rest;
                // Options of the wrapper (and the user of `sudo -u`).
                while let Some((w, r)) = words.split_first() {
                    let t = w.unquoted();
                    if t.starts_with('-') {
                        words = r;
                        if matches!(t.as_str(), "-u" | "-g" | "-n" | "-C") && name != "env" {
                            words = words.get(1..).unwrap_or(&[]);
                        }
                    } else if name == "env" && is_assignment(&w.raw) {
                        words = r;
                    } else {
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    words.iter().map(|word| Arg { word }).collect()
}

/// `/usr/bin/docker` -> `docker`.
fn base(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_owned()
}

/// The program a command runs (base name), if any.
pub fn program(s: &Simple) -> Option<String> {
    argv(s).first().map(|a| base(&a.text()))
}

/// Arguments that are not options, after the program.
fn operands(args: &[Arg<'_>]) -> Vec<String> {
    args.iter()
        .skip(1)
        .map(Arg::text)
        .filter(|t| !t.starts_with('-'))
        .collect()
}

/// AWS CLI global options that take a value.
const AWS_VALUE_OPTIONS: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--endpoint-url",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

/// `aws [global options] SERVICE OPERATION args...` -> (service, operation,
/// the remaining arguments).
fn aws_call(args: &[Arg<'_>]) -> Option<(String, String, Vec<String>)> {
    let mut rest = args.iter().skip(1).map(Arg::text);
    let mut positional = Vec::new();
    let mut others = Vec::new();
    while let Some(t) = rest.next() {
        if positional.len() < 2 && t.starts_with("--") {
            if !t.contains('=') && AWS_VALUE_OPTIONS.contains(&t.as_str()) {
                rest.next();
            }
            continue;
        }
        if positional.len() < 2 {
            positional.push(t);
        } else {
            others.push(t);
        }
    }
    let mut p = positional.into_iter();
    Some((p.next()?, p.next()?, others))
}

/// AWS CLI operations that publish or deploy, by service: the catalogue of
/// `rules/post-build-unguarded-publish.md`.
const AWS_PUBLISH: &[(&str, &[&str])] = &[
    ("ecr", &["put-image"]),
    ("ecr-public", &["put-image"]),
    ("s3api", &["put-object", "copy-object"]),
    (
        "lambda",
        &[
            "update-function-code",
            "update-function-configuration",
            "update-alias",
            "publish-version",
            "publish-layer-version",
            "create-function",
        ],
    ),
    (
        "ecs",
        &[
            "update-service",
            "create-service",
            "register-task-definition",
            "deploy",
        ],
    ),
    (
        "cloudformation",
        &[
            "deploy",
            "create-stack",
            "update-stack",
            "execute-change-set",
            "create-stack-set",
            "update-stack-set",
            "create-stack-instances",
            "update-stack-instances",
        ],
    ),
    ("deploy", &["create-deployment", "push"]),
    ("ssm", &["send-command", "start-automation-execution"]),
    (
        "elasticbeanstalk",
        &["update-environment", "create-application-version"],
    ),
    ("apprunner", &["start-deployment", "update-service"]),
    ("amplify", &["start-deployment", "start-job"]),
    ("codeartifact", &["publish-package-version"]),
    ("stepfunctions", &["update-state-machine"]),
    ("serverlessrepo", &["create-application-version"]),
    ("apigateway", &["create-deployment", "update-stage"]),
    ("apigatewayv2", &["create-deployment"]),
    ("codedeploy", &["create-deployment"]),
];

/// A publishing or deploying command: its short name (`docker push`, `aws s3
/// cp`), or `None`. The catalogue is documented in
/// `rules/post-build-unguarded-publish.md`.
pub fn publish(s: &Simple) -> Option<String> {
    let args = argv(s);
    let prog = base(&args.first()?.text());
    let ops = operands(&args);
    let first = ops.first().map(String::as_str).unwrap_or("");
    let second = ops.get(1).map(String::as_str).unwrap_or("");
    let has = |flag: &str| {
        args.iter().any(|a| {
            let t = a.text();
            t == flag || t.starts_with(&format!("{flag}="))
        })
    };
    let label = |l: &str| Some(l.to_owned());
    match prog.as_str() {
        "docker" | "podman" | "nerdctl" | "finch" => match (first, second) {
            ("push", _) => label(&format!("{prog} push")),
            ("image" | "manifest", "push") => label(&format!("{prog} {first} push")),
            ("compose", _) if ops.iter().skip(1).any(|o| o == "push") => {
                label(&format!("{prog} compose push"))
            }
            ("buildx", "build" | "b" | "bake")
                if args.iter().any(|a| {
                    let t = a.text();
                    t == "--push" || t.starts_with("--output=type=registry")
                }) =>
            {
                label(&format!("{prog} buildx {second} --push"))
            }
            ("buildx", "imagetools") if ops.get(2).map(String::as_str) == Some("create") => {
                label(&format!("{prog} buildx imagetools create"))
            }
            _ => None,
        },
        "docker-compose" | "podman-compose" if ops.iter().any(|o| o == "push") => {
            label(&format!("{prog} push"))
        }
        "buildah" if first == "push" => label("buildah push"),
        "skopeo" if matches!(first, "copy" | "sync") => label(&format!("skopeo {first}")),
        "crane" | "gcrane" if matches!(first, "push" | "copy" | "cp" | "append" | "mutate") => {
            label(&format!("crane {first}"))
        }
        "oras" if first == "push" => label("oras push"),
        "ko" if matches!(first, "build" | "publish" | "resolve" | "apply")
            && !args.iter().any(|a| {
                let t = a.text();
                t == "--push=false" || t == "--local" || t == "-L"
            }) =>
        {
            label(&format!("ko {first}"))
        }
        "aws" => {
            let (service, op, rest) = aws_call(&args)?;
            match (service.as_str(), op.as_str()) {
                ("s3", "cp" | "sync" | "mv") => {
                    let targets: Vec<&String> =
                        rest.iter().filter(|t| !t.starts_with('-')).collect();
                    (targets.len() >= 2 && targets.last()?.starts_with("s3://"))
                        .then(|| format!("aws s3 {op}"))
                }
                (service, op)
                    if AWS_PUBLISH
                        .iter()
                        .any(|(s, ops)| *s == service && ops.contains(&op)) =>
                {
                    Some(format!("aws {service} {op}"))
                }
                _ => None,
            }
        }
        "cdk" | "cdklocal" if first == "deploy" => label("cdk deploy"),
        "sam" if matches!(first, "deploy" | "publish" | "sync") => label(&format!("sam {first}")),
        "serverless" | "sls" if first == "deploy" => label(&format!("{prog} deploy")),
        "terraform" | "tofu" | "terragrunt"
            if first == "apply" || (first == "run-all" && second == "apply") =>
        {
            label(&format!("{prog} apply"))
        }
        "pulumi" if first == "up" || (first == "stack" && second == "up") => label("pulumi up"),
        "copilot" if first == "deploy" || second == "deploy" => label("copilot deploy"),
        "eb" if first == "deploy" => label("eb deploy"),
        // fabfuel/ecs-deploy: `ecs deploy CLUSTER SERVICE`.
        "ecs" if first == "deploy" => label("ecs deploy"),
        "firebase" | "netlify" | "flyctl" | "fly" if first == "deploy" => {
            label(&format!("{prog} deploy"))
        }
        "vercel" if first == "deploy" || has("--prod") => label("vercel deploy"),
        "npx" | "yarn" | "pnpm" | "bunx" | "bun" => {
            let skip = usize::from(matches!(first, "run" | "exec" | "dlx"));
            let tool = ops.get(skip).map(String::as_str).unwrap_or("");
            let tool = tool.trim_start_matches("aws-");
            let tool = tool.split('@').next().unwrap_or(tool);
            let verb = ops.get(skip + 1).map(String::as_str).unwrap_or("");
            match (tool, verb) {
                ("cdk", "deploy") => label("cdk deploy"),
                ("serverless" | "sls", "deploy") => label(&format!("{tool} deploy")),
                ("publish", _) if prog != "npx" && prog != "bunx" => {
                    label(&format!("{prog} publish"))
                }
                ("npm", "publish") => label("yarn npm publish"),
                ("lerna", "publish") => label("lerna publish"),
                ("changeset", "publish") => label("changeset publish"),
                ("semantic-release", _) => label("semantic-release"),
                _ => None,
            }
        }
        "lerna" if first == "publish" => label("lerna publish"),
        "semantic-release" => label("semantic-release"),
        "kubectl" | "oc" => {
            let sub = kubectl_sub(&args)?;
            let sub2 = {
                let texts: Vec<String> = args.iter().skip(1).map(Arg::text).collect();
                let at = texts.iter().position(|t| *t == sub)?;
                texts
                    .iter()
                    .skip(at + 1)
                    .find(|t| !t.starts_with('-'))
                    .cloned()
                    .unwrap_or_default()
            };
            match (sub.as_str(), sub2.as_str()) {
                ("apply" | "create" | "replace" | "patch", _) => label(&format!("{prog} {sub}")),
                ("set", "image") => label(&format!("{prog} set image")),
                ("rollout", "restart") => label(&format!("{prog} rollout restart")),
                _ => None,
            }
        }
        "helm"
            if matches!(
                first,
                "upgrade" | "install" | "push" | "cm-push" | "rollback"
            ) =>
        {
            label(&format!("helm {first}"))
        }
        "helmfile" if matches!(first, "apply" | "sync" | "deploy") => {
            label(&format!("helmfile {first}"))
        }
        "skaffold" if matches!(first, "deploy" | "run") => label(&format!("{prog} {first}")),
        "argocd" if first == "app" && second == "sync" => label("argocd app sync"),
        "npm" if first == "publish" => label("npm publish"),
        "twine" if first == "upload" => label("twine upload"),
        "poetry" | "flit" | "hatch" | "uv" | "pdm" if first == "publish" => {
            label(&format!("{prog} publish"))
        }
        "cargo" if first == "publish" => label("cargo publish"),
        "gem" if first == "push" => label("gem push"),
        "dotnet" if first == "nuget" && second == "push" => label("dotnet nuget push"),
        "nuget" | "nuget.exe" if first == "push" => label("nuget push"),
        "mvn" | "mvnw" | "mvnd"
            if ops.iter().any(|o| {
                o == "deploy"
                    || o.ends_with(":deploy")
                    || o.ends_with(":deploy-file")
                    || o == "jib:build"
                    || o.ends_with("jib-maven-plugin:build")
            }) =>
        {
            label("mvn deploy")
        }
        "gradle" | "gradlew"
            if ops.iter().any(|o| {
                let task = o.rsplit(':').next().unwrap_or(o);
                (task.starts_with("publish") && !task.ends_with("MavenLocal"))
                    || task == "jib"
                    || task == "bootBuildImage" && has("--publishImage")
            }) =>
        {
            label("gradle publish")
        }
        "sbt"
            if ops
                .iter()
                .any(|o| o.contains("publish") && !o.contains("publishLocal")) =>
        {
            label("sbt publish")
        }
        "goreleaser" if first == "release" || first.is_empty() => label("goreleaser release"),
        "gh" if first == "release" && matches!(second, "create" | "upload") => {
            label(&format!("gh release {second}"))
        }
        "jf" | "jfrog" if first == "rt" && matches!(second, "upload" | "u" | "docker-push") => {
            label(&format!("jf rt {second}"))
        }
        "conan" if first == "upload" => label("conan upload"),
        _ => python_module(&args),
    }
}

/// `python -m twine upload`, `python -m awscli ...` is not followed.
fn python_module(args: &[Arg<'_>]) -> Option<String> {
    let prog = base(&args.first()?.text());
    if !prog.starts_with("python") {
        return None;
    }
    let texts: Vec<String> = args.iter().map(Arg::text).collect();
    let m = texts.iter().position(|t| t == "-m")?;
    (texts.get(m + 1).map(String::as_str) == Some("twine")
        && texts.get(m + 2).map(String::as_str) == Some("upload"))
    .then(|| "twine upload".to_owned())
}

/// The subcommand of `kubectl` after options that take values.
fn kubectl_sub(args: &[Arg<'_>]) -> Option<String> {
    let mut it = args.iter().skip(1).map(Arg::text);
    while let Some(t) = it.next() {
        if t.starts_with('-') {
            if !t.contains('=')
                && matches!(
                    t.as_str(),
                    "-n" | "--namespace" | "--context" | "--kubeconfig" | "--cluster" | "--user"
                )
            {
                it.next();
            }
            continue;
        }
        return Some(t);
    }
    None
}

/// The Docker subcommand (`build`, `push`, `buildx build`, `compose up`),
/// for commands that talk to the Docker daemon.
pub fn docker(s: &Simple) -> Option<String> {
    let args = argv(s);
    let prog = base(&args.first()?.text());
    let ops = operands(&args);
    let first = ops.first().cloned()?;
    match prog.as_str() {
        "docker" => match first.as_str() {
            "version" | "help" => None,
            "buildx" | "compose" | "image" | "container" | "manifest" => Some(match ops.get(1) {
                Some(sub) => format!("{first} {sub}"),
                None => first,
            }),
            _ => Some(first),
        },
        "docker-compose" => Some(format!("compose {first}")),
        _ => None,
    }
}

/// True for a Docker image build (`docker build`, `docker image build`,
/// `docker buildx build`, `docker compose build`).
pub fn is_docker_build(s: &Simple) -> bool {
    docker(s).is_some_and(|sub| {
        matches!(
            sub.as_str(),
            "build"
                | "image build"
                | "buildx build"
                | "buildx b"
                | "compose build"
                | "builder build"
        )
    })
}

/// True when a build refreshes its base images or skips the layer cache.
pub fn refreshes_layers(s: &Simple) -> bool {
    argv(s).iter().any(|a| {
        let t = a.text();
        let (flag, value) = t.split_once('=').unwrap_or((t.as_str(), "true"));
        matches!(flag, "--pull" | "--no-cache") && !value.eq_ignore_ascii_case("false")
    })
}

/// Commands that need a privileged build container, or that run something
/// this analysis cannot see into (scripts, make).
pub fn may_need_privilege(s: &Simple) -> bool {
    if docker(s).is_some() {
        return true;
    }
    let args = argv(s);
    let Some(first) = args.first() else {
        return false;
    };
    let raw = first.text();
    let prog = base(&raw);
    matches!(
        prog.as_str(),
        "dockerd"
            | "buildah"
            | "podman"
            | "kind"
            | "minikube"
            | "mount"
            | "modprobe"
            | "sysctl"
            | "make"
            | "source"
            | "."
            | "docker-compose"
    ) || raw.contains('/')
        || raw.ends_with(".sh")
        || (matches!(prog.as_str(), "bash" | "sh")
            && args.get(1).is_some_and(|a| !a.text().starts_with('-')))
}

/// True for a `[[ ... ]]` test (a bash keyword, not a POSIX command).
pub fn is_double_bracket(s: &Simple) -> bool {
    argv(s).first().is_some_and(|a| a.text() == "[[")
}

/// The value an operand compares `CODEBUILD_BUILD_SUCCEEDING` through: the
/// text around the reference (`x$CODEBUILD_BUILD_SUCCEEDING` -> `("x", "")`),
/// when the operand holds exactly one reference to it.
fn succeeding_ref(t: &str) -> Option<(&str, &str)> {
    const NAME: &str = "CODEBUILD_BUILD_SUCCEEDING";
    let at = t.find(NAME)?;
    let before = t.get(..at)?;
    let after = t.get(at + NAME.len()..)?;
    if let Some(prefix) = before.strip_suffix("${") {
        // `${NAME}`, `${NAME:-1}`: up to the closing brace.
        let rest = after.get(after.find('}')? + 1..)?;
        if !after.starts_with(['}', ':', '-']) {
            return None;
        }
        Some((prefix, rest))
    } else if let Some(prefix) = before.strip_suffix('$') {
        if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        Some((prefix, after))
    } else {
        None
    }
}

/// The value `CODEBUILD_BUILD_SUCCEEDING` is compared with, and whether the
/// test asserts that the build is succeeding (`Some(true)`) or failing
/// (`Some(false)`). Understands `[ ... ]`, `[[ ... ]]` and `test ...` with
/// `=`, `==`, `!=`, `-eq`, `-ne`, `-gt`, `-ge`, `-lt`, `-le`, a leading
/// `!`, and padded operands (`"x$CODEBUILD_BUILD_SUCCEEDING" = "x0"`).
pub fn succeeding_test(s: &Simple) -> Option<bool> {
    let args = argv(s);
    let texts: Vec<String> = args.iter().map(Arg::text).collect();
    let inner: &[String] = match texts.first().map(String::as_str) {
        Some("[") if texts.last().map(String::as_str) == Some("]") => {
            texts.get(1..texts.len() - 1)?
        }
        Some("[[") if texts.last().map(String::as_str) == Some("]]") => {
            texts.get(1..texts.len() - 1)?
        }
        Some("test") => texts.get(1..)?,
        _ => return None,
    };
    let (negated, inner) = match inner.split_first() {
        Some((bang, rest)) if bang == "!" => (true, rest),
        _ => (false, inner),
    };
    let [lhs, op, rhs] = inner else {
        return None;
    };
    // The variable's side, the other side, and whether they were swapped
    // (`1 -le $X` reads as `$X -ge 1`).
    let (padding, other, swapped) = match (succeeding_ref(lhs), succeeding_ref(rhs)) {
        (Some(p), None) => (p, rhs, false),
        (None, Some(p)) => (p, lhs, true),
        _ => return None,
    };
    let (prefix, suffix) = padding;
    let value = other.strip_prefix(prefix)?.strip_suffix(suffix)?;
    let one = match value {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let numeric = prefix.is_empty() && suffix.is_empty();
    // Whether the test is true for the value 1 (succeeding), given that the
    // variable is 0 or 1.
    let op = match (op.as_str(), swapped) {
        ("-gt", true) => "-lt",
        ("-lt", true) => "-gt",
        ("-ge", true) => "-le",
        ("-le", true) => "-ge",
        (op, _) => op,
    };
    let when_one = match op {
        "=" | "==" | "-eq" => one,
        "!=" | "-ne" => !one,
        "-gt" if numeric && !one => true,
        "-ge" if numeric && one => true,
        "-lt" if numeric && one => false,
        "-le" if numeric && !one => false,
        _ => return None,
    };
    Some(when_one != negated)
}

/// The script of `sh -c 'SCRIPT'` (`bash`, `dash`, `zsh`, also behind
/// `sudo`/`env`), without its quotes.
pub fn shell_c_body(s: &Simple) -> Option<String> {
    let args = argv(s);
    if !is_shell_name(&base(&args.first()?.text())) {
        return None;
    }
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let t = a.text();
        if !t.starts_with('-') {
            return None;
        }
        // `-c`, `-ec`, `-xc`, `-lc`: the next word is the script.
        if t.len() > 1 && !t.starts_with("--") && t[1..].contains('c') {
            return it.next().map(Arg::text);
        }
    }
    None
}

/// `exit N`: `Some(N)` (a bare `exit` or an unknown status counts as 0).
pub fn exit_status(s: &Simple) -> Option<i64> {
    let args = argv(s);
    let prog = args.first()?.text();
    if prog != "exit" {
        return None;
    }
    Some(
        args.get(1)
            .and_then(|a| a.text().parse::<i64>().ok())
            .unwrap_or(0),
    )
}

/// What `set` does to errexit: `Some(true)` for `set -e`, `set -eux`, `set
/// -o errexit`, `Some(false)` for `set +e` / `set +o errexit`.
pub fn errexit(s: &Simple) -> Option<bool> {
    set_option(s, 'e', "errexit")
}

/// `set -x` / `set -o xtrace`.
pub fn xtrace(s: &Simple) -> bool {
    set_option(s, 'x', "xtrace") == Some(true)
}

fn set_option(s: &Simple, short: char, long: &str) -> Option<bool> {
    let args = argv(s);
    if args.first()?.text() != "set" {
        return None;
    }
    let texts: Vec<String> = args.iter().skip(1).map(Arg::text).collect();
    let mut result = None;
    let mut i = 0;
    while let Some(t) = texts.get(i) {
        let on = t.starts_with('-');
        if !on && !t.starts_with('+') {
            i += 1;
            continue;
        }
        let flags = &t[1..];
        if flags == "o" {
            if texts.get(i + 1).map(String::as_str) == Some(long) {
                result = Some(on);
            }
            i += 2;
            continue;
        }
        if flags.chars().all(|c| c.is_ascii_alphabetic()) && flags.contains(short) {
            result = Some(on);
        }
        // `-euo pipefail`: `o` takes the next word.
        if flags.len() > 1 && flags.ends_with('o') {
            if texts.get(i + 1).map(String::as_str) == Some(long) {
                result = Some(on);
            }
            i += 1;
        }
        i += 1;
    }
    result
}

/// `curl` or `wget`.
pub fn is_fetch(s: &Simple) -> bool {
    program(s).is_some_and(|p| matches!(p.as_str(), "curl" | "wget"))
}

/// A shell interpreter (`sh`, `bash`, ...).
pub fn is_shell(s: &Simple) -> bool {
    program(s).is_some_and(|p| is_shell_name(&p))
}

fn is_shell_name(p: &str) -> bool {
    matches!(p, "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" | "fish")
}

/// A shell run on downloaded code through process or command substitution:
/// `bash <(curl ...)`, `sh -c "$(wget -O- ...)"`.
pub fn shell_runs_fetched(s: &Simple) -> bool {
    let args = argv(s);
    if !args
        .first()
        .is_some_and(|a| is_shell_name(&base(&a.text())))
    {
        return false;
    }
    args.iter().skip(1).any(|a| {
        let raw = a.word.raw.replace(' ', "");
        ["<(curl", "<(wget", "$(curl", "$(wget", "`curl", "`wget"]
            .iter()
            .any(|p| raw.contains(p))
    })
}

/// Names of the variables a word expands (`$NAME`, `${NAME}`, `${NAME:-x}`),
/// outside single quotes.
pub fn var_refs(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut double = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' if !double => {
                i = raw
                    .get(i + 1..)
                    .and_then(|r| r.find('\''))
                    .map_or(bytes.len(), |n| i + n + 2);
                continue;
            }
            b'"' => double = !double,
            b'\\' => i += 1,
            b'$' => {
                let mut j = i + 1;
                if bytes.get(j) == Some(&b'{') {
                    j += 1;
                }
                let start = j;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                if j > start
                    && let Some(name) = raw.get(start..j)
                {
                    out.push(name.to_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parse::{parse, simples};

    fn first(src: &str) -> Simple {
        let list = parse(src);
        simples(&list)[0].clone()
    }

    #[test]
    fn publishing_commands() {
        let p = |s: &str| publish(&first(s));
        assert_eq!(p("docker push $REPO:$TAG").as_deref(), Some("docker push"));
        assert_eq!(
            p("sudo docker image push x").as_deref(),
            Some("docker image push")
        );
        assert_eq!(
            p("docker buildx build --push -t x .").as_deref(),
            Some("docker buildx build --push")
        );
        assert_eq!(p("docker buildx build -t x .").as_deref(), None);
        assert_eq!(
            p("aws --region us-east-1 s3 cp dist/ s3://bucket/ --recursive").as_deref(),
            Some("aws s3 cp")
        );
        assert_eq!(p("aws s3 cp s3://bucket/x ./x").as_deref(), None);
        assert_eq!(
            p("aws s3 sync build s3://site").as_deref(),
            Some("aws s3 sync")
        );
        assert_eq!(
            p("aws ecs update-service --cluster c --service s --force-new-deployment").as_deref(),
            Some("aws ecs update-service")
        );
        assert_eq!(p("aws ecs describe-services").as_deref(), None);
        assert_eq!(p("npx cdk deploy --all").as_deref(), Some("cdk deploy"));
        assert_eq!(p("npx aws-cdk deploy").as_deref(), Some("cdk deploy"));
        assert_eq!(
            p("kubectl -n prod apply -f k8s/").as_deref(),
            Some("kubectl apply")
        );
        assert_eq!(
            p("helm upgrade --install web chart").as_deref(),
            Some("helm upgrade")
        );
        assert_eq!(p("mvn -B clean deploy").as_deref(), Some("mvn deploy"));
        assert_eq!(p("./gradlew publish").as_deref(), Some("gradle publish"));
        assert_eq!(p("./gradlew publishToMavenLocal").as_deref(), None);
        assert_eq!(
            p("python -m twine upload dist/*").as_deref(),
            Some("twine upload")
        );
        assert_eq!(p("FOO=1 npm publish").as_deref(), Some("npm publish"));
        assert_eq!(p("echo docker push").as_deref(), None);
        assert_eq!(p("npm test").as_deref(), None);
    }

    /// Every entry of the catalogue in `rules/post-build-unguarded-publish.md`.
    #[test]
    fn publishing_catalogue() {
        let p = |s: &str| publish(&first(s));
        for (cmd, label) in [
            ("docker compose push", "docker compose push"),
            ("docker-compose -f ci.yml push web", "docker-compose push"),
            ("podman push x", "podman push"),
            ("docker manifest push x", "docker manifest push"),
            ("docker buildx bake --push", "docker buildx bake --push"),
            ("buildah push x", "buildah push"),
            ("skopeo copy oci:x docker://r/x", "skopeo copy"),
            ("crane push img.tar r/x", "crane push"),
            ("oras push r/x:1 a.txt", "oras push"),
            ("ko build ./cmd/app", "ko build"),
            (
                "aws ecr put-image --repository-name r --image-tag t",
                "aws ecr put-image",
            ),
            (
                "aws ecr-public put-image --repository-name r",
                "aws ecr-public put-image",
            ),
            (
                "aws s3 cp --acl public-read a.zip s3://b/a.zip",
                "aws s3 cp",
            ),
            ("aws s3 mv a s3://b/a", "aws s3 mv"),
            (
                "aws s3api put-object --bucket b --key k --body f",
                "aws s3api put-object",
            ),
            (
                "aws lambda update-function-code --function-name f",
                "aws lambda update-function-code",
            ),
            (
                "aws lambda update-alias --name live --function-version 3",
                "aws lambda update-alias",
            ),
            (
                "aws lambda publish-version --function-name f",
                "aws lambda publish-version",
            ),
            (
                "aws lambda publish-layer-version --layer-name l",
                "aws lambda publish-layer-version",
            ),
            (
                "aws ecs register-task-definition --cli-input-json file://t.json",
                "aws ecs register-task-definition",
            ),
            (
                "aws ecs create-service --service-name s",
                "aws ecs create-service",
            ),
            ("aws ecs deploy --service s", "aws ecs deploy"),
            (
                "aws cloudformation deploy --stack-name s",
                "aws cloudformation deploy",
            ),
            (
                "aws cloudformation update-stack --stack-name s",
                "aws cloudformation update-stack",
            ),
            (
                "aws cloudformation create-stack --stack-name s",
                "aws cloudformation create-stack",
            ),
            (
                "aws cloudformation execute-change-set --change-set-name c",
                "aws cloudformation execute-change-set",
            ),
            (
                "aws deploy create-deployment --application-name a",
                "aws deploy create-deployment",
            ),
            (
                "aws deploy push --application-name a --s3-location s3://b/k",
                "aws deploy push",
            ),
            (
                "aws ssm send-command --document-name AWS-RunShellScript",
                "aws ssm send-command",
            ),
            (
                "aws elasticbeanstalk update-environment --environment-name e",
                "aws elasticbeanstalk update-environment",
            ),
            (
                "aws apprunner start-deployment --service-arn a",
                "aws apprunner start-deployment",
            ),
            (
                "aws amplify start-deployment --app-id a",
                "aws amplify start-deployment",
            ),
            (
                "aws codeartifact publish-package-version --domain d",
                "aws codeartifact publish-package-version",
            ),
            ("cdk deploy --all --require-approval never", "cdk deploy"),
            ("yarn cdk deploy", "cdk deploy"),
            ("npm run cdk deploy", ""),
            ("sam deploy --no-confirm-changeset", "sam deploy"),
            ("sam sync --stack-name s", "sam sync"),
            ("serverless deploy --stage prod", "serverless deploy"),
            ("sls deploy -s prod", "sls deploy"),
            ("npx serverless deploy", "serverless deploy"),
            ("npx sls deploy", "sls deploy"),
            ("terraform apply -auto-approve tfplan", "terraform apply"),
            (
                "terraform -chdir=infra apply -auto-approve",
                "terraform apply",
            ),
            ("tofu apply", "tofu apply"),
            ("terragrunt run-all apply", "terragrunt apply"),
            ("pulumi up --yes", "pulumi up"),
            ("copilot svc deploy --name api", "copilot deploy"),
            ("eb deploy prod-env", "eb deploy"),
            ("kubectl create -f k8s/", "kubectl create"),
            (
                "kubectl set image deployment/web web=r/x:1",
                "kubectl set image",
            ),
            (
                "kubectl rollout restart deployment/web",
                "kubectl rollout restart",
            ),
            ("helm install web ./chart", "helm install"),
            ("helm push chart.tgz oci://r", "helm push"),
            ("helmfile apply", "helmfile apply"),
            ("skaffold run", "skaffold run"),
            ("argocd app sync web", "argocd app sync"),
            ("yarn publish", "yarn publish"),
            ("pnpm publish --no-git-checks", "pnpm publish"),
            ("yarn npm publish", "yarn npm publish"),
            ("npx lerna publish from-package", "lerna publish"),
            ("poetry publish --build", "poetry publish"),
            ("uv publish", "uv publish"),
            ("twine upload dist/*", "twine upload"),
            ("cargo publish", "cargo publish"),
            ("gem push x.gem", "gem push"),
            ("dotnet nuget push x.nupkg --source s", "dotnet nuget push"),
            ("mvn deploy", "mvn deploy"),
            ("mvn compile jib:build", "mvn deploy"),
            ("./gradlew publishToSonatype", "gradle publish"),
            ("gradle jib", "gradle publish"),
            ("sbt publish", "sbt publish"),
            ("goreleaser release --clean", "goreleaser release"),
            ("gh release create v1 dist/*", "gh release create"),
            (
                "aws apigateway create-deployment --rest-api-id a --stage-name prod",
                "aws apigateway create-deployment",
            ),
            (
                "ecs deploy web-cluster web --image web r/web:1",
                "ecs deploy",
            ),
            ("firebase deploy --only hosting", "firebase deploy"),
            ("vercel --prod", "vercel deploy"),
            ("jf rt upload a.jar repo/", "jf rt upload"),
        ] {
            let want = (!label.is_empty()).then(|| label.to_owned());
            assert_eq!(p(cmd), want, "{cmd}");
        }
        for quiet in [
            "docker compose up -d",
            "docker-compose build",
            "aws ecr get-login-password",
            "aws ecs describe-task-definition --task-definition t",
            "aws lambda get-function --function-name f",
            "aws cloudformation package --template-file t.yml --s3-bucket b",
            "aws cloudformation validate-template --template-body file://t.yml",
            "aws ssm get-parameter --name p",
            "aws s3 ls s3://b",
            "terraform plan -out tfplan",
            "terraform init",
            "sam build",
            "sam package --s3-bucket b",
            "serverless package",
            "cdk synth",
            "kubectl get pods",
            "kubectl diff -f k8s/",
            "helm template web ./chart",
            "helm lint ./chart",
            "npm pack",
            "poetry build",
            "mvn package",
            "gradle build",
            "ko build --push=false ./cmd/app",
            "pulumi preview",
        ] {
            assert_eq!(p(quiet), None, "{quiet}");
        }
    }

    #[test]
    fn success_tests() {
        let t = |s: &str| succeeding_test(&first(s));
        assert_eq!(
            t("[ \"$CODEBUILD_BUILD_SUCCEEDING\" = \"0\" ]"),
            Some(false)
        );
        assert_eq!(t("[ $CODEBUILD_BUILD_SUCCEEDING -eq 1 ]"), Some(true));
        assert_eq!(t("[[ ${CODEBUILD_BUILD_SUCCEEDING} != 1 ]]"), Some(false));
        assert_eq!(t("test \"$CODEBUILD_BUILD_SUCCEEDING\" -ne 0"), Some(true));
        assert_eq!(t("[ ! \"$CODEBUILD_BUILD_SUCCEEDING\" = 1 ]"), Some(false));
        assert_eq!(t("[ \"$OTHER\" = 1 ]"), None);
        assert_eq!(t("[ \"$CODEBUILD_BUILD_SUCCEEDING\" = yes ]"), None);
        assert_eq!(
            t("[ \"x$CODEBUILD_BUILD_SUCCEEDING\" = \"x0\" ]"),
            Some(false)
        );
        assert_eq!(
            t("[ \"x${CODEBUILD_BUILD_SUCCEEDING}\" != x1 ]"),
            Some(false)
        );
        assert_eq!(t("[ \"x$CODEBUILD_BUILD_SUCCEEDING\" = \"y0\" ]"), None);
        assert_eq!(t("[ \"$CODEBUILD_BUILD_SUCCEEDINGX\" = 1 ]"), None);
        assert_eq!(
            t("[ \"${CODEBUILD_BUILD_SUCCEEDING:-0}\" = 1 ]"),
            Some(true)
        );
        assert_eq!(t("[ $CODEBUILD_BUILD_SUCCEEDING -lt 1 ]"), Some(false));
        assert_eq!(t("[ $CODEBUILD_BUILD_SUCCEEDING -gt 0 ]"), Some(true));
        assert_eq!(t("[ 1 -le $CODEBUILD_BUILD_SUCCEEDING ]"), Some(true));
        assert_eq!(t("[ 0 = \"$CODEBUILD_BUILD_SUCCEEDING\" ]"), Some(false));
        assert_eq!(
            shell_c_body(&first("bash -c 'exit 1'")).as_deref(),
            Some("exit 1")
        );
        assert_eq!(
            shell_c_body(&first("sh -ec \"docker push x\"")).as_deref(),
            Some("docker push x")
        );
        assert_eq!(shell_c_body(&first("bash x.sh")), None);
    }

    #[test]
    fn set_options() {
        assert_eq!(errexit(&first("set -e")), Some(true));
        assert_eq!(errexit(&first("set -euo pipefail")), Some(true));
        assert_eq!(errexit(&first("set -o errexit")), Some(true));
        assert_eq!(errexit(&first("set +e")), Some(false));
        assert_eq!(errexit(&first("set -o pipefail")), None);
        assert_eq!(errexit(&first("set -x")), None);
        assert!(xtrace(&first("set -ex")));
        assert!(!xtrace(&first("set -e")));
    }

    #[test]
    fn docker_and_fetch() {
        assert!(is_docker_build(&first("docker build -t x .")));
        assert!(is_docker_build(&first("docker buildx build .")));
        assert!(refreshes_layers(&first("docker build --pull -t x .")));
        assert!(!refreshes_layers(&first("docker build --pull=false .")));
        assert_eq!(docker(&first("docker --version")), None);
        assert!(shell_runs_fetched(&first("bash <(curl -s https://x)")));
        assert!(shell_runs_fetched(&first(
            "sh -c \"$(wget -qO- https://x)\""
        )));
        assert_eq!(var_refs("\"${TOKEN}\" '$NOT' $B"), ["TOKEN", "B"]);
    }
}
