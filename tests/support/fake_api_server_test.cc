// Drives FakeApiServer with libcurl as a Kubernetes API client would: paginated lists, watch
// streams, discovery, TLS, and every scripted failure. The assertions are on what a client sees:
// statuses, headers, bodies and stream lines.
#include "tests/support/fake_api_server.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dest::testing {
namespace {

using Json = nlohmann::json;
using GoneMode = FakeApiServer::GoneMode;

constexpr absl::Duration kWait = absl::Seconds(10);
const char kServices[] = "/api/v1/services";
const char kPods[] = "/api/v1/pods";
const char kNodes[] = "/api/v1/nodes";
const char kSplitsV1alpha1[] = "/apis/split.smi-spec.io/v1alpha1/trafficsplits";
const char kSplitsV1alpha2[] = "/apis/split.smi-spec.io/v1alpha2/trafficsplits";
const char kMetaListAccept[] = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const char kMetaAccept[] = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_global_init(CURL_GLOBAL_DEFAULT); }
  void TearDown() override { curl_global_cleanup(); }
};
[[maybe_unused]] ::testing::Environment* const kCurlEnvironment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

// Default member initializers everywhere, so designated initializers may name any subset.
struct ClientOptions {
  std::string token{};
  std::string accept{};
  std::string ca_pem{};
  std::string cert_pem{};
  std::string key_pem{};
  std::string user_agent = "fake-api-server-test/1.0";
};

// Sets the options shared by plain requests and streams; the caller frees *headers.
void Configure(CURL* curl, const std::string& url, const ClientOptions& o, curl_slist** headers) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 30000L);
  if (!o.token.empty()) {
    *headers = curl_slist_append(*headers, absl::StrCat("Authorization: Bearer ", o.token).c_str());
  }
  if (!o.accept.empty()) {
    *headers = curl_slist_append(*headers, absl::StrCat("Accept: ", o.accept).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
  if (!o.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (!o.cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(o.cert_pem.data()), o.cert_pem.size(), CURL_BLOB_COPY};
    curl_blob key{const_cast<char*>(o.key_pem.data()), o.key_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t AppendHeader(char* data, size_t size, size_t n, void* user) {
  absl::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    (*static_cast<std::map<std::string, std::string>*>(
        user))[absl::AsciiStrToLower(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * n;
}

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // Names lower-cased.
  long new_connections = 0;

  Json json() const { return Json::parse(body, nullptr, /*allow_exceptions=*/false); }
};

HttpResult Perform(CURL* curl, const std::string& url, const ClientOptions& options) {
  HttpResult result;
  curl_slist* headers = nullptr;
  Configure(curl, url, options, &headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  result.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &result.new_connections);
  curl_slist_free_all(headers);
  return result;
}

HttpResult Fetch(const std::string& url, const ClientOptions& options = {}) {
  CURL* curl = curl_easy_init();
  HttpResult result = Perform(curl, url, options);
  curl_easy_cleanup(curl);
  return result;
}

std::string Escape(const std::string& s) {
  char* escaped = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

// A streaming GET on its own thread, collecting what arrives. Destruction aborts it at once by
// shutting its socket down.
class WatchStream {
 public:
  explicit WatchStream(const std::string& url, ClientOptions options = {}) {
    thread_ = std::thread([this, url, options] { Run(url, options); });
  }
  ~WatchStream() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
    }
    thread_.join();
  }

  // Waits for at least n complete lines.
  bool WaitForLines(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() {
      mu_.AssertHeld();
      return CompleteLinesLocked().size() >= n || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    return CompleteLinesLocked().size() >= n;
  }
  // Waits for the transfer to end.
  bool WaitDone(absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
  }
  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mu_);
    return CompleteLinesLocked();
  }
  std::vector<Json> Events() {
    std::vector<Json> events;
    for (const std::string& line : Lines()) events.push_back(Json::parse(line, nullptr, false));
    return events;
  }
  // The bytes after the last newline.
  std::string Partial() {
    absl::MutexLock lock(&mu_);
    return data_.substr(data_.rfind('\n') == std::string::npos ? 0 : data_.rfind('\n') + 1);
  }
  CURLcode code() {
    absl::MutexLock lock(&mu_);
    return code_;
  }
  long status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  std::vector<std::string> CompleteLinesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> lines = absl::StrSplit(data_, '\n');
    lines.pop_back();  // After the last newline: not a complete line.
    return lines;
  }

  static size_t OnData(char* data, size_t size, size_t n, void* user) {
    auto* self = static_cast<WatchStream*>(user);
    absl::MutexLock lock(&self->mu_);
    self->data_.append(data, size * n);
    return size * n;
  }
  static curl_socket_t OnOpenSocket(void* user, curlsocktype, curl_sockaddr* addr) {
    auto* self = static_cast<WatchStream*>(user);
    absl::MutexLock lock(&self->mu_);
    if (self->stop_) return CURL_SOCKET_BAD;
    self->fd_ = socket(addr->family, addr->socktype, addr->protocol);
    return self->fd_;
  }
  static int OnCloseSocket(void* user, curl_socket_t fd) {
    auto* self = static_cast<WatchStream*>(user);
    absl::MutexLock lock(&self->mu_);
    if (self->fd_ == fd) self->fd_ = -1;
    return close(fd);
  }

  void Run(const std::string& url, const ClientOptions& options) {
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    Configure(curl, url, options, &headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnData);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, this);
    curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, OnCloseSocket);
    curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, this);
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    absl::MutexLock lock(&mu_);
    code_ = code;
    status_ = status;
    done_ = true;
  }

  absl::Mutex mu_;
  std::string data_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  CURLcode code_ ABSL_GUARDED_BY(mu_) = CURLE_OK;
  long status_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

