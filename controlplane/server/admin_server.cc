#include "controlplane/server/admin_server.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/log.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace dest {
namespace {

constexpr unsigned kCivetwebFeatureIpv6 = 8;  // mg_check_feature bit: USE_IPV6 was set.
constexpr char kTextPlain[] = "text/plain; charset=utf-8";
constexpr char kPrometheusText[] = "text/plain; version=0.0.4; charset=utf-8";

// mg_init_library is not thread-safe and mg_start would otherwise call it implicitly (and undo it
// in mg_stop), which races when several servers start at once. Initialize once per process.
void InitCivetwebOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
}

// Parses a decimal port 0..65535 ("9996"); no sign, no spaces.
absl::StatusOr<int> ParsePort(absl::string_view addr, absl::string_view port) {
  if (port.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("admin address \"", addr, "\": missing port"));
  }
  int value = 0;
  for (char c : port) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) || value > 65535) {
      value = -1;
      break;
    }
    value = value * 10 + (c - '0');
  }
  if (value < 0 || value > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("admin address \"", addr, "\": port \"", port,
                                                   "\" is not an integer in 0..65535"));
  }
  return value;
}

bool IsIpv4Literal(const std::string& host) {
  in_addr parsed;
  return inet_pton(AF_INET, host.c_str(), &parsed) == 1;
}

bool IsIpv6Literal(const std::string& host) {
  in6_addr parsed;
  return inet_pton(AF_INET6, host.c_str(), &parsed) == 1;
}

// Sends a complete response with a Content-Length; the body is left out for HEAD requests.
int Reply(mg_connection* conn, int status, const char* content_type, std::string_view body,
          bool head_request, bool allow_get = false) {
  const std::string length = absl::StrCat(body.size());
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", content_type, -1);
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  if (allow_get) mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
  {
    // civetweb formats the Date header with gmtime(), whose static buffer races between worker
    // threads; serialize it (admin traffic is light).
    static absl::Mutex header_mu(absl::kConstInit);
    absl::MutexLock lock(&header_mu);
    mg_response_header_send(conn);
  }
  if (!head_request && !body.empty()) mg_write(conn, body.data(), body.size());
  return status;
}

}  // namespace

AdminServer::AdminServer(Options options, prometheus::Registry* registry,
                         std::function<bool()> ready)
    : options_(std::move(options)), registry_(registry), ready_(std::move(ready)) {}

AdminServer::~AdminServer() { Stop(); }

absl::StatusOr<std::string> AdminServer::ToListeningPort(const std::string& addr,
                                                         bool ipv6_supported) {
  if (addr.empty()) {
    return absl::InvalidArgumentError("admin address is empty; want host:port or :port");
  }
  if (addr.front() == '[') {
    const size_t close = addr.find(']');
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin address \"", addr, "\": missing ']' after the IPv6 address"));
    }
    const std::string host = addr.substr(1, close - 1);
    const absl::string_view rest = absl::string_view(addr).substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return absl::InvalidArgumentError(absl::StrCat("admin address \"", addr, "\": missing port"));
    }
    absl::StatusOr<int> port = ParsePort(addr, rest.substr(1));
    if (!port.ok()) return port.status();
    if (!IsIpv6Literal(host)) {
      return absl::InvalidArgumentError(
          absl::StrCat("admin address \"", addr, "\": \"", host, "\" is not an IPv6 address"));
    }
    if (!ipv6_supported) {
      return absl::UnimplementedError(
          absl::StrCat("admin address \"", addr,
                       "\": this build's civetweb has no IPv6 support; use an IPv4 "
                       "address or \":port\""));
    }
    return absl::StrCat("[", host, "]:", *port);
  }
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin address \"", addr, "\": missing port; want host:port or :port"));
  }
  const std::string host = addr.substr(0, colon);
  absl::StatusOr<int> port = ParsePort(addr, absl::string_view(addr).substr(colon + 1));
  if (!port.ok()) return port.status();
  if (host.empty()) return absl::StrCat(*port);  // Every IPv4 interface.
  if (host == "localhost") return absl::StrCat("127.0.0.1:", *port);
  if (host.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "admin address \"", addr, "\": write an IPv6 address in brackets, [", host, "]:port"));
  }
  if (!IsIpv4Literal(host)) {
    return absl::InvalidArgumentError(absl::StrCat("admin address \"", addr, "\": host \"", host,
                                                   "\" is not an IP address or localhost"));
  }
  return absl::StrCat(host, ":", *port);
}

