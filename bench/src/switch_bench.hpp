// The context-switch benchmark: two modules in one engine, each with its own protection programming; every
// yield switches to the other one.
#pragma once

#include <cstdint>
#include <memory>

#include "bulkhead/emu/engine.hpp"
#include "workload.hpp"

namespace bulkhead::bench {

class SwitchBench {
 public:
  // `a` and `b` are two bench_switch images linked at different addresses; `regions`: 8 or 16 per module.
  SwitchBench(emu::CpuProfile profile, const Module& a, const Module& b, int regions);
  ~SwitchBench();
  SwitchBench(const SwitchBench&) = delete;
  SwitchBench& operator=(const SwitchBench&) = delete;

  // Microseconds per slice for each variant, over `slices` slices each.
  double time_slices(std::uint64_t slices);     // module A alone, no switch
  double time_reprogram(std::uint64_t slices);  // save, restore, rewrite every region register, resume
  double time_swap(std::uint64_t slices);       // save, restore, set_protection_unit(other), resume
  // The parts alone, per switch, without running: the register writes of a reprogramming (the model decodes
  // at each write), and a context save plus restore (which includes the engine's TLB flush).
  double time_program_only(std::uint64_t switches);
  double time_context_only(std::uint64_t switches);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulkhead::bench
