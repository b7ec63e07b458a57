// The kernel shim's scheduler under load: the two bench_switch modules as a two-partition layout, run by
// kernel_shim::System with a given time slice. Comparing slices gives the cost of a context switch through
// the whole kernel path (preemption, scheduler, context restore, unit swap, TLB flush).
#pragma once

#include <cstdint>
#include <filesystem>

#include "bulkhead/emu/engine.hpp"

namespace bulkhead::bench {

struct SystemTiming {
  std::uint64_t slice = 0;
  double seconds = 0;
  std::uint64_t instructions = 0;
  std::uint64_t switches = 0;
};

// Runs bench_switch-PROFILE.elf and bench_switch_b-PROFILE.elf from `firmware_dir` as one system for
// `instructions` guest instructions with time slice `slice`. Throws on a layout or run that fails.
SystemTiming time_system(emu::CpuProfile profile, const std::filesystem::path& firmware_dir,
                         std::uint64_t slice, std::uint64_t instructions);

}  // namespace bulkhead::bench
