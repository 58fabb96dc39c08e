// destination: the destination service of the mesh control plane.
//
// Startup: flags -> logging -> store -> topics -> source initial load -> gRPC + admin servers.
// Shutdown (SIGTERM/SIGINT): not ready -> drain streams with UNAVAILABLE -> stop the gRPC server
// within -shutdown-grace -> stop the source and admin server -> exit 0.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/resource_quota.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/flag_args.h"
#include "base/log.h"
#include "base/recent_events.h"
#include "controlplane/server/admin_server.h"
#include "controlplane/server/debug_pages.h"
#include "controlplane/server/debug_service.h"
#include "controlplane/server/destination_service.h"
#include "controlplane/server/grpc_metrics.h"
#include "controlplane/server/health_service.h"
#include "controlplane/server/process_metrics.h"
#include "controlplane/server/reflection_v1_service.h"
#include "controlplane/topics/explainer.h"
#include "controlplane/topics/topic_registry.h"
#include "google/protobuf/stubs/common.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "watchers/kube/kube_config.h"
#include "watchers/kube/kube_source.h"
#include "watchers/manifests/manifests_source.h"
#include "watchers/store/store.h"

ABSL_FLAG(std::string, addr, ":8086", "address to serve the Destination gRPC API on (host:port)");
ABSL_FLAG(std::string, admin_addr, ":9996", "address of the admin HTTP server (host:port)");
ABSL_FLAG(std::string, cluster_domain, "cluster.local", "Kubernetes cluster domain");
ABSL_FLAG(std::string, controller_namespace, "linkerd", "namespace of the control plane");
ABSL_FLAG(std::string, identity_trust_domain, "cluster.local", "trust domain of mesh identities");
ABSL_FLAG(bool, enable_h2_upgrade, true, "hint proxies to upgrade HTTP/1 to HTTP/2 between them");
ABSL_FLAG(bool, enable_identity, true, "serve TLS identities for meshed endpoints");
ABSL_FLAG(bool, enable_endpoint_slices, true,
          "read endpoints from discovery.k8s.io/v1 EndpointSlices; false: core/v1 Endpoints");
ABSL_FLAG(std::string, default_opaque_ports, "25,587,3306,4444,5432,6379,9300,11211",
          "ports treated as opaque when no opaque-ports annotation applies (numbers and ranges)");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warn or error");
ABSL_FLAG(std::string, log_format, "plain", "plain or json");
ABSL_FLAG(std::string, source, "",
          "where objects come from: manifests or kubernetes; default: manifests when -manifests is "
          "set, kubernetes otherwise (in-cluster when KUBERNETES_SERVICE_HOST is set)");
ABSL_FLAG(std::string, manifests, "",
          "directory of Kubernetes YAML/JSON manifests (-source=manifests)");
ABSL_FLAG(int64_t, max_manifest_bytes, 16 << 20,
          "a larger manifest file is rejected (-source=manifests); its previous objects stay");
ABSL_FLAG(std::string, kubeconfig, "",
          "kubeconfig to use (-source=kubernetes); default: in-cluster, then $KUBECONFIG, then "
          "~/.kube/config");
ABSL_FLAG(std::string, kube_context, "", "kubeconfig context (default: its current-context)");
ABSL_FLAG(std::string, kube_service_account_dir, "/var/run/secrets/kubernetes.io/serviceaccount",
          "where the in-cluster token, CA and namespace files are");
ABSL_FLAG(double, kube_qps, 50, "client-side rate limit on Kubernetes API requests per second");
ABSL_FLAG(int32_t, kube_burst, 100, "burst allowed above -kube-qps");
ABSL_FLAG(absl::Duration, kube_watch_timeout, absl::Minutes(5),
          "watches are re-opened after a random time between this and twice this");
ABSL_FLAG(int64_t, kube_max_list_page_mb, 256,
          "a larger API answer (one list page) is refused and the list retried after a backoff");
ABSL_FLAG(int64_t, kube_max_watch_event_mb, 16,
          "a longer watch event line ends the watch, which is re-opened after a backoff");
