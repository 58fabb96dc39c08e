#include "watchers/kube/reflector.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "base/proc_stats.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "watchers/decode/json_decoder.h"

namespace dest {
namespace {

// Lines that are not events, in one watch, before it is abandoned (with backoff).
constexpr size_t kMaxGarbageLines = 100;

std::string UrlEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

}  // namespace

Reflector::Reflector(const ReflectorShared& shared, WatchedResource spec)
    : shared_(shared), spec_(std::move(spec)), rng_(std::random_device{}()) {
  kind_name_ = KindLabel(spec_.kind);
  object_kind_ = std::string(InfoOf(spec_.kind).name);
  if (shared_.restarts != nullptr) {
    restarts_ = &shared_.restarts->Add({{"kind", kind_name_}});
    relists_ = &shared_.relists->Add({{"kind", kind_name_}});
  }
  served_ = !spec_.optional;
  backoff_ = shared_.options.backoff_initial;
}

void Reflector::Run() {
  bool need_list = true;
  while (!Stopped()) {
    if (!served_) {
      if (!Discover()) {
        WaitStop(shared_.options.crd_poll);
        continue;
      }
      need_list = true;
    }
    if (need_list) {
      Result r = List();
      if (r == Result::kOk) {
        need_list = false;
        ResetBackoff();
        // A big list's pages and decoded objects were temporary: give their memory back, or the
        // resident size keeps the peak of every relist (small lists are not worth a heap walk).
        if (last_list_objects_ >= kReleaseHeapAfterObjects) proc::ReleaseFreeHeap();
      } else if (r == Result::kMissing) {
        served_ = false;
        Missing();
        // Discovery listed it a moment ago: look again only after the poll interval, or a server
        // whose discovery and collections disagree would be asked in a tight loop.
        WaitStop(shared_.options.crd_poll);
      } else if (r == Result::kError) {
        Backoff();
      }  // kGone: list again at once
      continue;
    }
    Result r = Watch();
    if (r == Result::kGone) {
      need_list = true;
      if (relists_) relists_->Increment();
      Log(LogLevel::kInfo, "watch expired (410 Gone); listing again", {{"kind", kind_name_}});
      if (shared_.events) {
        shared_.events->Record("kube_relist", kind_name_, "watch expired (410 Gone); listed again");
      }
    } else if (r == Result::kMissing) {
      served_ = false;
      Missing();
    } else if (r == Result::kError) {
      Backoff();
    } else {
      ResetBackoff();
    }
    if (r != Result::kStopped && restarts_) restarts_->Increment();
  }
}

std::string Reflector::ApiVersion() const {
  return spec_.group.empty() ? version() : absl::StrCat(spec_.group, "/", version());
}

std::string Reflector::Collection() const {
  return spec_.group.empty()
             ? absl::StrCat("/api/", version(), "/", spec_.resource)
             : absl::StrCat("/apis/", spec_.group, "/", version(), "/", spec_.resource);
}

std::string Reflector::Accept(bool list) const {
  if (!spec_.metadata_only) return "application/json";
  return list ? "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
              : "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
}

void Reflector::CountError(const std::string& reason) {
  if (shared_.errors != nullptr)
    shared_.errors->Add({{"kind", kind_name_}, {"reason", reason}}).Increment();
}

void Reflector::ResetBackoff() {
  backoff_ = shared_.options.backoff_initial;
  retry_after_ = absl::ZeroDuration();
}

void Reflector::Backoff() {
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  absl::Duration wait = std::max(backoff_ * jitter(rng_), retry_after_);
  retry_after_ = absl::ZeroDuration();
  backoff_ = std::min(backoff_ * 2, shared_.options.backoff_max);
  WaitStop(wait);
}

void Reflector::HttpError(const KubeClient::Response& r, const char* what) {
  std::string reason = absl::StrCat("http_", r.status);
  CountError(reason);
  if (r.status == 429) {
    int secs = 0;
    if (absl::SimpleAtoi(r.retry_after, &secs) && secs > 0) {
      // The server's word wins over our backoff, within reason.
      retry_after_ = std::min(absl::Seconds(secs), absl::Minutes(10));
    } else {
      retry_after_ = absl::Seconds(1);
    }
  }
  Log(r.status == 429 ? LogLevel::kInfo : LogLevel::kWarn, "Kubernetes API error",
      {{"kind", kind_name_},
       {"request", what},
       {"status", r.status},
       {"body", r.body.substr(0, 300)}});
}

bool Reflector::Discover() {
  absl::StatusOr<KubeClient::Response> r =
      shared_.client->Get(absl::StrCat("/apis/", spec_.group), "application/json");
  if (!r.ok()) {
    CountError("connection");
    Log(LogLevel::kWarn, "API discovery failed",
        {{"kind", kind_name_}, {"error", r.status().message()}});
    return false;
  }
  if (r->status == 404) {
    Missing();
    return false;
  }
  if (r->status != 200) {
    HttpError(*r, "discovery");
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(r->body).get(doc) != simdjson::SUCCESS) {
    CountError("bad_json");
    return false;
  }
  std::vector<std::string> served;
  simdjson::dom::array versions;
  if (doc["versions"].get_array().get(versions) == simdjson::SUCCESS) {
    for (simdjson::dom::element v : versions) {
      std::string_view name = JsonStringAt(v, {"version"});
      if (!name.empty()) served.emplace_back(name);
    }
  }
  std::string_view preferred = JsonStringAt(doc, {"preferredVersion", "version"});
  // The versions this service understands and the group serves, the preferred one first.
  std::vector<std::string> candidates;
  for (const std::string& v : spec_.versions) {
    if (v == preferred) candidates.push_back(v);
  }
  for (const std::string& v : spec_.versions) {
    if (v != preferred && std::find(served.begin(), served.end(), v) != served.end()) {
      candidates.push_back(v);
    }
  }
  std::string chosen;
  for (const std::string& v : candidates) {
    if (ServesResource(v)) {
      chosen = v;
      break;
    }
    if (Stopped()) return false;
  }
  if (chosen.empty()) {
    if (!reported_missing_) {
      Log(LogLevel::kWarn,
          candidates.empty() ? "API group served in no version this service understands"
                             : "API group served without this resource in a version this "
                               "service understands",
          {{"kind", kind_name_}, {"group", spec_.group}, {"resource", spec_.resource}});
    }
    Missing();
    return false;
  }
  version_ = chosen;
  served_ = true;
  Log(LogLevel::kInfo, "API group found",
      {{"kind", kind_name_}, {"group", spec_.group}, {"version", chosen}});
  reported_missing_ = false;
  return true;
}

bool Reflector::ServesResource(const std::string& version) {
  absl::StatusOr<KubeClient::Response> r = shared_.client->Get(
      absl::StrCat("/apis/", spec_.group, "/", version), "application/json");
  if (!r.ok() || r->status != 200) {
    if (!r.ok()) CountError("connection");
    return false;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array resources;
  if (parser.parse(r->body).get(doc) != simdjson::SUCCESS ||
      doc["resources"].get_array().get(resources) != simdjson::SUCCESS) {
    CountError("bad_json");
    return false;
  }
  for (simdjson::dom::element resource : resources) {
    if (JsonStringAt(resource, {"name"}) == spec_.resource) return true;
  }
  return false;
}

void Reflector::Missing() {
  if (!reported_missing_) {
    Log(LogLevel::kWarn, "optional API not installed; watching for it",
        {{"kind", kind_name_}, {"group", spec_.group}});
    reported_missing_ = true;
  }
  ApplyList({});
  shared_.store->MarkSynced(spec_.kind);
}

void Reflector::ApplyList(const std::vector<AnyObject>& items) {
  std::map<std::pair<std::string, std::string>, const AnyObject*> fresh;
  for (const AnyObject& o : items) fresh[{MetaOf(o).ns, MetaOf(o).name}] = &o;
  std::vector<ObjectEvent> events;
  std::set<std::pair<std::string, std::string>> seen;
  for (const AnyObject& old : shared_.store->ListAny(spec_.kind)) {
    auto key = std::make_pair(MetaOf(old).ns, MetaOf(old).name);
    auto it = fresh.find(key);
    if (it == fresh.end()) {
      events.push_back({EventType::kDeleted, old});
    } else {
      seen.insert(key);
      if (MetaOf(*it->second).resource_version != MetaOf(old).resource_version ||
          MetaOf(old).resource_version.empty()) {
        events.push_back({EventType::kModified, *it->second});
      }
    }
  }
  for (const auto& [key, o] : fresh) {
    if (!seen.count(key)) events.push_back({EventType::kAdded, *o});
  }
  if (!events.empty()) shared_.store->Apply(events);
}

Reflector::Result Reflector::List() {
  std::vector<AnyObject> items;
  std::string cont, list_rv;
  simdjson::dom::parser parser;
  do {
    std::string path = absl::StrCat(Collection(), "?limit=", shared_.options.page_size);
    if (!cont.empty()) absl::StrAppend(&path, "&continue=", UrlEncode(cont));
    absl::StatusOr<KubeClient::Response> r = shared_.client->Get(path, Accept(true));
    if (Stopped()) return Result::kStopped;
    if (!r.ok()) {
      CountError(ReasonOf(r.status()));
      Log(LogLevel::kWarn, "list failed", {{"kind", kind_name_}, {"error", r.status().message()}});
      return Result::kError;
    }
    if (r->status == 410) return Result::kGone;  // the continue token expired: start over
    if (r->status == 404 && spec_.optional) return Result::kMissing;
    if (r->status != 200) {
      HttpError(*r, "list");
      return Result::kError;
    }
    simdjson::dom::element doc;
    if (parser.parse(r->body).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      CountError("bad_json");
      Log(LogLevel::kWarn, "list answer is not JSON", {{"kind", kind_name_}});
      return Result::kError;
    }
    std::string_view rv = JsonStringAt(doc, {"metadata", "resourceVersion"});
    std::string_view next = JsonStringAt(doc, {"metadata", "continue"});
    if (cont.empty()) list_rv = std::string(rv);
    cont = std::string(next);
    simdjson::dom::array array;
    if (doc["items"].get_array().get(array) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : array) {
        if (!KindMatches(item)) continue;
        absl::StatusOr<AnyObject> o = DecodeJsonObject(item, ApiVersion(), object_kind_);
        if (o.ok()) {
          items.push_back(std::move(*o));
        } else {
          DecodeFailed(item, o.status());
        }
      }
    }
  } while (!cont.empty());
  ApplyList(items);
  last_list_objects_ = items.size();
  shared_.store->MarkSynced(spec_.kind);
  rv_ = list_rv;
  Log(LogLevel::kInfo, "listed",
      {{"kind", kind_name_}, {"objects", items.size()}, {"resourceVersion", rv_}});
  return Result::kOk;
}

const char* Reflector::ReasonOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kResourceExhausted:
      return "too_large";
    case absl::StatusCode::kDeadlineExceeded:
      return "watch_idle";
    default:
      return "connection";
  }
}