std::string Service(const std::string& ns, const std::string& name, int port = 80) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", name}}}}},
              {"spec", {{"clusterIP", "10.0.0.1"}, {"ports", {{{"port", port}}}}}}}
      .dump();
}

std::string TrafficSplit(const std::string& ns, const std::string& name) {
  return Json{{"apiVersion", "split.smi-spec.io/v1alpha2"},
              {"kind", "TrafficSplit"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"service", "backend"}}}}
      .dump();
}

int64_t Rv(const Json& object) {
  int64_t rv = -1;
  EXPECT_TRUE(absl::SimpleAtoi(object["metadata"]["resourceVersion"].get<std::string>(), &rv))
      << object.dump();
  return rv;
}

std::vector<std::string> Keys(const Json& list) {
  std::vector<std::string> keys;
  for (const Json& item : list["items"]) {
    keys.push_back(absl::StrCat(item["metadata"].value("namespace", ""), "/",
                                item["metadata"]["name"].get<std::string>()));
  }
  return keys;
}

void ExpectStatus(const HttpResult& r, long code, const std::string& reason) {
  EXPECT_EQ(r.status, code) << r.body;
  EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
            "application/json");
  const Json status = r.json();
  EXPECT_EQ(status.value("kind", ""), "Status") << r.body;
  EXPECT_EQ(status.value("apiVersion", ""), "v1");
  EXPECT_EQ(status.value("status", ""), "Failure");
  EXPECT_EQ(status.value("reason", ""), reason);
  EXPECT_EQ(status.value("code", 0), code);
  EXPECT_TRUE(status.contains("message"));
}

class FakeApiServerTest : public ::testing::Test {
 protected:
  std::string Url(const std::string& path) const { return server_.url() + path; }
  std::string WatchUrl(const std::string& collection, const std::string& rv,
                       const std::string& extra = "") const {
    return Url(absl::StrCat(collection, "?watch=1&resourceVersion=", rv, extra));
  }

  FakeApiServer server_;
};

TEST_F(FakeApiServerTest, ListPaginatesWithContinueTokensAtTheFirstPagesResourceVersion) {
  server_.ServeResource(kServices, "ServiceList");
  server_.Upsert(kServices, Service("b", "x"));
  server_.Upsert(kServices, Service("a", "y"));
  server_.Upsert(kServices, Service("a", "x"));
  server_.Upsert(kServices, Service("c", "z"));

  const HttpResult page1 = Fetch(Url("/api/v1/services?limit=2"));
  ASSERT_EQ(page1.status, 200) << page1.body;
  EXPECT_EQ(page1.headers.at("content-type"), "application/json");
  EXPECT_EQ(page1.headers.at("content-length"), absl::StrCat(page1.body.size()));
  const Json p1 = page1.json();
  EXPECT_EQ(p1["kind"], "ServiceList");
  EXPECT_EQ(p1["apiVersion"], "v1");
  EXPECT_EQ(Keys(p1), (std::vector<std::string>{"a/x", "a/y"}));
  const std::string list_rv = p1["metadata"]["resourceVersion"];
  EXPECT_EQ(list_rv, server_.CurrentResourceVersion());
  EXPECT_EQ(p1["metadata"]["remainingItemCount"], 2);
  const std::string token = p1["metadata"]["continue"];
  ASSERT_FALSE(token.empty());

  // Changes between pages are not part of this list.
  server_.Upsert(kServices, Service("a", "z"));
  server_.Delete(kServices, "c", "z");
  const HttpResult page2 = Fetch(Url("/api/v1/services?limit=2&continue=" + Escape(token)));
  ASSERT_EQ(page2.status, 200) << page2.body;
  const Json p2 = page2.json();
  EXPECT_EQ(Keys(p2), (std::vector<std::string>{"b/x", "c/z"}));
  EXPECT_EQ(p2["metadata"]["resourceVersion"], list_rv);
  EXPECT_FALSE(p2["metadata"].contains("continue"));

  // A new list sees them; items of built-in kinds carry no kind/apiVersion, as on a real server.
  const Json full = Fetch(Url(kServices)).json();
  EXPECT_EQ(Keys(full), (std::vector<std::string>{"a/x", "a/y", "a/z", "b/x"}));
  EXPECT_EQ(full["metadata"]["resourceVersion"], server_.CurrentResourceVersion());
  EXPECT_FALSE(full["items"][0].contains("kind"));
  EXPECT_EQ(full["items"][0]["spec"]["clusterIP"], "10.0.0.1");
  EXPECT_FALSE(full["items"][0]["metadata"]["uid"].get<std::string>().empty());
}