ABSL_FLAG(absl::Duration, kube_watch_idle_timeout, absl::Minutes(2),
          "a watch that delivers no byte (not even a bookmark) for this long is re-opened");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "how long open streams get to end after SIGTERM before the process exits");
ABSL_FLAG(bool, print_watched_resources, false,
          "print the Kubernetes resources -source=kubernetes watches with these flags (one JSON "
          "line each: group, resource, verbs) and exit; the Helm chart's RBAC rules are these");
ABSL_FLAG(int64_t, max_streams, 200000,
          "open Get/GetProfile streams at most; more are refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_authority_bytes, 1024,
          "longer authorities are refused with INVALID_ARGUMENT");
ABSL_FLAG(int64_t, max_context_token_bytes, 4096,
          "longer context tokens are refused with INVALID_ARGUMENT");
ABSL_FLAG(int64_t, grpc_memory_limit_mb, 2048,
          "bound on gRPC transport memory (ResourceQuota), in MiB");

namespace dest {
namespace {

// Set as soon as the command line asks for -log-format=json, before any flag is checked, so that
// even a startup error is one JSON line for the log pipeline.
bool json_startup_errors = false;

[[noreturn]] void Fatal(absl::string_view what) {
  if (json_startup_errors) {
    Log(LogLevel::kError, "cannot start", {{"error", what}});
  } else {
    std::fprintf(stderr, "destination: %.*s\n", static_cast<int>(what.size()), what.data());
  }
  std::exit(2);
}

// With -log-format=json, checks every flag's name and value before Abseil's parser does (it would
// print its own plain-text error): the first bad one ends the process with a JSON line.
void CheckFlagsForJson(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--log_format=json" ||
        (args[i] == "--log_format" && i + 1 < args.size() && args[i + 1] == "json")) {
      json_startup_errors = true;
      SetLogFormat(LogFormat::kJson);
    }
  }
  if (!json_startup_errors) return;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") break;
    if (!absl::StartsWith(arg, "--")) continue;  // positional: reported after parsing
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    const bool negated_bool = flag == nullptr && absl::StartsWith(name, "no") &&
                              absl::FindCommandLineFlag(name.substr(2)) != nullptr;
    if (flag == nullptr && !negated_bool) Fatal(absl::StrCat("unknown flag -", name));
    if (negated_bool || eq != std::string::npos || flag->IsOfType<bool>()) {
      if (eq == std::string::npos) continue;
      std::string error;
      std::string value = arg.substr(eq + 1);
      if (!flag->ParseFrom(value, &error)) Fatal(absl::StrCat("-", name, ": ", error));
    } else if (++i >= args.size()) {
      Fatal(absl::StrCat("-", name, ": missing value"));
    } else if (std::string error; !flag->ParseFrom(args[i], &error)) {
      Fatal(absl::StrCat("-", name, ": ", error));
    }
  }
}

// ":8086" -> "[::]:8086"; "host:port" unchanged. Fails on a missing or bad port.
std::string GrpcListenAddress(const std::string& flag, const std::string& addr) {
  size_t colon = addr.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &port) ||
      port > 65535) {
    Fatal(absl::StrCat("-", flag, "=", addr, ": want host:port or :port"));
  }
  if (colon == 0) return absl::StrCat("[::]", addr);
  return addr;
}

// How long gRPC gets, past the shutdown deadline, to end the calls it cancelled.
constexpr absl::Duration kShutdownStraggle = absl::Seconds(2);

// Waits for SIGTERM or SIGINT and returns it. SIGHUP is not a stop signal here: both sources
// follow their inputs live, so there is nothing to reload; it is logged and ignored rather than
// killing the process without a drain (its default action).
int WaitForStopSignal(const sigset_t& signals) {
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig != SIGHUP) return sig;
    Log(LogLevel::kInfo, "SIGHUP ignored: the service follows its sources live; SIGTERM stops it");
  }
}

