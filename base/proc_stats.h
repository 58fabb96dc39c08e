// What /proc says about a process (proc(5)): CPU time, start time, resident memory, threads.
// One reader for the service's own process_* metrics, the tests and the benchmark.
//
// Thread-safe (each call reads the files afresh). Every function returns 0 (or a negative CPU
// time) when the process is gone or the file unreadable.
#ifndef BASE_PROC_STATS_H_
#define BASE_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace dest::proc {

// The text of /proc/PID/stat ("" when unreadable).
std::string ReadStat(pid_t pid);

// Numeric field `n` (1-based, as in proc(5)) of a /proc/PID/stat text, or 0. The fields after
// "pid (comm) " are counted from 3; comm may hold spaces and parentheses.
double StatField(std::string_view stat, int n);

// User + system CPU seconds consumed so far (fields 14 and 15); negative when unreadable.
double CpuSeconds(pid_t pid);

// The start time in seconds since the epoch: boot time (/proc/stat btime) + field 22.
double StartTimeSeconds(pid_t pid);

// The number after `key` (such as "VmRSS:" or "Threads:") in /proc/PID/status, or 0.
int64_t StatusValue(pid_t pid, std::string_view key);

// Resident set size in bytes (VmRSS).
inline int64_t RssBytes(pid_t pid) { return StatusValue(pid, "VmRSS:") * 1024; }

// Threads of the process.
inline int Threads(pid_t pid) { return static_cast<int>(StatusValue(pid, "Threads:")); }

// Gives the free pages of this process's heap back to the system (glibc malloc_trim). For after a
// burst of temporary allocations, such as a Kubernetes list: without it the allocator keeps the
// freed pages and the resident size stays at the burst's peak (kube_bench: 793 MiB instead of
// 523 MiB after a relist of 130,000 objects). Costs a walk of the heap; call it rarely.
void ReleaseFreeHeap();

}  // namespace dest::proc

#endif  // BASE_PROC_STATS_H_
