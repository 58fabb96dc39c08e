// Test helpers: run the real `destination` binary (a ChildProcess, base/child_process.h), speak
// HTTP to its admin port. Every wait has a deadline.
#ifndef TESTS_TEST_PROCESS_H_
#define TESTS_TEST_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/child_process.h"

namespace dest::testing {

// The real `destination` binary ($DEST_BIN_DIR/destination) with gRPC and admin on ephemeral
// loopback ports and JSON logs; Start waits for its "serving" line and reads the ports from it.
struct DestinationProcess {
  ChildProcess process;
  int grpc_port = 0;
  int admin_port = 0;
  bool Start(const std::vector<std::string>& extra_args, int run_as_uid = -1,
             absl::Duration timeout = absl::Seconds(15));
};

// A blocking HTTP/1.0 GET on 127.0.0.1:port; returns {status, body}; status 0 on failure.
std::pair<int, std::string> HttpGet(int port, const std::string& path);

// The Prometheus text at http://127.0.0.1:port/metrics as series ("name{labels}") -> value; empty
// when unreadable.
std::map<std::string, double> ScrapeMetrics(int port);

// Polls `predicate` (every 20 ms) until it holds; false at the deadline.
bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout);

// A fresh temporary directory (removed by the caller with RemoveTree).
std::string MakeTempDir();
void RemoveTree(const std::string& dir);
void WriteFile(const std::string& path, const std::string& content);
std::string ReadFileOrDie(const std::string& path);

}  // namespace dest::testing

#endif  // TESTS_TEST_PROCESS_H_
