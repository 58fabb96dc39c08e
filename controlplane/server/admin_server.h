// The admin HTTP server: what an operator, the kubelet and Prometheus talk to.
//
//   GET /metrics  the registry in the Prometheus text format (version 0.0.4)
//   GET /live     200 "ok\n" while the process runs
//   GET /ready    200 "ready\n" while `ready()` returns true, else 503 "not ready\n"
//   GET <path>    each page of Options::pages (the debug pages), given the decoded query
//
// Any other path answers 404; any method but GET (or HEAD) on a known path answers 405. Nothing is
// ever served from the file system. Built on civetweb's C API with a small fixed pool of worker
// threads.
//
// Thread-safe. Start(), Stop() and port() may be called from any thread. Requests are served on
// civetweb's worker threads, which call `ready` and `registry->Collect()` concurrently; both must
// be thread-safe. The registry and anything `ready` refers to must outlive the server (or at least
// the call to Stop()). Once Stop() returns no request handler is running or will run.
#ifndef CONTROLPLANE_SERVER_ADMIN_SERVER_H_
#define CONTROLPLANE_SERVER_ADMIN_SERVER_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

struct mg_connection;
struct mg_context;

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace dest {

class AdminServer {
 public:
  struct Page {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Query = std::map<std::string, std::string>;
  using PageHandler = std::function<Page(const Query& query)>;

  struct Options {
    // Where to listen: ":9996" (every IPv4 interface), "127.0.0.1:9996", "localhost:9996" (taken
    // as 127.0.0.1) or "[::1]:9996" (only when civetweb was built with IPv6). Port 0 binds an
    // ephemeral port; read it back with port().
    std::string addr;
    // Called before /metrics collects, from the worker serving it (may be empty).
    std::function<void()> before_scrape = nullptr;
    // Further pages by exact path, called on a worker thread with the query's parameters
    // (percent-decoded; the first of repeated names wins). Must be thread-safe.
    std::map<std::string, PageHandler> pages = {};
  };

  // `registry` may be null (then /metrics is empty). An empty `ready` means always ready.
  AdminServer(Options options, prometheus::Registry* registry, std::function<bool()> ready);
  ~AdminServer();  // Stops the server.

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the address and starts serving. InvalidArgument for a malformed address, Unimplemented
  // for an IPv6 address when civetweb lacks IPv6, Unavailable when the bind fails (address in use,
  // address not local), FailedPrecondition when already started.
  absl::Status Start() ABSL_LOCKS_EXCLUDED(mu_);

  // The bound port while serving (the real one when the address asked for port 0), else 0.
  int port() const ABSL_LOCKS_EXCLUDED(mu_);

  // Stops serving and waits for in-flight requests to finish. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Translates an admin address into civetweb's "listening_ports" syntax. Exposed for tests.
  static absl::StatusOr<std::string> ToListeningPort(const std::string& addr, bool ipv6_supported);

  // Decodes a query string ("a=1&b=x%20y") into parameters. Exposed for tests.
  static Query ParseQuery(std::string_view query);

 private:
  // Starts civetweb on `listening`; its log lines explain a failure, or are logged as warnings.
  absl::StatusOr<mg_context*> StartCivetweb(const std::string& listening)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // civetweb callbacks (C linkage-compatible static functions; `user_data` is the server).
  static int HandleRequest(mg_connection* conn);
  static int HandleLogMessage(const mg_connection* conn, const char* message);

  int Serve(mg_connection* conn) const;

  // Connects to the listening socket once, so that civetweb's accept loop, which only checks its
  // stop flag every 2 s, notices mg_stop() at once.
  static void WakeListener(const std::string& ip, int port);

  const Options options_;
  prometheus::Registry* const registry_;
  const std::function<bool()> ready_;

  mutable absl::Mutex mu_;
  mg_context* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  int port_ ABSL_GUARDED_BY(mu_) = 0;
  std::string wake_ip_ ABSL_GUARDED_BY(mu_);  // Where WakeListener connects while stopping.

  // civetweb's own error lines. While Start() runs they are kept to explain a failure; at any
  // other time they go to the log.
  absl::Mutex log_mu_ ABSL_ACQUIRED_AFTER(mu_);
  bool capturing_log_ ABSL_GUARDED_BY(log_mu_) = false;
  std::vector<std::string> captured_log_ ABSL_GUARDED_BY(log_mu_);
};

}  // namespace dest

#endif  // CONTROLPLANE_SERVER_ADMIN_SERVER_H_
