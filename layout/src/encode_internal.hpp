// Internals of the region compiler: the requested map as sorted spans, and the per-architecture planners.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bulkhead/layout/encode.hpp"

namespace bulkhead::layout::detail {

// What one byte must show an unprivileged access: permissions and memory type. None is always Normal so
// that all denied bytes compare equal.
struct Value {
  Perms perms = Perms::None;
  MemoryAttr attr = MemoryAttr::Normal;
  friend bool operator==(const Value&, const Value&) = default;
  int key() const { return static_cast<int>(perms) | (attr == MemoryAttr::Device ? 8 : 0); }
};

struct Piece {
  std::uint64_t base = 0;
  std::uint64_t end = 0;
  Value value;
};

// The requested map of the whole 4 GiB space: sorted, disjoint, non-None spans with adjacent equal spans
// merged; every other byte is None.
class TargetMap {
 public:
  explicit TargetMap(std::vector<Piece> spans);  // spans: disjoint, non-None (sorted here, merged)

  // The one value of every byte of [base, end), or nullopt when bytes differ.
  std::optional<Value> uniform(std::uint64_t base, std::uint64_t end) const;
  // [base, end) cut into maximal constant pieces, None pieces included.
  std::vector<Piece> pieces(std::uint64_t base, std::uint64_t end) const;
  const std::vector<Piece>& spans() const { return spans_; }

 private:
  std::vector<Piece> spans_;
};

// One region/entry before slots are assigned, in priority order as the planners emit it: PMSAv7 lowest
// priority first (higher-numbered regions win, B3.5.3); PMP highest priority first (the lowest-numbered
// matching entry decides, priv. spec 3.7.1.3).
struct Planned {
  enum class Kind : std::uint8_t { Arm, Napot, Na4, Tor } kind = Kind::Arm;
  std::uint64_t base = 0;
  std::uint64_t size = 0;  // a power of two for Arm v7 / NAPOT; any size for v8 / TOR
  std::uint8_t srd = 0;    // PMSAv7
  Value value;
};

constexpr int kInfinite = 1 << 20;

// PMSAv7: minimum-region plan by a dynamic programme over aligned 2^n blocks. nullopt when the map cannot be
// encoded at all.
std::optional<std::vector<Planned>> plan_v7(const TargetMap& map, const mpu::ArmMpuV7Options& options);
// PMSAv8: one region per maximal constant span (overlaps always fault, so that is also the minimum).
std::vector<Planned> plan_v8(const TargetMap& map);
// PMP: NAPOT/NA4 blocks with lower-numbered carve-outs, or TOR runs, whichever needs fewer entries.
std::optional<std::vector<Planned>> plan_pmp(const TargetMap& map, const pmp::PmpOptions& options);

// Slot assignment for PMP: TOR entries need their base in the entry below (priv. spec 3.7.1), either a
// preceding TOR ending there, entry 0 with base 0, or an OFF entry written for the purpose. Returns the
// number of slots the plan uses when laid from `first` upward through consecutive slots.
int pmp_slots_needed(const std::vector<Planned>& plan, int first);

std::uint64_t log2_floor(std::uint64_t v);
bool is_pow2(std::uint64_t v);
std::uint64_t pow2_ceil(std::uint64_t v);

}  // namespace bulkhead::layout::detail
