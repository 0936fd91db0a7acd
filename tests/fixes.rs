//! Fixes: per fix a before/after golden, the file still parses and the
//! finding is gone, and only the bytes inside the edits change; idempotence
//! and no overlap on a file with many fixable findings; and a property over
//! the fixture, rule-document and fuzz corpus: `--fix --unsafe-fixes` never
//! leaves a file unparsable and never raises the number of findings.

use shiplint::engine::{ScanOptions, scan, scan_in_memory};
use shiplint::finding::Applicability;
use shiplint::fix;
use shiplint::report::Report;
use std::path::{Path, PathBuf};

fn options(root: &Path, select: &[&str]) -> ScanOptions {
    ScanOptions {
        paths: vec![root.to_path_buf()],
        threads: 1,
        ignore_comments: true,
        select: select.iter().map(|s| (*s).to_owned()).collect(),
        ..ScanOptions::default()
    }
}

fn write_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn run(options: &ScanOptions, unsafe_fixes: bool) -> fix::Outcome {
    fix::run(options, unsafe_fixes, &mut |_| {}).expect("fix run")
}

fn count(report: &Report, rule: &str) -> usize {
    report.findings.iter().filter(|f| f.rule == rule).count()
}

/// One fix case: the file, the rule whose fix is applied, the text before.
struct Case {
    name: &'static str,
    path: &'static str,
    rule: &'static str,
    applicability: Applicability,
    before: &'static str,
}

/// Applies the one fix of `case`, checks it and returns the text after.
fn check_case(case: &Case) -> String {
    let dir = write_repo(&[(case.path, case.before)]);
    // The rule alone, except for unused-suppression (which needs the rule
    // the comment names to run).
    let select: &[&str] = if case.rule == "unused-suppression" {
        &[]
    } else {
        &[case.rule]
    };
    let options = options(dir.path(), select);
    let before = scan(&options).expect("scan");
    let fixable: Vec<_> = before
        .findings
        .iter()
        .filter(|f| f.rule == case.rule && f.fix.is_some())
        .collect();
    assert_eq!(
        fixable.len(),
        1,
        "{}: one fixable finding expected: {:#?}",
        case.name,
        before.findings
    );
    let fix_of = fixable[0].fix.as_ref().expect("fix");
    assert_eq!(fix_of.applicability, case.applicability, "{}", case.name);
    // Safe fixes are applied by --fix; unsafe ones only with --unsafe-fixes.
    if case.applicability == Applicability::Unsafe {
        let outcome = run(&options, false);
        assert!(
            outcome.changed.is_empty(),
            "{}: unsafe fix applied by --fix",
            case.name
        );
    }
    let outcome = run(&options, true);
    assert_eq!(
        outcome.changed.len(),
        1,
        "{}: {:?}",
        case.name,
        outcome.notices
    );
    let changed = &outcome.changed[0];
    let after = String::from_utf8(changed.fixed.clone()).expect("utf-8");

    // Only the bytes inside the edits changed.
    let edits: Vec<(shiplint::syntax::Span, &str)> = fix_of
        .edits
        .iter()
        .map(|e| (e.span, e.replacement.as_str()))
        .collect();
    let text = case.before.strip_prefix('\u{feff}').unwrap_or(case.before);
    let expected = fix::apply(text, &edits).expect("edits apply");
    let bom = if case.before.starts_with('\u{feff}') {
        "\u{feff}"
    } else {
        ""
    };
    assert_eq!(
        after,
        format!("{bom}{expected}"),
        "{}: bytes outside the edits changed",
        case.name
    );
    if case.before.contains("\r\n") {
        // Inserted lines end as the file's lines do.
        assert_eq!(
            after.matches('\n').count(),
            after.matches("\r\n").count(),
            "{}",
            case.name
        );
    }
    let deleted: usize = fix_of.edits.iter().map(|e| e.span.len()).sum();
    assert!(
        deleted <= 80,
        "{}: the fix rewrites {deleted} bytes",
        case.name
    );

    // Written to disk, the file parses and the finding is gone.
    std::fs::write(&changed.path, &changed.fixed).expect("write");
    let report = scan(&options).expect("scan");
    assert_eq!(
        count(&report, "parse-error"),
        0,
        "{}: {:#?}",
        case.name,
        report.findings
    );
    assert_eq!(
        count(&report, case.rule),
        0,
        "{}: {:#?}",
        case.name,
        report.findings
    );
    // And a second run changes nothing.
    assert!(
        run(&options, true).changed.is_empty(),
        "{}: not idempotent",
        case.name
    );
    after
}

