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
//   5. head-of-line blocking (`--quiet-interval` > 0, default 100ms): while 3. and 4. run, one
//      extra GetProfile stream (not one of the N: its client is a child destbench of its own,
//      `--quiet-client`) watches a quiet Service that nothing else watches or changes; a thread
//      rewrites that Service's churn file every interval and the stream's write -> message
//      latency is reported, over all quiet changes and over those written while a hot change was
//      in flight (its write -> its last stream);
//   6. the baseline: the same number of GetProfile streams on an in-process naive server that
//      serializes per write, the same profile pushed to all of them; our fan-out rate as a ratio.
// Output: a table, then one JSON line with every figure. Every wait has a deadline; the children
// are always killed at the end. Figures, not pass/fail: see docs/benchmarks.md.
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/child_process.h"
#include "base/flag_args.h"
#include "base/proc_stats.h"
#include "bench/baseline_server.h"
#include "bench/bench_manifests.h"
#include "bench/bench_process.h"
#include "bench/report.h"
#include "bench/stream_client.h"
#include "destination.pb.h"

ABSL_FLAG(std::string, destination, "",
          "the destination binary (default: `destination` next to destbench)");
ABSL_FLAG(std::string, server_prefix, "",
          "comma-separated command to run the server under (absolute path first), e.g. "
          "/usr/bin/valgrind,--tool=callgrind");
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
ABSL_FLAG(
    std::string, change_kind, "both",
    "what a change changes: split (the weights, see --shift-source: GetProfile streams), endpoints "
    "(one endpoint replaced: Get streams) or both");
ABSL_FLAG(std::string, shift_source, "trafficsplit",
          "what carries each Service's weights: trafficsplit (SMI TrafficSplit) or httproute (a "
          "Gateway API HTTPRoute attached to the Service; the same wire weights)");
