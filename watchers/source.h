// A source of Kubernetes objects feeding the Store: the manifests directory, or (later) the
// Kubernetes API. The controlplane only sees the Store; a source is started once and stopped once.
#ifndef WATCHERS_SOURCE_H_
#define WATCHERS_SOURCE_H_

#include <vector>

#include "absl/status/status.h"
#include "watchers/objects.h"

namespace dest {

class Source {
 public:
  virtual ~Source() = default;
  // Performs the initial load (or starts it) and begins watching. An error means the source is
  // misconfigured (missing directory, no credentials) and the service should exit.
  virtual absl::Status Start() = 0;
  // Stops watching and joins background threads. Idempotent.
  virtual void Stop() = 0;
  // The kinds this source feeds; the service is ready once the store has them all synced.
  virtual std::vector<Kind> Kinds() const = 0;
};

}  // namespace dest

#endif  // WATCHERS_SOURCE_H_
