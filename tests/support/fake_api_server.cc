#include "tests/support/fake_api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"

namespace dest::testing {
namespace {

// Ordered, so that objects keep their field order and the server's own documents start with
// "kind" and "apiVersion" as the real API server writes them.
using Json = nlohmann::ordered_json;

constexpr int kIoTimeoutSeconds = 10;                           // Any single socket read or write.
constexpr absl::Duration kIdleTimeout = absl::Seconds(30);      // Keep-alive between requests.
constexpr absl::Duration kWatchSlice = absl::Milliseconds(50);  // Watch checks for a gone client.
constexpr size_t kMaxHeadBytes = 64 * 1024;
constexpr size_t kMaxSnapshots = 64;            // Lists whose continue tokens stay valid.
constexpr int64_t kDefaultWatchSeconds = 1800;  // The API server's default minRequestTimeout.
constexpr char kMetaGroupVersion[] = "meta.k8s.io/v1";

[[noreturn]] void Die(absl::string_view what) {
  std::fprintf(stderr, "FakeApiServer: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

const char* ReasonPhrase(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

// The metav1.StatusReason the API server gives each code.
const char* StatusReason(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

// A failure Status as the API server writes it.
Json StatusObject(int code, const std::string& message, const Json& details = nullptr) {
  Json s = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
            {"status", "Failure"}, {"message", message}, {"reason", StatusReason(code)}};
  if (!details.is_null()) s["details"] = details;
  s["code"] = code;
  return s;
}

std::string StatusBody(int code, const std::string& message, const Json& details = nullptr) {
  return Dump(StatusObject(code, message, details));
}

std::string InjectedMessage(int code) {
  switch (code) {
    case 401:
      return "Unauthorized";
    case 404:
      return "the server could not find the requested resource";
    case 410:
      return "too old resource version (injected by FakeApiServer)";
    case 429:
      return "Too many requests, please try again later.";
    case 503:
      return "the server is currently unable to handle the request";
    case 504:
      return "Timeout: request did not complete within the allowed duration";
    default:
      return absl::StrCat("Internal error occurred: failure ", code, " injected by FakeApiServer");
  }
}

std::string GroupVersion(const std::string& group, const std::string& version) {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

struct CollectionPath {
  std::string group, version, resource;
};

// "/api/v1/services" or "/apis/GROUP/VERSION/RESOURCE".
std::optional<CollectionPath> ParseCollectionPath(absl::string_view path) {
  std::vector<std::string> segs = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (segs.size() == 3 && segs[0] == "api") return CollectionPath{"", segs[1], segs[2]};
  if (segs.size() == 4 && segs[0] == "apis") return CollectionPath{segs[1], segs[2], segs[3]};
  return std::nullopt;
}

// Built-in groups (core, "apps", "*.k8s.io") drop kind/apiVersion from list items; custom
// resources keep them, as on a real server.
bool IsBuiltInGroup(const std::string& group) {
  return group.empty() || !absl::StrContains(group, '.') || absl::EndsWith(group, ".k8s.io");
}

// Kubernetes version priority: GA before beta before alpha, then the higher major, then the
// higher minor; anything else after, alphabetically.
bool HigherPriority(const std::string& a, const std::string& b) {
  struct Rank {
    int stability = 0;  // 3 GA, 2 beta, 1 alpha, 0 not a Kubernetes version.
    int64_t major = 0, minor = 0;
  };
  auto rank = [](absl::string_view v) {
    Rank r;
    if (v.size() < 2 || v[0] != 'v') return r;
    v.remove_prefix(1);
    size_t digits = 0;
    while (digits < v.size() && absl::ascii_isdigit(static_cast<unsigned char>(v[digits])))
      ++digits;
    if (digits == 0 || !absl::SimpleAtoi(v.substr(0, digits), &r.major)) return r;
    absl::string_view rest = v.substr(digits);
    if (rest.empty()) {
      r.stability = 3;
      return r;
    }
    int stability = 0;
    if (absl::ConsumePrefix(&rest, "beta")) {
      stability = 2;
    } else if (absl::ConsumePrefix(&rest, "alpha")) {
      stability = 1;
    }
    if (stability != 0 && absl::SimpleAtoi(rest, &r.minor)) r.stability = stability;
    return r;
  };
  const Rank ra = rank(a), rb = rank(b);
  if (ra.stability != rb.stability) return ra.stability > rb.stability;
  if (ra.stability == 0) return a < b;
  if (ra.major != rb.major) return ra.major > rb.major;
  if (ra.minor != rb.minor) return ra.minor > rb.minor;
  return a < b;
}

std::string MetaString(const Json& obj, const char* field) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return "";
  return f->get<std::string>();
}

// The etcd key order the API server lists in.
std::string ObjectKey(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

Json MetadataOnly(const Json& obj, const std::string& api_version) {
  auto m = obj.find("metadata");
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", api_version},
          {"metadata", m != obj.end() ? *m : Json::object()}};
}

std::string EventLine(const std::string& type, const Json& object) {
  Json event = {{"type", type}, {"object", object}};
  return Dump(event) + "\n";
}

// Go's url.QueryUnescape: %XX and '+' for a space.
std::string UrlDecode(absl::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The first value of each parameter, decoded.
std::map<std::string, std::string> ParseQuery(absl::string_view query) {
  std::map<std::string, std::string> params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    params.emplace(UrlDecode(kv.first), UrlDecode(kv.second));
  }
  return params;
}

bool ParamIsTrue(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it != params.end() && (it->second == "true" || it->second == "1");
}

// The representation an Accept header asks for.
enum class Representation { kFull, kMetadata, kNotAcceptable };

// Lists accept "as=PartialObjectMetadataList", single objects and watch events
// "as=PartialObjectMetadata" (group meta.k8s.io, version v1 or v1beta1); protobuf, tables and
// unknown media types are skipped in favour of a later alternative.
Representation Negotiate(absl::string_view accept, bool list, std::string* meta_api_version) {
  if (absl::StripAsciiWhitespace(accept).empty()) return Representation::kFull;
  const absl::string_view wanted = list ? "PartialObjectMetadataList" : "PartialObjectMetadata";
  for (absl::string_view range : absl::StrSplit(accept, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(range, ';');
    const std::string type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    if (type != "application/json" && type != "application/*" && type != "*/*") continue;
    std::string as, group, version;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(parts[i], absl::MaxSplits('=', 1));
      const std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(kv.first));
      const std::string value(absl::StripAsciiWhitespace(kv.second));
      if (key == "as") as = value;
      if (key == "g") group = value;
      if (key == "v") version = value;
    }
    if (as.empty()) return Representation::kFull;
    if (as == wanted && group == "meta.k8s.io" && (version == "v1" || version == "v1beta1")) {
      *meta_api_version = absl::StrCat("meta.k8s.io/", version);
      return Representation::kMetadata;
    }
  }
  return Representation::kNotAcceptable;
}

// Which objects a request addresses: the namespace and name from its path or its fieldSelector.
struct Filter {
  std::optional<std::string> ns, name;
  bool Matches(const Json& obj) const {
    if (ns && MetaString(obj, "namespace") != *ns) return false;
    if (name && MetaString(obj, "name") != *name) return false;
    return true;
  }
};

// Adds `fieldSelector` (metadata.name / metadata.namespace equalities) to a filter. Label
// selectors are refused rather than ignored, so a client relying on them notices.
bool AddSelectors(const std::map<std::string, std::string>& params, Filter* filter,
                  std::string* error) {
  if (auto it = params.find("labelSelector"); it != params.end() && !it->second.empty()) {
    *error = "labelSelector is not supported by FakeApiServer";
    return false;
  }
  auto it = params.find("fieldSelector");
  if (it == params.end()) return true;
  for (absl::string_view term : absl::StrSplit(it->second, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(term, absl::MaxSplits('=', 1));
    std::string value = kv.second;
    if (!value.empty() && value[0] == '=') value.erase(0, 1);  // "=="
    if (absl::EndsWith(kv.first, "!")) {
      *error = absl::StrCat("field selector not supported by FakeApiServer: ", term);
      return false;
    }
    if (kv.first == "metadata.name") {
      filter->name = value;
    } else if (kv.first == "metadata.namespace") {
      filter->ns = value;
    } else {
      *error = absl::StrCat("field label not supported: ", kv.first);
      return false;
    }
  }
  return true;
}

std::string ContinueToken(int64_t rv, const std::string& start) {
  Json token = {{"v", kMetaGroupVersion}, {"rv", rv}, {"start", start}};
  return absl::Base64Escape(Dump(token));
}

bool ParseContinueToken(const std::string& token, int64_t* rv, std::string* start) {
  std::string decoded;
  if (!absl::Base64Unescape(token, &decoded)) return false;
  Json j = Json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto r = j.find("rv");
  auto s = j.find("start");
  if (r == j.end() || !r->is_number_integer() || s == j.end() || !s->is_string()) return false;
  *rv = r->get<int64_t>();
  *start = s->get<std::string>();
  return true;
}

// --- TLS material -------------------------------------------------------------------------------

void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) Die(absl::StrCat("cannot make certificate extension ", value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

enum class CertUse { kCa, kServer, kClient };

EVP_PKEY* NewKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) Die("cannot generate an EC key");
  return key;
}

// A certificate for `key` signed by `issuer_key` (self-signed when issuer is null).
X509* NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                     EVP_PKEY* issuer_key, CertUse use) {
  X509* cert = X509_new();
  X509_set_version(cert, X509_VERSION_3);
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) != 1) {
    Die("RAND_bytes");
  }
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), (serial >> 1) | 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* signer = issuer != nullptr ? issuer : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(signer));
  switch (use) {
    case CertUse::kCa:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
      AddExtension(cert, signer, NID_subject_key_identifier, "hash");
      break;
    case CertUse::kServer:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, signer, NID_key_usage, "critical,digitalSignature");
      AddExtension(cert, signer, NID_ext_key_usage, "serverAuth");
      AddExtension(cert, signer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
      AddExtension(cert, signer, NID_authority_key_identifier, "keyid:always");
      break;
    case CertUse::kClient:
      AddExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, signer, NID_key_usage, "critical,digitalSignature");
      AddExtension(cert, signer, NID_ext_key_usage, "clientAuth");
      AddExtension(cert, signer, NID_authority_key_identifier, "keyid:always");
      break;
  }
  if (X509_sign(cert, issuer_key, EVP_sha256()) == 0) Die("cannot sign a certificate");
  return cert;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(n));
  BIO_free(bio);
  return text;
}

