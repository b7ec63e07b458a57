// PMSAv7: the ARMv7-M MPU (Cortex-M3/M4/M7; Cortex-M0+ with 256-byte minimum regions). ARMv7-M ARM B3.5.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/mpu/arm_mpu.hpp"

namespace bulkhead::mpu {

// SRD on a region of 32, 64 or 128 bytes is UNPREDICTABLE (ARMv7-M B3.5.9).
enum class SrdBelow256Policy : std::uint8_t {
  Ignore,  // subregions are not supported: SRD treated as 0 (QEMU's choice)
  Honour,  // eight subregions of size/8 bytes
};

// A base not aligned to the region size is UNPREDICTABLE (ARMv7-M B3.5.8).
enum class UnalignedBasePolicy : std::uint8_t {
  MaskLowBits,  // the low address bits are ignored (warning logged)
  SkipRegion,   // the region never matches (QEMU's choice)
};

struct ArmMpuV7Options {
  int regions = 8;                     // DREGION: 0 (no MPU), 8 or 16; any 0..16 is accepted
  std::uint32_t min_region_size = 32;  // 32 (ARMv7-M) or 256 (ARMv6-M, Cortex-M0+); a power of two 32..256
  SrdBelow256Policy srd_below_256 = SrdBelow256Policy::Ignore;
  UnalignedBasePolicy unaligned_base = UnalignedBasePolicy::MaskLowBits;
};

class ArmMpuV7 final : public ArmMpu {
 public:
  // Throws std::invalid_argument on options outside the ranges above (a host configuration error).
  explicit ArmMpuV7(ArmMpuV7Options options = {});

  std::string_view name() const override { return "pmsav7"; }
  std::vector<RegionInfo> regions() const override;

  // Register face (ARMv7-M B3.5.4 Table B3-14): MPU_TYPE (read-only), MPU_CTRL, MPU_RNR, MPU_RBAR, MPU_RASR
  // and the aliases RBAR_A1..A3 / RASR_A1..A3 (same registers). With 0 regions everything but MPU_TYPE is
  // RAZ/WI.
  void write(std::uint32_t addr, std::uint32_t value) override;
  std::uint32_t read(std::uint32_t addr) const override;
  static bool is_mpu_register(std::uint32_t addr);

  // Kernel conveniences, through the register face: RNR=n, then RBAR (VALID and REGION cleared), then RASR.
  void set_region(int n, std::uint32_t rbar, std::uint32_t rasr);
  void clear_region(int n) { set_region(n, 0, 0); }

  const ArmMpuV7Options& options() const { return options_; }

 private:
  struct Region {
    bool active = false;     // enabled and usable (ENABLE=1, SIZE valid, base acceptable)
    std::uint64_t base = 0;  // decoded base (after the unaligned-base policy)
    std::uint64_t size = 0;  // 2^(SIZE+1), up to 4 GiB
    std::uint8_t srd = 0;    // effective SRD (0 when ignored for small regions)
    Perms privileged = Perms::None;
    Perms unprivileged = Perms::None;
    bool reserved_ap = false;  // AP=0b100
    std::string note;          // why the decode departed from the raw registers, for reports
  };

  Decision lookup(std::uint32_t address, Privilege priv) const override;

  void collect_region_edges(std::vector<std::uint64_t>& out) const override;
  std::string explain(const Decision& d, std::uint32_t address) const override;

  void write_rbar(std::uint32_t value);
  void write_rasr(std::uint32_t value);
  Region decode(int n) const;
  void redecode(int n, bool warn);
  std::string describe(int n) const;

  ArmMpuV7Options options_;
  std::uint32_t min_size_field_ = 4;  // smallest valid SIZE: log2(min_region_size) - 1
  std::array<std::uint32_t, 16> rbar_{};
  std::array<std::uint32_t, 16> rasr_{};
  std::array<Region, 16> decoded_{};
};

}  // namespace bulkhead::mpu
