#!/usr/bin/env bash
# Installs shiplint for the GitHub Action; prints `path=<binary>` to
# $GITHUB_OUTPUT.
#
#   INPUT_VERSION=         (the default) the release of this action's own
#                          version (Cargo.toml of the action's checkout)
#   INPUT_VERSION=X.Y.Z    download release vX.Y.Z's asset for this runner and
#                          check its SHA-256: against scripts/action/checksums.txt
#                          when the release is listed there (pinned in the
#                          action's repository), else against the SHA256SUMS
#                          file the release workflow attached to the release
#   INPUT_VERSION=source   build the action's checkout with cargo
#
# Test hooks (the action never sets them): SHIPLINT_RELEASE_BASE_URL replaces
# the release download URL (https:// or file://), SHIPLINT_CHECKSUMS the
# checksum list.
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/../.." && pwd)}
version=${INPUT_VERSION:-}
if [ -z "$version" ]; then
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)
  [ -n "$version" ] || version=source
fi
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
bin_dir="$temp/shiplint-bin"
mkdir -p "$bin_dir"

fail() {
  echo "::error title=shiplint install::$*"
  exit 2
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

if [ "$version" = "source" ]; then
  command -v cargo >/dev/null 2>&1 || fail "version: source needs cargo on the runner (e.g. dtolnay/rust-toolchain) or use a release version"
  target_dir=${CARGO_TARGET_DIR:-$action_path/target}
  echo "Building shiplint from $action_path"
  CARGO_TARGET_DIR="$target_dir" cargo build --release --locked --quiet \
    --manifest-path "$action_path/Cargo.toml" --bin shiplint
  cp "$target_dir/release/shiplint" "$bin_dir/shiplint"
else
  [[ "$version" =~ ^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]] || fail "version must be \"source\" or a release such as 0.1.0, not \"$version\""
  version=${version#v}
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) fail "no shiplint release asset for $(uname -s) $(uname -m): use version: source" ;;
  esac
  asset="shiplint-v${version}-${target}.tar.gz"
  checksums=${SHIPLINT_CHECKSUMS:-$action_path/scripts/action/checksums.txt}
  expected=$(awk -v a="$asset" '$2 == a { print $1 }' "$checksums" 2>/dev/null | head -n 1)
  base=${SHIPLINT_RELEASE_BASE_URL:-https://github.com/shiplint/shiplint/releases/download}
  case "$base" in
    https://*) proto='=https' ;;
    file://*) proto='=file' ;;
    *) fail "release URL must be https:// or file://" ;;
  esac
  work=$(mktemp -d "$temp/shiplint-download.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  if [[ "$expected" =~ ^[0-9a-f]{64}$ ]]; then
    echo "SHA-256 of $asset pinned in $(basename "$checksums")"
  else
    # Not pinned yet (a release newer than this checkout of the action): the
    # checksums the release workflow computed and attached to the release.
    curl --fail --silent --show-error --location --proto "$proto" --proto-redir '=https' \
      --retry 3 --output "$work/SHA256SUMS" "$base/v$version/SHA256SUMS" \
      || fail "cannot download the SHA256SUMS of release v$version (is there such a release?): use a released version or version: source"
    expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/SHA256SUMS" | head -n 1)
    [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "$asset is not listed in the SHA256SUMS of release v$version"
    echo "SHA-256 of $asset from the SHA256SUMS of release v$version"
  fi
  echo "Downloading $asset"
  curl --fail --silent --show-error --location --proto "$proto" --proto-redir '=https' \
    --retry 3 --output "$work/$asset" "$base/v$version/$asset" || fail "cannot download $asset"
  actual=$(sha256 "$work/$asset")
  if [ "$actual" != "$expected" ]; then
    fail "SHA-256 mismatch for $asset: expected $expected, got $actual; not installed"
  fi
  mkdir -p "$work/unpacked"
  tar -xzf "$work/$asset" -C "$work/unpacked"
  found=$(find "$work/unpacked" -type f -name shiplint | head -n 1)
  [ -n "$found" ] || fail "$asset holds no shiplint binary"
  cp "$found" "$bin_dir/shiplint"
fi
chmod 755 "$bin_dir/shiplint"
"$bin_dir/shiplint" --version
echo "path=$bin_dir/shiplint" >> "${GITHUB_OUTPUT:-/dev/null}"