std::string CertificatePem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_X509(bio, cert) != 1) Die("PEM_write_bio_X509");
  return BioText(bio);
}

std::string KeyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    Die("PEM_write_bio_PrivateKey");
  }
  return BioText(bio);
}

// ALPN: HTTP/1.1 when the client offers it, so an HTTP/2-capable client falls back to it.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof(kHttp11) - 1, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// OpenSSL writes to sockets with write(): a peer that went away must not kill the test process.
// SIGPIPE raised by a write is directed at the writing thread, so blocking it there suffices.
void BlockSigpipeInThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

// --- Private types
// --------------------------------------------------------------------------------

struct FakeApiServer::Collection {
  std::string group, version, resource;
  std::string list_kind, kind;  // kind is empty until ServeResource names it.
  bool served = false;
  bool namespaced = true;
  std::map<std::string, Json> objects;  // By ObjectKey: the order lists use.

  std::string ApiVersion() const { return GroupVersion(group, version); }
};

struct FakeApiServer::WatchItem {
  enum class Kind {
    kData,         // Write `data` (one chunk).
    kEnd,          // End cleanly: the terminal chunk.
    kCut,          // Close the connection.
    kCutMidEvent,  // Announce `data` as one chunk, write half of it, close the connection.
  };
  Kind kind = Kind::kData;
  std::string data;
};

// One open watch. Its items are queued under the server's lock (so they follow the order of
// changes) and written by the connection's thread.
struct FakeApiServer::Watcher {
  std::string collection;
  Filter filter;
  bool metadata_only = false;
  std::string meta_api_version;
  bool bookmarks = false;
  int64_t from_rv = 0;            // Only changes after this resourceVersion are sent.
  std::string kind, api_version;  // Of the collection's objects, for bookmarks.

  absl::Mutex mu;
  absl::CondVar cv;
  std::deque<WatchItem> queue ABSL_GUARDED_BY(mu);

  void Push(WatchItem item) {
    absl::MutexLock lock(&mu);
    queue.push_back(std::move(item));
    cv.Signal();
  }
  std::string Render(const std::string& type, const Json& object) const {
    return EventLine(type, metadata_only ? MetadataOnly(object, meta_api_version) : object);
  }
};

struct FakeApiServer::HttpRequest {
  std::string method, target, path, query, version;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::map<std::string, std::string> params;

  std::string Header(absl::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
  bool KeepAlive() const {
    const std::string connection = absl::AsciiStrToLower(Header("connection"));
    if (version == "HTTP/1.0") return absl::StrContains(connection, "keep-alive");
    return !absl::StrContains(connection, "close");
  }

  static std::optional<HttpRequest> Parse(absl::string_view head) {
    std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
    std::vector<std::string> start = absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
    if (start.size() != 3 || !absl::StartsWith(start[2], "HTTP/1.")) return std::nullopt;
    HttpRequest req;
    req.method = start[0];
    req.target = start[1];
    req.version = start[2];
    const size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.params = ParseQuery(req.query);
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].empty()) continue;
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) return std::nullopt;
      req.headers.emplace_back(
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(lines[i].substr(0, colon))),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    return req;
  }
};

// One accepted connection, served by its own thread.
struct FakeApiServer::Connection {
  int fd = -1;        // Closed and reset by its own thread under the server's lock.
  bool done = false;  // Under the server's lock: the thread is finishing, join it.
  std::thread thread;
  SSL* ssl = nullptr;     // Only its own thread.
  std::string client_cn;  // Only its own thread.
  std::string buffer;     // Bytes read past the current request.