ABSL_FLAG(int, changes, 5, "changes applied one at a time, each awaited at every stream");
ABSL_FLAG(double, churn_rate, 0, "churn mode: changes per second (0: no churn mode)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "length of the churn mode");
ABSL_FLAG(absl::Duration, quiet_interval, absl::Milliseconds(100),
          "head-of-line blocking: while the changes and the churn run, rewrite a quiet Service "
          "(watched by one extra GetProfile stream whose client is a process of its own, touched "
          "by no change) this often and report its write -> message latency (0: off)");
ABSL_FLAG(std::string, quiet_client, "",
          "internal: run as the quiet stream's client (a child of destbench) against HOST:PORT, "
          "reporting on stderr");
ABSL_FLAG(std::string, quiet_authority, "",
          "internal: the authority the quiet stream watches (with --quiet-client)");
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

// What an interrupted run must not leave behind: the server and the manifests directory.
absl::Mutex g_cleanup_mu;
pid_t g_server_pid ABSL_GUARDED_BY(g_cleanup_mu) = -1;
std::string g_manifests_dir ABSL_GUARDED_BY(g_cleanup_mu);

// Kills the server and removes the manifests directory; for the paths that end the process.
void CleanUp() {
  absl::MutexLock lock(&g_cleanup_mu);
  if (g_server_pid > 0) ::kill(g_server_pid, SIGKILL);
  g_server_pid = -1;
  if (!g_manifests_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(g_manifests_dir, ec);
  }
}

[[noreturn]] void Fatal(const std::string& what) {
  std::fprintf(stderr, "destbench: %s\n", what.c_str());
  CleanUp();
  std::exit(2);
}

void Progress(const std::string& what) {
  std::fprintf(stderr, "destbench: %s\n", what.c_str());
  std::fflush(stderr);
}

// Raises RLIMIT_NOFILE to its hard limit; returns the new soft limit.
uint64_t RaiseOpenFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

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
  int64_t last_at_ns = 0;                                    // NowNs() of the last arrival
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
  r.last_at_ns = t.back();
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

// The run's settings, from the flags.
struct Config {
  int streams = 0;
  int connections = 0;
  int services = 0;
  double profile_fraction = 0;
  double hot_fraction = 0;
  bool change_all = false;  // --change-scope=all
  std::string scope;
  std::string kind;
  BenchManifests::Options manifests;
  int changes = 0;
  double churn_rate = 0;
  absl::Duration churn_duration;
  uint32_t churn_changes = 0;
  absl::Duration quiet_interval;  // zero: no quiet stream
  int quiet_service = -1;         // the quiet Service: one more than --services; -1 when off
  absl::Duration timeout;
  absl::Duration settle;

  static Config FromFlags() {
    Config c;
    c.streams = absl::GetFlag(FLAGS_streams);
    if (c.streams < 1) Fatal("--streams must be >= 1");
    c.connections = absl::GetFlag(FLAGS_connections);
    if (c.connections <= 0) c.connections = (c.streams + 999) / 1000;
    c.connections = std::min(c.connections, c.streams);
    c.services = absl::GetFlag(FLAGS_services);
    c.profile_fraction = absl::GetFlag(FLAGS_profile_fraction);
    c.hot_fraction = absl::GetFlag(FLAGS_hot_fraction);
    if (c.profile_fraction < 0 || c.profile_fraction > 1 || c.hot_fraction < 0 ||
        c.hot_fraction > 1) {
      Fatal("fractions must be in [0, 1]");
    }
    c.scope = absl::GetFlag(FLAGS_change_scope);
    if (c.scope != "hot" && c.scope != "all") Fatal("--change-scope: want hot or all");
    c.change_all = c.scope == "all";
    c.kind = absl::GetFlag(FLAGS_change_kind);
    if (c.kind != "split" && c.kind != "endpoints" && c.kind != "both") {
      Fatal("--change-kind: want split, endpoints or both");
    }
    c.manifests.services = c.services;
    c.manifests.endpoints = absl::GetFlag(FLAGS_endpoints);
    // Each Service's endpoints are one EndpointSlice, which Kubernetes (and the service) caps.
    if (c.manifests.endpoints < 1 || c.manifests.endpoints > 1000) {
      Fatal("--endpoints must be in [1, 1000] (one EndpointSlice per Service)");
    }
    c.manifests.split_backends = absl::GetFlag(FLAGS_split_backends);
    c.manifests.change_split = c.kind != "endpoints";
    c.manifests.change_endpoints = c.kind != "split";
    const std::string shift_source = absl::GetFlag(FLAGS_shift_source);
    if (shift_source != "trafficsplit" && shift_source != "httproute") {
      Fatal("--shift-source: want trafficsplit or httproute");
    }
    c.manifests.httproute = shift_source == "httproute";
    c.changes = absl::GetFlag(FLAGS_changes);
    c.churn_rate = absl::GetFlag(FLAGS_churn_rate);
    c.churn_duration = absl::GetFlag(FLAGS_duration);
    if (c.churn_rate > 0) {
      c.churn_changes =
          static_cast<uint32_t>(std::ceil(c.churn_rate * absl::ToDoubleSeconds(c.churn_duration)));
    }
    if (static_cast<uint64_t>(c.changes) + c.churn_changes + 1 >= 65536) {
      Fatal("at most 65535 changes in one run");
    }
    c.quiet_interval = absl::GetFlag(FLAGS_quiet_interval);
    if (c.quiet_interval < absl::ZeroDuration()) Fatal("--quiet-interval must be >= 0");
    if (c.quiet_interval > absl::ZeroDuration()) {
      // A Service of its own after the S the streams spread over: no other stream watches it and
      // no change (--change-scope=all included) rewrites it.
      if (c.services < 1 || c.services >= 64000) {
        Fatal("--services must be in [1, 63999] with --quiet-interval");
      }
      c.quiet_service = c.services;
      c.manifests.services = c.services + 1;
    }
    c.timeout = absl::GetFlag(FLAGS_timeout);
    c.settle = absl::GetFlag(FLAGS_settle);
    return c;
  }
};

// Rewrites one Service's churn file every `interval` on a thread of its own, each time at the next
// generation (carried by the TrafficSplit only, as GetProfile streams read it back), and keeps the
// time of each write, taken after the rename as for a hot change. Stops at Stop(), at the last
// generation a file can carry, or at the first failed write.
//
// Start() and Stop() are called from one thread; write_ns() and status() only after Stop().
class QuietWriter {
 public:
  static constexpr uint32_t kMaxGenerations = 65535;

  QuietWriter(BenchManifests* manifests, int service, absl::Duration interval)
      : manifests_(manifests), service_(service), interval_(interval) {}
  QuietWriter(const QuietWriter&) = delete;
  QuietWriter& operator=(const QuietWriter&) = delete;
  ~QuietWriter() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }
  // Returns once the thread has made its last write.
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  // write_ns()[g - 1]: NowNs() when generation g was in place.
  const std::vector<int64_t>& write_ns() const { return write_ns_; }
  const absl::Status& status() const { return status_; }

 private:
  void Loop() {
    absl::Time next = absl::Now();
    while (write_ns_.size() < kMaxGenerations) {
      next = std::max(next + interval_, absl::Now());  // late: the next write now, no burst
      if (stop_.WaitForNotificationWithDeadline(next)) return;
      const uint32_t generation = static_cast<uint32_t>(write_ns_.size()) + 1;
      status_ = manifests_->ApplySplit(service_, generation);
      if (!status_.ok()) return;
      write_ns_.push_back(NowNs());
    }
  }

  BenchManifests* const manifests_;
  const int service_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  std::vector<int64_t> write_ns_;  // only the thread touches it until Stop() joins
  absl::Status status_;            // likewise
};

// Time intervals; whether a time falls in one of them.
class Intervals {
 public:
  void Add(int64_t from, int64_t to) { spans_.emplace_back(from, std::max(from, to)); }
  // Sorts and merges; call before Contains().
  void Seal() {
    std::sort(spans_.begin(), spans_.end());
    std::vector<std::pair<int64_t, int64_t>> merged;
    for (const auto& span : spans_) {
      if (!merged.empty() && span.first <= merged.back().second) {
        merged.back().second = std::max(merged.back().second, span.second);
      } else {
        merged.push_back(span);
      }
    }
    spans_ = std::move(merged);
  }
  bool Contains(int64_t t) const {
    auto after = std::upper_bound(spans_.begin(), spans_.end(),
                                  std::make_pair(t, std::numeric_limits<int64_t>::max()));
    return after != spans_.begin() && t <= std::prev(after)->second;
  }

 private:
  std::vector<std::pair<int64_t, int64_t>> spans_;
};

// Write -> message latencies of some quiet changes, into the report under `prefix`.
void AddQuietFigures(Report& report, const std::string& prefix, const std::string& which,
                     std::vector<double> latencies_ms, size_t missing) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const bool any = !latencies_ms.empty();
  report.Add(prefix + "_changes", which + ": changes written",
             static_cast<double>(latencies_ms.size() + missing));
  report.Add(prefix + "_missing", which + ": changes that never arrived by the deadline",
             static_cast<double>(missing));
  report.Add(prefix + "_p50_ms", which + ": write -> message, p50",
             any ? Quantile(latencies_ms, 0.5) : NAN, "ms", 1);
  report.Add(prefix + "_p99_ms", which + ": write -> message, p99",
             any ? Quantile(latencies_ms, 0.99) : NAN, "ms", 1);
  report.Add(prefix + "_max_ms", which + ": write -> message, max", any ? latencies_ms.back() : NAN,
             "ms", 1);
}

