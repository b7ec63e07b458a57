// The single module of `bulkhead run MODULE.elf` as a GDB target: one thread (1), the kernel's engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bulkhead/gdbstub/target.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"

namespace bulkhead::gdbstub {

class KernelTarget final : public Target {
 public:
  // `kernel` (loaded, and protected if wanted) must outlive this. `max_instructions` is the module's whole
  // budget, as `bulkhead run --max-instructions`. Installs the engine's exact-PC hook (exact steps and
  // breakpoints).
  KernelTarget(kernel_shim::Kernel& kernel, std::string name, std::uint64_t max_instructions);

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

  // How the module ended (exit, fault, unserved trap, budget, halt), totals over the whole session;
  // nullopt while it can still run.
  const std::optional<kernel_shim::ModuleResult>& result() const { return result_; }
  // After the debugger detached: removes every breakpoint and runs the module to its end.
  kernel_shim::ModuleResult finish();

 private:
  Stop run(std::uint64_t max_instructions, bool step);
  Stop end_stop();

  kernel_shim::Kernel& kernel_;
  std::string name_;
  std::uint64_t max_instructions_;
  std::uint64_t instructions_ = 0;
  std::uint64_t syscalls_ = 0;
  std::optional<kernel_shim::ModuleResult> result_;
  int end_signal_ = 0;  // the signal its end was reported with (not an exit)
  bool gone_ = false;   // its end has been reported as the process's exit: no thread left
};

}  // namespace bulkhead::gdbstub