namespace {

// The address that reaches a listener bound as `listening` ("host:port"): its host, or loopback
// when every interface is bound.
std::string WakeIp(const std::string& listening) {
  const size_t colon = listening.rfind(':');
  std::string ip = colon == std::string::npos ? "127.0.0.1" : listening.substr(0, colon);
  if (!ip.empty() && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  if (ip == "0.0.0.0") ip = "127.0.0.1";
  if (ip == "::") ip = "::1";
  return ip;
}

}  // namespace

absl::Status AdminServer::Start() {
  InitCivetwebOnce();
  absl::StatusOr<std::string> listening =
      ToListeningPort(options_.addr, mg_check_feature(kCivetwebFeatureIpv6) != 0);
  if (!listening.ok()) return listening.status();

  absl::MutexLock lock(&mu_);
  if (context_ != nullptr) {
    return absl::FailedPreconditionError("admin server already started");
  }
  absl::StatusOr<mg_context*> context = StartCivetweb(*listening);
  if (!context.ok()) return context.status();
  mg_server_port ports[4];
  const int num_ports = mg_get_server_ports(*context, 4, ports);
  if (num_ports < 1) {
    mg_stop(*context);
    return absl::InternalError(
        absl::StrCat("admin server on \"", options_.addr, "\": cannot read the bound port"));
  }
  context_ = *context;
  port_ = ports[0].port;
  wake_ip_ = WakeIp(*listening);
  Log(LogLevel::kInfo, "admin server listening", {{"addr", options_.addr}, {"port", port_}});
  return absl::OkStatus();
}

absl::StatusOr<mg_context*> AdminServer::StartCivetweb(const std::string& listening) {
  {
    absl::MutexLock log_lock(&log_mu_);
    capturing_log_ = true;
    captured_log_.clear();
  }
  mg_callbacks callbacks;
  std::memset(&callbacks, 0, sizeof(callbacks));
  callbacks.begin_request = &AdminServer::HandleRequest;
  callbacks.log_message = &AdminServer::HandleLogMessage;
  // clang-format off
  const char* config[] = {
      "listening_ports", listening.c_str(),
      // Probes must answer under idle or slow (slowloris) connections: each such connection
      // holds a worker until request_timeout_ms, so there are many workers and the timeout is
      // short (a probe or a scrape sends its request at once; it also bounds each write). With
      // more hostile connections than workers, a probe waits about
      // (hostile - workers) / workers x timeout. Measured in tests/controlplane/server/admin_server_test.cc
      // (AdminServerTest.ProbesAnswerUnderSlowClients) and docs/reliability.md.
      "num_threads", "64",
      "request_timeout_ms", "500",
      "connection_queue", "256",
      "enable_directory_listing", "no",
      "enable_keep_alive", "no",
      nullptr,
  };
  // clang-format on
  char error_text[256] = {};
  unsigned error_code = 0;
  mg_error_data error;
  error.code = &error_code;
  error.text = error_text;
  error.text_buffer_size = sizeof(error_text);
  mg_init_data init;
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = config;
  mg_context* context = mg_start2(&init, &error);

  std::vector<std::string> civetweb_log;
  {
    absl::MutexLock log_lock(&log_mu_);
    capturing_log_ = false;
    civetweb_log.swap(captured_log_);
  }
  if (context == nullptr) {
    // civetweb's summary ("Failed to setup server ports") says less than the lines it logged
    // ("cannot bind to 127.0.0.1:9996: 98 (Address already in use)"); prefer those.
    std::vector<std::string> details;
    for (std::string& line : civetweb_log) {
      if (line != error_text) details.push_back(std::move(line));
    }
    if (details.empty()) details.push_back(error_text[0] != '\0' ? error_text : "unknown error");
    return absl::UnavailableError(absl::StrCat("admin server cannot listen on \"", options_.addr,
                                               "\": ", absl::StrJoin(details, "; ")));
  }
  for (const std::string& line : civetweb_log) {
    Log(LogLevel::kWarn, "admin server", {{"civetweb", line}});
  }
  return context;
}

int AdminServer::port() const {
  absl::MutexLock lock(&mu_);
  return port_;
}

void AdminServer::Stop() {
  absl::MutexLock lock(&mu_);
  if (context_ == nullptr) return;
  // civetweb's accept loop polls with a 2 s timeout before it looks at the stop flag; connecting
  // to it while mg_stop() waits makes the loop see the flag at once.
  absl::Notification stopped;
  std::thread waker([&stopped, ip = wake_ip_, port = port_] {
    while (!stopped.WaitForNotificationWithTimeout(absl::Milliseconds(20))) WakeListener(ip, port);
  });
  // Handlers never take mu_, so waiting for them here cannot deadlock.
  mg_stop(context_);
  stopped.Notify();
  waker.join();
  context_ = nullptr;
  port_ = 0;
  Log(LogLevel::kInfo, "admin server stopped", {{"addr", options_.addr}});
}

void AdminServer::WakeListener(const std::string& ip, int port) {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(*v6);
  } else {
    return;
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  timeval timeout{};
  timeout.tv_usec = 100 * 1000;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  connect(fd, reinterpret_cast<const sockaddr*>(&addr), addr_len);  // Success or not, it woke.
  close(fd);
}

int AdminServer::HandleRequest(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const auto* self = static_cast<const AdminServer*>(info->user_data);
  // This is a C callback: nothing may propagate out of it.
  try {
    return self->Serve(conn);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, "admin request failed", {{"error", e.what()}});
  } catch (...) {
    Log(LogLevel::kError, "admin request failed", {{"error", "unknown exception"}});
  }
  try {
    return Reply(conn, 500, kTextPlain, "internal error\n", false);
  } catch (...) {
    return 500;
  }
}

