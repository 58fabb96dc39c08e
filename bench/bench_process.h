// What destbench and kube_bench share as programs that run the service as a child: where the
// server binary is by default, comma-separated flag lists, and ending cleanly on a signal.
#ifndef BENCH_BENCH_PROCESS_H_
#define BENCH_BENCH_PROCESS_H_

#include <string>
#include <vector>

namespace dest::bench {

// `destination` next to the running benchmark (/proc/self/exe), or "destination" for $PATH.
std::string DefaultServerPath();

// "a,b,c" -> {"a", "b", "c"}; "" -> {}.
std::vector<std::string> SplitList(const std::string& s);

// Blocks SIGINT, SIGTERM and SIGHUP in every thread (call before any thread starts); on one of
// them a dedicated thread calls `cleanup` (which kills the server), says so as `program` and exits
// with 128 + the signal.
void HandleInterrupts(const char* program, void (*cleanup)());

}  // namespace dest::bench

#endif  // BENCH_BENCH_PROCESS_H_
