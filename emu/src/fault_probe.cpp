// Exact addresses for precise denials. The TLB-fill hook only learns the page of a refused access; the
// instruction itself is known exactly (PC), so it is replayed once, alone, and the CPU context put back:
// - a bus fault: with the page let through to unmapped memory, Unicorn reports the exact address and size
//   to the UNMAPPED hook, and the instruction still does not complete (nothing is mapped there);
// - a protection fault: with every data page aliased to the MMIO window and memory hooks on the window,
//   which see the instruction's own accesses in order (bus.cpp); the first denied one is the fault.
// Refused fetches need no replay: they end as FETCH_UNMAPPED at the instruction (fetch_fault).
#include <string>
#include <utility>

#include "engine_impl.hpp"

namespace bulkhead::emu {
namespace {

// ---- The probe's view of the instruction's own accesses ----

bool probe_mem_cb(uc_engine*, uc_mem_type type, std::uint64_t address, int size, std::int64_t, void* user) {
  auto* s = static_cast<Engine::Impl*>(user);
  return guarded(
      s,
      [&] {
        if (s->probe_fault) return true;
        if (s->probe_skip > 0) {  // the aligned halves of an unaligned load Unicorn has split
          --s->probe_skip;
          return true;
        }
        const auto alias = static_cast<std::uint32_t>(address);
        const std::uint32_t slot = (alias - kAliasBase) / s->page_size;
        const std::uint32_t addr = s->alias_slots.at(slot) + (alias - kAliasBase) % s->page_size;
        const auto n = static_cast<std::uint32_t>(size);
        const Access a = access_of(type);
        if (a == Access::Read && addr % n != 0) s->probe_skip = 2;
        const Verdict v = s->unit->check(addr, n, a, s->privilege());
        if (!v.allowed) {
          s->probe_fault = s->protection_fault(v, a, addr, n, s->probe_pc);
          uc_emu_stop(s->uc.get());
        }
        return true;
      },
      false);
}

}  // namespace

bool Engine::Impl::replay_alone(std::uint32_t pc) {
  uc_context* ctx = nullptr;
  if (uc_context_alloc(uc.get(), &ctx) != UC_ERR_OK || uc_context_save(uc.get(), ctx) != UC_ERR_OK) {
    if (ctx) uc_context_free(ctx);
    return false;
  }
  std::uint16_t hw = 0;
  uc_mem_read(uc.get(), pc, &hw, sizeof hw);
  const std::uint32_t len = insn_length(hw);  // stop right after it if it completes
  const std::uint64_t saved_budget = run_budget;
  run_budget = ~0ull;
  uc_emu_start(uc.get(), pc | (arch != Arch::Rv32 ? 1u : 0u), pc + len, 0, 0);
  uc_context_restore(uc.get(), ctx);  // whatever the replay did to registers is undone
  uc_context_free(ctx);
  run_budget = saved_budget;
  pending_block_insns = 0;
  stop_reason.reset();
  fault.reset();
  // Drop the TLB entries the replay let through, so that the next access to those pages asks again.
  flush_tlb();
  return true;
}

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
  f.address = *s.denied_page;  // a data access: fetches are never refused (kNowhere)
  s.probing = true;
  s.probe_hit = false;
  const bool replayed = s.replay_alone(pc);
  s.probing = false;
  if (!replayed) {
    f.detail = "access to unmapped page (exact address unknown)";  // no replay without a way back
    return f;
  }
  if (s.probe_hit) {
    f.address = s.probe_address;
    f.size = s.probe_size;
    f.access = s.probe_access;
  }
  f.detail = std::string(f.access == Access::Write ? "write to" : "read from") + " unmapped memory";
  return f;
}

// A fetch Unicorn reported as FETCH_UNMAPPED at `pc`: from unmapped memory (a bus fault) or from memory the
// unit does not let execute (MemManage IACCVIOL / instruction access fault). A 32-bit instruction may
// straddle into the page that refused it; the fault still names the instruction (ARMv7-M ARM B3.5.1).
Fault Engine::Impl::fetch_fault(std::uint32_t pc) {
  std::uint32_t len = 2;
  if (find_region(pc)) {
    std::uint16_t hw = 0;
    uc_mem_read(uc.get(), pc, &hw, sizeof hw);
    len = insn_length(hw);
  }
  const std::uint32_t at = !find_region(pc) ? pc : !find_region(pc + len - 1) ? pc + 2 : 0;
  if (at != 0 || !unit || options.bus != BusMode::Checked) {
    Fault f = make_fault(FaultKind::BusFault, pc);
    f.access = Access::Execute;
    f.address = at != 0 ? at : pc;
    f.size = len;
    f.privilege = privilege();
    f.detail = "instruction fetch from unmapped memory";
    return f;
  }
  const Verdict v = unit->check(pc, len, Access::Execute, privilege());
  return protection_fault(v, Access::Execute, pc, len, pc);
}

// Replays the instruction at `pc` once, alone, with every page it may be denied on aliased to the MMIO
// window and memory hooks on that window: the hooks see the instruction's own accesses (before Unicorn
// splits unaligned ones) and the first denied one is the fault. Nothing is written; the context is
// restored. nullopt: no access of the instruction is denied.
std::optional<Fault> Engine::Impl::probe_protection_fault(std::uint32_t pc) {
  uc_hook h{};
  check_uc(uc_hook_add(uc.get(), &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                       reinterpret_cast<void*>(&probe_mem_cb), this, kAliasBase, kAliasBase + kAliasSize - 1),
           "hook probe");
  flush_tlb();
  prot_probe = true;
  probe_fault.reset();
  probe_skip = 0;
  probe_pc = pc;
  const bool replayed = replay_alone(pc);
  uc_hook_del(uc.get(), h);
  prot_probe = false;
  if (!replayed) throw EngineError("checked bus: cannot save the CPU context to probe a denial");
  return std::exchange(probe_fault, std::nullopt);
}

// A TLB fill refused by the unit (a page one rule decides): PC is the instruction; find the exact access.
Fault Engine::protection_fault_at(std::uint32_t pc) {
  Impl& s = *impl_;
  const std::uint32_t page = *s.denied_prot_page;  // a data access: fetches are never refused (kNowhere)
  if (auto f = s.probe_protection_fault(pc)) return *f;
  // The replay found no denied access (it cannot happen for a page the unit denies as a whole); report the
  // page so that nothing is lost.
  const Verdict v = s.unit->check(page, 1, s.denied_access, s.privilege());
  Fault f = s.protection_fault(v, s.denied_access, page, 1, pc);
  f.detail += " (exact address unknown)";
  return f;
}

}  // namespace bulkhead::emu
