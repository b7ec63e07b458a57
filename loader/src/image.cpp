#include "bulkhead/loader/image.hpp"

#include <algorithm>

#include <spdlog/fmt/fmt.h>

namespace bulkhead::loader {

std::optional<std::string> Image::symbolize(std::uint32_t addr) const {
  // Symbols are sorted by value, so scanning back from the last one starting at or below `addr` finds
  // the innermost (latest-starting) symbol that covers it first.
  auto it = std::upper_bound(symbols.begin(), symbols.end(), addr,
                             [](std::uint32_t a, const Symbol& s) { return a < s.value; });
  while (it != symbols.begin()) {
    --it;
    const std::uint64_t offset = addr - it->value;
    if (offset < it->size || (it->size == 0 && offset == 0)) {
      if (offset == 0) return it->name;
      return fmt::format("{}+{:#x}", it->name, offset);
    }
  }
  return std::nullopt;
}

const Symbol* Image::find_symbol(std::string_view name) const {
  const Symbol* object = nullptr;
  for (const auto& s : symbols) {
    if (s.name != name) continue;
    if (s.is_function) return &s;
    if (object == nullptr) object = &s;
  }
  return object;
}

const Segment* Image::find_segment(std::uint32_t addr) const {
  for (const auto& s : segments) {
    if (s.range().contains(addr)) return &s;
  }
  return nullptr;
}

}  // namespace bulkhead::loader