  // True when a read will not block (data, end of stream or error); false at the deadline or
  // when the server stops.
  bool WaitReadable(absl::Time deadline, const std::atomic<bool>& stopping) {
    if (ssl != nullptr && SSL_pending(ssl) > 0) return true;
    while (!stopping.load()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd, POLLIN, 0};
      const int ms =
          static_cast<int>(absl::ToInt64Milliseconds(std::min(left, absl::Milliseconds(200)))) + 1;
      const int r = poll(&p, 1, ms);
      if (r < 0 && errno != EINTR) return false;
      if (r > 0) return true;
    }
    return false;
  }

  // Bytes read, or <= 0 at the end of the stream or on an error.
  ssize_t Read(char* buf, size_t n) {
    if (ssl != nullptr) {
      size_t got = 0;
      return SSL_read_ex(ssl, buf, n, &got) == 1 ? static_cast<ssize_t>(got) : -1;
    }
    for (;;) {
      const ssize_t r = recv(fd, buf, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }

  bool WriteAll(absl::string_view data) {
    while (!data.empty()) {
      if (ssl != nullptr) {
        size_t written = 0;
        if (SSL_write_ex(ssl, data.data(), data.size(), &written) != 1) return false;
        data.remove_prefix(written);
        continue;
      }
      const ssize_t r = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      data.remove_prefix(static_cast<size_t>(r));
    }
    return true;
  }

  // The client closed its side (or the connection broke).
  bool PeerClosed() {
    pollfd p{fd, POLLRDHUP, 0};
    const int r = poll(&p, 1, 0);
    return r > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }

  // The next request head (its body, if any, is skipped); nullopt at the end of the connection.
  std::optional<HttpRequest> ReadRequest(const std::atomic<bool>& stopping) {
    const absl::Time deadline = absl::Now() + kIdleTimeout;
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (buffer.size() > kMaxHeadBytes || !WaitReadable(deadline, stopping)) return std::nullopt;
      char chunk[16384];
      const ssize_t n = Read(chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    std::optional<HttpRequest> req = HttpRequest::Parse(absl::string_view(buffer).substr(0, end));
    buffer.erase(0, end + 4);
    if (!req) return std::nullopt;
    size_t body = 0;
    if (std::string length = req->Header("content-length"); !length.empty()) {
      if (!absl::SimpleAtoi(length, &body)) return std::nullopt;
    }
    while (buffer.size() < body) {
      if (!WaitReadable(absl::Now() + absl::Seconds(kIoTimeoutSeconds), stopping)) {
        return std::nullopt;
      }
      char chunk[16384];
      const ssize_t n = Read(chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer.append(chunk, static_cast<size_t>(n));
    }
    buffer.erase(0, body);
    return req;
  }
};

// What a request path addresses.
struct FakeApiServer::Route {
  enum class Kind { kNotFound, kText, kJson, kCollection };
  Kind kind = Kind::kNotFound;
  std::string body;        // kText, kJson.
  std::string collection;  // kCollection: a served collection.
  std::string ns, name;    // kCollection: from the path.
};

struct FakeApiServer::State {
  struct Event {
    int64_t rv;
    std::string collection, type;
    Json object;
  };
  struct Failure {
    std::string prefix;
    int status;
    int remaining;
    std::string retry_after;
  };
  struct Misbehavior {
    std::string prefix;
    Hostile how;
    int remaining;
  };
  using SnapshotKey = std::pair<std::string, int64_t>;  // Collection, resourceVersion.

  std::string required_token;
  int64_t rv = 1;
  int64_t compacted_rv = 0;  // Watches and continue tokens from an older RV are gone.
  GoneMode gone_mode = GoneMode::kInStreamError;
  int64_t next_uid = 1;
  std::map<std::string, Collection> collections;
  std::deque<Event> history;  // Every change after compacted_rv, oldest first.
  // The collections as they were at the RV of a list that has more pages.
  std::map<SnapshotKey, std::shared_ptr<const std::map<std::string, Json>>> snapshots;
  std::deque<SnapshotKey> snapshot_order;
  std::vector<std::shared_ptr<Watcher>> watchers;  // Open watches, in opening order.
  std::deque<Failure> failures;
  std::deque<Misbehavior> misbehaviors;
  std::vector<Request> requests;
  std::list<std::unique_ptr<Connection>> connections;
};

// --- Public API ---------------------------------------------------------------------------------

std::string FakeApiServer::Request::Param(absl::string_view name) const {
  const std::map<std::string, std::string> params = ParseQuery(query);
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

FakeApiServer::FakeApiServer() : FakeApiServer(Options()) {}

FakeApiServer::FakeApiServer(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  {
    absl::MutexLock lock(&mu_);
    state_->required_token = options_.required_token;
    state_->gone_mode = options_.gone_mode;
  }
  if (options_.tls) {
    SetUpTls();
  } else if (options_.request_client_cert) {
    Die("request_client_cert needs tls");
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 128) != 0) {
    Die("cannot listen on 127.0.0.1:0");
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) Die("eventfd");
  accept_thread_ = std::thread(&FakeApiServer::AcceptLoop, this);
}

FakeApiServer::~FakeApiServer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    CloseWatchesLocked("", CloseHow::kCut);
    for (const auto& conn : state_->connections) {
      if (conn->fd >= 0) shutdown(conn->fd, SHUT_RDWR);
    }
  }
  const uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    // The accept loop also wakes on its own within its poll interval.
  }
  accept_thread_.join();
  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&mu_);
    connections.swap(state_->connections);
  }
  for (auto& conn : connections) {
    if (conn->thread.joinable()) conn->thread.join();
  }
  close(listen_fd_);
  close(wake_fd_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  if (ca_cert_ != nullptr) X509_free(ca_cert_);
  if (ca_key_ != nullptr) EVP_PKEY_free(ca_key_);
}

std::string FakeApiServer::url() const {
  return absl::StrCat(options_.tls ? "https" : "http", "://127.0.0.1:", port_);
}

std::string FakeApiServer::ca_pem() const { return ca_pem_; }

