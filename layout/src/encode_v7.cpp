// Arm planners. PMSAv7 regions are aligned 2^n blocks (B3.5.8/B3.5.9), so any set of them nests like a tree;
// a dynamic programme over the blocks that hold a boundary finds the fewest regions, using the two PMSAv7
// tools Tock and Hubris use: subregion disable (a disabled eighth falls through to lower regions, B3.5.9)
// and priority (the highest-numbered matching region decides, B3.5.3), which lets a small region with other
// permissions — or none — sit on top of a large one.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "encode_internal.hpp"

namespace bulkhead::layout::detail {
namespace {

constexpr int kGranuleLog = 5;  // RBAR ADDR[31:5]: nothing finer than 32 bytes (B3.5.8)
constexpr int kSrdMinLog = 8;   // SRD only on regions of 256 bytes or more (B3.5.9)
constexpr int kMaxCandidates = 8;

int add(int a, int b) {
  return std::min(kInfinite, a + b);
}

class V7Planner {
 public:
  V7Planner(const TargetMap& map, std::uint64_t min_size) : map_(map), min_size_(min_size) {}

  int solve(std::uint64_t base, int k, Value bg);
  void emit(std::uint64_t base, int k, Value bg, std::vector<Planned>& out) const;

 private:
  enum class Kind : std::uint8_t { Split, Full, Stacked };
  struct Choice {
    int cost = kInfinite;
    Kind kind = Kind::Split;
    Value q;                       // Full: the region's value
    std::vector<Value> stacked;    // Stacked: one region per value, each enabling the eighths showing it
    std::array<Value, 8> shown{};  // Stacked: what each eighth shows before its own fix-ups
  };
  using Key = std::tuple<std::uint64_t, int, int>;

  bool region_fits(int k) const { return (std::uint64_t{1} << k) >= min_size_; }

  const TargetMap& map_;
  std::uint64_t min_size_;
  std::map<Key, Choice> memo_;
};

int V7Planner::solve(std::uint64_t base, int k, Value bg) {
  const std::uint64_t size = std::uint64_t{1} << k;
  if (const auto u = map_.uniform(base, base + size)) {
    if (*u == bg) return 0;
    return region_fits(k) ? 1 : kInfinite;
  }
  if (k <= kGranuleLog) return kInfinite;
  const Key key{base, k, bg.key()};
  if (auto it = memo_.find(key); it != memo_.end()) return it->second.cost;

  const std::uint64_t half = size / 2;
  Choice best;
  best.kind = Kind::Split;
  best.cost = add(solve(base, k - 1, bg), solve(base + half, k - 1, bg));

  if (region_fits(k)) {
    std::vector<Value> candidates;
    for (const Piece& p : map_.pieces(base, base + size)) {
      if (!(p.value == bg) && std::find(candidates.begin(), candidates.end(), p.value) == candidates.end())
        candidates.push_back(p.value);
    }
    if (!(bg == Value{}) && std::find(candidates.begin(), candidates.end(), Value{}) == candidates.end())
      candidates.push_back(Value{});  // a deny region on top of a granting one
    if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);

    // One region over the whole block, fixed up below in halves.
    for (const Value& q : candidates) {
      const int c = add(1, add(solve(base, k - 1, q), solve(base + half, k - 1, q)));
      if (c < best.cost) {
        best.cost = c;
        best.kind = Kind::Full;
        best.q = q;
      }
    }

    // Regions stacked on the whole block, each with its own SRD, so that every eighth shows one of them or
    // falls through to the background; then each eighth fixed up on its own.
    if (k >= kSrdMinLog) {
      const std::uint64_t eighth = size / 8;
      const int n = static_cast<int>(candidates.size());
      std::array<std::array<int, kMaxCandidates + 1>, 8> cost{};  // [eighth][0 = bg, 1 + candidate]
      for (int i = 0; i < 8; ++i) {
        const std::uint64_t e = base + eighth * static_cast<std::uint64_t>(i);
        cost[i][0] = solve(e, k - 3, bg);
        for (int c = 0; c < n; ++c) cost[i][c + 1] = solve(e, k - 3, candidates[c]);
      }
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        int total = __builtin_popcount(mask);
        std::array<int, 8> pick{};
        for (int i = 0; i < 8 && total < best.cost; ++i) {
          int m = cost[i][0];
          pick[i] = 0;
          for (int c = 0; c < n; ++c) {
            if ((mask >> c) & 1u && cost[i][c + 1] < m) {
              m = cost[i][c + 1];
              pick[i] = c + 1;
            }
          }
          total = add(total, m);
        }
        if (total >= best.cost) continue;
        // Every stacked value must be shown somewhere, or the mask is a worse copy of a smaller one.
        bool all_used = true;
        for (int c = 0; c < n; ++c) {
          if (((mask >> c) & 1u) && std::find(pick.begin(), pick.end(), c + 1) == pick.end())
            all_used = false;
        }
        if (!all_used) continue;
        best.cost = total;
        best.kind = Kind::Stacked;
        best.stacked.clear();
        for (int c = 0; c < n; ++c) {
          if ((mask >> c) & 1u) best.stacked.push_back(candidates[c]);
        }
        for (int i = 0; i < 8; ++i) best.shown[i] = pick[i] == 0 ? bg : candidates[pick[i] - 1];
      }
    }
  }
  memo_[key] = best;
  return best.cost;
}

