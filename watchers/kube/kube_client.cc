#include "watchers/kube/kube_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "base/status_macros.h"

namespace dest {
namespace {

std::once_flag g_curl_init;

struct StreamState {
  const std::function<bool(const std::vector<absl::string_view>&)>* on_lines = nullptr;
  const std::function<bool()>* cancelled = nullptr;
  std::string partial;
  bool stopped = false;
  size_t max_line = 0;
  absl::Duration idle_timeout;
  absl::Time last_byte = absl::Now();
  bool line_too_long = false;  // stopped because a line exceeded max_line
  bool idle = false;           // stopped because no byte came for idle_timeout
};

struct CallState {
  KubeClient::Response* response = nullptr;
  StreamState* stream = nullptr;
  CURL* curl = nullptr;
  const std::atomic<bool>* client_cancelled = nullptr;
  size_t max_body = 0;
  bool body_too_large = false;  // aborted because the body exceeded max_body
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* call = static_cast<CallState*>(user);
  if (call->stream != nullptr) call->stream->last_byte = absl::Now();
  absl::string_view line(data, size * n);
  if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
    call->response->retry_after =
        std::string(absl::StripAsciiWhitespace(line.substr(strlen("retry-after:"))));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* call = static_cast<CallState*>(user);
  size_t len = size * n;
  if (call->response->status == 0) {
    // Headers are complete before the first body bytes: the status is known.
    curl_easy_getinfo(call->curl, CURLINFO_RESPONSE_CODE, &call->response->status);
  }
  // Streams deliver lines only for a 200 answer; any other answer is collected as a body.
  if (call->stream == nullptr || call->response->status != 200) {
    if (call->response->body.size() + len > call->max_body) {
      call->body_too_large = true;
      return 0;  // abort the transfer
    }
    call->response->body.append(data, len);
    return len;
  }
  StreamState& s = *call->stream;
  s.last_byte = absl::Now();
  s.partial.append(data, len);
  std::vector<absl::string_view> lines;
  size_t start = 0, nl;
  while ((nl = s.partial.find('\n', start)) != std::string::npos) {
    if (nl > start) lines.emplace_back(s.partial.data() + start, nl - start);
    start = nl + 1;
  }
  if (!lines.empty() && !(*s.on_lines)(lines)) {
    s.stopped = true;
    return 0;  // abort the transfer
  }
  s.partial.erase(0, start);
  if (s.partial.size() > s.max_line) {  // one event larger than the bound: give up on the stream
    s.stopped = true;
    s.line_too_long = true;
    return 0;
  }
  return len;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* call = static_cast<CallState*>(user);
  if (call->client_cancelled->load()) {
    if (call->stream != nullptr) call->stream->stopped = true;
    return 1;
  }
  if (call->stream != nullptr && (*call->stream->cancelled)()) {
    call->stream->stopped = true;
    return 1;
  }
  // Called about once a second even when nothing arrives: the idle check of a stream.
  if (call->stream != nullptr &&
      absl::Now() - call->stream->last_byte > call->stream->idle_timeout) {
    call->stream->stopped = true;
    call->stream->idle = true;
    return 1;
  }
  return 0;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

}  // namespace

KubeClient::KubeClient(KubeConfig config, Options options)
    : config_(std::move(config)), options_(std::move(options)) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  tokens_ = options_.burst;
  last_fill_ = absl::Now();
  RefreshToken(/*force=*/true);
}

KubeClient::~KubeClient() = default;

void KubeClient::RefreshToken(bool force) {
  absl::MutexLock lock(&mu_);
  if (config_.token_file.empty()) {
    token_ = config_.token;
    return;
  }
  if (!force && absl::Now() - token_read_ < options_.token_refresh) return;
  std::ifstream in(config_.token_file, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  std::string t(absl::StripAsciiWhitespace(ss.str()));
  if (t.empty()) {
    Log(LogLevel::kWarn, "cannot read the API token file; keeping the previous token",
        {{"file", config_.token_file}});
  } else {
    token_ = std::move(t);
  }
  token_read_ = absl::Now();
}

std::string KubeClient::Token() {
  RefreshToken(/*force=*/false);
  absl::MutexLock lock(&mu_);
  return token_;
}

void KubeClient::Throttle() {
  absl::Duration wait;
  {
    absl::MutexLock lock(&mu_);
    absl::Time now = absl::Now();
    tokens_ = std::min<double>(options_.burst,
                               tokens_ + absl::ToDoubleSeconds(now - last_fill_) * options_.qps);
    last_fill_ = now;
    tokens_ -= 1;
    if (tokens_ >= 0) return;
    wait = absl::Seconds(-tokens_ / options_.qps);
  }
  absl::SleepFor(wait);  // bounded: at most burst/qps
}

namespace {

// The connection: HTTP/2 over TLS as the kubeconfig says, keepalives, and deadlines.
void ConfigureConnection(CURL* curl, const KubeConfig& config, const KubeClient::Options& options,
                         absl::Duration timeout) {
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 10L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when offered
  if (!config.ca_pem.empty()) SetBlob(curl, CURLOPT_CAINFO_BLOB, config.ca_pem);
  if (config.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config.client_cert_pem.empty()) {
    SetBlob(curl, CURLOPT_SSLCERT_BLOB, config.client_cert_pem);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(curl, CURLOPT_SSLKEY_BLOB, config.client_key_pem);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

// Routes headers, body and progress to `call`.
void ConfigureCallbacks(CURL* curl, CallState& call) {
  call.curl = curl;
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &call);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &call);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &call);
}

// Why a finished call failed, or OK. A watch ended by its own deadline after a 200 is a normal
// end, as is one its caller stopped.
absl::Status CallOutcome(const CallState& call, CURLcode rc, long status, const char* error,
                         const std::string& path, const std::string& url,
                         const KubeClient::Options& options) {
  if (call.body_too_large) {
    return absl::ResourceExhaustedError(absl::StrCat("GET ", path, ": answer larger than ",
                                                     options.max_body_bytes, " bytes"));
  }
  if (call.stream != nullptr && call.stream->line_too_long) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "GET ", path, ": watch event line longer than ", options.max_line_bytes, " bytes"));
  }
  if (call.stream != nullptr && call.stream->idle) {
    return absl::DeadlineExceededError(
        absl::StrCat("GET ", path, ": no byte from the watch for ",
                     absl::FormatDuration(options.stream_idle_timeout)));
  }
  const bool stopped_by_us = call.stream != nullptr && call.stream->stopped;
  if (rc != CURLE_OK && !stopped_by_us &&
      !(call.stream != nullptr && rc == CURLE_OPERATION_TIMEDOUT && status == 200)) {
    return absl::UnavailableError(
        absl::StrCat("GET ", url, ": ", error[0] ? error : curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<KubeClient::Response> KubeClient::Perform(const std::string& path,
                                                         const std::string& accept,
                                                         absl::Duration timeout,
                                                         void* stream_state) {
  if (cancelled_.load()) return absl::CancelledError("client shut down");
  Throttle();
  Response response;
  CallState call{&response, static_cast<StreamState*>(stream_state), nullptr, &cancelled_,
                 options_.max_body_bytes};
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  const std::string url = config_.server + path;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  ConfigureConnection(curl, config_, options_, timeout);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, absl::StrCat("Accept: ", accept).c_str());
  std::string token = Token();
  if (!token.empty()) {
    headers = curl_slist_append(headers, absl::StrCat("Authorization: Bearer ", token).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  ConfigureCallbacks(curl, call);
  if (call.stream != nullptr) call.stream->last_byte = absl::Now();
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  response.status = status;
  if (cancelled_.load()) return absl::CancelledError("client shut down");
  RETURN_IF_ERROR(CallOutcome(call, rc, status, error, path, url, options_));
  return response;
}

absl::StatusOr<KubeClient::Response> KubeClient::Get(const std::string& path,
                                                     const std::string& accept) {
  absl::StatusOr<Response> r = Perform(path, accept, options_.request_timeout, nullptr);
  if (r.ok() && r->status == 401 && !config_.token_file.empty()) {
    RefreshToken(/*force=*/true);  // the token may have rotated
    r = Perform(path, accept, options_.request_timeout, nullptr);
  }
  return r;
}

absl::StatusOr<KubeClient::Response> KubeClient::Stream(
    const std::string& path, const std::string& accept, absl::Duration max_duration,
    const std::function<bool(const std::vector<absl::string_view>&)>& on_lines,
    const std::function<bool()>& cancelled) {
  StreamState state;
  state.on_lines = &on_lines;
  state.cancelled = &cancelled;
  state.max_line = options_.max_line_bytes;
  state.idle_timeout = options_.stream_idle_timeout;
  absl::StatusOr<Response> r = Perform(path, accept, max_duration, &state);
  if (r.ok() && r->status == 401 && !config_.token_file.empty()) RefreshToken(/*force=*/true);
  return r;
}

}  // namespace dest
