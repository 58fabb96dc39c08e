#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time on its seed corpus (tests/fuzz/corpus/NAME, the
# crashers of docs/reliability.md among them), in a scratch copy so the repository is not written.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_EACH=20]
# Exits non-zero when a target crashes, leaks, times out on one input or exceeds its memory; the
# crashing input is kept in the scratch directory and printed. For hours:
#   BUILD_DIR/fuzz/yaml_manifest_fuzz -max_total_time=14400 -jobs=2 tests/fuzz/corpus/yaml_manifest
set -euo pipefail
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_EACH]}
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/fuzz.XXXXXX)
failed=0
passed=0
for bin in "$build"/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  mkdir -p "$scratch/$name/corpus" "$scratch/$name/artifacts"
  start=$(date +%s)
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$scratch/$name/artifacts/" \
       "$scratch/$name/corpus" "$here/corpus/$name" >"$scratch/$name/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$name/log")
    echo "fuzz $name: ok, ${runs:-?} inputs in $(($(date +%s) - start)) s"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED"; tail -40 "$scratch/$name/log"; ls -l "$scratch/$name/artifacts"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ] && rm -rf "$scratch"
[ "$failed" = 0 ]
