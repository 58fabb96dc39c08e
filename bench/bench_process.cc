#include "bench/bench_process.h"

#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/str_split.h"

namespace dest::bench {

std::string DefaultServerPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "destination";
  return (self.parent_path() / "destination").string();
}

std::vector<std::string> SplitList(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, ',');
}

void HandleInterrupts(const char* program, void (*cleanup)()) {
  static sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([program, cleanup] {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    cleanup();
    std::fprintf(stderr, "%s: interrupted (signal %d); server killed\n", program, sig);
    ::_exit(128 + sig);
  }).detach();
}

}  // namespace dest::bench