const CASES: &[Case] = &[
    Case {
        name: "imagedefinitions_key",
        path: "imagedefinitions.json",
        rule: "imagedefinitions-shape",
        applicability: Applicability::Safe,
        before: "[\n  {\n    \"name\": \"web\",\n    \"imageURI\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2\"\n  }\n]\n",
    },
    Case {
        name: "imagedefinitions_key_bom_crlf",
        path: "deploy/imagedefinitions.json",
        rule: "imagedefinitions-shape",
        applicability: Applicability::Safe,
        before: "\u{feff}[\r\n  {\"Name\": \"web\", \"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2\"}\r\n]\r\n",
    },
    Case {
        name: "imagedefinitions_single_object",
        path: "imagedefinitions.json",
        rule: "imagedefinitions-shape",
        applicability: Applicability::Safe,
        before: "{\"name\": \"web\", \"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2\"}\n",
    },
    Case {
        name: "imagedetail_key",
        path: "imageDetail.json",
        rule: "imagedetail-shape",
        applicability: Applicability::Safe,
        before: "{\n  \"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\"\n}\n",
    },
    Case {
        name: "unused_suppression_own_line",
        path: "buildspec.yml",
        rule: "unused-suppression",
        applicability: Applicability::Safe,
        before: "version: 0.2\nphases:\n  build:\n    commands:\n      # shiplint: ignore[curl-pipe-shell] vetted installer\n      - make build # keep\n",
    },
    Case {
        name: "unused_suppression_trailing",
        path: "buildspec.yml",
        rule: "unused-suppression",
        applicability: Applicability::Safe,
        before: "version: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - make build   # shiplint: ignore[curl-pipe-shell]\r\n",
    },
    Case {
        name: "unused_suppression_unknown_rule",
        path: "main.tf",
        rule: "unused-suppression",
        applicability: Applicability::Unsafe,
        before: "# shiplint: ignore[no-such-rule]\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    },
    Case {
        name: "unused_suppression_hcl_trailing",
        path: "main.tf",
        rule: "unused-suppression",
        applicability: Applicability::Safe,
        before: "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\" // shiplint: ignore[iam-wildcard-action]\n}\n",
    },
    Case {
        name: "unused_suppression_last_line",
        path: "buildspec.yml",
        rule: "unused-suppression",
        applicability: Applicability::Safe,
        before: "version: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - make build\r\n# shiplint: ignore[curl-pipe-shell]",
    },
    Case {
        name: "id_token_moved",
        path: ".github/workflows/deploy.yml",
        rule: "workflow-id-token-broad",
        applicability: Applicability::Unsafe,
        before: "name: deploy\non:\n  push:\n    branches: [main]\npermissions:\n  contents: read # checkout\n  id-token: write\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n  deploy:\n    runs-on: ubuntu-latest\n    needs: test\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::210987654321:role/deploy\n          aws-region: us-east-1\n      - run: ./deploy.sh\n",
    },
    Case {
        name: "id_token_only_scope",
        path: ".github/workflows/deploy.yml",
        rule: "workflow-id-token-broad",
        applicability: Applicability::Unsafe,
        before: "on: push\npermissions:\n  id-token: write\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::210987654321:role/deploy\n          aws-region: us-east-1\n",
    },
    Case {
        name: "guard_buildspec",
        path: "buildspec.yml",
        rule: "post-build-unguarded-publish",
        applicability: Applicability::Unsafe,
        before: "version: 0.2\nphases:\n  build:\n    commands:\n      - docker build -t app .\n  post_build:\n    commands:\n      - echo build done   # always\n      - docker push app\n",
    },
    Case {
        name: "guard_cloudformation_inline",
        path: "template.yml",
        rule: "post-build-unguarded-publish",
        applicability: Applicability::Unsafe,
        before: "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Build:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Environment:\n        Type: LINUX_CONTAINER\n        ComputeType: BUILD_GENERAL1_SMALL\n        Image: aws/codebuild/standard:7.0\n        PrivilegedMode: true\n      Source:\n        Type: CODEPIPELINE\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build:\n              commands:\n                - docker build -t app .\n            post_build:\n              commands:\n                - docker push app\n",
    },
    Case {
        name: "guard_terraform_heredoc",
        path: "main.tf",
        rule: "post-build-unguarded-publish",
        applicability: Applicability::Unsafe,
        before: "resource \"aws_codebuild_project\" \"web\" {\n  name = \"web\"\n  environment {\n    type            = \"LINUX_CONTAINER\"\n    privileged_mode = true\n  }\n  source {\n    type      = \"CODEPIPELINE\"\n    buildspec = <<-EOT\n      version: 0.2\n      phases:\n        build:\n          commands:\n            - make build\n        post_build:\n          commands:\n            - aws s3 cp dist s3://releases/ --recursive\n    EOT\n  }\n}\n",
    },
    Case {
        name: "errexit_buildspec",
        path: "buildspec.yml",
        rule: "buildspec-multiline-no-errexit",
        applicability: Applicability::Unsafe,
        before: "version: 0.2\nphases:\n  build:\n    commands:\n      - |\n        npm ci\n        npm test\n",
    },
    Case {
        name: "errexit_header_comment",
        path: "buildspec.yml",
        rule: "buildspec-multiline-no-errexit",
        applicability: Applicability::Unsafe,
        before: "version: 0.2\nphases:\n  build:\n    commands:\n      - |   # install and test\n        npm ci\n        npm test\n",
    },
    Case {
        name: "errexit_crlf",
        path: "buildspec.yml",
        rule: "buildspec-multiline-no-errexit",
        applicability: Applicability::Unsafe,
        before: "version: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - |\r\n        npm ci # deps\r\n        npm test\r\n",
    },
    Case {
        name: "guard_crlf",
        path: "buildspec.yml",
        rule: "post-build-unguarded-publish",
        applicability: Applicability::Unsafe,
        before: "version: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - make build\r\n  post_build:\r\n    commands:\r\n      - docker push app\r\n",
    },
    Case {
        name: "errexit_cloudformation_inline",
        path: "template.yml",
        rule: "buildspec-multiline-no-errexit",
        applicability: Applicability::Unsafe,
        before: "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Build:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Environment:\n        Type: LINUX_CONTAINER\n      Source:\n        Type: CODEPIPELINE\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build:\n              commands:\n                - |\n                  npm ci\n                  npm test\n",
    },
    Case {
        name: "docker_pull",
        path: "buildspec.yml",
        rule: "docker-layer-cache-stale",
        applicability: Applicability::Safe,
        before: "version: 0.2\ncache:\n  paths:\n    - '/var/lib/docker/**/*'\nphases:\n  build:\n    commands:\n      - docker build -t \"$REPO:latest\" .   # image\n",
    },
    Case {
        name: "audience_json",
        path: "iam/trust-policy.json",
        rule: "oidc-audience-missing",
        applicability: Applicability::Unsafe,
        before: "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\"Federated\": \"arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com\"},\n      \"Action\": \"sts:AssumeRoleWithWebIdentity\",\n      \"Condition\": {\n        \"StringEquals\": {\n          \"token.actions.githubusercontent.com:sub\": \"repo:acme/app:ref:refs/heads/main\"\n        }\n      }\n    }\n  ]\n}\n",
    },
    Case {
        name: "audience_cloudformation_no_condition",
        path: "role.yml",
        rule: "oidc-audience-missing",
        applicability: Applicability::Unsafe,
        before: "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal:\n              Federated: !Sub arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com\n            Action: sts:AssumeRoleWithWebIdentity\n            Condition:\n              StringLike:\n                token.actions.githubusercontent.com:sub: repo:acme/app:ref:refs/heads/main\n",
    },
    Case {
        name: "audience_terraform_document",
        path: "main.tf",
        rule: "oidc-audience-missing",
        applicability: Applicability::Unsafe,
        before: "data \"aws_iam_policy_document\" \"trust\" {\n  statement {\n    actions = [\"sts:AssumeRoleWithWebIdentity\"]\n    principals {\n      type        = \"Federated\"\n      identifiers = [\"arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com\"]\n    }\n    condition {\n      test     = \"StringEquals\"\n      variable = \"token.actions.githubusercontent.com:sub\"\n      values   = [\"repo:acme/app:ref:refs/heads/main\"]\n    }\n  }\n}\n",
    },
    Case {
        name: "audience_terraform_jsonencode",
        path: "main.tf",
        rule: "oidc-audience-missing",
        applicability: Applicability::Unsafe,
        before: "resource \"aws_iam_role\" \"deploy\" {\n  name = \"deploy\"\n  assume_role_policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n      Effect    = \"Allow\"\n      Principal = { Federated = \"arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com\" }\n      Action    = \"sts:AssumeRoleWithWebIdentity\"\n      Condition = {\n        StringEquals = { \"token.actions.githubusercontent.com:sub\" = \"repo:acme/app:ref:refs/heads/main\" }\n      }\n    }]\n  })\n}\n",
    },
    Case {
        name: "audience_wildcard",
        path: "trust-policy.json",
        rule: "oidc-audience-missing",
        applicability: Applicability::Unsafe,
        before: "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Federated\": \"arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com\"}, \"Action\": \"sts:AssumeRoleWithWebIdentity\", \"Condition\": {\"StringLike\": {\"token.actions.githubusercontent.com:aud\": \"*\", \"token.actions.githubusercontent.com:sub\": \"repo:acme/app:ref:refs/heads/main\"}}}]}\n",
    },
    Case {
        name: "privileged_cloudformation_absent",
        path: "template.yml",
        rule: "privileged-mode-missing",
        applicability: Applicability::Unsafe,
        before: "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Build:\n    Type: AWS::CodeBuild::Project\n    Properties:\n      Environment:\n        Type: LINUX_CONTAINER # small\n        ComputeType: BUILD_GENERAL1_SMALL\n      Source:\n        Type: CODEPIPELINE\n        BuildSpec: |\n          version: 0.2\n          phases:\n            build:\n              commands:\n                - docker build -t app .\n",
    },
    Case {
        name: "privileged_cloudformation_json_false",
        path: "template.json",
        rule: "privileged-mode-missing",
        applicability: Applicability::Unsafe,
        before: "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {\n    \"Build\": {\n      \"Type\": \"AWS::CodeBuild::Project\",\n      \"Properties\": {\n        \"Environment\": {\"Type\": \"LINUX_CONTAINER\", \"PrivilegedMode\": false},\n        \"Source\": {\"Type\": \"CODEPIPELINE\", \"BuildSpec\": \"version: 0.2\\nphases:\\n  build:\\n    commands:\\n      - docker build -t app .\\n\"}\n      }\n    }\n  }\n}\n",
    },
    Case {
        name: "privileged_terraform_absent",
        path: "main.tf",
        rule: "privileged-mode-missing",
        applicability: Applicability::Unsafe,
        before: "resource \"aws_codebuild_project\" \"web\" {\n  name = \"web\"\n  environment {\n    compute_type = \"BUILD_GENERAL1_SMALL\"\n    type         = \"LINUX_CONTAINER\"\n  }\n  source {\n    type      = \"CODEPIPELINE\"\n    buildspec = \"version: 0.2\\nphases:\\n  build:\\n    commands:\\n      - docker build -t web .\\n\"\n  }\n}\n",
    },
    Case {
        name: "privileged_terraform_false",
        path: "main.tf",
        rule: "privileged-mode-missing",
        applicability: Applicability::Unsafe,
        before: "resource \"aws_codebuild_project\" \"web\" {\n  name = \"web\"\n  environment {\n    type            = \"LINUX_CONTAINER\"\n    privileged_mode = false # off\n  }\n  source {\n    type      = \"CODEPIPELINE\"\n    buildspec = \"version: 0.2\\nphases:\\n  build:\\n    commands:\\n      - docker build -t web .\\n\"\n  }\n}\n",
    },
];

#[test]
fn each_fix_has_a_golden_and_changes_only_its_edits() {
    for case in CASES {
        let after = check_case(case);
        insta::assert_snapshot!(case.name, after);
    }
}

#[test]
fn many_fixes_in_one_file_apply_without_overlap_and_reach_a_fixed_point() {
    let before = "version: 0.2\ncache:\n  paths:\n    - '/var/lib/docker/**/*'\nphases:\n  build:\n    commands:\n      - docker build -t app .\n      - docker build -t worker -f Dockerfile.worker .  # second image\n      - |\n        npm ci\n        npm test\n      - |\n        make lint\n        make check\n  post_build:\n    commands:\n      - docker push app   # shiplint: ignore[curl-pipe-shell]\n      - docker push worker\n      - aws ecs update-service --cluster c --service s --force-new-deployment\n";
    let dir = write_repo(&[("buildspec.yml", before)]);
    let options = options(dir.path(), &[]);
    let outcome = run(&options, true);
    assert_eq!(outcome.changed.len(), 1);
    let after = String::from_utf8(outcome.changed[0].fixed.clone()).expect("utf-8");
    // The three publishing commands share one guard (the insertions at the
    // same place overlap: one is applied, the others are gone next pass).
    assert_eq!(
        after.matches("CODEBUILD_BUILD_SUCCEEDING").count(),
        1,
        "{after}"
    );
    assert_eq!(after.matches("--pull").count(), 2, "{after}");
    assert_eq!(after.matches("set -e").count(), 2, "{after}");
    assert!(!after.contains("shiplint: ignore"), "{after}");
    // Comments outside the edits stay.
    assert!(after.contains("  # second image\n"), "{after}");
    insta::assert_snapshot!("many_fixes", after);

    std::fs::write(dir.path().join("buildspec.yml"), &after).expect("write");
    let report = scan(&options).expect("scan");
    for rule in [
        "post-build-unguarded-publish",
        "docker-layer-cache-stale",
        "buildspec-multiline-no-errexit",
        "unused-suppression",
        "parse-error",
    ] {
        assert_eq!(count(&report, rule), 0, "{rule}: {:#?}", report.findings);
    }
    // Idempotent: a second run has nothing left to change.
    let again = run(&options, true);
    assert!(again.changed.is_empty());
    assert_eq!(again.applied, 0);
}

#[test]
fn safe_only_run_leaves_unsafe_fixes_alone() {
    let before = "version: 0.2\ncache:\n  paths:\n    - '/var/lib/docker/**/*'\nphases:\n  build:\n    commands:\n      - docker build -t app .\n  post_build:\n    commands:\n      - docker push app\n";
    let dir = write_repo(&[("buildspec.yml", before)]);
    let outcome = run(&options(dir.path(), &[]), false);
    let after = String::from_utf8(outcome.changed[0].fixed.clone()).expect("utf-8");
    assert_eq!(
        after,
        before.replace("docker build -t", "docker build --pull -t")
    );
}

/// Files of a directory, relative paths, recursively (bounded depth).
fn files_under(root: &Path, dir: &Path, depth: usize, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() && depth < 12 {
            files_under(root, &path, depth + 1, out);
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).expect("under root");
            out.push((
                rel.to_string_lossy().into_owned(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
}

/// Fixes a repository with every fix; checks the property and returns how
/// many fixes were applied.
fn property(label: &str, files: &[(String, Vec<u8>)]) -> usize {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
    }
    let options = options(dir.path(), &[]);
    let before = scan(&options).expect("scan");
    let outcome = run(&options, true);
    let written = fix::write(&outcome, &[dir.path().to_path_buf()]);
    assert_eq!(written.0, outcome.changed.len(), "{label}: {:?}", written.1);
    let after = scan(&options).expect("scan");
    assert!(
        after.findings.len() <= before.findings.len(),
        "{label}: {} findings before, {} after the fixes:\n{:#?}",
        before.findings.len(),
        after.findings.len(),
        after.findings
    );
    let parse_errors = |r: &Report| count(r, "parse-error");
    assert!(
        parse_errors(&after) <= parse_errors(&before),
        "{label}: a fix broke parsing"
    );
    // Each changed file on its own: it parses when it parsed before.
    for c in &outcome.changed {
        let one = |bytes: &[u8]| {
            let r = scan_in_memory(&[(c.display.as_str(), bytes)], &ScanOptions::default())
                .expect("scan");
            count(&r, "parse-error")
        };
        assert!(
            one(&c.fixed) <= one(&c.original),
            "{label}: {} no longer parses",
            c.display
        );
    }
    // A fixed point: nothing more to do.
    assert!(
        run(&options, true).changed.is_empty(),
        "{label}: not idempotent"
    );
    outcome.applied
}

#[test]
fn fixing_the_corpus_never_breaks_parsing_nor_adds_findings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut applied = 0;
    let mut repos: Vec<PathBuf> = std::fs::read_dir(root.join("testdata/fixtures"))
        .expect("fixtures")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repos.push(root.join("testdata/example-repo"));
    repos.sort();
    for repo in &repos {
        let mut files = Vec::new();
        files_under(repo, repo, 0, &mut files);
        files.retain(|(name, _)| name != ".expected");
        applied += property(&repo.display().to_string(), &files);
    }
    // Every example of every rule document, alone.
    for registered in shiplint::rules::RULES {
        for (i, (name, code)) in doc_examples(registered.doc).into_iter().enumerate() {
            let label = format!("rules/{}.md example {i}", registered.id);
            applied += property(&label, &[(name, code.into_bytes())]);
        }
    }
    // Fuzz regression inputs: the first byte picks the file name, as in the
    // scan fuzz target.
    const NAMES: &[&str] = &[
        "trust-policy.json",
        "template.yaml",
        "template.json",
        "main.tf",
        "buildspec.yml",
        "pipeline.json",
        "imagedefinitions.json",
        "imageDetail.json",
        "taskdef.json",
        "appspec.yaml",
        ".github/workflows/deploy.yml",
        "notes.txt",
    ];
    let mut inputs = Vec::new();
    files_under(
        &root.join("tests/fuzz_regressions"),
        &root.join("tests/fuzz_regressions"),
        0,
        &mut inputs,
    );
    for (name, bytes) in inputs {
        let Some((&selector, rest)) = bytes.split_first() else {
            continue;
        };
        let file = NAMES[selector as usize % NAMES.len()];
        property(&name, &[(file.to_owned(), rest.to_vec())]);
    }
    // The corpus does exercise fixes.
    assert!(
        applied >= 10,
        "only {applied} fixes applied over the corpus"
    );
}

/// `(file name, code)` of the bad and good examples of a rule document.
fn doc_examples(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let words: Vec<&str> = info.split_whitespace().collect();
        let file = words.iter().find_map(|w| w.strip_prefix("file="));
        let mut code = String::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            code.push_str(line);
            code.push('\n');
        }
        if let Some(file) = file
            && (words.contains(&"bad") || words.contains(&"good"))
            && file != "shiplint.toml"
        {
            out.push((file.to_owned(), code));
        }
    }
    out
}

