#!/usr/bin/env bash
# Builds the real Dockerfile with podman and runs the image the way the Helm chart's Deployment
# does, on the bundled example, on a Debian bookworm machine with no Docker engine and no registry:
#
#   1. installs podman, buildah, mmdebstrap and runc from apt when missing;
#   2. makes the `debian:bookworm` and `debian:bookworm-slim` base images from Debian's apt
#      repositories with mmdebstrap (kept between runs in $IMAGE_WORKDIR's podman storage);
#   3. `podman build --pull=never` of the Dockerfile; reports the image size (must be < 250 MB);
#   4. renders the chart (tests/chart/render) with the manifests source and takes the container's
#      args, ports, user/group, read-only root and capabilities from the rendered Deployment;
#   5. runs the image with exactly those, the example mounted read-only where the chart mounts its
#      manifests, ports published on 127.0.0.1 only;
#   6. checks gRPC health SERVING, /ready 200, /live 200, the example's GetProfile (the
#      TrafficSplit's two weighted backends), then `podman stop` exits 0 well under its timeout.
#
# Every wait has a deadline. Env: IMAGE_WORKDIR (default /var/tmp/destination-image),
# IMAGE_CHECK_RESET=1 to free the podman storage at the end, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
IMAGE=localhost/destination:check
STOP_TIMEOUT=30        # podman stop's kill timeout; a clean stop must take far less
MAX_STOP_SECONDS=10
MAX_IMAGE_MB=250
EXAMPLE=examples/trafficsplit-sample
AUTHORITY=backend-svc.trafficsplit-sample.svc.cluster.local:8080

stage_start=0
stage() { stage_start=$(date +%s); echo "== image check: $1"; }
stage_done() { echo "   ($(($(date +%s) - stage_start)) s)"; }
fail() { echo "image check FAILED: $*" >&2; exit 1; }

