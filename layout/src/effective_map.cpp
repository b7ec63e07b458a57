// Reading a programmed unit back as a map of permissions, through its public query interface only: this is
// what makes the isolation matrix an independent check of the compiler.
#include <algorithm>

#include "bulkhead/layout/check.hpp"

namespace bulkhead::layout {
namespace {

void fill(const ProtectionUnit& unit, AddressRange r, Privilege priv, std::vector<MapPiece>& out) {
  if (r.empty()) return;
  const auto p = unit.uniform_perms(r, priv);
  if (p || r.size == 1) {
    // A single byte the model will not summarise: ask check() (read, write and execute separately).
    Perms perms = p.value_or(Perms::None);
    if (!p) {
      const auto a = static_cast<std::uint32_t>(r.base);
      for (Access acc : {Access::Read, Access::Write, Access::Execute}) {
        if (unit.check(a, 1, acc, priv).allowed) perms |= perm_for(acc);
      }
    }
    if (!out.empty() && out.back().perms == perms && out.back().range.end() == r.base) {
      out.back().range.size += r.size;
    } else {
      out.push_back({r, perms});
    }
    return;
  }
  const std::uint64_t half = r.size / 2;
  fill(unit, {r.base, half}, priv, out);
  fill(unit, {r.base + half, r.size - half}, priv, out);
}

}  // namespace

std::vector<MapPiece> effective_map(const ProtectionUnit& unit, AddressRange range, Privilege priv) {
  // Cut at every edge the region table shows (PMSAv7 subregion edges included) and at the fixed edges of
  // the Arm default map, so that most pieces are uniform at once; bisection handles the rest.
  std::vector<std::uint64_t> edges{range.base, range.end()};
  for (std::uint64_t a = 0; a <= (std::uint64_t{1} << 32); a += 0x2000'0000) edges.push_back(a);
  edges.push_back(0xE010'0000);
  for (const RegionInfo& r : unit.regions()) {
    if (!r.enabled) continue;
    edges.push_back(r.range.base);
    edges.push_back(r.range.end());
    if (r.range.size >= 256 && r.range.size % 8 == 0) {
      for (int i = 1; i < 8; ++i)
        edges.push_back(r.range.base + r.range.size / 8 * static_cast<std::uint64_t>(i));
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  std::vector<MapPiece> out;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const std::uint64_t lo = std::max(edges[i], range.base);
    const std::uint64_t hi = std::min(edges[i + 1], range.end());
    if (lo < hi) fill(unit, {lo, hi - lo}, priv, out);
  }
  return out;
}

}  // namespace bulkhead::layout
