// destbench: how many streams one `destination` holds, at what memory, and how fast a change
// reaches all of them, next to a bare gRPC server pushing the same bytes.
//
// It generates a manifests directory, starts build/bin/destination on it (loopback, any port),
// opens N Get and GetProfile streams over C connections, and measures:
//   1. the subscribe storm: N streams opened at once until each has its first message;
//   2. server RSS per stream;
//   3. one change at a time (`--changes`): rewrite a Service's churn file, time its arrival at the
//      first/median/p99/last relevant stream, server CPU per 1,000 delivered messages;
//   4. churn (`--churn-rate` > 0): R changes/s for `--duration`, change-to-last-stream p50/p99;
//   5. the baseline: the same number of GetProfile streams on an in-process naive server that
//      serializes per write, the same profile pushed to all of them; our fan-out rate as a ratio.
// Output: a table, then one JSON line with every figure. Every wait has a deadline; the child is
// always killed at the end. Figures, not pass/fail: see docs/benchmarks.md.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/baseline_server.h"
#include "bench/bench_manifests.h"
#include "bench/report.h"
#include "bench/server_process.h"
#include "bench/stream_client.h"
#include "controlplane/flag_args.h"
#include "destination.pb.h"

ABSL_FLAG(std::string, destination, "",
          "the destination binary (default: `destination` next to destbench)");
ABSL_FLAG(std::string, server_prefix, "",
          "comma-separated command to run the server under, e.g. valgrind,--tool=callgrind");
ABSL_FLAG(std::string, server_args, "", "comma-separated extra arguments for the server");
ABSL_FLAG(int, streams, 1000, "concurrent streams to open (N)");
ABSL_FLAG(int, connections, 0, "client connections (C); 0: ceil(N / 1000)");
ABSL_FLAG(int, services, 100, "Services in the generated cluster (S)");
ABSL_FLAG(int, endpoints, 10, "endpoints (pods) per Service (E)");
ABSL_FLAG(int, split_backends, 9, "backends per TrafficSplit (9 makes a ~1 KB profile)");
ABSL_FLAG(double, profile_fraction, 0.5, "fraction of the streams that are GetProfile");
ABSL_FLAG(double, hot_fraction, 0.5,
          "fraction of the streams that watch the hot Service svc-00000; the rest spread over "
          "the other Services");
ABSL_FLAG(std::string, change_scope, "hot",
          "what a change rewrites: hot (the hot Service's file) or all (every Service's)");
ABSL_FLAG(std::string, change_kind, "both",
          "what a change changes: split (TrafficSplit weights: GetProfile streams), endpoints "
          "(one endpoint replaced: Get streams) or both");
