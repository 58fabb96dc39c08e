#include "tests/test_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"

namespace dest::testing {

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    Wait(absl::Seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

bool ChildProcess::Start(const std::vector<std::string>& argv, int run_as_uid) {
  int fds[2];
  if (::pipe(fds) != 0) return false;
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    if (run_as_uid >= 0 && ::getuid() == 0) {
      const auto id = static_cast<uid_t>(run_as_uid);
      if (::setgroups(0, nullptr) != 0 || ::setgid(id) != 0 || ::setuid(id) != 0) {
        std::fprintf(stderr, "cannot run as uid %d: %s\n", run_as_uid, std::strerror(errno));
        ::_exit(127);
      }
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

void ChildProcess::ReadLoop(int fd) {
  std::string partial;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    partial.append(buf, static_cast<size_t>(n));
    size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      absl::MutexLock lock(&mu_);
      lines_.push_back(partial.substr(0, nl));
      partial.erase(0, nl + 1);
    }
  }
  ::close(fd);
}

std::optional<std::string> ChildProcess::WaitForLine(const std::vector<std::string>& needles,
                                                     absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<std::string> found;
  auto match = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const std::string& l : lines_) {
      bool all = true;
      for (const std::string& n : needles) all = all && absl::StrContains(l, n);
      if (all) {
        found = l;
        return true;
      }
    }
    return false;
  };
  mu_.AwaitWithTimeout(absl::Condition(&match), timeout);
  return found;
}

std::vector<std::string> ChildProcess::Lines() {
  absl::MutexLock lock(&mu_);
  return lines_;
}

void ChildProcess::Signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    absl::SleepFor(absl::Milliseconds(10));  // polling a child's exit; no event to wait on
  }
  return std::nullopt;
}

std::string JsonLogField(const std::string& line, const std::string& key) {
  std::string needle = absl::StrCat("\"", key, "\":\"");
  size_t at = line.find(needle);
  if (at == std::string::npos) return "";
  at += needle.size();
  size_t end = line.find('"', at);
  return line.substr(at, end - at);
}

bool DestinationProcess::Start(const std::vector<std::string>& extra_args, int run_as_uid,
                               absl::Duration timeout) {
  const char* bin = std::getenv("DEST_BIN_DIR");
  std::vector<std::string> argv = {absl::StrCat(bin ? bin : DEST_BIN_DIR_DEFAULT, "/destination"),
                                   "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0",
                                   "-log-format=json"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  if (!process.Start(argv, run_as_uid)) return false;
  auto serving = process.WaitForLine({"\"msg\":\"serving\""}, timeout);
  return serving.has_value() &&
         absl::SimpleAtoi(JsonLogField(*serving, "grpc_port"), &grpc_port) &&
         absl::SimpleAtoi(JsonLogField(*serving, "admin_port"), &admin_port);
}

std::map<std::string, double> ScrapeMetrics(int port) {
  std::map<std::string, double> out;
  auto [status, body] = HttpGet(port, "/metrics");
  if (status != 200) return out;
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &v)) out[line.substr(0, space)] = v;
  }
  return out;
}

bool WaitUntil(const std::function<bool()>& predicate, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

size_t RssBytes(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    size_t kib = 0;
    if (absl::StartsWith(line, "VmRSS:") &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::StripSuffix(line.substr(6), "kB")), &kib)) {
      return kib * 1024;
    }
  }
  return 0;
}

std::pair<int, std::string> HttpGet(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, ""};
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {0, ""};
  }
  std::string req = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: localhost\r\n\r\n");
  if (::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return {0, ""};
  }
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  ::close(fd);
  int status = 0;
  if (resp.size() > 12 && !absl::SimpleAtoi(resp.substr(9, 3), &status)) status = 0;
  size_t body = resp.find("\r\n\r\n");
  return {status, body == std::string::npos ? "" : resp.substr(body + 4)};
}

std::string MakeTempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "desttest-XXXXXX").string();
  char* d = ::mkdtemp(tmpl.data());
  return d ? std::string(d) : "";
}

void RemoveTree(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void WriteFile(const std::string& path, const std::string& content) {
  // Write then rename, as editors and kubectl do, so the watcher never sees half a file.
  std::string tmp = path + ".tmp~";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(tmp, path);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dest::testing
