// PMSAv8 reference, after the ARMv8-M ARM MPUCheck() pseudocode (one security state).
#include "reference.hpp"
#include "reference_common.hpp"

namespace bulkhead::mpu::ref {

namespace {

bool mpu_on(const V8State& s) {
  if (s.regions == 0) return false;  // MPU_TYPE.DREGION=0: no MPU
  if ((s.ctrl & 1u) == 0) return false;
  return !(s.negative_priority && (s.ctrl & 2u) == 0);
}

// Every enabled region containing the address, lowest first; stops at two.
struct Hits {
  int count = 0;
  int first = -1;
  int second = -1;
};

Hits find(const V8State& s, std::uint32_t address) {
  Hits h;
  for (int n = 0; n < s.regions; ++n) {
    if ((s.rlar[n] & 1u) == 0) continue;
    const std::uint32_t base = s.rbar[n] & ~0x1Fu;
    const std::uint32_t limit = s.rlar[n] | 0x1Fu;  // inclusive
    if (address >= base && address <= limit) {
      if (h.count == 0) h.first = n;
      if (h.count == 1) h.second = n;
      ++h.count;
    }
  }
  return h;
}

}  // namespace

bool v8_byte_allowed(const V8State& s, std::uint32_t address, Access access, Privilege priv) {
  const bool privileged = priv == Privilege::Privileged;
  if (detail::in_ppb(address)) return privileged && access != Access::Execute;
  if (access == Access::Execute && address >= 0xE000'0000u) return false;
  if (!mpu_on(s)) return detail::default_map_allows(address, access);
  const Hits h = find(s, address);
  if (h.count > 1) return false;
  if (h.count == 0) return privileged && (s.ctrl & 4u) && detail::default_map_allows(address, access);
  const std::uint32_t rbar = s.rbar[h.first];
  const std::uint32_t rlar = s.rlar[h.first];
  const bool read_only = rbar & 4u;
  const bool any_privilege = rbar & 2u;
  const bool xn = rbar & 1u;
  const bool pxn = s.v81m && (rlar & 0x10u);
  if (!privileged && !any_privilege) return false;
  if (access == Access::Write) return !read_only;
  if (access == Access::Execute) return !xn && !(privileged && pxn);
  return true;
}

Rule v8_rule(const V8State& s, std::uint32_t address, Privilege priv) {
  Rule r;
  r.perms = detail::perms_of(v8_byte_allowed(s, address, Access::Read, priv),
                             v8_byte_allowed(s, address, Access::Write, priv),
                             v8_byte_allowed(s, address, Access::Execute, priv));
  if (detail::in_ppb(address)) {
    r.reason = Reason::SystemSpace;
  } else if (!mpu_on(s)) {
    r.reason = Reason::UnitDisabled;
  } else {
    const Hits h = find(s, address);
    if (h.count > 1) {
      r.reason = Reason::Overlap;
      r.region = h.first;
      r.other_region = h.second;
    } else if (h.count == 1) {
      r.reason = Reason::RegionMatch;
      r.region = h.first;
    } else if (priv == Privilege::Privileged && (s.ctrl & 4u)) {
      r.reason = Reason::BackgroundMap;
    }
  }
  return r;
}

Outcome v8_access(const V8State& s, std::uint32_t address, std::uint32_t size, Access access,
                  Privilege priv) {
  for (std::uint32_t i = 0; i < size; ++i) {
    const std::uint32_t byte = address + i;
    if (!v8_byte_allowed(s, byte, access, priv)) return {false, byte};
  }
  return {true, 0};
}

}  // namespace bulkhead::mpu::ref
