// destctl end to end: the real `destctl` against the real `destination` serving a temporary copy of
// examples/trafficsplit-sample, run as a user runs it (stdout to a pipe or a file, or to a
// terminal), checking what the user reads: readable addresses, shares that add up to 100%,
// timestamped changes under -watch after a manifest edit, one-line errors and the exit codes.
//
// The binaries: $DEST_BIN_DIR/destination and $DEST_BIN_DIR/destctl; $DESTCTL, when set, names
// another destctl (to try a destctl build against a destination built elsewhere).
//
// DestctlExplain* and DestctlTopics* need the server's io.destination.debug.v1.Debug service.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/child_process.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_process.h"

namespace dest::testing {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr absl::Duration kWait = absl::Seconds(10);
const char kBackend[] = "backend-svc.trafficsplit-sample.svc.cluster.local:8080";
const char kToken[] = R"({"ns":"trafficsplit-sample","nodeName":"node-2"})";
// A time destctl prints: RFC 3339, UTC, milliseconds.
const char kTimestamp[] = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

std::string DestctlPath() {
  if (const char* path = std::getenv("DESTCTL"); path != nullptr) return path;
  const char* bin = std::getenv("DEST_BIN_DIR");
  return absl::StrCat(bin != nullptr ? bin : DEST_BIN_DIR_DEFAULT, "/destctl");
}

std::string ReadFileIfAny(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

bool HasLineMatching(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern);
  for (const std::string& line : Lines(text)) {
    if (std::regex_match(line, re)) return true;
  }
  return false;
}

// The shares ("50.0%") in the SHARE column of the table under "dst_overrides:" in `text`.
std::vector<double> Shares(const std::string& text) {
  std::vector<double> shares;
  bool in_table = false;
  for (const std::string& line : Lines(text)) {
    if (absl::StrContains(line, "dst_overrides:")) {
      in_table = true;
      continue;
    }
    if (!in_table || absl::StrContains(line, "AUTHORITY")) continue;
    if (line.rfind("  ", 0) != 0) break;
    std::vector<std::string> cells = absl::StrSplit(line, ' ', absl::SkipEmpty());
    double share = 0;
    if (cells.size() < 2 || !absl::EndsWith(cells[1], "%") ||
        !absl::SimpleAtod(cells[1].substr(0, cells[1].size() - 1), &share)) {
      break;
    }
    shares.push_back(share);
  }
  return shares;
}

// One destctl run with its stdout in a file (so not a terminal, as in a pipe) and its stderr
// captured line by line. Started by the constructor.
class Destctl {
 public:
  Destctl(const std::string& out, const std::vector<std::string>& args) : out_(out) {
    std::vector<std::string> argv = {"/bin/sh", "-c", "out=$1; shift; exec \"$@\" >\"$out\"",
                                     "sh",      out,  DestctlPath()};
    argv.insert(argv.end(), args.begin(), args.end());
    started_ = process_.Start(argv);
  }

  bool started() const { return started_; }
  std::string Out() const { return ReadFileIfAny(out_); }
  bool WaitForOut(const std::function<bool(const std::string&)>& predicate) {
    return WaitUntil([&] { return predicate(Out()); }, kWait);
  }
  void Signal(int signal) { process_.Signal(signal); }
  // The exit code; nullopt when destctl is still running at the deadline.
  std::optional<int> Wait(absl::Duration timeout = kWait) { return process_.Wait(timeout); }
  // Every stderr line, once destctl has exited (the reader reaches the end of the pipe).
  std::vector<std::string> Err() {
    process_.WaitForLine({"\x01 not a line destctl prints"}, absl::Seconds(2));
    return process_.Lines();
  }

