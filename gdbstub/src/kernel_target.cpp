#include "bulkhead/gdbstub/kernel_target.hpp"

#include <algorithm>
#include <utility>

#include "engine_memory.hpp"

namespace bulkhead::gdbstub {

KernelTarget::KernelTarget(kernel_shim::Kernel& kernel, std::string name, std::uint64_t max_instructions)
    : kernel_(kernel), name_(std::move(name)), max_instructions_(max_instructions) {
  kernel_.engine().enable_exact_pc();
}

Arch KernelTarget::arch() const {
  return kernel_.engine().arch();
}

std::vector<ThreadId> KernelTarget::threads() const {
  if (gone_) return {};
  return {1};
}

std::string KernelTarget::thread_name(ThreadId) const {
  return name_;
}

std::optional<std::uint32_t> KernelTarget::read_register(ThreadId, unsigned regnum) {
  const emu::Engine& e = kernel_.engine();
  if (e.arch() == Arch::Rv32) {
    if (regnum < 32) return e.reg(regnum);
    if (regnum == 32) return e.pc();
    return std::nullopt;
  }
  if (regnum < 16) return e.reg(regnum);
  if (regnum == 25) return e.xpsr();
  return std::nullopt;
}

bool KernelTarget::write_register(ThreadId, unsigned regnum, std::uint32_t value) {
  emu::Engine& e = kernel_.engine();
  if (regnum == pc_regnum(e.arch())) {
    e.set_pc(value);
  } else if (e.arch() == Arch::Rv32 ? regnum < 32 : regnum < 16) {
    e.set_reg(regnum, value);
  } else if (e.arch() != Arch::Rv32 && regnum == 25) {
    e.set_xpsr(value);
  } else {
    return false;
  }
  return true;
}

bool KernelTarget::read_memory(ThreadId, std::uint32_t address, std::span<std::uint8_t> out) {
  return detail::read_mapped(kernel_.engine(), address, out);
}

bool KernelTarget::write_memory(ThreadId, std::uint32_t address, std::span<const std::uint8_t> bytes) {
  return detail::write_mapped(kernel_.engine(), address, bytes);
}

bool KernelTarget::add_breakpoint(std::uint32_t address) {
  kernel_.engine().add_breakpoint(address);
  return true;
}

bool KernelTarget::remove_breakpoint(std::uint32_t address) {
  kernel_.engine().remove_breakpoint(address);
  return true;
}

Stop KernelTarget::step(ThreadId) {
  return run(1, true);
}

Stop KernelTarget::resume(std::uint64_t max_instructions) {
  return run(max_instructions, false);
}

// Resumed after its end: the process is gone, with its exit code or the signal of its end.
Stop KernelTarget::end_stop() {
  gone_ = true;
  if (result_->outcome == kernel_shim::Outcome::Exited)
    return {StopKind::Exited, 1, 0, result_->exit_code & 0xFF};
  return {StopKind::Terminated, 1, end_signal_, 0};
}

Stop KernelTarget::run(std::uint64_t max_instructions, bool step) {
  if (result_) return end_stop();
  emu::Engine& e = kernel_.engine();
  const std::uint64_t left = max_instructions_ - std::min(max_instructions_, instructions_);
  const std::uint64_t budget = std::min(max_instructions, left);
  // Resuming at a breakpoint (GDB steps over its own, but not necessarily every client does): the
  // instruction there runs first.
  if (e.has_breakpoint(e.pc())) e.skip_breakpoint_once();
  kernel_shim::ModuleResult r = kernel_.run(budget);
  instructions_ += r.instructions;
  syscalls_ += r.syscalls;
  r.instructions = instructions_;
  r.syscalls = syscalls_;
  switch (r.outcome) {
    case kernel_shim::Outcome::Exited:
      result_ = std::move(r);
      return end_stop();
    case kernel_shim::Outcome::BudgetExhausted:
      if (instructions_ >= max_instructions_) {
        // The whole budget: say so with its own number (Kernel::run named this slice's).
        const auto at = r.report.find(" exhausted at ");
        if (at != std::string::npos)
          r.report = "instruction budget of " + std::to_string(max_instructions_) + r.report.substr(at);
        result_ = std::move(r);
        end_signal_ = signal::kXcpu;
        return {StopKind::Signal, 1, end_signal_, 0};
      }
      if (step || e.has_breakpoint(e.pc())) return {StopKind::Signal, 1, signal::kTrap, 0};
      return {};
    case kernel_shim::Outcome::Faulted:
      end_signal_ = fault_signal(r.fault->kind);
      break;
    case kernel_shim::Outcome::UnknownTrap:
      end_signal_ = signal::kTrap;
      break;
    case kernel_shim::Outcome::Halted:
    case kernel_shim::Outcome::Stopped:
    case kernel_shim::Outcome::Deadlocked:
      end_signal_ = signal::kKill;  // nothing can wake it (bulkhead run exits with 137 = 128 + 9)
      break;
  }
  result_ = std::move(r);
  return {StopKind::Signal, 1, end_signal_, 0};
}

kernel_shim::ModuleResult KernelTarget::finish() {
  kernel_.engine().clear_breakpoints();
  while (!result_) run(max_instructions_, false);
  return *result_;
}

}  // namespace bulkhead::gdbstub
