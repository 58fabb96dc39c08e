#!/bin/sh
# Installs the Debian packages of the named sets (packages/SET.txt) that are missing:
#   sh packages/install.sh build         what building the service needs
#   sh packages/install.sh build test    and what the test suite needs
# Does nothing when all are installed; uses sudo when not root.
set -eu
dir=$(dirname "$0")
[ $# -gt 0 ] || { echo "usage: $0 SET..." >&2; exit 2; }
pkgs=""
for set in "$@"; do
  [ -f "$dir/$set.txt" ] || { echo "$0: no package set $dir/$set.txt" >&2; exit 2; }
  pkgs="$pkgs $(grep -v '^#' "$dir/$set.txt" | tr '\n' ' ')"
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
# shellcheck disable=SC2086
if ! dpkg -s $pkgs >/dev/null 2>&1; then
  $sudo apt-get update
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
fi
# Debian's nodejs comes without npm (its own package); a NodeSource nodejs bundles npm and
# conflicts with Debian's. So npm is installed only where nodejs left it out.
case " $pkgs " in
  *" nodejs "*)
    if ! command -v npm >/dev/null 2>&1; then
      $sudo apt-get update
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends npm
    fi ;;
esac