FakeApiServer::CertificateAndKey FakeApiServer::IssueClientCertificate(
    const std::string& common_name) const {
  if (ca_cert_ == nullptr) Die("IssueClientCertificate needs tls");
  EVP_PKEY* key = NewKey();
  X509* cert = NewCertificate(key, common_name, ca_cert_, ca_key_, CertUse::kClient);
  CertificateAndKey out{CertificatePem(cert), KeyPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

void FakeApiServer::SetRequiredToken(std::string token) {
  absl::MutexLock lock(&mu_);
  state_->required_token = std::move(token);
}

void FakeApiServer::ServeResource(const std::string& collection, const std::string& list_kind,
                                  bool namespaced) {
  std::optional<CollectionPath> path = ParseCollectionPath(collection);
  if (!path) Die(absl::StrCat("not a collection path: ", collection));
  absl::MutexLock lock(&mu_);
  Collection& col = state_->collections[collection];
  col.group = path->group;
  col.version = path->version;
  col.resource = path->resource;
  col.list_kind = list_kind;
  col.kind = std::string(absl::StripSuffix(list_kind, "List"));
  col.namespaced = namespaced;
  col.served = true;
}

void FakeApiServer::StopServing(const std::string& collection) {
  absl::MutexLock lock(&mu_);
  auto it = state_->collections.find(collection);
  if (it == state_->collections.end()) return;
  it->second.served = false;
  CloseWatchesLocked(collection, CloseHow::kEnd);
}

std::string FakeApiServer::Upsert(const std::string& collection, const std::string& object_json) {
  Json obj = Json::parse(object_json, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded() || !obj.is_object() || !obj.contains("metadata") ||
      !obj["metadata"].is_object() || MetaString(obj, "name").empty()) {
    Die(absl::StrCat("Upsert: not an object with metadata.name: ", object_json));
  }
  std::optional<CollectionPath> path = ParseCollectionPath(collection);
  if (!path) Die(absl::StrCat("not a collection path: ", collection));
  const std::string key = ObjectKey(MetaString(obj, "namespace"), MetaString(obj, "name"));

  absl::MutexLock lock(&mu_);
  auto [col_it, created] = state_->collections.try_emplace(collection);
  Collection& col = col_it->second;
  if (created) {
    col.group = path->group;
    col.version = path->version;
    col.resource = path->resource;
  }
  auto existing = col.objects.find(key);
  const int64_t rv = ++state_->rv;
  Json& meta = obj["metadata"];
  meta["resourceVersion"] = absl::StrCat(rv);
  if (!meta.contains("uid")) {
    const std::string old_uid =
        existing == col.objects.end() ? "" : MetaString(existing->second, "uid");
    meta["uid"] = !old_uid.empty() ? old_uid
                                   : absl::StrCat("fa4e0000-0000-4000-8000-",
                                                  absl::Dec(state_->next_uid++, absl::kZeroPad12));
  }
  // kind and apiVersion first, as the API server writes them.
  if (!obj.contains("kind") || !obj.contains("apiVersion")) {
    Json typed = Json::object();
    typed["kind"] = obj.contains("kind") ? obj["kind"] : Json(col.kind);
    typed["apiVersion"] = obj.contains("apiVersion") ? obj["apiVersion"] : Json(col.ApiVersion());
    if (typed["kind"] == "") typed.erase("kind");
    for (auto& [field, value] : obj.items()) {
      if (field != "kind" && field != "apiVersion") typed[field] = value;
    }
    obj = std::move(typed);
  }
  const std::string type = existing == col.objects.end() ? "ADDED" : "MODIFIED";
  col.objects[key] = obj;
  RecordEventLocked(collection, type, key);
  return absl::StrCat(rv);
}

std::string FakeApiServer::Delete(const std::string& collection, const std::string& ns,
                                  const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto col = state_->collections.find(collection);
  if (col == state_->collections.end()) return "";
  const std::string key = ObjectKey(ns, name);
  auto it = col->second.objects.find(key);
  if (it == col->second.objects.end()) return "";
  const int64_t rv = ++state_->rv;
  it->second["metadata"]["resourceVersion"] = absl::StrCat(rv);
  RecordEventLocked(collection, "DELETED", key);
  col->second.objects.erase(key);
  return absl::StrCat(rv);
}

std::string FakeApiServer::CurrentResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return absl::StrCat(state_->rv);
}

void FakeApiServer::Compact(GoneMode mode) {
  absl::MutexLock lock(&mu_);
  const int64_t old_rv = state_->rv;
  state_->compacted_rv = ++state_->rv;
  state_->history.clear();
  state_->snapshots.clear();
  state_->snapshot_order.clear();
  state_->gone_mode = mode;
  if (mode == GoneMode::kHttpStatus) {
    CloseWatchesLocked("", CloseHow::kEnd);
    return;
  }
  const std::string error =
      EventLine("ERROR", StatusObject(410, absl::StrCat("too old resource version: ", old_rv, " (",
                                                        state_->compacted_rv, ")")));
  for (const auto& w : state_->watchers) w->Push({WatchItem::Kind::kData, error});
  CloseWatchesLocked("", CloseHow::kEnd);
}

void FakeApiServer::SendBookmark(const std::string& collection) {
  absl::MutexLock lock(&mu_);
  const std::string rv = absl::StrCat(state_->rv);
  for (const auto& w : state_->watchers) {
    if (w->collection != collection || !w->bookmarks) continue;
    Json object = {{"kind", w->metadata_only ? "PartialObjectMetadata" : w->kind},
                   {"apiVersion", w->metadata_only ? w->meta_api_version : w->api_version},
                   {"metadata", {{"resourceVersion", rv}}}};
    w->Push({WatchItem::Kind::kData, EventLine("BOOKMARK", object)});
  }
}

void FakeApiServer::CutWatches(const std::string& collection, bool mid_event) {
  absl::MutexLock lock(&mu_);
  CloseWatchesLocked(collection, mid_event ? CloseHow::kCutMidEvent : CloseHow::kCut);
}

void FakeApiServer::EndWatches(const std::string& collection) {
  absl::MutexLock lock(&mu_);
  CloseWatchesLocked(collection, CloseHow::kEnd);
}

void FakeApiServer::InjectGarbage(const std::string& collection, const std::string& line) {
  absl::MutexLock lock(&mu_);
  for (const auto& w : state_->watchers) {
    if (collection.empty() || w->collection == collection) {
      w->Push({WatchItem::Kind::kData, line + "\n"});
    }
  }
}

void FakeApiServer::MisbehaveNext(const std::string& path_prefix, Hostile how, int times) {
  if (times <= 0) return;
  absl::MutexLock lock(&mu_);
  state_->misbehaviors.push_back({path_prefix, how, times});
}

FakeApiServer::Outcome FakeApiServer::Misbehave(Connection& conn, Hostile how) {
  if (!conn.WriteAll("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n")) {
    return Outcome::kAbort;
  }
  const absl::Time deadline = absl::Now() + absl::Minutes(10);
  constexpr size_t kCap = size_t{1} << 30;
  if (how == Hostile::kEmptyWatch) {
    (void)conn.WriteAll("0\r\n\r\n");
    return Outcome::kAbort;
  }
  if (how == Hostile::kSilent) {
    while (!stopping_.load() && !conn.PeerClosed() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));  // nothing to wait on: the peer may just vanish
    }
    return Outcome::kAbort;
  }
  std::string chunk = how == Hostile::kEndlessBody
                          ? std::string(R"({"kind":"PodList","items":[)")
                          : std::string(R"({"type":"ADDED","object":{"metadata":{"name":")");
  chunk.append(64 * 1024 - chunk.size(), how == Hostile::kEndlessBody ? ' ' : 'a');
  const std::string filler(64 * 1024, how == Hostile::kEndlessBody ? ' ' : 'a');
  size_t written = 0;
  for (bool first = true; !stopping_.load() && written < kCap && absl::Now() < deadline;
       first = false) {
    const std::string& data = first ? chunk : filler;
    if (!conn.WriteAll(absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n"))) break;
    written += data.size();
  }
  return Outcome::kAbort;
}

void FakeApiServer::FailNext(const std::string& path_prefix, int status, int times,
                             std::string retry_after) {
  if (times <= 0) return;
  absl::MutexLock lock(&mu_);
  state_->failures.push_back({path_prefix, status, times, std::move(retry_after)});
}

std::vector<FakeApiServer::Request> FakeApiServer::Requests() const {
  absl::MutexLock lock(&mu_);
  return state_->requests;
}

size_t FakeApiServer::OpenWatches(const std::string& collection) const {
  absl::MutexLock lock(&mu_);
  return static_cast<size_t>(
      std::count_if(state_->watchers.begin(), state_->watchers.end(),
                    [&](const auto& w) { return w->collection == collection; }));
}

bool FakeApiServer::WaitForOpenWatches(const std::string& collection, size_t n,
                                       absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() {
    mu_.AssertHeld();
    return static_cast<size_t>(
               std::count_if(state_->watchers.begin(), state_->watchers.end(),
                             [&](const auto& w) { return w->collection == collection; })) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeApiServer::WaitForRequests(const std::function<bool(const Request&)>& match, size_t n,
                                    absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&]() {
    mu_.AssertHeld();
    return static_cast<size_t>(
               std::count_if(state_->requests.begin(), state_->requests.end(), match)) >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

// --- Internals ----------------------------------------------------------------------------------

void FakeApiServer::SetUpTls() {
  ca_key_ = NewKey();
  ca_cert_ = NewCertificate(ca_key_, "fake-api-server-ca", nullptr, ca_key_, CertUse::kCa);
  ca_pem_ = CertificatePem(ca_cert_);
  EVP_PKEY* key = NewKey();
  X509* cert = NewCertificate(key, "fake-api-server", ca_cert_, ca_key_, CertUse::kServer);
  ssl_ctx_ = SSL_CTX_new(TLS_server_method());
  if (ssl_ctx_ == nullptr) Die("SSL_CTX_new");
  SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate(ssl_ctx_, cert) != 1 || SSL_CTX_use_PrivateKey(ssl_ctx_, key) != 1 ||
      SSL_CTX_check_private_key(ssl_ctx_) != 1) {
    Die("cannot load the serving certificate");
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  SSL_CTX_set_alpn_select_cb(ssl_ctx_, SelectAlpn, nullptr);
  if (options_.request_client_cert) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ssl_ctx_), ca_cert_);
    SSL_CTX_add_client_CA(ssl_ctx_, ca_cert_);
    // Optional: a client without a certificate may still authenticate with a token.
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  }
}

void FakeApiServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = poll(fds, 2, 200);
    std::list<std::unique_ptr<Connection>> finished;
    {
      absl::MutexLock lock(&mu_);
      auto& conns = state_->connections;
      for (auto it = conns.begin(); it != conns.end();) {
        auto next = std::next(it);
        if ((*it)->done) finished.splice(finished.end(), conns, it);
        it = next;
      }
    }
    for (auto& conn : finished) conn->thread.join();
    if (ready <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    timeval timeout{};
    timeout.tv_sec = kIoTimeoutSeconds;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    absl::MutexLock lock(&mu_);
    if (stopping_.load()) {
      close(fd);
      break;
    }
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    Connection* raw = conn.get();
    state_->connections.push_back(std::move(conn));
    raw->thread = std::thread(&FakeApiServer::ServeConnection, this, raw);
  }
}

