// PMP planner (priv. spec 3.7.1). Three encodings compete: NAPOT (or NA4) for an aligned 2^n block, one
// entry; TOR for any range, one entry plus the base in the entry below, which a preceding TOR ending at the
// same address already provides; and priority — the lowest-numbered matching entry decides (3.7.1.3) — so a
// NAPOT block can be granted whole with smaller entries in front of it carving out other permissions or none.
// A dynamic programme over aligned blocks picks the cheapest mix.
#include <algorithm>
#include <map>
#include <tuple>

#include "encode_internal.hpp"

namespace bulkhead::layout::detail {
namespace {

int add(int a, int b) {
  return std::min(kInfinite, a + b);
}

class PmpPlanner {
 public:
  PmpPlanner(const TargetMap& map, unsigned g) : map_(map), g_(g), grain_log_(static_cast<int>(g) + 2) {}

  int solve(std::uint64_t base, int k, Value bg);
  void emit(std::uint64_t base, int k, Value bg, std::vector<Planned>& out) const;

 private:
  enum class Kind : std::uint8_t { Split, Full, Linear };
  struct Choice {
    int cost = kInfinite;
    Kind kind = Kind::Split;
    Value q;
  };
  using Key = std::tuple<std::uint64_t, int, int>;

  // One entry can cover an aligned 2^k block: NA4 for 4 bytes when G=0 (NA4 is not selectable for G >= 1);
  // NAPOT from 8 bytes, and not below the grain (3.7.1).
  bool single_fits(int k) const { return g_ == 0 ? k >= 2 : k >= grain_log_; }
  bool single_range(std::uint64_t base, std::uint64_t end) const {
    const std::uint64_t size = end - base;
    return is_pow2(size) && base % size == 0 && single_fits(static_cast<int>(log2_floor(size)));
  }
  // Entries for the pieces of [base, end) not showing `bg`, in address order, as NAPOT/NA4 or TOR runs.
  int linear(std::uint64_t base, std::uint64_t end, Value bg, std::vector<Planned>* out) const;

