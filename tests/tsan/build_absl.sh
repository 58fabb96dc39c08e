#!/bin/bash
# Builds Debian's own Abseil (the source package of the installed libabsl20220623, with Debian's
# patches) as shared libraries instrumented with ThreadSanitizer, into $1/absl-tsan/lib. The
# libraries keep Debian's sonames, so a test run with LD_LIBRARY_PATH pointing there uses the
# instrumented absl::Mutex everywhere (our code and gRPC alike) and TSan sees its happens-before.
# Idempotent: a finished build is reused.
set -euo pipefail
out=$(realpath -m "${1:?usage: build_absl.sh OUTDIR}")
prefix="$out/absl-tsan"
if [[ -f "$prefix/.done" ]]; then echo "absl-tsan: reusing $prefix"; exit 0; fi
sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo

# apt-get source needs deb-src entries; add Debian's own (same mirror and keyring) when missing.
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  $sudo tee /etc/apt/sources.list.d/debian-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $sudo apt-get update -qq
fi
command -v dpkg-source >/dev/null || $sudo apt-get install -y -qq dpkg-dev >/dev/null

version=$(dpkg-query -W -f='${Version}' libabsl-dev)
src="$out/absl-src"
rm -rf "$src" && mkdir -p "$src"
(cd "$src" && apt-get source -qq "abseil=$version" 2>&1 | grep -v 'unsandboxed' || true)
tree=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'abseil-*' | head -1)
[[ -d "$tree" ]] || { echo "absl-tsan: apt-get source abseil=$version gave no source tree" >&2; exit 1; }

# The same configuration as Debian's shared build (C++17, so absl's std:: aliases match the
# headers in /usr/include), plus TSan.
cmake -S "$tree" -B "$out/absl-build" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_STANDARD=17 \
  -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF -DABSL_PROPAGATE_CXX_STD=ON \
  -DCMAKE_C_FLAGS="-fsanitize=thread" -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
cmake --build "$out/absl-build"
cmake --install "$out/absl-build" >/dev/null
touch "$prefix/.done"
echo "absl-tsan: built $(ls "$prefix"/lib/libabsl_*.so.* | wc -l) libraries into $prefix/lib"