void FakeApiServer::ServeConnection(Connection* conn) {
  BlockSigpipeInThisThread();
  Outcome outcome = Outcome::kClose;
  if (ssl_ctx_ != nullptr) {
    conn->ssl = SSL_new(ssl_ctx_);
    SSL_set_fd(conn->ssl, conn->fd);
    if (SSL_accept(conn->ssl) != 1) {
      outcome = Outcome::kAbort;
    } else if (X509* peer = SSL_get0_peer_certificate(conn->ssl);
               peer != nullptr && SSL_get_verify_result(conn->ssl) == X509_V_OK) {
      char cn[256] = {};
      if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn)) >
          0) {
        conn->client_cn = cn;
      }
    }
  }
  if (outcome != Outcome::kAbort) {
    for (;;) {
      std::optional<HttpRequest> req = conn->ReadRequest(stopping_);
      if (!req) {
        outcome = Outcome::kClose;
        break;
      }
      outcome = Handle(*conn, *req);
      if (outcome != Outcome::kKeepAlive) break;
    }
  }
  if (conn->ssl != nullptr) {
    if (outcome == Outcome::kClose) SSL_shutdown(conn->ssl);
    SSL_free(conn->ssl);
    conn->ssl = nullptr;
  }
  ERR_clear_error();
  absl::MutexLock lock(&mu_);
  close(conn->fd);
  conn->fd = -1;
  conn->done = true;
}

FakeApiServer::Outcome FakeApiServer::Respond(Connection& conn, const HttpRequest& req,
                                              size_t request_index, int status,
                                              const std::string& body,
                                              const std::string& extra_headers) {
  {
    absl::MutexLock lock(&mu_);
    state_->requests[request_index].status = status;
  }
  const bool keep_alive = req.KeepAlive() && !stopping_.load();
  const bool text = status == 200 && !body.empty() && body[0] != '{';
  const std::string response =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n",
                   "Content-Type: ", text ? "text/plain; charset=utf-8" : "application/json",
                   "\r\n", "Cache-Control: no-cache, private\r\n", "Content-Length: ", body.size(),
                   "\r\n", extra_headers, keep_alive ? "" : "Connection: close\r\n", "\r\n", body);
  if (!conn.WriteAll(response)) return Outcome::kAbort;
  return keep_alive ? Outcome::kKeepAlive : Outcome::kClose;
}

