#!/bin/bash
# The whole test suite, as the README's second command and CI run it (after
# `sh packages/install.sh build test`): the build with every test, the service and destctl built
# again with clang (its -Wthread-safety checks every ABSL_GUARDED_BY), then every test (unit,
# end-to-end against the real binaries, the fake API server, the Helm chart checks, the soak).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-test -G Ninja -DDEST_BUILD_BENCH=OFF
cmake --build build-test
CXX=clang++ cmake -S . -B build-tsa -G Ninja -DDEST_BUILD_TESTS=OFF -DDEST_BUILD_BENCH=OFF
cmake --build build-tsa --target destination destctl
ctest --test-dir build-test --output-on-failure -j2 --timeout 300