#[test]
fn fixes_are_reported_with_located_edits() {
    let dir = write_repo(&[(
        "imageDetail.json",
        "{\n  \"imageUri\": \"111111111111.dkr.ecr.us-east-1.amazonaws.com/web:1\"\n}\n",
    )]);
    let report = scan(&options(dir.path(), &[])).expect("scan");
    let json: serde_json::Value = serde_json::from_str(&shiplint::report::render(
        &report,
        shiplint::report::Format::Json,
        Default::default(),
    ))
    .expect("json");
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "imagedetail-shape");
    let fix = &finding["fix"];
    assert_eq!(fix["applicability"], "safe");
    assert_eq!(fix["description"], "rename \"imageUri\" to \"ImageURI\"");
    assert_eq!(
        fix["edits"][0]["start"],
        serde_json::json!({"line": 2, "column": 4})
    );
    assert_eq!(
        fix["edits"][0]["end"],
        serde_json::json!({"line": 2, "column": 12})
    );
    assert_eq!(fix["edits"][0]["replacement"], "ImageURI");

    let sarif: serde_json::Value = serde_json::from_str(&shiplint::report::render(
        &report,
        shiplint::report::Format::Sarif,
        Default::default(),
    ))
    .expect("sarif");
    let fixes = &sarif["runs"][0]["results"][0]["fixes"];
    let replacement = &fixes[0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(
        replacement["deletedRegion"],
        serde_json::json!({"startLine": 2, "startColumn": 4, "endLine": 2, "endColumn": 12})
    );
    assert_eq!(replacement["insertedContent"]["text"], "ImageURI");
    assert_eq!(fixes[0]["properties"]["applicability"], "safe");

    let full =
        shiplint::report::render(&report, shiplint::report::Format::Full, Default::default());
    assert!(full.contains("[*] key \"imageUri\""), "{full}");
    assert!(
        full.contains("= fix: rename \"imageUri\" to \"ImageURI\" (`--fix`)"),
        "{full}"
    );
    assert!(
        full.contains("[*] 1 finding fixable with `shiplint check --fix`"),
        "{full}"
    );
}

