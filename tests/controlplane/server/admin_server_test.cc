#include "controlplane/server/admin_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"

namespace dest {
namespace {

using ::testing::HasSubstr;

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
};

// A minimal HTTP/1.1 client: one request per connection, read until the server closes. Every
// socket operation is bounded by a 10 s timeout so a broken server fails the test, never hangs it.
std::optional<HttpResponse> Fetch(int port, absl::string_view method, absl::string_view path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{};
  timeout.tv_sec = 10;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return std::nullopt;
  }
  const std::string request = absl::StrCat(method, " ", path,
                                           " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return std::nullopt;
    }
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[4096];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) {
      close(fd);
      return std::nullopt;  // Timed out or failed.
    }
    if (n == 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);

  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  std::vector<std::string> lines = absl::StrSplit(raw.substr(0, head_end), "\r\n");
  HttpResponse response;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
    return std::nullopt;
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    response.headers.emplace_back(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  response.body = raw.substr(head_end + 4);
  return response;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    server_ = std::make_unique<AdminServer>(AdminServer::Options{.addr = "127.0.0.1:0"},
                                            registry_.get(), [this] { return ready_.load(); });
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }

  std::atomic<bool> ready_{false};
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, LiveAnswersOk) {
  std::optional<HttpResponse> response = Fetch(server_->port(), "GET", "/live");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok\n");
  EXPECT_EQ(response->Header("content-length"), "3");
}

TEST_F(AdminServerTest, ReadyFollowsTheCallback) {
  std::optional<HttpResponse> response = Fetch(server_->port(), "GET", "/ready");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "not ready\n");

  ready_ = true;
  response = Fetch(server_->port(), "GET", "/ready");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ready\n");

  ready_ = false;
  response = Fetch(server_->port(), "GET", "/ready");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
}

TEST_F(AdminServerTest, MetricsServesTheRegistryInTextFormat) {
  prometheus::Counter& counter = prometheus::BuildCounter()
                                     .Name("test_admin_events_total")
                                     .Help("Events seen by the test.")
                                     .Register(*registry_)
                                     .Add({{"kind", "probe"}});
  counter.Increment(3);

  std::optional<HttpResponse> response = Fetch(server_->port(), "GET", "/metrics");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(response->body, HasSubstr("# TYPE test_admin_events_total counter"));
  EXPECT_THAT(response->body, HasSubstr("test_admin_events_total{kind=\"probe\"} 3"));
  EXPECT_EQ(response->Header("content-length"), absl::StrCat(response->body.size()));

  // A query string does not change the path.
  response = Fetch(server_->port(), "GET", "/metrics?name=x");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
}

TEST_F(AdminServerTest, UnknownPathsAre404) {
  for (const char* path : {"/", "/metrics/x", "/livez", "/index.html", "/../etc/passwd"}) {
    SCOPED_TRACE(path);
    std::optional<HttpResponse> response = Fetch(server_->port(), "GET", path);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 404);
  }
}

TEST_F(AdminServerTest, OtherMethodsAre405) {
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    for (const char* path : {"/metrics", "/live", "/ready"}) {
      SCOPED_TRACE(absl::StrCat(method, " ", path));
      std::optional<HttpResponse> response = Fetch(server_->port(), method, path);
      ASSERT_TRUE(response.has_value());
      EXPECT_EQ(response->status, 405);
      EXPECT_EQ(response->Header("allow"), "GET, HEAD");
    }
  }
}

// HEAD is what some load balancers and uptime checkers probe with: the GET answer, no body.
TEST_F(AdminServerTest, HeadAnswersLikeGetWithoutABody) {
  ready_ = true;
  for (const char* path : {"/live", "/ready", "/metrics"}) {
    SCOPED_TRACE(path);
    std::optional<HttpResponse> response = Fetch(server_->port(), "HEAD", path);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "");
  }
  ready_ = false;
  std::optional<HttpResponse> response = Fetch(server_->port(), "HEAD", "/ready");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "");
}

