// Test helpers: run the real `destination` binary, read its log lines, speak HTTP to its admin
// port. Every wait has a deadline.
#ifndef TESTS_TEST_PROCESS_H_
#define TESTS_TEST_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace dest::testing {

// A child process whose stderr is captured line by line.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // SIGKILLs the child if still running.

  // Starts `argv[0]` with the arguments. False when it cannot be started. With `run_as_uid` >= 0
  // and the test running as root, the child runs as that user and group (so file permissions
  // apply to it, as they would to the service in a pod).
  bool Start(const std::vector<std::string>& argv, int run_as_uid = -1);
  // Waits for a log line containing every needle; returns it, or nullopt at the deadline.
  std::optional<std::string> WaitForLine(const std::vector<std::string>& needles,
                                         absl::Duration timeout);
  std::vector<std::string> Lines();
  void Signal(int sig);
  // Waits for exit; returns the exit code (or 128+signal), nullopt at the deadline.
  std::optional<int> Wait(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  void ReadLoop(int fd);
  pid_t pid_ = -1;
  std::thread reader_;
  absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
  std::optional<int> exit_code_;
};

// The real `destination` binary ($DEST_BIN_DIR/destination) with gRPC and admin on ephemeral
// loopback ports and JSON logs; Start waits for its "serving" line and reads the ports from it.
struct DestinationProcess {
  ChildProcess process;
  int grpc_port = 0;
  int admin_port = 0;
  bool Start(const std::vector<std::string>& extra_args, int run_as_uid = -1,
             absl::Duration timeout = absl::Seconds(15));
};

// The value of "key":"value" in a JSON log line ("" when absent).
std::string JsonLogField(const std::string& line, const std::string& key);

// A blocking HTTP/1.0 GET on 127.0.0.1:port; returns {status, body}; status 0 on failure.
std::pair<int, std::string> HttpGet(int port, const std::string& path);

// The Prometheus text at http://127.0.0.1:port/metrics as series ("name{labels}") -> value; empty
// when unreadable.
std::map<std::string, double> ScrapeMetrics(int port);

// Polls `predicate` (every 20 ms) until it holds; false at the deadline.
bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout);

// The resident set size of a process (VmRSS), 0 when unreadable.
size_t RssBytes(pid_t pid);

// A fresh temporary directory (removed by the caller with RemoveTree).
std::string MakeTempDir();
void RemoveTree(const std::string& dir);
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFileOrDie(const std::string& path);

}  // namespace dest::testing

#endif  // TESTS_TEST_PROCESS_H_
