#include "controlplane/server/process_metrics.h"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "base/proc_stats.h"
#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace dest {
namespace {

prometheus::Gauge* NewGauge(prometheus::Registry* r, const char* name, const char* help) {
  return &prometheus::BuildGauge().Name(name).Help(help).Register(*r).Add({});
}

}  // namespace

ProcessMetrics::ProcessMetrics(prometheus::Registry* registry) {
  resident_ = NewGauge(registry, "process_resident_memory_bytes", "Resident memory size in bytes.");
  virtual_ = NewGauge(registry, "process_virtual_memory_bytes", "Virtual memory size in bytes.");
  cpu_ = &prometheus::BuildCounter()
              .Name("process_cpu_seconds_total")
              .Help("Total user and system CPU time spent in seconds.")
              .Register(*registry)
              .Add({});
  open_fds_ = NewGauge(registry, "process_open_fds", "Number of open file descriptors.");
  max_fds_ = NewGauge(registry, "process_max_fds", "Maximum number of open file descriptors.");
  NewGauge(registry, "process_start_time_seconds",
           "Start time of the process since unix epoch in seconds.")
      ->Set(proc::StartTimeSeconds(getpid()));
  heap_allocated_ = NewGauge(registry, "destination_heap_allocated_bytes",
                             "Bytes the program holds from the allocator (glibc mallinfo2).");
  heap_free_ = NewGauge(registry, "destination_heap_free_bytes",
                        "Free bytes the allocator keeps without returning them to the system.");
}

void ProcessMetrics::Update() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now - last_ < absl::Seconds(1)) return;
  last_ = now;

  const long page = sysconf(_SC_PAGESIZE);
  std::ifstream statm("/proc/self/statm");
  double size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    virtual_->Set(size_pages * page);
    resident_->Set(resident_pages * page);
  }
  const double seconds = proc::CpuSeconds(getpid());
  if (seconds > cpu_seconds_) cpu_->Increment(seconds - cpu_seconds_);  // utime + stime
  cpu_seconds_ = std::max(cpu_seconds_, seconds);
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  open_fds_->Set(static_cast<double>(fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds_->Set(static_cast<double>(limit.rlim_cur));

  const struct mallinfo2 m = mallinfo2();
  heap_allocated_->Set(static_cast<double>(m.uordblks + m.hblkhd));
  heap_free_->Set(static_cast<double>(m.fordblks));
}

void ProcessMetrics::LimitMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
}

}  // namespace dest