bool Reflector::KindMatches(simdjson::dom::element object) {
  std::string_view kind = JsonStringAt(object, {"kind"});
  if (kind.empty() || kind == object_kind_ ||
      (spec_.metadata_only && kind == "PartialObjectMetadata")) {
    return true;
  }
  CountError("wrong_kind");
  if (!reported_wrong_kind_) {
    reported_wrong_kind_ = true;
    Log(LogLevel::kWarn, "API server sent an object of another kind; skipped",
        {{"kind", kind_name_}, {"got", std::string(kind)}});
  }
  return false;
}

void Reflector::DecodeFailed(simdjson::dom::element object, const absl::Status& why) {
  CountError("decode");
  std::string_view ns = JsonStringAt(object, {"metadata", "namespace"});
  std::string_view name = JsonStringAt(object, {"metadata", "name"});
  Log(LogLevel::kWarn, "object rejected (wrong field types); skipped",
      {{"kind", kind_name_},
       {"namespace", std::string(ns)},
       {"name", std::string(name)},
       {"error", why.message()}});
}

Reflector::Result Reflector::Watch() {
  std::uniform_int_distribution<int64_t> pick(
      absl::ToInt64Seconds(shared_.options.watch_timeout_min),
      std::max(absl::ToInt64Seconds(shared_.options.watch_timeout_min),
               absl::ToInt64Seconds(shared_.options.watch_timeout_max)));
  const int64_t timeout = std::max<int64_t>(1, pick(rng_));
  const std::string path = absl::StrCat(
      Collection(), "?watch=1&allowWatchBookmarks=true&resourceVersion=", UrlEncode(rv_),
      "&timeoutSeconds=", timeout);
  WatchState state;
  const absl::Time started = absl::Now();
  auto on_lines = [&](const std::vector<absl::string_view>& lines) {
    std::vector<ObjectEvent> events;
    bool keep_going = true;
    for (absl::string_view line : lines) {
      ++state.lines_seen;
      const WatchLine parsed =
          ParseWatchLine(state.parser, std::string_view(line.data(), line.size()));
      keep_going =
          std::visit([&](const auto& l) { return OnLine(l, line, state, events); }, parsed);
      if (!keep_going) break;
    }
    if (!events.empty()) shared_.store->Apply(events);
    return keep_going;
  };
  absl::StatusOr<KubeClient::Response> r =
      shared_.client->Stream(path, Accept(false), absl::Seconds(timeout) + absl::Seconds(30),
                             on_lines, [this] { return Stopped(); });
  if (Stopped()) return Result::kStopped;
  if (state.result != Result::kOk) return state.result;
  return WatchEnded(r, state.lines_seen, started);
}

