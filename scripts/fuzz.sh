#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), seeded from testdata/.
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Crashes land in fuzz/artifacts/<target>/; add each as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
targets="${TARGETS:-syntax embedded scan sarif_roundtrip fix program_typescript program_python}"
for target in $targets; do
  corpus="fuzz/corpus/$target"
  mkdir -p "$corpus"
  # Seed with every fixture, prefixed by a selector byte for each front-end.
  find testdata -type f -size -64k | while read -r f; do
    for s in 0 1 2 3; do
      printf "\\x$(printf %02x "$s")" | cat - "$f" > "$corpus/seed-$s-$(echo "$f" | tr '/' '_')"
    done
  done
  echo "== $target for ${seconds}s"
  if cargo +nightly fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=262144 > "fuzz/$target.log" 2>&1; then
    grep -E '^Done' "fuzz/$target.log" || true
  else
    echo "CRASH in $target: see fuzz/$target.log and fuzz/artifacts/$target/"
    failed=1
  fi
done
exit "${failed:-0}"
