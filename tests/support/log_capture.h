// Captures the service's log lines in a test (base/log.h's test sink) while it is in scope.
//
// Thread-safe: lines may be logged from any thread.
#ifndef TESTS_LOG_CAPTURE_H_
#define TESTS_LOG_CAPTURE_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"

namespace dest::testing {

class LogCapture {
 public:
  LogCapture() {
    SetLogSinkForTest([this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    });
  }
  ~LogCapture() { SetLogSinkForTest(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> Lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // How many lines contain `needle`.
  int Count(absl::string_view needle) const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& l : lines_) n += absl::StrContains(l, needle) ? 1 : 0;
    return n;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest::testing

#endif  // TESTS_LOG_CAPTURE_H_
