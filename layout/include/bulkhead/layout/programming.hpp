// The compiled form of a partition: the register values that give it its memory, as a plain value the kernel
// shim loads on every context switch. No TOML, no allocation on apply, no knowledge of the layout file.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/core/types.hpp"
#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"

namespace bulkhead::layout {

// The protection unit a layout targets: which model, and its options.
struct UnitConfig {
  Arch arch = Arch::ArmV7M;
  mpu::ArmMpuV7Options v7;
  mpu::ArmMpuV8Options v8;
  pmp::PmpOptions pmp;

  // Number of MPU regions (Arm) or PMP entries (RISC-V).
  int slots() const;
};

// "armv7m", "armv8m", "rv32": the names layout files use.
std::string_view target_name(Arch arch);

// A fresh, reset model for `config`. Throws std::invalid_argument on options the model refuses.
std::unique_ptr<ProtectionUnit> make_unit(const UnitConfig& config);

// PMSAv7 region: RBAR carries VALID|REGION (B3.5.8) so one RBAR write selects the region, then RASR.
struct V7Region {
  std::uint8_t region = 0;
  std::uint32_t rbar = 0;
  std::uint32_t rasr = 0;
  friend bool operator==(const V7Region&, const V7Region&) = default;
};

// PMSAv8 region: written as RNR, RBAR, RLAR (ARMv8-M D1.2).
struct V8Region {
  std::uint8_t region = 0;
  std::uint32_t rbar = 0;
  std::uint32_t rlar = 0;
  friend bool operator==(const V8Region&, const V8Region&) = default;
};

// PMP: whole-CSR values. `mask` selects the cfg bytes this programming owns, so that entries kept by the
// kernel (other bytes of the same pmpcfg CSR) survive the write.
struct PmpCfgWrite {
  std::uint16_t csr = 0;
  std::uint32_t value = 0;
  std::uint32_t mask = 0;
  friend bool operator==(const PmpCfgWrite&, const PmpCfgWrite&) = default;
};
struct PmpAddrWrite {
  std::uint16_t csr = 0;
  std::uint32_t value = 0;
  friend bool operator==(const PmpAddrWrite&, const PmpAddrWrite&) = default;
};

// Every slot a partition (or the kernel) owns, including the ones it leaves disabled, so that applying one
// partition's programming also removes the previous partition's regions.
struct Programming {
  Arch arch = Arch::ArmV7M;
  std::uint32_t mpu_ctrl = 0;           // Arm: MPU_CTRL written last (ENABLE|PRIVDEFENA)
  std::array<std::uint32_t, 2> mair{};  // PMSAv8: MPU_MAIR0/1
  std::vector<V7Region> v7;
  std::vector<V8Region> v8;
  std::vector<PmpAddrWrite> pmpaddr;
  std::vector<PmpCfgWrite> pmpcfg;
  int used = 0;  // slots holding something the encoding needs (enabled regions, PMP TOR base entries)

  friend bool operator==(const Programming&, const Programming&) = default;
};

// Loads `p` into the model through its register face, as a kernel would: Arm with the MPU disabled while
// regions change (Hubris does this: half-written regions must never be live), then MPU_CTRL; PMP pmpaddr
// first, then the owned pmpcfg bytes (read-modify-write). The overload on ProtectionUnit returns false, and
// writes nothing, when the unit is not the model `p` was compiled for.
void apply(const Programming& p, mpu::ArmMpuV7& unit);
void apply(const Programming& p, mpu::ArmMpuV8& unit);
void apply(const Programming& p, pmp::RiscvPmp& unit);
bool apply(const Programming& p, ProtectionUnit& unit);

}  // namespace bulkhead::layout
