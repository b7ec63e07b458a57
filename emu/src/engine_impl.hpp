// Private engine state shared by the engine's translation units. Never included outside emu/src.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include <unicorn/unicorn.h>

#include "bulkhead/emu/engine.hpp"

namespace bulkhead::emu {

// Closes the engine after its hooks: ~Impl deletes every hook first (unicorn-facts: hooks before uc_close).
struct UcClose {
  void operator()(uc_engine* uc) const noexcept { uc_close(uc); }
};

struct Engine::Impl {
  CpuProfile profile;
  Arch arch;
  std::uint32_t page_size;  // Unicorn's TLB page: 1 KiB Arm M-profile, 4 KiB RV32 (unicorn-facts)
  std::unique_ptr<uc_engine, UcClose> uc;
  std::vector<uc_hook> hooks;
  std::vector<MemoryRegion> regions;  // sorted by base

  // Budget accounting (see hooks.cpp): instructions per translated block, in a direct-mapped cache keyed by
  // (address, size). A hash map here cost as much as Unicorn's own hook dispatch on every block.
  struct BlockCount {
    std::uint64_t key = ~0ull;
    std::uint32_t insns = 0;
  };
  static constexpr std::size_t kBlockCacheSize = 4096;  // a power of two
  std::vector<BlockCount> block_insns = std::vector<BlockCount>(kBlockCacheSize);
  std::uint64_t total_instructions = 0;
  std::uint64_t run_instructions = 0;
  std::uint64_t run_budget = 0;
  std::uint32_t pending_block_insns = 0;  // the block being entered; counted once it is known to complete
  std::uint32_t pending_block_start = 0;
  std::uint32_t pending_block_size = 0;

  // A page the TLB-fill hook refused because nothing is mapped there (a precise bus fault).
  std::optional<std::uint32_t> denied_page;
  Access denied_access = Access::Read;

  // Probing a denied access for its exact address (see fault_probe.cpp).
  bool probing = false;
  bool probe_hit = false;
  std::uint32_t probe_address = 0;
  std::uint32_t probe_size = 0;
  Access probe_access = Access::Read;

  // What stopped the run, recorded by the hooks.
  std::optional<StopReason> stop_reason;
  std::optional<Fault> fault;
  std::uint32_t trap_imm = 0;
  std::exception_ptr hook_exception;

  explicit Impl(CpuProfile p);
  ~Impl();

  // The mapped region holding `address`, or nullptr.
  const MemoryRegion* find_region(std::uint64_t address) const;

  void install_hooks();
  void add_hook(uc_hook h) { hooks.push_back(h); }
  std::uint32_t count_block(std::uint64_t address, std::uint32_t size);
  std::uint32_t insn_length(std::uint16_t first_halfword) const;
  std::uint32_t count_instructions(std::uint32_t start, std::uint32_t bytes);
  void account_partial_block(std::uint32_t pc);
  void record_fault(Fault f);
  Fault make_fault(FaultKind kind, std::uint32_t pc) const;
  void stop(StopReason reason);
};

void check_uc(uc_err err, const char* what);

inline int pc_reg_id(Arch arch) {
  return arch == Arch::Rv32 ? static_cast<int>(UC_RISCV_REG_PC) : static_cast<int>(UC_ARM_REG_PC);
}

}  // namespace bulkhead::emu
