// A small Kubernetes API client on libcurl: GET for lists and discovery, streaming GET for
// watches. TLS with the cluster CA, bearer tokens (a token file is re-read periodically and after
// a 401, so rotated service-account tokens keep working), client certificates, HTTP/2 where the
// server offers it (ALPN), TCP keepalive, a user agent naming the binary and version, and a
// client-side rate limit shared by every request.
//
// Thread-safe: each call uses its own curl handle; the token and the rate limiter are guarded.
#ifndef WATCHERS_KUBE_KUBE_CLIENT_H_
#define WATCHERS_KUBE_KUBE_CLIENT_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "watchers/kube/kube_config.h"

namespace dest {

class KubeClient {
 public:
  struct Options {
    std::string user_agent = "destination/" DEST_VERSION;
    absl::Duration connect_timeout = absl::Seconds(10);
    absl::Duration request_timeout = absl::Seconds(60);  // lists and discovery
    absl::Duration token_refresh = absl::Minutes(1);
    double qps = 50;  // client-side rate limit (token bucket)
    int burst = 100;
    // Bounds on what the API server may send: a larger answer (a list page, discovery, an error
    // body) fails with RESOURCE_EXHAUSTED, and so does a watch event line longer than
    // max_line_bytes; a stream that delivers no byte for stream_idle_timeout fails with
    // DEADLINE_EXCEEDED (a connection that stays open but went silent).
    size_t max_body_bytes = 256u << 20;
    size_t max_line_bytes = 16u << 20;
    absl::Duration stream_idle_timeout = absl::Minutes(2);
  };

  struct Response {
    long status = 0;
    std::string body;
    std::string retry_after;  // the Retry-After header, if any
  };

  KubeClient(KubeConfig config, Options options);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  // GET path (with query). An error status means no HTTP answer (connection, TLS, timeout); HTTP
  // errors are returned in Response::status.
  absl::StatusOr<Response> Get(const std::string& path, const std::string& accept);

  // A streaming GET: `on_lines` receives the complete lines of each chunk as they arrive (return
  // false to stop). Ends when the server ends the stream, `cancelled()` turns true (checked about
  // once a second), or `max_duration` passes. Returns the HTTP status and, for a non-200 answer,
  // its body and Retry-After in the Response; RESOURCE_EXHAUSTED for a line longer than
  // max_line_bytes, DEADLINE_EXCEEDED when no byte came for stream_idle_timeout.
  absl::StatusOr<Response> Stream(
      const std::string& path, const std::string& accept, absl::Duration max_duration,
      const std::function<bool(const std::vector<absl::string_view>&)>& on_lines,
      const std::function<bool()>& cancelled);

  const KubeConfig& config() const { return config_; }

  // Aborts requests in flight (within about a second) and fails later ones: for shutdown.
  void Cancel() { cancelled_.store(true); }

 private:
  std::string Token() ABSL_LOCKS_EXCLUDED(mu_);
  void RefreshToken(bool force) ABSL_LOCKS_EXCLUDED(mu_);
  void Throttle() ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<Response> Perform(const std::string& path, const std::string& accept,
                                   absl::Duration timeout, void* stream_state);

  const KubeConfig config_;
  const Options options_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_read_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  double tokens_ ABSL_GUARDED_BY(mu_);
  absl::Time last_fill_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dest

#endif  // WATCHERS_KUBE_KUBE_CLIENT_H_