stage "install podman, buildah, mmdebstrap, runc"
need=""
for p in podman buildah mmdebstrap runc uidmap python3-yaml golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev curl; do
  dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
  $(command -v sudo) apt-get update -qq
  $(command -v sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
stage_done

# shellcheck source=tests/image/podman_env.sh
source tests/image/podman_env.sh
TMP=$(mktemp -d "$IMAGE_WORKDIR/check.XXXXXX")
CONTAINER=destination-check-$$
cleanup() {
  podman rm -f -t 0 "$CONTAINER" >/dev/null 2>&1 || true
  rm -rf "$TMP"
  if [ "${IMAGE_CHECK_RESET:-0}" = 1 ]; then podman system reset -f >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

stage "base images from Debian's repositories"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SOURCES=("deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main"
         "deb $SECURITY bookworm-security main")
make_base() {  # NAME [mmdebstrap options...]
  local name=$1; shift
  if podman image exists "$name"; then echo "   $name: present"; return; fi
  timeout 600 mmdebstrap --quiet --variant=minbase --mode=root \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "$@" \
    bookworm "$TMP/base.tar" "${SOURCES[@]}"
  podman import --quiet "$TMP/base.tar" "$name" >/dev/null
  rm -f "$TMP/base.tar"
  echo "   $name: made"
}
make_base docker.io/library/debian:bookworm
# As Debian's bookworm-slim: no man pages, docs or locales.
make_base docker.io/library/debian:bookworm-slim \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/lintian/*'
stage_done

stage "podman build --pull=never"
version=$(sed -n 's/^project(destination .*VERSION \([0-9.]*\)).*/\1/p' CMakeLists.txt)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
timeout 3000 podman build --pull=never --quiet=false --layers=true \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -t "$IMAGE" -f Dockerfile . >"$TMP/build.log" 2>&1 || { tail -50 "$TMP/build.log"; fail "podman build"; }
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
size_mb=$((size / 1000000))
echo "   image $IMAGE: $size_mb MB (limit $MAX_IMAGE_MB MB)"
[ "$size_mb" -lt "$MAX_IMAGE_MB" ] || fail "image is $size_mb MB, limit $MAX_IMAGE_MB MB"
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$user" = "65532:65532" ] || fail "image USER is '$user', want 65532:65532"
stage_done

stage "the chart's Deployment, rendered"
bash tests/chart/render/build.sh "$TMP/render" >/dev/null
"$TMP/render" --chart helm --namespace linkerd --set source=manifests \
  --set manifests.configMap=trafficsplit-sample >"$TMP/chart.yaml"
/usr/bin/python3 tests/image/deployment_args.py "$TMP/chart.yaml" >"$TMP/run.env"
# shellcheck disable=SC1091
source "$TMP/run.env"  # RUN_ARGS (array), RUN_USER, RUN_GROUP, GRPC_PORT, ADMIN_PORT, MANIFESTS_DIR, READ_ONLY, CAPS_DROP_ALL, NO_NEW_PRIVS
echo "   args: ${RUN_ARGS[*]}"
echo "   user $RUN_USER:$RUN_GROUP, read-only root: $READ_ONLY, drop ALL caps: $CAPS_DROP_ALL, no new privileges: $NO_NEW_PRIVS"
[ "$READ_ONLY" = true ] && [ "$CAPS_DROP_ALL" = true ] && [ "$NO_NEW_PRIVS" = true ] ||
  fail "the chart's default securityContext is not read-only, all caps dropped, no privilege escalation"
stage_done

stage "run the image as the chart does, on $EXAMPLE"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
host_grpc=$(free_port); host_admin=$(free_port)
run_flags=(--read-only --user "$RUN_USER:$RUN_GROUP" --security-opt no-new-privileges --cap-drop=ALL)
podman run -d --name "$CONTAINER" "${run_flags[@]}" \
  -p "127.0.0.1:$host_grpc:$GRPC_PORT" -p "127.0.0.1:$host_admin:$ADMIN_PORT" \
  -v "$ROOT/$EXAMPLE:$MANIFESTS_DIR:ro" "$IMAGE" "${RUN_ARGS[@]}" >/dev/null
ready=""
for _ in $(seq 1 150); do  # 30 s
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$host_admin/ready" || true)
  if [ "$code" = 200 ]; then ready=yes; break; fi
  [ "$(podman inspect --format '{{.State.Running}}' "$CONTAINER")" = true ] || break
  sleep 0.2
done
[ -n "$ready" ] || { podman logs "$CONTAINER" | tail -20; fail "/ready never answered 200 within 30 s"; }
echo "   /ready 200"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$host_admin/live")" = 200 ] ||
  fail "/live is not 200"
echo "   /live 200"
# destctl from the same image, on the host network, through the published port.
destctl() { timeout 30 podman run --rm --network=host --read-only --cap-drop=ALL \
  --entrypoint /usr/local/bin/destctl "$IMAGE" -addr="127.0.0.1:$host_grpc" "$@"; }
health=$(destctl health) || fail "gRPC health: $health"
echo "   gRPC health: $health"
echo "$health" | grep -q '"SERVING"' || fail "gRPC health is not SERVING"
destctl --timeout=2s profile "$AUTHORITY" >"$TMP/profile.json" || fail "GetProfile failed"
/usr/bin/python3 - "$TMP/profile.json" <<'PY' || fail "GetProfile answer is not the example's"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, "no GetProfile message"
p = json.loads(lines[-1])
got = sorted((o["authority"], o["weight"]) for o in p.get("dstOverrides", []))
want = [("backend-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000),
        ("failing-svc.trafficsplit-sample.svc.cluster.local.:8080", 5000000)]
assert got == want, f"dstOverrides {got}, want {want}"
assert p["fullyQualifiedName"] == "backend-svc.trafficsplit-sample.svc.cluster.local", p
print("   GetProfile:", ", ".join(f"{a} weight {w}" for a, w in got))
PY
destctl -o json explain "$AUTHORITY" >"$TMP/explain.json" || fail "Debug/Explain failed"
/usr/bin/python3 - "$TMP/explain.json" <<'PY' || fail "Explain does not name the example's split"
import json, sys
e = json.load(open(sys.argv[1]))
split = e["profile"]["splitApplied"]["name"]
assert split == "trafficsplit-sample/backend-split", e["profile"]
print("   Explain: overrides from", e["profile"]["overridesSource"], split)
PY
stage_done

stage "podman stop (SIGTERM to PID 1)"
t0=$(date +%s%N)
podman stop -t "$STOP_TIMEOUT" "$CONTAINER" >/dev/null
elapsed_ms=$((($(date +%s%N) - t0) / 1000000))
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$CONTAINER")
echo "   stopped in $elapsed_ms ms, exit code $exit_code"
podman logs "$CONTAINER" 2>&1 | grep -q '"msg":"stopped"' || fail "no 'stopped' log line"
[ "$exit_code" = 0 ] || { podman logs "$CONTAINER" | tail -20; fail "exit code $exit_code, want 0"; }
[ "$elapsed_ms" -lt $((MAX_STOP_SECONDS * 1000)) ] || fail "stop took $elapsed_ms ms (limit ${MAX_STOP_SECONDS}s)"
stage_done

echo "image check: passed (image $size_mb MB, stop $elapsed_ms ms)"
