// Test fixtures for the Kubernetes source: turning manifests into API objects served by the fake
// API server, and waiting on the store with deadlines.
#ifndef TESTS_KUBE_FIXTURES_H_
#define TESTS_KUBE_FIXTURES_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/support/fake_api_server.h"
#include "watchers/store/store.h"

namespace YAML {
class Node;
}

namespace dest::testing {

// JSON text for a YAML node: quoted scalars stay strings; plain ones that read as integers,
// floats, booleans or null become JSON numbers, booleans and null.
std::string YamlToJson(const YAML::Node& node);

// The collection path the fake serves a kind at ("/api/v1/services", ...), from the kinds table
// (watchers/kinds.h). `kind` is a name, or a label qualified by its group where two groups share
// the name ("HTTPRoute.policy.linkerd.io"; plain "HTTPRoute" is the Gateway API's). TrafficSplits
// are served at `split_version` when it is one of theirs; every kind else at its first version.
std::string CollectionFor(const std::string& kind, const std::string& split_version = "v1alpha2");

// Serves the collection of every kind in the table (TrafficSplits at `split_version`, unless it is
// empty: then that CRD is absent).
void ServeAll(FakeApiServer& fake, const std::string& split_version = "v1alpha2");

// Upserts every object of every manifest under `dir` into the fake. Returns how many.
int LoadManifests(FakeApiServer& fake, const std::string& dir,
                  const std::string& split_version = "v1alpha2");

// Waits on a store: re-checks a predicate after every store change (and every 20 ms, for
// conditions such as sync flags that produce no change) until it holds or the deadline passes.
class StoreWaiter {
 public:
  explicit StoreWaiter(Store* store);  // registers a listener: create before the source starts
  bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout);

 private:
  absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace dest::testing

#endif  // TESTS_KUBE_FIXTURES_H_
