#include "bench/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace dest::bench {

ServerProcess::~ServerProcess() {
  Stop();
  if (reader_.joinable()) reader_.join();
}

bool ServerProcess::Start(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid_ == 0) {
    // The child dies with the benchmark, whatever ends it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    // The benchmark blocks the signals it handles; the server gets the default mask.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(fds[1], STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDOUT_FILENO);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
  return true;
}

void ServerProcess::ReadLoop(int fd) {
  std::string partial;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    size_t nl;
    absl::MutexLock lock(&mu_);
    while ((nl = partial.find('\n', start)) != std::string::npos) {
      std::string line = partial.substr(start, nl - start);
      start = nl + 1;
      if (head_.size() < kKeptLines) {
        head_.push_back(std::move(line));
      } else {
        tail_.push_back(std::move(line));
        if (tail_.size() > kKeptLines) tail_.pop_front();
      }
    }
    partial.erase(0, start);
  }
  ::close(fd);
  absl::MutexLock lock(&mu_);
  eof_ = true;
}

std::optional<std::string> ServerProcess::WaitForLine(const std::string& needle,
                                                      absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<std::string> found;
  auto match = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const std::string& l : head_) {
      if (absl::StrContains(l, needle)) {
        found = l;
        return true;
      }
    }
    for (const std::string& l : tail_) {
      if (absl::StrContains(l, needle)) {
        found = l;
        return true;
      }
    }
    return eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&match), timeout);
  return found;
}

std::vector<std::string> ServerProcess::Lines() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out = head_;
  out.insert(out.end(), tail_.begin(), tail_.end());
  return out;
}

std::optional<int> ServerProcess::Reap(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) {
      exit_code_ = -1;
      return exit_code_;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));  // a child's exit has no event to wait on here
  }
}

bool ServerProcess::Running() { return pid_ > 0 && !Reap(absl::ZeroDuration()).has_value(); }

int ServerProcess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  if (exit_code_) return *exit_code_;
  ::kill(pid_, SIGTERM);
  if (std::optional<int> code = Reap(grace)) return *code;
  ::kill(pid_, SIGKILL);
  return Reap(absl::Seconds(10)).value_or(-1);
}

namespace {

std::string ReadProcFile(pid_t pid, const char* name) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/", name));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The number after "Key:" in /proc/PID/status.
int64_t StatusField(pid_t pid, absl::string_view key) {
  std::string status = ReadProcFile(pid, "status");
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::StartsWith(line, key)) continue;
    line.remove_prefix(key.size());
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int64_t v = 0;
    if (!words.empty() && absl::SimpleAtoi(words[0], &v)) return v;
  }
  return 0;
}

}  // namespace

int64_t ServerProcess::RssBytes() const {
  if (pid_ <= 0) return 0;
  return StatusField(pid_, "VmRSS:") * 1024;
}

int ServerProcess::Threads() const {
  if (pid_ <= 0) return 0;
  return static_cast<int>(StatusField(pid_, "Threads:"));
}

double ServerProcess::CpuSeconds() const {
  if (pid_ <= 0) return -1;
  return ProcessCpuSeconds(pid_);
}

double ProcessCpuSeconds(pid_t pid) {
  std::string stat = ReadProcFile(pid, "stat");
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(stat).substr(close + 1), ' ', absl::SkipWhitespace());
  // After ')': state(3) ppid(4) ... utime(14) stime(15), so utime is f[11], stime f[12].
  if (f.size() < 13) return -1;
  uint64_t utime = 0, stime = 0;
  if (!absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::string JsonLogField(const std::string& line, const std::string& key) {
  std::string needle = absl::StrCat("\"", key, "\":\"");
  size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  size_t end = line.find('"', at);
  if (end == std::string::npos) return "";
  return line.substr(at, end - at);
}

uint64_t RaiseOpenFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

}  // namespace dest::bench