int AdminServer::HandleLogMessage(const mg_connection* conn, const char* message) {
  const mg_context* context = conn != nullptr ? mg_get_context(conn) : nullptr;
  auto* self = context != nullptr ? static_cast<AdminServer*>(mg_get_user_data(context)) : nullptr;
  if (self != nullptr) {
    absl::MutexLock lock(&self->log_mu_);
    if (self->capturing_log_) {
      self->captured_log_.emplace_back(message);
      return 1;
    }
  }
  Log(LogLevel::kWarn, "admin server", {{"civetweb", message}});
  return 1;  // Handled: civetweb writes nothing itself.
}

AdminServer::Query AdminServer::ParseQuery(std::string_view query) {
  Query out;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    const absl::string_view raw_name = pair.substr(0, eq);
    const absl::string_view raw_value =
        eq == absl::string_view::npos ? absl::string_view() : pair.substr(eq + 1);
    auto decode = [](absl::string_view in) {
      std::string buf(in.size() + 1, '\0');
      // is_form_url_encoded=1: '+' is a space, as HTML forms send it.
      const int n = mg_url_decode(in.data(), static_cast<int>(in.size()), buf.data(),
                                  static_cast<int>(buf.size()), 1);
      buf.resize(n < 0 ? 0 : static_cast<size_t>(n));
      return buf;
    };
    out.emplace(decode(raw_name), decode(raw_value));  // the first of a repeated name wins
  }
  return out;
}

int AdminServer::Serve(mg_connection* conn) const {
  const mg_request_info* info = mg_get_request_info(conn);
  const std::string_view path = info->local_uri != nullptr ? info->local_uri : "";
  const std::string_view method = info->request_method != nullptr ? info->request_method : "";
  const bool head = method == "HEAD";

  auto page = options_.pages.find(std::string(path));
  if (path != "/metrics" && path != "/live" && path != "/ready" && page == options_.pages.end()) {
    return Reply(conn, 404, kTextPlain, "not found\n", head);
  }
  if (method != "GET" && !head) {
    return Reply(conn, 405, kTextPlain, "method not allowed\n", head, /*allow_get=*/true);
  }
  if (page != options_.pages.end()) {
    const Page answer =
        page->second(ParseQuery(info->query_string != nullptr ? info->query_string : ""));
    return Reply(conn, answer.status, answer.content_type.c_str(), answer.body, head);
  }
  if (path == "/live") return Reply(conn, 200, kTextPlain, "ok\n", head);
  if (path == "/ready") {
    if (!ready_ || ready_()) return Reply(conn, 200, kTextPlain, "ready\n", head);
    return Reply(conn, 503, kTextPlain, "not ready\n", head);
  }
  std::string body;
  if (options_.before_scrape) options_.before_scrape();
  if (registry_ != nullptr) body = prometheus::TextSerializer().Serialize(registry_->Collect());
  return Reply(conn, 200, kPrometheusText, body, head);
}

}  // namespace dest
