// kube_bench: the Kubernetes source at scale (issue 14). The real `destination` binary lists and
// watches the project's fake API server (tests/support/fake_api_server.h), loaded in-process with
// P Pods of about 3 KB of JSON each, S Services, S EndpointSlices and S ReplicaSets (see
// bench/kube_objects.h), and kube_bench measures:
//   1. time and server CPU from start to /ready 200, and RSS at ready next to the RSS of the same
//      binary on an empty API server (the same kinds served, no objects): RSS per Pod and per
//      object;
//   2. with N Get/GetProfile streams open on the Services, server CPU per watch event for W Pod
//      modifications that change nothing a proxy sees (an annotation the service does not read),
//      and the messages the streams received meanwhile (expected: none);
//   3. a relist of every kind after 410 Gone (the fake compacts its history, every watch gets an
//      in-stream ERROR): wall time and server CPU until every kind watches again, and the messages
//      the streams received (expected: none, since no object changed).
// Output: a table, then one JSON line with every figure. A benchmark, not a test: it never passes
// or fails; it exits 2 with one line only when the setup fails. Every wait has a deadline; the
// server is always killed at the end. See docs/benchmarks.md.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/child_process.h"
#include "base/flag_args.h"
#include "base/proc_stats.h"
#include "bench/arrivals.h"
#include "bench/bench_process.h"
#include "bench/kube_objects.h"
#include "bench/report.h"
#include "bench/stream_client.h"
#include "tests/support/fake_api_server.h"
#include "tests/support/kube_fixtures.h"
#include "tests/support/test_process.h"
#include "watchers/kinds.h"

ABSL_FLAG(int, pods, 100000, "Pods in the cluster (P), spread round-robin over the Services");
ABSL_FLAG(int, services, 10000,
          "Services (S), each with one EndpointSlice listing its Pods and one ReplicaSet owning "
          "them");
ABSL_FLAG(int, nodes, 20, "Nodes the Pods are scheduled on");
ABSL_FLAG(std::string, destination, "",
          "the destination binary (default: `destination` next to kube_bench)");
ABSL_FLAG(std::string, server_args, "",
          "comma-separated extra arguments for the server, e.g. -kube-qps=500,-kube-burst=1000");
ABSL_FLAG(int, watch_events, 10000,
          "Pod modifications sent as watch events (an annotation no proxy sees changes)");
