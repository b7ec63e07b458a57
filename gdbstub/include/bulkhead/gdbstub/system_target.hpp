// The partitions of a layout (`bulkhead run LAYOUT.toml --gdb PORT`) as a GDB target: one thread per
// partition that runs a module (thread id = partition id + 1), scheduled by kernel_shim::System exactly as
// without a debugger. A fault stops in its thread with its signal and the PC at the faulting instruction; the
// partition's fault policy (kill, restart, ...) applies when the target is resumed.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/gdbstub/target.hpp"
#include "bulkhead/kernel_shim/system.hpp"

namespace bulkhead::gdbstub {

class SystemTarget final : public Target {
 public:
  // Maps the system's results to the process's exit status (as `bulkhead run` would exit).
  using ExitStatus = std::function<int(const std::vector<kernel_shim::PartitionResult>&)>;

  // `system` must outlive this; calls system.debug_begin(options).
  SystemTarget(kernel_shim::System& system, const kernel_shim::SystemOptions& options, ExitStatus status);

  Arch arch() const override;
  std::vector<ThreadId> threads() const override;
  std::string thread_name(ThreadId thread) const override;
  std::optional<std::uint32_t> read_register(ThreadId thread, unsigned regnum) override;
  bool write_register(ThreadId thread, unsigned regnum, std::uint32_t value) override;
  bool read_memory(ThreadId thread, std::uint32_t address, std::span<std::uint8_t> out) override;
  bool write_memory(ThreadId thread, std::uint32_t address, std::span<const std::uint8_t> bytes) override;
  bool add_breakpoint(std::uint32_t address) override;
  bool remove_breakpoint(std::uint32_t address) override;
  Stop step(ThreadId thread) override;
  Stop resume(std::uint64_t max_instructions) override;

  // After the debugger detached (or to finish a session): removes every breakpoint, runs the system to its
  // end, and returns the results.
  std::vector<kernel_shim::PartitionResult> finish();

 private:
  Stop map(const kernel_shim::System::DebugStop& s);
  bool valid(ThreadId t) const;

  kernel_shim::System& system_;
  ExitStatus status_;
  bool gone_ = false;
};

}  // namespace bulkhead::gdbstub
