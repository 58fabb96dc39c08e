#include "controlplane/topics/profile_topic.h"

#include "absl/strings/str_cat.h"
#include "controlplane/translate/authority.h"

namespace dest {

std::string ProfileKey::ToString() const {
  return absl::StrCat(service, ".", ns, ":", port,
                      client_ns.empty() ? "" : " client_ns=", client_ns);
}

std::shared_ptr<const ProfileSnapshot> ProfileTopic::ComputeLocked(
    const std::shared_ptr<const ProfileSnapshot>& previous) {
  ProfileInputs in;
  in.service_name = key_.service;
  in.service_ns = key_.ns;
  in.port = key_.port;
  in.service = store_->Get<Service>(key_.ns, key_.service);
  const std::string fqdn =
      ServiceFqdn{ServiceRef{key_.ns, key_.service}}.Format(options_->cluster_domain);
  if (!key_.client_ns.empty()) in.profile = store_->Get<ServiceProfile>(key_.client_ns, fqdn);
  if (in.profile == nullptr) in.profile = store_->Get<ServiceProfile>(key_.ns, fqdn);
  in.profile = in_force_->profiles.InForce(std::move(in.profile));
  in.splits = in_force_->SplitsInForce(store_->SplitsForService(key_.ns, key_.service));

  // Invalid with no last valid version: served without a ServiceProfile. (The rejection itself
  // is logged and counted once per change by the TopicRegistry.)
  const TranslatedServiceProfile* sp = nullptr;
  std::optional<TranslatedServiceProfile> translated;
  if (in.profile != nullptr) {
    absl::StatusOr<TranslatedServiceProfile> t = TranslateServiceProfile(*in.profile, key_.port);
    if (t.ok()) sp = &translated.emplace(*std::move(t));
  }

  return NextProfileSnapshot(previous, BuildProfile(in, sp, *options_, nullptr));
}

}  // namespace dest
