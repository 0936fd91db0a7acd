#!/usr/bin/env bash
# Runs shiplint for the GitHub Action: SARIF for code scanning, annotations
# (or concise/full diagnostics) in the log, a Markdown summary in
# $GITHUB_STEP_SUMMARY, and the outputs `findings` and `sarif-file`. Exits 1
# when a finding reaches fail-on, 2 on a usage error.
set -euo pipefail

bin=${SHIPLINT_BIN:-shiplint}
temp=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
if [ -n "${GITHUB_WORKSPACE:-}" ]; then
  cd "$GITHUB_WORKSPACE"
fi

read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
[ "${#paths[@]}" -gt 0 ] || paths=(.)

args=(--color never)
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_FAIL_ON:-}" ] || args+=(--fail-on "$INPUT_FAIL_ON")
[ -z "${INPUT_BASELINE:-}" ] || args+=(--baseline "$INPUT_BASELINE")
[ -z "${INPUT_DIFF_BASE:-}" ] || args+=(--diff-base "$INPUT_DIFF_BASE")

format=${INPUT_FORMAT:-github}
case "$format" in
  github | concise | full) ;;
  *)
    echo "::error title=shiplint::format must be github, concise or full, not \"$format\""
    exit 2
    ;;
esac
# By default the SARIF report stays out of the workspace (it quotes the rules'
# documentation, examples included); a path given inside it is excluded from
# the scan.
sarif=${INPUT_SARIF_FILE:-$temp/shiplint.sarif}
case "$sarif" in
  /*) ;;
  *) args+=(--exclude "$sarif") ;;
esac

# SARIF first: its exit code decides the step's. It is written outside the
# workspace and moved into place last, so that the other scans do not read it.
sarif_tmp=$(mktemp "$temp/shiplint-sarif.XXXXXX")
status=0
"$bin" check "${args[@]}" --format sarif --output "$sarif_tmp" -- "${paths[@]}" || status=$?
if [ "$status" -ge 2 ]; then
  echo "::error title=shiplint::shiplint failed with exit code $status"
  exit "$status"
fi

# The log: annotations on the pull request, or diagnostics.
"$bin" check "${args[@]}" --format "$format" -- "${paths[@]}" || true

concise=$(mktemp "$temp/shiplint-concise.XXXXXX")
"$bin" check "${args[@]}" --format concise --output "$concise" -- "${paths[@]}" || true
# One line per finding, `path:line:col: severity[rule] message`; skipped
# files are listed as `path: skipped: reason` and not counted.
findings=$(grep -cE ':[0-9]+:[0-9]+: (critical|high|medium|low|info)\[' "$concise" || true)
rm -f "$concise"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  summary=$(mktemp "$temp/shiplint-summary.XXXXXX")
  "$bin" check "${args[@]}" --format markdown --output "$summary" -- "${paths[@]}" || true
  # GitHub keeps at most 1 MiB of summary per step.
  limit=$((1000 * 1000))
  if [ "$(wc -c <"$summary")" -gt "$limit" ]; then
    head -c "$limit" "$summary" >>"$GITHUB_STEP_SUMMARY"
    printf '\n\n*(cut: the full report is in %s)*\n' "$sarif" >>"$GITHUB_STEP_SUMMARY"
  else
    cat "$summary" >>"$GITHUB_STEP_SUMMARY"
  fi
  rm -f "$summary"
fi

mkdir -p "$(dirname "$sarif")"
mv "$sarif_tmp" "$sarif"
{
  echo "findings=$findings"
  echo "sarif-file=$sarif"
} >>"${GITHUB_OUTPUT:-/dev/null}"
echo "shiplint: $findings findings; SARIF in $sarif"
exit "$status"
