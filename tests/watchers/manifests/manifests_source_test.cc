// The manifests source as a Kubernetes watch would behave: file changes become add/update/delete
// events in the store; bad files change nothing; the inotify watch delivers edits.
#include "watchers/manifests/manifests_source.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/support/log_capture.h"
#include "tests/support/test_process.h"

namespace dest {
namespace {

using testing::MakeTempDir;
using testing::RemoveTree;
using testing::WriteFile;

std::string ServiceYaml(const std::string& name, const std::string& ip, int port = 80) {
  return absl::StrCat("apiVersion: v1\nkind: Service\nmetadata:\n  name: ", name,
                      "\n  namespace: ns\nspec:\n  clusterIP: ", ip, "\n  ports:\n  - port: ", port,
                      "\n");
}

// Records the store's changes.
class Recorder {
 public:
  explicit Recorder(Store* store) {
    store->AddListener([this](const std::vector<StoreChange>& changes) {
      absl::MutexLock lock(&mu_);
      for (const StoreChange& c : changes) {
        const char* what = !c.before ? "add" : !c.after ? "delete" : "update";
        events_.push_back(
            absl::StrCat(what, " ", KindName(c.key.kind), " ", c.key.ns, "/", c.key.name));
      }
    });
  }
  std::vector<std::string> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(events_, {});
  }
  bool WaitFor(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

class ManifestsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    SetLogSinkForTest(nullptr);
    RemoveTree(dir_);
  }
  std::string dir_;
  prometheus::Registry registry_;
  Store store_{&registry_};
  Recorder recorder_{&store_};
};

using Events = std::vector<std::string>;

TEST_F(ManifestsSourceTest, FileChangesBecomeWatchEvents) {
  WriteFile(dir_ + "/a.yaml",
            ServiceYaml("a", "10.0.0.1") + "---\n" + ServiceYaml("b", "10.0.0.2"));
  ManifestsSource source({.dir = dir_}, &store_, &registry_);
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/a", "add Service ns/b"}));
  EXPECT_EQ(store_.ServicesByClusterIP("10.0.0.2").at(0)->meta.name, "b");

  // b edited, a dropped from the file, c added in a new subdirectory.
  WriteFile(dir_ + "/a.yaml", ServiceYaml("b", "10.0.0.3"));
  std::filesystem::create_directory(dir_ + "/sub");
  WriteFile(dir_ + "/sub/c.yml", ServiceYaml("c", "10.0.0.4"));
  source.Rescan();
  EXPECT_EQ(recorder_.Take(),
            (Events{"delete Service ns/a", "update Service ns/b", "add Service ns/c"}));
  EXPECT_TRUE(store_.ServicesByClusterIP("10.0.0.2").empty());
  EXPECT_EQ(store_.ServicesByClusterIP("10.0.0.3").size(), 1u);

  // Unchanged content: no events at all.
  source.Rescan();
  EXPECT_TRUE(recorder_.Take().empty());

  // Removing a file deletes its objects.
  std::filesystem::remove(dir_ + "/sub/c.yml");
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"delete Service ns/c"}));
}

TEST_F(ManifestsSourceTest, BadFileKeepsItsPreviousObjectsAndIsReportedOnce) {
  testing::LogCapture logs;
  WriteFile(dir_ + "/a.yaml", ServiceYaml("a", "10.0.0.1"));
  ManifestsSource source({.dir = dir_}, &store_, &registry_);
  source.Rescan();
  recorder_.Take();

  WriteFile(dir_ + "/a.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [a\n");
  source.Rescan();
  source.Rescan();
  EXPECT_TRUE(recorder_.Take().empty());
  ASSERT_NE(store_.Get<Service>("ns", "a"), nullptr);
  {
    int rejected = 0;
    for (const auto& l : logs.Lines()) {
      if (l.find("manifest rejected") != std::string::npos) {
        ++rejected;
        // yaml-cpp reports an unclosed flow where it gives up: the end of the file.
        EXPECT_NE(l.find("a.yaml:5: end of sequence flow not found"), std::string::npos) << l;
      }
    }
    EXPECT_EQ(rejected, 1);
  }

  // A wrong type inside a valid YAML document is rejected the same way.
  WriteFile(dir_ + "/a.yaml", ServiceYaml("a", "10.0.0.1") + "  - port: http-port\n");
  source.Rescan();
  EXPECT_TRUE(recorder_.Take().empty());

  // Fixed: the new content applies.
  WriteFile(dir_ + "/a.yaml", ServiceYaml("a", "10.0.0.9"));
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"update Service ns/a"}));
  EXPECT_EQ(store_.ServicesByClusterIP("10.0.0.9").size(), 1u);
}

