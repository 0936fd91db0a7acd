#!/usr/bin/env bash
# Tests the GitHub Action's scripts locally, with the GITHUB_* variables a
# runner sets: install from source and from a (fake, local) release asset with
# its checksum check, then runs on a fixture repository and checks the exit
# codes, outputs, SARIF, annotations and step summary.
#
# Set CARGO_TARGET_DIR to reuse a build. Ends with "N passed, N failed".
set -uo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # check NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name"
  fi
}

# A fresh runner: workspace, temp, output files.
runner() {
  rm -rf "$tmp/runner" "$tmp/ws"
  mkdir -p "$tmp/runner/temp" "$tmp/ws"
  cp -R "$repo/testdata/ship/app/." "$tmp/ws/"
  git -C "$tmp/ws" init -q
  git -C "$tmp/ws" add .
  git -C "$tmp/ws" -c user.name=ci -c user.email=ci@example.com -c commit.gpgsign=false \
    commit -q -m fixture
  export GITHUB_ACTION_PATH=$repo
  export GITHUB_WORKSPACE=$tmp/ws
  export RUNNER_TEMP=$tmp/runner/temp
  export GITHUB_OUTPUT=$tmp/runner/output
  export GITHUB_STEP_SUMMARY=$tmp/runner/summary
  export GITHUB_ACTIONS=true
  : >"$GITHUB_OUTPUT"
  : >"$GITHUB_STEP_SUMMARY"
  unset INPUT_PATHS INPUT_CONFIG INPUT_FAIL_ON INPUT_FORMAT INPUT_SARIF_FILE \
    INPUT_BASELINE INPUT_DIFF_BASE INPUT_VERSION
}

output() { # output NAME: the last value written to GITHUB_OUTPUT
  sed -n "s/^$1=//p" "$GITHUB_OUTPUT" | tail -n 1
}

# Runs a script from the workspace; sets $code and $log.
step() {
  log=$tmp/runner/log
  (cd "$GITHUB_WORKSPACE" && bash "$repo/scripts/action/$1") >"$log" 2>&1
  code=$?
}

# --- install from source ------------------------------------------------
runner
INPUT_VERSION=source step install.sh
check "source install exits 0" test "$code" = 0
bin=$(output path)
check "source install sets the path output" test -x "$bin"
check "the installed binary runs" grep -q '^shiplint ' "$log"
cp "$bin" "$tmp/shiplint-built"
export SHIPLINT_BIN=$tmp/shiplint-built

# --- run: defaults ------------------------------------------------------
step run.sh
check "findings fail the step (exit 1)" test "$code" = 1
check "findings output" test "$(output findings)" = 2
check "sarif-file output" test "$(output sarif-file)" = "$RUNNER_TEMP/shiplint.sarif"
check "SARIF written in the workspace with 2 results" python3 -c '
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0"
assert len(log["runs"][0]["results"]) == 2
' "$RUNNER_TEMP/shiplint.sarif"
check "annotations in the log" grep -q '^::error file=deploy/appspec.yaml,line=8' "$log"
check "summary has the totals" grep -qF '**2 findings**' "$GITHUB_STEP_SUMMARY"
check "summary has the snippet" grep -qF '>    8 |           ContainerName: app' "$GITHUB_STEP_SUMMARY"
check "the workspace is left untouched" test -z "$(git -C "$GITHUB_WORKSPACE" status --porcelain)"

# --- run: inputs --------------------------------------------------------
runner
INPUT_FAIL_ON=critical INPUT_FORMAT=concise INPUT_SARIF_FILE=out/results.sarif step run.sh
check "fail-on critical passes" test "$code" = 0
check "findings still counted" test "$(output findings)" = 2
check "sarif-file input honoured" test -s "$GITHUB_WORKSPACE/out/results.sarif"
check "concise log format" grep -q '^deploy/appspec.yaml:8:26: high' "$log"
: >"$GITHUB_OUTPUT"
INPUT_SARIF_FILE=out/results.sarif step run.sh
check "a SARIF file in the workspace is not scanned" test "$(output findings)" = 2

runner
INPUT_PATHS=$'iam\n' step run.sh
check "paths input limits the scan" test "$(output findings)" = 1

runner
INPUT_DIFF_BASE=HEAD step run.sh
check "diff-base with nothing changed passes" test "$code" = 0
check "diff-base reports nothing" test "$(output findings)" = 0
printf '\n' >>"$GITHUB_WORKSPACE/iam/deploy-trust.json"
: >"$GITHUB_OUTPUT"
INPUT_DIFF_BASE=HEAD step run.sh
check "diff-base reports the changed file" test "$(output findings)" = 1

