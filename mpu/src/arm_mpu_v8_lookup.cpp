// PMSAv8 region lookup: exactly one enabled region must contain the address.
#include <cstdio>

#include "bulkhead/mpu/arm_mpu_v8.hpp"

namespace bulkhead::mpu {

ArmMpu::Decision ArmMpuV8::lookup(std::uint32_t address, Privilege priv) const {
  int first = -1;
  // ARMv8-M ARM MPUCheck(): an address in two or more enabled regions is a fault, whatever the privilege and
  // PRIVDEFENA (unlike PMSAv7, where the highest-numbered region wins).
  for (int n = 0; n < region_count_; ++n) {
    const Region& r = decoded_[n];
    if (!r.active || address < r.base || address >= r.end) continue;
    if (first >= 0) return {Reason::Overlap, first, n, Perms::None};
    first = n;
  }
  if (first < 0) return {Reason::NoMatch, -1, -1, Perms::None};
  const Region& r = decoded_[first];
  return {Reason::RegionMatch, first, -1, priv == Privilege::Privileged ? r.privileged : r.unprivileged};
}

std::string ArmMpuV8::explain(const Decision& d, std::uint32_t address) const {
  (void)address;
  if (d.reason == Reason::Overlap) {
    return "address in regions " + std::to_string(d.region) + " and " + std::to_string(d.other_region) +
           ": overlapping PMSAv8 regions always fault (" + describe(d.region) + "; " +
           describe(d.other_region) + ")";
  }
  return "region " + std::to_string(d.region) + " grants " + to_string(d.granted) + " (" +
         describe(d.region) + ")";
}

std::string ArmMpuV8::describe(int n) const {
  static constexpr const char* kAp[4] = {"priv RW", "RW any", "priv RO", "RO any"};
  const std::uint32_t rbar = rbar_[n];
  const std::uint32_t rlar = rlar_[n];
  const unsigned attr = (rlar & rlar::ATTRINDX_MASK) >> rlar::ATTRINDX_SHIFT;
  const unsigned mair_byte = (mair_[attr / 4] >> (8 * (attr % 4))) & 0xFFu;
  const unsigned ap = (rbar & v8rbar::AP_MASK) >> v8rbar::AP_SHIFT;
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s-%s AP=%u%u (%s) XN=%u%s SH=%u AttrIndx=%u (MAIR 0x%02X)%s%s",
                hex32(rbar & v8rbar::BASE_MASK).c_str(), hex32((rlar & rlar::LIMIT_MASK) | 0x1Fu).c_str(),
                (ap >> 1) & 1u, ap & 1u, kAp[ap], (rbar & v8rbar::XN) ? 1u : 0u,
                options_.v81m ? ((rlar & rlar::PXN) ? " PXN=1" : " PXN=0") : "",
                (rbar & v8rbar::SH_MASK) >> v8rbar::SH_SHIFT, attr, mair_byte,
                (rlar & rlar::EN) ? "" : " EN=0",
                ((rlar & rlar::EN) && !decoded_[n].active) ? " [LIMIT < BASE: matches nothing]" : "");
  return buf;
}

std::vector<RegionInfo> ArmMpuV8::regions() const {
  std::vector<RegionInfo> out;
  out.reserve(static_cast<std::size_t>(region_count_));
  for (int n = 0; n < region_count_; ++n) {
    const Region& r = decoded_[n];
    RegionInfo info;
    info.index = n;
    info.enabled = r.active;
    info.range = r.end > r.base ? AddressRange{r.base, r.end - r.base} : AddressRange{r.base, 0};
    info.privileged = r.privileged;
    info.unprivileged = r.unprivileged;
    info.description = describe(n);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace bulkhead::mpu