 private:
  const std::string out_;
  ChildProcess process_;
  bool started_ = false;
};

// A finished run.
struct Result {
  std::optional<int> code;
  std::string out;
  std::vector<std::string> err;
};

// Runs destctl with its stdout on a pseudo-terminal, as from an interactive shell; what it printed
// (stdout and stderr, "\r\n" turned back into "\n") and its exit code, or -1.
std::pair<std::string, int> RunOnTerminal(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {DestctlPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  if (pid < 0) return {"forkpty failed", -1};
  if (pid == 0) {
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  std::string out;
  const absl::Time deadline = absl::Now() + kWait;
  char buffer[4096];
  while (absl::Now() < deadline) {
    pollfd p = {terminal, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(terminal, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child and its terminal are gone
    out.append(buffer, static_cast<size_t>(n));
  }
  close(terminal);
  int status = 0;
  if (waitpid(pid, &status, absl::Now() < deadline ? 0 : WNOHANG) != pid) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return {out, -1};
  }
  return {absl::StrReplaceAll(out, {{"\r\n", "\n"}}), WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// A loopback port nothing listens on.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), size) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    close(fd);
    return 1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

class DestctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* src = std::getenv("DEST_SOURCE_DIR");
    if (src == nullptr) src = DEST_SOURCE_DIR_DEFAULT;
    dir_ = MakeTempDir();
    scratch_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty() || scratch_.empty());
    fs::copy(fs::path(src) / "examples" / "trafficsplit-sample", dir_, fs::copy_options::recursive);
    ASSERT_TRUE(server_.Start({"-manifests=" + dir_})) << "server did not start";
    addr_ = absl::StrCat("-addr=127.0.0.1:", server_.grpc_port);
  }
  void TearDown() override {
    RemoveTree(dir_);
    RemoveTree(scratch_);
  }

  // Starts destctl against the server (the -addr flag first, then `args`).
  std::unique_ptr<Destctl> Start(const std::vector<std::string>& args) {
    std::vector<std::string> all = {addr_};
    all.insert(all.end(), args.begin(), args.end());
    auto run = std::make_unique<Destctl>(absl::StrCat(scratch_, "/out-", ++runs_), all);
    EXPECT_TRUE(run->started());
    return run;
  }
  // Runs destctl to its end, with exactly `args` (no -addr added).
  Result RunRaw(const std::vector<std::string>& args) {
    Destctl run(absl::StrCat(scratch_, "/out-", ++runs_), args);
    EXPECT_TRUE(run.started());
    Result result;
    result.code = run.Wait();
    result.out = run.Out();
    result.err = run.Err();
    return result;
  }
  Result Run(const std::vector<std::string>& args) {
    std::vector<std::string> all = {addr_};
    all.insert(all.end(), args.begin(), args.end());
    return RunRaw(all);
  }
  void Edit(const std::string& file, const std::string& from, const std::string& to) {
    const std::string path = dir_ + "/" + file;
    const std::string content = ReadFileOrDie(path);
    const std::string edited = absl::StrReplaceAll(content, {{from, to}});
    ASSERT_NE(content, edited) << "edit of " << file << " changed nothing";
    WriteFile(path, edited);
  }

  std::string dir_;
  std::string scratch_;
  DestinationProcess server_;
  std::string addr_;
  int runs_ = 0;
};

TEST_F(DestctlTest, GetTableShowsReadableEndpoints) {
  Result r = Run({"-o", "table", "get", kBackend});
  EXPECT_EQ(r.code, 0) << absl::StrJoin(r.err, "\n");
  EXPECT_TRUE(r.err.empty());
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, R"(ADDRESS +IDENTITY +PROTOCOL +LABELS)")) << r.out;
  for (const char* address : {"10.244.1.10:8080", "10.244.2.10:8080"}) {
    EXPECT_TRUE(HasLineMatching(
        r.out, absl::StrCat(address,
                            R"( +backend\.trafficsplit-sample\.serviceaccount\.identity\.linkerd\.)"
                            R"(cluster\.local +h2 +control_plane_ns=linkerd,deployment=backend,)"
                            R"(pod=backend-6b8f7c9d5f-\w+,pod_template_hash=6b8f7c9d5f,)"
                            R"(serviceaccount=backend)")))
        << r.out;
  }
  EXPECT_EQ(lines.back(), "2 endpoints (namespace=trafficsplit-sample,service=backend-svc)");
}

TEST_F(DestctlTest, GetJsonIsOneLineWithReadableAddresses) {
  Result r = Run({"get", kBackend});  // not a terminal: JSON by default
  EXPECT_EQ(r.code, 0);
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  const Json update = Json::parse(r.out);
  std::set<std::string> addresses;
  for (const Json& addr : update["add"]["addrs"]) addresses.insert(addr["addr"].get<std::string>());
  EXPECT_EQ(addresses, (std::set<std::string>{"10.244.1.10:8080", "10.244.2.10:8080"}));
  EXPECT_EQ(update["add"]["metricLabels"]["service"], "backend-svc");
}

TEST_F(DestctlTest, GetYamlIsTheSameDocument) {
  Result r = Run({"-o=yaml", "get", kBackend});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("---\nadd:\n  addrs:\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("    - addr: \"10.244.1.10:8080\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    - addr: \"10.244.2.10:8080\"\n"), std::string::npos) << r.out;
}

