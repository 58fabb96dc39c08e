// The benchmark's cluster, as a directory of manifests the `destination` server watches: S Services
// (namespace `bench`, port 8080), each with E meshed Pods behind one EndpointSlice and a
// TrafficSplit (or, with Options::httproute, an HTTPRoute) over B backends, so that each GetProfile
// message is about 1 KB.
//
// Each Service's EndpointSlice and TrafficSplit live in their own file, `churn-NNNNN.yaml`, which
// Apply() rewrites (write a dot-file, rename it into place) to make a change. A change carries a
// generation number that a client can read back from what it receives:
//   - GetProfile: the first `dst_overrides` weight is (1000 + generation) x 10000;
//   - Get: the Service's last endpoint has the IP 10.255.(generation >> 8).(generation & 255), so
//     each change is a `remove` of the previous address and an `add` of the new one.
//
// Thread-compatible; Apply() and ApplySplit() only read the object, so they may run concurrently
// for different Services (each Service has its own file and its own dot-file).
#ifndef BENCH_BENCH_MANIFESTS_H_
#define BENCH_BENCH_MANIFESTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dest::bench {

class BenchManifests {
 public:
  struct Options {
    int services = 100;
    int endpoints = 10;            // per Service, at least 2
    int split_backends = 9;        // per TrafficSplit
    bool change_split = true;      // a change rewrites the TrafficSplit weights
    bool change_endpoints = true;  // a change replaces the last endpoint
    // The weights come from a Gateway API HTTPRoute attached to the Service instead of a
    // TrafficSplit: the same backends and weights, the same wire weights (w x 10000).
    bool httproute = false;
  };

  static constexpr const char* kNamespace = "bench";
  static constexpr int kPort = 8080;
  static constexpr int kWeightBase = 1000;  // quantity of backend 0 at generation 0
  static constexpr uint32_t kGenerationIpPrefix = (10u << 24) | (255u << 16);

  // Creates a fresh temporary directory and writes generation 0 into it.
  static absl::StatusOr<BenchManifests> Create(const Options& options);

  BenchManifests(BenchManifests&& other) noexcept;
  BenchManifests& operator=(BenchManifests&&) = delete;
  ~BenchManifests();  // removes the directory unless Keep() was called

  const std::string& dir() const { return dir_; }
  void Keep() { keep_ = true; }

  // `svc-00042.bench.svc.cluster.local:8080`, what a proxy asks for.
  static std::string Authority(int service);
  // The generation a GetProfile message carries (from its first dst_overrides weight), or
  // nullopt for a message that carries none.
  static std::optional<uint32_t> GenerationOfWeight(uint32_t wire_weight);
  // The generation an endpoint address carries, or nullopt for an ordinary endpoint.
  static std::optional<uint32_t> GenerationOfIp(uint32_t ipv4);

  // Rewrites the churn file of `service` at `generation` (< 65536). Returns after the rename.
  absl::Status Apply(int service, uint32_t generation);
  // Like Apply(), but the generation goes into the TrafficSplit only, whatever the options say
  // (what a lone GetProfile stream can read back, e.g. destbench's quiet Service).
  absl::Status ApplySplit(int service, uint32_t generation);

 private:
  BenchManifests(Options options, std::string dir) : options_(options), dir_(std::move(dir)) {}
  std::string ServiceFile(int service) const;
  std::string ChurnFile(int service, uint32_t split_generation, uint32_t endpoint_generation) const;
  absl::Status WriteAtomically(const std::string& name, const std::string& content);

  Options options_;
  std::string dir_;
  bool keep_ = false;
};

}  // namespace dest::bench

#endif  // BENCH_BENCH_MANIFESTS_H_
