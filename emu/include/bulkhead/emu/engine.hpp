// The Unicorn engine wrapper: the only component that includes <unicorn/unicorn.h>.
//
// An Engine owns one uc_engine and every hook on it. Guest events (syscall traps, faults, the instruction
// budget) stop the run and come back as a RunResult value; the caller (the kernel shim) handles them and
// calls run() again. No C++ exception ever crosses a Unicorn callback: a hook that throws records the
// exception, stops the engine, and run() rethrows it once uc_emu_start has returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/core/types.hpp"

namespace bulkhead::emu {

enum class CpuProfile : std::uint8_t { CortexM4, CortexM33, Rv32imac };

std::string_view to_string(CpuProfile p);
std::optional<CpuProfile> parse_profile(std::string_view name);  // "cortex-m4", "cortex-m33", "rv32imac"
Arch arch_of(CpuProfile p);
CpuProfile default_profile(Arch a);  // ArmV7M -> CortexM4, ArmV8M -> CortexM33, Rv32 -> Rv32imac

enum class StopReason : std::uint8_t {
  Syscall,    // SVC (Arm) or ECALL (RISC-V); PC is the instruction after it, trap_imm holds the SVC immediate
  Fault,      // `fault` holds the report; PC is the faulting instruction
  Budget,     // the instruction budget (or the time limit) of this run() is used up
  Halted,     // the guest stopped by itself (WFI)
  HostError,  // Unicorn reported an error Bulkhead does not map to a guest event; see `error`
};
std::string_view to_string(StopReason r);

struct RunResult {
  StopReason reason = StopReason::HostError;
  std::uint64_t instructions = 0;  // instructions completed during this run()
  std::uint32_t pc = 0;
  std::uint32_t trap_imm = 0;
  std::optional<Fault> fault;
  std::string error;
  // With reason Budget: the run stopped before the instruction at `pc` because a debugger breakpoint is
  // there (add_breakpoint). Kept out of StopReason so that callers that never set breakpoints need no case.
  bool breakpoint = false;
};

// A host-side error: bad use of the engine (overlapping maps, unaligned map, access to unmapped memory from
// the host). Guest misbehaviour is never an exception: it is a Fault in a RunResult.
class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How guest accesses are checked (docs/design.md, "The checked bus").
enum class BusMode : std::uint8_t {
  Unchecked,  // no protection unit: every mapped byte is RWX (raw Unicorn speed)
  Checked,    // the protection unit decides each page at TLB fill; pages split by a rule edge are checked
              // access by access, exactly
  Naive,      // a hook on every access and every instruction asks the unit (a benchmark baseline only)
};
std::string_view to_string(BusMode m);

struct EngineOptions {
  BusMode bus = BusMode::Checked;
  // Count instructions per translated block (a block hook: exact budgets and counts, ~1.6x slower). Off:
  // run() cannot stop on an instruction budget; use set_time_limit() against hangs.
  bool count_instructions = true;
  // Install the exact-PC code hook from the start (it is otherwise installed when the first split page
  // appears, or by a debugger or tracer). With it, budget stops are exact to the instruction; counts are
  // the same either way (blocks are counted in both modes, docs/design.md).
  bool exact_pc = false;
};

// A saved CPU context (registers, privilege, pending state), for context switches. Move-only.
class CpuContext {
 public:
  CpuContext();
  ~CpuContext();
  CpuContext(CpuContext&&) noexcept;
  CpuContext& operator=(CpuContext&&) noexcept;
  CpuContext(const CpuContext&) = delete;
  CpuContext& operator=(const CpuContext&) = delete;

  struct Impl;
  std::unique_ptr<Impl> impl;
};

class Tracer;  // bulkhead/emu/tracer.hpp

struct MemoryRegion {
  std::uint32_t base = 0;
  std::uint32_t size = 0;
  std::string name;
};

class Engine {
 public:
  // Map granularity: every map() base and size is a multiple of this (4 KiB, a multiple of Unicorn's
  // 1 KiB Arm M-profile page and its 4 KiB RV32 page).
  static constexpr std::uint32_t kMapGranule = 0x1000;

