# The destination service's container image.
#
#   podman build --pull=never -t destination:dev .     (or docker build)
#
# Two stages: `build` compiles `destination` and `destctl` with the same Debian packages and CMake
# commands as the README (in Release); the runtime stage holds only their shared libraries,
# ca-certificates and the two binaries, and runs as a numeric non-root user. Both bases are plain
# Debian bookworm; tests/image/check_image.sh makes them from Debian's repositories when no
# registry is reachable and checks the image the way the Helm chart runs it.

FROM debian:bookworm AS build
WORKDIR /src
# The packages the README's run command installs: the same list (packages/build.txt), the same
# script, in a layer of its own so a source change does not reinstall them.
COPY packages/ packages/
RUN sh packages/install.sh build && rm -rf /var/lib/apt/lists/*
COPY . .
# No ccache here: a fresh container has nothing cached and ccache would only add its own cost.
ENV CCACHE_DISABLE=1
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DDEST_BUILD_TESTS=OFF -DDEST_BUILD_BENCH=OFF \
 && cmake --build build --target destination destctl \
 && strip build/bin/destination build/bin/destctl

FROM debian:bookworm-slim
ARG VERSION=0.1.0
ARG SOURCE=unknown
ARG REVISION=unknown
ARG LICENSES=Apache-2.0
LABEL org.opencontainers.image.title="destination" \
      org.opencontainers.image.description="Destination service of a service-mesh control plane (Linkerd proxy API)" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="${LICENSES}"
# The shared libraries of the two binaries (their dependencies come along) and the CA bundle the
# Kubernetes client uses when the kubeconfig names no CA. No -dev package, no compiler.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libyaml-cpp0.7 libprometheus-cpp-core1.0 libcivetweb1 libsimdjson14 libcurl4 libssl3 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log
COPY --from=build /src/build/bin/destination /src/build/bin/destctl /usr/local/bin/
# Fail the build if either binary misses a library, and prove that the service starts.
RUN for b in /usr/local/bin/destination /usr/local/bin/destctl; do \
      if ldd "$b" | grep -q 'not found'; then echo "missing libraries of $b:"; ldd "$b" | grep 'not found'; exit 1; fi; \
    done \
 && /usr/local/bin/destination -print-watched-resources >/dev/null
# gRPC (Destination, Health, reflection) and the admin HTTP server (/metrics, /live, /ready).
EXPOSE 8086 9996
# A numeric user, so that runAsNonRoot can be verified without an /etc/passwd entry.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/destination"]