bool Reflector::OnLine(const WatchObject& l, absl::string_view, WatchState&,
                       std::vector<ObjectEvent>& events) {
  if (!KindMatches(l.object)) return true;
  absl::StatusOr<AnyObject> o = DecodeJsonObject(l.object, ApiVersion(), object_kind_);
  if (o.ok()) {
    events.push_back({l.type, *std::move(o)});
  } else {
    DecodeFailed(l.object, o.status());
  }
  if (!l.resource_version.empty()) rv_ = std::string(l.resource_version);
  return true;
}

bool Reflector::OnLine(const WatchBookmark& l, absl::string_view, WatchState&,
                       std::vector<ObjectEvent>&) {
  if (!l.resource_version.empty()) rv_ = std::string(l.resource_version);
  return true;
}

bool Reflector::OnLine(const WatchError& l, absl::string_view, WatchState& state,
                       std::vector<ObjectEvent>&) {
  if (l.code == 410) {
    state.result = Result::kGone;
    return false;
  }
  CountError(absl::StrCat("watch_error_", l.code));
  Log(LogLevel::kWarn, "watch error event",
      {{"kind", kind_name_}, {"code", l.code}, {"message", std::string(l.message)}});
  state.result = Result::kError;
  return false;
}

bool Reflector::OnLine(const WatchUnknownType&, absl::string_view, WatchState&,
                       std::vector<ObjectEvent>&) {
  CountError("unknown_event_type");
  return true;
}

