#!/usr/bin/env bash
# The outside client test (node_client_test.js): Node.js @grpc/grpc-js and an npm reflection
# client against the real `destination` binary.
#
#   bash tests/e2e/node_client/run.sh DESTINATION WORK_DIR
#
# DESTINATION is the built binary; WORK_DIR a directory in the build tree (CTest passes
# build-test/tests/node_client). The pinned packages of package-lock.json are installed there with
# `npm ci` (its cache in WORK_DIR/npm-cache), again only when the lock file changes; the server's
# log of the last run is WORK_DIR/destination.log. Needs node and npm (Debian's nodejs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ne 2 ]; then
  echo "usage: $0 DESTINATION WORK_DIR" >&2
  exit 2
fi
bin="$1"
work="$2"
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "node_client_test: FAIL: $tool not found (Debian's nodejs; also npm where nodejs lacks it)"
    exit 1
  fi
done
[ -x "$bin" ] || { echo "node_client_test: FAIL: $bin is not an executable"; exit 1; }

mkdir -p "$work"
if ! cmp -s "$here/package-lock.json" "$work/installed.lock" || [ ! -d "$work/node_modules" ]; then
  rm -f "$work/installed.lock"
  cp "$here/package.json" "$here/package-lock.json" "$work/"
  if ! (cd "$work" && timeout 240 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
          --cache "$work/npm-cache" >"$work/npm.log" 2>&1); then
    echo "node_client_test: FAIL: npm ci in $work failed or took over 240 s (log: $work/npm.log)"
    exit 1
  fi
  cp "$here/package-lock.json" "$work/installed.lock"
fi

NODE_PATH="$work/node_modules" exec node "$here/node_client_test.js" "$bin" \
  "$here/../../../examples/trafficsplit-sample" "$work"