  explicit Engine(CpuProfile profile, EngineOptions options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  CpuProfile profile() const;
  Arch arch() const;
  // The size of one Unicorn TLB page for this profile (1 KiB Arm M-profile, 4 KiB RV32).
  std::uint32_t tlb_page_size() const;

  // Memory. `map` rejects overlaps and unaligned ranges (EngineError).
  void map(std::uint32_t base, std::uint32_t size, std::string name);
  const std::vector<MemoryRegion>& memory_map() const;
  bool is_mapped(std::uint32_t address, std::uint32_t size = 1) const;
  void write_memory(std::uint32_t address, std::span<const std::uint8_t> bytes);
  void read_memory(std::uint32_t address, std::span<std::uint8_t> out) const;
  std::uint32_t read_u32(std::uint32_t address) const;
  std::uint16_t read_u16(std::uint32_t address) const;

  // Registers. `reg(n)`: Arm r0..r15 (13 = SP, 14 = LR, 15 = PC), RISC-V x0..x31.
  std::uint32_t reg(unsigned n) const;
  void set_reg(unsigned n, std::uint32_t value);
  std::uint32_t pc() const;
  void set_pc(std::uint32_t pc);  // Arm: a Thumb address, with or without bit 0
  std::uint32_t sp() const;
  void set_sp(std::uint32_t sp);
  // Arm only (EngineError on RISC-V): the combined program status register (APSR | IPSR | EPSR, with the
  // Thumb bit), as GDB's org.gnu.gdb.arm.m-profile `xpsr` shows it. A write obeys Unicorn's xPSR write rules.
  std::uint32_t xpsr() const;
  void set_xpsr(std::uint32_t value);

  // Arm: enter unprivileged thread mode (CONTROL.nPRIV = 1). RISC-V: the hart stays in M-mode (see
  // docs/design.md) and the protection unit decides for U-mode; M-mode-only instructions fault as illegal.
  void drop_privilege();
  // The privilege the protection unit decides for (set by drop_privilege; Privileged at start).
  Privilege privilege() const;

  // The protection unit consulted on guest accesses (Checked/Naive bus). Not owned: it must outlive every
  // run(). nullptr: no protection (every mapped byte RWX). Changes to the unit's registers take effect at
  // the next run() (its generation() is compared at every run start; the TLB is flushed on a change).
  void set_protection_unit(const ProtectionUnit* unit);
  const ProtectionUnit* protection_unit() const;
  BusMode bus_mode() const;

  // Context switch: save and restore the CPU state (not memory). A restore is followed by a TLB flush,
  // so that no permission cached for one context survives into another.
  CpuContext save_context() const;
  void save_context(CpuContext& into) const;
  void restore_context(const CpuContext& from);

  // A wall-clock limit per run() (zero: none). Needed when instruction counting is off.
  void set_time_limit(std::chrono::microseconds limit);

  // Runs from the current PC until a guest event or until `max_instructions` have completed. The budget is
  // counted per translated block: without the exact-PC hook a run stops at the first block boundary where
  // the count reaches it; with it, before the instruction where it does.
  RunResult run(std::uint64_t max_instructions);
  std::uint64_t instructions_executed() const;  // over all runs

  // Debugger support. Installs the exact-PC code hook if it is not installed yet (EngineOptions::exact_pc):
  // with it, run(1) executes exactly one instruction and breakpoints stop exactly.
  void enable_exact_pc();
  // Software breakpoints, checked by the exact-PC code hook (enabled by the first add): run() stops *before*
  // an instruction at one of these addresses, with reason Budget and RunResult::breakpoint set. Arm
  // addresses are taken without the Thumb bit.
  void add_breakpoint(std::uint32_t address);
  void remove_breakpoint(std::uint32_t address);
  void clear_breakpoints();
  bool has_breakpoint(std::uint32_t address) const;
  // The next run() does not stop at a breakpoint on the first instruction it executes: a debugger resuming
  // from a breakpoint stop (or stepping from one) runs the instruction it stopped before.
  void skip_breakpoint_once();

  // Instruction and access tracing (docs/trace.md). Not owned: it must outlive every run() while set.
  // Setting one installs the exact-PC code hook and a memory hook on every access (slow, but exact: each
  // counted instruction is reported once); nullptr removes the memory hook. Off, nothing is added.
  void set_tracer(Tracer* tracer);
  Tracer* tracer() const;

 private:
  RunResult run_untraced(std::uint64_t max_instructions);
  Fault probe_bus_fault(std::uint32_t pc);
  Fault protection_fault_at(std::uint32_t pc);

 public:
  struct Impl;  // public so that the hook trampolines (free functions) can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulkhead::emu