// Runs on its own thread once shutdown has begun: a second SIGTERM or SIGINT exits at once.
void ExitOnSecondSignal(sigset_t signals) {
  const int sig = WaitForStopSignal(signals);
  Log(LogLevel::kWarn, "second stop signal: exiting without waiting for the drain",
      {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  std::_Exit(1);
}

// One JSON line per watched resource: what the service needs the API server to allow, no more.
void PrintWatchedResources(bool endpoint_slices) {
  for (const WatchedResource& r : KubernetesSource::Resources(endpoint_slices)) {
    std::printf(
        "{\"group\":\"%s\",\"resource\":\"%s\",\"kind\":\"%s\",\"optional\":%s,"
        "\"verbs\":[\"get\",\"list\",\"watch\"]}\n",
        r.group.c_str(), r.resource.c_str(), KindName(r.kind), r.optional ? "true" : "false");
  }
}

// Blocks the stop signals (taken synchronously by the main thread, so before any thread starts),
// parses the command line and sets up logging. Exits on a bad flag.
sigset_t ParseCommandLineAndBlockSignals(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage(
      "the destination service: serves Destination.Get and GetProfile to mesh proxies.\n"
      "  destination -source=manifests -manifests=DIR [-addr=:8086] [-admin-addr=:9996]");
  std::vector<std::string> args = NormalizeFlagArgs(argc, argv);
  CheckFlagsForJson(args);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (rest.size() > 1) Fatal(absl::StrCat("unexpected argument \"", rest[1], "\""));

  absl::StatusOr<LogLevel> level = ParseLogLevel(absl::GetFlag(FLAGS_log_level));
  if (!level.ok()) Fatal(absl::StrCat("-log-level: ", level.status().message()));
  absl::StatusOr<LogFormat> format = ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!format.ok()) Fatal(absl::StrCat("-log-format: ", format.status().message()));
  SetLogLevel(*level);
  SetLogFormat(*format);
  return signals;
}

TranslatorOptions TranslatorOptionsFromFlags() {
  TranslatorOptions options;
  options.cluster_domain = absl::GetFlag(FLAGS_cluster_domain);
  options.controller_namespace = absl::GetFlag(FLAGS_controller_namespace);
  options.identity_trust_domain = absl::GetFlag(FLAGS_identity_trust_domain);
  options.enable_h2_upgrade = absl::GetFlag(FLAGS_enable_h2_upgrade);
  options.enable_identity = absl::GetFlag(FLAGS_enable_identity);
  options.endpoint_slices = absl::GetFlag(FLAGS_enable_endpoint_slices);
  std::vector<std::string> port_problems;
  options.default_opaque_ports =
      PortSet::Parse(absl::GetFlag(FLAGS_default_opaque_ports), nullptr, &port_problems);
  if (!port_problems.empty()) Fatal(absl::StrCat("-default-opaque-ports: ", port_problems[0]));
  if (options.cluster_domain.empty()) Fatal("-cluster-domain must not be empty");
  return options;
}

std::unique_ptr<Source> MakeManifestsSource(Store* store, prometheus::Registry* registry) {
  std::string dir = absl::GetFlag(FLAGS_manifests);
  if (dir.empty()) Fatal("-source=manifests needs -manifests=DIR");
  if (absl::GetFlag(FLAGS_max_manifest_bytes) < 1) Fatal("-max-manifest-bytes must be positive");
  return std::make_unique<ManifestsSource>(
      ManifestsSource::Options{
          .dir = dir,
          .max_file_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_manifest_bytes))},
      store, registry);
}

KubeClient::Options KubeClientOptionsFromFlags() {
  KubeClient::Options client_options;
  client_options.qps = absl::GetFlag(FLAGS_kube_qps);
  client_options.burst = absl::GetFlag(FLAGS_kube_burst);
  if (client_options.qps <= 0 || client_options.burst < 1)
    Fatal("-kube-qps and -kube-burst must be positive");
  const int64_t page_mb = absl::GetFlag(FLAGS_kube_max_list_page_mb);
  const int64_t event_mb = absl::GetFlag(FLAGS_kube_max_watch_event_mb);
  if (page_mb < 1 || event_mb < 1) {
    Fatal("-kube-max-list-page-mb and -kube-max-watch-event-mb must be positive");
  }
  client_options.max_body_bytes = static_cast<size_t>(page_mb) << 20;
  client_options.max_line_bytes = static_cast<size_t>(event_mb) << 20;
  client_options.stream_idle_timeout = absl::GetFlag(FLAGS_kube_watch_idle_timeout);
  if (client_options.stream_idle_timeout < absl::Seconds(2)) {
    Fatal("-kube-watch-idle-timeout must be at least 2s");
  }
  return client_options;
}

