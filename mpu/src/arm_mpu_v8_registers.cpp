// PMSAv8 register face and decode-on-write. ARMv8-M ARM D1.2 (MPU_TYPE, MPU_CTRL, MPU_RNR, MPU_RBAR,
// MPU_RLAR, MPU_RBAR_An, MPU_RLAR_An, MPU_MAIR0/1).
#include <stdexcept>

#include "bulkhead/mpu/arm_mpu_v8.hpp"

namespace bulkhead::mpu {

namespace {

// ARMv8-M ARM D1.2 MPU_RBAR.AP: AP[2]=1 read-only, AP[1]=1 unprivileged access permitted.
constexpr Perms ap_data_perms(std::uint32_t rbar, bool privileged) {
  const bool read_only = (rbar & v8rbar::AP_RO) != 0;
  const bool unprivileged_ok = (rbar & v8rbar::AP_NP) != 0;
  if (!privileged && !unprivileged_ok) return Perms::None;
  return read_only ? Perms::R : Perms::RW;
}

}  // namespace

ArmMpuV8::ArmMpuV8(ArmMpuV8Options options) : ArmMpu(options.regions), options_(options) {
  if (options.regions < 0 || options.regions > 16) {
    throw std::invalid_argument("ArmMpuV8: regions must be 0..16, got " + std::to_string(options.regions));
  }
  // D1.2 MPU_RLAR: PXN exists only in Armv8.1-M; bits [4] is RES0 before.
  rlar_mask_ = rlar::LIMIT_MASK | rlar::ATTRINDX_MASK | rlar::EN | (options.v81m ? rlar::PXN : 0u);
  for (int n = 0; n < 16; ++n) decoded_[n] = decode(n);
}

bool ArmMpuV8::is_mpu_register(std::uint32_t addr) {
  if ((addr & 3u) != 0) return false;
  return (addr >= addr::MPU_TYPE && addr <= addr::MPU_RLAR_A3) || addr == addr::MPU_MAIR0 ||
         addr == addr::MPU_MAIR1;
}

int ArmMpuV8::target_region(std::uint32_t addr) const {
  // D1.2 MPU_RBAR_An/MPU_RLAR_An: region RNR[7:2]:n; MPU_RBAR/MPU_RLAR: region RNR.
  const std::uint32_t alias = (addr - addr::MPU_RBAR) / 8;  // 0 for RBAR/RLAR, 1..3 for the aliases
  const std::uint32_t region = alias == 0 ? rnr_ : ((rnr_ & ~3u) | alias);
  return static_cast<int>(region) < region_count_ ? static_cast<int>(region) : -1;
}

std::uint32_t ArmMpuV8::read(std::uint32_t addr) const {
  if (addr == addr::MPU_TYPE) return static_cast<std::uint32_t>(region_count_) << type::DREGION_SHIFT;
  if (region_count_ == 0) return 0;
  switch (addr) {
    case addr::MPU_CTRL:
      return ctrl_;
    case addr::MPU_RNR:
      return rnr_;
    case addr::MPU_MAIR0:
      return mair_[0];
    case addr::MPU_MAIR1:
      return mair_[1];
    case addr::MPU_RBAR:
    case addr::MPU_RBAR_A1:
    case addr::MPU_RBAR_A2:
    case addr::MPU_RBAR_A3: {
      const int n = target_region(addr);
      return n < 0 ? 0 : rbar_[n];
    }
    case addr::MPU_RLAR:
    case addr::MPU_RLAR_A1:
    case addr::MPU_RLAR_A2:
    case addr::MPU_RLAR_A3: {
      const int n = target_region(addr);
      return n < 0 ? 0 : rlar_[n];
    }
    default:
      return 0;
  }
}

void ArmMpuV8::write(std::uint32_t addr, std::uint32_t value) {
  if (addr == addr::MPU_TYPE || region_count_ == 0) return;  // D1.2 MPU_TYPE: read-only
  switch (addr) {
    case addr::MPU_CTRL:
      write_ctrl(value);
      return;
    case addr::MPU_RNR:
      write_rnr(value);
      return;
    case addr::MPU_MAIR0:
      mair_[0] = value;
      return;  // attributes only: no decision changes
    case addr::MPU_MAIR1:
      mair_[1] = value;
      return;
    case addr::MPU_RBAR:
    case addr::MPU_RBAR_A1:
    case addr::MPU_RBAR_A2:
    case addr::MPU_RBAR_A3: {
      const int n = target_region(addr);
      if (n >= 0) write_region(n, value, rlar_[n]);
      return;
    }
    case addr::MPU_RLAR:
    case addr::MPU_RLAR_A1:
    case addr::MPU_RLAR_A2:
    case addr::MPU_RLAR_A3: {
      const int n = target_region(addr);
      if (n >= 0) write_region(n, rbar_[n], value & rlar_mask_);
      return;
    }
    default:
      return;
  }
}

void ArmMpuV8::set_region(int n, std::uint32_t rbar, std::uint32_t rlar) {
  write(addr::MPU_RNR, static_cast<std::uint32_t>(n));
  write(addr::MPU_RBAR, rbar);
  write(addr::MPU_RLAR, rlar);
}

void ArmMpuV8::set_mair(int index, std::uint32_t value) {
  write(index == 0 ? addr::MPU_MAIR0 : addr::MPU_MAIR1, value);
}

void ArmMpuV8::write_region(int n, std::uint32_t rbar, std::uint32_t rlar) {
  if (rbar == rbar_[n] && rlar == rlar_[n]) return;
  rbar_[n] = rbar;
  rlar_[n] = rlar;
  decoded_[n] = decode(n);
  mark_edges_dirty();
  bump_generation();
}

void ArmMpuV8::collect_region_edges(std::vector<std::uint64_t>& edges) const {
  for (int i = 0; i < region_count_; ++i) {
    if (!decoded_[i].active) continue;
    edges.push_back(decoded_[i].base);
    edges.push_back(decoded_[i].end);
  }
}

ArmMpuV8::Region ArmMpuV8::decode(int n) const {
  const std::uint32_t rbar = rbar_[n];
  const std::uint32_t rlar = rlar_[n];
  Region r;
  // D1.2 MPU_RBAR/MPU_RLAR: the region is [BASE:0b00000, LIMIT:0b11111]; LIMIT < BASE matches nothing.
  r.base = rbar & v8rbar::BASE_MASK;
  r.end = static_cast<std::uint64_t>(rlar & rlar::LIMIT_MASK) + 32;
  r.active = (rlar & rlar::EN) != 0 && r.end > r.base;
  const bool xn = (rbar & v8rbar::XN) != 0;
  const bool pxn = (rlar & rlar::PXN) != 0;  // always 0 unless v81m (masked on write)
  // MPUCheck(): an instruction fetch needs read permission, XN=0 and (v8.1-M) PXN=0 when privileged.
  r.privileged = ap_data_perms(rbar, true);
  if (!xn && !pxn) r.privileged |= Perms::X;
  r.unprivileged = ap_data_perms(rbar, false);
  if (!xn && r.unprivileged != Perms::None) r.unprivileged |= Perms::X;
  return r;
}

}  // namespace bulkhead::mpu