TEST_F(ManifestsSourceTest, DuplicatesAcrossFilesLastPathWins) {
  WriteFile(dir_ + "/1.yaml", ServiceYaml("a", "10.0.0.1"));
  WriteFile(dir_ + "/2.yaml", ServiceYaml("a", "10.0.0.2"));
  ManifestsSource source({.dir = dir_}, &store_, &registry_);
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/a"}));
  EXPECT_EQ(store_.Get<Service>("ns", "a")->cluster_ips.at(0), "10.0.0.2");
  // The winning file goes: the other definition is back, as an update, not a delete.
  std::filesystem::remove(dir_ + "/2.yaml");
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"update Service ns/a"}));
  EXPECT_EQ(store_.Get<Service>("ns", "a")->cluster_ips.at(0), "10.0.0.1");
}

TEST_F(ManifestsSourceTest, SkipsOtherKindsAndHiddenFiles) {
  WriteFile(dir_ + "/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\n" +
                                  ServiceYaml("a", "10.0.0.1"));
  WriteFile(dir_ + "/.hidden.yaml", ServiceYaml("h", "10.0.0.5"));
  WriteFile(dir_ + "/notes.txt", ServiceYaml("t", "10.0.0.6"));
  ManifestsSource source({.dir = dir_}, &store_, &registry_);
  source.Rescan();
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/a"}));
}

TEST_F(ManifestsSourceTest, MissingDirectoryIsAClearError) {
  ManifestsSource source({.dir = dir_ + "/nope"}, &store_, &registry_);
  absl::Status s = source.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nope"), absl::string_view::npos);
}

TEST_F(ManifestsSourceTest, WatchDeliversEditsAndMarksSynced) {
  WriteFile(dir_ + "/a.yaml", ServiceYaml("a", "10.0.0.1"));
  ManifestsSource source({.dir = dir_}, &store_, &registry_);
  ASSERT_TRUE(source.Start().ok());
  EXPECT_TRUE(store_.AllSynced(source.Kinds()));
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(10)));
  recorder_.Take();
  WriteFile(dir_ + "/b.json",
            R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"b","namespace":"ns"},)"
            R"("spec":{"clusterIP":"10.0.0.2","ports":[{"port":80}]}})");
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(10)));
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/b"}));
  std::filesystem::create_directory(dir_ + "/later");
  WriteFile(dir_ + "/later/c.yaml", ServiceYaml("c", "10.0.0.3"));
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(10)));
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/c"}));
  source.Stop();
}

// A write that is finished (renamed into place, or a manifest closed after writing) is read at
// once; the debounce only holds writes still in progress. With a 3 s debounce, the old loop made
// every change wait 3 s.
TEST_F(ManifestsSourceTest, AFinishedWriteIsReadAtOnceAndAWriteInProgressWaits) {
  ManifestsSource source(
      {.dir = dir_, .debounce = absl::Seconds(3), .max_debounce = absl::Seconds(6)}, &store_,
      &registry_);
  ASSERT_TRUE(source.Start().ok());
  // Renamed into place, as kubectl cp, destbench and most tools do.
  WriteFile(dir_ + "/.a.yaml.tmp", ServiceYaml("a", "10.0.0.1"));
  std::filesystem::rename(dir_ + "/.a.yaml.tmp", dir_ + "/a.yaml");
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(1))) << "a renamed file waited for the debounce";
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/a"}));
  // Written in place and closed.
  WriteFile(dir_ + "/b.yaml", ServiceYaml("b", "10.0.0.2"));
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(1))) << "a closed file waited for the debounce";
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/b"}));
  // Still being written: not read until it is finished (or the directory is quiet).
  {
    std::ofstream partial(dir_ + "/c.yaml");
    partial << ServiceYaml("c", "10.0.0.3");
    partial.flush();
    EXPECT_FALSE(recorder_.WaitFor(1, absl::Milliseconds(500))) << "read a file still open";
    partial << "  - port: 81\n";
  }
  ASSERT_TRUE(recorder_.WaitFor(1, absl::Seconds(1)));
  EXPECT_EQ(recorder_.Take(), (Events{"add Service ns/c"}));
  source.Stop();
}

}  // namespace
}  // namespace dest