ABSL_FLAG(int, streams, 1000,
          "streams opened before the watch events and the relist (half Get, half GetProfile)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(300), "deadline of each phase");
ABSL_FLAG(absl::Duration, settle, absl::Seconds(1),
          "quiet time after each phase, for late messages; also the idle-CPU calibration window");

namespace dest::bench {
namespace {

using ::dest::testing::CollectionFor;
using ::dest::testing::FakeApiServer;

constexpr absl::Duration kReadyPoll = absl::Milliseconds(10);
constexpr absl::Duration kMetricsPoll = absl::Milliseconds(50);
constexpr int kMaxConnections = 10;

// What an interrupted run must not leave behind: the server and the temporary directory.
absl::Mutex g_cleanup_mu;
pid_t g_server_pid ABSL_GUARDED_BY(g_cleanup_mu) = -1;
std::string g_tmp_dir ABSL_GUARDED_BY(g_cleanup_mu);

void CleanUp() {
  absl::MutexLock lock(&g_cleanup_mu);
  if (g_server_pid > 0) ::kill(g_server_pid, SIGKILL);
  g_server_pid = -1;
  if (!g_tmp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(g_tmp_dir, ec);
    g_tmp_dir.clear();
  }
}

// One line, then exit 2 at once (threads of the fake API server and gRPC may still run).
[[noreturn]] void Fatal(const std::string& what) {
  CleanUp();
  std::fflush(stdout);
  std::fprintf(stderr, "kube_bench: %s\n", what.c_str());
  std::fflush(stderr);
  ::_exit(2);
}

void Progress(const std::string& what) {
  std::fprintf(stderr, "kube_bench: %s\n", what.c_str());
  std::fflush(stderr);
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }
double Mib(int64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// The series of one scrape: "name{labels}" -> value.
using Metrics = std::map<std::string, double>;

// The sum of the series of `name` whose labels contain every `label="value"` of `labels`.
double Sum(const Metrics& m, const std::string& name,
           const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  double total = 0;
  for (auto it = m.lower_bound(name); it != m.end() && absl::StartsWith(it->first, name); ++it) {
    const std::string& series = it->first;
    if (series.size() != name.size() && series[name.size()] != '{') continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      match = match && absl::StrContains(series, absl::StrCat(k, "=\"", v, "\""));
    }
    if (match) total += it->second;
  }
  return total;
}

// The kinds the Kubernetes source watches with its default flags (EndpointSlices, not Endpoints).
std::vector<const KindInfo*> WatchedKinds() {
  std::vector<const KindInfo*> out;
  for (const KindInfo& k : kKinds) {
    if (WatchedWith(k, /*endpoint_slices=*/true)) out.push_back(&k);
  }
  return out;
}

bool IsWatch(const FakeApiServer::Request& r) {
  const std::string w = r.Param("watch");
  return w == "1" || w == "true";
}

// One run of the real binary against one fake API server.
struct Server {
  std::unique_ptr<ChildProcess> process = std::make_unique<ChildProcess>();
  std::vector<std::string> argv;
  int grpc_port = 0;
  int admin_port = 0;
  double ready_wall_s = NAN;  // from the fork to /ready 200
  double ready_cpu_s = NAN;   // server CPU (utime + stime) at that moment
  double fake_cpu_s = NAN;    // kube_bench's own CPU meanwhile (the fake API server answering)
  int64_t rss_ready = 0;
  pid_t pid() const { return process->pid(); }
};

// The run's settings, from the flags.
struct Config {
  KubeObjects::Options objects;
  std::string destination;
  std::vector<std::string> server_args;
  int watch_events = 0;
  int streams = 0;
  absl::Duration timeout;
  absl::Duration settle;

  static Config FromFlags() {
    Config c;
    c.objects.pods = absl::GetFlag(FLAGS_pods);
    c.objects.services = absl::GetFlag(FLAGS_services);
    c.objects.nodes = absl::GetFlag(FLAGS_nodes);
    c.destination = absl::GetFlag(FLAGS_destination);
    if (c.destination.empty()) c.destination = DefaultServerPath();
    if (::access(c.destination.c_str(), X_OK) != 0) {
      Fatal(
          absl::StrCat("no executable destination binary at ", c.destination, " (--destination)"));
    }
    c.server_args = SplitList(absl::GetFlag(FLAGS_server_args));
    c.watch_events = absl::GetFlag(FLAGS_watch_events);
    c.streams = absl::GetFlag(FLAGS_streams);
    if (c.watch_events < 0 || c.streams < 0) Fatal("--watch-events and --streams must be >= 0");
    c.timeout = absl::GetFlag(FLAGS_timeout);
    c.settle = absl::GetFlag(FLAGS_settle);
    if (c.timeout <= absl::ZeroDuration() || c.settle < absl::ZeroDuration()) {
      Fatal("--timeout must be positive and --settle not negative");
    }
    return c;
  }
};

class Bench {
 public:
  Bench(Config config, KubeObjects objects)
      : config_(std::move(config)), objects_(std::move(objects)) {}

  void Run() {
    MakeTempDir();
    MeasureBaseline();
    LoadCluster();
    MeasureReady();
    OpenStreams();
    MeasureWatchEvents();
    MeasureRelist();
    Finish();
    report_.PrintTable(stdout);
    std::printf("\n%s\n", report_.Json().c_str());
    std::fflush(stdout);
    CleanUp();
  }

 private:
  void MakeTempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kube_bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) Fatal("cannot create a temporary directory");
    dir_ = tmpl;
    absl::MutexLock lock(&g_cleanup_mu);
    g_tmp_dir = dir_;
  }

  // A kubeconfig for `fake` (bearer token, plain HTTP on loopback), as the e2e tests write it.
  std::string WriteKubeconfig(FakeApiServer& fake, const std::string& name) {
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ofstream out(path, std::ios::trunc);
    out << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        << "clusters:\n- name: fake\n  cluster:\n    server: " << fake.url() << "\n"
        << "users:\n- name: u\n  user:\n    token: kube-bench\n"
        << "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n";
    out.close();
    if (!out) Fatal("cannot write " + path);
    fake.SetRequiredToken("kube-bench");
    return path;
  }

  // Starts the binary on `kubeconfig` and waits for /ready 200 (polled every 10 ms).
  std::unique_ptr<Server> StartServer(const std::string& kubeconfig, const std::string& what) {
    auto server = std::make_unique<Server>();
    server->argv = {config_.destination, "-source=kubernetes",      "-kubeconfig=" + kubeconfig,
                    "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0", "-log-format=json"};
    for (const std::string& a : config_.server_args) server->argv.push_back(a);
    ChildProcess::Options options;
    options.discard_stdout = true;
    options.keep_lines = 100;  // the first and the newest hundred
    const absl::Time start = absl::Now();
    const double self_cpu0 = proc::CpuSeconds(::getpid());
    if (!server->process->Start(server->argv, options)) {
      Fatal("cannot start " + config_.destination);
    }
    {
      absl::MutexLock lock(&g_cleanup_mu);
      g_server_pid = server->pid();
    }
    const absl::Time deadline = start + config_.timeout;
    std::optional<std::string> serving =
        server->process->WaitForLine({"\"msg\":\"serving\""}, config_.timeout);
    if (!serving || !absl::SimpleAtoi(JsonLogField(*serving, "grpc_port"), &server->grpc_port) ||
        !absl::SimpleAtoi(JsonLogField(*serving, "admin_port"), &server->admin_port)) {
      Fatal(absl::StrCat(what,
                         ": the server did not log \"serving\" with its ports in time; "
                         "last server line: ",
                         LastServerLine(*server)));
    }
    for (;;) {
      if (testing::HttpGet(server->admin_port, "/ready").first == 200) break;
      if (absl::Now() >= deadline || !server->process->Running()) {
        Fatal(absl::StrCat(what, ": /ready did not answer 200 within --timeout; last server line: ",
                           LastServerLine(*server)));
      }
      absl::SleepFor(kReadyPoll);
    }
    server->ready_wall_s = Seconds(absl::Now() - start);
    server->ready_cpu_s = proc::CpuSeconds(server->pid());
    server->fake_cpu_s = proc::CpuSeconds(::getpid()) - self_cpu0;
    server->rss_ready = proc::RssBytes(server->pid());
    Progress(absl::StrFormat("%s: ready after %.2f s (%.2f s CPU), RSS %.1f MiB", what,
                             server->ready_wall_s, server->ready_cpu_s, Mib(server->rss_ready)));
    return server;
  }

  // The server's newest log line, for a setup error's one line.
  static std::string LastServerLine(Server& server) {
    const std::vector<std::string> lines = server.process->Lines();
    return lines.empty() ? "(no log line)" : lines.back();
  }

  int StopServer(Server& server) {
    const int code = server.process->Stop();
    absl::MutexLock lock(&g_cleanup_mu);
    g_server_pid = -1;
    return code;
  }

  Metrics Scrape(const Server& server) {
    Metrics m = testing::ScrapeMetrics(server.admin_port);
    if (m.empty()) Fatal("cannot scrape /metrics");
    return m;
  }

  // The binary on an empty API server: the RSS every figure per object is measured from.
  void MeasureBaseline() {
    FakeApiServer empty;
    testing::ServeAll(empty);
    std::unique_ptr<Server> server =
        StartServer(WriteKubeconfig(empty, "kubeconfig-empty"), "baseline (empty API server)");
    baseline_rss_ready_ = server->rss_ready;
    baseline_heap_ = Sum(Scrape(*server), "destination_heap_allocated_bytes");
    absl::SleepFor(config_.settle);
    const int64_t rss_settled = proc::RssBytes(server->pid());
    StopServer(*server);

    report_.Section("baseline: the same binary on an empty API server (same kinds served)");
    report_.AddText("server_command", "server command", absl::StrJoin(server->argv, " "));
    report_.Add("baseline_ready_wall_s", "start -> /ready 200", server->ready_wall_s, "s", 3);
    report_.Add("baseline_ready_cpu_s", "server CPU to ready", server->ready_cpu_s, "s", 3);
    report_.Add("baseline_rss_mib", "RSS at ready", Mib(baseline_rss_ready_), "MiB", 1);
    report_.Add("baseline_rss_settled_mib", "RSS after --settle", Mib(rss_settled), "MiB", 1);
  }

  // Fills the fake API server: Nodes, Services, ReplicaSets, Pods, EndpointSlices.
  void LoadCluster() {
    FakeApiServer::Options options;
    // Every watch event of the watch phase stays replayable, so that a watch re-opened during the
    // phase catches up instead of relisting.
    options.history_limit = static_cast<size_t>(config_.watch_events) + 1000;
    fake_ = std::make_unique<FakeApiServer>(options);
    testing::ServeAll(*fake_);
    Progress(
        absl::StrFormat("loading %d Pods, %d Services, %d EndpointSlices, %d ReplicaSets, "
                        "%d Nodes into the fake API server",
                        objects_.pods(), objects_.services(), objects_.services(),
                        objects_.services(), objects_.nodes()));
    const absl::Time start = absl::Now();
    for (int n = 0; n < objects_.nodes(); ++n) {
      fake_->Upsert(CollectionFor("Node"), objects_.Node(n));
    }
    int64_t service_bytes = 0, slice_bytes = 0, rs_bytes = 0, pod_bytes = 0;
    for (int s = 0; s < objects_.services(); ++s) {
      std::string json = objects_.Service(s);
      service_bytes += static_cast<int64_t>(json.size());
      fake_->Upsert(CollectionFor("Service"), json);
      json = objects_.ReplicaSet(s);
      rs_bytes += static_cast<int64_t>(json.size());
      fake_->Upsert(CollectionFor("ReplicaSet"), json);
    }
    for (int p = 0; p < objects_.pods(); ++p) {
      std::string json = objects_.Pod(p, 0);
      pod_bytes += static_cast<int64_t>(json.size());
      fake_->Upsert(CollectionFor("Pod"), json);
    }
    for (int s = 0; s < objects_.services(); ++s) {
      std::string json = objects_.EndpointSlice(s);
      slice_bytes += static_cast<int64_t>(json.size());
      fake_->Upsert(CollectionFor("EndpointSlice"), json);
    }
    const double load_s = Seconds(absl::Now() - start);
    objects_total_ = objects_.pods() + 3 * objects_.services() + objects_.nodes();
    pod_json_bytes_ = static_cast<double>(pod_bytes) / objects_.pods();
    Progress(absl::StrFormat("loaded %d objects in %.1f s; mean Pod JSON %.0f bytes",
                             objects_total_, load_s, pod_json_bytes_));

    report_.Section("cluster (served by the in-process fake API server)");
    report_.Add("pods", "Pods (P)", objects_.pods());
    report_.Add("services", "Services (S)", objects_.services());
    report_.Add("endpointslices", "EndpointSlices", objects_.services());
    report_.Add("replicasets", "ReplicaSets", objects_.services());
    report_.Add("nodes", "Nodes", objects_.nodes());
    report_.Add("objects", "objects in all", objects_total_);
    report_.Add("pods_per_service", "Pods per Service",
                static_cast<double>(objects_.pods()) / objects_.services(), "", 1);
    report_.Add("pod_json_bytes", "mean Pod JSON", pod_json_bytes_, "B");
    report_.Add("service_json_bytes", "mean Service JSON",
                static_cast<double>(service_bytes) / objects_.services(), "B");
    report_.Add("endpointslice_json_bytes", "mean EndpointSlice JSON",
                static_cast<double>(slice_bytes) / objects_.services(), "B");
    report_.Add("replicaset_json_bytes", "mean ReplicaSet JSON",
                static_cast<double>(rs_bytes) / objects_.services(), "B");
    report_.Add("fake_load_s", "fake API server load time (kube_bench's own)", load_s, "s", 1);
    report_.Add("fake_history_limit", "fake API server watch history (events)",
                static_cast<double>(options.history_limit));
  }

  // Start to ready on the loaded API server; memory at ready.
  void MeasureReady() {
    server_ = StartServer(WriteKubeconfig(*fake_, "kubeconfig"), "loaded API server");
    const Metrics m = Scrape(*server_);
    const double heap = Sum(m, "destination_heap_allocated_bytes");
    const std::vector<std::pair<std::string, int>> expected = {
        {"pods_cache_size", objects_.pods()},
        {"services_cache_size", objects_.services()},
        {"endpointslices_cache_size", objects_.services()},
        {"replicasets_cache_size", objects_.services()},
        {"nodes_cache_size", objects_.nodes()}};
    for (const auto& [gauge, want] : expected) {
      const double got = Sum(m, gauge);
      if (got != want) {
        Fatal(
            absl::StrFormat("at ready %s is %.0f, expected %d (objects rejected? see "
                            "destination_kube_errors_total)",
                            gauge, got, want));
      }
    }
    const std::vector<FakeApiServer::Request> requests = fake_->Requests();
    size_t lists = 0;
    for (const FakeApiServer::Request& r : requests) lists += IsWatch(r) ? 0 : 1;
    absl::SleepFor(config_.settle);
    const int64_t rss_settled = proc::RssBytes(server_->pid());
    const double delta = static_cast<double>(server_->rss_ready - baseline_rss_ready_);

    report_.Section("start -> ready (every kind listed)");
    report_.AddText("server_command_loaded", "server command", absl::StrJoin(server_->argv, " "));
    report_.Add("ready_wall_s", "start -> /ready 200 (wall)", server_->ready_wall_s, "s", 3);
    report_.Add("ready_cpu_s", "server CPU to ready (utime + stime)", server_->ready_cpu_s, "s", 3);
    report_.Add("ready_fake_cpu_s", "kube_bench CPU meanwhile (the fake API server's lists)",
                server_->fake_cpu_s, "s", 3);
    report_.Add("ready_requests", "API requests to ready (lists, pages, discovery, watches)",
                static_cast<double>(requests.size()));
    report_.Add("ready_list_requests", "of which not watches", static_cast<double>(lists));
    report_.Add("ready_cpu_us_per_object", "server CPU to ready per object",
                server_->ready_cpu_s * 1e6 / objects_total_, "us", 1);
    report_.Section("memory (server RSS from /proc/PID/status, minus the baseline's)");
    report_.Add("rss_ready_mib", "RSS at ready", Mib(server_->rss_ready), "MiB", 1);
    report_.Add("rss_settled_mib", "RSS after --settle", Mib(rss_settled), "MiB", 1);
    report_.Add("rss_delta_mib", "RSS at ready - baseline RSS at ready", delta / (1 << 20), "MiB",
                1);
    report_.Add("rss_per_pod_kib", "RSS delta / Pods (everything charged to Pods)",
                delta / 1024 / objects_.pods(), "KiB", 2);
    report_.Add("rss_per_object_kib", "RSS delta / all objects", delta / 1024 / objects_total_,
                "KiB", 2);
    report_.Add("heap_ready_mib", "heap allocated at ready (mallinfo2)", heap / (1 << 20), "MiB",
                1);
    report_.Add("heap_per_object_kib", "heap allocated (mallinfo2) delta / all objects",
                (heap - baseline_heap_) / 1024 / objects_total_, "KiB", 2);
  }

  // N streams (half Get, half GetProfile) over the first Services, each awaited until its first
  // message.
  void OpenStreams() {
    const size_t n = static_cast<size_t>(config_.streams);
    report_.Section("streams (open during the watch events and the relist)");
    report_.Add("streams", "streams (half Get, half GetProfile)", static_cast<double>(n));
    if (n == 0) return;
    const int connections = static_cast<int>(std::min<size_t>(kMaxConnections, n));
    client_ = std::make_unique<StreamClient>(
        StreamClient::Options{absl::StrCat("127.0.0.1:", server_->grpc_port), connections});
    if (!client_->Connect(config_.timeout)) Fatal("cannot connect the gRPC channels in time");
    for (size_t i = 0; i < n; ++i) {
      const int service = static_cast<int>((i / 2) % static_cast<size_t>(objects_.services()));
      client_->Add(i % 2 == 0 ? StreamClient::Rpc::kGet : StreamClient::Rpc::kGetProfile,
                   KubeObjects::Authority(service), /*relevant=*/false, /*sample=*/false);
    }
    Progress(absl::StrCat("opening ", n, " streams over ", connections, " connections"));
    const absl::Time start = absl::Now();
    client_->StartAll();
    const bool done = WaitUntil(
        [&] { return client_->WithFirstMessage() + client_->Failed() >= n; }, config_.timeout);
    const double first_s = Seconds(absl::Now() - start);
    if (client_->Failed() > 0) {
      Progress(
          absl::StrCat(client_->Failed(), " streams failed; first error: ", client_->FirstError()));
    }
    absl::SleepFor(config_.settle);
    report_.Add("streams_connections", "client connections", connections);
    report_.Add("streams_all_first_message", "every stream had its first message in time",
                done ? 1 : 0);
    report_.Add("streams_first_message_s", "open -> last stream's first message", first_s, "s", 3);
    report_.Add("streams_failed", "streams failed before a first message",
                static_cast<double>(client_->Failed()));
    report_.Add("streams_messages_at_rest", "messages received by then (first ones included)",
                static_cast<double>(client_->Messages()));
  }

  uint64_t Messages() const { return client_ ? client_->Messages() : 0; }
  size_t Dropped() const { return client_ ? client_->Dropped() : 0; }

  // Server CPU per second of wall time while nothing happens but the /metrics polling every
  // kMetricsPoll: subtracted from the watch phase's CPU.
  double IdleCpuRate() {
    const absl::Time start = absl::Now();
    const double cpu0 = proc::CpuSeconds(server_->pid());
    while (absl::Now() - start < std::max(config_.settle, absl::Seconds(1))) {
      Scrape(*server_);
      absl::SleepFor(kMetricsPoll);
    }
    return (proc::CpuSeconds(server_->pid()) - cpu0) / Seconds(absl::Now() - start);
  }

  // W Pod modifications (the kube-bench/generation annotation) sent as fast as the fake takes
  // them; done when the store has applied W more Pod MODIFIED events.
  void MeasureWatchEvents() {
    const int w = config_.watch_events;
    report_.Section("watch events (Pod annotation changes no proxy sees)");
    report_.Add("watch_events", "Pod modifications sent", w);
    if (w == 0) return;
    std::vector<std::string> events;
    events.reserve(static_cast<size_t>(w));
    for (int j = 0; j < w; ++j)
      events.push_back(objects_.Pod(j % objects_.pods(), 1 + j / objects_.pods()));
    const double idle_rate = IdleCpuRate();
    const std::vector<std::pair<std::string, std::string>> pod_modified = {{"kind", "Pod"},
                                                                           {"type", "MODIFIED"}};
    const Metrics before = Scrape(*server_);
    const double applied0 = Sum(before, "destination_store_events_total", pod_modified);
    const uint64_t msgs0 = Messages();
    const size_t dropped0 = Dropped();
    Progress(absl::StrCat("sending ", w, " Pod modifications"));
    const absl::Time start = absl::Now();
    const double cpu0 = proc::CpuSeconds(server_->pid());
    const std::string pods = CollectionFor("Pod");
    for (const std::string& e : events) fake_->Upsert(pods, e);
    const double send_s = Seconds(absl::Now() - start);
    double applied = 0;
    Metrics m;
    const bool done = WaitUntil(
        [&] {
          m = Scrape(*server_);
          applied = Sum(m, "destination_store_events_total", pod_modified) - applied0;
          if (applied >= w) return true;
          absl::SleepFor(kMetricsPoll);
          return false;
        },
        config_.timeout);
    const absl::Time applied_at = absl::Now();
    const double cpu_applied = proc::CpuSeconds(server_->pid()) - cpu0;
    const double wall_s = Seconds(applied_at - start);
    // The settle window, polled the same way, catches work the last events left queued (topics,
    // streams) and late messages.
    while (absl::Now() - applied_at < config_.settle) {
      Scrape(*server_);
      absl::SleepFor(kMetricsPoll);
    }
    const double window_s = Seconds(absl::Now() - start);
    const double cpu_window = proc::CpuSeconds(server_->pid()) - cpu0;
    const Metrics after = Scrape(*server_);
    const uint64_t msgs = Messages() - msgs0;
    const double net = cpu_window - idle_rate * window_s;
    Progress(absl::StrFormat("watch events: %.0f/%d applied in %.3f s, %.3f s CPU; %llu messages",
                             applied, w, wall_s, cpu_applied,
                             static_cast<unsigned long long>(msgs)));

    report_.Add("watch_all_applied", "all applied before the deadline", done ? 1 : 0);
    report_.Add("watch_send_s", "kube_bench: time to hand them to the fake", send_s, "s", 3);
    report_.Add("watch_wall_s", "first sent -> last applied (store counter)", wall_s, "s", 3);
    report_.Add("watch_events_per_s", "events applied per second", applied / wall_s, "ev/s", 0);
    report_.Add("watch_cpu_s", "server CPU, first sent -> last applied", cpu_applied, "s", 3);
    report_.Add("watch_cpu_window_s", "server CPU, first sent -> last applied + --settle",
                cpu_window, "s", 3);
    report_.Add("watch_idle_cpu_per_s", "server CPU per second at rest (polling included)",
                idle_rate, "s/s", 4);
    report_.Add("watch_cpu_us_per_event", "server CPU per event (window minus idle rate)",
                net * 1e6 / w, "us", 1);
    report_.Add("watch_cpu_us_per_event_raw", "server CPU per event (to last applied, raw)",
                cpu_applied * 1e6 / w, "us", 1);
    report_.Add("watch_messages", "messages received by the streams (expected 0)",
                static_cast<double>(msgs));
    AddTopicDeltas("watch", before, after);
    report_.Add("watch_streams_dropped", "streams that ended during the phase",
                static_cast<double>(Dropped() - dropped0));
  }

  // What the topics did in a phase: recomputations, offers to streams, changed topics.
  void AddTopicDeltas(const std::string& prefix, const Metrics& before, const Metrics& after) {
    auto delta = [&](const std::string& name) { return Sum(after, name) - Sum(before, name); };
    report_.Add(prefix + "_topic_recomputes", "topic recomputations",
                delta("destination_topic_recomputes_total"));
    report_.Add(prefix + "_topic_offers", "snapshots offered to streams",
                delta("destination_topic_stream_offers_total"));
    report_.Add(prefix + "_endpoints_updates", "endpoint topics that changed",
                delta("endpoints_updates"));
    report_.Add(prefix + "_profile_updates", "profile topics that changed",
                delta("profile_updates"));
    report_.Add(prefix + "_stream_messages_sent", "messages the server wrote to streams",
                delta("destination_stream_messages_total"));
  }

  // Compact(kInStreamError): every watch gets 410 Gone; done when every kind watches again from
  // a resourceVersion at or after the compaction (so its list is applied and it is synced).
  void MeasureRelist() {
    const std::vector<const KindInfo*> kinds = WatchedKinds();
    const Metrics before = Scrape(*server_);
    const int64_t rss_before = proc::RssBytes(server_->pid());
    const uint64_t msgs0 = Messages();
    const size_t dropped0 = Dropped();
    const size_t requests0 = fake_->Requests().size();
    Progress(absl::StrCat("compacting: 410 Gone on the watches of ", kinds.size(), " kinds"));
    const absl::Time start = absl::Now();
    const double cpu0 = proc::CpuSeconds(server_->pid());
    const double self_cpu0 = proc::CpuSeconds(::getpid());
    fake_->Compact(FakeApiServer::GoneMode::kInStreamError);
    int64_t compacted = 0;
    if (!absl::SimpleAtoi(fake_->CurrentResourceVersion(), &compacted)) Fatal("bad fake RV");
    std::vector<std::string> late;
    for (const KindInfo* k : kinds) {
      const std::string collection = CollectionFor(std::string(k->name));
      auto rewatched = [&](const FakeApiServer::Request& r) {
        int64_t rv = 0;
        return r.path == collection && IsWatch(r) &&
               absl::SimpleAtoi(r.Param("resourceVersion"), &rv) && rv >= compacted;
      };
      const absl::Duration left = config_.timeout - (absl::Now() - start);
      if (!fake_->WaitForRequests(rewatched, 1, std::max(left, absl::ZeroDuration()))) {
        late.emplace_back(k->name);
      }
    }
    const double wall_s = Seconds(absl::Now() - start);
    const double cpu = proc::CpuSeconds(server_->pid()) - cpu0;
    const double self_cpu = proc::CpuSeconds(::getpid()) - self_cpu0;
    if (!late.empty()) Progress("not watching again in time: " + absl::StrJoin(late, ","));
    Metrics after;
    size_t relisted = 0;
    WaitUntil(
        [&] {
          after = Scrape(*server_);
          relisted = 0;
          for (const KindInfo* k : kinds) {
            const std::vector<std::pair<std::string, std::string>> kind = {
                {"kind", std::string(k->name)}};
            if (Sum(after, "destination_kube_relists_total", kind) >
                Sum(before, "destination_kube_relists_total", kind)) {
              ++relisted;
            }
          }
          if (relisted == kinds.size()) return true;
          absl::SleepFor(kMetricsPoll);
          return false;
        },
        absl::Seconds(5));
    absl::SleepFor(config_.settle);
    after = Scrape(*server_);
    const uint64_t msgs = Messages() - msgs0;
    const std::vector<FakeApiServer::Request> requests = fake_->Requests();
    size_t lists = 0;
    for (size_t i = requests0; i < requests.size(); ++i) lists += IsWatch(requests[i]) ? 0 : 1;
    Progress(
        absl::StrFormat("relist: %zu/%zu kinds watching again after %.3f s, %.3f s CPU; "
                        "%llu messages",
                        kinds.size() - late.size(), kinds.size(), wall_s, cpu,
                        static_cast<unsigned long long>(msgs)));

    report_.Section("relist after 410 Gone on every kind (nothing changed)");
    report_.Add("relist_kinds", "kinds watched", static_cast<double>(kinds.size()));
    report_.Add("relist_kinds_rewatched", "kinds watching again before the deadline",
                static_cast<double>(kinds.size() - late.size()));
    report_.Add("relist_kinds_counted", "kinds whose destination_kube_relists_total rose",
                static_cast<double>(relisted));
    report_.Add("relist_list_requests", "list requests (pages included)",
                static_cast<double>(lists));
    report_.Add("relist_wall_s", "410 Gone -> every kind watching again", wall_s, "s", 3);
    report_.Add("relist_cpu_s", "server CPU for it", cpu, "s", 3);
    report_.Add("relist_fake_cpu_s", "kube_bench CPU meanwhile (the fake API server's lists)",
                self_cpu, "s", 3);
    report_.Add("relist_cpu_us_per_object", "server CPU per object relisted",
                cpu * 1e6 / objects_total_, "us", 1);
    report_.Add("relist_store_events", "store events applied (expected 0: nothing changed)",
                Sum(after, "destination_store_events_total") -
                    Sum(before, "destination_store_events_total"));
    report_.Add("relist_messages", "messages received by the streams (expected 0)",
                static_cast<double>(msgs));
    AddTopicDeltas("relist", before, after);
    report_.Add("relist_streams_dropped", "streams that ended during the phase",
                static_cast<double>(Dropped() - dropped0));
    report_.Add("rss_before_relist_mib", "server RSS before the relist", Mib(rss_before), "MiB", 1);
    report_.Add("heap_before_relist_mib", "heap allocated before it (mallinfo2)",
                Sum(before, "destination_heap_allocated_bytes") / (1 << 20), "MiB", 1);
    report_.Add("heap_free_before_relist_mib", "free heap kept by the allocator before it",
                Sum(before, "destination_heap_free_bytes") / (1 << 20), "MiB", 1);
    report_.Add("rss_after_relist_mib", "server RSS after the relist",
                Mib(proc::RssBytes(server_->pid())), "MiB", 1);
    // RSS that grew while the heap did not is memory the allocator kept after the relist's
    // transient copies, not objects held.
    report_.Add("heap_after_relist_mib", "heap allocated after the relist (mallinfo2)",
                Sum(after, "destination_heap_allocated_bytes") / (1 << 20), "MiB", 1);
    report_.Add("heap_free_after_relist_mib", "free heap kept by the allocator after the relist",
                Sum(after, "destination_heap_free_bytes") / (1 << 20), "MiB", 1);
  }

  void Finish() {
    bool closed = true;
    if (client_) closed = client_->CloseAll(config_.timeout);
    report_.Section("end");
    report_.Add("streams_closed_cleanly", "all streams ended after cancel", closed ? 1 : 0);
    report_.Add("server_alive", "server still running at the end",
                server_->process->Running() ? 1 : 0);
    report_.Add("server_exit_code", "server exit code after SIGTERM", StopServer(*server_));
    report_.Add("kube_bench_peak_rss_mib", "kube_bench's own peak RSS (the fake's objects)",
                Mib(proc::StatusValue(::getpid(), "VmHWM:") * 1024), "MiB", 0);
  }

  const Config config_;
  const KubeObjects objects_;
  Report report_;
  std::string dir_;
  std::unique_ptr<FakeApiServer> fake_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<StreamClient> client_;
  int64_t baseline_rss_ready_ = 0;
  double baseline_heap_ = 0;
  int objects_total_ = 0;
  double pod_json_bytes_ = 0;
};

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "kube_bench: the Kubernetes source at scale against the fake API server: time, CPU and "
      "memory to ready, CPU per watch event, and a relist after 410 Gone.\n"
      "  kube_bench [--pods=100000] [--services=10000] [--watch-events=10000] [--streams=1000] "
      "[--destination=build/bin/destination]");
  HandleInterrupts("kube_bench", &CleanUp);
  std::vector<std::string> args = NormalizeFlagArgs(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (rest.size() > 1) Fatal(absl::StrCat("unexpected argument \"", rest[1], "\""));
  // Debian's Abseil is a debug build: its deadlock detection would tax the fake API server.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Config config = Config::FromFlags();
  absl::StatusOr<KubeObjects> objects = KubeObjects::Create(config.objects);
  if (!objects.ok()) Fatal(std::string(objects.status().message()));
  Bench(std::move(config), std::move(*objects)).Run();
  return 0;
}

}  // namespace
}  // namespace dest::bench

int main(int argc, char** argv) { return dest::bench::Run(argc, argv); }