// A connection that sends nothing, or a byte at a time (slowloris), must not starve the probes:
// the kubelet would restart every replica. 96 hostile connections (more than the 64 workers),
// re-opened as the server drops them, while probes run with the kubelet's default 1 s timeout.
TEST_F(AdminServerTest, ProbesAnswerUnderSlowClients) {
  ready_ = true;
  std::atomic<bool> stop{false};
  auto open_conn = [this] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  };
  std::vector<std::thread> attackers;
  for (int t = 0; t < 96; ++t) {
    const bool slow = t % 2 == 0;
    attackers.emplace_back([&, slow] {
      while (!stop) {
        const int fd = open_conn();
        if (fd < 0) continue;
        const char* partial = "GET /ready HTTP/1.1\r\nX-Slow: ";
        for (size_t i = 0; !stop && i < 200; ++i) {  // until the server gives up on us
          if (slow && send(fd, partial + (i % 20), 1, MSG_NOSIGNAL) <= 0) break;
          if (!slow) {
            char b;
            if (recv(fd, &b, 1, MSG_DONTWAIT) == 0) break;  // closed by the server
          }
          absl::SleepFor(absl::Milliseconds(100));
        }
        close(fd);
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(300));  // let them take the workers
  absl::Duration worst;
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    const absl::Time start = absl::Now();
    std::optional<HttpResponse> response =
        Fetch(server_->port(), "GET", i % 2 ? "/live" : "/ready");
    const absl::Duration took = absl::Now() - start;
    if (response.has_value() && response->status == 200) ++answered;
    worst = std::max(worst, took);
    absl::SleepFor(absl::Milliseconds(100));
  }
  stop = true;
  for (std::thread& t : attackers) t.join();
  EXPECT_EQ(answered, 20);
  EXPECT_LT(worst, absl::Seconds(1)) << "slowest probe";
  std::printf("slowest of 20 probes under 96 hostile connections: %s\n",
              absl::FormatDuration(worst).c_str());
}

TEST_F(AdminServerTest, ConcurrentRequests) {
  ready_ = true;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        std::optional<HttpResponse> response =
            Fetch(server_->port(), "GET", i % 2 == 0 ? "/ready" : "/metrics");
        if (response.has_value() && response->status == 200) ++ok;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST_F(AdminServerTest, StopIsIdempotentAndClosesThePort) {
  const int port = server_->port();
  server_->Stop();
  EXPECT_EQ(server_->port(), 0);
  server_->Stop();
  EXPECT_FALSE(Fetch(port, "GET", "/live").has_value());
}

TEST_F(AdminServerTest, StartTwiceFails) {
  EXPECT_EQ(server_->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AdminServerTest, AddressInUseIsAClearError) {
  AdminServer second({absl::StrCat("127.0.0.1:", server_->port())}, registry_.get(), nullptr);
  const absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr("in use"));
  EXPECT_EQ(second.port(), 0);
}

TEST(AdminServerStandaloneTest, ColonPortListensOnAllInterfaces) {
  AdminServer server({":0"}, nullptr, nullptr);
  ASSERT_TRUE(server.Start().ok());
  std::optional<HttpResponse> response = Fetch(server.port(), "GET", "/ready");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);  // No callback: always ready.
  response = Fetch(server.port(), "GET", "/metrics");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);  // No registry: empty.
  EXPECT_EQ(response->body, "");
}

// The debug pages' route: the handler gets the decoded query; its status, type and body are sent
// as given; HEAD and other methods behave as for the built-in paths.
TEST(AdminServerStandaloneTest, PagesGetTheirDecodedQuery) {
  AdminServer::Options options{"127.0.0.1:0"};
  options.pages["/debug/echo"] = [](const AdminServer::Query& q) {
    std::string body;
    for (const auto& [k, v] : q) body += k + "=[" + v + "]\n";
    return AdminServer::Page{q.count("fail") ? 400 : 200, "text/html; charset=utf-8", body};
  };
  AdminServer server(options, nullptr, nullptr);
  ASSERT_TRUE(server.Start().ok());
  std::optional<HttpResponse> response =
      Fetch(server.port(), "GET",
            "/debug/echo?authority=web.ns.svc.cluster.local%3A80&t=%7B%22ns%22%7D"
            "&a=1&a=2&sp=x+y");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response->body,
            "a=[1]\nauthority=[web.ns.svc.cluster.local:80]\nsp=[x y]\nt=[{\"ns\"}]\n");
  response = Fetch(server.port(), "GET", "/debug/echo?fail");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  response = Fetch(server.port(), "POST", "/debug/echo");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  response = Fetch(server.port(), "GET", "/debug/echo/more");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
}

TEST(AdminServerStandaloneTest, BadAddressesAreInvalidArgument) {
  for (const char* addr : {"", "9996", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
                           "127.0.0.1:+1", "127.0.0.1:abc", "127.0.0.1: 80", "example.com:80",
                           "::1:80", "[::1", "[::1]", "[::1]80", "[zz]:80", "300.0.0.1:80"}) {
    SCOPED_TRACE(addr);
    AdminServer server({addr}, nullptr, nullptr);
    const absl::Status status = server.Start();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr("admin address"));
  }
}

TEST(AdminServerStandaloneTest, AddressNotLocalIsUnavailable) {
  AdminServer server({"192.0.2.1:0"}, nullptr, nullptr);  // TEST-NET-1, never local.
  const absl::Status status = server.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("192.0.2.1"));
}

TEST(AdminServerStandaloneTest, ToListeningPort) {
  struct Case {
    const char* addr;
    bool ipv6;
    absl::StatusCode code;
    const char* want;
  };
  const Case cases[] = {
      {":9996", false, absl::StatusCode::kOk, "9996"},
      {":0", true, absl::StatusCode::kOk, "0"},
      {"127.0.0.1:0", false, absl::StatusCode::kOk, "127.0.0.1:0"},
      {"0.0.0.0:09996", false, absl::StatusCode::kOk, "0.0.0.0:9996"},
      {"localhost:8080", false, absl::StatusCode::kOk, "127.0.0.1:8080"},
      {"[::1]:9996", true, absl::StatusCode::kOk, "[::1]:9996"},
      {"[::]:0", true, absl::StatusCode::kOk, "[::]:0"},
      {"[::1]:9996", false, absl::StatusCode::kUnimplemented, ""},
      {"[::1]:99999", true, absl::StatusCode::kInvalidArgument, ""},
      {"1.2.3.4", false, absl::StatusCode::kInvalidArgument, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.addr);
    absl::StatusOr<std::string> got = AdminServer::ToListeningPort(c.addr, c.ipv6);
    EXPECT_EQ(got.status().code(), c.code) << got.status();
    if (got.ok()) {
      EXPECT_EQ(*got, c.want);
    }
  }
}

}  // namespace
}  // namespace dest