std::unique_ptr<Source> MakeKubernetesSource(const TranslatorOptions& options, Store* store,
                                             prometheus::Registry* registry, RecentEvents* events) {
  absl::StatusOr<KubeConfig> config =
      LoadKubeConfig(absl::GetFlag(FLAGS_kubeconfig), absl::GetFlag(FLAGS_kube_context),
                     ProcessEnv(), absl::GetFlag(FLAGS_kube_service_account_dir));
  if (!config.ok()) {
    Fatal(absl::StrCat("-source=kubernetes: ", config.status().message(),
                       " (or run on manifests: -manifests=DIR)"));
  }
  auto client = std::make_shared<KubeClient>(*config, KubeClientOptionsFromFlags());
  KubernetesSource::Options kube_options;
  kube_options.endpoint_slices = options.endpoint_slices;
  kube_options.events = events;
  kube_options.watch_timeout_min = absl::GetFlag(FLAGS_kube_watch_timeout);
  kube_options.watch_timeout_max = 2 * kube_options.watch_timeout_min;
  if (kube_options.watch_timeout_min < absl::Seconds(1))
    Fatal("-kube-watch-timeout must be at least 1s");
  return std::make_unique<KubernetesSource>(client, kube_options, store, registry);
}

// The source -source names (by default: manifests when -manifests is set, else Kubernetes).
std::unique_ptr<Source> MakeSource(const TranslatorOptions& options, Store* store,
                                   prometheus::Registry* registry, RecentEvents* events,
                                   std::string* name) {
  *name = absl::GetFlag(FLAGS_source);
  if (name->empty()) *name = absl::GetFlag(FLAGS_manifests).empty() ? "kubernetes" : "manifests";
  if (*name == "manifests") return MakeManifestsSource(store, registry);
  if (*name == "kubernetes") return MakeKubernetesSource(options, store, registry, events);
  Fatal(absl::StrCat("-source=", *name, ": want manifests or kubernetes"));
}

// destination_build_info{version,grpc_version,protobuf_version} 1: what is running, for dashboards
// and for telling replicas of two versions apart during a rollout.
void RegisterBuildInfo(prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("destination_build_info")
      .Help("Always 1; the labels say which build is running.")
      .Register(registry)
      .Add({{"version", DEST_VERSION},
            {"grpc_version", grpc::Version()},
            {"protobuf_version",
             google::protobuf::internal::VersionString(GOOGLE_PROTOBUF_VERSION)}})
      .Set(1);
}

DestinationService::Limits StreamLimitsFromFlags() {
  DestinationService::Limits limits;
  for (auto [flag, value, out] :
       {std::tuple("-max-streams", absl::GetFlag(FLAGS_max_streams), &limits.max_streams),
        std::tuple("-max-authority-bytes", absl::GetFlag(FLAGS_max_authority_bytes),
                   &limits.max_authority_bytes),
        std::tuple("-max-context-token-bytes", absl::GetFlag(FLAGS_max_context_token_bytes),
                   &limits.max_context_token_bytes)}) {
    if (value < 1) Fatal(absl::StrCat(flag, " must be positive"));
    *out = static_cast<size_t>(value);
  }
  return limits;
}

// The gRPC services the server registers (besides reflection, which describes them).
struct GrpcServices {
  DestinationService* destination;
  DebugService* debug;
  HealthService* health;
  GrpcMetrics* metrics;  // counts every call of every service
};