#[test]
fn secrets_never_appear_in_fixes_or_diffs() {
    // A secret on the line next to a fix: the diff's context masks it.
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let before = format!(
        "version: 0.2\nenv:\n  variables:\n    AWS_SECRET_ACCESS_KEY: {secret}\ncache:\n  paths:\n    - '/var/lib/docker/**/*'\nphases:\n  build:\n    commands:\n      - docker build -t app .\n"
    );
    let dir = write_repo(&[("buildspec.yml", &before)]);
    let options = options(dir.path(), &[]);
    let outcome = run(&options, false);
    assert_eq!(outcome.changed.len(), 1);
    let diff = fix::diff(&outcome);
    assert!(
        diff.contains("+      - docker build --pull -t app ."),
        "{diff}"
    );
    assert!(!diff.contains(secret), "{diff}");
    let report = scan(&options).expect("scan");
    let json =
        shiplint::report::render(&report, shiplint::report::Format::Json, Default::default());
    assert!(!json.contains(secret));
}

/// A small deterministic generator (xorshift64*), for the mutants below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The text with one line-level change: a line deleted, duplicated, moved,
/// re-indented, or a character inserted.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    if lines.is_empty() {
        return text.to_owned();
    }
    let i = rng.below(lines.len());
    match rng.below(5) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let line = lines[i].clone();
            lines.insert(i, line);
        }
        2 => {
            let j = rng.below(lines.len());
            lines.swap(i, j);
        }
        3 => lines[i] = format!("  {}", lines[i]),
        _ => {
            let chars: Vec<char> = lines[i].chars().collect();
            let at = rng.below(chars.len() + 1);
            let c = ['"', '\'', ':', '-', '#', '{', '[', '|', ' ', '\\'][rng.below(10)];
            lines[i] = chars[..at]
                .iter()
                .chain(std::iter::once(&c))
                .chain(&chars[at..])
                .collect();
        }
    }
    lines.concat()
}

