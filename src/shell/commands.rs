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

/// A publishing or deploying command: its short name (`docker push`, `aws s3
/// cp`), or `None`.
pub fn publish(s: &Simple) -> Option<String> {
    let args = argv(s);
    let prog = base(&args.first()?.text());
    let ops = operands(&args);
    let first = ops.first().map(String::as_str).unwrap_or("");
    let second = ops.get(1).map(String::as_str).unwrap_or("");
    let label = |l: &str| Some(l.to_owned());
    match prog.as_str() {
        "docker" | "podman" => match (first, second) {
            ("push", _) => label(&format!("{prog} push")),
            ("image" | "manifest", "push") => label(&format!("{prog} {first} push")),
            ("buildx", "build" | "b" | "bake")
                if args.iter().any(|a| {
                    let t = a.text();
                    t == "--push" || t.starts_with("--output=type=registry")
                }) =>
            {
                label(&format!("{prog} buildx {second} --push"))
            }
            _ => None,
        },
        "aws" => {
            let (service, op, rest) = aws_call(&args)?;
            match (service.as_str(), op.as_str()) {
                ("s3", "cp" | "sync" | "mv") => {
                    let dest = rest.iter().filter(|t| !t.starts_with('-')).nth(1)?;
                    dest.starts_with("s3://").then(|| format!("aws s3 {op}"))
                }
                ("ecr", "put-image")
                | ("ecs", "update-service")
                | ("lambda", "update-function-code")
                | ("cloudformation", "deploy")
                | ("deploy", "create-deployment") => Some(format!("aws {service} {op}")),
                _ => None,
            }
        }
        "cdk" | "sam" if first == "deploy" => label(&format!("{prog} deploy")),
        "npx" | "yarn" | "pnpm" | "bunx" => {
            let tool = first.trim_start_matches("aws-");
            match (tool, second) {
                ("cdk", "deploy") => label("cdk deploy"),
                ("publish", _) if prog != "npx" => label(&format!("{prog} publish")),
                ("npm", "publish") => label("yarn npm publish"),
                _ => None,
            }
        }
        "kubectl" if first == "apply" || kubectl_sub(&args) == Some("apply".into()) => {
            label("kubectl apply")
        }
        "helm" if matches!(first, "upgrade" | "install" | "push") => {
            label(&format!("helm {first}"))
        }
        "npm" if first == "publish" => label("npm publish"),
        "twine" if first == "upload" => label("twine upload"),
        "cargo" if first == "publish" => label("cargo publish"),
        "mvn" | "mvnw" if ops.iter().any(|o| o == "deploy" || o.ends_with(":deploy")) => {
            label("mvn deploy")
        }
        "gradle" | "gradlew"
            if ops.iter().any(|o| {
                let task = o.rsplit(':').next().unwrap_or(o);
                task.starts_with("publish") && !task.ends_with("MavenLocal")
            }) =>
        {
            label("gradle publish")
        }
        _ => python_module(&args),
    }
}

/// `python -m twine upload`.
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

/// The value `CODEBUILD_BUILD_SUCCEEDING` is compared with, and whether the
/// test asserts that the build is succeeding (`Some(true)`) or failing
/// (`Some(false)`). Understands `[ ... ]`, `[[ ... ]]` and `test ...` with
/// `=`, `==`, `!=`, `-eq`, `-ne` and a leading `!`.
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
    let is_var = |t: &str| {
        let t = t.trim_start_matches('$').trim_start_matches('{');
        t.strip_prefix("CODEBUILD_BUILD_SUCCEEDING")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['}', ':']))
    };
    let value = if is_var(lhs) {
        rhs
    } else if is_var(rhs) {
        lhs
    } else {
        return None;
    };
    let one = match value.as_str() {
        "1" => true,
        "0" => false,
        _ => return None,
    };
    let equal = match op.as_str() {
        "=" | "==" | "-eq" => true,
        "!=" | "-ne" => false,
        _ => return None,
    };
    Some((one == equal) != negated)
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
