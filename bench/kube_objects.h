// The cluster kube_bench serves through the fake API server, as JSON the way the API server
// returns it (compact, managed fields included): S Services (namespace `bench`, ClusterIP, port
// 8080), and for each one EndpointSlice listing its Pods and one ReplicaSet owning them (itself
// owned by a Deployment of the Service's name); P meshed Pods spread round-robin over the Services
// (Pod p belongs to Service p % S), each about 3 KB like a real injected pod (labels, Linkerd's
// annotations, an owner reference, three managedFields entries, two containers with resources,
// env and volume mounts, a Running status with conditions and container statuses); and a few
// Nodes the Pods are scheduled on.
//
// Objects are generated on demand, so that the benchmark never holds the whole cluster as text.
// A Pod's `kube-bench/generation` annotation (which the service reads for nothing a proxy sees)
// changes with `generation`: kube_bench's watch events are such modifications.
//
// Thread-compatible (every method is const).
#ifndef BENCH_KUBE_OBJECTS_H_
#define BENCH_KUBE_OBJECTS_H_

#include <string>

#include "absl/status/statusor.h"

namespace dest::bench {

class KubeObjects {
 public:
  struct Options {
    int pods = 100000;
    int services = 10000;
    int nodes = 20;
  };

  static constexpr const char* kNamespace = "bench";
  static constexpr int kPort = 8080;

  // Checks the sizes: 1 <= S <= P, at most 1,000 Pods per Service (one EndpointSlice each), at
  // most 1,000,000 Services and 8,000,000 Pods (the address plan).
  static absl::StatusOr<KubeObjects> Create(const Options& options);

  int pods() const { return options_.pods; }
  int services() const { return options_.services; }
  int nodes() const { return options_.nodes; }
  // Pods of Service s: s, s + S, s + 2S, ... below P.
  int PodsOfService(int service) const;

  std::string Service(int service) const;
  std::string EndpointSlice(int service) const;
  std::string ReplicaSet(int service) const;
  std::string Pod(int pod, int generation) const;
  std::string Node(int node) const;

  // "svc-NNNNN.bench.svc.cluster.local:8080"
  static std::string Authority(int service);

 private:
  explicit KubeObjects(const Options& options) : options_(options) {}

  const Options options_;
};

}  // namespace dest::bench

#endif  // BENCH_KUBE_OBJECTS_H_
