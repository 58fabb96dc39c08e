#include "watchers/manifests_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "watchers/log.h"
#include "watchers/object_decoder.h"

namespace dest {
namespace fs = std::filesystem;

namespace {

bool IsManifestName(const std::string& name) {
  return absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
         absl::EndsWith(name, ".json");
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return false;
  *out = std::move(ss).str();
  return true;
}

// Lists manifest files and directories under root (following symlinks, skipping dot-names).
void Walk(const fs::path& root, std::set<std::string>* files, std::set<std::string>* dirs) {
  std::error_code ec;
  dirs->insert(root.string());
  fs::recursive_directory_iterator it(root,
                                      fs::directory_options::follow_directory_symlink |
                                          fs::directory_options::skip_permission_denied,
                                      ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec)) {
      if (it.depth() > 32) {
        it.disable_recursion_pending();
        continue;
      }
      dirs->insert(p.string());
    } else if (it->is_regular_file(ec) && IsManifestName(name)) {
      files->insert(p.string());
    }
  }
  if (ec) {
    Log(LogLevel::kWarn, "manifests directory walk incomplete",
        {{"dir", root.string()}, {"error", ec.message()}});
  }
}

}  // namespace

ManifestsSource::ManifestsSource(Options options, Store* store, prometheus::Registry* registry)
    : options_(std::move(options)), store_(store) {
  if (registry == nullptr) return;
  rescans_ = &prometheus::BuildCounter()
                  .Name("destination_manifests_rescans_total")
                  .Help("Times the manifests directory was re-read.")
                  .Register(*registry)
                  .Add({});
  errors_ = &prometheus::BuildCounter()
                 .Name("destination_manifests_errors_total")
                 .Help(
                     "Manifest files rejected (syntax or invalid objects); their previous "
                     "objects stay in force.")
                 .Register(*registry)
                 .Add({});
  skipped_ = &prometheus::BuildCounter()
                  .Name("destination_manifests_skipped_objects_total")
                  .Help("Documents of kinds the service does not watch, skipped.")
                  .Register(*registry)
                  .Add({});
  files_gauge_ = &prometheus::BuildGauge()
                      .Name("destination_manifests_files")
                      .Help("Manifest files currently loaded.")
                      .Register(*registry)
                      .Add({});
}

ManifestsSource::~ManifestsSource() { Stop(); }

std::vector<Kind> ManifestsSource::Kinds() const {
  std::vector<Kind> kinds;
  for (int k = 0; k < kNumKinds; ++k) kinds.push_back(static_cast<Kind>(k));
  return kinds;
}

absl::Status ManifestsSource::Start() {
  std::error_code ec;
  if (!fs::is_directory(options_.dir, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifests directory \"", options_.dir, "\" is not a readable directory"));
  }
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    return absl::InternalError(absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  // Watches go in before the first read, so no change between the read and the watch is lost.
  Rescan();
  for (Kind k : Kinds()) store_->MarkSynced(k);
  started_ = true;
  thread_ = std::thread([this] { WatchLoop(); });
  return absl::OkStatus();
}

void ManifestsSource::Stop() {
  if (started_.exchange(false)) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  inotify_fd_ = wake_fd_ = -1;
}

void ManifestsSource::AddWatchesLocked(const std::set<std::string>& dirs) {
  constexpr uint32_t kMask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                             IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB;
  for (const std::string& d : dirs) {
    if (watched_dirs_.count(d)) continue;
    int wd = inotify_add_watch(inotify_fd_, d.c_str(), kMask);
    if (wd < 0) {
      Log(LogLevel::kWarn, "cannot watch manifests directory",
          {{"dir", d}, {"error", std::strerror(errno)}});
      continue;
    }
    watched_dirs_[d] = wd;
  }
  for (auto it = watched_dirs_.begin(); it != watched_dirs_.end();) {
    if (dirs.count(it->first) == 0) {
      inotify_rm_watch(inotify_fd_, it->second);
      it = watched_dirs_.erase(it);
    } else {
      ++it;
    }
  }
}

const AnyObject* ManifestsSource::EffectiveLocked(const ObjectKey& key) const {
  auto it = owners_.find(key);
  if (it == owners_.end() || it->second.empty()) return nullptr;
  const FileState& f = files_.at(*it->second.rbegin());
  return &f.objects.at(key);
}

