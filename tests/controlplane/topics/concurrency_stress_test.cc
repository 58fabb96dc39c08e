// The concurrent core without gRPC: the Store, the TopicRegistry, the three kinds of topic and the
// fan-out scheduler, driven at once by writers (endpoints, pods, ServiceProfiles, TrafficSplits and
// Services changing), readers of the store, and subscribers acquiring, subscribing, unsubscribing
// and releasing topics, with one topic large enough to be offered in many parts on both scheduler
// threads. Afterwards every remaining stream holds exactly what the store says, and every topic is
// released. CI runs it under ThreadSanitizer (tests/tsan/run.sh) as well as in the normal suite.
#include <atomic>
#include <deque>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "controlplane/topics/topic_registry.h"
#include "gtest/gtest.h"
#include "tests/support/stream_models.h"
#include "tests/support/yaml_fixtures.h"
#include "watchers/store/store.h"

namespace dest {
namespace {

constexpr char kNs[] = "stress";
constexpr int kServices = 6;
constexpr int kPodsPerService = 8;
constexpr int kBigTopicStreams = 2500;  // many parts of FanoutScheduler::kDefaultPart

std::string Svc(int i) { return absl::StrCat("s", i); }
std::string PodIp(int svc, int pod) { return absl::StrCat("10.", svc, ".0.", pod + 1); }

std::string ServiceYaml(int i) {
  return absl::Substitute(R"(apiVersion: v1
kind: Service
metadata: {name: $0, namespace: $1}
spec:
  clusterIP: 10.96.0.$2
  ports: [{name: http, port: 80, targetPort: 8080}]
)",
                          Svc(i), kNs, i + 10);
}

std::string PodYaml(int svc, int pod, int generation) {
  return absl::Substitute(R"(apiVersion: v1
kind: Pod
metadata:
  name: $0-p$1
  namespace: $2
  labels: {app: $0, generation: "g$3"}
  annotations: {linkerd.io/proxy-version: "v$3"}
spec: {serviceAccountName: sa-$0, nodeName: node-1}
status: {phase: Running, podIP: $4}
)",
                          Svc(svc), pod, kNs, generation, PodIp(svc, pod));
}

// A slice holding the pods whose bit is set in `mask`.
std::string SliceYaml(int svc, unsigned mask) {
  std::string eps;
  for (int p = 0; p < kPodsPerService; ++p) {
    if ((mask & (1u << p)) == 0) continue;
    absl::StrAppend(&eps,
                    absl::Substitute("  - addresses: [$0]\n    conditions: {ready: true}\n"
                                     "    targetRef: {kind: Pod, name: $1-p$2, namespace: $3}\n",
                                     PodIp(svc, p), Svc(svc), p, kNs));
  }
  return absl::Substitute(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $0-1
  namespace: $1
  labels: {kubernetes.io/service-name: $0}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:$2
)",
                          Svc(svc), kNs, eps.empty() ? " []" : "\n" + eps);
}

std::string ProfileYaml(int svc, int w1, int w2) {
  return absl::Substitute(R"(apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata: {name: $0.$1.svc.cluster.local, namespace: $1}
spec:
  routes:
  - name: GET /
    condition: {method: GET, pathRegex: /}
  dstOverrides:
  - {authority: $0.$1.svc.cluster.local:80, weight: $2}
  - {authority: $3.$1.svc.cluster.local:80, weight: $4}
)",
                          Svc(svc), kNs, w1, Svc((svc + 1) % kServices), w2);
}

std::string SplitYaml(int svc, int w1, int w2) {
  return absl::Substitute(R"(apiVersion: split.smi-spec.io/v1alpha2
kind: TrafficSplit
metadata: {name: $0-split, namespace: $1}
spec:
  service: $0
  backends:
  - {service: $0, weight: $2}
  - {service: $3, weight: $4}
)",
                          Svc(svc), kNs, w1, Svc((svc + 1) % kServices), w2);
}

TranslatorOptions Options() { return TranslatorOptions(); }

