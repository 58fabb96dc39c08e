#!/usr/bin/env bash
# Builds the test-only Helm template renderer (tests/chart/render) offline.
#
#   tests/chart/render/build.sh OUTPUT_BINARY
#
# Works from any directory; OUTPUT_BINARY may be relative to the current one.
# Needs only Debian packages, no network and no Go module download:
#   apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
# It builds in GOPATH mode against /usr/share/gocode. Debian installs sprig v3
# at github.com/Masterminds/sprig (no /v3 folder); GOPATH mode only maps the
# import "github.com/Masterminds/sprig/v3" onto it when the importing package
# has a go.mod AND lies inside a GOPATH src tree, so the sources (main.go and
# the go.mod stub) are copied into a throw-away GOPATH/src/render first.
# GOPATH and GOCACHE live in a temporary directory removed on exit, so HOME is
# never touched (and need not be set). A cold build takes ~8 s on two cores;
# set RENDER_GOCACHE=DIR to keep the Go build cache in DIR instead (reruns then
# take ~2 s).
set -euo pipefail

PKGS="golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev"
GOCODE=/usr/share/gocode

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTPUT_BINARY" >&2
  exit 2
fi
src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

# $GO may name the go binary; otherwise go on PATH, then Debian's default.
gobin="${GO:-$(command -v go || true)}"
if [ -z "$gobin" ] && [ -x /usr/lib/go/bin/go ]; then gobin=/usr/lib/go/bin/go; fi
if [ -z "$gobin" ] || [ ! -x "$gobin" ]; then
  echo "build.sh: 'go' not found${GO:+ (GO=$GO)}. Install the Debian packages: apt-get install $PKGS" >&2
  exit 1
fi
for pkg in github.com/Masterminds/sprig sigs.k8s.io/yaml github.com/Masterminds/semver; do
  if [ ! -f "$GOCODE/src/$pkg/go.mod" ]; then
    echo "build.sh: Go package $pkg not found under $GOCODE/src." >&2
    echo "build.sh: install the Debian packages: apt-get install $PKGS" >&2
    exit 1
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/render-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/gopath/src/render" "$(dirname "$out")"
cp "$src/main.go" "$src/go.mod" "$work/gopath/src/render/"
cache="${RENDER_GOCACHE:-$work/gocache}"
mkdir -p "$cache"
case "$cache" in /*) ;; *) cache="$PWD/$cache" ;; esac

cd "$work/gopath/src/render"
env GO111MODULE=off GOFLAGS= GOENV=off GOPROXY=off \
  GOPATH="$work/gopath:$GOCODE" GOCACHE="$cache" GOTMPDIR="$work" \
  "$gobin" build -o "$out" . || {
    echo "build.sh: go build failed (if an import is missing: apt-get install $PKGS)" >&2
    exit 1
  }
