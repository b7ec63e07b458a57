// The protection layouts of the benchmark and how each protection model is programmed with them. The rules
// are the same as bench/qemu/layout.h builds for the bare-metal QEMU kernels; keep the two in step.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/emu/engine.hpp"

namespace bulkhead::bench {

// What unprivileged code may do in a rule's range.
enum class RuleAccess : std::uint8_t { None, ReadOnly, ReadWrite, ReadExecute };

// A naturally aligned power-of-two range. Where rules overlap, the later one decides.
struct Rule {
  std::uint32_t base = 0;
  std::uint32_t size = 0;
  RuleAccess access = RuleAccess::None;
};

// Where a module lives, from its ELF image.
struct ModulePlacement {
  std::uint32_t flash = 0;               // start of its code (the flash origin it was linked for)
  std::uint32_t ram = 0;                 // start of its RAM
  std::uint32_t stack_top = 0;           // __stack_top
  std::vector<std::uint32_t> red_zones;  // bench_mix's bench_red_zones (empty for other modules)
};

inline constexpr std::uint32_t kFlashRegionSize = 0x10000;  // bench/qemu/layout.h BENCH_FLASH_SIZE
inline constexpr std::uint32_t kRamRegionSize = 0x4000;     // BENCH_RAM_SIZE
inline constexpr std::uint32_t kRedZone = 32;
inline constexpr std::uint32_t kStackGuardDepth = 0x400;

// Where the layouts put device windows: the Arm default map's Peripheral area; low MMIO on RV32 (QEMU virt).
std::uint32_t peripheral_base(emu::CpuProfile profile);

// Code, the module's RAM, and `total - 2` regions of other partitions, devices and the kernel, none of them
// in a page the module touches (total: 8 or 16).
std::vector<Rule> realistic_layout(const ModulePlacement& m, emu::CpuProfile profile, int total = 8);
// Code, RAM, a no-access 32-byte rule on each red zone, one kStackGuardDepth below the stack top and one just
// above it: every page holding the module's hot data and stack is split by a rule edge. Throws
// std::invalid_argument when the module has no red zones.
std::vector<Rule> worst_case_layout(const ModulePlacement& m);

// A protection unit of the profile's model (PMSAv7 / PMSAv8 / PMP) with `regions` regions or entries,
// programmed with `rules` and enabled (Arm: MPU_CTRL ENABLE | PRIVDEFENA). Throws std::invalid_argument when
// the rules do not fit the model.
std::unique_ptr<ProtectionUnit> make_unit(emu::CpuProfile profile, const std::vector<Rule>& rules,
                                          int regions = 8);

// One register write: PMSAv7 (region, RBAR, RASR), PMSAv8 (region, RBAR, RLAR), PMP (CSR number, value).
struct RegisterWrite {
  std::uint32_t index = 0;
  std::uint32_t first = 0;
  std::uint32_t second = 0;
};
// Every region/entry register of a unit with `regions` regions, holding `rules` (unused regions disabled):
// what a kernel keeps per partition, computed once. Throws std::invalid_argument when the rules do not fit.
struct RegisterImage {
  std::vector<RegisterWrite> writes;
};
RegisterImage register_image(emu::CpuProfile profile, const std::vector<Rule>& rules, int regions);
// Writes an image into a unit made by make_unit for the same profile and region count, the way a kernel
// loads a partition's programming at a context switch: every region/entry register is written.
void load_registers(ProtectionUnit& unit, emu::CpuProfile profile, const RegisterImage& image);

}  // namespace bulkhead::bench