bool Reflector::OnLine(const WatchGarbage&, absl::string_view line, WatchState& state,
                       std::vector<ObjectEvent>&) {
  CountError("garbage_line");
  // Logged once per watch; a stream of garbage ends the watch (with backoff) instead of
  // being read, and logged, line after line.
  if (state.garbage++ == 0) {
    Log(LogLevel::kWarn, "watch sent a line that is not an event; skipped",
        {{"kind", kind_name_}, {"line", std::string(line.substr(0, 200))}});
  }
  if (state.garbage <= kMaxGarbageLines) return true;
  Log(LogLevel::kWarn, "watch sends garbage; reconnecting after a backoff",
      {{"kind", kind_name_}, {"lines", state.garbage}});
  state.result = Result::kError;
  return false;
}

Reflector::Result Reflector::WatchEnded(const absl::StatusOr<KubeClient::Response>& r,
                                        size_t lines_seen, absl::Time started) {
  if (!r.ok()) {
    CountError(ReasonOf(r.status()));
    Log(r.status().code() == absl::StatusCode::kUnavailable ? LogLevel::kInfo : LogLevel::kWarn,
        "watch ended", {{"kind", kind_name_}, {"error", r.status().message()}});
    return Result::kError;
  }
  if (r->status == 410) return Result::kGone;
  if (r->status == 404 && spec_.optional) return Result::kMissing;
  if (r->status != 200) {
    HttpError(*r, "watch");
    return Result::kError;
  }
  // A watch the server ends at once with nothing in it, again and again, would otherwise be
  // re-opened in a tight loop: an empty watch shorter than a second is abnormal.
  if (lines_seen == 0 && absl::Now() - started < absl::Seconds(1)) {
    CountError("watch_ended_early");
    return Result::kError;
  }
  return Result::kOk;
}

}  // namespace dest
