// PMSAv7 region table for reports.
#include <cstdio>

#include "bulkhead/mpu/arm_mpu_v7.hpp"

namespace bulkhead::mpu {

std::string ArmMpuV7::describe(int n) const {
  const std::uint32_t rasr = rasr_[n];
  const Region& r = decoded_[n];
  const unsigned size_field = (rasr & rasr::SIZE_MASK) >> rasr::SIZE_SHIFT;
  const unsigned ap = (rasr & rasr::AP_MASK) >> rasr::AP_SHIFT;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s+0x%llX SIZE=%u SRD=0x%02X AP=%u%u%u XN=%u TEX=%u S=%u C=%u B=%u%s",
                hex32(r.base).c_str(), static_cast<unsigned long long>(r.size), size_field,
                static_cast<unsigned>((rasr & rasr::SRD_MASK) >> rasr::SRD_SHIFT), (ap >> 2) & 1u,
                (ap >> 1) & 1u, ap & 1u, (rasr & rasr::XN) ? 1u : 0u,
                (rasr & rasr::TEX_MASK) >> rasr::TEX_SHIFT, (rasr & rasr::S) ? 1u : 0u,
                (rasr & rasr::C) ? 1u : 0u, (rasr & rasr::B) ? 1u : 0u,
                (rasr & rasr::ENABLE) ? "" : " ENABLE=0");
  std::string out = buf;
  if (!r.note.empty()) out += " [" + r.note + "]";
  return out;
}

std::vector<RegionInfo> ArmMpuV7::regions() const {
  std::vector<RegionInfo> out;
  out.reserve(static_cast<std::size_t>(region_count_));
  for (int n = 0; n < region_count_; ++n) {
    const Region& r = decoded_[n];
    RegionInfo info;
    info.index = n;
    info.enabled = r.active;
    info.range = AddressRange{r.base, r.size};
    info.privileged = r.privileged;
    info.unprivileged = r.unprivileged;
    info.description = describe(n);
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace bulkhead::mpu