// Builds and starts the gRPC server with the services and reflection (v1alpha and v1) on -addr.
// Exits when it cannot listen. `quota` must outlive the server.
std::unique_ptr<grpc::Server> StartGrpcServer(const GrpcServices& services,
                                              grpc::ResourceQuota* quota, std::string* listen,
                                              int* port) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Reflection v1 beside the plugin's v1alpha, owned by the server. Its service list is not
  // written here: it is the server's own list of registered services, read while the server is
  // built, the very list the v1alpha plugin answers with. So every service registered on this
  // builder, now or later, is listed by both versions, and there is no second list to forget.
  builder.SetOption(ReflectionV1Service::BuilderOption());
  *listen = GrpcListenAddress("addr", absl::GetFlag(FLAGS_addr));
  builder.AddListeningPort(*listen, grpc::InsecureServerCredentials(), port);
  builder.RegisterService(services.destination);
  builder.RegisterService(services.debug);
  builder.RegisterService(services.health);
  // Their series exist from the start, at zero.
  for (const char* service : {io::linkerd::proxy::destination::Destination::service_full_name(),
                              io::destination::debug::v1::Debug::service_full_name(),
                              grpc::health::v1::Health::service_full_name()}) {
    services.metrics->InitializeService(service);
  }
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(services.metrics->NewFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  quota->Resize(static_cast<size_t>(absl::GetFlag(FLAGS_grpc_memory_limit_mb)) << 20);
  builder.SetResourceQuota(*quota);
  // Proxies ping every few seconds on idle connections; never answer that with GOAWAY.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Find dead peers whose streams would otherwise be held forever.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || *port == 0) {
    Fatal(absl::StrCat("-addr=", absl::GetFlag(FLAGS_addr), ": cannot listen on ", *listen));
  }
  return server;
}

// The admin server's address, its scrape-time updates, and the debug pages.
AdminServer::Options AdminOptions(ProcessMetrics* process_metrics, const TopicRegistry* topics,
                                  const DebugService* debug, const Explainer* explainer,
                                  std::function<DebugPageInfo()> page_info) {
  return AdminServer::Options{.addr = absl::GetFlag(FLAGS_admin_addr),
                              .before_scrape =
                                  [process_metrics, topics] {
                                    process_metrics->Update();
                                    topics->UpdateScrapeGauges();
                                  },
                              .pages = DebugPages(debug, explainer, std::move(page_info))};
}

// What the source loaded, one field per kind of the table.
void LogSourceStarted(const std::string& source_name, const Store& store) {
  std::string counts;
  for (const KindInfo& k : kKinds) {
    std::string name(k.resource);
    // Qualified by the group where two groups share the resource's name (httproutes).
    if (NameIsShared(k.kind)) absl::StrAppend(&name, ".", std::string(k.group));
    absl::StrAppend(&counts, counts.empty() ? "" : ",", name, "=", store.Count(k.kind));
  }
  Log(LogLevel::kInfo, "source started", {{"source", source_name}, {"objects", counts}});
}