TEST_F(DestctlTest, ProfileTableSharesAddUpTo100) {
  Result r = Run({"-o", "table", "--context-token", kToken, "profile", kBackend});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(
      r.out.rfind("fully_qualified_name  backend-svc.trafficsplit-sample.svc.cluster.local\n", 0),
      0u)
      << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, R"(retry_budget +ratio 0\.2, min 10/s, ttl 10s)")) << r.out;
  EXPECT_TRUE(HasLineMatching(
      r.out, R"(  backend-svc\.trafficsplit-sample\.svc\.cluster\.local\.:8080 +50\.0% +5000000)"))
      << r.out;
  EXPECT_TRUE(HasLineMatching(
      r.out, R"(  failing-svc\.trafficsplit-sample\.svc\.cluster\.local\.:8080 +50\.0% +5000000)"))
      << r.out;

  Edit("trafficsplit.yaml", "weight: 500\n    - service: failing-svc\n      weight: 500",
       "weight: 2\n    - service: failing-svc\n      weight: 1");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Shares(Run({"-o", "table", "profile", kBackend}).out) != std::vector<double>{50, 50};
      },
      kWait));
  const std::vector<double> shares = Shares(Run({"-o", "table", "profile", kBackend}).out);
  ASSERT_EQ(shares, (std::vector<double>{66.7, 33.3}));
  EXPECT_NEAR(shares[0] + shares[1], 100.0, 0.1);
}

TEST_F(DestctlTest, ProfileJsonAndYaml) {
  Result json = Run({"-o", "json", "profile", kBackend});
  EXPECT_EQ(json.code, 0);
  ASSERT_EQ(Lines(json.out).size(), 1u);
  const Json profile = Json::parse(json.out);
  EXPECT_EQ(profile["fullyQualifiedName"], "backend-svc.trafficsplit-sample.svc.cluster.local");
  EXPECT_EQ(profile["dstOverrides"].size(), 2u);

  Result yaml = Run({"-o", "yaml", "profile", kBackend});
  EXPECT_EQ(yaml.code, 0);
  EXPECT_EQ(yaml.out.rfind("---\n", 0), 0u);
  EXPECT_NE(
      yaml.out.find("fullyQualifiedName: backend-svc.trafficsplit-sample.svc.cluster.local\n"),
      std::string::npos)
      << yaml.out;
  EXPECT_NE(yaml.out.find("  - authority: failing-svc.trafficsplit-sample.svc.cluster.local.:8080\n"
                          "    weight: 5000000\n"),
            std::string::npos)
      << yaml.out;
}

