// The `destination` server as a child process of the benchmark: started with its stderr captured
// line by line, observed through /proc (resident memory, CPU time), and always killed at the end.
//
// Thread-safe. A reader thread drains the child's stderr so the child never blocks on a full pipe;
// only the newest lines are kept.
#ifndef BENCH_SERVER_PROCESS_H_
#define BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest::bench {

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();  // Stop(): SIGTERM, then SIGKILL when the child lingers.

  // Starts argv[0] with the arguments. False when it cannot be started.
  bool Start(const std::vector<std::string>& argv);
  // The first captured line containing `needle`, waiting at most `timeout`; nullopt when none
  // came (or the child exited first).
  std::optional<std::string> WaitForLine(const std::string& needle, absl::Duration timeout);
  // The first and the newest captured lines (at most kKeptLines of each).
  std::vector<std::string> Lines();
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (128+signal when killed).
  int Stop(absl::Duration grace = absl::Seconds(10));
  bool Running();

  pid_t pid() const { return pid_; }
  // Resident set size in bytes (VmRSS of /proc/PID/status); 0 when unreadable.
  int64_t RssBytes() const;
  // User + system CPU seconds consumed so far (/proc/PID/stat); negative when unreadable.
  double CpuSeconds() const;
  // Threads of the child (/proc/PID/status Threads); 0 when unreadable.
  int Threads() const;

  static constexpr size_t kKeptLines = 100;

 private:
  void ReadLoop(int fd);
  std::optional<int> Reap(absl::Duration timeout);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<std::string> head_ ABSL_GUARDED_BY(mu_);  // the first lines
  std::deque<std::string> tail_ ABSL_GUARDED_BY(mu_);   // the newest lines after head_
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

// User + system CPU seconds of process `pid` so far (/proc/PID/stat); negative when unreadable.
double ProcessCpuSeconds(pid_t pid);

// The value of "key":"value" in a JSON log line ("" when absent).
std::string JsonLogField(const std::string& line, const std::string& key);

// Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit.
uint64_t RaiseOpenFileLimit();

}  // namespace dest::bench

#endif  // BENCH_SERVER_PROCESS_H_
