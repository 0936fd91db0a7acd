#!/usr/bin/env bash
# Benchmarks `shiplint report` merging an organisation's results: 5,000
# SARIF files (scripts/gen-sarif.py, one per repository, as the matrix jobs
# of docs/org-scale.md upload them), into the Markdown and HTML audit
# reports and the trust map. Prints wall-clock seconds and peak memory, and
# fails when either passes its bound.
#
#   scripts/bench-report.sh                 # 5,000 files
#   FILES=20000 scripts/bench-report.sh
#   MAX_SECONDS=10 MAX_MIB=256 scripts/bench-report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
files="${FILES:-5000}"
max_seconds="${MAX_SECONDS:-10}"
max_mib="${MAX_MIB:-256}"
out=target/bench
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/shiplint
dir="$out/sarif-$files"
[ -d "$dir" ] || python3 scripts/gen-sarif.py "$dir" --files "$files" >/dev/null
echo "results: $files SARIF files, $(du -sh "$dir" | cut -f1)"

status=0
measure() { # label, then the command
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null
  read -r s k <"$out/time"
  local mib=$((k / 1024))
  printf '%-28s %6.2f s %6d MiB\n' "$label" "$s" "$mib"
  if awk "BEGIN{exit !($s > $max_seconds)}" || [ "$mib" -gt "$max_mib" ]; then
    echo "  over the bound ($max_seconds s, $max_mib MiB)" >&2
    status=1
  fi
}

# The directory form (artifacts as downloaded) and the file list form.
measure "report (markdown, dir)" "$bin" report "$dir" -o "$out/audit.md"
measure "report (html, dir)" "$bin" report --format html "$dir" -o "$out/audit.html"
measure "report --trust-map (html)" "$bin" report --trust-map --format html "$dir" -o "$out/trust-map.html"
mapfile -t list < <(find "$dir" -name '*.sarif' | sort)
measure "report (markdown, files)" "$bin" report "${list[@]}" -o "$out/audit-files.md"
head -3 "$out/audit.md" | tail -1
exit "$status"