void V7Planner::emit(std::uint64_t base, int k, Value bg, std::vector<Planned>& out) const {
  const std::uint64_t size = std::uint64_t{1} << k;
  if (const auto u = map_.uniform(base, base + size)) {
    if (!(*u == bg)) out.push_back({Planned::Kind::Arm, base, size, 0, *u});
    return;
  }
  const Choice& c = memo_.at(Key{base, k, bg.key()});
  const std::uint64_t half = size / 2;
  switch (c.kind) {
    case Kind::Split:
      emit(base, k - 1, bg, out);
      emit(base + half, k - 1, bg, out);
      return;
    case Kind::Full:
      // Parent first: later (higher-numbered) regions win where they overlap it.
      out.push_back({Planned::Kind::Arm, base, size, 0, c.q});
      emit(base, k - 1, c.q, out);
      emit(base + half, k - 1, c.q, out);
      return;
    case Kind::Stacked: {
      for (const Value& q : c.stacked) {
        std::uint8_t srd = 0;
        for (int i = 0; i < 8; ++i) {
          if (!(c.shown[i] == q)) srd = static_cast<std::uint8_t>(srd | (1u << i));
        }
        out.push_back({Planned::Kind::Arm, base, size, srd, q});
      }
      const std::uint64_t eighth = size / 8;
      for (int i = 0; i < 8; ++i) emit(base + eighth * static_cast<std::uint64_t>(i), k - 3, c.shown[i], out);
      return;
    }
  }
}

}  // namespace

std::optional<std::vector<Planned>> plan_v7(const TargetMap& map, const mpu::ArmMpuV7Options& options) {
  V7Planner planner(map, std::max<std::uint64_t>(options.min_region_size, 32));
  // The root is the whole 4 GiB space (SIZE=31 is a valid region), with nothing granted around it.
  if (planner.solve(0, 32, Value{}) >= kInfinite) return std::nullopt;
  std::vector<Planned> out;
  planner.emit(0, 32, Value{}, out);
  return out;
}

std::vector<Planned> plan_v8(const TargetMap& map) {
  // PMSAv8 (ARMv8-M MPUCheck): a byte in two enabled regions faults, so regions cannot be stacked and every
  // maximal span of one value needs a region of its own; one region per span is therefore the minimum.
  std::vector<Planned> out;
  for (const Piece& p : map.spans()) out.push_back({Planned::Kind::Arm, p.base, p.end - p.base, 0, p.value});
  return out;
}

}  // namespace bulkhead::layout::detail
