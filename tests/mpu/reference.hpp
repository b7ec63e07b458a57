// Deliberately simple reference models, written from the manuals' pseudocode and sharing no code with
// bulkhead::mpu: no decoded table, every byte and every region recomputed from the raw registers.
#pragma once

#include <array>
#include <cstdint>

#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"

namespace bulkhead::mpu::ref {

struct V7State {
  int regions = 8;
  std::uint32_t min_region_size = 32;
  bool honour_small_srd = false;  // SrdBelow256Policy::Honour
  bool skip_unaligned = false;    // UnalignedBasePolicy::SkipRegion
  std::uint32_t ctrl = 0;
  bool negative_priority = false;
  std::array<std::uint32_t, 16> rbar{};  // as written (VALID/REGION ignored)
  std::array<std::uint32_t, 16> rasr{};
};

struct V8State {
  int regions = 8;
  bool v81m = false;
  std::uint32_t ctrl = 0;
  bool negative_priority = false;
  std::array<std::uint32_t, 16> rbar{};
  std::array<std::uint32_t, 16> rlar{};
};

// The rule that decides one byte at one privilege: reason, region(s) and the permissions it grants.
struct Rule {
  Reason reason = Reason::NoMatch;
  int region = -1;
  int other_region = -1;
  Perms perms = Perms::None;
  friend bool operator==(const Rule&, const Rule&) = default;
};

struct Outcome {
  bool allowed = false;
  std::uint32_t fault_address = 0;  // first denied byte when !allowed
};

bool v7_byte_allowed(const V7State& s, std::uint32_t address, Access access, Privilege priv);
Rule v7_rule(const V7State& s, std::uint32_t address, Privilege priv);
Outcome v7_access(const V7State& s, std::uint32_t address, std::uint32_t size, Access access, Privilege priv);

bool v8_byte_allowed(const V8State& s, std::uint32_t address, Access access, Privilege priv);
Rule v8_rule(const V8State& s, std::uint32_t address, Privilege priv);
Outcome v8_access(const V8State& s, std::uint32_t address, std::uint32_t size, Access access, Privilege priv);

}  // namespace bulkhead::mpu::ref