size_t ManifestsSource::Rescan() {
  std::vector<ObjectEvent> events;
  {
    absl::MutexLock lock(&mu_);
    if (rescans_ != nullptr) rescans_->Increment();
    std::set<std::string> paths, dirs;
    Walk(options_.dir, &paths, &dirs);
    if (inotify_fd_ >= 0) AddWatchesLocked(dirs);

    // Keys whose effective object may have changed, with the effective object before.
    std::map<ObjectKey, std::optional<AnyObject>> touched;
    auto touch = [&](const ObjectKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (touched.count(key)) return;
      const AnyObject* e = EffectiveLocked(key);
      touched[key] = e ? std::optional<AnyObject>(*e) : std::nullopt;
    };
    auto drop_file = [&](const std::string& path, FileState& f) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& [key, obj] : f.objects) {
        touch(key);
        auto& o = owners_[key];
        o.erase(path);
        if (o.empty()) owners_.erase(key);
      }
      f.objects.clear();
    };

    // Files that disappeared: their objects go.
    for (auto it = files_.begin(); it != files_.end();) {
      if (paths.count(it->first) == 0) {
        drop_file(it->first, it->second);
        Log(LogLevel::kInfo, "manifest file removed", {{"file", it->first}});
        it = files_.erase(it);
      } else {
        ++it;
      }
    }

    for (const std::string& path : paths) {
      std::string content;
      if (!ReadFile(path, &content)) {
        // Vanished between the walk and the read, or unreadable: keep what it had; the next
        // event rescans.
        continue;
      }
      FileState& f = files_[path];
      if (f.loaded && content == f.content) {
        f.rejected_content.reset();  // back to the good content: a later rejection is news
        continue;
      }
      if (f.rejected_content && content == *f.rejected_content) continue;  // reported already
      absl::StatusOr<DecodedManifest> parsed = ParseManifest(path, content);
      if (!parsed.ok()) {
        f.rejected_content = content;
        if (errors_ != nullptr) errors_->Increment();
        Log(LogLevel::kWarn, "manifest rejected; its previous objects stay in force",
            {{"file", path}, {"error", parsed.status().message()}});
        continue;
      }
      f.rejected_content.reset();
      f.loaded = true;
      f.content = std::move(content);
      if (!parsed->skipped.empty()) {
        if (skipped_ != nullptr) skipped_->Increment(static_cast<double>(parsed->skipped.size()));
        Log(LogLevel::kDebug, "manifest documents skipped",
            {{"file", path}, {"count", parsed->skipped.size()}, {"first", parsed->skipped[0]}});
      }
      drop_file(path, f);
      for (AnyObject& obj : parsed->objects) {
        ObjectKey key = KeyOf(obj);
        touch(key);
        if (f.objects.count(key)) {
          Log(LogLevel::kWarn, "object defined twice in one file; the later one wins",
              {{"file", path},
               {"kind", KindName(key.kind)},
               {"namespace", key.ns},
               {"name", key.name}});
        }
        f.objects.insert_or_assign(key, std::move(obj));
        auto& o = owners_[key];
        o.insert(path);
        if (o.size() == 2) {
          Log(LogLevel::kWarn, "object defined in several files; the last path wins",
              {{"file", *o.begin()},
               {"other", *o.rbegin()},
               {"kind", KindName(key.kind)},
               {"namespace", key.ns},
               {"name", key.name}});
        }
      }
    }
    if (files_gauge_ != nullptr) files_gauge_->Set(static_cast<double>(files_.size()));

    for (const auto& [key, before] : touched) {
      const AnyObject* after = EffectiveLocked(key);
      if (after == nullptr) {
        if (before) events.push_back({EventType::kDeleted, *before});
      } else if (!before) {
        events.push_back({EventType::kAdded, *after});
      } else if (std::visit([](const auto& p) { return static_cast<const void*>(p.get()); },
                            *before) !=
                 std::visit([](const auto& p) { return static_cast<const void*>(p.get()); },
                            *after)) {
        events.push_back({EventType::kModified, *after});
      }
    }
  }
  // Applied outside mu_ so store listeners never run under this source's lock.
  return events.empty() ? 0 : store_->Apply(events);
}

void ManifestsSource::WatchLoop() {
  alignas(inotify_event) char buf[64 * 1024];
  auto drain = [&]() {
    bool any = false;
    for (;;) {
      ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
      if (n <= 0) break;
      any = true;
    }
    return any;
  };
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, "manifests watch failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents != 0) return;
    if (!drain()) continue;
    // Debounce: wait until the directory is quiet for `debounce`, at most `max_debounce`.
    absl::Time deadline = absl::Now() + options_.max_debounce;
    for (;;) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      int wait_ms =
          static_cast<int>(absl::ToInt64Milliseconds(std::min(left, options_.debounce)) + 1);
      pollfd q[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      int n = ::poll(q, 2, wait_ms);
      if (n > 0 && q[1].revents != 0) return;
      if (n <= 0 || !drain()) break;
    }
    size_t changes = Rescan();
    Log(LogLevel::kDebug, "manifests rescanned", {{"changes", changes}});
  }
}

}  // namespace dest
