// Exact addresses for precise denials. The TLB-fill hook only learns the page of a refused access; the
// instruction itself is known exactly (PC), so the access is replayed once, alone, with the page let through
// to unmapped memory: Unicorn then reports the exact address and size to the UNMAPPED hook, and the
// instruction still does not complete (nothing is mapped there to write to).
#include "engine_impl.hpp"

namespace bulkhead::emu {

void Engine::Impl::account_partial_block(std::uint32_t pc) {
  if (pending_block_insns == 0) return;
  if (pc >= pending_block_start && pc <= pending_block_start + pending_block_size)
    run_instructions += count_instructions(pending_block_start, pc - pending_block_start);
  pending_block_insns = 0;
}

Fault Engine::probe_bus_fault(std::uint32_t pc) {
  Impl& s = *impl_;
  Fault f = s.make_fault(FaultKind::BusFault, pc);
  f.access = s.denied_access;
  f.address = *s.denied_page;
  if (f.access == Access::Execute) {
    // A fetch fault's address is the first unfetchable byte: the PC, or the page where a wide instruction
    // continues.
    f.address = pc >= *s.denied_page ? pc : *s.denied_page;
    f.detail = "instruction fetch from unmapped memory";
    return f;
  }
  const bool arm = s.arch != Arch::Rv32;
  // Stop right after the instruction if it somehow completes.
  std::uint16_t hw = 0;
  uc_mem_read(s.uc.get(), pc, &hw, sizeof hw);
  const std::uint32_t len = s.insn_length(hw);
  uc_context* ctx = nullptr;
  if (uc_context_alloc(s.uc.get(), &ctx) != UC_ERR_OK || uc_context_save(s.uc.get(), ctx) != UC_ERR_OK) {
    if (ctx) uc_context_free(ctx);
    f.detail = "access to unmapped page (exact address unknown)";  // no replay without a way back
    return f;
  }
  s.probing = true;
  s.probe_hit = false;
  const std::uint64_t saved_budget = s.run_budget;
  s.run_budget = ~0ull;
  uc_emu_start(s.uc.get(), pc | (arm ? 1u : 0u), pc + len, 0, 0);
  uc_context_restore(s.uc.get(), ctx);  // whatever the replay did to registers is undone
  uc_context_free(ctx);
  s.probing = false;
  s.run_budget = saved_budget;
  s.pending_block_insns = 0;
  s.stop_reason.reset();
  // Drop the TLB entries the probe let through, so that the next access to that page asks again.
  uc_ctl_flush_tlb(s.uc.get());
  if (s.probe_hit) {
    f.address = s.probe_address;
    f.size = s.probe_size;
    f.access = s.probe_access;
  }
  f.detail = std::string(f.access == Access::Write ? "write to" : "read from") + " unmapped memory";
  return f;
}

}  // namespace bulkhead::emu
