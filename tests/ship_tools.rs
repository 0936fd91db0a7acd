//! Checks that need tools from outside the Rust toolchain: `pre-commit`
//! (PyPI) running this repository's hooks with `try-repo`, and `zizmor`
//! (PyPI) auditing the GitHub Action and the README's example workflow.
//! They are ignored by a plain `cargo test`; `.ci/run` installs the tools and
//! runs them with `--ignored` (`$PRE_COMMIT`, `$ZIZMOR` name the programs).

mod ship_util;
use ship_util::*;
use std::path::Path;
use std::process::Command;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn tool(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// The example workflow the README shows, kept as a file so that it is
/// audited; the README must show it verbatim.
#[test]
fn readme_shows_the_audited_example_workflow_and_hook_snippets() {
    let readme = std::fs::read_to_string(manifest_dir().join("README.md")).expect("README");
    let workflow =
        std::fs::read_to_string(manifest_dir().join("scripts/action/example-workflow.yml"))
            .expect("example workflow");
    assert!(
        readme.contains(&format!("```yaml\n{workflow}```")),
        "README.md must show scripts/action/example-workflow.yml verbatim in a yaml block"
    );
    for snippet in [
        "id: shiplint",
        "shiplint hook install --pre-push",
        "shiplint hook install --pre-commit",
        "shiplint report",
        "--write-baseline",
        "--diff-base",
    ] {
        assert!(readme.contains(snippet), "README.md lacks {snippet:?}");
    }
}

fn pre_commit(dir: &Path, home: &Path, args: &[&str], path_dir: Option<&Path>) -> (bool, String) {
    let mut cmd = Command::new(tool("PRE_COMMIT", "pre-commit"));
    cmd.current_dir(dir)
        .args(args)
        .env("PRE_COMMIT_HOME", home)
        .env("PRE_COMMIT_COLOR", "never")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    if let Ok(target) = std::env::var("SHIPLINT_HOOK_TARGET_DIR") {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    if let Some(extra) = path_dir {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![extra.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(dirs).expect("PATH"));
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run pre-commit: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
#[ignore = "needs pre-commit and builds shiplint with cargo install; .ci/run runs it"]
fn pre_commit_try_repo_runs_both_hooks_on_a_fixture_repository() {
    let home = tempfile::tempdir().expect("tempdir");
    let this = manifest_dir().to_str().expect("utf-8 path");

    // The rust hook builds shiplint from this repository and fails on the
    // fixture's findings.
    let bad = repo("app");
    let (ok, out) = pre_commit(
        bad.path(),
        home.path(),
        &["try-repo", this, "shiplint", "--all-files"],
        None,
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("shiplint....") && out.contains("Failed"),
        "{out}"
    );
    assert!(
        out.contains("deploy/appspec.yaml:8:26: high[image-container-name-mismatch]"),
        "{out}"
    );
    assert!(
        out.contains("iam/deploy-trust.json:15:54: high[oidc-subject-any-repo]"),
        "{out}"
    );

    // A clean repository passes.
    let clean = repo("clean");
    let (ok, out) = pre_commit(
        clean.path(),
        home.path(),
        &["try-repo", this, "shiplint", "--all-files"],
        None,
    );
    assert!(ok, "{out}");
    assert!(out.contains("Passed"), "{out}");

    // The system hook runs the shiplint on PATH.
    let bin = shiplint_bin();
    let bin_dir = bin.parent().expect("bin dir");
    let (ok, out) = pre_commit(
        bad.path(),
        home.path(),
        &["try-repo", this, "shiplint-system", "--all-files"],
        Some(bin_dir),
    );
    assert!(!ok, "{out}");
    assert!(out.contains("shiplint (system)"), "{out}");
    assert!(out.contains("high[oidc-subject-any-repo]"), "{out}");
    let (ok, out) = pre_commit(
        clean.path(),
        home.path(),
        &["try-repo", this, "shiplint-system", "--all-files"],
        Some(bin_dir),
    );
    assert!(ok, "{out}");
}

#[test]
#[ignore = "needs zizmor; .ci/run runs it"]
fn zizmor_finds_nothing_in_the_action_and_the_workflows() {
    let zizmor = tool("ZIZMOR", "zizmor");
    for persona in ["regular", "pedantic", "auditor"] {
        let out = Command::new(&zizmor)
            .current_dir(manifest_dir())
            .args(["--offline", "--no-progress", "--persona", persona])
            .args([
                "action.yml",
                "scripts/action/example-workflow.yml",
                ".github/workflows/release.yml",
            ])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {zizmor}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "zizmor ({persona}) reports:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("No findings to report"),
            "{persona}: {stdout}"
        );
        assert!(!stdout.contains("suppressed"), "{persona}: {stdout}");
    }
}