class ConcurrencyStressTest : public ::testing::Test {
 protected:
  ConcurrencyStressTest() : topics_(&store_, Options(), nullptr, &scheduler_) {
    store_.AddListener([this](const std::vector<StoreChange>& c) { topics_.OnStoreChanges(c); });
    std::string all;
    for (int s = 0; s < kServices; ++s) {
      absl::StrAppend(&all, ServiceYaml(s), "---\n", SliceYaml(s, 0xff), "---\n");
      for (int p = 0; p < kPodsPerService; ++p) absl::StrAppend(&all, PodYaml(s, p, 0), "---\n");
    }
    store_.Apply(Events(all));
  }

  static EndpointKey EpKey(int svc) { return EndpointKey{Svc(svc), kNs, 80, "", ""}; }
  static ProfileKey ProfKey(int svc) { return ProfileKey{Svc(svc), kNs, 80, ""}; }

  // One held subscription, released in Drop.
  struct Held {
    std::shared_ptr<EndpointTopic> ep_topic;
    std::shared_ptr<ModelStream> ep_stream;
    std::shared_ptr<ProfileTopic> prof_topic;
    std::shared_ptr<ProfileModelStream> prof_stream;
    int svc = 0;
  };
  Held Subscribe(int svc, bool endpoints, bool lazy) {
    Held h;
    h.svc = svc;
    if (endpoints) {
      h.ep_topic = topics_.AcquireEndpoints(EpKey(svc));
      h.ep_stream = std::make_shared<ModelStream>(lazy);
      h.ep_stream->Offer(h.ep_topic->Subscribe(h.ep_stream));
    } else {
      h.prof_topic = topics_.AcquireProfile(ProfKey(svc));
      h.prof_stream = std::make_shared<ProfileModelStream>();
      h.prof_stream->Offer(h.prof_topic->Subscribe(h.prof_stream));
    }
    return h;
  }
  void Drop(Held& h) {
    if (h.ep_topic) {
      h.ep_topic->Unsubscribe(h.ep_stream.get());
      topics_.ReleaseEndpoints(*h.ep_topic);
    } else {
      h.prof_topic->Unsubscribe(h.prof_stream.get());
      topics_.ReleaseProfile(*h.prof_topic);
    }
    h = Held();
  }

  // What a new stream would be sent now: a topic computed from the store by a registry with no
  // history (every object here is valid, so no last-valid state differs).
  std::string FreshProfileBytes(int svc) {
    TopicRegistry fresh(&store_, Options(), nullptr, nullptr);
    auto t = fresh.AcquireProfile(ProfKey(svc));
    auto s = std::make_shared<ProfileModelStream>();
    s->Offer(t->Subscribe(s));
    t->Unsubscribe(s.get());
    fresh.ReleaseProfile(*t);
    return s->Newest()->bytes;
  }
  void ExpectCurrent(Held& h) {
    if (h.ep_stream) {
      h.ep_stream->Pump();
      ProxyModel got = h.ep_stream->Model();
      EndpointState st = ComputeEndpoints(store_, EpKey(h.svc), Options());
      std::map<std::string, std::string> want;
      for (const auto& [id, wa] : st.addrs) want[AddrId(wa->addr())] = SerializeDeterministic(*wa);
      EXPECT_TRUE(got.known) << Svc(h.svc);
      EXPECT_EQ(got.exists, st.exists) << Svc(h.svc);
      EXPECT_EQ(got.addrs, want) << Svc(h.svc);
    } else {
      ASSERT_NE(h.prof_stream->Newest(), nullptr);
      EXPECT_EQ(h.prof_stream->Newest()->bytes, FreshProfileBytes(h.svc)) << Svc(h.svc);
    }
  }

  Store store_;
  FanoutScheduler scheduler_{2};  // two threads, whatever the machine: parts run in parallel
  TopicRegistry topics_;
};

