//! shiplint never writes into the tree it scans: a scan of a read-only copy
//! of every fixture, in every format, leaves each file and directory exactly
//! as it was (content, size, permissions, modification time).

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from)
        .expect("read_dir")
        .filter_map(|e| e.ok())
    {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every path under `root` with its metadata and content.
fn snapshot(root: &Path) -> BTreeMap<String, (u64, u32, std::time::SystemTime, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read_dir")
            .filter_map(|e| e.ok())
        {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let content = if meta.is_file() {
                std::fs::read(&path).expect("read")
            } else {
                Vec::new()
            };
            if meta.is_dir() {
                stack.push(path.clone());
            }
            let key = path
                .strip_prefix(root)
                .expect("under root")
                .display()
                .to_string();
            out.insert(
                key,
                (
                    meta.len(),
                    meta.permissions().mode(),
                    meta.modified().expect("mtime"),
                    content,
                ),
            );
        }
    }
    out
}

fn set_read_only(root: &Path, read_only: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("read_dir")
                    .filter_map(|e| e.ok())
                    .map(|e| e.path()),
            );
        }
        let mode = match (meta.is_dir(), read_only) {
            (true, true) => 0o555,
            (true, false) => 0o755,
            (false, true) => 0o444,
            (false, false) => 0o644,
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

#[test]
fn scanning_changes_nothing_in_the_scanned_tree() {
    let work = tempfile::tempdir().expect("tempdir");
    let tree = work.path().join("testdata");
    std::fs::create_dir_all(&tree).expect("mkdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        &tree,
    );
    set_read_only(&tree, true);
    let before = snapshot(&tree);
    assert!(before.len() > 20, "the fixtures were copied");
    let reports = tempfile::tempdir().expect("tempdir");
    for format in ["full", "concise", "json", "sarif", "github"] {
        let output = reports.path().join(format!("report.{format}"));
        let status = Command::cargo_bin("shiplint")
            .expect("binary")
            .current_dir(&tree)
            .args(["--format", format, "--output"])
            .arg(&output)
            .arg(".")
            .output()
            .expect("runs")
            .status;
        assert_eq!(status.code(), Some(1), "{format}");
        assert!(output.exists(), "{format} report written outside the tree");
    }
    let after = snapshot(&tree);
    set_read_only(&tree, false);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files added or removed"
    );
    for (path, state) in &before {
        assert!(after.get(path) == Some(state), "{path} changed");
    }
}
