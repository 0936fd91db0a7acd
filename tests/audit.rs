//! Offline audits: the export script run against a fake `aws` that records
//! every call and refuses any that is not read-only, the export it writes
//! scanned by shiplint, and a workflow checked against a trust in another
//! scanned path.

mod ship_util;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fake AWS CLI: logs its arguments, refuses every operation that is not
/// `get-*`, `list-*`, `describe-*`, `batch-get-*` (or `configure get`), and
/// answers from the export fixtures.
const FAKE_AWS: &str = r#"#!/usr/bin/env bash
echo "$*" >>"$AWS_FAKE_LOG"
words=()
while [ $# -gt 0 ]; do
    case "$1" in
        --profile|--region) shift 2 ;;
        *) words+=("$1"); shift ;;
    esac
done
service=${words[0]:-}
op=${words[1]:-}
case "$service $op" in
    "configure get") echo "eu-west-1"; exit 0 ;;
esac
case "$op" in
    get-*|list-*|describe-*|batch-get-*) ;;
    *) echo "fake aws: refused non-read-only call: $service $op" >&2; exit 99 ;;
esac
f="$AWS_FAKE_FIXTURES"
case "$service $op" in
    "sts get-caller-identity") echo "482913564177" ;;
    "iam get-account-authorization-details") cat "$f/fire-account-details.json" ;;
    "codebuild list-projects") printf 'web-build\n' ;;
    "codebuild batch-get-projects") cat "$f/fire-codebuild-batch-get-projects.json" ;;
    "codepipeline list-pipelines") printf 'web\n' ;;
    "codepipeline get-pipeline") cat "$f/fire-codepipeline-get-pipeline.json" ;;
    "deploy list-applications") printf 'web\n' ;;
    "deploy list-deployment-groups") printf 'web-prod\n' ;;
    "deploy get-deployment-group") cat "$f/fire-deploy-get-deployment-group.json" ;;
    "ecs list-task-definition-families") printf 'web\n' ;;
    "ecs describe-task-definition") cat "$f/fire-ecs-describe-task-definition.json" ;;
    "cloudformation list-stacks") printf 'web-stack\tapi-stack\n' ;;
    "cloudformation get-template") cat "$f/fire-cfn-get-template-yaml.json" ;;
    *) echo "fake aws: unexpected call: $service $op" >&2; exit 98 ;;
esac
"#;