TEST_F(ConcurrencyStressTest, WritersReadersAndSubscribersAtOnceEndInTheStoresState) {
  constexpr int kWriterSteps = 300;
  constexpr int kSubscriberThreads = 4;
  constexpr int kKeepPerThread = 40;

  // The big topics: enough streams on s0 that each of its changes is offered in parts on both
  // threads.
  std::vector<Held> big;
  for (int i = 0; i < kBigTopicStreams; ++i) {
    big.push_back(Subscribe(0, /*endpoints=*/true, /*lazy=*/true));
    big.push_back(Subscribe(0, /*endpoints=*/false, /*lazy=*/true));
  }

  std::atomic<int> writers_left{3};
  std::vector<std::thread> threads;
  // Endpoints and pods: slices shrink and grow, pods change labels (metadata of their address).
  threads.emplace_back([&] {
    std::mt19937 rng(1);
    for (int step = 0; step < kWriterSteps; ++step) {
      int s = rng() % kServices;
      std::string y = SliceYaml(s, rng() & 0xff);
      if (step % 3 == 0) absl::StrAppend(&y, "---\n", PodYaml(s, rng() % kPodsPerService, step));
      store_.Apply(Events(y));
    }
    --writers_left;
  });
  // Traffic shifting: ServiceProfiles and TrafficSplits appear, change weights and go.
  threads.emplace_back([&] {
    std::mt19937 rng(2);
    for (int step = 0; step < kWriterSteps; ++step) {
      int s = rng() % kServices;
      int w1 = 1 + rng() % 999, w2 = 1 + rng() % 999;
      switch (rng() % 4) {
        case 0:
          store_.Apply(Events(ProfileYaml(s, w1, w2)));
          break;
        case 1:
          store_.Apply(Events(ProfileYaml(s, w1, w2), EventType::kDeleted));
          break;
        case 2:
          store_.Apply(Events(SplitYaml(s, w1, w2)));
          break;
        default:
          store_.Apply(Events(SplitYaml(s, w1, w2), EventType::kDeleted));
          break;
      }
    }
    --writers_left;
  });
  // Services go and come back (every stream of theirs sees no_endpoints, then the endpoints).
  threads.emplace_back([&] {
    std::mt19937 rng(3);
    for (int step = 0; step < kWriterSteps / 10; ++step) {
      int s = rng() % kServices;
      store_.Apply(Events(ServiceYaml(s), EventType::kDeleted));
      std::this_thread::yield();
      store_.Apply(Events(ServiceYaml(s)));
    }
    --writers_left;
  });
  // Readers of the store's indexes, as translators outside the listener would be.
  threads.emplace_back([&] {
    while (writers_left > 0) {
      for (int s = 0; s < kServices; ++s) {
        (void)store_.SlicesForService(kNs, Svc(s));
        (void)store_.SplitsForService(kNs, Svc(s));
        (void)store_.PodsByIP(PodIp(s, 0));
      }
      (void)store_.List<ServiceProfile>();
      (void)store_.Count(Kind::kPod);
    }
  });
  // Subscribers: short-lived streams (opened and cancelled at once) and held ones.
  std::vector<std::vector<Held>> kept(kSubscriberThreads);
  for (int t = 0; t < kSubscriberThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      std::deque<Held> mine;
      while (writers_left > 0) {
        Held h = Subscribe(rng() % kServices, rng() % 2 == 0, /*lazy=*/rng() % 2 == 0);
        if (rng() % 2 == 0) {
          Drop(h);
          continue;
        }
        mine.push_back(std::move(h));
        if (mine.size() > kKeepPerThread) {
          Drop(mine.front());
          mine.pop_front();
        }
      }
      kept[t].assign(std::make_move_iterator(mine.begin()), std::make_move_iterator(mine.end()));
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(scheduler_.WaitIdle(absl::Seconds(60))) << "the fan-out never finished";

  size_t checked = 0;
  for (auto& list : kept) {
    for (Held& h : list) {
      ExpectCurrent(h);
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
  // The big topic's streams, spot-checked (they share one snapshot each).
  ExpectCurrent(big.front());
  ExpectCurrent(big[1]);
  ExpectCurrent(big.back());
  for (auto& list : kept) {
    for (Held& h : list) Drop(h);
  }
  for (Held& h : big) Drop(h);
  EXPECT_EQ(topics_.TopicCount(), 0u) << "a topic outlived its last subscriber";
}

}  // namespace
}  // namespace dest
