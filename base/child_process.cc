#include "base/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dest {

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

namespace {

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(const std::vector<char*>& args, int stderr_fd, pid_t parent,
                            const ChildProcess::Options& options) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
  sigset_t none;  // the caller may block signals it handles; the child gets the default mask
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::dup2(stderr_fd, STDERR_FILENO);
  const int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, STDIN_FILENO);
    if (options.discard_stdout) ::dup2(devnull, STDOUT_FILENO);
  }
  if (options.run_as_uid >= 0 && ::getuid() == 0) {
    const auto id = static_cast<uid_t>(options.run_as_uid);
    if (::setgroups(0, nullptr) != 0 || ::setgid(id) != 0 || ::setuid(id) != 0) {
      std::fprintf(stderr, "cannot run as uid %d: %s\n", options.run_as_uid, std::strerror(errno));
      ::_exit(127);
    }
  }
  ::execv(args[0], args.data());
  std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
  ::_exit(127);
}

}  // namespace

bool ChildProcess::Start(const std::vector<std::string>& argv, Options options) {
  if (argv.empty() || pid_ > 0) return false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  std::vector<char*> args;  // built before fork: the child may not allocate
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  keep_lines_ = options.keep_lines;
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return false;
  }
  if (pid_ == 0) ExecChild(args, fds[1], parent, options);  // dup2 clears O_CLOEXEC on stderr
  ::close(fds[1]);
  reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
  return true;
}

void ChildProcess::KeepLocked(std::string line) {
  if (keep_lines_ == 0 || head_.size() < keep_lines_) {
    head_.push_back(std::move(line));
    return;
  }
  tail_.push_back(std::move(line));
  if (tail_.size() > keep_lines_) tail_.pop_front();
}

void ChildProcess::ReadLoop(int fd) {
  std::string partial;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    size_t nl;
    absl::MutexLock lock(&mu_);
    while ((nl = partial.find('\n', start)) != std::string::npos) {
      KeepLocked(partial.substr(start, nl - start));
      start = nl + 1;
    }
    partial.erase(0, start);
  }
  ::close(fd);
  absl::MutexLock lock(&mu_);
  eof_ = true;
}

std::optional<std::string> ChildProcess::WaitForLine(const std::vector<std::string>& needles,
                                                     absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<std::string> found;
  auto matches = [&needles](const std::string& l) {
    for (const std::string& n : needles) {
      if (!absl::StrContains(l, n)) return false;
    }
    return true;
  };
  auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const std::string& l : head_) {
      if (matches(l)) {
        found = l;
        return true;
      }
    }
    for (const std::string& l : tail_) {
      if (matches(l)) {
        found = l;
        return true;
      }
    }
    return eof_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return found;
}

std::vector<std::string> ChildProcess::Lines() {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out = head_;
  out.insert(out.end(), tail_.begin(), tail_.end());
  return out;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (exit_code_) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
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

bool ChildProcess::Running() { return pid_ > 0 && !Wait(absl::ZeroDuration()).has_value(); }

int ChildProcess::Stop(absl::Duration grace) {
  if (pid_ <= 0) return -1;
  if (exit_code_) return *exit_code_;
  ::kill(pid_, SIGTERM);
  if (std::optional<int> code = Wait(grace)) return *code;
  ::kill(pid_, SIGKILL);
  return Wait(absl::Seconds(10)).value_or(-1);
}

std::string JsonLogField(const std::string& line, const std::string& key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  const size_t end = line.find('"', at);
  if (end == std::string::npos) return "";
  return line.substr(at, end - at);
}

}  // namespace dest
