#!/usr/bin/env bash
# Benchmarks shiplint against the cost of reading the files and against
# checkov, on reproducible synthetic repositories (scripts/gen-corpus.py).
#
#   scripts/bench.sh            # 10,000 and 100,000 files, checkov if installed
#   CHECKOV=/path/to/checkov scripts/bench.sh
#   SKIP_100K=1 scripts/bench.sh
#
# Prints wall-clock seconds, peak memory and the ratios the README reports.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/bench
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/shiplint
checkov="${CHECKOV:-$(command -v checkov || true)}"

corpus() { # files config large
  local dir="$out/corpus-$1"
  [ -d "$dir" ] || python3 scripts/gen-corpus.py "$dir" --files "$1" --config "$2" --large "$3" >/dev/null
  echo "$dir"
}

# seconds and peak KiB of a command, best of 3 runs (the page cache is warm).
measure() {
  local best_s="" best_k=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>&1 || true
    read -r s k < "$out/time"
    if [ -z "$best_s" ] || awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_k=$k; fi
  done
  echo "$best_s $best_k"
}

floor() { find "$1" -type f -print0 | xargs -0 cat > /dev/null; }
export -f floor

c10=$(corpus 10000 500 3)
read -r floor_s floor_k < <(measure bash -c "floor $c10")
read -r ship_s ship_k < <(measure "$bin" "$c10" --no-config --format json --fail-on never)
printf '10,000 files (500 configuration, 3 CloudFormation templates of 5 MB+):\n'
printf '  read-only floor  %6.2f s\n' "$floor_s"
printf '  shiplint         %6.2f s  %5d MiB peak  (%.1fx the floor)\n' "$ship_s" $((ship_k / 1024)) "$(awk "BEGIN{print $ship_s / $floor_s}")"
if [ -n "$checkov" ]; then
  /usr/bin/time -f "%e %M" -o "$out/time" "$checkov" -d "$c10" --framework terraform,cloudformation,github_actions --quiet --compact -o json >/dev/null 2>&1 || true
  read -r ck_s ck_k < "$out/time"
  printf '  checkov          %6.2f s  %5d MiB peak  (shiplint is %.0fx faster)\n' "$ck_s" $((ck_k / 1024)) "$(awk "BEGIN{print $ck_s / $ship_s}")"
else
  echo "  checkov          not installed (pip install checkov, or set CHECKOV)"
fi

if [ -z "${SKIP_100K:-}" ]; then
  c100=$(corpus 100000 5000 3)
  read -r big_s big_k < <(measure "$bin" "$c100" --no-config --format json --fail-on never)
  printf '100,000 files: shiplint %6.2f s  %5d MiB peak  (%.1fx the 10,000-file time)\n' "$big_s" $((big_k / 1024)) "$(awk "BEGIN{print $big_s / $ship_s}")"
fi

one="$out/one-buildspec"
mkdir -p "$one"
cp testdata/example-repo/ci/buildspec.yml "$one/buildspec.yml"
total=0
for _ in $(seq 20); do
  start=$(date +%s%N)
  "$bin" "$one/buildspec.yml" --no-config --format concise --fail-on never >/dev/null
  total=$((total + $(date +%s%N) - start))
done
printf 'one buildspec (pre-commit case), process start included: %.1f ms on average over 20 runs\n' "$(awk "BEGIN{print $total / 20 / 1000000}")"
