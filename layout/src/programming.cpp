// Loading a compiled programming into a protection model, the way a kernel's context switch would.
#include "bulkhead/layout/programming.hpp"

#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/csr.hpp"

namespace bulkhead::layout {

int UnitConfig::slots() const {
  switch (arch) {
    case Arch::ArmV7M:
      return v7.regions;
    case Arch::ArmV8M:
      return v8.regions;
    case Arch::Rv32:
      return static_cast<int>(pmp.entries);
  }
  return 0;
}

std::string_view target_name(Arch arch) {
  return to_string(arch);  // the layout's `arch` spellings are core's names
}

std::unique_ptr<ProtectionUnit> make_unit(const UnitConfig& config) {
  switch (config.arch) {
    case Arch::ArmV7M:
      return std::make_unique<mpu::ArmMpuV7>(config.v7);
    case Arch::ArmV8M:
      return std::make_unique<mpu::ArmMpuV8>(config.v8);
    case Arch::Rv32:
      return std::make_unique<pmp::RiscvPmp>(config.pmp);
  }
  return nullptr;
}

void apply(const Programming& p, mpu::ArmMpuV7& unit) {
  unit.write(mpu::addr::MPU_CTRL, 0);
  for (const V7Region& r : p.v7) {
    unit.write(mpu::addr::MPU_RBAR, r.rbar);  // VALID=1: REGION selects the region (B3.5.8)
    unit.write(mpu::addr::MPU_RASR, r.rasr);
  }
  unit.write(mpu::addr::MPU_CTRL, p.mpu_ctrl);
}

void apply(const Programming& p, mpu::ArmMpuV8& unit) {
  unit.write(mpu::addr::MPU_CTRL, 0);
  unit.write(mpu::addr::MPU_MAIR0, p.mair[0]);
  unit.write(mpu::addr::MPU_MAIR1, p.mair[1]);
  for (const V8Region& r : p.v8) {
    unit.write(mpu::addr::MPU_RNR, r.region);
    unit.write(mpu::addr::MPU_RBAR, r.rbar);
    unit.write(mpu::addr::MPU_RLAR, r.rlar);
  }
  unit.write(mpu::addr::MPU_CTRL, p.mpu_ctrl);
}

void apply(const Programming& p, pmp::RiscvPmp& unit) {
  for (const PmpAddrWrite& w : p.pmpaddr) unit.write_csr(w.csr, w.value);
  for (const PmpCfgWrite& w : p.pmpcfg) {
    const std::uint32_t old = unit.read_csr(w.csr).value_or(0);
    unit.write_csr(w.csr, (old & ~w.mask) | (w.value & w.mask));
  }
}

bool apply(const Programming& p, ProtectionUnit& unit) {
  switch (p.arch) {
    case Arch::ArmV7M:
      if (auto* v7 = dynamic_cast<mpu::ArmMpuV7*>(&unit)) {
        apply(p, *v7);
        return true;
      }
      return false;
    case Arch::ArmV8M:
      if (auto* v8 = dynamic_cast<mpu::ArmMpuV8*>(&unit)) {
        apply(p, *v8);
        return true;
      }
      return false;
    case Arch::Rv32:
      if (auto* rv = dynamic_cast<pmp::RiscvPmp*>(&unit)) {
        apply(p, *rv);
        return true;
      }
      return false;
  }
  return false;
}

}  // namespace bulkhead::layout
