// The one interface between the protection models (mpu/, pmp/) and their users (emu/, kernel_shim/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"

namespace bulkhead {

// One row of the region table a fault report shows.
struct RegionInfo {
  int index = -1;
  bool enabled = false;
  AddressRange range;
  Perms privileged = Perms::None;    // what a privileged access may do inside it
  Perms unprivileged = Perms::None;  // what an unprivileged access may do inside it
  std::string description;           // model-specific, e.g. "SIZE=9 SRD=0x03 AP=011 XN=0"
};

class ProtectionUnit {
 public:
  virtual ~ProtectionUnit() = default;

  // Short model name: "pmsav7", "pmsav8", "pmp".
  virtual std::string_view name() const = 0;

  // Decides one access of `size` bytes (1..8, may be unaligned) at `address`, as the hardware would.
  // Every byte is checked by the model's rules (PMP: the lowest matching entry must cover all bytes).
  // Never throws; a pure function of the current register state.
  virtual Verdict check(std::uint32_t address, std::uint32_t size, Access access, Privilege priv) const = 0;

  // The permissions granted uniformly to every byte of `range` at `priv`, or nullopt if more than one rule
  // decides bytes of the range (a region edge, a disabled subregion, an overlap, a PMP partial match...).
  // This is what lets a caller cache a whole page: if it returns P, then for every access inside `range`,
  // check() allows exactly the accesses P allows, and the whole access is inside the range.
  virtual std::optional<Perms> uniform_perms(AddressRange range, Privilege priv) const = 0;

  // Increments on every register write that may change a decision, so that caches know when to flush.
  virtual std::uint64_t generation() const = 0;

  // The region/entry table in force, for reports.
  virtual std::vector<RegionInfo> regions() const = 0;

  // The syndrome registers a denied access leaves (Arm MMFSR/MMFAR; RISC-V mcause/mtval).
  virtual Syndrome syndrome(const Verdict& v, Access access, std::uint32_t address) const = 0;
};

}  // namespace bulkhead