TEST_F(FakeApiServerTest, ExpiredOrBadContinueTokens) {
  server_.ServeResource(kServices, "ServiceList");
  server_.Upsert(kServices, Service("a", "x"));
  server_.Upsert(kServices, Service("a", "y"));
  const Json p1 = Fetch(Url("/api/v1/services?limit=1")).json();
  const std::string token = p1["metadata"]["continue"];
  server_.Compact(GoneMode::kHttpStatus);
  ExpectStatus(Fetch(Url("/api/v1/services?limit=1&continue=" + Escape(token))), 410, "Expired");
  ExpectStatus(Fetch(Url("/api/v1/services?limit=1&continue=bm9wZQ")), 400, "BadRequest");
}

TEST_F(FakeApiServerTest, WatchDeliversAddedModifiedDeletedInOrder) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string list_rv = Fetch(Url(kServices)).json()["metadata"]["resourceVersion"];
  WatchStream watch(WatchUrl(kServices, list_rv, "&allowWatchBookmarks=true"));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));

  const std::string rv1 = server_.Upsert(kServices, Service("ns", "a"));
  const std::string rv2 = server_.Upsert(kServices, Service("ns", "a", 81));
  const std::string rv3 = server_.Delete(kServices, "ns", "a");
  ASSERT_TRUE(watch.WaitForLines(3));
  const std::vector<Json> events = watch.Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["type"], "MODIFIED");
  EXPECT_EQ(events[2]["type"], "DELETED");
  EXPECT_EQ(events[0]["object"]["metadata"]["resourceVersion"], rv1);
  EXPECT_EQ(events[1]["object"]["metadata"]["resourceVersion"], rv2);
  EXPECT_EQ(events[2]["object"]["metadata"]["resourceVersion"], rv3);
  EXPECT_LT(Rv(events[0]["object"]), Rv(events[1]["object"]));
  EXPECT_LT(Rv(events[1]["object"]), Rv(events[2]["object"]));
  // Watch events carry kind and apiVersion; DELETED carries the last state.
  EXPECT_EQ(events[0]["object"]["kind"], "Service");
  EXPECT_EQ(events[0]["object"]["apiVersion"], "v1");
  EXPECT_EQ(events[2]["object"]["spec"]["ports"][0]["port"], 81);
  EXPECT_EQ(server_.Delete(kServices, "ns", "a"), "");
}

TEST_F(FakeApiServerTest, WatchReplaysHistoryOrStartsWithTheCurrentStateAsAdded) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string rv0 = server_.CurrentResourceVersion();
  server_.Upsert(kServices, Service("ns", "b"));
  const std::string rv_a = server_.Upsert(kServices, Service("ns", "a"));
  server_.Upsert(kServices, Service("ns", "b", 81));

  WatchStream replay(WatchUrl(kServices, rv0));
  WatchStream tail(WatchUrl(kServices, rv_a));
  WatchStream current(Url("/api/v1/services?watch=true"));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 3, kWait));
  const std::string marker = server_.Upsert(kServices, Service("ns", "marker"));

  ASSERT_TRUE(replay.WaitForLines(4));
  std::vector<Json> events = replay.Events();
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "b");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "a");
  EXPECT_EQ(events[2]["type"], "MODIFIED");
  EXPECT_EQ(events[3]["object"]["metadata"]["resourceVersion"], marker);

  ASSERT_TRUE(tail.WaitForLines(2));
  events = tail.Events();
  EXPECT_EQ(events[0]["type"], "MODIFIED");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "marker");

  ASSERT_TRUE(current.WaitForLines(3));
  events = current.Events();
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[0]["object"]["metadata"]["name"], "a");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "b");
  EXPECT_EQ(events[1]["object"]["spec"]["ports"][0]["port"], 81);
  EXPECT_EQ(events[2]["object"]["metadata"]["name"], "marker");
}

TEST_F(FakeApiServerTest, CompactInHttpStatusModeRefusesOldWatchesWith410) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string old_rv = server_.Upsert(kServices, Service("ns", "a"));
  WatchStream open(WatchUrl(kServices, old_rv));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));

  server_.Compact(GoneMode::kHttpStatus);
  // The open watch ends cleanly: its reconnection is the one refused.
  ASSERT_TRUE(open.WaitDone());
  EXPECT_EQ(open.code(), CURLE_OK);
  EXPECT_EQ(open.status(), 200);
  const HttpResult gone = Fetch(WatchUrl(kServices, old_rv));
  ExpectStatus(gone, 410, "Expired");
  EXPECT_NE(gone.json()["message"].get<std::string>().find("too old resource version"),
            std::string::npos);

  // A watch from the current resourceVersion is fine.
  WatchStream fresh(WatchUrl(kServices, server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));
  server_.Upsert(kServices, Service("ns", "b"));
  ASSERT_TRUE(fresh.WaitForLines(1));
  EXPECT_EQ(fresh.Events()[0]["type"], "ADDED");
}

