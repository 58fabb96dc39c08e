// A child process for the tests and the benchmark: started with its stderr captured line by line
// (a reader thread drains it, so the child never blocks on a full pipe), signalled, waited for
// with deadlines, observed through /proc, and killed when the object goes.
//
// Thread-safe.
#ifndef BASE_CHILD_PROCESS_H_
#define BASE_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest {

class ChildProcess {
 public:
  struct Options {
    // With the caller running as root, run the child as this user and group (so file
    // permissions apply to it as they would to the service in a pod). -1: as the caller.
    int run_as_uid = -1;
    // The child's stdout goes to /dev/null instead of the caller's stdout.
    bool discard_stdout = false;
    // Lines kept: all when 0; otherwise the first `keep_lines` and the newest `keep_lines`.
    size_t keep_lines = 0;
  };

  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILLs the child if still running, and reaps it.

  // Starts argv[0] with the arguments; false when it cannot be started. The child gets the
  // default signal mask and dies with the thread that started it (PR_SET_PDEATHSIG).
  bool Start(const std::vector<std::string>& argv, Options options);
  bool Start(const std::vector<std::string>& argv) { return Start(argv, Options()); }

  // The first kept line containing every needle, waiting at most `timeout`; nullopt when none
  // came before the deadline or before the child closed its stderr.
  std::optional<std::string> WaitForLine(const std::vector<std::string>& needles,
                                         absl::Duration timeout);
  // The kept lines, in order.
  std::vector<std::string> Lines();

  void Signal(int sig);
  // Waits for exit; the exit code (128+signal when killed by one), nullopt at the deadline.
  std::optional<int> Wait(absl::Duration timeout);
  // SIGTERM, wait up to `grace`, then SIGKILL. The exit code; -1 when never started.
  int Stop(absl::Duration grace = absl::Seconds(10));
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  void ReadLoop(int fd);
  void KeepLocked(std::string line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  pid_t pid_ = -1;
  size_t keep_lines_ = 0;
  std::optional<int> exit_code_;
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<std::string> head_ ABSL_GUARDED_BY(mu_);  // the first lines (all when unbounded)
  std::deque<std::string> tail_ ABSL_GUARDED_BY(mu_);   // the newest lines after head_
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

// The value of "key":"value" in a JSON log line ("" when absent).
std::string JsonLogField(const std::string& line, const std::string& key);

}  // namespace dest

#endif  // BASE_CHILD_PROCESS_H_