// What the quiet client says on its stderr, one line each (the rest of its stderr is errors).
constexpr absl::string_view kQuietReady = "quiet_client: first message";
// Then "<generation> <NowNs() of its arrival>", once per generation, in order.
constexpr absl::string_view kQuietArrival = "quiet_client: g ";

// "quiet_client: g <generation> <ns>" -> the generation and the time; false for other lines.
bool ParseQuietArrival(absl::string_view line, uint32_t* generation, int64_t* ns) {
  if (!absl::ConsumePrefix(&line, kQuietArrival)) return false;
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], generation) &&
         absl::SimpleAtoi(parts[1], ns);
}

// One line on stderr, flushed.
void Say(absl::string_view line) {
  std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

// Ends the quiet client with no destructors run: gRPC may still hold its stream.
[[noreturn]] void EndQuietClient(int code) {
  std::fflush(stderr);
  ::_exit(code);
}

// The quiet stream's client, in a process of its own (`--quiet-client`, started by the Bench):
// inside destbench its messages would queue behind the N streams' on the saturated gRPC threads,
// as they do not at a proxy of its own. Opens the one GetProfile stream, says kQuietReady at its
// first message, then one kQuietArrival line per generation reached (ChurnLog folds skipped ones
// into the message that skips them), timestamped by NowNs() in the reaction: CLOCK_MONOTONIC,
// system-wide, so the parent compares it with its own write times. Runs until SIGTERM/SIGINT/
// SIGHUP (then closes the stream; exit 0 if it ended after cancel in time, else 1), or until the
// stream ends first (exit 3); 2 when it cannot connect or gets no first message in time.
[[noreturn]] void RunQuietClient(const std::string& target, const std::string& authority,
                                 absl::Duration timeout) {
  sigset_t stop;  // blocked before gRPC starts a thread, taken by sigtimedwait below
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  ChurnLog log(0, QuietWriter::kMaxGenerations);  // outlives the client: reactions hold it
  StreamClient client(StreamClient::Options{target, 1});
  if (!client.Connect(timeout)) {
    Say(absl::StrCat("quiet_client: cannot connect to ", target));
    EndQuietClient(2);
  }
  client.Add(StreamClient::Rpc::kGetProfile, authority, true, false);
  client.SetChurn(&log);
  client.StartAll();
  if (!WaitUntil([&] { return client.WithFirstMessage() + client.Ended() > 0; }, timeout) ||
      client.WithFirstMessage() == 0) {
    Say(absl::StrCat("quiet_client: no first message (", client.FirstError(), ")"));
    EndQuietClient(2);
  }
  Say(kQuietReady);
  uint32_t reported = 0;
  auto say_arrivals = [&] {
    // Reached() counts a generation before it stores its time: the time comes next tick.
    while (reported < log.count() && log.ReachedCount(reported + 1) > 0 &&
           log.FirstNs(reported + 1) != std::numeric_limits<int64_t>::max()) {
      ++reported;
      Say(absl::StrCat(kQuietArrival, reported, " ", log.FirstNs(reported)));
    }
  };
  const timespec tick = {0, 1000000};  // the times are taken in the reactions, not here
  for (;;) {
    const bool ended = client.Dropped() > 0;  // its last messages were logged before its end
    say_arrivals();
    if (ended) {
      Say("quiet_client: the stream ended before it was closed");
      EndQuietClient(3);
    }
    if (sigtimedwait(&stop, nullptr, &tick) > 0) break;
  }
  say_arrivals();
  const bool closed = client.CloseAll(timeout);
  Say(closed ? "quiet_client: closed" : "quiet_client: the stream did not end after cancel");
  EndQuietClient(closed ? 0 : 1);
}

// One run: the phases in order, each adding its figures to the report.
class Bench {
 public:
  explicit Bench(Config config) : config_(std::move(config)) {}

  void Run() {
    StartServer();
    OpenStreams();
    MeasureStorm();
    StartQuiet();
    MeasureChanges();
    MeasureChurn();
    MeasureQuiet();
    StopServer();
    MeasureBaseline();
    report_.PrintTable(stdout);
    std::printf("\n%s\n", report_.Json().c_str());
    std::fflush(stdout);
  }

 private:
  // Writes the manifests, starts the server and reads its ports.
  void StartServer() {
    absl::StatusOr<BenchManifests> manifests = BenchManifests::Create(config_.manifests);
    if (!manifests.ok()) Fatal(std::string(manifests.status().message()));
    manifests_.emplace(std::move(*manifests));
    if (absl::GetFlag(FLAGS_keep_manifests)) {
      manifests_->Keep();
    } else {
      absl::MutexLock lock(&g_cleanup_mu);
      g_manifests_dir = manifests_->dir();
    }

    std::string path = absl::GetFlag(FLAGS_destination);
    if (path.empty()) path = DefaultServerPath();
    std::vector<std::string> argv = SplitList(absl::GetFlag(FLAGS_server_prefix));
    for (std::string a :
         {path, "-manifests=" + manifests_->dir(), std::string("-addr=127.0.0.1:0"),
          std::string("-admin-addr=127.0.0.1:0"), std::string("-log-format=json")}) {
      argv.push_back(std::move(a));
    }
    for (const std::string& a : SplitList(absl::GetFlag(FLAGS_server_args))) argv.push_back(a);
    ChildProcess::Options options;
    options.discard_stdout = true;
    options.keep_lines = 100;  // the first and the newest hundred
    if (!server_.Start(argv, options)) Fatal("cannot start " + path);
    {
      absl::MutexLock lock(&g_cleanup_mu);
      g_server_pid = server_.pid();
    }
    std::optional<std::string> serving =
        server_.WaitForLine({"\"msg\":\"serving\""}, config_.timeout);
    if (!serving) {
      for (const std::string& l : server_.Lines()) std::fprintf(stderr, "server: %s\n", l.c_str());
      Fatal("the server did not log \"serving\" in time");
    }
    int admin_port = 0;
    if (!absl::SimpleAtoi(JsonLogField(*serving, "grpc_port"), &grpc_port_) ||
        !absl::SimpleAtoi(JsonLogField(*serving, "admin_port"), &admin_port)) {
      Fatal("no grpc_port/admin_port in: " + *serving);
    }
    Progress(absl::StrFormat("server pid %d serving on 127.0.0.1:%d (admin %d); manifests in %s",
                             server_.pid(), grpc_port_, admin_port, manifests_->dir()));

    report_.Section("setup");
    report_.AddText("server_command", "server command", absl::StrJoin(argv, " "));
    report_.Add("server_pid", "server pid", server_.pid());
    report_.Add("streams_requested", "streams requested (N)", config_.streams);
    report_.Add("connections", "client connections (C)", config_.connections);
    report_.Add("streams_per_connection", "streams per connection",
                static_cast<double>(config_.streams) / config_.connections, "", 0);
    report_.Add("services", "Services (S)", config_.services);
    report_.Add("endpoints_per_service", "endpoints per Service (E)", config_.manifests.endpoints);
    report_.Add("profile_fraction", "GetProfile fraction", config_.profile_fraction, "", 2);
    report_.Add("hot_fraction", "hot fraction (streams on svc-00000)", config_.hot_fraction, "", 2);
    report_.AddText("change_scope", "change scope", config_.scope);
    report_.AddText("change_kind", "change kind", config_.kind);
    report_.AddText("shift_source", "weights from",
                    config_.manifests.httproute ? "HTTPRoute" : "TrafficSplit");
    report_.Add("client_deadlock_detection", "absl deadlock detection in destbench",
                absl::GetFlag(FLAGS_client_deadlock_detection) ? 1 : 0);
    report_.Add("open_file_limit", "RLIMIT_NOFILE (raised to hard max)",
                static_cast<double>(RaiseOpenFileLimit()));
  }

  // Connects the channels and declares the streams (not started).
  void OpenStreams() {
    client_ = std::make_unique<StreamClient>(
        StreamClient::Options{absl::StrCat("127.0.0.1:", grpc_port_), config_.connections});
    if (!client_->Connect(config_.timeout)) Fatal("cannot connect every channel in time");
    const int n = config_.streams;
    const int hot_count = static_cast<int>(std::lround(config_.hot_fraction * n));
    size_t profiles = 0;
    bool sample_set = false;
    for (int i = 0; i < n; ++i) {
      bool profile = Spread(i, config_.profile_fraction);
      bool hot = i < hot_count || config_.services == 1;
      int service = hot ? 0 : 1 + (i % (config_.services - 1));
      bool relevant = (hot || config_.change_all) && (profile ? config_.manifests.change_split
                                                              : config_.manifests.change_endpoints);
      bool sample = profile && !sample_set;
      sample_set = sample_set || sample;
      relevant_ += relevant ? 1 : 0;
      profiles += profile ? 1 : 0;
      client_->Add(profile ? StreamClient::Rpc::kGetProfile : StreamClient::Rpc::kGet,
                   BenchManifests::Authority(service), relevant, sample);
    }
    report_.Add("streams_getprofile", "GetProfile streams", static_cast<double>(profiles));
    report_.Add("streams_get", "Get streams", static_cast<double>(n - profiles));
    report_.Add("streams_relevant", "streams a change reaches (H)", static_cast<double>(relevant_));
  }

  // Starts every stream at once; then memory with the streams held.
  void MeasureStorm() {
    const size_t n = static_cast<size_t>(config_.streams);
    absl::SleepFor(config_.settle);
    const int64_t rss_idle = proc::RssBytes(server_.pid());
    const int64_t self_rss_idle = proc::RssBytes(::getpid());
    const double cpu_idle = proc::CpuSeconds(server_.pid());
    const double self_cpu_idle = proc::CpuSeconds(::getpid());

    Progress(absl::StrCat("opening ", n, " streams over ", config_.connections, " connections"));
    const int64_t start = NowNs();
    client_->StartAll();
    const int64_t issued = NowNs();
    bool done = WaitUntil([&] { return client_->WithFirstMessage() + client_->Failed() >= n; },
                          config_.timeout);
    RoundFigures storm = Summarize(*client_->storm(), n, start);
    const double cpu_storm = proc::CpuSeconds(server_.pid());
    const double self_cpu_storm = proc::CpuSeconds(::getpid());
    Progress(absl::StrFormat("storm: %zu/%zu streams got their first message, last after %.0f ms",
                             storm.arrived, n, storm.last_ms));
    if (client_->Failed() > 0) {
      Progress(
          absl::StrCat(client_->Failed(), " streams failed; first error: ", client_->FirstError()));
    }

    absl::SleepFor(config_.settle);
    const int64_t rss_held = proc::RssBytes(server_.pid());
    const int64_t self_rss_held = proc::RssBytes(::getpid());
    const size_t held = client_->Started() - client_->Ended();
    auto per_stream_kib = [&](int64_t before, int64_t after) {
      return held > 0 ? static_cast<double>(after - before) / 1024.0 / held : NAN;
    };

    report_.Section("memory (server RSS from /proc/PID/status)");
    report_.Add("streams_held", "streams held", static_cast<double>(held));
    report_.Add("streams_failed", "streams failed before a first message",
                static_cast<double>(client_->Failed()));
    report_.Add("server_rss_idle_mib", "server RSS, connections open, no streams",
                static_cast<double>(rss_idle) / (1 << 20), "MiB", 1);
    report_.Add("server_rss_held_mib", "server RSS, streams held",
                static_cast<double>(rss_held) / (1 << 20), "MiB", 1);
    report_.Add("server_rss_per_stream_kib", "server RSS per stream",
                per_stream_kib(rss_idle, rss_held), "KiB", 2);
    report_.Add("server_threads", "server threads", proc::Threads(server_.pid()));
    report_.Add("client_rss_per_stream_kib", "client (destbench) RSS per stream",
                per_stream_kib(self_rss_idle, self_rss_held), "KiB", 2);
    report_.Add("client_stream_object_bytes", "client stream object (sizeof)",
                static_cast<double>(StreamClient::StreamObjectBytes()), "B");

    report_.Section("subscribe storm (N streams opened at once)");
    report_.Add("storm_complete", "all first messages before the deadline", done ? 1 : 0);
    report_.Add("storm_issue_ms", "time to issue N StartCall()", Ms(issued - start), "ms", 1);
    report_.Add("storm_first_ms", "open -> first stream's first message", storm.first_ms, "ms", 1);
    report_.Add("storm_p50_ms", "open -> median stream's first message", storm.p50_ms, "ms", 1);
    report_.Add("storm_p99_ms", "open -> p99 stream's first message", storm.p99_ms, "ms", 1);
    report_.Add("storm_last_ms", "open -> last stream's first message", storm.last_ms, "ms", 1);
    report_.Add("storm_server_cpu_s", "server CPU during the storm", cpu_storm - cpu_idle, "s", 2);
    report_.Add("storm_client_cpu_s", "client (destbench) CPU during the storm",
                self_cpu_storm - self_cpu_idle, "s", 2);

    sample_ = client_->Sample();
    report_.Add("profile_message_bytes", "GetProfile message size (serialized)",
                static_cast<double>(sample_.size()), "B");
  }

  // Rewrites the churn file(s) at the next generation; returns the time of the write.
  int64_t ApplyChange() {
    ++generation_;
    int64_t write_ns = NowNs();
    for (int s = 0; s < (config_.change_all ? config_.services : 1); ++s) {
      if (absl::Status st = manifests_->Apply(s, generation_); !st.ok()) {
        Fatal(std::string(st.message()));
      }
    }
    // One file: the clock starts after its rename. All: at the first rename.
    return config_.change_all ? write_ns : NowNs();
  }

  // `--changes` changes, each awaited at every relevant stream before the next.
  void MeasureChanges() {
    std::vector<RoundFigures> rounds;
    const uint64_t msgs_before = client_->Messages();
    const double cpu_before = proc::CpuSeconds(server_.pid());
    const double self_cpu_before = proc::CpuSeconds(::getpid());
    const int64_t start = NowNs();
    if (relevant_ > 0) {
      Progress(absl::StrCat(config_.changes, " changes, each to ", relevant_, " streams"));
      for (int k = 0; k < config_.changes; ++k) {
        rounds_kept_.push_back(std::make_unique<Arrivals>(relevant_));
        Arrivals* round = rounds_kept_.back().get();
        client_->SetRound(round);
        const int64_t write_ns = ApplyChange();
        // Streams that ended (counted in Dropped) will not get it.
        const bool complete = WaitUntil(
            [&] { return round->count() + client_->Dropped() >= relevant_; }, config_.timeout);
        const int64_t waited_ns = NowNs();
        client_->SetRound(nullptr);
        rounds.push_back(Summarize(*round, relevant_, write_ns));
        const RoundFigures& r = rounds.back();
        // In flight until its last stream got it, or for as long as it was awaited.
        hot_in_flight_.Add(write_ns, complete && r.arrived > 0 ? r.last_at_ns : waited_ns);
        Progress(absl::StrFormat(
            "change %d: %zu/%zu streams; first %.1f ms, p50 %.1f, p99 %.1f, last %.1f ms", k + 1,
            r.arrived, r.expected, r.first_ms, r.p50_ms, r.p99_ms, r.last_ms));
      }
    }
    const double wall_s = Ms(NowNs() - start) / 1e3;
    // Messages of the last change may still be landing at streams that were not awaited.
    absl::SleepFor(absl::Milliseconds(200));
    const uint64_t msgs = client_->Messages() - msgs_before;
    const double cpu = proc::CpuSeconds(server_.pid()) - cpu_before;
    const double client_cpu = proc::CpuSeconds(::getpid()) - self_cpu_before;
    client_cpu_per_msg_ = msgs > 0 ? client_cpu / static_cast<double>(msgs) : NAN;
    ours_ = SummarizeRounds(rounds);

    report_.Section(
        absl::StrCat("one change at a time (", config_.changes, " changes, write -> arrival)"));
    AddRounds(report_, "change", ours_, "write");
    report_.Add("change_messages", "messages delivered (all streams, incl. Get removes)",
                static_cast<double>(msgs));
    report_.Add("change_msgs_per_s_wall", "messages / phase wall time",
                wall_s > 0 ? static_cast<double>(msgs) / wall_s : NAN, "msg/s", 0);
    report_.Add("change_server_cpu_s", "server CPU for the phase", cpu, "s", 3);
    report_.Add("change_cpu_s_per_1k_msgs", "server CPU per 1,000 delivered messages",
                msgs > 0 ? cpu * 1000.0 / static_cast<double>(msgs) : NAN, "s", 4);
    report_.Add("change_client_cpu_s_per_1k_msgs", "client CPU per 1,000 received messages",
                client_cpu_per_msg_ * 1000.0, "s", 4);
    report_.Add("server_rss_after_changes_mib", "server RSS after the changes",
                static_cast<double>(proc::RssBytes(server_.pid())) / (1 << 20), "MiB", 1);
    report_.Add("unexpected_messages", "messages to streams no change was meant for",
                static_cast<double>(client_->Unexpected()));
  }

  // `--churn-rate` changes per second for `--duration`, overlapping freely.
  void MeasureChurn() {
    const uint32_t count = config_.churn_changes;
    if (count == 0 || relevant_ == 0) return;
    Progress(absl::StrFormat("churn: %.1f changes/s for %s", config_.churn_rate,
                             absl::FormatDuration(config_.churn_duration)));
    churn_ = std::make_unique<ChurnLog>(generation_, count);
    const uint64_t msgs_before = client_->Messages();
    const double cpu_before = proc::CpuSeconds(server_.pid());
    client_->SetChurn(churn_.get());
    std::vector<int64_t> write_ns(count);
    const absl::Time t0 = absl::Now();
    for (uint32_t k = 0; k < count; ++k) {
      absl::Time at = t0 + absl::Seconds(k / config_.churn_rate);
      if (absl::Now() < at) absl::SleepFor(at - absl::Now());
      write_ns[k] = ApplyChange();
    }
    WaitUntil([&] { return churn_->ReachedCount(generation_) >= relevant_; }, config_.timeout);
    const int64_t waited_ns = NowNs();
    absl::SleepFor(absl::Milliseconds(200));
    client_->SetChurn(nullptr);
    const uint64_t msgs = client_->Messages() - msgs_before;
    const double cpu = proc::CpuSeconds(server_.pid()) - cpu_before;
    std::vector<double> to_last, to_first;
    size_t missing = 0;
    for (uint32_t k = 0; k < count; ++k) {
      uint32_t g = churn_->base() + k + 1;
      if (churn_->ReachedCount(g) < relevant_) {
        hot_in_flight_.Add(write_ns[k], waited_ns);
        ++missing;
        continue;
      }
      hot_in_flight_.Add(write_ns[k], churn_->LastNs(g));
      to_last.push_back(Ms(churn_->LastNs(g) - write_ns[k]));
      to_first.push_back(Ms(churn_->FirstNs(g) - write_ns[k]));
    }
    std::sort(to_last.begin(), to_last.end());
    std::sort(to_first.begin(), to_first.end());
    const double seconds = absl::ToDoubleSeconds(config_.churn_duration);

    report_.Section(absl::StrFormat("churn (%.1f changes/s for %s)", config_.churn_rate,
                                    absl::FormatDuration(config_.churn_duration)));
    report_.Add("churn_changes", "changes applied", count);
    report_.Add("churn_changes_incomplete", "changes some stream never reached",
                static_cast<double>(missing));
    report_.Add("churn_first_p50_ms", "write -> first stream, p50", Quantile(to_first, 0.5), "ms",
                1);
    report_.Add("churn_last_p50_ms", "write -> last stream, p50", Quantile(to_last, 0.5), "ms", 1);
    report_.Add("churn_last_p99_ms", "write -> last stream, p99", Quantile(to_last, 0.99), "ms", 1);
    report_.Add("churn_last_max_ms", "write -> last stream, max",
                to_last.empty() ? NAN : to_last.back(), "ms", 1);
    report_.Add("churn_messages", "messages delivered", static_cast<double>(msgs));
    report_.Add("churn_msgs_per_s", "messages per second", static_cast<double>(msgs) / seconds,
                "msg/s", 0);
    report_.Add("churn_cpu_s_per_1k_msgs", "server CPU per 1,000 delivered messages",
                msgs > 0 ? cpu * 1000.0 / static_cast<double>(msgs) : NAN, "s", 4);
    report_.Add("churn_server_cpu_share", "server CPU share (cores busy)", cpu / seconds, "", 2);
  }

  // Starts the quiet client (this binary again, with --quiet-client), awaits its first message,
  // and starts rewriting the quiet Service every --quiet-interval. After the storm and the memory
  // figures, which it must not enter.
  void StartQuiet() {
    if (config_.quiet_service < 0) return;
    const std::string authority = BenchManifests::Authority(config_.quiet_service);
    // /proc/self/exe: this very binary, even if a rebuild has replaced the file since.
    const std::vector<std::string> argv = {
        "/proc/self/exe", absl::StrCat("--quiet_client=127.0.0.1:", grpc_port_),
        absl::StrCat("--quiet_authority=", authority),
        absl::StrCat("--timeout=", absl::FormatDuration(config_.timeout)),
        absl::StrCat("--client_deadlock_detection=",
                     absl::GetFlag(FLAGS_client_deadlock_detection) ? "true" : "false")};
    ChildProcess::Options options;
    options.discard_stdout = true;  // stdout is the report's; the client speaks on stderr
    if (!quiet_client_.Start(argv, options)) Fatal("cannot start the quiet client");
    // Returns early when the client exits (no first message, no connection).
    if (!quiet_client_.WaitForLine({std::string(kQuietReady)}, config_.timeout)) {
      Progress("the quiet stream got no first message; no quiet changes");
      PrintQuietClientErrors();
      return;
    }
    Progress(absl::StrFormat("quiet stream on %s (client pid %d), rewritten every %s", authority,
                             quiet_client_.pid(), absl::FormatDuration(config_.quiet_interval)));
    quiet_writer_ =
        std::make_unique<QuietWriter>(&*manifests_, config_.quiet_service, config_.quiet_interval);
    quiet_writer_->Start();
  }

  // The quiet client's lines other than the expected ones (its errors), as progress.
  void PrintQuietClientErrors() {
    uint32_t generation = 0;
    int64_t ns = 0;
    for (const std::string& line : quiet_client_.Lines()) {
      if (line != kQuietReady && !ParseQuietArrival(line, &generation, &ns)) Progress(line);
    }
  }

  // Stops the quiet writer, awaits its last change at the quiet client (to the deadline), stops
  // the client (SIGTERM: it closes the stream) and reports write -> message: over all quiet
  // changes, and over those written while a hot change was in flight.
  void MeasureQuiet() {
    if (config_.quiet_service < 0) return;
    std::vector<int64_t> writes;
    if (quiet_writer_) {
      quiet_writer_->Stop();
      if (!quiet_writer_->status().ok()) {
        Progress(absl::StrCat("quiet writer stopped: ", quiet_writer_->status().message()));
      }
      writes = quiet_writer_->write_ns();
    }
    const uint32_t last = static_cast<uint32_t>(writes.size());
    if (last > 0) {
      // The last generation written arrives as itself (only an earlier one can be skipped).
      // Returns early when the client exits: its stream ended.
      quiet_client_.WaitForLine({absl::StrCat(kQuietArrival, last, " ")}, config_.timeout);
    }
    const bool died = !quiet_client_.Running();
    const int exit_code = quiet_client_.Stop(config_.timeout);
    if (died || exit_code != 0) {
      Progress(absl::StrCat("the quiet client ", died ? "exited" : "was stopped", " with code ",
                            exit_code, died ? " before it was stopped" : ""));
      PrintQuietClientErrors();
    }
    // Its arrivals, each generation in order; a skipped one counts as reached by the later.
    ChurnLog arrivals(0, QuietWriter::kMaxGenerations);
    uint32_t reached = 0;
    for (const std::string& line : quiet_client_.Lines()) {
      uint32_t generation = 0;
      int64_t ns = 0;
      if (!ParseQuietArrival(line, &generation, &ns) || generation <= reached) continue;
      arrivals.Reached(reached, generation, ns);
      reached = generation;
    }
    hot_in_flight_.Seal();
    std::vector<double> all_ms, during_ms;
    size_t missing = 0, during_missing = 0;
    for (uint32_t g = 1; g <= last; ++g) {
      const bool during = hot_in_flight_.Contains(writes[g - 1]);
      if (arrivals.ReachedCount(g) == 0) {
        ++missing;
        if (during) ++during_missing;
        continue;
      }
      const double ms = Ms(arrivals.FirstNs(g) - writes[g - 1]);
      all_ms.push_back(ms);
      if (during) during_ms.push_back(ms);
    }
    const bool closed = !died && exit_code == 0;
    Progress(absl::StrFormat("quiet: %u changes (%zu missing), %zu during a hot fan-out", last,
                             missing, during_ms.size() + during_missing));

    report_.Section(absl::StrFormat(
        "quiet stream (head-of-line blocking: %s rewritten every %s, write -> message)",
        BenchManifests::Authority(config_.quiet_service),
        absl::FormatDuration(config_.quiet_interval)));
    report_.Add("quiet_interval_ms", "quiet Service rewritten every",
                absl::ToDoubleMilliseconds(config_.quiet_interval), "ms", 1);
    AddQuietFigures(report_, "quiet", "all quiet changes", std::move(all_ms), missing);
    AddQuietFigures(report_, "quiet_during_fanout", "written while a hot change was in flight",
                    std::move(during_ms), during_missing);
    report_.Add("quiet_stream_closed_cleanly", "quiet stream ended after cancel", closed ? 1 : 0);
    report_.Add("quiet_client_exit_code", "quiet client exit code (0: stopped, stream closed)",
                exit_code);
  }

  // Closes our streams and stops the server (SIGTERM).
  void StopServer() {
    Progress("closing the streams");
    bool closed = client_->CloseAll(config_.timeout);
    report_.Section("end");
    report_.Add("streams_dropped", "streams that ended before the benchmark closed them",
                static_cast<double>(client_->Dropped()));
    report_.Add("streams_closed_cleanly", "all streams ended after cancel", closed ? 1 : 0);
    report_.Add("server_alive", "server still running at the end", server_.Running() ? 1 : 0);
    const int exit_code = server_.Stop();
    {
      absl::MutexLock lock(&g_cleanup_mu);
      g_server_pid = -1;
    }
    report_.Add("server_exit_code", "server exit code after SIGTERM", exit_code);
  }

  // The naive server on as many streams, pushing the same bytes.
  void MeasureBaseline() {
    if (!absl::GetFlag(FLAGS_baseline) || sample_.empty()) return;
    const size_t n = static_cast<size_t>(config_.streams);
    auto initial = std::make_shared<pb::DestinationProfile>();
    if (!initial->ParseFromString(sample_)) Fatal("cannot parse the sample profile");
    const int servers = absl::GetFlag(FLAGS_baseline_servers);
    BaselineServer baseline(initial, servers);
    if (!baseline.Start()) Fatal("cannot start the baseline server");
    Progress(absl::StrCat("baseline: ", n, " GetProfile streams on 127.0.0.1:", baseline.port()));
    StreamClient client(
        StreamClient::Options{absl::StrCat("127.0.0.1:", baseline.port()), config_.connections});
    if (!client.Connect(config_.timeout)) Fatal("cannot connect to the baseline server");
    for (size_t i = 0; i < n; ++i) {
      client.Add(StreamClient::Rpc::kGetProfile, BenchManifests::Authority(0), true, false);
    }
    const int64_t storm_start = NowNs();
    client.StartAll();
    WaitUntil([&] { return client.WithFirstMessage() + client.Failed() >= n; }, config_.timeout);
    RoundFigures storm = Summarize(*client.storm(), n, storm_start);
    Progress(absl::StrFormat(
        "baseline storm: %zu/%zu streams got their first message, last after %.0f ms; %zu failed "
        "%s",
        storm.arrived, n, storm.last_ms, client.Failed(), client.FirstError()));

    std::vector<RoundFigures> rounds;
    std::vector<std::unique_ptr<Arrivals>> rounds_kept;  // reactions may still hold a pointer
    const uint64_t msgs_before = client.Messages();
    const double cpu_before = proc::CpuSeconds(::getpid());
    for (int k = 0; k < std::max(config_.changes, 1); ++k) {
      auto p = std::make_shared<pb::DestinationProfile>(*initial);
      if (p->dst_overrides_size() > 0) {
        p->mutable_dst_overrides(0)->set_weight((BenchManifests::kWeightBase + k + 1) * 10000);
      }
      rounds_kept.push_back(std::make_unique<Arrivals>(n));
      Arrivals* round = rounds_kept.back().get();
      client.SetRound(round);
      const int64_t push_ns = NowNs();
      baseline.Push(p);
      WaitUntil([&] { return round->count() + client.Dropped() + client.Failed() >= n; },
                config_.timeout);
      client.SetRound(nullptr);
      rounds.push_back(Summarize(*round, n, push_ns));
      const RoundFigures& r = rounds.back();
      Progress(absl::StrFormat(
          "baseline push %d: %zu/%zu streams; first %.1f ms, p50 %.1f, p99 %.1f, last %.1f ms",
          k + 1, r.arrived, n, r.first_ms, r.p50_ms, r.p99_ms, r.last_ms));
    }
    RoundsSummary base = SummarizeRounds(rounds);
    const double cpu = proc::CpuSeconds(::getpid()) - cpu_before;
    const uint64_t msgs = client.Messages() - msgs_before;
    const size_t failed = client.Failed(), dropped = client.Dropped();
    client.CloseAll(config_.timeout);
    baseline.Shutdown();

    report_.Section("baseline: naive gRPC server, per-write serialization, same bytes, N streams");
    report_.Add("baseline_servers", "grpc::Server instances (one port)", servers);
    report_.Add("baseline_streams_failed", "streams failed before a first message",
                static_cast<double>(failed));
    report_.Add("baseline_streams_dropped", "streams that ended before the end",
                static_cast<double>(dropped));
    report_.Add("baseline_storm_last_ms", "open -> last stream's first message", storm.last_ms,
                "ms", 1);
    AddRounds(report_, "baseline", base, "push");
    const double cpu_per_1k = msgs > 0 ? cpu * 1000.0 / static_cast<double>(msgs) : NAN;
    report_.Add("baseline_process_cpu_s_per_1k_msgs",
                "baseline server + client CPU per 1,000 messages (one process)", cpu_per_1k, "s",
                4);
    report_.Add("baseline_server_cpu_s_per_1k_msgs_est",
                "baseline server CPU per 1,000 messages (minus our client's)",
                cpu_per_1k - client_cpu_per_msg_ * 1000.0, "s", 4);
    report_.Section("ratio (ours / baseline)");
    report_.Add("fanout_ratio", "fan-out rate ratio (first -> last)",
                ours_.fanout_rate / base.fanout_rate, "", 2);
    report_.Add("e2e_ratio", "end-to-end rate ratio (write/push -> last)",
                ours_.e2e_rate / base.e2e_rate, "", 2);
  }

  const Config config_;
  Report report_;
  std::optional<BenchManifests> manifests_;
  ChildProcess server_;
  int grpc_port_ = 0;
  std::unique_ptr<StreamClient> client_;
  size_t relevant_ = 0;  // streams a change reaches (H)
  std::string sample_;   // one GetProfile message, as the server sent it
  uint32_t generation_ = 0;
  std::vector<std::unique_ptr<Arrivals>> rounds_kept_;  // reactions may still hold a pointer
  std::unique_ptr<ChurnLog> churn_;
  Intervals hot_in_flight_;    // from each hot write to its last stream (or the deadline)
  ChildProcess quiet_client_;  // destbench --quiet-client: the quiet stream in its own process
  std::unique_ptr<QuietWriter> quiet_writer_;
  RoundsSummary ours_;
  double client_cpu_per_msg_ = NAN;
};

int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "destbench: opens N Get/GetProfile streams against a destination server it starts, "
      "applies changes, and prints memory, latency and throughput figures.\n"
      "  destbench --streams=20000 [--connections=20] [--services=100] [--churn-rate=10]");
  // Flag parsing starts no thread: HandleInterrupts() and RunQuietClient() still come first.
  std::vector<std::string> args = NormalizeFlagArgs(argc, argv);
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  std::vector<char*> rest = absl::ParseCommandLine(static_cast<int>(cargs.size()), cargs.data());
  if (rest.size() > 1) Fatal(absl::StrCat("unexpected argument \"", rest[1], "\""));
  if (!absl::GetFlag(FLAGS_client_deadlock_detection)) {
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  }
  if (const std::string target = absl::GetFlag(FLAGS_quiet_client); !target.empty()) {
    RunQuietClient(target, absl::GetFlag(FLAGS_quiet_authority), absl::GetFlag(FLAGS_timeout));
  }
  HandleInterrupts("destbench", &CleanUp);
  Bench(Config::FromFlags()).Run();
  return 0;
}

}  // namespace
}  // namespace dest::bench

int main(int argc, char** argv) { return dest::bench::Run(argc, argv); }