// After the stop signal: not ready, streams drained (bounded by -shutdown-grace), the gRPC
// server shut down (itself bounded: past grace + kShutdownStraggle the process exits 1).
void Shutdown(const sigset_t& signals, int sig, grpc::Server* server,
              DestinationService* destination, HealthService* health, std::atomic<bool>* serving) {
  Log(LogLevel::kInfo, "shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  // From here on a second SIGTERM or SIGINT ends the process at once.
  std::thread(ExitOnSecondSignal, signals).detach();
  *serving = false;
  health->SetServing(false);
  destination->Drain();
  health->Shutdown();  // ends Watch streams now, so they do not hold the grace period
  // Our streams end as soon as their last write completes; wait for that (bounded by the grace),
  // then give in-flight unary calls a moment. gRPC would otherwise also wait for idle client
  // connections to close, holding every shutdown for the whole grace period.
  const absl::Time grace_end = absl::Now() + absl::GetFlag(FLAGS_shutdown_grace);
  while (destination->OpenStreams() > 0 && absl::Now() < grace_end) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const absl::Time unary_end = std::min(grace_end, absl::Now() + absl::Milliseconds(250));
  // Shutdown cancels every call still open at its deadline, then waits for all of them to end.
  // That wait is bounded too: a call that never ends must not keep the process alive.
  absl::Notification server_stopped;
  std::thread stopper([&] {
    server->Shutdown(absl::ToChronoTime(unary_end));
    server->Wait();
    server_stopped.Notify();
  });
  if (!server_stopped.WaitForNotificationWithTimeout(
          std::max(unary_end - absl::Now(), absl::ZeroDuration()) + kShutdownStraggle)) {
    Log(LogLevel::kWarn, "shutdown abandoned: calls still open after the grace period",
        {{"open_streams", destination->OpenStreams()}});
    std::_Exit(1);
  }
  stopper.join();
}

// flags -> store, topics -> source -> admin -> gRPC -> serve until a stop signal -> shutdown.
int Run(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on Mutex deadlock detection: a global lock
  // graph updated on every lock, ours and gRPC's, costing ~12% of each delivered message and
  // growing with the number of streams. Tests keep it (they exercise the lock order); the
  // service turns it off.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ProcessMetrics::LimitMallocArenas();  // before any thread allocates
  const sigset_t signals = ParseCommandLineAndBlockSignals(argc, argv);
  const TranslatorOptions options = TranslatorOptionsFromFlags();
  if (absl::GetFlag(FLAGS_print_watched_resources)) {
    PrintWatchedResources(options.endpoint_slices);
    return 0;
  }

  auto registry = std::make_shared<prometheus::Registry>();
  RegisterBuildInfo(*registry);
  RecentEvents events;
  Store store(registry.get());
  FanoutScheduler fanout(FanoutScheduler::DefaultThreads());
  TopicRegistry topics(&store, options, registry.get(), &fanout, &events);
  store.AddListener([&topics](const std::vector<StoreChange>& c) { topics.OnStoreChanges(c); });
  std::string source_name;
  std::unique_ptr<Source> source =
      MakeSource(options, &store, registry.get(), &events, &source_name);
  const std::vector<Kind> kinds = source->Kinds();

  const DestinationService::Limits limits = StreamLimitsFromFlags();
  GrpcMetrics grpc_metrics(registry.get());
  DestinationService destination(&store, &topics, registry.get(), limits, &grpc_metrics);
  Explainer explainer(&store, &topics, &events);
  DebugService debug(&explainer, {limits.max_authority_bytes, limits.max_context_token_bytes});
  std::atomic<bool> serving{false};
  auto ready = [&] { return serving.load() && store.AllSynced(kinds); };
  ProcessMetrics process_metrics(registry.get());
  AdminServer admin(
      AdminOptions(
          &process_metrics, &topics, &debug, &explainer,
          [&] {
            return DebugPageInfo{DEST_VERSION, source_name, ready(), destination.OpenStreams()};
          }),
      registry.get(), ready);
  if (absl::Status s = admin.Start(); !s.ok()) Fatal(absl::StrCat("-admin-addr: ", s.message()));

  if (absl::Status s = source->Start(); !s.ok()) Fatal(s.message());
  LogSourceStarted(source_name, store);

  HealthService health;
  grpc::ResourceQuota quota("destination");
  std::string listen;
  int grpc_port = 0;
  std::unique_ptr<grpc::Server> server = StartGrpcServer(
      GrpcServices{&destination, &debug, &health, &grpc_metrics}, &quota, &listen, &grpc_port);
  serving = true;
  // The gRPC health status follows /ready: SERVING once every watched kind has been listed (at
  // once with the manifests source, which loads before this point), so that a client checking
  // it does not take a replica still listing for one that serves the whole cluster.
  absl::Notification stop_health_follower;
  std::thread health_follower;
  if (store.AllSynced(kinds)) {
    health.SetServing(true);
  } else {
    health_follower = std::thread([&] {
      while (!store.AllSynced(kinds)) {
        if (stop_health_follower.WaitForNotificationWithTimeout(absl::Milliseconds(20))) return;
      }
      health.SetServing(true);
    });
  }
  Log(LogLevel::kInfo, "serving",
      {{"grpc_addr", listen},
       {"grpc_port", grpc_port},
       {"admin_port", admin.port()},
       {"version", DEST_VERSION}});

  const int sig = WaitForStopSignal(signals);
  stop_health_follower.Notify();
  if (health_follower.joinable()) health_follower.join();
  Shutdown(signals, sig, server.get(), &destination, &health, &serving);
  source->Stop();
  fanout.Stop();
  admin.Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace dest

int main(int argc, char** argv) { return dest::Run(argc, argv); }