TEST_F(DestctlTest, PodIpProfileShowsItsEndpoint) {
  Result r = Run({"-o", "table", "profile", "10.244.1.10:8080"});
  EXPECT_EQ(r.code, 0);
  EXPECT_TRUE(HasLineMatching(r.out, "endpoint:")) << r.out;
  EXPECT_TRUE(
      HasLineMatching(r.out, R"(  10\.244\.1\.10:8080 +backend\.\S+ +h2 +.*pod=backend-.*)"))
      << r.out;
}

TEST_F(DestctlTest, TableOnATerminalJsonInAPipe) {
  auto [out, code] = RunOnTerminal({addr_, "get", kBackend});
  EXPECT_EQ(code, 0) << out;
  EXPECT_TRUE(HasLineMatching(out, R"(ADDRESS +IDENTITY +PROTOCOL +LABELS)")) << out;
  Result piped = Run({"get", kBackend});
  EXPECT_EQ(piped.out.rfind("{\"add\":", 0), 0u) << piped.out;
}

TEST_F(DestctlTest, WatchProfilePrintsTimestampedChanges) {
  auto watch = Start({"-o", "table", "-watch", "profile", kBackend});
  ASSERT_TRUE(watch->WaitForOut([](const std::string& out) {
    return absl::StrContains(out, "failing-svc.trafficsplit-sample.svc.cluster.local.:8080");
  })) << watch->Out();
  Edit("trafficsplit.yaml", "weight: 500\n    - service: failing-svc\n      weight: 500",
       "weight: 900\n    - service: failing-svc\n      weight: 100");
  const std::string want = absl::StrCat(
      kTimestamp,
      R"(  dst_overrides  failing-svc\.trafficsplit-sample\.svc\.cluster\.local\.:8080)",
      R"(  50\.0% -> 10\.0%)");
  EXPECT_TRUE(watch->WaitForOut([&](const std::string& out) { return HasLineMatching(out, want); }))
      << watch->Out();
  EXPECT_TRUE(HasLineMatching(
      watch->Out(),
      absl::StrCat(kTimestamp, R"(  dst_overrides  backend-svc)", R"(\S+  50\.0% -> 90\.0%)")));
  watch->Signal(SIGINT);
  EXPECT_EQ(watch->Wait(), 0);
  EXPECT_TRUE(watch->Err().empty());
}

TEST_F(DestctlTest, WatchGetPrintsTimestampedRemovals) {
  auto watch = Start({"-o", "table", "-watch", "get", kBackend});
  ASSERT_TRUE(watch->WaitForOut(
      [](const std::string& out) { return absl::StrContains(out, "2 endpoints"); }));
  Edit("backend.yaml", "ready: true\n    nodeName: node-2", "ready: false\n    nodeName: node-2");
  const std::string want = absl::StrCat(kTimestamp, R"(  - 10\.244\.2\.10:8080)");
  EXPECT_TRUE(watch->WaitForOut([&](const std::string& out) { return HasLineMatching(out, want); }))
      << watch->Out();
  watch->Signal(SIGTERM);
  EXPECT_EQ(watch->Wait(), 0);
}

TEST_F(DestctlTest, WatchJsonLinesCarryTheTimeAndWhatChanged) {
  auto watch = Start({"-watch", "-timeout=20s", "profile", kBackend});
  ASSERT_TRUE(watch->WaitForOut([](const std::string& out) { return !out.empty(); }));
  Edit("trafficsplit.yaml", "weight: 500\n    - service: failing-svc\n      weight: 500",
       "weight: 900\n    - service: failing-svc\n      weight: 100");
  ASSERT_TRUE(watch->WaitForOut([](const std::string& out) { return Lines(out).size() >= 2; }));
  const std::vector<std::string> lines = Lines(watch->Out());
  const Json first = Json::parse(lines[0]);
  EXPECT_TRUE(std::regex_match(first["time"].get<std::string>(), std::regex(kTimestamp)));
  EXPECT_TRUE(first.contains("fullyQualifiedName"));
  const Json change = Json::parse(lines[1]);
  ASSERT_EQ(change.size(), 2u) << lines[1];  // the time and the one field that changed
  EXPECT_TRUE(std::regex_match(change["time"].get<std::string>(), std::regex(kTimestamp)));
  EXPECT_EQ(change["dstOverrides"][1]["weight"], 1000000);
  watch->Signal(SIGINT);
  EXPECT_EQ(watch->Wait(), 0);
}

