// Test objects from YAML text, through the real decoder, as the manifests source reads them (and
// as Linkerd's tests build their fake clusters): one way for every test to make a store.
#ifndef TESTS_YAML_FIXTURES_H_
#define TESTS_YAML_FIXTURES_H_

#include <string>
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

// Applies the manifest's objects to the store as one batch (or deletes them).
inline void Apply(Store& store, const std::string& yaml, EventType type = EventType::kModified) {
  store.Apply(Events(yaml, type));
}

}  // namespace dest

#endif  // TESTS_YAML_FIXTURES_H_
