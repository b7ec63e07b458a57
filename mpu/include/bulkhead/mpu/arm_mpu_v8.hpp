// PMSAv8: the ARMv8-M MPU (Cortex-M23/M33/M55), one security state. ARMv8-M ARM "Protected Memory System
// Architecture, PMSAv8" and the MPU_* register descriptions (D1.2).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/mpu/arm_mpu.hpp"

namespace bulkhead::mpu {

struct ArmMpuV8Options {
  int regions = 8;    // DREGION: 0 (no MPU), 8 or 16; any 0..16 is accepted
  bool v81m = false;  // Armv8.1-M: RLAR.PXN implemented; otherwise RLAR[4] is RES0 (reads 0, ignored)
};

class ArmMpuV8 final : public ArmMpu {
 public:
  // Throws std::invalid_argument on options outside the ranges above (a host configuration error).
  explicit ArmMpuV8(ArmMpuV8Options options = {});

  std::string_view name() const override { return "pmsav8"; }
  std::vector<RegionInfo> regions() const override;

  // Register face: MPU_TYPE (read-only), MPU_CTRL, MPU_RNR, MPU_RBAR, MPU_RLAR, the aliases RBAR_An/RLAR_An
  // (region RNR[7:2]:n; RAZ/WI when that region does not exist), MPU_MAIR0/1. With 0 regions everything but
  // MPU_TYPE is RAZ/WI.
  void write(std::uint32_t addr, std::uint32_t value) override;
  std::uint32_t read(std::uint32_t addr) const override;
  static bool is_mpu_register(std::uint32_t addr);

  // Kernel conveniences, through the register face: RNR=n, then RBAR, then RLAR.
  void set_region(int n, std::uint32_t rbar, std::uint32_t rlar);
  void clear_region(int n) { set_region(n, 0, 0); }
  void set_mair(int index, std::uint32_t value);  // index 0 or 1

  const ArmMpuV8Options& options() const { return options_; }

 private:
  struct Region {
    bool active = false;     // EN=1 and LIMIT >= BASE
    std::uint64_t base = 0;  // BASE:0b00000
    std::uint64_t end = 0;   // one past LIMIT:0b11111
    Perms privileged = Perms::None;
    Perms unprivileged = Perms::None;
  };

  Decision lookup(std::uint32_t address, Privilege priv) const override;

  void collect_region_edges(std::vector<std::uint64_t>& out) const override;
  std::string explain(const Decision& d, std::uint32_t address) const override;

  // Region a register address targets (RNR, or RNR[7:2]:n for alias n), or -1 if it does not exist.
  int target_region(std::uint32_t addr) const;
  void write_region(int n, std::uint32_t rbar, std::uint32_t rlar);
  Region decode(int n) const;
  std::string describe(int n) const;

  ArmMpuV8Options options_;
  std::uint32_t rlar_mask_ = 0;
  std::array<std::uint32_t, 16> rbar_{};
  std::array<std::uint32_t, 16> rlar_{};
  std::array<std::uint32_t, 2> mair_{};
  std::array<Region, 16> decoded_{};
};

}  // namespace bulkhead::mpu
