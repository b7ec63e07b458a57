// Region counts of the compiler against the true minimum, found by breadth-first search over every map a
// small window can show. PMSAv7: 8 granules of 32 bytes (256 bytes), values none/r--/rw-; a state is the map,
// a move puts one more region on top (higher-numbered regions win, B3.5.3; disabled subregions leave the
// bytes below visible, B3.5.9). Every larger region restricted to the window is one of these shapes, so the
// search's distance is the minimum over all encodings. PMP: the same window at 4-byte grain is too large for
// TOR-chain states, so PMP is compared on 8 granules of 4 bytes with NAPOT/NA4/TOR and lowest-index priority.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <iostream>
#include <vector>

#include "layout_test_util.hpp"

namespace bulkhead::layout::test {
namespace {

constexpr int kGranules = 8;
const Perms kValues[] = {Perms::None, Perms::R, Perms::RW};

int value_at(std::uint32_t state, int g) {
  return static_cast<int>((state >> (2 * g)) & 3u);
}

std::vector<Grant> grants_for(std::uint32_t state, std::uint64_t base, std::uint64_t granule) {
  std::vector<Grant> out;
  for (int g = 0; g < kGranules; ++g) {
    const int v = value_at(state, g);
    if (v == 0) continue;
    const AddressRange r{base + granule * static_cast<std::uint64_t>(g), granule};
    if (!out.empty() && out.back().perms == kValues[v] && out.back().range.end() == r.base) {
      out.back().range.size += granule;
    } else {
      out.push_back({r, kValues[v]});
    }
  }
  return out;
}

std::uint32_t paint(std::uint32_t state, std::uint32_t mask, int v) {
  for (int g = 0; g < kGranules; ++g) {
    if ((mask >> g) & 1u) state = (state & ~(3u << (2 * g))) | (static_cast<std::uint32_t>(v) << (2 * g));
  }
  return state;
}

TEST(LayoutBruteForce, V7RegionCountsMatchTheMinimum) {
  // Shapes: 32/64/128-byte blocks (no subregions below 256 bytes), the 256-byte block with any SRD.
  std::vector<std::uint32_t> shapes;
  for (int size = 1; size < kGranules; size *= 2) {
    for (int b = 0; b < kGranules; b += size) shapes.push_back(((1u << size) - 1) << b);
  }
  for (std::uint32_t srd = 0; srd < 255; ++srd) shapes.push_back(~srd & 0xFFu);
  std::vector<int> dist(1u << (2 * kGranules), -1);
  std::deque<std::uint32_t> queue{0};
  dist[0] = 0;
  while (!queue.empty()) {
    const std::uint32_t s = queue.front();
    queue.pop_front();
    for (std::uint32_t m : shapes) {
      for (int v = 0; v < 3; ++v) {
        const std::uint32_t t = paint(s, m, v);
        if (dist[t] < 0) {
          dist[t] = dist[s] + 1;
          queue.push_back(t);
        }
      }
    }
  }
  UnitConfig u;
  u.arch = Arch::ArmV7M;
  int maps = 0;
  int optimal = 0;
  int worst = 0;
  long extra = 0;
  for (std::uint32_t s = 0; s < dist.size(); ++s) {
    bool valid = true;
    for (int g = 0; g < kGranules; ++g) valid = valid && value_at(s, g) < 3;
    if (!valid) continue;
    ASSERT_GE(dist[s], 0);
    const int got = regions_needed(u, grants_for(s, 0x2000'0000, 32));
    ASSERT_GE(got, dist[s]) << "compiler beat the brute-force minimum: the search or the model is wrong";
    ++maps;
    if (got == dist[s]) ++optimal;
    worst = std::max(worst, got - dist[s]);
    extra += got - dist[s];
  }
  std::cout << "[ brute force ] pmsav7: " << maps << " maps of 8x32 bytes, " << optimal
            << " compiled with the minimum region count, worst excess " << worst << ", total excess " << extra
            << "\n";
  EXPECT_EQ(maps, 6561);
  EXPECT_EQ(optimal, maps);
}

TEST(LayoutBruteForce, PmpEntryCountsMatchTheMinimum) {
  // Entries are added from the highest priority (entry 0) down: a new entry only decides granules no earlier
  // entry matched. State: the granules decided so far (value + 1, 0 = undecided), and where the last entry's
  // TOR ends (so the next TOR can use it as its base) or 15 for none. Costs: NAPOT/NA4 1, TOR 1 chained or 2.
  constexpr std::uint32_t kNone = 15;
  auto key = [](std::uint32_t map, std::uint32_t tor_end) { return map * 16 + tor_end; };
  std::vector<int> dist(std::size_t{1} << (2 * kGranules + 4), -1);
  // 0-1 BFS would do; costs are 1 or 2, so a bucketed Dijkstra.
  std::vector<std::vector<std::uint32_t>> buckets(64);
  dist[key(0, kNone)] = 0;
  buckets[0].push_back(key(0, kNone));
  auto relax = [&](std::uint32_t to, int d) {
    if (dist[to] >= 0 && dist[to] <= d) return;
    dist[to] = d;
    buckets[static_cast<std::size_t>(d)].push_back(to);
  };
  auto decide = [](std::uint32_t map, int lo, int hi, int v) {
    for (int g = lo; g < hi; ++g) {
      if (((map >> (2 * g)) & 3u) == 0) map |= static_cast<std::uint32_t>(v + 1) << (2 * g);
    }
    return map;
  };
  for (std::size_t d = 0; d < buckets.size(); ++d) {
    for (std::size_t i = 0; i < buckets[d].size(); ++i) {
      const std::uint32_t k = buckets[d][i];
      if (dist[k] != static_cast<int>(d)) continue;
      const std::uint32_t map = k / 16;
      const std::uint32_t tor_end = k % 16;
      for (int v = 0; v < 3; ++v) {
        for (int size = 1; size <= kGranules; size *= 2) {  // NA4 (one 4-byte granule) and NAPOT blocks
          for (int b = 0; b < kGranules; b += size)
            relax(key(decide(map, b, b + size, v), kNone), static_cast<int>(d) + 1);
        }
        for (int lo = 0; lo < kGranules; ++lo) {
          for (int hi = lo + 1; hi <= kGranules; ++hi) {
            const int cost = tor_end == static_cast<std::uint32_t>(lo) ? 1 : 2;
            relax(key(decide(map, lo, hi, v), static_cast<std::uint32_t>(hi)), static_cast<int>(d) + cost);
          }
        }
      }
    }
  }
  UnitConfig u;
  u.arch = Arch::Rv32;
  int maps = 0;
  int optimal = 0;
  int worst = 0;
  long extra = 0;
  for (std::uint32_t target = 0; target < (1u << (2 * kGranules)); ++target) {
    bool valid = true;
    for (int g = 0; g < kGranules; ++g) valid = valid && value_at(target, g) < 3;
    if (!valid) continue;
    // The minimum over every decided map that shows `target` (undecided granules show none).
    int best = -1;
    for (std::uint32_t undecided = 0; undecided < (1u << kGranules); ++undecided) {
      std::uint32_t map = 0;
      bool ok = true;
      for (int g = 0; g < kGranules && ok; ++g) {
        const int v = value_at(target, g);
        if ((undecided >> g) & 1u) {
          ok = v == 0;
        } else {
          map |= static_cast<std::uint32_t>(v + 1) << (2 * g);
        }
      }
      if (!ok) continue;
      for (std::uint32_t t = 0; t < 16; ++t) {
        const int dd = dist[key(map, t)];
        if (dd >= 0 && (best < 0 || dd < best)) best = dd;
      }
    }
    ASSERT_GE(best, 0);
    // 0x80000100: not address 0, so no TOR gets its base free from entry 0.
    const int got = regions_needed(u, grants_for(target, 0x8000'0100, 4));
    ASSERT_GE(got, best) << "compiler beat the brute-force minimum for map " << target;
    ++maps;
    if (got == best) ++optimal;
    worst = std::max(worst, got - best);
    extra += got - best;
  }
  std::cout << "[ brute force ] pmp: " << maps << " maps of 8x4 bytes, " << optimal
            << " compiled with the minimum entry count, worst excess " << worst << ", total excess " << extra
            << "\n";
  EXPECT_EQ(maps, 6561);
  EXPECT_GE(optimal * 100, maps * 95);  // at least 95% optimal
  EXPECT_LE(worst, 1);
}

TEST(LayoutBruteForce, V8RegionCountIsTheNumberOfSpans) {
  UnitConfig u;
  u.arch = Arch::ArmV8M;
  for (std::uint32_t s = 0; s < (1u << (2 * kGranules)); s += 7) {
    bool valid = true;
    for (int g = 0; g < kGranules; ++g) valid = valid && value_at(s, g) < 3;
    if (!valid) continue;
    const std::vector<Grant> g = grants_for(s, 0x2000'0000, 32);
    EXPECT_EQ(regions_needed(u, g), static_cast<int>(g.size()));
  }
}

}  // namespace
}  // namespace bulkhead::layout::test
