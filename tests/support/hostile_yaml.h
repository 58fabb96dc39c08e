// Hostile ServiceProfiles, as an attacker (or a typo) would write them: one builder for the unit
// tests of the decoder and the end-to-end tests of the binary. Each has its condition on line 7.
#ifndef TESTS_HOSTILE_YAML_H_
#define TESTS_HOSTILE_YAML_H_

#include <string>

#include "absl/strings/str_cat.h"

namespace dest::testing {

// The first six lines of a ServiceProfile `name` in `ns`, up to its first route's name.
inline std::string ProfileHead(const std::string& name, const std::string& ns) {
  return absl::StrCat("apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\n",
                      "metadata: {name: ", name, ", namespace: ", ns, "}\n",
                      "spec:\n  routes:\n  - name: r\n");
}

// An alias inside its own anchor: decoding it would recurse without end (225 bytes).
inline std::string RecursiveAliasProfile(const std::string& name, const std::string& ns) {
  return ProfileHead(name, ns) + "    condition: &c {method: GET, not: *c}\n";
}

// Nine levels of ten aliases: 10^9 nodes from under a kilobyte.
inline std::string AliasBombProfile(const std::string& name, const std::string& ns) {
  std::string yaml =
      ProfileHead(name, ns) + "    condition:\n      all:\n      - &a0 {method: GET}\n";
  for (int level = 1; level <= 9; ++level) {
    absl::StrAppend(&yaml, "      - &a", level, " {all: [");
    for (int i = 0; i < 10; ++i) absl::StrAppend(&yaml, i ? ", " : "", "*a", level - 1);
    yaml += "]}\n";
  }
  return yaml;
}

}  // namespace dest::testing

#endif  // TESTS_HOSTILE_YAML_H_
