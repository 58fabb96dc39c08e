#include "watchers/objects.h"

#include <type_traits>
#include <variant>

namespace dest {

std::string ServiceRef::ToString() const { return ns + "/" + name; }

std::optional<ServiceRef> ServiceRef::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ServiceRef{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

std::optional<ServiceRef> PodRefOf(const std::optional<ObjectReference>& ref,
                                   const std::string& ns) {
  if (!ref || ref->kind != "Pod") return std::nullopt;
  return ServiceRef{ref->ns.empty() ? ns : ref->ns, ref->name};
}

const ObjectMeta& MetaOf(const AnyObject& o) {
  return std::visit([](const auto& ptr) -> const ObjectMeta& { return ptr->meta; }, o);
}

const HTTPRoute* RouteOf(const AnyObject& o) {
  return std::visit(
      [](const auto& ptr) -> const HTTPRoute* {
        if constexpr (std::is_base_of_v<HTTPRoute,
                                        typename std::decay_t<decltype(ptr)>::element_type>) {
          return ptr.get();
        } else {
          return nullptr;
        }
      },
      o);
}

}  // namespace dest
