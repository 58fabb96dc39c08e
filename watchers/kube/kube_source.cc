#include "watchers/kube/kube_source.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/log.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/registry.h"
#include "watchers/kube/reflector.h"

namespace dest {
namespace {

using ResourceSpec = WatchedResource;

// The rows of kKinds (kinds.h) watched in this endpoint mode, in the table's order.
std::vector<ResourceSpec> Specs(bool endpoint_slices) {
  std::vector<ResourceSpec> out;
  for (const KindInfo& k : kKinds) {
    if (!WatchedWith(k, endpoint_slices)) continue;
    ResourceSpec spec{k.kind,          std::string(k.group), "", std::string(k.resource),
                      k.metadata_only, k.optional,           {}};
    for (std::string_view v : k.Versions()) spec.versions.emplace_back(v);
    spec.version = spec.versions.front();  // optional kinds replace it by discovery
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace

KubernetesSource::KubernetesSource(std::shared_ptr<KubeClient> client, Options options,
                                   Store* store, prometheus::Registry* registry)
    : client_(std::move(client)), options_(std::move(options)), store_(store) {
  if (registry != nullptr) {
    restarts_ = &prometheus::BuildCounter()
                     .Name("destination_kube_watch_restarts_total")
                     .Help("Watches re-opened, by kind.")
                     .Register(*registry);
    relists_ = &prometheus::BuildCounter()
                    .Name("destination_kube_relists_total")
                    .Help("Full lists after a watch expired (410 Gone), by kind.")
                    .Register(*registry);
    errors_ = &prometheus::BuildCounter()
                   .Name("destination_kube_errors_total")
                   .Help("Kubernetes API errors by kind and reason.")
                   .Register(*registry);
  }
  shared_ = std::make_unique<ReflectorShared>(ReflectorShared{
      client_.get(), store_, options_, &stop_, restarts_, relists_, errors_, options_.events});
}

KubernetesSource::~KubernetesSource() { Stop(); }

std::vector<WatchedResource> KubernetesSource::Resources(bool endpoint_slices) {
  return Specs(endpoint_slices);
}

std::vector<Kind> KubernetesSource::Kinds() const {
  std::vector<Kind> kinds;
  for (const ResourceSpec& s : Specs(options_.endpoint_slices)) kinds.push_back(s.kind);
  return kinds;
}

absl::Status KubernetesSource::Start() {
  std::vector<std::string> watched;
  for (const ResourceSpec& spec : Specs(options_.endpoint_slices)) {
    watched.push_back(spec.group.empty() ? spec.resource
                                         : absl::StrCat(spec.resource, ".", spec.group));
  }
  Log(LogLevel::kInfo, "watching the Kubernetes API",
      {{"server", client_->config().server},
       {"config", client_->config().origin},
       {"resources", absl::StrJoin(watched, ",")}});
  for (ResourceSpec& spec : Specs(options_.endpoint_slices)) {
    reflectors_.push_back(std::make_unique<Reflector>(*shared_, std::move(spec)));
  }
  for (auto& r : reflectors_) threads_.emplace_back([r = r.get()] { r->Run(); });
  return absl::OkStatus();
}

void KubernetesSource::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  client_->Cancel();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace dest
