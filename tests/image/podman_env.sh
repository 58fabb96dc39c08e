# Sourced by the image scripts: a private podman configuration for this machine kind (root, no
# Docker engine, no registry). Sets CONTAINERS_CONF / CONTAINERS_STORAGE_CONF under $IMAGE_WORKDIR.
#   - runtime runc: crun fails here ("cgroups in hybrid mode not supported");
#   - default ulimits lowered to the host's hard limits, or every run fails in setrlimit;
#   - image storage under $IMAGE_WORKDIR, so `podman system reset` frees only ours.
IMAGE_WORKDIR=${IMAGE_WORKDIR:-/var/tmp/destination-image}
mkdir -p "$IMAGE_WORKDIR/storage" "$IMAGE_WORKDIR/run"
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
[ "$nofile" = unlimited ] && nofile=1048576
[ "$nproc" = unlimited ] && nproc=4096
[ "$nofile" -gt 20000 ] && nofile=20000
[ "$nproc" -gt 4096 ] && nproc=4096
cat > "$IMAGE_WORKDIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]
[engine]
runtime = "runc"
CONF
cat > "$IMAGE_WORKDIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$IMAGE_WORKDIR/storage"
runroot = "$IMAGE_WORKDIR/run"
CONF
export CONTAINERS_CONF="$IMAGE_WORKDIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$IMAGE_WORKDIR/storage.conf"