FakeApiServer::Outcome FakeApiServer::Handle(Connection& conn, const HttpRequest& req) {
  size_t index;
  bool authorized;
  Route route;
  std::optional<State::Failure> failure;
  std::optional<Hostile> hostile;
  {
    absl::MutexLock lock(&mu_);
    Request r;
    r.method = req.method;
    r.path = req.path;
    r.query = req.query;
    r.user_agent = req.Header("user-agent");
    r.authorization = req.Header("authorization");
    r.accept = req.Header("accept");
    r.client_cert_cn = conn.client_cn;
    state_->requests.push_back(std::move(r));
    index = state_->requests.size() - 1;

    authorized = state_->required_token.empty() || !conn.client_cn.empty();
    if (!authorized) {
      std::vector<std::string> words =
          absl::StrSplit(req.Header("authorization"), ' ', absl::SkipWhitespace());
      authorized = words.size() == 2 && absl::EqualsIgnoreCase(words[0], "bearer") &&
                   words[1] == state_->required_token;
    }
    route = ResolveLocked(req.path);
    if (authorized && req.method == "GET") {
      auto& failures = state_->failures;
      for (auto it = failures.begin(); it != failures.end(); ++it) {
        if (!absl::StartsWith(req.path, it->prefix) && route.collection != it->prefix) continue;
        failure = *it;
        if (--it->remaining <= 0) failures.erase(it);
        break;
      }
      const bool watch = ParamIsTrue(req.params, "watch");
      auto& misbehaviors = state_->misbehaviors;
      for (auto it = misbehaviors.begin(); !failure && it != misbehaviors.end(); ++it) {
        if (!absl::StartsWith(req.path, it->prefix) && route.collection != it->prefix) continue;
        if (watch != (it->how != Hostile::kEndlessBody)) continue;
        hostile = it->how;
        if (--it->remaining <= 0) misbehaviors.erase(it);
        break;
      }
    }
  }
  if (hostile) return Misbehave(conn, *hostile);
  if (!authorized) return Respond(conn, req, index, 401, StatusBody(401, "Unauthorized"));
  if (req.method != "GET") {
    return Respond(conn, req, index, 405,
                   StatusBody(405,
                              "the server does not allow this method on the requested "
                              "resource (FakeApiServer serves GET only)"));
  }
  if (failure) {
    std::string headers;
    Json details = nullptr;
    if (!failure->retry_after.empty()) {
      headers = absl::StrCat("Retry-After: ", failure->retry_after, "\r\n");
      if (int seconds; absl::SimpleAtoi(failure->retry_after, &seconds)) {
        details = {{"retryAfterSeconds", seconds}};
      }
    }
    return Respond(conn, req, index, failure->status,
                   StatusBody(failure->status, InjectedMessage(failure->status), details), headers);
  }
  switch (route.kind) {
    case Route::Kind::kNotFound:
      return Respond(
          conn, req, index, 404,
          StatusBody(404, "the server could not find the requested resource", Json::object()));
    case Route::Kind::kText:
    case Route::Kind::kJson:
      return Respond(conn, req, index, 200, route.body);
    case Route::Kind::kCollection:
      break;
  }
  if (ParamIsTrue(req.params, "watch")) return HandleWatch(conn, req, route, index);
  if (!route.name.empty()) return HandleGet(conn, req, route, index);
  return HandleList(conn, req, route, index);
}

FakeApiServer::Route FakeApiServer::ResolveLocked(const std::string& path) const {
  Route route;
  if (path == "/healthz" || path == "/readyz" || path == "/livez") {
    route.kind = Route::Kind::kText;
    route.body = "ok";
    return route;
  }
  if (path == "/version") {
    route.kind = Route::Kind::kJson;
    route.body = Dump(Json{{"major", "1"},
                           {"minor", "28"},
                           {"gitVersion", "v1.28.0-fake"},
                           {"platform", "linux/amd64"}});
    return route;
  }
  std::vector<std::string> segs = absl::StrSplit(path, '/', absl::SkipEmpty());
  if (segs.empty() || (segs[0] != "api" && segs[0] != "apis")) return route;

  // Served versions per group, highest priority first.
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& [name, col] : state_->collections) {
    if (!col.served) continue;
    auto& versions = groups[col.group];
    if (std::find(versions.begin(), versions.end(), col.version) == versions.end()) {
      versions.push_back(col.version);
    }
  }
  for (auto& [group, versions] : groups) {
    std::sort(versions.begin(), versions.end(), HigherPriority);
  }
  auto group_json = [&](const std::string& group) {
    Json versions = Json::array();
    for (const auto& v : groups[group]) {
      versions.push_back({{"groupVersion", GroupVersion(group, v)}, {"version", v}});
    }
    return Json{{"name", group}, {"versions", versions}, {"preferredVersion", versions[0]}};
  };
  auto resource_list = [&](const std::string& group, const std::string& version) {
    mu_.AssertHeld();
    Json resources = Json::array();
    for (const auto& [name, col] : state_->collections) {
      if (!col.served || col.group != group || col.version != version) continue;
      resources.push_back({{"name", col.resource},
                           {"singularName", absl::AsciiStrToLower(col.kind)},
                           {"namespaced", col.namespaced},
                           {"kind", col.kind},
                           {"verbs", {"get", "list", "watch"}}});
    }
    return Json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", GroupVersion(group, version)},
                {"resources", resources}};
  };

  size_t rest;
  std::string prefix;
  if (segs[0] == "api") {
    if (segs.size() == 1) {
      route.kind = Route::Kind::kJson;
      route.body = Dump(Json{
          {"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", absl::StrCat("127.0.0.1:", port_)}}}}});
      return route;
    }
    if (segs[1] != "v1") return route;
    if (segs.size() == 2) {
      route.kind = Route::Kind::kJson;
      route.body = Dump(resource_list("", "v1"));
      return route;
    }
    prefix = "/api/v1";
    rest = 2;
  } else {
    if (segs.size() == 1) {
      Json list = Json::array();
      for (const auto& [group, versions] : groups) {
        if (!group.empty()) list.push_back(group_json(group));
      }
      route.kind = Route::Kind::kJson;
      route.body = Dump(Json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}});
      return route;
    }
    if (segs[1].empty() || !groups.count(segs[1])) return route;
    const auto& versions = groups[segs[1]];
    if (segs.size() == 2) {
      Json group = {{"kind", "APIGroup"}, {"apiVersion", "v1"}};
      group.update(group_json(segs[1]));
      route.kind = Route::Kind::kJson;
      route.body = Dump(group);
      return route;
    }
    if (std::find(versions.begin(), versions.end(), segs[2]) == versions.end()) return route;
    if (segs.size() == 3) {
      route.kind = Route::Kind::kJson;
      route.body = Dump(resource_list(segs[1], segs[2]));
      return route;
    }
    prefix = absl::StrCat("/apis/", segs[1], "/", segs[2]);
    rest = 3;
  }

  const size_t n = segs.size() - rest;
  std::string resource;
  if (n >= 3 && segs[rest] == "namespaces") {
    if (n > 4) return route;  // Subresources are not served.
    route.ns = segs[rest + 1];
    resource = segs[rest + 2];
    if (n == 4) route.name = segs[rest + 3];
  } else if (n == 1 || n == 2) {
    resource = segs[rest];
    if (n == 2) route.name = segs[rest + 1];
  } else {
    return route;
  }
  const std::string collection = absl::StrCat(prefix, "/", resource);
  auto it = state_->collections.find(collection);
  if (it == state_->collections.end() || !it->second.served) return route;
  if (!route.ns.empty() && !it->second.namespaced) return route;
  if (route.ns.empty() && !route.name.empty() && it->second.namespaced) return route;
  route.kind = Route::Kind::kCollection;
  route.collection = collection;
  return route;
}

