#include "bench/bench_manifests.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dest::bench {
namespace {

std::string ServiceName(int service) { return absl::StrFormat("svc-%05d", service); }
std::string PodName(int service, int endpoint) {
  return absl::StrFormat("svc-%05d-7d9f8c6b5d-%05d", service, endpoint);
}
// 10.(1 + service / 256).(service % 256).(1 + endpoint): unique below 64,000 Services.
std::string PodIp(int service, int endpoint) {
  return absl::StrCat("10.", 1 + service / 256, ".", service % 256, ".", 1 + endpoint);
}
std::string GenerationIp(uint32_t generation) {
  return absl::StrCat("10.255.", generation >> 8, ".", generation & 255);
}

}  // namespace

absl::StatusOr<BenchManifests> BenchManifests::Create(const Options& options) {
  if (options.services < 1 || options.services > 64000) {
    return absl::InvalidArgumentError("--services must be in [1, 64000]");
  }
  if (options.endpoints < 2 || options.endpoints > 250) {
    return absl::InvalidArgumentError("--endpoints must be in [2, 250]");
  }
  if (options.split_backends < 1)
    return absl::InvalidArgumentError("--split-backends must be >= 1");
  std::string tmpl = (std::filesystem::temp_directory_path() / "destbench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  BenchManifests m(options, tmpl);
  for (int s = 0; s < options.services; ++s) {
    if (absl::Status st = m.WriteAtomically(absl::StrFormat("svc-%05d.yaml", s), m.ServiceFile(s));
        !st.ok()) {
      return st;
    }
    if (absl::Status st = m.Apply(s, 0); !st.ok()) return st;
  }
  return m;
}

BenchManifests::BenchManifests(BenchManifests&& other) noexcept
    : options_(other.options_), dir_(std::move(other.dir_)), keep_(other.keep_) {
  other.dir_.clear();
}

BenchManifests::~BenchManifests() {
  if (dir_.empty() || keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string BenchManifests::Authority(int service) {
  return absl::StrCat(ServiceName(service), ".", kNamespace, ".svc.cluster.local:", kPort);
}

std::optional<uint32_t> BenchManifests::GenerationOfWeight(uint32_t wire_weight) {
  uint32_t quantity = wire_weight / 10000;
  if (wire_weight % 10000 != 0 || quantity < static_cast<uint32_t>(kWeightBase)) {
    return std::nullopt;
  }
  return quantity - kWeightBase;
}

std::optional<uint32_t> BenchManifests::GenerationOfIp(uint32_t ipv4) {
  if ((ipv4 & 0xffff0000u) != kGenerationIpPrefix) return std::nullopt;
  return ipv4 & 0xffffu;
}

std::string BenchManifests::ServiceFile(int s) const {
  std::string name = ServiceName(s);
  std::string out = absl::StrFormat(
      "apiVersion: v1\n"
      "kind: Service\n"
      "metadata:\n"
      "  name: %s\n"
      "  namespace: %s\n"
      "spec:\n"
      "  type: ClusterIP\n"
      "  clusterIP: 10.96.%d.%d\n"
      "  selector:\n"
      "    app: %s\n"
      "  ports:\n"
      "    - name: http\n"
      "      port: %d\n"
      "      targetPort: %d\n"
      "      protocol: TCP\n",
      name, kNamespace, s / 256, s % 256, name, kPort, kPort);
  for (int e = 0; e < options_.endpoints; ++e) {
    absl::StrAppendFormat(&out,
                          "---\n"
                          "apiVersion: v1\n"
                          "kind: Pod\n"
                          "metadata:\n"
                          "  name: %s\n"
                          "  namespace: %s\n"
                          "  labels:\n"
                          "    app: %s\n"
                          "    pod-template-hash: 7d9f8c6b5d\n"
                          "    linkerd.io/control-plane-ns: linkerd\n"
                          "spec:\n"
                          "  serviceAccountName: %s\n"
                          "  nodeName: node-%d\n"
                          "  containers:\n"
                          "    - name: app\n"
                          "      image: example/app:v1\n"
                          "      ports:\n"
                          "        - name: http\n"
                          "          containerPort: %d\n"
                          "    - name: linkerd-proxy\n"
                          "      image: example/linkerd-proxy:bench\n"
                          "      env:\n"
                          "        - name: LINKERD2_PROXY_INBOUND_LISTEN_ADDR\n"
                          "          value: 0.0.0.0:4143\n"
                          "      ports:\n"
                          "        - name: linkerd-proxy\n"
                          "          containerPort: 4143\n"
                          "status:\n"
                          "  phase: Running\n"
                          "  podIP: %s\n",
                          PodName(s, e), kNamespace, name, name, e % 3, kPort, PodIp(s, e));
  }
  return out;
}

std::string BenchManifests::ChurnFile(int s, uint32_t split_gen, uint32_t ep_gen) const {
  std::string name = ServiceName(s);
  std::string out;
  auto weight = [split_gen](int b) {
    return b == 0 ? kWeightBase + static_cast<int>(split_gen) : 100;
  };
  auto backend = [&name](int b) {
    return absl::StrCat(name, b == 0 ? "" : absl::StrFormat("-v%d", b));
  };
  if (options_.httproute) {
    out = absl::StrFormat(
        "apiVersion: gateway.networking.k8s.io/v1\n"
        "kind: HTTPRoute\n"
        "metadata:\n"
        "  name: %s-route\n"
        "  namespace: %s\n"
        "spec:\n"
        "  parentRefs:\n"
        "    - {group: core, kind: Service, name: %s, port: %d}\n"
        "  rules:\n"
        "    - backendRefs:\n",
        name, kNamespace, name, kPort);
    for (int b = 0; b < options_.split_backends; ++b) {
      absl::StrAppendFormat(&out, "        - {name: %s, port: %d, weight: %d}\n", backend(b), kPort,
                            weight(b));
    }
  } else {
    out = absl::StrFormat(
        "apiVersion: split.smi-spec.io/v1alpha2\n"
        "kind: TrafficSplit\n"
        "metadata:\n"
        "  name: %s-split\n"
        "  namespace: %s\n"
        "spec:\n"
        "  service: %s\n"
        "  backends:\n",
        name, kNamespace, name);
    for (int b = 0; b < options_.split_backends; ++b) {
      absl::StrAppendFormat(&out, "    - service: %s\n      weight: %d\n", backend(b), weight(b));
    }
  }
  absl::StrAppendFormat(&out,
                        "---\n"
                        "apiVersion: discovery.k8s.io/v1\n"
                        "kind: EndpointSlice\n"
                        "metadata:\n"
                        "  name: %s-abcde\n"
                        "  namespace: %s\n"
                        "  labels:\n"
                        "    kubernetes.io/service-name: %s\n"
                        "addressType: IPv4\n"
                        "ports:\n"
                        "  - name: http\n"
                        "    port: %d\n"
                        "    protocol: TCP\n"
                        "endpoints:\n",
                        name, kNamespace, name, kPort);
  for (int e = 0; e < options_.endpoints; ++e) {
    bool last = e == options_.endpoints - 1;
    absl::StrAppendFormat(&out,
                          "  - addresses: [%s]\n"
                          "    conditions:\n"
                          "      ready: true\n"
                          "    nodeName: node-%d\n"
                          "    targetRef:\n"
                          "      kind: Pod\n"
                          "      name: %s\n"
                          "      namespace: %s\n",
                          last ? GenerationIp(ep_gen) : PodIp(s, e), e % 3, PodName(s, e),
                          kNamespace);
  }
  return out;
}

absl::Status BenchManifests::Apply(int service, uint32_t generation) {
  if (generation >= 65536) return absl::OutOfRangeError("generation must be below 65536");
  return WriteAtomically(absl::StrFormat("churn-%05d.yaml", service),
                         ChurnFile(service, options_.change_split ? generation : 0,
                                   options_.change_endpoints ? generation : 0));
}

absl::Status BenchManifests::ApplySplit(int service, uint32_t generation) {
  if (generation >= 65536) return absl::OutOfRangeError("generation must be below 65536");
  return WriteAtomically(absl::StrFormat("churn-%05d.yaml", service),
                         ChurnFile(service, generation, 0));
}

absl::Status BenchManifests::WriteAtomically(const std::string& name, const std::string& content) {
  // A dot-file is skipped by the manifests source; the rename makes the new content appear whole.
  std::string tmp = absl::StrCat(dir_, "/.", name, ".tmp");
  std::string path = absl::StrCat(dir_, "/", name);
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return absl::InternalError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  bool ok = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return absl::InternalError(absl::StrCat(tmp, ": write failed"));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace dest::bench
