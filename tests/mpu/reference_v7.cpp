// PMSAv7 reference, after the ARMv7-M ARM B3.5 pseudocode (ValidateAddress / DefaultPermissions).
#include "reference.hpp"
#include "reference_common.hpp"

namespace bulkhead::mpu::ref {

namespace {

struct Hit {
  int region = -1;              // the region that matched, -1 if none
  int disabled_subregion = -1;  // highest region containing the address in a disabled subregion
};

bool mpu_on(const V7State& s) {
  if (s.regions == 0) return false;  // B3.5.5: DREGION=0, no MPU
  const bool enable = s.ctrl & 1u;
  const bool hfnmiena = s.ctrl & 2u;
  if (!enable) return false;
  if (s.negative_priority && !hfnmiena) return false;
  return true;
}

Hit find(const V7State& s, std::uint32_t address) {
  Hit h;
  for (int n = s.regions - 1; n >= 0; --n) {
    const std::uint32_t rasr = s.rasr[n];
    if ((rasr & 1u) == 0) continue;
    const unsigned size_field = (rasr >> 1) & 0x1Fu;
    std::uint64_t size = 1;
    for (unsigned i = 0; i < size_field + 1; ++i) size *= 2;
    if (size < s.min_region_size) continue;  // UNPREDICTABLE: ignored
    std::uint64_t base = s.rbar[n] & 0xFFFF'FFE0u;
    base = base / s.min_region_size * s.min_region_size;
    if (base % size != 0) {
      if (s.skip_unaligned) continue;
      base = base / size * size;
    }
    if (address < base || address >= base + size) continue;
    const unsigned srd = (rasr >> 8) & 0xFFu;
    const bool has_subregions = size >= 256 || s.honour_small_srd;
    const std::uint64_t subregion = (address - base) * 8 / size;
    if (has_subregions && ((srd >> subregion) & 1u) != 0) {
      if (h.disabled_subregion < 0) h.disabled_subregion = n;
      continue;
    }
    h.region = n;
    return h;
  }
  return h;
}

}  // namespace

bool v7_byte_allowed(const V7State& s, std::uint32_t address, Access access, Privilege priv) {
  const bool privileged = priv == Privilege::Privileged;
  if (detail::in_ppb(address)) return privileged && access != Access::Execute;
  if (access == Access::Execute && address >= 0xE000'0000u) return false;
  if (!mpu_on(s)) return detail::default_map_allows(address, access);
  const Hit h = find(s, address);
  if (h.region < 0) {
    const bool privdefena = s.ctrl & 4u;
    return privileged && privdefena && detail::default_map_allows(address, access);
  }
  const std::uint32_t rasr = s.rasr[h.region];
  const unsigned ap = (rasr >> 24) & 7u;
  bool read = false;
  bool write = false;
  switch (ap) {
    case 0:
      break;
    case 1:
      read = write = privileged;
      break;
    case 2:
      read = true;
      write = privileged;
      break;
    case 3:
      read = write = true;
      break;
    case 4:
      break;
    case 5:
      read = privileged;
      break;
    case 6:
      read = true;
      break;
    case 7:
      read = true;
      break;
  }
  switch (access) {
    case Access::Read:
      return read;
    case Access::Write:
      return write;
    case Access::Execute:
      return read && (rasr & (1u << 28)) == 0;
  }
  return false;
}

Rule v7_rule(const V7State& s, std::uint32_t address, Privilege priv) {
  Rule r;
  r.perms = detail::perms_of(v7_byte_allowed(s, address, Access::Read, priv),
                             v7_byte_allowed(s, address, Access::Write, priv),
                             v7_byte_allowed(s, address, Access::Execute, priv));
  if (detail::in_ppb(address)) {
    r.reason = Reason::SystemSpace;
  } else if (!mpu_on(s)) {
    r.reason = Reason::UnitDisabled;
  } else {
    const Hit h = find(s, address);
    if (h.region >= 0) {
      r.region = h.region;
      r.reason = ((s.rasr[h.region] >> 24) & 7u) == 4 ? Reason::ReservedEncoding : Reason::RegionMatch;
    } else if (priv == Privilege::Privileged && (s.ctrl & 4u)) {
      r.reason = Reason::BackgroundMap;
    } else if (h.disabled_subregion >= 0) {
      r.reason = Reason::SubregionDisabled;
      r.region = h.disabled_subregion;
    }
  }
  return r;
}

Outcome v7_access(const V7State& s, std::uint32_t address, std::uint32_t size, Access access,
                  Privilege priv) {
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t byte = address + i;
    if (!v7_byte_allowed(s, byte, access, priv)) return {false, byte};
  }
  return {true, 0};
}

}  // namespace bulkhead::mpu::ref