#[test]
fn fixing_mutated_inputs_never_breaks_parsing_nor_adds_findings() {
    let options = ScanOptions {
        ignore_comments: true,
        ..ScanOptions::default()
    };
    let mut inputs: Vec<(String, String)> = Vec::new();
    for registered in shiplint::rules::RULES {
        inputs.extend(doc_examples(registered.doc));
    }
    let mut rng = Rng(0x5eed_f1c5);
    let findings = |name: &str, bytes: &[u8]| {
        let report = scan_in_memory(&[(name, bytes)], &options).expect("scan");
        (report.findings.len(), count(&report, "parse-error"))
    };
    let mut applied = 0;
    for (name, text) in &inputs {
        for round in 0..12 {
            // Up to three changes at once.
            let mut mutant = text.clone();
            for _ in 0..(round % 4) {
                mutant = mutate(&mutant, &mut rng);
            }
            let outcome = fix::run_in_memory(&[(name.as_str(), mutant.as_bytes())], &options, true)
                .expect("fix");
            applied += outcome.applied;
            for c in &outcome.changed {
                let (before, broken_before) = findings(name, &c.original);
                let (after, broken_after) = findings(name, &c.fixed);
                assert!(
                    after <= before && broken_after <= broken_before,
                    "{name}: {before} findings ({broken_before} parse errors) before, {after} ({broken_after}) after fixing\n{mutant}\n---\n{}",
                    String::from_utf8_lossy(&c.fixed)
                );
                let again =
                    fix::run_in_memory(&[(name.as_str(), c.fixed.as_slice())], &options, true)
                        .expect("fix");
                assert!(again.changed.is_empty(), "{name}: not idempotent\n{mutant}");
            }
        }
    }
    assert!(applied >= 10, "only {applied} fixes applied");
}
