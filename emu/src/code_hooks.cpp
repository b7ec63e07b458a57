// Code hooks of the checked bus (docs/design.md, "The checked bus"): the exact-PC hook over all code, the
// one-instruction hooks on RISC-V M-mode-only instructions, the naive baseline's hooks, and dropping the
// translated blocks a hook added later would not reach.
#include <cstring>
#include <utility>

#include "bulkhead/core/log.hpp"
#include "engine_impl.hpp"

namespace bulkhead::emu {

namespace {

// ---- Code hooks ----

// Over all code once a split page exists: PC exact at every access, and every fetch from a split page
// checked instruction by instruction (ARMv7-M ARM B3.5.1: each halfword of a 32-bit instruction is fetched
// and checked; the instruction faults if any part is not executable).
void exact_pc_cb(uc_engine*, std::uint64_t address, std::uint32_t size, void* user) {
  Engine::Impl* s = impl_of(user);
  guarded(
      s,
      [&] {
        const auto pc = static_cast<std::uint32_t>(address);
        if (!s->pending_stores.empty()) s->commit_stores();  // the previous instruction completed
        if (!s->breakpoints.empty() && !s->prot_probe && !s->probing) {
          // A debugger breakpoint stops before the instruction, like a budget stop (not counted).
          if (!std::exchange(s->bp_skip, false) && s->breakpoints.contains(pc)) {
            s->at_breakpoint = true;
            s->stop(StopReason::Budget);
            return 0;
          }
        }
        // The budget: blocks are counted by the block hook, which names the instruction of this block the
        // budget ends at; a stop here is before it runs.
        if (pc >= s->budget_stop_pc && s->options.count_instructions && !s->prot_probe && !s->probing) {
          s->stop(StopReason::Budget);
          return 0;
        }
        s->cur_pc = pc;
        s->alias_accesses_this_insn = 0;
        if (s->tracer && !s->prot_probe && !s->probing) s->trace_instruction(pc, size);
        if (s->trust_armed && pc == s->trust_pc) {
          s->trust_active = true;
          s->trust_armed = false;
        } else {
          s->trust_active = false;
        }
        const std::uint32_t page = pc & ~(s->page_size - 1);
        if (page != s->last_code_page) {
          s->last_code_page = page;
          s->last_x_granule = 1;
          s->last_code_page_split = s->fetch_split_pages.contains(page) ||
                                    s->fetch_split_pages.contains((pc + size - 1) & ~(s->page_size - 1));
        }
        if (s->last_code_page_split && !s->prot_probe) {
          // Most instructions lie in the granule the previous one was allowed from.
          const std::uint32_t g = pc & ~(s->granule - 1);
          const bool inside = pc + size <= g + s->granule;
          if (!inside || g != s->last_x_granule) {
            if (!s->allows(pc, size, Access::Execute)) {
              const Verdict v = s->unit->check(pc, size, Access::Execute, s->run_priv);
              s->record_fault(s->protection_fault(v, Access::Execute, pc, size, pc));
            } else if (inside) {
              s->last_x_granule = g;
            }
          }
        }
        return 0;
      },
      0);
}

// RISC-V: an instruction only M-mode may execute, reached while the model is in U-mode (priv. spec 3.1.6.1
// and the instruction definitions: CSR accesses above the current privilege, MRET/SRET, WFI and SFENCE.VMA
// raise illegal instruction).
void system_insn_cb(uc_engine* uc, std::uint64_t address, std::uint32_t, void* user) {
  Engine::Impl* s = impl_of(user);
  guarded(
      s,
      [&] {
        if (s->priv != Privilege::Unprivileged) return 0;
        std::uint32_t insn = 0;
        uc_mem_read(uc, address, &insn, sizeof insn);
        Fault f = s->make_fault(FaultKind::IllegalInstruction, static_cast<std::uint32_t>(address));
        f.syndrome.mcause = mcause::IllegalInstruction;
        f.syndrome.mtval = insn;
        f.privilege = Privilege::Unprivileged;
        f.detail = "M-mode instruction in U-mode";
        s->record_fault(std::move(f));
        return 0;
      },
      0);
}

bool is_m_mode_only(std::uint32_t w) {
  if ((w & 0x7Fu) != 0x73u) return false;  // SYSTEM opcode
  const std::uint32_t funct3 = (w >> 12) & 7u;
  if (funct3 != 0 && funct3 != 4) return true;  // Zicsr: no CSR is accessible in U-mode here (mcounteren=0)
  if (funct3 == 4) return false;
  return w == 0x3020'0073u || w == 0x1020'0073u || w == 0x1050'0073u || (w & 0xFE00'7FFFu) == 0x1200'0073u;
}

// ---- The naive baseline: a hook on every access ----

bool naive_mem_cb(uc_engine*, uc_mem_type type, std::uint64_t address, int size, std::int64_t, void* user) {
  Engine::Impl* s = impl_of(user);
  return guarded(
      s,
      [&] {
        const Access a = access_of(type);
        const auto addr = static_cast<std::uint32_t>(address);
        const auto n = static_cast<std::uint32_t>(size);
        if (!s->allows(addr, n, a))
          s->record_fault(
              s->protection_fault(s->unit->check(addr, n, a, s->run_priv), a, addr, n, s->cur_pc));
        return true;
      },
      false);
}

void naive_code_cb(uc_engine*, std::uint64_t address, std::uint32_t size, void* user) {
  Engine::Impl* s = impl_of(user);
  guarded(
      s,
      [&] {
        const auto pc = static_cast<std::uint32_t>(address);
        s->cur_pc = pc;
        if (!s->allows(pc, size, Access::Execute))
          s->record_fault(s->protection_fault(s->unit->check(pc, size, Access::Execute, s->run_priv),
                                              Access::Execute, pc, size, pc));
        return 0;
      },
      0);
}

}  // namespace

