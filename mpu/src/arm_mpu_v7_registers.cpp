// PMSAv7 register face and decode-on-write. ARMv7-M ARM B3.5.4-B3.5.9.
#include <bit>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "bulkhead/mpu/arm_mpu_v7.hpp"

namespace bulkhead::mpu {

namespace {

// ARMv7-M B3.5.9 Table B3-15 (AP encoding): {privileged, unprivileged} data permissions.
struct ApPerms {
  Perms privileged;
  Perms unprivileged;
};
constexpr ApPerms kApTable[8] = {
    {Perms::None, Perms::None},  // 000: no access
    {Perms::RW, Perms::None},    // 001: privileged RW
    {Perms::RW, Perms::R},       // 010: privileged RW, unprivileged RO
    {Perms::RW, Perms::RW},      // 011: full access
    {Perms::None, Perms::None},  // 100: reserved, UNPREDICTABLE -> no access
    {Perms::R, Perms::None},     // 101: privileged RO
    {Perms::R, Perms::R},        // 110: RO both
    {Perms::R, Perms::R},        // 111: RO both (ARMv7-M; ARMv6 had it reserved)
};

// ARMv7-M B3.5.9: "XN" and B3.5.3: instruction fetches also need read permission at the current privilege.
constexpr Perms with_execute(Perms data, bool xn) {
  return (!xn && has(data, Perms::R)) ? (data | Perms::X) : data;
}

}  // namespace

ArmMpuV7::ArmMpuV7(ArmMpuV7Options options) : ArmMpu(options.regions), options_(options) {
  if (options.regions < 0 || options.regions > 16) {
    throw std::invalid_argument("ArmMpuV7: regions must be 0..16 (RBAR.REGION is 4 bits), got " +
                                std::to_string(options.regions));
  }
  const std::uint32_t m = options.min_region_size;
  if (m < 32 || m > 256 || !std::has_single_bit(m)) {
    throw std::invalid_argument("ArmMpuV7: min_region_size must be a power of two in 32..256, got " +
                                std::to_string(m));
  }
  min_size_field_ = static_cast<std::uint32_t>(std::countr_zero(m)) - 1;
  for (int n = 0; n < 16; ++n) decoded_[n] = decode(n);
}

bool ArmMpuV7::is_mpu_register(std::uint32_t addr) {
  return addr >= addr::MPU_TYPE && addr <= addr::MPU_RASR_A3 && (addr & 3u) == 0;
}

std::uint32_t ArmMpuV7::read(std::uint32_t addr) const {
  if (addr == addr::MPU_TYPE) {
    // B3.5.5: DREGION = number of regions, IREGION = 0, SEPARATE = 0 (unified).
    return static_cast<std::uint32_t>(region_count_) << type::DREGION_SHIFT;
  }
  if (region_count_ == 0) return 0;  // no MPU: the other registers RAZ/WI (documented choice)
  switch (addr) {
    case addr::MPU_CTRL:
      return ctrl_;
    case addr::MPU_RNR:
      return rnr_;
    case addr::MPU_RBAR:
    case addr::MPU_RBAR_A1:
    case addr::MPU_RBAR_A2:
    case addr::MPU_RBAR_A3:
      // B3.5.8: VALID reads as 0; REGION reads the current RNR (low 4 bits).
      return rbar_[rnr_] | (rnr_ & v7rbar::REGION_MASK);
    case addr::MPU_RASR:
    case addr::MPU_RASR_A1:
    case addr::MPU_RASR_A2:
    case addr::MPU_RASR_A3:
      return rasr_[rnr_];
    default:
      return 0;
  }
}

void ArmMpuV7::write(std::uint32_t addr, std::uint32_t value) {
  if (addr == addr::MPU_TYPE || region_count_ == 0) return;  // B3.5.5: MPU_TYPE is read-only
  switch (addr) {
    case addr::MPU_CTRL:
      write_ctrl(value);
      return;
    case addr::MPU_RNR:
      write_rnr(value);
      return;
    case addr::MPU_RBAR:
    case addr::MPU_RBAR_A1:
    case addr::MPU_RBAR_A2:
    case addr::MPU_RBAR_A3:
      write_rbar(value);
      return;
    case addr::MPU_RASR:
    case addr::MPU_RASR_A1:
    case addr::MPU_RASR_A2:
    case addr::MPU_RASR_A3:
      write_rasr(value);
      return;
    default:
      return;
  }
}

void ArmMpuV7::set_region(int n, std::uint32_t rbar, std::uint32_t rasr) {
  write(addr::MPU_RNR, static_cast<std::uint32_t>(n));
  write(addr::MPU_RBAR, rbar & ~(v7rbar::VALID | v7rbar::REGION_MASK));
  write(addr::MPU_RASR, rasr);
}

void ArmMpuV7::write_rbar(std::uint32_t value) {
  if ((value & v7rbar::VALID) != 0) {
    // B3.5.8: VALID=1 writes REGION to MPU_RNR first. REGION >= DREGION is UNPREDICTABLE: ignore the write.
    const std::uint32_t region = value & v7rbar::REGION_MASK;
    if (static_cast<int>(region) >= region_count_) {
      log().warn("MPU_RBAR={}: VALID=1 with REGION={} >= DREGION={}; write ignored", hex32(value), region,
                 region_count_);
      return;
    }
    rnr_ = region;
  }
  // B3.5.8: ADDR[31:5]; address bits below the minimum region size are RAZ/WI (documented choice).
  const std::uint32_t next = value & v7rbar::ADDR_MASK & ~(options_.min_region_size - 1);
  if (next == rbar_[rnr_]) return;
  rbar_[rnr_] = next;
  redecode(static_cast<int>(rnr_), false);
}

void ArmMpuV7::write_rasr(std::uint32_t value) {
  const std::uint32_t next = value & rasr::DEFINED;  // B3.5.9: reserved bits RAZ/WI (documented choice)
  const bool changed = next != rasr_[rnr_];
  rasr_[rnr_] = next;
  // Warn only on RASR writes: kernels write RBAR then RASR, and the RBAR-only state is transient.
  if (changed) redecode(static_cast<int>(rnr_), true);
}

ArmMpuV7::Region ArmMpuV7::decode(int n) const {
  const std::uint32_t rbar = rbar_[n];
  const std::uint32_t rasr = rasr_[n];
  Region r;
  const std::uint32_t size_field = (rasr & rasr::SIZE_MASK) >> rasr::SIZE_SHIFT;
  r.size = 1ull << (size_field + 1);  // B3.5.9: 2^(SIZE+1) bytes; 64-bit so SIZE=31 (4 GiB) fits
  r.base = rbar & v7rbar::ADDR_MASK;
  const std::uint32_t ap = (rasr & rasr::AP_MASK) >> rasr::AP_SHIFT;
  const bool xn = (rasr & rasr::XN) != 0;
  r.reserved_ap = ap == 4;
  r.privileged = with_execute(kApTable[ap].privileged, xn);
  r.unprivileged = with_execute(kApTable[ap].unprivileged, xn);
  r.srd = static_cast<std::uint8_t>((rasr & rasr::SRD_MASK) >> rasr::SRD_SHIFT);
  if ((rasr & rasr::ENABLE) == 0) return r;
  if (size_field < min_size_field_) {
    // B3.5.9: SIZE below the minimum region size is UNPREDICTABLE: the region is ignored.
    r.note = "ignored: SIZE=" + std::to_string(size_field) + " below the minimum " +
             std::to_string(min_size_field_) + " (UNPREDICTABLE)";
    return r;
  }
  if ((r.base & (r.size - 1)) != 0) {
    // B3.5.8: a base not aligned to the size is UNPREDICTABLE.
    if (options_.unaligned_base == UnalignedBasePolicy::SkipRegion) {
      r.note = "ignored: base " + hex32(r.base) + " not aligned to the size (UNPREDICTABLE)";
      return r;
    }
    r.note = "base " + hex32(r.base) + " not aligned to the size: low bits ignored (UNPREDICTABLE)";
    r.base &= ~(r.size - 1);
  }
  if (r.size < 256 && r.srd != 0) {
    // B3.5.9: SRD on regions under 256 bytes is UNPREDICTABLE.
    if (options_.srd_below_256 == SrdBelow256Policy::Ignore) {
      r.note = "SRD ignored on a region under 256 bytes (UNPREDICTABLE)";
      r.srd = 0;
    } else {
      r.note = "SRD honoured on a region under 256 bytes (UNPREDICTABLE)";
    }
  }
  if (r.reserved_ap) r.note = r.note.empty() ? "AP=100 reserved: no access" : r.note + "; AP=100 reserved";
  r.active = true;
  return r;
}

void ArmMpuV7::redecode(int n, bool warn) {
  decoded_[n] = decode(n);
  if (warn && !decoded_[n].note.empty()) {
    log().warn("MPU region {} (RBAR={} RASR={}): {}", n, hex32(rbar_[n]), hex32(rasr_[n]), decoded_[n].note);
  }
  mark_edges_dirty();
  bump_generation();
}

void ArmMpuV7::collect_region_edges(std::vector<std::uint64_t>& edges) const {
  for (int i = 0; i < region_count_; ++i) {
    const Region& r = decoded_[i];
    if (!r.active) continue;
    edges.push_back(r.base);
    edges.push_back(r.base + r.size);
    if (r.srd != 0) {
      for (std::uint64_t k = 1; k < 8; ++k) edges.push_back(r.base + k * (r.size / 8));
    }
  }
}

}  // namespace bulkhead::mpu
