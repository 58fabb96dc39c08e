// A fake Kubernetes API server for hermetic tests of API clients. It speaks the real protocol over
// HTTP/1.1 (optionally HTTPS with a CA made at startup) on 127.0.0.1: discovery, JSON lists with a
// resourceVersion and continue tokens, chunked watch streams of newline-delimited events with
// bookmarks, and the failures a client must survive: 401, 404 (a missing CRD), 410 Gone (as an HTTP
// status or an in-stream ERROR event), 429 with Retry-After, connections cut mid-event and garbage
// lines.
//
// Model: collections are named by their path ("/api/v1/services",
// "/apis/discovery.k8s.io/v1/endpointslices"). Every change to any collection takes the next value
// of one global resourceVersion (an integer, written as a string) and is kept in a bounded history
// from which watches replay. Objects are listed in etcd key order ("namespace/name").
//
// Protocol, as a real API server answers (GET only, HTTP/1.1 with keep-alive; ALPN picks
// http/1.1, so an HTTP/2 client falls back):
// - Discovery: /api, /api/v1, /apis (APIGroupList), /apis/G (APIGroup, versions by Kubernetes
//   priority, preferredVersion the highest), /apis/G/V (APIResourceList); /version, /healthz.
// - GET COLLECTION, /api/v1/namespaces/NS/RES, .../RES/NAME; fieldSelector metadata.name and
//   metadata.namespace (labelSelector answers 400 rather than being ignored).
// - Lists: limit and continue (the RV is fixed at the first page; a token older than a
//   compaction answers 410 Expired). Items of built-in groups (core, no-dot groups, *.k8s.io)
//   have no kind/apiVersion, custom resources keep them. Content-Length set.
// - Watches: watch=1|true, chunked, one {"type":T,"object":O} line per chunk. resourceVersion
//   absent or "0": the current objects as ADDED first; otherwise the history after it.
//   allowWatchBookmarks, timeoutSeconds (default 1800). A watch ended by the server
//   (timeoutSeconds, EndWatches, StopServing, Compact) ends with the terminal chunk; a cut
//   (CutWatches, destruction) closes the connection without it.
// - Accept "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" for lists and
//   "...;as=PartialObjectMetadata;..." for watches and single objects give metadata only;
//   alternatives separated by commas are tried in order; nothing usable answers 406.
// - Errors are Status objects: {"kind":"Status","apiVersion":"v1","metadata":{},"status":
//   "Failure","message":M,"reason":R,["details":D,]"code":C}.
//
// Thread-safe. One thread accepts, one thread serves each connection; the destructor ends every
// stream and joins every thread. Every blocking wait has a deadline.
#ifndef TESTS_FAKE_API_SERVER_H_
#define TESTS_FAKE_API_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

// OpenSSL types, kept out of this header.
struct ssl_ctx_st;
struct x509_st;
struct evp_pkey_st;

namespace dest::testing {

class FakeApiServer {
 public:
  // How a watch from a resourceVersion older than the compaction point is refused.
  enum class GoneMode {
    kHttpStatus,     // HTTP 410 with a Status body (reason Expired).
    kInStreamError,  // HTTP 200, then one ERROR event carrying that Status, then the stream ends.
  };

  struct Options {
    // Serve HTTPS with a certificate for 127.0.0.1 signed by a CA made at startup (ca_pem()).
    bool tls = false;
    // "" = no authentication; otherwise see SetRequiredToken.
    std::string required_token;
    // With tls: ask for a client certificate; one signed by the CA (IssueClientCertificate)
    // authenticates the request as well as the token does.
    bool request_client_cert = false;
    // Events kept for watch replay; older ones are compacted (watches from before them are gone).
    size_t history_limit = 10000;
    // How too-old watches are refused until Compact(mode) says otherwise. The real API server's
    // watch cache answers with an in-stream ERROR.
    GoneMode gone_mode = GoneMode::kInStreamError;
  };

  // One request as received, for assertions.
  struct Request {
    std::string method, path, query, user_agent, authorization, accept;
    std::string client_cert_cn;  // CN of a verified TLS client certificate, "" if none.
    int status = 0;              // The HTTP status answered (0 until the answer is chosen).
    // The URL-decoded value of a query parameter ("" when absent).
    std::string Param(absl::string_view name) const;
  };

  struct CertificateAndKey {
    std::string cert_pem;
    std::string key_pem;
  };

  FakeApiServer();
  explicit FakeApiServer(Options options);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  int port() const { return port_; }
  std::string url() const;     // "http(s)://127.0.0.1:PORT"
  std::string ca_pem() const;  // The CA that signed the serving certificate ("" without tls).
  // A client certificate for `common_name` signed by the CA (tls only).
  CertificateAndKey IssueClientCertificate(const std::string& common_name) const;

  // "" = none; otherwise every request without "Authorization: Bearer TOKEN" (and without a
  // verified client certificate) answers 401 with a Status (reason Unauthorized).
  void SetRequiredToken(std::string token);

  // Serves a collection: until then (and after StopServing) its paths answer 404 like a missing
  // CRD, and discovery does not list it. `list_kind` is e.g. "ServiceList"; the object kind is it
  // without "List". `namespaced` = false for cluster-scoped kinds such as Nodes.
  void ServeResource(const std::string& collection, const std::string& list_kind,
                     bool namespaced = true);
  // 404 afterwards; open watches on it end cleanly. Its objects are kept (Delete them if needed).
  void StopServing(const std::string& collection);