TEST_F(FakeApiServerTest, CompactInStreamModeSendsAnErrorEvent) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string old_rv = server_.Upsert(kServices, Service("ns", "a"));
  WatchStream open(WatchUrl(kServices, old_rv));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));

  server_.Compact(GoneMode::kInStreamError);
  WatchStream late(WatchUrl(kServices, old_rv));
  for (WatchStream* watch : {&open, &late}) {
    ASSERT_TRUE(watch->WaitDone());
    EXPECT_EQ(watch->code(), CURLE_OK);
    EXPECT_EQ(watch->status(), 200);
    const std::vector<Json> events = watch->Events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["type"], "ERROR");
    const Json& status = events[0]["object"];
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["apiVersion"], "v1");
    EXPECT_EQ(status["status"], "Failure");
    EXPECT_EQ(status["reason"], "Expired");
    EXPECT_EQ(status["code"], 410);
    EXPECT_EQ(status["message"].get<std::string>().rfind("too old resource version: ", 0), 0u);
  }
  EXPECT_EQ(server_.OpenWatches(kServices), 0u);
}

TEST(FakeApiServerHistoryTest, BoundedHistoryCompactsTheOldestEvents) {
  FakeApiServer::Options options;
  options.history_limit = 2;
  options.gone_mode = GoneMode::kHttpStatus;
  FakeApiServer server(options);
  server.ServeResource(kServices, "ServiceList");
  const std::string rv0 = server.CurrentResourceVersion();
  const std::string rv1 = server.Upsert(kServices, Service("ns", "a"));
  server.Upsert(kServices, Service("ns", "b"));
  server.Upsert(kServices, Service("ns", "c"));

  ExpectStatus(Fetch(server.url() + kServices + "?watch=1&resourceVersion=" + rv0), 410, "Expired");
  WatchStream watch(server.url() + kServices + "?watch=1&resourceVersion=" + rv1);
  ASSERT_TRUE(watch.WaitForLines(2));
  EXPECT_EQ(watch.Events()[0]["object"]["metadata"]["name"], "b");
  EXPECT_EQ(watch.Events()[1]["object"]["metadata"]["name"], "c");
}

