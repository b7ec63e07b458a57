// The requested map: sorted spans, uniformity queries by binary search.
#include <algorithm>

#include "encode_internal.hpp"

namespace bulkhead::layout::detail {

TargetMap::TargetMap(std::vector<Piece> spans) {
  std::sort(spans.begin(), spans.end(), [](const Piece& a, const Piece& b) { return a.base < b.base; });
  for (const Piece& p : spans) {
    if (p.end <= p.base || p.value.perms == Perms::None) continue;
    if (!spans_.empty() && spans_.back().end == p.base && spans_.back().value == p.value) {
      spans_.back().end = p.end;
    } else {
      spans_.push_back(p);
    }
  }
}

std::optional<Value> TargetMap::uniform(std::uint64_t base, std::uint64_t end) const {
  // First span ending after `base`.
  auto it = std::upper_bound(spans_.begin(), spans_.end(), base,
                             [](std::uint64_t a, const Piece& p) { return a < p.end; });
  if (it == spans_.end() || it->base >= end) return Value{};
  if (it->base <= base && it->end >= end) return it->value;
  return std::nullopt;
}

std::vector<Piece> TargetMap::pieces(std::uint64_t base, std::uint64_t end) const {
  std::vector<Piece> out;
  auto it = std::upper_bound(spans_.begin(), spans_.end(), base,
                             [](std::uint64_t a, const Piece& p) { return a < p.end; });
  std::uint64_t at = base;
  for (; it != spans_.end() && it->base < end; ++it) {
    if (it->base > at) out.push_back({at, it->base, Value{}});
    const std::uint64_t lo = std::max(it->base, at);
    const std::uint64_t hi = std::min(it->end, end);
    out.push_back({lo, hi, it->value});
    at = hi;
  }
  if (at < end) out.push_back({at, end, Value{}});
  return out;
}

std::uint64_t log2_floor(std::uint64_t v) {
  std::uint64_t n = 0;
  while (v > 1) {
    v >>= 1;
    ++n;
  }
  return n;
}

bool is_pow2(std::uint64_t v) {
  return v != 0 && (v & (v - 1)) == 0;
}

std::uint64_t pow2_ceil(std::uint64_t v) {
  std::uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace bulkhead::layout::detail