TEST_F(DestctlTest, WatchStopsAtTheTimeoutWithZero) {
  auto watch = Start({"-watch", "-timeout=500ms", "get", kBackend});
  EXPECT_EQ(watch->Wait(), 0);
  EXPECT_EQ(Lines(watch->Out()).size(), 1u);
}

TEST_F(DestctlTest, UnreachableServerIsOneLine) {
  const int port = ClosedPort();
  Result r = RunRaw({absl::StrCat("-addr=127.0.0.1:", port), "get", kBackend});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, std::vector<std::string>{
                       absl::StrCat("destctl: cannot connect to 127.0.0.1:", port, " within 5s")});
  EXPECT_TRUE(r.out.empty());
}

TEST_F(DestctlTest, BadAuthorityIsTheServersMessage) {
  for (const char* command : {"get", "profile"}) {
    Result r = Run({command, "not a name:99999"});
    EXPECT_EQ(r.code, 1) << command;
    ASSERT_EQ(r.err.size(), 1u) << command;
    EXPECT_EQ(
        r.err[0].rfind("destctl: INVALID_ARGUMENT: invalid authority \"not a name:99999\"", 0), 0u)
        << r.err[0];
    EXPECT_TRUE(r.out.empty());
  }
}

TEST_F(DestctlTest, StreamEndedByTheServerIsOneLine) {
  auto watch = Start({"-watch", "profile", kBackend});
  ASSERT_TRUE(watch->WaitForOut([](const std::string& out) { return !out.empty(); }));
  server_.process.Signal(SIGTERM);
  EXPECT_EQ(watch->Wait(), 1);
  EXPECT_EQ(watch->Err(),
            std::vector<std::string>{"destctl: stream ended by the server: "
                                     "UNAVAILABLE: destination service shutting down"});
}

TEST_F(DestctlTest, UsageErrorsExit2) {
  const std::vector<std::vector<std::string>> bad = {{},
                                                     {"frobnicate"},
                                                     {"get"},
                                                     {"get", "a", "b"},
                                                     {"-o", "xml", "get", kBackend},
                                                     {"--bogus", "get", kBackend},
                                                     {"-watch", "topics"},
                                                     {"-sort", "key", "get", kBackend},
                                                     {"-sort", "newest", "topics"},
                                                     {"-timeout=soon", "get", kBackend},
                                                     {"health", "a", "b"}};
  for (const auto& args : bad) {
    Result r = Run(args);
    EXPECT_EQ(r.code, 2) << absl::StrJoin(args, " ");
    ASSERT_EQ(r.err.size(), 2u) << absl::StrJoin(args, " ");
    EXPECT_EQ(r.err[0].rfind("destctl: ", 0), 0u) << r.err[0];
    EXPECT_EQ(r.err[1].rfind("usage: destctl", 0), 0u) << r.err[1];
  }
}