runner
(cd "$GITHUB_WORKSPACE" && "$SHIPLINT_BIN" --write-baseline .shiplint-baseline.json . 2>/dev/null)
INPUT_BASELINE=.shiplint-baseline.json step run.sh
check "baseline input hides recorded findings" test "$code:$(output findings)" = 0:0

runner
INPUT_FORMAT=sarif step run.sh
check "bad format is a usage error" test "$code" = 2
runner
INPUT_FAIL_ON=sometimes step run.sh
check "bad fail-on is a usage error" test "$code" = 2

# --- run: a wrong directory fails ---------------------------------------
runner
INPUT_PATHS="deplyo" step run.sh
check "a missing path fails the step (exit 2)" test "$code" = 2
check "a missing path is named" grep -q 'deplyo' "$log"

# --- install from a release asset ---------------------------------------
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  *) target=x86_64-apple-darwin ;;
esac
asset=shiplint-v9.9.9-$target.tar.gz
mkdir -p "$tmp/releases/v9.9.9" "$tmp/pack/shiplint-v9.9.9"
cp "$SHIPLINT_BIN" "$tmp/pack/shiplint-v9.9.9/shiplint"
tar -czf "$tmp/releases/v9.9.9/$asset" -C "$tmp/pack" shiplint-v9.9.9
sum=$(sha256sum "$tmp/releases/v9.9.9/$asset" | cut -d' ' -f1)
printf '# test\n%s  %s\n' "$sum" "$asset" >"$tmp/checksums.txt"
export SHIPLINT_RELEASE_BASE_URL=file://$tmp/releases
export SHIPLINT_CHECKSUMS=$tmp/checksums.txt

runner
INPUT_VERSION=9.9.9 step install.sh
check "release install exits 0" test "$code" = 0
check "release install sets the path output" test -x "$(output path)"
check "release binary is the packed one" cmp -s "$(output path)" "$SHIPLINT_BIN"

runner
printf '%s  %s\n' "$(printf '0%.0s' {1..64})" "$asset" >"$tmp/checksums.txt"
INPUT_VERSION=v9.9.9 step install.sh
check "checksum mismatch refuses the asset" test "$code" = 2
check "checksum mismatch is explained" grep -q 'SHA-256 mismatch' "$log"
check "nothing installed on mismatch" test ! -e "$RUNNER_TEMP/shiplint-bin/shiplint"

runner
INPUT_VERSION=9.9.8 step install.sh
check "unknown release refused" test "$code" = 2
check "unknown release is explained" grep -q 'cannot download the SHA256SUMS of release v9.9.8' "$log"

# Not pinned in checksums.txt: the release's own SHA256SUMS decides.
: >"$tmp/checksums.txt"
printf '%s  %s\n' "$sum" "$asset" >"$tmp/releases/v9.9.9/SHA256SUMS"
runner
INPUT_VERSION=9.9.9 step install.sh
check "release install checked against SHA256SUMS" test "$code" = 0
check "SHA256SUMS named in the log" grep -q 'from the SHA256SUMS of release v9.9.9' "$log"
check "SHA256SUMS install is the packed one" cmp -s "$(output path)" "$SHIPLINT_BIN"
printf '%s  %s\n' "$(printf '1%.0s' {1..64})" "$asset" >"$tmp/releases/v9.9.9/SHA256SUMS"
runner
INPUT_VERSION=9.9.9 step install.sh
check "SHA256SUMS mismatch refuses the asset" test "$code" = 2
check "SHA256SUMS mismatch is explained" grep -q 'SHA-256 mismatch' "$log"

# The default version is the action's own (Cargo.toml of its checkout).
own=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1)
own_asset=shiplint-v$own-$target.tar.gz
mkdir -p "$tmp/releases/v$own"
cp "$tmp/releases/v9.9.9/$asset" "$tmp/releases/v$own/$own_asset"
printf '%s  %s\n' "$sum" "$own_asset" >"$tmp/releases/v$own/SHA256SUMS"
runner
step install.sh
check "default install downloads the action's own release" test "$code" = 0
check "default install names its asset" grep -q "Downloading $own_asset" "$log"
runner
INPUT_VERSION='1.0.0;touch x' step install.sh
check "malformed version refused" test "$code" = 2
unset SHIPLINT_RELEASE_BASE_URL SHIPLINT_CHECKSUMS

echo "action: $passed passed, $failed failed"
[ "$failed" = 0 ]
