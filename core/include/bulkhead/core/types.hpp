// Shared vocabulary: access kinds, privilege, permission sets and address ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bulkhead {

// What the guest is doing with memory.
enum class Access : std::uint8_t { Read, Write, Execute };

// Two levels are enough for every rule Bulkhead models:
//  - Arm: Privileged = handler mode or thread mode with CONTROL.nPRIV=0; Unprivileged otherwise.
//  - RISC-V: Privileged = M-mode; Unprivileged = S- or U-mode (PMP treats S and U alike, priv. spec 3.7.1).
enum class Privilege : std::uint8_t { Unprivileged, Privileged };

// A permission set. Bit values match the RISC-V pmpcfg R/W/X bits, which keeps PMP decoding direct.
enum class Perms : std::uint8_t { None = 0, R = 1, W = 2, X = 4, RW = 3, RX = 5, RWX = 7 };

constexpr Perms operator|(Perms a, Perms b) {
  return static_cast<Perms>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr Perms operator&(Perms a, Perms b) {
  return static_cast<Perms>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}
constexpr Perms operator~(Perms a) {
  return static_cast<Perms>(~static_cast<std::uint8_t>(a) & 7u);
}
constexpr Perms& operator|=(Perms& a, Perms b) {
  return a = a | b;
}
constexpr Perms& operator&=(Perms& a, Perms b) {
  return a = a & b;
}

// True when every permission in `need` is in `have`.
constexpr bool has(Perms have, Perms need) {
  return (have & need) == need;
}

// The permission an access needs.
constexpr Perms perm_for(Access a) {
  switch (a) {
    case Access::Read:
      return Perms::R;
    case Access::Write:
      return Perms::W;
    case Access::Execute:
      return Perms::X;
  }
  return Perms::None;
}

std::string_view to_string(Access a);
std::string_view to_string(Privilege p);
std::string to_string(Perms p);  // "rwx", "r--", ...

// A half-open range [base, base + size) of the 32-bit guest address space. 64-bit fields so that a range
// ending at 4 GiB (e.g. a 4 GiB PMSAv7 region) is representable without overflow.
struct AddressRange {
  std::uint64_t base = 0;
  std::uint64_t size = 0;

  constexpr std::uint64_t end() const { return base + size; }  // one past the last byte
  constexpr bool empty() const { return size == 0; }
  constexpr bool contains(std::uint64_t addr) const { return addr >= base && addr < end(); }
  constexpr bool contains(const AddressRange& r) const {
    return r.size == 0 || (r.base >= base && r.end() <= end());
  }
  constexpr bool overlaps(const AddressRange& r) const { return base < r.end() && r.base < end(); }
  friend constexpr bool operator==(const AddressRange&, const AddressRange&) = default;
};

// Guest architecture / CPU profile.
enum class Arch : std::uint8_t { ArmV7M, ArmV8M, Rv32 };
std::string_view to_string(Arch a);

}  // namespace bulkhead