TEST_F(DestctlTest, HelpListsCommandsAndFlagsWithoutABuildPath) {
  for (const char* flag : {"--help", "-help", "-h"}) {
    Result r = RunRaw({flag});
    EXPECT_EQ(r.code, 0) << flag;
    for (const char* want : {"get AUTHORITY", "profile AUTHORITY", "explain AUTHORITY", "topics",
                             "health [SERVICE]", "-o, -output FORMAT", "-watch", "-context-token",
                             "-connect-timeout", "-sort", "-limit", "\"IP:PORT\""}) {
      EXPECT_TRUE(absl::StrContains(r.out, want)) << want;
    }
    EXPECT_FALSE(absl::StrContains(r.out, ".cc")) << r.out;
    const char* src = std::getenv("DEST_SOURCE_DIR");
    EXPECT_FALSE(absl::StrContains(r.out, src != nullptr ? src : DEST_SOURCE_DIR_DEFAULT));
  }
}

TEST_F(DestctlTest, HealthStaysOneJsonLine) {
  Result r = Run({"health"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "{\"status\":\"SERVING\"}\n");
}

// --- Debug/Explain and Debug/Topics (the server's debugging API).

TEST_F(DestctlTest, DestctlExplainTableInSections) {
  Result r = Run({"-o", "table", "-context-token", kToken, "explain", kBackend});
  ASSERT_EQ(r.code, 0) << absl::StrJoin(r.err, "\n");
  for (const char* section : {"client:", "target:", "profile:", "endpoints:"}) {
    EXPECT_TRUE(HasLineMatching(r.out, section)) << section << " in\n" << r.out;
  }
  EXPECT_TRUE(HasLineMatching(r.out, "  namespace +trafficsplit-sample")) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, "  zone +zone-b")) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, "  service +trafficsplit-sample/backend-svc \\(ClusterIP\\)"));
  EXPECT_TRUE(HasLineMatching(r.out, "  overrides source +trafficsplit")) << r.out;
  EXPECT_TRUE(HasLineMatching(
      r.out,
      R"(  split applied +trafficsplit-sample/backend-split \(split\.smi-spec\.io/v1alpha2.*)"))
      << r.out;
  const std::vector<double> shares = Shares(r.out);
  ASSERT_EQ(shares.size(), 2u) << r.out;
  EXPECT_NEAR(shares[0] + shares[1], 100.0, 0.1);
  EXPECT_TRUE(HasLineMatching(r.out, R"(    10\.244\.1\.10:8080 +backend\.\S+ +h2 +.*)")) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, R"(    10\.244\.2\.10:8080 +backend\.\S+ +h2 +.*)")) << r.out;
}

// An HTTPRoute with a header match next to the example's TrafficSplit: `explain` says the split
// applies and why the route does not.
TEST_F(DestctlTest, DestctlExplainSaysWhyAnHTTPRouteIsNotApplied) {
  WriteFile(dir_ + "/route.yaml",
            "apiVersion: gateway.networking.k8s.io/v1\n"
            "kind: HTTPRoute\n"
            "metadata: {name: canary, namespace: trafficsplit-sample}\n"
            "spec:\n"
            "  parentRefs: [{group: core, kind: Service, name: backend-svc}]\n"
            "  rules:\n"
            "  - matches: [{headers: [{name: x-canary, value: \"true\"}]}]\n"
            "    backendRefs: [{name: failing-svc, port: 8080}]\n");
  Result r;
  EXPECT_TRUE(WaitUntil(
      [&] {
        r = Run({"-o", "table", "explain", kBackend});
        return absl::StrContains(r.out, "routes ignored:");
      },
      absl::Seconds(10)))
      << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, "  overrides source +trafficsplit")) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, "  route applied +none")) << r.out;
  EXPECT_TRUE(HasLineMatching(r.out, "    ROUTE +MISTAKE +REASON")) << r.out;
  EXPECT_TRUE(HasLineMatching(
      r.out,
      R"(    trafficsplit-sample/canary \(gateway\.networking\.k8s\.io/v1\) +yes +)"
      R"(spec\.rules\[0\]\.matches\[0\] matches headers, which plain weights cannot express)"))
      << r.out;
}

