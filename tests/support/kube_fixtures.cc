#include "tests/support/kube_fixtures.h"

#include <filesystem>
#include <map>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/log.h"
#include "tests/support/test_process.h"
#include "watchers/kinds.h"
#include "yaml-cpp/yaml.h"

namespace dest::testing {

std::string YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "null";
    case YAML::NodeType::Scalar: {
      const std::string& v = node.Scalar();
      if (node.Tag() != "!") {  // plain (unquoted) scalar: infer its type as YAML does
        int64_t i;
        double d;
        if (v == "true" || v == "false" || v == "null") return v;
        if (absl::SimpleAtoi(v, &i)) return v;
        if (v.find_first_of(".eE") != std::string::npos && absl::SimpleAtod(v, &d) &&
            v.find_first_not_of("0123456789.eE+-") == std::string::npos) {
          return v;
        }
      }
      return absl::StrCat("\"", JsonEscape(v), "\"");
    }
    case YAML::NodeType::Sequence: {
      std::string out = "[";
      for (size_t i = 0; i < node.size(); ++i) {
        if (i) out += ",";
        out += YamlToJson(node[i]);
      }
      return out + "]";
    }
    case YAML::NodeType::Map: {
      std::string out = "{";
      bool first = true;
      for (const auto& kv : node) {
        if (!first) out += ",";
        first = false;
        absl::StrAppend(&out, "\"", JsonEscape(kv.first.Scalar()), "\":", YamlToJson(kv.second));
      }
      return out + "}";
    }
  }
  return "null";
}

namespace {

// The kKinds row of a kind: its name ("Service"; "HTTPRoute" is the Gateway API's) or its label
// ("HTTPRoute.policy.linkerd.io"), in `group` when one is given; null when none.
const KindInfo* RowOf(std::string_view kind, std::string_view group = {}) {
  for (const KindInfo& k : kKinds) {
    if (KindLabel(k.kind) == kind) return &k;
    if (k.name == kind && (group.empty() || k.group == group)) return &k;
  }
  return nullptr;
}

// The version a kind is served at: the test's choice (`split_version`) for TrafficSplits when it
// is one of theirs, else the kind's first.
bool VersionChosenByTest(const KindInfo& k, const std::string& version) {
  return k.kind == Kind::kTrafficSplit && !version.empty() &&
         absl::c_linear_search(k.Versions(), std::string_view(version));
}

std::string CollectionOf(const KindInfo& k, const std::string& split_version) {
  const std::string version =
      VersionChosenByTest(k, split_version) ? split_version : std::string(k.Versions().front());
  return k.group.empty() ? absl::StrCat("/api/", version, "/", std::string(k.resource))
                         : absl::StrCat("/apis/", std::string(k.group), "/", version, "/",
                                        std::string(k.resource));
}

}  // namespace

std::string CollectionFor(const std::string& kind, const std::string& split_version) {
  const KindInfo* k = RowOf(kind);
  return k == nullptr ? "" : CollectionOf(*k, split_version);
}

void ServeAll(FakeApiServer& fake, const std::string& split_version) {
  for (const KindInfo& k : kKinds) {
    if (k.kind == Kind::kTrafficSplit && split_version.empty()) continue;  // that CRD is absent
    fake.ServeResource(CollectionOf(k, split_version), std::string(k.name) + "List", k.namespaced);
  }
}

int LoadManifests(FakeApiServer& fake, const std::string& dir, const std::string& split_version) {
  int n = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    std::string path = entry.path().string();
    if (!entry.is_regular_file() || !(path.ends_with(".yaml") || path.ends_with(".yml"))) continue;
    for (const YAML::Node& doc : YAML::LoadAllFromFile(path)) {
      if (!doc.IsMap() || !doc["kind"]) continue;
      const std::string api_version = doc["apiVersion"] ? doc["apiVersion"].Scalar() : "";
      const KindInfo* row = RowOf(doc["kind"].Scalar(), GroupOf(api_version));
      if (row == nullptr) continue;
      const std::string collection = CollectionOf(*row, split_version);
      YAML::Node copy = YAML::Clone(doc);
      if (VersionChosenByTest(*row, split_version)) {
        copy["apiVersion"] = absl::StrCat(std::string(row->group), "/", split_version);
      }
      fake.Upsert(collection, YamlToJson(copy));
      ++n;
    }
  }
  return n;
}

StoreWaiter::StoreWaiter(Store* store) {
  store->AddListener([this](const std::vector<StoreChange>&) {
    absl::MutexLock lock(&mu_);
    ++generation_;
  });
}

bool StoreWaiter::WaitFor(const std::function<bool()>& pred, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    uint64_t seen;
    {
      absl::MutexLock lock(&mu_);
      seen = generation_;
    }
    if (pred()) return true;
    absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::MutexLock lock(&mu_);
    auto changed = [this, seen]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return generation_ != seen; };
    mu_.AwaitWithTimeout(absl::Condition(&changed),
                         std::min(deadline - now, absl::Milliseconds(20)));
  }
}

}  // namespace dest::testing
