// Test objects from YAML text, through the real decoder, as the manifests source reads them (and
// as Linkerd's tests build their fake clusters): one way for every test to make a store.
#ifndef TESTS_YAML_FIXTURES_H_
#define TESTS_YAML_FIXTURES_H_

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "watchers/decode/object_decoder.h"
#include "watchers/store/store.h"

namespace dest {

// The objects of a (multi-document) manifest as store events of `type`. A manifest the decoder
// rejects fails the test with the decoder's message.
inline std::vector<ObjectEvent> Events(const std::string& yaml,
                                       EventType type = EventType::kModified) {
  auto manifest = ParseManifest("fixture.yaml", yaml);
  EXPECT_TRUE(manifest.ok()) << manifest.status() << "\n" << yaml;
  std::vector<ObjectEvent> out;
  if (!manifest.ok()) return out;
  for (auto& o : manifest->objects) out.push_back({type, std::move(o)});
  return out;
}

// The one object of kind T a single-document manifest holds, through the real decoder. Anything
// else fails the test (and returns a default object, so the test goes on to report more).
template <typename T>
std::shared_ptr<const T> Object(const std::string& yaml) {
  std::vector<ObjectEvent> events = Events(yaml);
  if (events.size() != 1 || !std::holds_alternative<std::shared_ptr<const T>>(events[0].object)) {
    ADD_FAILURE() << "want exactly one " << KindName(KindFor<T>) << " in:\n" << yaml;
    return std::make_shared<const T>();
  }
  return std::get<std::shared_ptr<const T>>(events[0].object);
}

// Applies the manifest's objects to the store as one batch (or deletes them).
inline void Apply(Store& store, const std::string& yaml, EventType type = EventType::kModified) {
  store.Apply(Events(yaml, type));
}

}  // namespace dest

#endif  // TESTS_YAML_FIXTURES_H_
