//! No full secret value ever reaches an output: real-shaped credentials are
//! generated for each run, written into files of several kinds, and every
//! format's output is searched for them.

use assert_cmd::Command;
use std::path::Path;

/// A small xorshift generator seeded from the clock, so that every run
/// checks different values (and no value is committed anywhere).
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64);
        Rng(nanos | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }

    /// An access key id: prefix and 16 characters of base32, never ending
    /// in EXAMPLE.
    fn key_id(&mut self, prefix: &str) -> String {
        format!(
            "{prefix}{}",
            self.pick(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 15) + "Q"
        )
    }

    /// A secret access key: 40 characters of base64 with upper case, lower
    /// case and digits (as random keys have).
    fn secret(&mut self) -> String {
        let body = self.pick(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+",
            37,
        );
        format!("A{body}z7")
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn no_format_prints_a_full_secret() {
    let mut rng = Rng::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let (id1, s1) = (rng.key_id("AKIA"), rng.secret());
    let (id2, s2) = (rng.key_id("ASIA"), rng.secret());
    let (id3, s3) = (rng.key_id("AKIA"), rng.secret());
    let s4 = rng.secret();
    // Plain text files (no parsed document).
    write(
        dir.path(),
        "config/credentials",
        &format!("[deploy]\naws_access_key_id = {id1}\naws_secret_access_key = {s1}\n"),
    );
    write(
        dir.path(),
        "session.json",
        &format!(
            "{{\"Credentials\": {{\"AccessKeyId\": \"{id2}\",\n  \"SecretAccessKey\": \"{s2}\"}}}}\n"
        ),
    );
    // A workflow with literal keys (reported by workflow-static-aws-credentials).
    write(
        dir.path(),
        ".github/workflows/deploy.yml",
        &format!(
            "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          aws-access-key-id: {id3}\n          aws-secret-access-key: \"{s3}\"\n          aws-region: eu-west-1\n"
        ),
    );
    // A buildspec with a plaintext secret variable.
    write(
        dir.path(),
        "buildspec.yml",
        &format!(
            "version: 0.2\nenv:\n  variables:\n    AWS_SECRET_ACCESS_KEY: {s4}\nphases:\n  build:\n    commands:\n      - make\n"
        ),
    );
    let secrets = [&id1, &s1, &id2, &s2, &id3, &s3, &s4];

    for format in ["full", "concise", "json", "sarif", "github"] {
        let out = Command::cargo_bin("shiplint")
            .expect("binary built")
            .current_dir(dir.path())
            .args(["--no-config", "--format", format, "--color", "never", "."])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        for secret in secrets {
            assert!(
                !stdout.contains(secret.as_str()) && !stderr.contains(secret.as_str()),
                "{format} output holds the full value {secret}:\n{stdout}"
            );
            // Not even the middle of it.
            let middle = &secret[4..secret.len() - 4];
            assert!(!stdout.contains(middle), "{format}: middle of {secret}");
        }
        // The findings are there, with the values masked.
        for rule in [
            "aws-access-key-id",
            "aws-secret-access-key",
            "workflow-static-aws-credentials",
        ] {
            assert!(stdout.contains(rule), "{format}: no {rule} finding");
        }
        if format == "concise" || format == "full" {
            for secret in [&id1, &s1, &id2, &s2, &id3] {
                let masked = format!(
                    "{}{}{}",
                    &secret[..4],
                    "*".repeat(secret.len() - 8),
                    &secret[secret.len() - 4..]
                );
                assert!(stdout.contains(&masked), "{format}: {masked} not shown");
            }
        }
    }

    // --output writes the same masked report.
    let report = dir.path().join("report.sarif");
    let out = Command::cargo_bin("shiplint")
        .expect("binary built")
        .current_dir(dir.path())
        .args(["--no-config", "--format", "sarif", "--output"])
        .arg(&report)
        .arg(".")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let written = std::fs::read_to_string(&report).expect("report written");
    assert!(written.contains("aws-secret-access-key"));
    for secret in secrets {
        assert!(
            !written.contains(secret.as_str()),
            "--output holds {secret}"
        );
    }
}
