// A system of partitions from a checked layout, run on one engine: each partition's module image mapped at
// its own addresses, its own CPU context, and its own pre-programmed protection unit, swapped in on every
// context switch (docs/design.md: a swap is a pointer change plus a TLB flush). Round-robin with a time
// slice counted in guest instructions, so every run is deterministic. This is the first slice of the
// multi-module kernel (issue 6): exit and console write, and the `kill` fault policy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::kernel_shim {

struct PartitionResult {
  std::string name;
  ModuleResult result;          // outcome, exit code, fault and report, instructions, syscalls
  std::uint64_t scheduled = 0;  // times it was switched in
};

// Receives each partition's console output as it is written.
using PartitionConsole = std::function<void(std::string_view partition, std::string_view text)>;

struct SystemOptions {
  std::uint64_t slice = 10'000;  // guest instructions per turn (counted per translated block)
  std::uint64_t max_instructions = 1'000'000'000;  // for the whole system
};

class System {
 public:
  // `checked` must be ok() and name a module ELF for at least one partition (std::invalid_argument
  // otherwise). Partitions without a module are not run.
  System(const layout::CheckResult& checked, PartitionConsole console);
  ~System();

  std::vector<PartitionResult> run(const SystemOptions& options);
  emu::Engine& engine() { return engine_; }

 private:
  struct Partition;
  // Serves one syscall of `p`; returns true when the partition has exited.
  bool dispatch(Partition& p);
  bool may_read(const Partition& p, std::uint32_t addr, std::uint32_t len) const;

  emu::Engine engine_;
  PartitionConsole console_;
  std::vector<std::unique_ptr<Partition>> partitions_;
};

}  // namespace bulkhead::kernel_shim
