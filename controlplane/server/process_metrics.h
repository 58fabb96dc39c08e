// The process's own gauges, in the names Prometheus' client libraries use (process_*), plus the
// heap as glibc's allocator sees it, so an operator can tell a leak (allocated bytes growing)
// from memory the allocator keeps after a peak (RSS high, free bytes high).
#ifndef CONTROLPLANE_SERVER_PROCESS_METRICS_H_
#define CONTROLPLANE_SERVER_PROCESS_METRICS_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace prometheus {
class Registry;
class Gauge;
class Counter;
}  // namespace prometheus

namespace dest {

class ProcessMetrics {
 public:
  explicit ProcessMetrics(prometheus::Registry* registry);

  // Reads /proc/self and the allocator's statistics into the gauges. Called before each scrape;
  // at most once a second does the work (the allocator's statistics lock every arena).
  void Update() ABSL_LOCKS_EXCLUDED(mu_);

  // glibc makes up to eight malloc arenas per core, each keeping the free memory of its own
  // peaks; a service whose threads take turns allocating (gRPC's pollers, the fan-out pool) then
  // holds far more than it uses. Two arenas keep RSS within a few percent of its working size
  // with no measurable cost (docs/reliability.md). Call first thing in main; MALLOC_ARENA_MAX in
  // the environment, when set, wins.
  static void LimitMallocArenas();


 private:
  absl::Mutex mu_;
  absl::Time last_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  double cpu_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  prometheus::Gauge* resident_;
  prometheus::Gauge* virtual_;
  prometheus::Counter* cpu_;
  prometheus::Gauge* open_fds_;
  prometheus::Gauge* max_fds_;
  prometheus::Gauge* heap_allocated_;
  prometheus::Gauge* heap_free_;
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_PROCESS_METRICS_H_