TEST_F(FakeApiServerTest, BookmarksGoOnlyToWatchesThatAskForThem) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string rv = server_.Upsert(kServices, Service("ns", "a"));
  WatchStream with(WatchUrl(kServices, rv, "&allowWatchBookmarks=true"));
  WatchStream without(WatchUrl(kServices, rv));
  WatchStream meta(WatchUrl(kServices, rv, "&allowWatchBookmarks=true"), {.accept = kMetaAccept});
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 3, kWait));

  server_.SendBookmark(kServices);
  const std::string bookmark_rv = server_.CurrentResourceVersion();
  server_.Upsert(kServices, Service("ns", "b"));

  ASSERT_TRUE(with.WaitForLines(2));
  std::vector<Json> events = with.Events();
  EXPECT_EQ(events[0]["type"], "BOOKMARK");
  EXPECT_EQ(events[0]["object"]["kind"], "Service");
  EXPECT_EQ(events[0]["object"]["apiVersion"], "v1");
  EXPECT_EQ(events[0]["object"]["metadata"], (Json{{"resourceVersion", bookmark_rv}}));
  EXPECT_EQ(events[1]["type"], "ADDED");

  ASSERT_TRUE(without.WaitForLines(1));
  EXPECT_EQ(without.Events()[0]["type"], "ADDED");

  ASSERT_TRUE(meta.WaitForLines(2));
  events = meta.Events();
  EXPECT_EQ(events[0]["type"], "BOOKMARK");
  EXPECT_EQ(events[0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(events[0]["object"]["apiVersion"], "meta.k8s.io/v1");
}

TEST_F(FakeApiServerTest, TimeoutSecondsEndsTheStreamCleanly) {
  server_.ServeResource(kServices, "ServiceList");
  const absl::Time start = absl::Now();
  WatchStream watch(WatchUrl(kServices, server_.CurrentResourceVersion(), "&timeoutSeconds=1"));
  ASSERT_TRUE(watch.WaitDone());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  EXPECT_EQ(watch.code(), CURLE_OK);
  EXPECT_EQ(watch.status(), 200);
  EXPECT_TRUE(watch.Lines().empty());
  EXPECT_TRUE(server_.WaitForOpenWatches(kServices, 0, kWait));
}

TEST_F(FakeApiServerTest, RequiredTokenAnswers401WithoutIt) {
  server_.ServeResource(kServices, "ServiceList");
  server_.SetRequiredToken("s3cret");
  ExpectStatus(Fetch(Url(kServices)), 401, "Unauthorized");
  EXPECT_EQ(Fetch(Url(kServices)).json()["message"], "Unauthorized");
  ExpectStatus(Fetch(Url(kServices), {.token = "wrong"}), 401, "Unauthorized");
  EXPECT_EQ(Fetch(Url(kServices), {.token = "s3cret"}).status, 200);
  ExpectStatus(Fetch(WatchUrl(kServices, "1"), {.token = "wrong"}), 401, "Unauthorized");

  // A rotated token: the old one stops working.
  server_.SetRequiredToken("rotated");
  ExpectStatus(Fetch(Url(kServices), {.token = "s3cret"}), 401, "Unauthorized");
  EXPECT_EQ(Fetch(Url(kServices), {.token = "rotated"}).status, 200);
  EXPECT_EQ(server_.Requests().back().authorization, "Bearer rotated");
  server_.SetRequiredToken("");
  EXPECT_EQ(Fetch(Url(kServices)).status, 200);
}

TEST_F(FakeApiServerTest, FailNextAnswers429WithRetryAfterThenRecovers) {
  server_.ServeResource(kServices, "ServiceList");
  server_.ServeResource(kPods, "PodList");
  server_.FailNext(kServices, 429, 2, "1");
  EXPECT_EQ(Fetch(Url(kPods)).status, 200);  // Another collection is not affected.
  for (int i = 0; i < 2; ++i) {
    const HttpResult r = Fetch(Url("/api/v1/services?limit=10"));
    ExpectStatus(r, 429, "TooManyRequests");
    EXPECT_EQ(r.headers.count("retry-after") ? r.headers.at("retry-after") : "", "1");
    EXPECT_EQ(r.json()["details"]["retryAfterSeconds"], 1);
  }
  EXPECT_EQ(Fetch(Url(kServices)).status, 200);

  // Watches and namespaced paths count too; failures are consumed in order.
  server_.FailNext(kServices, 500);
  server_.FailNext(kServices, 401);
  ExpectStatus(Fetch(WatchUrl(kServices, "1")), 500, "InternalError");
  ExpectStatus(Fetch(Url("/api/v1/namespaces/ns/services")), 401, "Unauthorized");
  EXPECT_EQ(Fetch(Url("/api/v1/namespaces/ns/services")).status, 200);

  // Any path prefix, e.g. discovery.
  server_.FailNext("/apis", 503);
  ExpectStatus(Fetch(Url("/apis")), 503, "ServiceUnavailable");
  EXPECT_EQ(Fetch(Url("/apis")).status, 200);
}

TEST_F(FakeApiServerTest, MissingCollectionIs404UntilServedAndAfterStopServing) {
  const std::string splits = kSplitsV1alpha2;
  const HttpResult missing = Fetch(Url(splits));
  ExpectStatus(missing, 404, "NotFound");
  EXPECT_EQ(missing.json()["message"], "the server could not find the requested resource");
  ExpectStatus(Fetch(Url("/apis/split.smi-spec.io")), 404, "NotFound");
  ExpectStatus(Fetch(Url(splits + "?watch=1")), 404, "NotFound");

  server_.ServeResource(splits, "TrafficSplitList");
  server_.Upsert(splits, TrafficSplit("ns", "split"));
  const HttpResult served = Fetch(Url(splits));
  ASSERT_EQ(served.status, 200);
  // Custom resources keep kind and apiVersion in list items.
  EXPECT_EQ(served.json()["kind"], "TrafficSplitList");
  EXPECT_EQ(served.json()["apiVersion"], "split.smi-spec.io/v1alpha2");
  EXPECT_EQ(served.json()["items"][0]["kind"], "TrafficSplit");

  WatchStream watch(Url(splits + "?watch=1&resourceVersion=" + server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(splits, 1, kWait));
  server_.StopServing(splits);
  ASSERT_TRUE(watch.WaitDone());
  EXPECT_EQ(watch.code(), CURLE_OK);
  ExpectStatus(Fetch(Url(splits)), 404, "NotFound");
  ExpectStatus(Fetch(Url("/apis/split.smi-spec.io/v1alpha2")), 404, "NotFound");
}

TEST_F(FakeApiServerTest, DiscoveryListsServedVersionsHighestPreferred) {
  server_.ServeResource(kServices, "ServiceList");
  server_.ServeResource(kSplitsV1alpha1, "TrafficSplitList");
  server_.ServeResource(kSplitsV1alpha2, "TrafficSplitList");
  server_.ServeResource("/apis/example.io/v1alpha3/things", "ThingList");
  server_.ServeResource("/apis/example.io/v1beta1/things", "ThingList");
  server_.ServeResource("/apis/example.io/v1/things", "ThingList");
  server_.ServeResource("/apis/example.io/v2beta1/things", "ThingList");

  const HttpResult group = Fetch(Url("/apis/split.smi-spec.io"));
  ASSERT_EQ(group.status, 200) << group.body;
  const Json g = group.json();
  EXPECT_EQ(g["kind"], "APIGroup");
  EXPECT_EQ(g["name"], "split.smi-spec.io");
  EXPECT_EQ(g["preferredVersion"],
            (Json{{"groupVersion", "split.smi-spec.io/v1alpha2"}, {"version", "v1alpha2"}}));
  ASSERT_EQ(g["versions"].size(), 2u);
  EXPECT_EQ(g["versions"][1]["groupVersion"], "split.smi-spec.io/v1alpha1");

  const Json example = Fetch(Url("/apis/example.io")).json();
  std::vector<std::string> versions;
  for (const Json& v : example["versions"]) versions.push_back(v["version"]);
  EXPECT_EQ(versions, (std::vector<std::string>{"v1", "v2beta1", "v1beta1", "v1alpha3"}));

  const Json all = Fetch(Url("/apis")).json();
  EXPECT_EQ(all["kind"], "APIGroupList");
  ASSERT_EQ(all["groups"].size(), 2u);
  EXPECT_EQ(all["groups"][1]["name"], "split.smi-spec.io");
  EXPECT_EQ(all["groups"][1]["preferredVersion"]["version"], "v1alpha2");

  const Json resources = Fetch(Url("/apis/split.smi-spec.io/v1alpha2")).json();
  EXPECT_EQ(resources["kind"], "APIResourceList");
  EXPECT_EQ(resources["groupVersion"], "split.smi-spec.io/v1alpha2");
  ASSERT_EQ(resources["resources"].size(), 1u);
  EXPECT_EQ(resources["resources"][0]["name"], "trafficsplits");
  EXPECT_EQ(resources["resources"][0]["kind"], "TrafficSplit");
  EXPECT_EQ(resources["resources"][0]["namespaced"], true);

  const Json core = Fetch(Url("/api/v1")).json();
  EXPECT_EQ(core["resources"][0]["name"], "services");
  EXPECT_EQ(Fetch(Url("/api")).json()["versions"][0], "v1");
  EXPECT_EQ(Fetch(Url("/version")).json()["major"], "1");
  ExpectStatus(Fetch(Url("/apis/nope.io")), 404, "NotFound");
}

TEST_F(FakeApiServerTest, MetadataOnlyAcceptGivesPartialObjectMetadata) {
  server_.ServeResource(kPods, "PodList");
  server_.Upsert(kPods, R"({"metadata":{"name":"p","namespace":"ns","labels":{"a":"b"}},
                            "spec":{"nodeName":"n1"}})");
  const HttpResult list = Fetch(Url(kPods), {.accept = kMetaListAccept});
  ASSERT_EQ(list.status, 200) << list.body;
  const Json l = list.json();
  EXPECT_EQ(l["kind"], "PartialObjectMetadataList");
  EXPECT_EQ(l["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(l["metadata"]["resourceVersion"], server_.CurrentResourceVersion());
  ASSERT_EQ(l["items"].size(), 1u);
  EXPECT_EQ(l["items"][0]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(l["items"][0]["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(l["items"][0]["metadata"]["labels"]["a"], "b");
  EXPECT_FALSE(l["items"][0].contains("spec"));

  // Alternatives: an unusable first choice falls through to plain JSON.
  const Json fallback =
      Fetch(Url(kPods),
            {.accept = "application/json;as=Table;v=v1;g=meta.k8s.io, application/json"})
          .json();
  EXPECT_EQ(fallback["kind"], "PodList");
  EXPECT_EQ(fallback["items"][0]["spec"]["nodeName"], "n1");
  ExpectStatus(Fetch(Url(kPods), {.accept = kMetaAccept}), 406, "NotAcceptable");

  WatchStream watch(Url(absl::StrCat(kPods, "?watch=1&resourceVersion=", 1)),
                    {.accept = kMetaAccept});
  ASSERT_TRUE(watch.WaitForLines(1));
  const Json event = watch.Events()[0];
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(event["object"]["metadata"]["name"], "p");
  EXPECT_FALSE(event["object"].contains("spec"));
}

TEST(FakeApiServerTlsTest, ServesHttpsTrustedThroughCaPem) {
  FakeApiServer::Options options;
  options.tls = true;
  FakeApiServer server(options);
  server.ServeResource(kServices, "ServiceList");
  ASSERT_EQ(server.url().rfind("https://127.0.0.1:", 0), 0u);
  ASSERT_NE(server.ca_pem().find("-----BEGIN CERTIFICATE-----"), std::string::npos);

  const HttpResult ok = Fetch(server.url() + kServices, {.ca_pem = server.ca_pem()});
  EXPECT_EQ(ok.code, CURLE_OK);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Fetch(server.url() + kServices).code, CURLE_PEER_FAILED_VERIFICATION);

  WatchStream watch(server.url() + kServices + "?watch=1&resourceVersion=1",
                    {.ca_pem = server.ca_pem()});
  ASSERT_TRUE(server.WaitForOpenWatches(kServices, 1, kWait));
  server.Upsert(kServices, Service("ns", "a"));
  ASSERT_TRUE(watch.WaitForLines(1));
  EXPECT_EQ(watch.Events()[0]["type"], "ADDED");
  server.CutWatches(kServices, /*mid_event=*/true);
  ASSERT_TRUE(watch.WaitDone());
  EXPECT_NE(watch.code(), CURLE_OK);
  EXPECT_FALSE(watch.Partial().empty());
}

TEST(FakeApiServerTlsTest, ClientCertificateAuthenticatesInsteadOfAToken) {
  FakeApiServer::Options options;
  options.tls = true;
  options.request_client_cert = true;
  options.required_token = "token";
  FakeApiServer server(options);
  server.ServeResource(kServices, "ServiceList");
  const FakeApiServer::CertificateAndKey alice = server.IssueClientCertificate("alice");

  const HttpResult with_cert =
      Fetch(server.url() + kServices,
            {.ca_pem = server.ca_pem(), .cert_pem = alice.cert_pem, .key_pem = alice.key_pem});
  EXPECT_EQ(with_cert.code, CURLE_OK);
  EXPECT_EQ(with_cert.status, 200) << with_cert.body;
  EXPECT_EQ(server.Requests().back().client_cert_cn, "alice");

  ExpectStatus(Fetch(server.url() + kServices, {.ca_pem = server.ca_pem()}), 401, "Unauthorized");
  EXPECT_EQ(Fetch(server.url() + kServices, {.token = "token", .ca_pem = server.ca_pem()}).status,
            200);
}

TEST_F(FakeApiServerTest, CutWatchesMidEventLeavesHalfALine) {
  server_.ServeResource(kServices, "ServiceList");
  WatchStream watch(WatchUrl(kServices, server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));
  server_.Upsert(kServices, Service("ns", "a"));
  ASSERT_TRUE(watch.WaitForLines(1));

  server_.CutWatches(kServices, /*mid_event=*/true);
  ASSERT_TRUE(watch.WaitDone());
  EXPECT_NE(watch.code(), CURLE_OK);  // The chunked body never ended.
  EXPECT_EQ(watch.Lines().size(), 1u);
  const std::string partial = watch.Partial();
  EXPECT_EQ(partial.rfind(R"({"type":"MODIFIED","object":{)", 0), 0u) << partial;
  EXPECT_TRUE(Json::parse(partial, nullptr, false).is_discarded());
  EXPECT_EQ(server_.OpenWatches(kServices), 0u);
}

TEST_F(FakeApiServerTest, CutWatchesBetweenEventsEndsWithoutTheTerminalChunk) {
  server_.ServeResource(kServices, "ServiceList");
  server_.ServeResource(kPods, "PodList");
  WatchStream services(WatchUrl(kServices, server_.CurrentResourceVersion()));
  WatchStream pods(WatchUrl(kPods, server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));
  ASSERT_TRUE(server_.WaitForOpenWatches(kPods, 1, kWait));
  server_.CutWatches(kServices, /*mid_event=*/false);
  ASSERT_TRUE(services.WaitDone());
  EXPECT_NE(services.code(), CURLE_OK);
  EXPECT_TRUE(services.Partial().empty());
  EXPECT_EQ(server_.OpenWatches(kPods), 1u);  // Other collections keep their watches.

  server_.EndWatches("");
  ASSERT_TRUE(pods.WaitDone());
  EXPECT_EQ(pods.code(), CURLE_OK);
}

TEST_F(FakeApiServerTest, GarbageLinesReachOpenWatchesInOrder) {
  server_.ServeResource(kServices, "ServiceList");
  WatchStream watch(WatchUrl(kServices, server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));
  server_.InjectGarbage(kServices, "this is not json");
  server_.InjectGarbage(kServices, R"({"kind":"NotAnEvent"})");
  server_.Upsert(kServices, Service("ns", "a"));
  ASSERT_TRUE(watch.WaitForLines(3));
  const std::vector<std::string> lines = watch.Lines();
  EXPECT_EQ(lines[0], "this is not json");
  EXPECT_EQ(lines[1], R"({"kind":"NotAnEvent"})");
  EXPECT_EQ(Json::parse(lines[2])["type"], "ADDED");
}

TEST_F(FakeApiServerTest, NamespacedPathsSelectorsAndSingleObjects) {
  server_.ServeResource(kServices, "ServiceList");
  server_.ServeResource(kNodes, "NodeList", /*namespaced=*/false);
  server_.Upsert(kServices, Service("a", "x"));
  server_.Upsert(kServices, Service("b", "x"));
  server_.Upsert(kServices, Service("a", "y"));
  server_.Upsert(kNodes, R"({"metadata":{"name":"node-1"}})");

  EXPECT_EQ(Keys(Fetch(Url("/api/v1/namespaces/a/services")).json()),
            (std::vector<std::string>{"a/x", "a/y"}));
  EXPECT_EQ(Keys(Fetch(Url("/api/v1/services?fieldSelector=metadata.name%3Dx")).json()),
            (std::vector<std::string>{"a/x", "b/x"}));
  ExpectStatus(Fetch(Url("/api/v1/services?labelSelector=app%3Dx")), 400, "BadRequest");

  const Json one = Fetch(Url("/api/v1/namespaces/b/services/x")).json();
  EXPECT_EQ(one["kind"], "Service");
  EXPECT_EQ(one["metadata"]["namespace"], "b");
  const HttpResult missing = Fetch(Url("/api/v1/namespaces/b/services/nope"));
  ExpectStatus(missing, 404, "NotFound");
  EXPECT_EQ(missing.json()["message"], "services \"nope\" not found");
  EXPECT_EQ(Fetch(Url("/api/v1/nodes/node-1")).json()["kind"], "Node");
  ExpectStatus(Fetch(Url("/api/v1/namespaces/a/nodes")), 404, "NotFound");

  WatchStream watch(Url("/api/v1/namespaces/b/services?watch=1&resourceVersion=" +
                        server_.CurrentResourceVersion()));
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 1, kWait));
  server_.Upsert(kServices, Service("a", "z"));
  server_.Upsert(kServices, Service("b", "z"));
  ASSERT_TRUE(watch.WaitForLines(1));
  EXPECT_EQ(watch.Events()[0]["object"]["metadata"]["namespace"], "b");
}

TEST_F(FakeApiServerTest, KeepAliveReusesTheConnection) {
  server_.ServeResource(kServices, "ServiceList");
  CURL* curl = curl_easy_init();
  const HttpResult first = Perform(curl, Url(kServices), {});
  const HttpResult second = Perform(curl, Url("/api/v1/services?limit=1"), {});
  const HttpResult third = Perform(curl, Url("/nope"), {});
  curl_easy_cleanup(curl);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.new_connections, 1);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.new_connections, 0);
  EXPECT_EQ(third.status, 404);
  EXPECT_EQ(third.new_connections, 0);
}

TEST_F(FakeApiServerTest, RequestsAreRecorded) {
  server_.ServeResource(kServices, "ServiceList");
  server_.FailNext(kServices, 429, 1, "2");
  Fetch(Url("/api/v1/services?limit=500&resourceVersion=0"),
        {.token = "t", .accept = kMetaListAccept, .user_agent = "destination/0.1.0"});
  ASSERT_TRUE(server_.WaitForRequests(
      [](const FakeApiServer::Request& r) { return r.path == kServices; }, 1, kWait));
  const std::vector<FakeApiServer::Request> requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].query, "limit=500&resourceVersion=0");
  EXPECT_EQ(requests[0].Param("limit"), "500");
  EXPECT_EQ(requests[0].Param("continue"), "");
  EXPECT_EQ(requests[0].user_agent, "destination/0.1.0");
  EXPECT_EQ(requests[0].authorization, "Bearer t");
  EXPECT_EQ(requests[0].accept, kMetaListAccept);
  EXPECT_EQ(requests[0].status, 429);
}

