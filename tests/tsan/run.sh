#!/bin/bash
# ThreadSanitizer on the concurrent code that does not go through gRPC's uninstrumented core:
# the store, the topics and the registry, the fan-out pool, the manifests source's reload thread
# and the Kubernetes source's reflectors (against the fake API server), with many threads
# subscribing, unsubscribing and changing the store at once (concurrency_stress_test).
#
# Debian's Abseil is not instrumented, so every absl::Mutex would look like no synchronization at
# all; build_absl.sh builds Debian's own Abseil source with -fsanitize=thread, and the tests run
# with it on LD_LIBRARY_PATH. A self-check proves both halves: a correct absl::Mutex program is
# clean (the instrumented Abseil is the one loaded) and a racy one is reported (TSan is on).
#
#   bash tests/tsan/run.sh [BUILD_DIR]   (default build-tsan; reuses the Abseil build)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-tsan}
tests=(concurrency_stress_test profile_topic_test endpoint_topic_test manifests_source_test
       kube_source_test fanout_scheduler_test)

bash tests/tsan/build_absl.sh "$dir"
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDEST_BUILD_BENCH=OFF -DDEST_SANITIZE=thread >/dev/null
cmake --build "$dir" --target tsan_selfcheck "${tests[@]}"

export LD_LIBRARY_PATH="$(realpath "$dir")/absl-tsan/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$PWD/tests/tsan/suppressions.txt"
libs=$(ldd "$dir/tests/concurrency_stress_test")
if ! grep -q "absl-tsan/lib/libabsl_synchronization" <<<"$libs"; then
  echo "tsan: the instrumented Abseil is not the one loaded" >&2; exit 1
fi
if ! "$dir/tests/tsan_selfcheck" mutex; then
  echo "tsan: self-check failed: a correct absl::Mutex program was reported" >&2; exit 1
fi
if out=$("$dir/tests/tsan_selfcheck" race 2>&1) || ! grep -q "ThreadSanitizer: data race" <<<"$out"; then
  echo "tsan: self-check failed: a data race went unreported" >&2; exit 1
fi
echo "tsan: self-check ok (absl::Mutex seen, a race reported)"

rc=0
for t in "${tests[@]}"; do
  t0=$(date +%s)
  if DEST_BIN_DIR="$dir/bin" DEST_SOURCE_DIR="$PWD" timeout 900 "$dir/tests/$t" \
       --gtest_brief=1 >"$dir/$t.tsan.log" 2>&1; then
    echo "tsan: $t ok ($(($(date +%s) - t0)) s)"
  else
    rc=1
    echo "tsan: $t FAILED ($(($(date +%s) - t0)) s); its output:" >&2
    tail -n 120 "$dir/$t.tsan.log" >&2
  fi
done
exit $rc
