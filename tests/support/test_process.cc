#include "tests/support/test_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace dest::testing {

bool DestinationProcess::Start(const std::vector<std::string>& extra_args, int run_as_uid,
                               absl::Duration timeout) {
  const char* bin = std::getenv("DEST_BIN_DIR");
  std::vector<std::string> argv = {absl::StrCat(bin ? bin : DEST_BIN_DIR_DEFAULT, "/destination"),
                                   "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0",
                                   "-log-format=json"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  ChildProcess::Options options;
  options.run_as_uid = run_as_uid;
  if (!process.Start(argv, options)) return false;
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
