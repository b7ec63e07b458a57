// PMSAv7 region lookup: highest-numbered matching region wins; disabled subregions fall through.
#include "bulkhead/mpu/arm_mpu_v7.hpp"

namespace bulkhead::mpu {

ArmMpu::Decision ArmMpuV7::lookup(std::uint32_t address, Privilege priv) const {
  int subregion_disabled_in = -1;
  // ARMv7-M B3.5.3 (and ValidateAddress pseudocode): where regions overlap, the highest-numbered region
  // decides, so scan from the top and stop at the first hit.
  for (int n = region_count_ - 1; n >= 0; --n) {
    const Region& r = decoded_[n];
    if (!r.active || address < r.base || address - r.base >= r.size) continue;
    // B3.5.9 SRD: an address in a disabled subregion does not match this region; lower regions or the
    // background map decide instead.
    const auto sub = static_cast<unsigned>((address - r.base) / (r.size / 8));
    if ((r.srd >> sub) & 1u) {
      if (subregion_disabled_in < 0) subregion_disabled_in = n;
      continue;
    }
    const Perms granted = priv == Privilege::Privileged ? r.privileged : r.unprivileged;
    // B3.5.9 Table B3-15: AP=100 is reserved; modelled as no access.
    return {r.reserved_ap ? Reason::ReservedEncoding : Reason::RegionMatch, n, -1, granted};
  }
  if (subregion_disabled_in >= 0) return {Reason::SubregionDisabled, subregion_disabled_in, -1, Perms::None};
  return {Reason::NoMatch, -1, -1, Perms::None};
}

std::string ArmMpuV7::explain(const Decision& d, std::uint32_t address) const {
  switch (d.reason) {
    case Reason::SubregionDisabled: {
      const Region& r = decoded_[d.region];
      const auto sub = (address - r.base) / (r.size / 8);
      return "address in disabled subregion " + std::to_string(sub) + " of region " +
             std::to_string(d.region) + " and no lower region matches (" + describe(d.region) + ")";
    }
    case Reason::ReservedEncoding:
      return "region " + std::to_string(d.region) + " has the reserved AP=100 (UNPREDICTABLE: no access) (" +
             describe(d.region) + ")";
    default:
      return "region " + std::to_string(d.region) + " grants " + to_string(d.granted) + " (" +
             describe(d.region) + ")";
  }
}

}  // namespace bulkhead::mpu