TEST(FakeApiServerLifetimeTest, DestructionEndsOpenWatches) {
  auto server = std::make_unique<FakeApiServer>();
  server->ServeResource(kServices, "ServiceList");
  WatchStream watch(server->url() + kServices + "?watch=1");
  ASSERT_TRUE(server->WaitForOpenWatches(kServices, 1, kWait));
  server.reset();
  ASSERT_TRUE(watch.WaitDone());
  EXPECT_NE(watch.code(), CURLE_OK);
}

TEST_F(FakeApiServerTest, ConcurrentChangesReachEveryWatchInTheSameOrder) {
  server_.ServeResource(kServices, "ServiceList");
  const std::string rv0 = server_.CurrentResourceVersion();
  std::vector<std::unique_ptr<WatchStream>> watches;
  for (int i = 0; i < 4; ++i) {
    watches.push_back(std::make_unique<WatchStream>(WatchUrl(kServices, rv0)));
  }
  ASSERT_TRUE(server_.WaitForOpenWatches(kServices, 4, kWait));
  constexpr int kWriters = 4, kPerWriter = 50;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        server_.Upsert(kServices, Service(absl::StrCat("ns", w), absl::StrCat("s", i % 10)));
      }
    });
  }
  for (auto& t : writers) t.join();
  // A late watch replays the same history.
  watches.push_back(std::make_unique<WatchStream>(WatchUrl(kServices, rv0)));

  std::vector<std::string> reference;
  for (auto& watch : watches) {
    ASSERT_TRUE(watch->WaitForLines(kWriters * kPerWriter));
    std::vector<std::string> lines = watch->Lines();
    ASSERT_EQ(lines.size(), static_cast<size_t>(kWriters * kPerWriter));
    int64_t last = 0;
    for (const std::string& line : lines) {
      const int64_t rv = Rv(Json::parse(line)["object"]);
      EXPECT_EQ(rv, last == 0 ? rv : last + 1);
      last = rv;
    }
    if (reference.empty()) reference = lines;
    EXPECT_EQ(lines, reference);
  }
}

}  // namespace
}  // namespace dest::testing
