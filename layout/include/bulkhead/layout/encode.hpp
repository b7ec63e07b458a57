// The region compiler: a set of address ranges with the permissions one partition needs, in; the fewest
// regions/entries of the target unit that grant exactly those bytes, out.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/layout/programming.hpp"

namespace bulkhead::layout {

// Memory type, for the Arm memory attributes (PMP has none). Ranges of different types never share a region.
enum class MemoryAttr : std::uint8_t { Normal, Device };

// What an unprivileged access may do with the bytes of `range`.
struct Grant {
  AddressRange range;
  Perms perms = Perms::None;
  MemoryAttr attr = MemoryAttr::Normal;
  friend bool operator==(const Grant&, const Grant&) = default;
};

// One region/entry of an encoding, for reports (the register values are in Programming).
struct HardwareRegion {
  int slot = -1;
  AddressRange range;         // bytes the region spans (PMSAv7: the whole 2^n block, SRD or not)
  Perms perms = Perms::None;  // what it grants unprivileged accesses; None = a deny region/entry
  MemoryAttr attr = MemoryAttr::Normal;
  std::uint8_t srd = 0;  // PMSAv7 subregion disable bits
  std::string mode;      // "region" (Arm), "NAPOT", "NA4", "TOR", "TOR base" (PMP)
};

struct Encoding {
  Programming programming;
  std::vector<HardwareRegion> regions;  // in slot order
};

enum class EncodeFailureKind : std::uint8_t {
  Overlap,           // two grants overlap (the caller's bug: grants must be disjoint)
  UnencodablePerms,  // e.g. write-only on an Arm MPU
  Misaligned,        // a boundary is not on the unit's granule
  Budget,            // more regions needed than slots given
};

struct EncodeFailure {
  EncodeFailureKind kind = EncodeFailureKind::Budget;
  int grant = -1;          // index into the grants given, where one is to blame
  std::uint64_t edge = 0;  // Misaligned: the offending boundary
  int needed = 0;          // Budget: regions/entries the encoding needs
  std::string message;     // without names: "0x20001110 is not a multiple of 32 bytes (...)"
};

struct EncodeResult {
  std::optional<Encoding> encoding;
  EncodeFailure failure;  // meaningful when !encoding
};

// The smallest boundary step the unit can express: 32 bytes on both Arm MPUs (RBAR ADDR[31:5]; PMSAv7 reaches
// 32 bytes through subregions of 256-byte regions), the PMP grain 2^(G+2) (priv. spec 3.7.1).
std::uint64_t granule(const UnitConfig& unit);

// True when an unprivileged access with exactly `perms` can be granted (ARMv7-M Table B3-15 and ARMv8-M AP
// have no write-only and execution needs read; PMP R=0,W=1 is reserved).
bool perms_encodable(Arch arch, Perms perms);

// Compiles `grants` (disjoint, any order; Perms::None grants are ignored) into the slots listed in `slots`
// (ascending slot numbers the partition owns). Every byte outside the grants is denied to unprivileged
// accesses. Privileged accesses keep read/write on the granted bytes (Arm: AP gives privileged RW where it
// can; PMP: unlocked entries do not bind M-mode) and use the background map / M-mode default elsewhere.
EncodeResult encode(const UnitConfig& unit, std::span<const Grant> grants, std::span<const int> slots);

// The regions/entries needed for `grants` ignoring the slot budget (-1 when they cannot be encoded at all).
int regions_needed(const UnitConfig& unit, std::span<const Grant> grants);

// The smallest range containing `range` that one region/entry can grant (PMSAv7: a 2^n block, rounded to its
// subregions; PMSAv8: 32-byte rounding; PMP: a NAPOT block, or NA4).
AddressRange nearest_single_region(const UnitConfig& unit, AddressRange range);

// A region the kernel keeps for itself: it denies unprivileged accesses to `range` and gives privileged ones
// `privileged` (Arm AP; on PMP an unlocked entry does not bind M-mode, priv. spec 3.7.1.2, so only the
// unprivileged denial is real).
struct KernelRegion {
  int slot = -1;
  AddressRange range;
  Perms privileged = Perms::RW;
};

// One region/entry per kernel region, in its slot. Fails (UnencodablePerms/Misaligned, `grant` = the index)
// when a range is not a single region's shape (nearest_single_region says which would be).
EncodeResult encode_kernel(const UnitConfig& unit, std::span<const KernelRegion> regions);

}  // namespace bulkhead::layout