  // Adds or replaces one object (JSON text with metadata.name and, if namespaced,
  // metadata.namespace). Sets metadata.resourceVersion to the next global resourceVersion, a
  // metadata.uid if missing, and kind/apiVersion if missing; emits ADDED or MODIFIED. Returns the
  // new resourceVersion. Aborts on malformed JSON (a broken test).
  std::string Upsert(const std::string& collection, const std::string& object_json);
  // Removes one object and emits DELETED carrying its last state with the new resourceVersion.
  // Returns the new resourceVersion, or "" when there was no such object.
  std::string Delete(const std::string& collection, const std::string& ns, const std::string& name);
  std::string CurrentResourceVersion() const;

  // Forgets all history: the resourceVersion advances by one (as if an unrelated object changed),
  // so every watch or continue token from an earlier resourceVersion gets 410 Expired, refused in
  // `mode` (which also applies to later too-old watches). Open watches receive the in-stream ERROR
  // then end (kInStreamError), or end cleanly so their reconnection is refused (kHttpStatus).
  void Compact(GoneMode mode);
  // Sends {"type":"BOOKMARK","object":{"kind":K,"apiVersion":V,"metadata":{"resourceVersion":RV}}}
  // with the current resourceVersion to the open watches of the collection that asked for
  // bookmarks (allowWatchBookmarks=true).
  void SendBookmark(const std::string& collection);
  // Closes the open watches of the collection ("" = all) without the terminal chunk. mid_event:
  // first write a chunk header announcing a whole event line and only half of the line.
  void CutWatches(const std::string& collection, bool mid_event);
  // Ends the open watches of the collection ("" = all) cleanly, as a server-side timeout does.
  void EndWatches(const std::string& collection);
  // Writes `line` plus "\n" (not a valid event, or not even JSON) to the open watches of the
  // collection ("" = all).
  void InjectGarbage(const std::string& collection, const std::string& line);
  // The next `times` requests whose path starts with `path_prefix`, or that address the collection
  // named `path_prefix` (namespaced paths too), answer `status` with a Status body (and a
  // Retry-After header when `retry_after` is not empty). Checked after authentication, in the
  // order the failures were scripted.
  void FailNext(const std::string& path_prefix, int status, int times = 1,
                std::string retry_after = "");

  // Hostile answers, for clients that must bound what they accept.
  enum class Hostile {
    kEndlessBody,  // a list: 200, then a chunked body that never ends
    kEndlessLine,  // a watch: 200, then one event line that never ends (no newline)
    kSilent,       // a watch: 200 and the chunked head, then nothing, the connection kept open
    kEmptyWatch,   // a watch: 200 and at once the terminal chunk, no event
  };
  // The next `times` GET requests matching `path_prefix` as FailNext does, and that are watches
  // (kEndlessLine, kSilent) or not (kEndlessBody), get `how`. Each ends when the client goes
  // away, the server stops, or after 1 GiB / 10 minutes.
  void MisbehaveNext(const std::string& path_prefix, Hostile how, int times = 1);

  // Every request received, in order.
  std::vector<Request> Requests() const;
  // Watches of the collection that still receive events. A watch counts from the moment any
  // later change is guaranteed to reach it.
  size_t OpenWatches(const std::string& collection) const;
  // Waits until OpenWatches(collection) == n; false at the deadline.
  bool WaitForOpenWatches(const std::string& collection, size_t n, absl::Duration timeout) const;
  // Waits until at least n recorded requests satisfy `match` (called under the server's lock: it
  // must not call the server); false at the deadline.
  bool WaitForRequests(const std::function<bool(const Request&)>& match, size_t n,
                       absl::Duration timeout) const;

 private:
  struct State;
  struct Collection;
  struct Watcher;
  struct WatchItem;
  struct Connection;
  struct HttpRequest;
  struct Route;
  enum class Outcome { kKeepAlive, kClose, kAbort };  // kAbort: close without a TLS goodbye.
  enum class CloseHow { kEnd, kCut, kCutMidEvent };

  void SetUpTls();
  void AcceptLoop();
  void ServeConnection(Connection* conn) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome Handle(Connection& conn, const HttpRequest& req) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome HandleList(Connection& conn, const HttpRequest& req, const Route& route,
                     size_t request_index) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome HandleGet(Connection& conn, const HttpRequest& req, const Route& route,
                    size_t request_index) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome HandleWatch(Connection& conn, const HttpRequest& req, const Route& route,
                      size_t request_index) ABSL_LOCKS_EXCLUDED(mu_);
  Outcome Misbehave(Connection& conn, Hostile how) ABSL_LOCKS_EXCLUDED(mu_);
  // Writes a whole answer with a Content-Length and records its status.
  Outcome Respond(Connection& conn, const HttpRequest& req, size_t request_index, int status,
                  const std::string& body, const std::string& extra_headers = "")
      ABSL_LOCKS_EXCLUDED(mu_);
  // What a path addresses; discovery documents are rendered here.
  Route ResolveLocked(const std::string& path) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends the change just made to the object to the history and queues it to the watches.
  void RecordEventLocked(const std::string& collection, const std::string& type,
                         const std::string& object_key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes the watches of `collection` ("" = all) from the open set, ending or cutting them.
  void CloseWatchesLocked(const std::string& collection, CloseHow how)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnregisterWatcher(const Watcher* watcher) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // An eventfd that wakes the accept loop at destruction.
  int port_ = 0;
  std::string ca_pem_;
  x509_st* ca_cert_ = nullptr;
  evp_pkey_st* ca_key_ = nullptr;
  ssl_ctx_st* ssl_ctx_ = nullptr;
  std::atomic<bool> stopping_{false};  // Set under mu_ so that waits on mu_ notice it.
  std::thread accept_thread_;

  mutable absl::Mutex mu_;
  std::unique_ptr<State> state_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace dest::testing

#endif  // TESTS_FAKE_API_SERVER_H_