TEST_F(DestctlTest, DestctlExplainJsonIsTheMessage) {
  Result r = Run({"-o", "json", "explain", kBackend});
  ASSERT_EQ(r.code, 0) << absl::StrJoin(r.err, "\n");
  ASSERT_EQ(Lines(r.out).size(), 1u);
  const Json explanation = Json::parse(r.out);
  EXPECT_EQ(explanation["authority"], kBackend);
  EXPECT_EQ(explanation["profile"]["overridesSource"], "trafficsplit");
  std::set<std::string> addresses;
  for (const Json& e : explanation["endpoints"]["endpoints"]) {
    addresses.insert(e["addr"]["addr"].get<std::string>());  // readable, as in `get`
  }
  EXPECT_EQ(addresses, (std::set<std::string>{"10.244.1.10:8080", "10.244.2.10:8080"}));

  Result yaml = Run({"-o", "yaml", "explain", kBackend});
  EXPECT_EQ(yaml.code, 0);
  EXPECT_NE(yaml.out.find("\nauthority: " + std::string(kBackend) + "\n"), std::string::npos)
      << yaml.out;
}

TEST_F(DestctlTest, DestctlExplainBadAuthority) {
  Result r = Run({"explain", "not a name:99999"});
  EXPECT_EQ(r.code, 1);
  ASSERT_EQ(r.err.size(), 1u);
  EXPECT_EQ(r.err[0].rfind("destctl: INVALID_ARGUMENT: ", 0), 0u) << r.err[0];
  EXPECT_TRUE(absl::StrContains(r.err[0], "not a name:99999")) << r.err[0];
}

TEST_F(DestctlTest, DestctlTopicsTableShowsSubscribers) {
  auto watch = Start({"-watch", "profile", kBackend});
  ASSERT_TRUE(watch->WaitForOut([](const std::string& out) { return !out.empty(); }));
  Result r = Run({"-o", "table", "topics"});
  ASSERT_EQ(r.code, 0) << absl::StrJoin(r.err, "\n");
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_TRUE(
      std::regex_match(lines[0], std::regex("KIND +KEY +SUBSCRIBERS +LAST CHANGE +MESSAGES")))
      << r.out;
  // Sorted by subscribers: the watched profile first, with its one subscriber.
  EXPECT_TRUE(std::regex_match(lines[1], std::regex(R"(profile +\S.* +1 +(\d+[smhd])+ ago +\d+)")))
      << r.out;
  EXPECT_TRUE(std::regex_match(lines.back(), std::regex(R"(\d+ topics?)"))) << r.out;
  watch->Signal(SIGINT);
  EXPECT_EQ(watch->Wait(), 0);
}

TEST_F(DestctlTest, DestctlTopicsSortAndLimit) {
  auto profile = Start({"-watch", "profile", kBackend});
  auto get = Start({"-watch", "get", kBackend});
  ASSERT_TRUE(profile->WaitForOut([](const std::string& out) { return !out.empty(); }));
  ASSERT_TRUE(get->WaitForOut([](const std::string& out) { return !out.empty(); }));
  Result all = Run({"-o", "json", "-sort", "key", "topics"});
  ASSERT_EQ(all.code, 0) << absl::StrJoin(all.err, "\n");
  const Json list = Json::parse(all.out);
  ASSERT_GE(list["topics"].size(), 2u) << all.out;
  for (size_t i = 1; i < list["topics"].size(); ++i) {
    EXPECT_LE(list["topics"][i - 1]["key"].get<std::string>(),
              list["topics"][i]["key"].get<std::string>());
  }
  Result one = Run({"topics", "-o", "table", "-limit", "1", "-sort", "last-change"});
  ASSERT_EQ(one.code, 0);
  const std::vector<std::string> lines = Lines(one.out);
  ASSERT_EQ(lines.size(), 3u) << one.out;
  EXPECT_TRUE(std::regex_match(lines.back(), std::regex(R"(1 of \d+ topics)"))) << one.out;
}

}  // namespace
}  // namespace dest::testing
