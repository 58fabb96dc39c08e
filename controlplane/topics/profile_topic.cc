#include "controlplane/topics/profile_topic.h"

#include "absl/strings/str_cat.h"
#include "controlplane/translate/authority.h"

namespace dest {

std::string ProfileKey::ToString() const {
  return absl::StrCat(service, ".", ns, ":", port,
                      client_ns.empty() ? "" : " client_ns=", client_ns);
}

void ReadRoutes(const Store& store, const std::string& ns, const std::string& service,
                ProfileInputs* in) {
  in->routes = store.RoutesForService(ns, service);
  in->grants.clear();
  for (const std::string& backend_ns : CrossNamespaceBackends(in->routes)) {
    for (auto& grant : store.GrantsInNamespace(backend_ns)) in->grants.push_back(std::move(grant));
  }
}

io::linkerd::proxy::destination::DestinationProfile ComputeProfile(const ProfileKey& key,
                                                                   const Store& store,
                                                                   const TranslatorOptions& options,
                                                                   const LastValidObjects& in_force,
                                                                   ProfileWhy* why) {
  ProfileInputs local;
  ProfileInputs& in = why != nullptr ? why->inputs : local;
  in.service_name = key.service;
  in.service_ns = key.ns;
  in.port = key.port;
  in.service = store.Get<Service>(key.ns, key.service);
  const std::string fqdn =
      ServiceFqdn{ServiceRef{key.ns, key.service}}.Format(options.cluster_domain);
  auto look = [&](const std::string& ns, const char* role) {
    std::shared_ptr<const ServiceProfile> sp = store.Get<ServiceProfile>(ns, fqdn);
    if (why != nullptr) {
      ProfileWhy::Candidate c;
      c.ns = ns;
      c.name = fqdn;
      c.role = role;
      c.exists = sp != nullptr;
      if (sp != nullptr) {
        if (absl::Status valid = TranslateServiceProfile(*sp, key.port).status(); !valid.ok()) {
          c.invalid_reason = std::string(valid.message());
          c.last_valid_in_force = in_force.profiles.HasLastValid(ns, fqdn);
        }
      }
      why->candidates.push_back(std::move(c));
    }
    return sp;
  };
  if (!key.client_ns.empty()) in.profile = look(key.client_ns, "client namespace");
  // Explain also shows the Service's namespace when the client's one wins.
  if (in.profile == nullptr) {
    in.profile = look(key.ns, "service namespace");
  } else if (why != nullptr) {
    look(key.ns, "service namespace");
  }
  in.profile = in_force.profiles.InForce(std::move(in.profile));
  in.splits = in_force.SplitsInForce(store.SplitsForService(key.ns, key.service));
  ReadRoutes(store, key.ns, key.service, &in);
  in.client_ns = key.client_ns;

  // Invalid with no last valid version: served without a ServiceProfile. (The rejection itself
  // is logged and counted once per change by the TopicRegistry.)
  const TranslatedServiceProfile* sp = nullptr;
  std::optional<TranslatedServiceProfile> translated;
  if (in.profile != nullptr) {
    absl::StatusOr<TranslatedServiceProfile> t = TranslateServiceProfile(*in.profile, key.port);
    if (t.ok()) sp = &translated.emplace(*std::move(t));
  }
  if (why != nullptr) why->translated = sp != nullptr;
  return BuildProfile(in, sp, options, why != nullptr ? &why->notes : nullptr);
}

std::shared_ptr<const ProfileSnapshot> ProfileTopic::ComputeLocked(
    const std::shared_ptr<const ProfileSnapshot>& previous) {
  return NextProfileSnapshot(previous,
                             ComputeProfile(key_, *store_, *options_, *in_force_, nullptr));
}

}  // namespace dest