fn fake_aws(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let aws = bin.join("aws");
    std::fs::write(&aws, FAKE_AWS).expect("write fake aws");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&aws, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    bin
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn the_fake_aws_refuses_writes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = fake_aws(tmp.path());
    let out = std::process::Command::new("bash")
        .arg(bin.join("aws"))
        .args(["iam", "delete-role", "--role-name", "x"])
        .env("AWS_FAKE_LOG", tmp.path().join("log"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(99));
}

#[test]
fn export_script_makes_read_only_calls_and_its_output_is_audited() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = fake_aws(tmp.path());
    let log = tmp.path().join("calls.log");
    let out_dir = tmp.path().join("export");
    let status = std::process::Command::new("bash")
        .arg(root().join("scripts/export-aws.sh"))
        .args(["-o"])
        .arg(&out_dir)
        .args(["-r", "eu-west-1", "-r", "us-east-1", "-p", "audit"])
        .env("PATH", path_with(&bin))
        .env("AWS_FAKE_LOG", &log)
        .env(
            "AWS_FAKE_FIXTURES",
            root().join("testdata/fixtures/audit-exports"),
        )
        .output()
        .expect("runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let calls = std::fs::read_to_string(&log).expect("log");
    for call in calls.lines() {
        assert!(call.contains("--profile audit"), "{call}");
        let mut words = Vec::new();
        let mut it = call.split_whitespace();
        while let Some(w) = it.next() {
            if w == "--profile" || w == "--region" {
                it.next();
            } else {
                words.push(w);
            }
        }
        let (service, op) = (words.first().copied(), words.get(1).copied().unwrap_or(""));
        assert!(
            ["get-", "list-", "describe-", "batch-get-"]
                .iter()
                .any(|p| op.starts_with(p))
                || (service == Some("configure") && op == "get"),
            "not read-only: {call}"
        );
    }
    // IAM once (it is global), the regional services once per region.
    assert_eq!(
        calls
            .lines()
            .filter(|c| c.contains("get-account-authorization-details"))
            .count(),
        1
    );
    assert_eq!(
        calls
            .lines()
            .filter(|c| c.contains("batch-get-projects"))
            .count(),
        2
    );
    let account = out_dir.join("482913564177");
    for rel in [
        "global/iam-authorization-details.json",
        "eu-west-1/codebuild-projects-1.json",
        "eu-west-1/codepipeline-web.json",
        "eu-west-1/deploy-web-web-prod.json",
        "eu-west-1/ecs-task-definition-web.json",
        "eu-west-1/cloudformation-web-stack.json",
        "us-east-1/cloudformation-api-stack.json",
    ] {
        assert!(account.join(rel).is_file(), "{rel} missing");
    }
    // The export is recognised by content, whatever the file names.
    let scan = Command::cargo_bin("shiplint")
        .expect("binary")
        .current_dir(&out_dir)
        .args(["check", "--no-config", "--format", "concise", "."])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&scan.stdout);
    for expected in [
        "482913564177/global/iam-authorization-details.json:58:87: high[oidc-subject-any-repo]",
        "482913564177/eu-west-1/codebuild-projects-1.json:8:89: medium[curl-pipe-shell]",
        "482913564177/eu-west-1/codepipeline-web.json:12:99: high[pipeline-oauth-source]",
        "482913564177/eu-west-1/deploy-web-web-prod.json:8:50: medium[deployment-group-no-auto-rollback]",
        "482913564177/eu-west-1/ecs-task-definition-web.json:7:26: low[image-tag-mutable]",
        "482913564177/eu-west-1/cloudformation-web-stack.json:2:642: medium[oidc-subject-any-ref]",
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
}

#[test]
fn a_trust_in_another_scanned_path_is_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let write = |rel: &str, text: &str| {
        let path = tmp.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "infra/role.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Deploy:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: app-deploy\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal:\n              Federated: !Sub arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com\n            Action: sts:AssumeRoleWithWebIdentity\n            Condition:\n              StringEquals:\n                token.actions.githubusercontent.com:aud: sts.amazonaws.com\n                token.actions.githubusercontent.com:sub: repo:acme/app:ref:refs/heads/main\n",
    );
    let workflow = "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    permissions:\n      id-token: write\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::210987654321:role/app-deploy\n          aws-region: eu-west-1\n";
    write("app/.github/workflows/deploy.yml", workflow);
    let run = |paths: &[&str]| {
        let out = Command::cargo_bin("shiplint")
            .expect("binary")
            .current_dir(tmp.path())
            .env_remove("GITHUB_WORKSPACE")
            .args(["check", "--no-config", "--format", "concise"])
            .args(["--select", "workflow-role-trust-mismatch"])
            .args(paths)
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // No repository is known (no remote, no configuration): the environment
    // against the branch-pinned trust decides on its own.
    let both = run(&["infra/", "app/"]);
    assert!(
        both.starts_with(
            "app/.github/workflows/deploy.yml:13:27: medium[workflow-role-trust-mismatch] job \"deploy\" runs in environment \"production\""
        ),
        "{both}"
    );
    // Scanned alone, the workflow has no trust to compare with.
    assert_eq!(run(&["app/"]), "");
    // The origin remote names the repository: a trust for another
    // repository's environment is still a mismatch, the right one is not.
    write(
        "app/.git/config",
        "[remote \"origin\"]\n\turl = git@github.com:acme/app.git\n",
    );
    write(
        "infra/role.yaml",
        &std::fs::read_to_string(tmp.path().join("infra/role.yaml"))
            .expect("read")
            .replace(
                "repo:acme/app:ref:refs/heads/main",
                "repo:acme/app:environment:production",
            ),
    );
    assert_eq!(run(&["infra/", "app/"]), "");
    write(
        "app/.git/config",
        "[remote \"origin\"]\n\turl = https://github.com/acme/other.git\n",
    );
    assert!(
        run(&["infra/", "app/"]).contains("workflow-role-trust-mismatch"),
        "the remote's repository is not admitted"
    );
}

fn fixture(name: &str) -> PathBuf {
    root().join("testdata/fixtures").join(name)
}

fn shiplint(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("shiplint")
        .expect("binary")
        .current_dir(dir)
        .env_remove("GITHUB_WORKSPACE")
        .env_remove("GITHUB_REPOSITORY")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The infrastructure repository and the application repository of the
/// trust-map fixture, scanned apart into SARIF as an organisation's
/// matrix jobs would, in a temporary directory.
fn trust_map_results() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for repo in ["infra", "app"] {
        let out = tmp.path().join(format!("{repo}.sarif"));
        let (code, _, stderr) = shiplint(
            &fixture("audit-trust-map").join(repo),
            &[
                "check",
                "--format",
                "sarif",
                "-o",
                out.to_str().expect("utf-8"),
                ".",
            ],
        );
        assert!(code == 0 || code == 1, "{stderr}");
    }
    tmp
}

#[test]
fn trust_map_of_one_scan_in_three_formats() {
    let dir = fixture("audit-trust-map");
    let report = |format: &str| {
        let (code, out, err) = shiplint(&dir, &["report", "--trust-map", "--format", format, "."]);
        assert_eq!(code, 0, "{err}");
        out
    };
    insta::assert_snapshot!("trust_map_markdown", report("markdown"));
    insta::assert_snapshot!("trust_map_json", report("json"));
    insta::assert_snapshot!("trust_map_html", report("html"));
}

#[test]
fn trust_map_joins_roles_and_workflows_of_different_repositories() {
    let tmp = trust_map_results();
    let (code, md, err) = shiplint(
        tmp.path(),
        &["report", "--trust-map", "infra.sarif", "app.sarif"],
    );
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("trust_map_merged_markdown", md);
    // The full audit report carries the section, in Markdown and HTML.
    let (code, md, err) = shiplint(tmp.path(), &["report", "infra.sarif", "app.sarif"]);
    assert_eq!(code, 0, "{err}");
    let section = md
        .split("## Trust map\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a trust map section");
    assert!(
        section.contains(
            "| web-deploy (infra) | GitHub Actions | environment production of acme/web |"
        ),
        "{section}"
    );
    assert!(
        section.contains("job deploy at app: .github/workflows/deploy.yml:28:27"),
        "{section}"
    );
    let (code, html, err) = shiplint(
        tmp.path(),
        &["report", "--format", "html", "infra.sarif", "app.sarif"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(html.contains("<section id=\"trust-map\">"), "{html}");
    assert!(html.contains("<svg id=\"trust-map-graph\""), "{html}");
    // JSON needs --trust-map.
    let (code, _, err) = shiplint(tmp.path(), &["report", "--format", "json", "infra.sarif"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn check_reports_carry_the_trust_map() {
    let dir = fixture("audit-trust-map");
    let (_, md, _) = shiplint(&dir, &["check", "--format", "markdown", "."]);
    assert!(md.contains("## Trust map\n"), "{md}");
    assert!(
        md.contains("| org-terraform | GitHub Actions | every repository of acme | **admin: \"\\*\" on \"\\*\"** | infra/account.json:20:87 | job terraform at app/.github/workflows/deploy.yml:38:27 |"),
        "{md}"
    );
    let (_, html, _) = shiplint(&dir, &["check", "--format", "html", "."]);
    assert!(html.contains("<section id=\"trust-map\">"), "{html}");
    // A scan without federated trust or role assumption has no section.
    let (_, md, _) = shiplint(
        &fixture("audit-exports"),
        &[
            "check",
            "--format",
            "markdown",
            "fire-codebuild-batch-get-projects.json",
        ],
    );
    assert!(!md.contains("Trust map"), "{md}");
}

/// The HTML picture of the trust map, as headless Chromium renders it: no
/// request leaves the page, the graph's nodes are laid out, and a
/// screenshot is not blank. Needs Debian's `chromium` (or `$CHROMIUM`):
/// `.ci/run` installs it and runs this test with `--ignored`.
#[test]
#[ignore = "needs chromium; .ci/run runs it"]
fn chromium_renders_the_trust_map_picture() {
    let tmp = trust_map_results();
    let (code, _, err) = shiplint(
        tmp.path(),
        &[
            "report",
            "--trust-map",
            "--format",
            "html",
            "-o",
            "trust-map.html",
            "infra.sarif",
            "app.sarif",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let page = tmp.path().join("trust-map.html");
    let html = std::fs::read_to_string(&page).expect("written");
    // Self-contained: nothing to fetch.
    for external in ["src=", "href=", "url(", "@import", "<script"] {
        assert!(!html.contains(external), "{external} in the page");
    }
    let chromium = ship_util::Chromium::new(tmp.path().join("profile"));
    let dom = chromium.dump_dom(&page);
    assert!(dom.contains("<title>shiplint trust map</title>"), "{dom}");
    assert!(dom.contains("id=\"trust-map-graph\""), "{dom}");
    for node in [
        "org-terraform (infra) (admin)",
        "every repository of acme",
        "pull requests of acme/web",
        "job preview at app: .github/workflows/deploy.yml:17:27",
    ] {
        assert!(dom.contains(node), "{node} not in {dom}");
    }

    let png = tmp.path().join("trust-map.png");
    chromium.screenshot(&page, &png, "1100,800");
    if let Some(keep) = std::env::var_os("SHIPLINT_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&png, keep);
    }
}

#[test]
fn report_reads_downloaded_artifact_directories() {
    let tmp = trust_map_results();
    // As actions/download-artifact lays them out: one directory per artifact.
    for repo in ["infra", "app"] {
        let dir = tmp.path().join("results").join(format!("shiplint-{repo}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::rename(
            tmp.path().join(format!("{repo}.sarif")),
            dir.join("shiplint.sarif"),
        )
        .expect("move");
    }
    let (code, md, err) = shiplint(tmp.path(), &["report", "results"]);
    assert_eq!(code, 0, "{err}");
    assert!(md.contains("· 2 repositories ·"), "{md}");
    assert!(md.contains("### shiplint-infra\n"), "{md}");
    assert!(
        md.contains(
            "| web-preview (shiplint-infra) | GitHub Actions | pull requests of acme/web |"
        ),
        "{md}"
    );
}

/// Thousands of results files merge in one run (the benchmark,
/// scripts/bench-report.sh, measures time and memory on 5,000 larger ones).
#[test]
fn report_merges_five_thousand_results_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let results = tmp.path().join("results");
    for i in 0..5000 {
        let dir = results.join(format!("repo-{i:04}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let result = if i % 5 == 0 {
            r#"{"ruleId": "curl-pipe-shell", "level": "warning", "message": {"text": "pipe"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "buildspec.yml"}, "region": {"startLine": 4, "startColumn": 9}}}]}"#
        } else {
            ""
        };
        let trust = if i % 2 == 0 {
            format!(
                r#", "properties": {{"shiplint/trustMap": {{"roles": [{{"name": "deploy-{i}", "issuers": ["GitHub Actions"], "who": ["branch main of acme/repo-{i}"], "may": ["s3:PutObject"], "admin": false, "path": "roles.yaml", "line": 3, "column": 5}}]}}}}"#
            )
        } else {
            format!(
                r#", "properties": {{"shiplint/trustMap": {{"assumptions": [{{"path": ".github/workflows/d.yml", "line": 9, "column": 27, "job": "deploy", "role": "deploy-{}"}}]}}}}"#,
                i - 1
            )
        };
        std::fs::write(
            dir.join("shiplint.sarif"),
            format!(
                r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "shiplint", "rules": [{{"id": "curl-pipe-shell", "defaultConfiguration": {{"level": "warning"}}}}]}}}}, "results": [{result}]{trust}}}]}}"#
            ),
        )
        .expect("write");
    }
    let (code, md, err) = shiplint(tmp.path(), &["report", "results"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        md.contains("**1000 findings** · 5000 repositories"),
        "{}",
        &md[..400.min(md.len())]
    );
    assert!(
        md.contains("| deploy-4998 (repo-4998) | GitHub Actions | branch main of acme/repo-4998 | s3:PutObject | repo-4998: roles.yaml:3:5 | job deploy at repo-4999: .github/workflows/d.yml:9:27 |"),
        "the roles of one repository join the jobs of another"
    );
    assert!(!md.contains("no scanned workflow"));
}

/// docs/org-scale.md shows the two workflows of docs/org-scale/ verbatim,
/// and shiplint finds nothing in them once they sit where GitHub reads them.
#[test]
fn org_scale_workflows_are_documented_verbatim_and_clean() {
    let doc = std::fs::read_to_string(root().join("docs/org-scale.md")).expect("doc");
    let tmp = tempfile::tempdir().expect("tempdir");
    let workflows = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    for name in ["shiplint-org.yml", "shiplint-repository.yml"] {
        let text =
            std::fs::read_to_string(root().join("docs/org-scale").join(name)).expect("workflow");
        assert!(
            doc.contains(&format!("```yaml\n{text}```")),
            "docs/org-scale.md must show docs/org-scale/{name} verbatim"
        );
        std::fs::write(workflows.join(name), text).expect("write");
    }
    let (code, out, err) = shiplint(
        tmp.path(),
        &["check", "--no-config", "--format", "concise", "."],
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
}

/// zizmor, in every persona, finds nothing in the organisation workflows.
#[test]
#[ignore = "needs zizmor; .ci/run runs it"]
fn zizmor_finds_nothing_in_the_org_workflows() {
    let zizmor = std::env::var("ZIZMOR").unwrap_or_else(|_| "zizmor".into());
    for persona in ["regular", "pedantic", "auditor"] {
        let out = std::process::Command::new(&zizmor)
            .current_dir(root().join("docs/org-scale"))
            .args(["--offline", "--no-progress", "--persona", persona])
            .args(["shiplint-org.yml", "shiplint-repository.yml"])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {zizmor}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("No findings to report"),
            "zizmor ({persona}) reports:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
