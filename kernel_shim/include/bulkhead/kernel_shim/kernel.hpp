// The kernel shim: the privileged host-side kernel that loads module images, runs them on the engine and
// serves their syscalls. This first slice hosts one module; later slices schedule many under a layout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/emu/engine.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::kernel_shim {

enum class Outcome : std::uint8_t {
  Exited,           // the module called exit; exit_code holds its code
  Faulted,          // a guest fault (MemManage, bus fault, undefined instruction, breakpoint, ...)
  UnknownTrap,      // a trap the kernel does not serve (Arm: an SVC immediate other than 0)
  BudgetExhausted,  // --max-instructions reached
  Halted,           // the module stopped the CPU (WFI) with nothing to wake it
  Stopped,          // another partition's fault policy (halt) stopped the whole system
  Deadlocked,       // blocked (IPC, notification wait) with nothing left that could wake it
};
std::string_view to_string(Outcome o);

struct ModuleResult {
  Outcome outcome = Outcome::Halted;
  std::int32_t exit_code = 0;
  std::optional<Fault> fault;  // for Faulted
  std::string report;          // one line for anything but a clean exit: kind, PC, symbol+offset, source line
  std::uint64_t instructions = 0;
  std::uint64_t syscalls = 0;
};

// Receives the module's console output as it is written.
using ConsoleSink = std::function<void(std::string_view)>;

class Kernel {
 public:
  // Maps and loads `image` into a new engine of `profile` (whose architecture must match the image's).
  // `image` is kept by reference for symbols and pointer checks: it must outlive the Kernel.
  // Throws std::invalid_argument for an image that cannot run on `profile`.
  Kernel(const loader::Image& image, emu::CpuProfile profile, ConsoleSink console,
         emu::EngineOptions options = {});

  // Isolation for a module run on its own: a protection unit for the profile (PMSAv7 / PMSAv8, 8 regions;
  // PMP, 16 entries) that grants each PT_LOAD segment exactly its ELF permissions, rounded out to the unit's
  // granule (32 B Arm, 4 B PMP), and nothing else to the unprivileged module. Compiled by the layout
  // compiler. Throws std::invalid_argument when the segments cannot be encoded.
  void protect_image();
  const ProtectionUnit* protection_unit() const { return unit_.get(); }

  // Source lines for fault reports (optional: without them reports name symbols only).
  void set_source_lines(std::optional<loader::SourceLines> lines) { lines_ = std::move(lines); }

  // Sees each syscall once it is served, for traces: the call number, r0-r5 / a0-a5 as the module passed
  // them, and the result written back (nothing for exit). Called between engine runs.
  using SyscallObserver = std::function<void(std::uint32_t number, const std::uint32_t (&args)[6],
                                             std::optional<std::int32_t> result)>;
  void set_syscall_observer(SyscallObserver observer) { syscall_observer_ = std::move(observer); }

  // Runs the module until it exits, faults, traps, halts, or has run `max_instructions`.
  ModuleResult run(std::uint64_t max_instructions);

  emu::Engine& engine() { return engine_; }

 private:
  // Serves one syscall; returns true when the module has exited.
  bool dispatch(ModuleResult& result);
  std::int32_t sys_write(std::uint32_t buf, std::uint32_t len);
  std::string describe_pc(std::uint32_t pc) const;
  std::string fault_report(const Fault& f) const;
  bool module_may_read(std::uint32_t addr, std::uint32_t len) const;

  const loader::Image& image_;
  emu::Engine engine_;
  ConsoleSink console_;
  std::optional<loader::SourceLines> lines_;
  std::unique_ptr<ProtectionUnit> unit_;
  SyscallObserver syscall_observer_;
};

}  // namespace bulkhead::kernel_shim