ABSL_FLAG(int, changes, 5, "changes applied one at a time, each awaited at every stream");
ABSL_FLAG(double, churn_rate, 0, "churn mode: changes per second (0: no churn mode)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "length of the churn mode");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(120), "deadline of each phase");
ABSL_FLAG(absl::Duration, settle, absl::Seconds(2),
          "pause before reading memory (after connecting, after the storm)");
ABSL_FLAG(bool, baseline, true, "also measure the bare gRPC baseline");
ABSL_FLAG(int, baseline_servers, 1,
          "grpc::Server instances the baseline spreads its connections over (one port, "
          "SO_REUSEPORT), each with its own completion queue");
ABSL_FLAG(bool, client_deadlock_detection, false,
          "keep absl::Mutex deadlock detection on in destbench (its client and baseline server); "
          "Debian's Abseil is built in debug mode, where it is on by default and costs a global "
          "lock per Mutex acquisition");
ABSL_FLAG(bool, keep_manifests, false, "leave the generated manifests directory in place");

namespace dest::bench {
namespace {

namespace pb = io::linkerd::proxy::destination;

[[noreturn]] void Fatal(const std::string& what) {
  std::fprintf(stderr, "destbench: %s\n", what.c_str());
  std::exit(2);
}

void Progress(const std::string& what) {
  std::fprintf(stderr, "destbench: %s\n", what.c_str());
  std::fflush(stderr);
}

std::string DefaultServerPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "destination";
  return (self.parent_path() / "destination").string();
}

// Resident memory of this process (the client side), in bytes.
int64_t SelfRssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long pages_total = 0, pages_rss = 0;
  int n = std::fscanf(f, "%ld %ld", &pages_total, &pages_rss);
  std::fclose(f);
  if (n != 2) return 0;
  return static_cast<int64_t>(pages_rss) * ::sysconf(_SC_PAGESIZE);
}

// What an interrupted run must not leave behind: the server and the manifests directory.
absl::Mutex g_cleanup_mu;
pid_t g_server_pid ABSL_GUARDED_BY(g_cleanup_mu) = -1;
std::string g_manifests_dir ABSL_GUARDED_BY(g_cleanup_mu);

// Blocks SIGINT, SIGTERM and SIGHUP in every thread (call before any thread starts) and ends the
// run cleanly on them from a dedicated thread.
void HandleInterrupts() {
  static sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([] {
    int sig = 0;
    while (sigwait(&signals, &sig) != 0) {
    }
    absl::MutexLock lock(&g_cleanup_mu);
    if (g_server_pid > 0) ::kill(g_server_pid, SIGKILL);
    if (!g_manifests_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(g_manifests_dir, ec);
    }
    std::fprintf(stderr, "destbench: interrupted (signal %d); server killed\n", sig);
    ::_exit(128 + sig);
  }).detach();
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::vector<std::string> SplitList(const std::string& s) {
  if (s.empty()) return {};
  return absl::StrSplit(s, ',');
}

// Stream i of n gets kind "yes" for an evenly spread `fraction` of the indexes.
bool Spread(int i, double fraction) {
  return std::floor((i + 1) * fraction) > std::floor(i * fraction);
}

// The arrival of one change at the streams it is meant for.
struct RoundFigures {
  size_t arrived = 0;
  size_t expected = 0;
  double first_ms = 0, p50_ms = 0, p99_ms = 0, last_ms = 0;  // since the write (or push)
  double spread_ms = 0;                                      // last - first
};

RoundFigures Summarize(const Arrivals& a, size_t expected, int64_t start_ns) {
  RoundFigures r;
  r.expected = expected;
  std::vector<int64_t> t = a.Sorted();
  r.arrived = t.size();
  if (t.empty()) return r;
  std::vector<double> d;
  d.reserve(t.size());
  for (int64_t x : t) d.push_back(Ms(x - start_ns));
  r.first_ms = d.front();
  r.p50_ms = Quantile(d, 0.5);
  r.p99_ms = Quantile(d, 0.99);
  r.last_ms = d.back();
  r.spread_ms = d.back() - d.front();
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return Quantile(v, 0.5);
}

// Medians over the rounds, into the report under `prefix`.
struct RoundsSummary {
  double first_ms = NAN, p50_ms = NAN, p99_ms = NAN, last_ms = NAN, max_last_ms = NAN;
  double spread_ms = NAN;
  double fanout_rate = NAN;  // streams / (last - first): messages per second to all streams
  double e2e_rate = NAN;     // streams / (last - write)
  size_t incomplete = 0;     // rounds where not every stream got the change in time
};

RoundsSummary SummarizeRounds(const std::vector<RoundFigures>& rounds) {
  RoundsSummary s;
  std::vector<double> first, p50, p99, last, spread, fan, e2e;
  for (const RoundFigures& r : rounds) {
    if (r.arrived < r.expected) ++s.incomplete;
    if (r.arrived == 0) continue;
    first.push_back(r.first_ms);
    p50.push_back(r.p50_ms);
    p99.push_back(r.p99_ms);
    last.push_back(r.last_ms);
    spread.push_back(r.spread_ms);
    if (r.spread_ms > 0) fan.push_back(static_cast<double>(r.arrived) / (r.spread_ms / 1e3));
    if (r.last_ms > 0) e2e.push_back(static_cast<double>(r.arrived) / (r.last_ms / 1e3));
  }
  if (last.empty()) return s;
  s.first_ms = Median(first);
  s.p50_ms = Median(p50);
  s.p99_ms = Median(p99);
  s.last_ms = Median(last);
  s.max_last_ms = *std::max_element(last.begin(), last.end());
  s.spread_ms = Median(spread);
  if (!fan.empty()) s.fanout_rate = Median(fan);
  if (!e2e.empty()) s.e2e_rate = Median(e2e);
  return s;
}

void AddRounds(Report& report, const std::string& prefix, const RoundsSummary& s,
               const std::string& from) {
  report.Add(prefix + "_first_ms", from + " -> first stream (median of rounds)", s.first_ms, "ms",
             1);
  report.Add(prefix + "_p50_ms", from + " -> median stream", s.p50_ms, "ms", 1);
  report.Add(prefix + "_p99_ms", from + " -> p99 stream", s.p99_ms, "ms", 1);
  report.Add(prefix + "_last_ms", from + " -> last stream", s.last_ms, "ms", 1);
  report.Add(prefix + "_last_max_ms", from + " -> last stream, worst round", s.max_last_ms, "ms",
             1);
  report.Add(prefix + "_spread_ms", "first -> last stream", s.spread_ms, "ms", 1);
  report.Add(prefix + "_fanout_msgs_per_s", "fan-out rate: streams / (last - first)", s.fanout_rate,
             "msg/s", 0);
  report.Add(prefix + "_e2e_msgs_per_s", "end to end: streams / (" + from + " -> last)", s.e2e_rate,
             "msg/s", 0);
  report.Add(prefix + "_incomplete_rounds", "rounds not complete by the deadline",
             static_cast<double>(s.incomplete));
}

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "destbench: opens N Get/GetProfile streams against a destination server it starts, "
      "applies changes, and prints memory, latency and throughput figures.\n"
      "  destbench --streams=20000 [--connections=20] [--services=100] [--churn-rate=10]");
  HandleInterrupts();
  std::vector<std::string> args = NormalizeFlagArgs(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (rest.size() > 1) Fatal(absl::StrCat("unexpected argument \"", rest[1], "\""));

  const int n = absl::GetFlag(FLAGS_streams);
  int connections = absl::GetFlag(FLAGS_connections);
  if (n < 1) Fatal("--streams must be >= 1");
  if (connections <= 0) connections = (n + 999) / 1000;
  connections = std::min(connections, n);
  const int services = absl::GetFlag(FLAGS_services);
  const double pf = absl::GetFlag(FLAGS_profile_fraction);
  const double hf = absl::GetFlag(FLAGS_hot_fraction);
  if (pf < 0 || pf > 1 || hf < 0 || hf > 1) Fatal("fractions must be in [0, 1]");
  const std::string scope = absl::GetFlag(FLAGS_change_scope);
  if (scope != "hot" && scope != "all") Fatal("--change-scope: want hot or all");
  const std::string kind = absl::GetFlag(FLAGS_change_kind);
  if (kind != "split" && kind != "endpoints" && kind != "both") {
    Fatal("--change-kind: want split, endpoints or both");
  }
  const bool change_split = kind != "endpoints";
  const bool change_endpoints = kind != "split";
  const int changes = absl::GetFlag(FLAGS_changes);
  const double churn_rate = absl::GetFlag(FLAGS_churn_rate);
  const absl::Duration churn_duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  const absl::Duration settle = absl::GetFlag(FLAGS_settle);
  const uint32_t churn_changes =
      churn_rate > 0
          ? static_cast<uint32_t>(std::ceil(churn_rate * absl::ToDoubleSeconds(churn_duration)))
          : 0;
  if (static_cast<uint64_t>(changes) + churn_changes + 1 >= 65536) {
    Fatal("at most 65535 changes in one run");
  }

  if (!absl::GetFlag(FLAGS_client_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  Report report;
  uint64_t nofile = RaiseOpenFileLimit();

  // The cluster.
  BenchManifests::Options mo;
  mo.services = services;
  mo.endpoints = absl::GetFlag(FLAGS_endpoints);
  mo.split_backends = absl::GetFlag(FLAGS_split_backends);
  mo.change_split = change_split;
  mo.change_endpoints = change_endpoints;
  absl::StatusOr<BenchManifests> manifests = BenchManifests::Create(mo);
  if (!manifests.ok()) Fatal(std::string(manifests.status().message()));
  if (absl::GetFlag(FLAGS_keep_manifests)) {
    manifests->Keep();
  } else {
    absl::MutexLock lock(&g_cleanup_mu);
    g_manifests_dir = manifests->dir();
  }

  // The server.
  std::string server_path = absl::GetFlag(FLAGS_destination);
  if (server_path.empty()) server_path = DefaultServerPath();
  std::vector<std::string> server_argv = SplitList(absl::GetFlag(FLAGS_server_prefix));
  std::vector<std::string> base_argv = {server_path, "-manifests=" + manifests->dir(),
                                        "-addr=127.0.0.1:0", "-admin-addr=127.0.0.1:0",
                                        "-log-format=json"};
  server_argv.insert(server_argv.end(), base_argv.begin(), base_argv.end());
  for (const std::string& a : SplitList(absl::GetFlag(FLAGS_server_args))) {
    server_argv.push_back(a);
  }
  ServerProcess server;
  if (!server.Start(server_argv)) Fatal("cannot start " + server_path);
  {
    absl::MutexLock lock(&g_cleanup_mu);
    g_server_pid = server.pid();
  }
  std::optional<std::string> serving = server.WaitForLine("\"msg\":\"serving\"", timeout);
  if (!serving) {
    for (const std::string& l : server.Lines()) std::fprintf(stderr, "server: %s\n", l.c_str());
    Fatal("the server did not log \"serving\" in time");
  }
  int grpc_port = 0, admin_port = 0;
  if (!absl::SimpleAtoi(JsonLogField(*serving, "grpc_port"), &grpc_port) ||
      !absl::SimpleAtoi(JsonLogField(*serving, "admin_port"), &admin_port)) {
    Fatal("no grpc_port/admin_port in: " + *serving);
  }
  Progress(absl::StrFormat("server pid %d serving on 127.0.0.1:%d (admin %d); manifests in %s",
                           server.pid(), grpc_port, admin_port, manifests->dir()));

  report.Section("setup");
  report.AddText("server_command", "server command", absl::StrJoin(server_argv, " "));
  report.Add("server_pid", "server pid", server.pid());
  report.Add("streams_requested", "streams requested (N)", n);
  report.Add("connections", "client connections (C)", connections);
  report.Add("streams_per_connection", "streams per connection",
             static_cast<double>(n) / connections, "", 0);
  report.Add("services", "Services (S)", services);
  report.Add("endpoints_per_service", "endpoints per Service (E)", mo.endpoints);
  report.Add("profile_fraction", "GetProfile fraction", pf, "", 2);
  report.Add("hot_fraction", "hot fraction (streams on svc-00000)", hf, "", 2);
  report.AddText("change_scope", "change scope", scope);
  report.AddText("change_kind", "change kind", kind);
  report.Add("client_deadlock_detection", "absl deadlock detection in destbench",
             absl::GetFlag(FLAGS_client_deadlock_detection) ? 1 : 0);
  report.Add("open_file_limit", "RLIMIT_NOFILE (raised to hard max)", static_cast<double>(nofile));

  // The streams.
  StreamClient client(StreamClient::Options{absl::StrCat("127.0.0.1:", grpc_port), connections});
  if (!client.Connect(timeout)) Fatal("cannot connect every channel in time");
  const int hot_count = static_cast<int>(std::lround(hf * n));
  size_t relevant = 0, profiles = 0;
  bool sample_set = false;
  for (int i = 0; i < n; ++i) {
    bool profile = Spread(i, pf);
    bool hot = i < hot_count || services == 1;
    int service = hot ? 0 : 1 + (i % (services - 1));
    bool rel = (hot || scope == "all") && (profile ? change_split : change_endpoints);
    bool sample = profile && !sample_set;
    sample_set = sample_set || sample;
    relevant += rel ? 1 : 0;
    profiles += profile ? 1 : 0;
    client.Add(profile ? StreamClient::Rpc::kGetProfile : StreamClient::Rpc::kGet,
               BenchManifests::Authority(service), rel, sample);
  }
  report.Add("streams_getprofile", "GetProfile streams", static_cast<double>(profiles));
  report.Add("streams_get", "Get streams", static_cast<double>(n - profiles));
  report.Add("streams_relevant", "streams a change reaches (H)", static_cast<double>(relevant));

  absl::SleepFor(settle);
  const int64_t rss_idle = server.RssBytes();
  const int64_t self_rss_idle = SelfRssBytes();
  const double cpu_idle = server.CpuSeconds();
  const double self_cpu_idle = ProcessCpuSeconds(::getpid());

  // 1. Subscribe storm.
  Progress(absl::StrCat("opening ", n, " streams over ", connections, " connections"));
  const int64_t storm_start = NowNs();
  client.StartAll();
  const int64_t storm_issued = NowNs();
  bool storm_done = WaitUntil(
      [&] { return client.WithFirstMessage() + client.Failed() >= static_cast<size_t>(n); },
      timeout);
  RoundFigures storm = Summarize(*client.storm(), n, storm_start);
  const double cpu_storm = server.CpuSeconds();
  const double self_cpu_storm = ProcessCpuSeconds(::getpid());
  Progress(absl::StrFormat("storm: %zu/%d streams got their first message, last after %.0f ms",
                           storm.arrived, n, storm.last_ms));
  if (client.Failed() > 0) {
    Progress(absl::StrCat(client.Failed(), " streams failed; first error: ", client.FirstError()));
  }

  absl::SleepFor(settle);
  const int64_t rss_held = server.RssBytes();
  const int64_t self_rss_held = SelfRssBytes();
  const size_t held = client.Started() - client.Ended();
  const int server_threads = server.Threads();

  report.Section("memory (server RSS from /proc/PID/status)");
  report.Add("streams_held", "streams held", static_cast<double>(held));
  report.Add("streams_failed", "streams failed before a first message",
             static_cast<double>(client.Failed()));
  report.Add("server_rss_idle_mib", "server RSS, connections open, no streams",
             static_cast<double>(rss_idle) / (1 << 20), "MiB", 1);
  report.Add("server_rss_held_mib", "server RSS, streams held",
             static_cast<double>(rss_held) / (1 << 20), "MiB", 1);
  report.Add("server_rss_per_stream_kib", "server RSS per stream",
             held > 0 ? static_cast<double>(rss_held - rss_idle) / 1024.0 / held : NAN, "KiB", 2);
  report.Add("server_threads", "server threads", server_threads);
  report.Add("client_rss_per_stream_kib", "client (destbench) RSS per stream",
             held > 0 ? static_cast<double>(self_rss_held - self_rss_idle) / 1024.0 / held : NAN,
             "KiB", 2);
  report.Add("client_stream_object_bytes", "client stream object (sizeof)",
             static_cast<double>(StreamClient::StreamObjectBytes()), "B");

  report.Section("subscribe storm (N streams opened at once)");
  report.Add("storm_complete", "all first messages before the deadline", storm_done ? 1 : 0);
  report.Add("storm_issue_ms", "time to issue N StartCall()", Ms(storm_issued - storm_start), "ms",
             1);
  report.Add("storm_first_ms", "open -> first stream's first message", storm.first_ms, "ms", 1);
  report.Add("storm_p50_ms", "open -> median stream's first message", storm.p50_ms, "ms", 1);
  report.Add("storm_p99_ms", "open -> p99 stream's first message", storm.p99_ms, "ms", 1);
  report.Add("storm_last_ms", "open -> last stream's first message", storm.last_ms, "ms", 1);
  report.Add("storm_server_cpu_s", "server CPU during the storm", cpu_storm - cpu_idle, "s", 2);
  report.Add("storm_client_cpu_s", "client (destbench) CPU during the storm",
             self_cpu_storm - self_cpu_idle, "s", 2);

  std::string sample = client.Sample();
  report.Add("profile_message_bytes", "GetProfile message size (serialized)",
             static_cast<double>(sample.size()), "B");

  // 2. One change at a time.
  uint32_t generation = 0;
  std::vector<std::unique_ptr<Arrivals>> rounds_kept;  // reactions may still hold a pointer
  std::vector<RoundFigures> rounds;
  const uint64_t msgs_before = client.Messages();
  const double cpu_before = server.CpuSeconds();
  const double self_cpu_before = ProcessCpuSeconds(::getpid());
  const int64_t changes_start = NowNs();
  if (relevant > 0) {
    Progress(absl::StrCat(changes, " changes, each to ", relevant, " streams"));
    for (int k = 0; k < changes; ++k) {
      ++generation;
      rounds_kept.push_back(std::make_unique<Arrivals>(relevant));
      Arrivals* round = rounds_kept.back().get();
      client.SetRound(round);
      int64_t write_ns = NowNs();
      for (int s = 0; s < (scope == "all" ? services : 1); ++s) {
        if (absl::Status st = manifests->Apply(s, generation); !st.ok()) {
          Fatal(std::string(st.message()));
        }
      }
      if (scope == "hot") write_ns = NowNs();  // after the one rename
      // Streams that ended (counted in Dropped) will not get it.
      WaitUntil([&] { return round->count() + client.Dropped() >= relevant; }, timeout);
      client.SetRound(nullptr);
      rounds.push_back(Summarize(*round, relevant, write_ns));
      const RoundFigures& r = rounds.back();
      Progress(absl::StrFormat(
          "change %d: %zu/%zu streams; first %.1f ms, p50 %.1f, p99 %.1f, last %.1f ms", k + 1,
          r.arrived, r.expected, r.first_ms, r.p50_ms, r.p99_ms, r.last_ms));
    }
  }
  const double changes_wall_s = Ms(NowNs() - changes_start) / 1e3;
  // Messages of the last change may still be landing at streams that were not awaited.
  absl::SleepFor(absl::Milliseconds(200));
  const uint64_t change_msgs = client.Messages() - msgs_before;
  const double change_cpu = server.CpuSeconds() - cpu_before;
  const double change_client_cpu = ProcessCpuSeconds(::getpid()) - self_cpu_before;
  const double client_cpu_per_msg =
      change_msgs > 0 ? change_client_cpu / static_cast<double>(change_msgs) : NAN;
  const int64_t rss_after_changes = server.RssBytes();
  RoundsSummary ours = SummarizeRounds(rounds);

  report.Section(absl::StrCat("one change at a time (", changes, " changes, write -> arrival)"));
  AddRounds(report, "change", ours, "write");
  report.Add("change_messages", "messages delivered (all streams, incl. Get removes)",
             static_cast<double>(change_msgs));
  report.Add("change_msgs_per_s_wall", "messages / phase wall time",
             changes_wall_s > 0 ? static_cast<double>(change_msgs) / changes_wall_s : NAN, "msg/s",
             0);
  report.Add("change_server_cpu_s", "server CPU for the phase", change_cpu, "s", 3);
  report.Add("change_cpu_s_per_1k_msgs", "server CPU per 1,000 delivered messages",
             change_msgs > 0 ? change_cpu * 1000.0 / static_cast<double>(change_msgs) : NAN, "s",
             4);
  report.Add("change_client_cpu_s_per_1k_msgs", "client CPU per 1,000 received messages",
             client_cpu_per_msg * 1000.0, "s", 4);
  report.Add("server_rss_after_changes_mib", "server RSS after the changes",
             static_cast<double>(rss_after_changes) / (1 << 20), "MiB", 1);
  report.Add("unexpected_messages", "messages to streams no change was meant for",
             static_cast<double>(client.Unexpected()));

  // 3. Churn.
  std::unique_ptr<ChurnLog> churn;
  if (churn_changes > 0 && relevant > 0) {
    Progress(absl::StrFormat("churn: %.1f changes/s for %s", churn_rate,
                             absl::FormatDuration(churn_duration)));
    churn = std::make_unique<ChurnLog>(generation, churn_changes);
    const uint64_t churn_msgs_before = client.Messages();
    const double churn_cpu_before = server.CpuSeconds();
    client.SetChurn(churn.get());
    std::vector<int64_t> write_ns(churn_changes);
    const absl::Time t0 = absl::Now();
    for (uint32_t k = 0; k < churn_changes; ++k) {
      absl::Time at = t0 + absl::Seconds(k / churn_rate);
      if (absl::Now() < at) absl::SleepFor(at - absl::Now());
      ++generation;
      write_ns[k] = NowNs();
      for (int s = 0; s < (scope == "all" ? services : 1); ++s) {
        if (absl::Status st = manifests->Apply(s, generation); !st.ok()) {
          Fatal(std::string(st.message()));
        }
      }
    }
    WaitUntil([&] { return churn->ReachedCount(generation) >= relevant; }, timeout);
    absl::SleepFor(absl::Milliseconds(200));
    client.SetChurn(nullptr);
    const uint64_t churn_msgs = client.Messages() - churn_msgs_before;
    const double churn_cpu = server.CpuSeconds() - churn_cpu_before;
    std::vector<double> to_last, to_first;
    size_t missing = 0;
    for (uint32_t k = 0; k < churn_changes; ++k) {
      uint32_t g = churn->base() + k + 1;
      if (churn->ReachedCount(g) < relevant) {
        ++missing;
        continue;
      }
      to_last.push_back(Ms(churn->LastNs(g) - write_ns[k]));
      to_first.push_back(Ms(churn->FirstNs(g) - write_ns[k]));
    }
    std::sort(to_last.begin(), to_last.end());
    std::sort(to_first.begin(), to_first.end());
    report.Section(absl::StrFormat("churn (%.1f changes/s for %s)", churn_rate,
                                   absl::FormatDuration(churn_duration)));
    report.Add("churn_changes", "changes applied", churn_changes);
    report.Add("churn_changes_incomplete", "changes some stream never reached",
               static_cast<double>(missing));
    report.Add("churn_first_p50_ms", "write -> first stream, p50", Quantile(to_first, 0.5), "ms",
               1);
    report.Add("churn_last_p50_ms", "write -> last stream, p50", Quantile(to_last, 0.5), "ms", 1);
    report.Add("churn_last_p99_ms", "write -> last stream, p99", Quantile(to_last, 0.99), "ms", 1);
    report.Add("churn_last_max_ms", "write -> last stream, max",
               to_last.empty() ? NAN : to_last.back(), "ms", 1);
    report.Add("churn_messages", "messages delivered", static_cast<double>(churn_msgs));
    report.Add("churn_msgs_per_s", "messages per second",
               static_cast<double>(churn_msgs) / absl::ToDoubleSeconds(churn_duration), "msg/s", 0);
    report.Add("churn_cpu_s_per_1k_msgs", "server CPU per 1,000 delivered messages",
               churn_msgs > 0 ? churn_cpu * 1000.0 / static_cast<double>(churn_msgs) : NAN, "s", 4);
    report.Add("churn_server_cpu_share", "server CPU share (cores busy)",
               churn_cpu / absl::ToDoubleSeconds(churn_duration), "", 2);
  }

  Progress("closing the streams");
  bool closed = client.CloseAll(timeout);
  report.Section("end");
  report.Add("streams_dropped", "streams that ended before the benchmark closed them",
             static_cast<double>(client.Dropped()));
  report.Add("streams_closed_cleanly", "all streams ended after cancel", closed ? 1 : 0);
  const bool server_alive = server.Running();
  report.Add("server_alive", "server still running at the end", server_alive ? 1 : 0);
  const int server_exit = server.Stop();
  {
    absl::MutexLock lock(&g_cleanup_mu);
    g_server_pid = -1;
  }
  report.Add("server_exit_code", "server exit code after SIGTERM", server_exit);

  // 4. The baseline: a naive server on the same streams, the same bytes.
  if (absl::GetFlag(FLAGS_baseline) && !sample.empty()) {
    auto initial = std::make_shared<pb::DestinationProfile>();
    if (!initial->ParseFromString(sample)) Fatal("cannot parse the sample profile");
    BaselineServer baseline(initial, absl::GetFlag(FLAGS_baseline_servers));
    if (!baseline.Start()) Fatal("cannot start the baseline server");
    Progress(absl::StrCat("baseline: ", n, " GetProfile streams on 127.0.0.1:", baseline.port()));
    StreamClient bclient(
        StreamClient::Options{absl::StrCat("127.0.0.1:", baseline.port()), connections});
    if (!bclient.Connect(timeout)) Fatal("cannot connect to the baseline server");
    for (int i = 0; i < n; ++i) {
      bclient.Add(StreamClient::Rpc::kGetProfile, BenchManifests::Authority(0), true, false);
    }
    const int64_t bstorm_start = NowNs();
    bclient.StartAll();
    WaitUntil(
        [&] { return bclient.WithFirstMessage() + bclient.Failed() >= static_cast<size_t>(n); },
        timeout);
    RoundFigures bstorm = Summarize(*bclient.storm(), n, bstorm_start);
    Progress(
        absl::StrFormat("baseline storm: %zu/%d streams got their first message, last after "
                        "%.0f ms; %zu failed %s",
                        bstorm.arrived, n, bstorm.last_ms, bclient.Failed(), bclient.FirstError()));
    std::vector<RoundFigures> brounds;
    std::vector<std::unique_ptr<Arrivals>> brounds_kept;
    const uint64_t bmsgs_before = bclient.Messages();
    const double bcpu_before = ProcessCpuSeconds(::getpid());
    uint32_t bgen = 0;
    for (int k = 0; k < std::max(changes, 1); ++k) {
      ++bgen;
      auto p = std::make_shared<pb::DestinationProfile>(*initial);
      if (p->dst_overrides_size() > 0) {
        p->mutable_dst_overrides(0)->set_weight((BenchManifests::kWeightBase + bgen) * 10000);
      }
      brounds_kept.push_back(std::make_unique<Arrivals>(n));
      Arrivals* round = brounds_kept.back().get();
      bclient.SetRound(round);
      int64_t push_ns = NowNs();
      baseline.Push(p);
      WaitUntil(
          [&] {
            return round->count() + bclient.Dropped() + bclient.Failed() >= static_cast<size_t>(n);
          },
          timeout);
      bclient.SetRound(nullptr);
      brounds.push_back(Summarize(*round, n, push_ns));
      const RoundFigures& r = brounds.back();
      Progress(absl::StrFormat(
          "baseline push %d: %zu/%d streams; first %.1f ms, p50 %.1f, p99 %.1f, last %.1f ms",
          k + 1, r.arrived, n, r.first_ms, r.p50_ms, r.p99_ms, r.last_ms));
    }
    RoundsSummary base = SummarizeRounds(brounds);
    const double bcpu = ProcessCpuSeconds(::getpid()) - bcpu_before;
    const uint64_t bmsgs = bclient.Messages() - bmsgs_before;
    bclient.CloseAll(timeout);
    baseline.Shutdown();

    report.Section("baseline: naive gRPC server, per-write serialization, same bytes, N streams");
    report.Add("baseline_servers", "grpc::Server instances (one port)",
               absl::GetFlag(FLAGS_baseline_servers));
    report.Add("baseline_streams_failed", "streams failed before a first message",
               static_cast<double>(bclient.Failed()));
    report.Add("baseline_streams_dropped", "streams that ended before the end",
               static_cast<double>(bclient.Dropped()));
    report.Add("baseline_storm_last_ms", "open -> last stream's first message", bstorm.last_ms,
               "ms", 1);
    AddRounds(report, "baseline", base, "push");
    const double bcpu_per_1k = bmsgs > 0 ? bcpu * 1000.0 / static_cast<double>(bmsgs) : NAN;
    report.Add("baseline_process_cpu_s_per_1k_msgs",
               "baseline server + client CPU per 1,000 messages (one process)", bcpu_per_1k, "s",
               4);
    report.Add("baseline_server_cpu_s_per_1k_msgs_est",
               "baseline server CPU per 1,000 messages (minus our client's)",
               bcpu_per_1k - client_cpu_per_msg * 1000.0, "s", 4);
    report.Section("ratio (ours / baseline)");
    report.Add("fanout_ratio", "fan-out rate ratio (first -> last)",
               ours.fanout_rate / base.fanout_rate, "", 2);
    report.Add("e2e_ratio", "end-to-end rate ratio (write/push -> last)",
               ours.e2e_rate / base.e2e_rate, "", 2);
  }

  report.PrintTable(stdout);
  std::printf("\n%s\n", report.Json().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace dest::bench

int main(int argc, char** argv) { return dest::bench::Run(argc, argv); }