FakeApiServer::Outcome FakeApiServer::HandleList(Connection& conn, const HttpRequest& req,
                                                 const Route& route, size_t request_index) {
  std::string meta_api_version;
  const Representation rep = Negotiate(req.Header("accept"), /*list=*/true, &meta_api_version);
  if (rep == Representation::kNotAcceptable) {
    return Respond(conn, req, request_index, 406,
                   StatusBody(406,
                              "only the following media types are accepted: "
                              "application/json (FakeApiServer)"));
  }
  Filter filter;
  if (!route.ns.empty()) filter.ns = route.ns;
  std::string error;
  if (!AddSelectors(req.params, &filter, &error)) {
    return Respond(conn, req, request_index, 400, StatusBody(400, error));
  }
  int64_t limit = 0;
  if (auto it = req.params.find("limit"); it != req.params.end() && !it->second.empty()) {
    if (!absl::SimpleAtoi(it->second, &limit) || limit < 0) {
      return Respond(conn, req, request_index, 400,
                     StatusBody(400, absl::StrCat("invalid limit: ", it->second)));
    }
  }
  const auto cont_it = req.params.find("continue");
  const std::string cont = cont_it == req.params.end() ? "" : cont_it->second;

  int status = 200;
  std::string body;
  {
    absl::MutexLock lock(&mu_);
    static const Collection kNone;
    auto col_it = state_->collections.find(route.collection);
    const bool served = col_it != state_->collections.end() && col_it->second.served;
    if (!served) {  // Stopped serving since the request was routed.
      status = 404;
      body = StatusBody(404, "the server could not find the requested resource", Json::object());
    }
    const Collection& col = served ? col_it->second : kNone;
    int64_t list_rv = state_->rv;
    std::string start;
    std::shared_ptr<const std::map<std::string, Json>> snapshot;
    if (status == 200 && !cont.empty()) {
      if (!ParseContinueToken(cont, &list_rv, &start)) {
        status = 400;
        body = StatusBody(400, "continue key is not valid: not a token issued by FakeApiServer");
      } else {
        auto snap = state_->snapshots.find({route.collection, list_rv});
        if (list_rv < state_->compacted_rv || snap == state_->snapshots.end()) {
          status = 410;
          body = StatusBody(410,
                            "The provided continue parameter is too old to display a consistent "
                            "list result. You can start a new list without the continue "
                            "parameter.");
        } else {
          snapshot = snap->second;
        }
      }
    }
    if (status == 200) {
      const std::map<std::string, Json>& objects = snapshot ? *snapshot : col.objects;
      const bool strip_type = IsBuiltInGroup(col.group);
      Json items = Json::array();
      std::string last_key;
      int64_t remaining = 0;
      for (auto it = objects.lower_bound(start); it != objects.end(); ++it) {
        if (!filter.Matches(it->second)) continue;
        if (limit > 0 && static_cast<int64_t>(items.size()) >= limit) {
          ++remaining;
          continue;
        }
        last_key = it->first;
        if (rep == Representation::kMetadata) {
          items.push_back(MetadataOnly(it->second, meta_api_version));
        } else if (strip_type) {
          Json item = it->second;
          item.erase("kind");
          item.erase("apiVersion");
          items.push_back(std::move(item));
        } else {
          items.push_back(it->second);
        }
      }
      Json metadata = {{"resourceVersion", absl::StrCat(list_rv)}};
      if (remaining > 0) {
        const State::SnapshotKey key{route.collection, list_rv};
        if (!snapshot && !state_->snapshots.count(key)) {
          state_->snapshots[key] = std::make_shared<const std::map<std::string, Json>>(col.objects);
          state_->snapshot_order.push_back(key);
          if (state_->snapshot_order.size() > kMaxSnapshots) {
            state_->snapshots.erase(state_->snapshot_order.front());
            state_->snapshot_order.pop_front();
          }
        }
        metadata["continue"] = ContinueToken(list_rv, last_key + std::string(1, '\0'));
        if (!filter.ns && !filter.name) metadata["remainingItemCount"] = remaining;
      }
      const bool meta = rep == Representation::kMetadata;
      body = Dump(Json{{"kind", meta ? "PartialObjectMetadataList" : col.list_kind},
                       {"apiVersion", meta ? meta_api_version : col.ApiVersion()},
                       {"metadata", metadata},
                       {"items", items}});
    }
  }
  return Respond(conn, req, request_index, status, body);
}

FakeApiServer::Outcome FakeApiServer::HandleGet(Connection& conn, const HttpRequest& req,
                                                const Route& route, size_t request_index) {
  std::string meta_api_version;
  const Representation rep = Negotiate(req.Header("accept"), /*list=*/false, &meta_api_version);
  if (rep == Representation::kNotAcceptable) {
    return Respond(conn, req, request_index, 406,
                   StatusBody(406,
                              "only the following media types are accepted: "
                              "application/json (FakeApiServer)"));
  }
  int status = 404;
  std::string body;
  {
    absl::MutexLock lock(&mu_);
    auto col = state_->collections.find(route.collection);
    if (col != state_->collections.end()) {
      auto it = col->second.objects.find(ObjectKey(route.ns, route.name));
      if (it != col->second.objects.end()) {
        status = 200;
        body = Dump(rep == Representation::kMetadata ? MetadataOnly(it->second, meta_api_version)
                                                     : it->second);
      } else {
        body =
            StatusBody(404, absl::StrCat(col->second.resource, " \"", route.name, "\" not found"),
                       Json{{"name", route.name}, {"kind", col->second.resource}});
      }
    }
  }
  return Respond(conn, req, request_index, status, body);
}