  const TargetMap& map_;
  unsigned g_;
  int grain_log_;
  std::map<Key, Choice> memo_;
};

int PmpPlanner::linear(std::uint64_t base, std::uint64_t end, Value bg, std::vector<Planned>* out) const {
  std::vector<Piece> todo;
  for (const Piece& p : map_.pieces(base, end)) {
    if (!(p.value == bg)) todo.push_back(p);
  }
  // cost[j][s]: entries for pieces 0..j, s = 1 when piece j ends in a TOR (so an adjacent TOR may chain).
  const std::size_t n = todo.size();
  std::vector<std::array<int, 2>> cost(n + 1, {kInfinite, kInfinite});
  std::vector<std::array<int, 2>> from(n + 1, {0, 0});
  cost[0] = {0, kInfinite};
  for (std::size_t j = 0; j < n; ++j) {
    const Piece& p = todo[j];
    const bool adjacent = j > 0 && todo[j - 1].end == p.base;
    for (int s = 0; s < 2; ++s) {
      const int c = cost[j][s];
      if (c >= kInfinite) continue;
      if (single_range(p.base, p.end) && add(c, 1) < cost[j + 1][0]) {
        cost[j + 1][0] = add(c, 1);
        from[j + 1][0] = s;
      }
      const int tor = add(c, s == 1 && adjacent ? 1 : 2);
      if (tor < cost[j + 1][1]) {
        cost[j + 1][1] = tor;
        from[j + 1][1] = s;
      }
    }
  }
  int s = cost[n][0] <= cost[n][1] ? 0 : 1;
  const int total = cost[n][s];
  if (out != nullptr) {
    std::vector<Planned> rev;
    for (std::size_t j = n; j > 0; --j) {
      const Piece& p = todo[j - 1];
      const std::uint64_t size = p.end - p.base;
      if (s == 0) {
        rev.push_back(
            {size == 4 && g_ == 0 ? Planned::Kind::Na4 : Planned::Kind::Napot, p.base, size, 0, p.value});
      } else {
        rev.push_back({Planned::Kind::Tor, p.base, size, 0, p.value});
      }
      s = from[j][s];
    }
    out->insert(out->end(), rev.rbegin(), rev.rend());
  }
  return total;
}

int PmpPlanner::solve(std::uint64_t base, int k, Value bg) {
  const std::uint64_t size = std::uint64_t{1} << k;
  if (const auto u = map_.uniform(base, base + size)) {
    if (*u == bg) return 0;
    return single_fits(k) ? 1 : linear(base, base + size, bg, nullptr);
  }
  if (k <= grain_log_) return kInfinite;
  const Key key{base, k, bg.key()};
  if (auto it = memo_.find(key); it != memo_.end()) return it->second.cost;

  const std::uint64_t half = size / 2;
  Choice best;
  best.cost = add(solve(base, k - 1, bg), solve(base + half, k - 1, bg));
  best.kind = Kind::Split;
  const int lin = linear(base, base + size, bg, nullptr);
  if (lin < best.cost) {
    best.cost = lin;
    best.kind = Kind::Linear;
  }
  if (single_fits(k)) {
    std::vector<Value> candidates;
    for (const Piece& p : map_.pieces(base, base + size)) {
      if (!(p.value == bg) && std::find(candidates.begin(), candidates.end(), p.value) == candidates.end())
        candidates.push_back(p.value);
    }
    if (!(bg == Value{}) && std::find(candidates.begin(), candidates.end(), Value{}) == candidates.end())
      candidates.push_back(Value{});
    for (const Value& q : candidates) {
      const int c = add(1, add(solve(base, k - 1, q), solve(base + half, k - 1, q)));
      if (c < best.cost) {
        best.cost = c;
        best.kind = Kind::Full;
        best.q = q;
      }
    }
  }
  memo_[key] = best;
  return best.cost;
}

void PmpPlanner::emit(std::uint64_t base, int k, Value bg, std::vector<Planned>& out) const {
  const std::uint64_t size = std::uint64_t{1} << k;
  if (const auto u = map_.uniform(base, base + size)) {
    if (*u == bg) return;
    if (single_fits(k)) {
      out.push_back({size == 4 && g_ == 0 ? Planned::Kind::Na4 : Planned::Kind::Napot, base, size, 0, *u});
    } else {
      linear(base, base + size, bg, &out);
    }
    return;
  }
  const Choice& c = memo_.at(Key{base, k, bg.key()});
  const std::uint64_t half = size / 2;
  switch (c.kind) {
    case Kind::Split:
      emit(base, k - 1, bg, out);
      emit(base + half, k - 1, bg, out);
      return;
    case Kind::Linear:
      linear(base, base + size, bg, &out);
      return;
    case Kind::Full:
      // Carve-outs first: the lowest-numbered matching entry decides.
      emit(base, k - 1, c.q, out);
      emit(base + half, k - 1, c.q, out);
      out.push_back({Planned::Kind::Napot, base, size, 0, c.q});
      return;
  }
}

}  // namespace

std::optional<std::vector<Planned>> plan_pmp(const TargetMap& map, const pmp::PmpOptions& options) {
  PmpPlanner planner(map, options.granularity);
  // The root: the whole 4 GiB (a NAPOT of 2^32 is pmpaddr 0x1FFFFFFF), nothing granted around it.
  if (planner.solve(0, 32, Value{}) >= kInfinite) return std::nullopt;
  std::vector<Planned> out;
  planner.emit(0, 32, Value{}, out);
  return out;
}

int pmp_slots_needed(const std::vector<Planned>& plan, int first) {
  int slot = first;
  std::optional<std::uint64_t> below;  // the address the entry below holds as a TOR top, if any
  for (const Planned& p : plan) {
    if (p.kind == Planned::Kind::Tor) {
      const bool has_base = (below && *below == p.base) || (slot == 0 && p.base == 0);
      slot += has_base ? 1 : 2;
      below = p.base + p.size;
    } else {
      slot += 1;
      below.reset();
    }
  }
  return slot - first;
}

}  // namespace bulkhead::layout::detail
