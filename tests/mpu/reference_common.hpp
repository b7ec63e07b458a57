// Reference helpers shared by the two reference models (not by the library).
#pragma once

#include <cstdint>

#include "bulkhead/core/types.hpp"

namespace bulkhead::mpu::ref::detail {

// ARMv7-M B3.1 Table B3-1, written out area by area.
inline bool default_map_executable(std::uint32_t a) {
  if (a <= 0x1FFF'FFFFu) return true;   // Code
  if (a <= 0x3FFF'FFFFu) return true;   // SRAM
  if (a <= 0x5FFF'FFFFu) return false;  // Peripheral: XN
  if (a <= 0x7FFF'FFFFu) return true;   // RAM WBWA
  if (a <= 0x9FFF'FFFFu) return true;   // RAM WT
  if (a <= 0xBFFF'FFFFu) return false;  // Device shared: XN
  if (a <= 0xDFFF'FFFFu) return false;  // Device: XN
  return false;                         // System: XN
}

inline bool in_ppb(std::uint32_t a) {
  return a >= 0xE000'0000u && a <= 0xE00F'FFFFu;
}

inline bool default_map_allows(std::uint32_t a, Access access) {
  return access != Access::Execute || default_map_executable(a);
}

inline Perms perms_of(bool r, bool w, bool x) {
  Perms p = Perms::None;
  if (r) p |= Perms::R;
  if (w) p |= Perms::W;
  if (x) p |= Perms::X;
  return p;
}

}  // namespace bulkhead::mpu::ref::detail