FakeApiServer::Outcome FakeApiServer::HandleWatch(Connection& conn, const HttpRequest& req,
                                                  const Route& route, size_t request_index) {
  auto w = std::make_shared<Watcher>();
  const Representation rep = Negotiate(req.Header("accept"), /*list=*/false, &w->meta_api_version);
  if (rep == Representation::kNotAcceptable) {
    return Respond(conn, req, request_index, 406,
                   StatusBody(406,
                              "only the following media types are accepted: "
                              "application/json (FakeApiServer)"));
  }
  w->collection = route.collection;
  w->metadata_only = rep == Representation::kMetadata;
  w->bookmarks = ParamIsTrue(req.params, "allowWatchBookmarks");
  if (!route.ns.empty()) w->filter.ns = route.ns;
  if (!route.name.empty()) w->filter.name = route.name;
  std::string error;
  if (!AddSelectors(req.params, &w->filter, &error)) {
    return Respond(conn, req, request_index, 400, StatusBody(400, error));
  }
  std::optional<int64_t> from;  // None: start with the current state as ADDED events.
  if (auto it = req.params.find("resourceVersion");
      it != req.params.end() && !it->second.empty() && it->second != "0") {
    int64_t rv;
    if (!absl::SimpleAtoi(it->second, &rv) || rv < 0) {
      return Respond(conn, req, request_index, 400,
                     StatusBody(400, absl::StrCat("invalid resource version: ", it->second)));
    }
    from = rv;
  }
  int64_t timeout_seconds = kDefaultWatchSeconds;
  if (auto it = req.params.find("timeoutSeconds"); it != req.params.end()) {
    if (!absl::SimpleAtoi(it->second, &timeout_seconds)) {
      return Respond(conn, req, request_index, 400,
                     StatusBody(400, absl::StrCat("invalid timeoutSeconds: ", it->second)));
    }
    if (timeout_seconds <= 0) timeout_seconds = kDefaultWatchSeconds;
  }

  int refused = 0;  // An HTTP status answered instead of a stream.
  std::string refusal;
  {
    absl::MutexLock lock(&mu_);
    auto col = state_->collections.find(route.collection);
    if (stopping_.load()) {
      refused = 503;
      refusal = StatusBody(503, "the server is shutting down");
    } else if (col == state_->collections.end() || !col->second.served) {
      refused = 404;
      refusal = StatusBody(404, "the server could not find the requested resource", Json::object());
    } else if (from && *from < state_->compacted_rv) {
      const std::string message =
          absl::StrCat("too old resource version: ", *from, " (", state_->compacted_rv, ")");
      if (state_->gone_mode == GoneMode::kHttpStatus) {
        refused = 410;
        refusal = StatusBody(410, message);
      } else {
        w->Push({WatchItem::Kind::kData, EventLine("ERROR", StatusObject(410, message))});
        w->Push({WatchItem::Kind::kEnd, ""});
      }
    } else {
      w->kind = col->second.kind;
      w->api_version = col->second.ApiVersion();
      w->from_rv = from.value_or(state_->rv);
      if (!from) {
        for (const auto& [key, obj] : col->second.objects) {
          if (w->filter.Matches(obj)) w->Push({WatchItem::Kind::kData, w->Render("ADDED", obj)});
        }
      } else {
        for (const auto& event : state_->history) {
          if (event.rv > *from && event.collection == route.collection &&
              w->filter.Matches(event.object)) {
            w->Push({WatchItem::Kind::kData, w->Render(event.type, event.object)});
          }
        }
      }
      state_->watchers.push_back(w);
    }
  }
  if (refused != 0) return Respond(conn, req, request_index, refused, refusal);

  {
    absl::MutexLock lock(&mu_);
    state_->requests[request_index].status = 200;
  }
  const bool chunked = req.version != "HTTP/1.0";
  const bool keep_alive = chunked && req.KeepAlive();
  const std::string head = absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n",
      chunked ? "Transfer-Encoding: chunked\r\n" : "", keep_alive ? "" : "Connection: close\r\n",
      "\r\n");
  if (!conn.WriteAll(head)) {
    UnregisterWatcher(w.get());
    return Outcome::kAbort;
  }

  auto finish = [&]() {
    if (chunked && !conn.WriteAll("0\r\n\r\n")) return Outcome::kAbort;
    return keep_alive ? Outcome::kKeepAlive : Outcome::kClose;
  };
  // Writes the items; the outcome once one of them ends the stream.
  auto process = [&](const std::deque<WatchItem>& items) -> std::optional<Outcome> {
    for (const WatchItem& item : items) {
      switch (item.kind) {
        case WatchItem::Kind::kData:
          if (!conn.WriteAll(
                  chunked ? absl::StrCat(absl::Hex(item.data.size()), "\r\n", item.data, "\r\n")
                          : item.data)) {
            return Outcome::kAbort;
          }
          break;
        case WatchItem::Kind::kEnd:
          return finish();
        case WatchItem::Kind::kCut:
          return Outcome::kAbort;
        case WatchItem::Kind::kCutMidEvent: {
          const std::string half = item.data.substr(0, item.data.size() / 2);
          conn.WriteAll(chunked ? absl::StrCat(absl::Hex(item.data.size()), "\r\n", half) : half);
          return Outcome::kAbort;
        }
      }
    }
    return std::nullopt;
  };

  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_seconds);
  Outcome outcome;
  for (;;) {
    std::deque<WatchItem> items;
    {
      absl::MutexLock lock(&w->mu);
      const absl::Time wake = std::min(deadline, absl::Now() + kWatchSlice);
      while (w->queue.empty() && absl::Now() < wake) w->cv.WaitWithDeadline(&w->mu, wake);
      items.swap(w->queue);
    }
    if (std::optional<Outcome> ended = process(items)) {
      outcome = *ended;
      break;
    }
    if (absl::Now() >= deadline) {
      // Stop the flow of events, write what was queued before, then end cleanly.
      UnregisterWatcher(w.get());
      std::deque<WatchItem> rest;
      {
        absl::MutexLock lock(&w->mu);
        rest.swap(w->queue);
      }
      std::optional<Outcome> ended = process(rest);
      outcome = ended ? *ended : finish();
      break;
    }
    if (stopping_.load() || conn.PeerClosed()) {
      outcome = Outcome::kAbort;
      break;
    }
  }
  UnregisterWatcher(w.get());
  return outcome;
}

void FakeApiServer::RecordEventLocked(const std::string& collection, const std::string& type,
                                      const std::string& object_key) {
  const Json& object = state_->collections[collection].objects[object_key];
  state_->history.push_back({state_->rv, collection, type, object});
  while (state_->history.size() > options_.history_limit) {
    state_->compacted_rv = state_->history.front().rv;
    state_->history.pop_front();
  }
  for (const auto& w : state_->watchers) {
    if (w->collection == collection && state_->rv > w->from_rv && w->filter.Matches(object)) {
      w->Push({WatchItem::Kind::kData, w->Render(type, object)});
    }
  }
}

void FakeApiServer::CloseWatchesLocked(const std::string& collection, CloseHow how) {
  auto& watchers = state_->watchers;
  for (auto it = watchers.begin(); it != watchers.end();) {
    Watcher& w = **it;
    if (!collection.empty() && w.collection != collection) {
      ++it;
      continue;
    }
    switch (how) {
      case CloseHow::kEnd:
        w.Push({WatchItem::Kind::kEnd, ""});
        break;
      case CloseHow::kCut:
        w.Push({WatchItem::Kind::kCut, ""});
        break;
      case CloseHow::kCutMidEvent: {
        // Half of a plausible event: a MODIFIED of an object it watches, else a bookmark.
        std::string line;
        const Collection& col = state_->collections[w.collection];
        for (const auto& [key, obj] : col.objects) {
          if (w.filter.Matches(obj)) {
            line = w.Render("MODIFIED", obj);
            break;
          }
        }
        if (line.empty()) {
          line = EventLine("BOOKMARK", {{"kind", w.kind},
                                        {"apiVersion", w.api_version},
                                        {"metadata", {{"resourceVersion", "0"}}}});
        }
        w.Push({WatchItem::Kind::kCutMidEvent, line});
        break;
      }
    }
    it = watchers.erase(it);
  }
}

void FakeApiServer::UnregisterWatcher(const Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto& watchers = state_->watchers;
  watchers.erase(std::remove_if(watchers.begin(), watchers.end(),
                                [&](const auto& w) { return w.get() == watcher; }),
                 watchers.end());
}

}  // namespace dest::testing