void Engine::Impl::install_exact_pc_hook() {
  uc_hook h{};
  check_uc(uc_hook_add(uc.get(), &h, UC_HOOK_CODE, reinterpret_cast<void*>(&exact_pc_cb), this, 1, 0),
           "hook code");
  add_hook(h);
  exact_pc_hook = true;
  // unicorn-facts: a hook added after code has run reaches only blocks translated afterwards. Drop the
  // blocks translated so far, and the TLB: pages filled before may now need the alias window
  // (alias_for_crossings).
  drop_all_translations();
  bulkhead::log::get("emu")->debug("exact-PC code hook installed");
}

void Engine::Impl::drop_translations(std::uint32_t begin, std::uint64_t end) {
  flush_tlb();  // no cached entry (kNowhere, for code the current unit may not run) may translate `begin`
  host_fill = true;
  const uc_err err = uc_ctl_remove_cache(uc.get(), begin, end);
  host_fill = false;
  tlb_filled = true;
  flush_tlb();
  check_uc(err, "uc_ctl_remove_cache");
}

bool Engine::Impl::holds_code(std::uint32_t begin, std::uint64_t end) const {
  for (std::uint64_t page = begin & ~(page_size - 1); page < end; page += page_size)
    if (code_pages.contains(static_cast<std::uint32_t>(page))) return true;
  return false;
}

void Engine::Impl::drop_all_translations() {
  // Range by range: uc_ctl_flush_tb costs 15 ms to over a second.
  for (const auto& r : regions) drop_translations(r.base, std::uint64_t{r.base} + r.size);
}

void Engine::Impl::install_naive_hooks() {
  uc_hook h{};
  check_uc(uc_hook_add(uc.get(), &h, UC_HOOK_CODE, reinterpret_cast<void*>(&naive_code_cb), this, 1, 0),
           "hook code");
  add_hook(h);
  check_uc(uc_hook_add(uc.get(), &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                       reinterpret_cast<void*>(&naive_mem_cb), this, 1, 0),
           "hook mem");
  add_hook(h);
}

void Engine::Impl::scan_system_instructions(std::uint32_t page) {
  scanned_pages.insert(page);
  const MemoryRegion* r = find_region(page);
  if (!r) return;
  const std::uint8_t* host = host_pointer(page);
  for (std::uint32_t off = 0; off + 4 <= page_size; off += 2) {
    std::uint32_t w = 0;
    std::memcpy(&w, host + off, 4);
    if (!is_m_mode_only(w)) continue;
    const std::uint32_t at = page + off;
    if (!system_hooked.insert(at).second) continue;
    uc_hook h{};
    check_uc(uc_hook_add(uc.get(), &h, UC_HOOK_CODE, reinterpret_cast<void*>(&system_insn_cb), this, at, at),
             "hook system insn");
    add_hook(h);
  }
}

}  // namespace bulkhead::emu
