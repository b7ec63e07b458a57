// Hook trampolines and run(). Each trampoline is noexcept: any exception is recorded, the engine stopped,
// and run() rethrows it after uc_emu_start has returned.
#include <algorithm>
#include <chrono>
#include <string>

#include "bulkhead/core/log.hpp"
#include "engine_impl.hpp"

namespace bulkhead::emu {
namespace {

// A run never reaches this address (it is not a page start: unicorn-facts, an `until` at a page start makes
// Unicorn ask a FETCH fill for the previous page on every stop).
constexpr std::uint32_t kUntil = 0xFFFF'FFF0;

void block_cb(uc_engine*, std::uint64_t address, std::uint32_t size, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  guarded(
      impl,
      [&] {
        if (impl->prot_probe || impl->probing) return 0;  // a probe's replay is not the guest's progress
        // The end of the previous block, when it ran whole: instructions after the last one the code hook
        // saw had their IT condition fail.
        if (impl->tracer && impl->pending_block_insns != 0 &&
            impl->trace_block == impl->pending_block_start &&
            impl->trace_next_pc < std::uint64_t{impl->pending_block_start} + impl->pending_block_size)
          impl->trace_condition_failed(static_cast<std::uint32_t>(impl->trace_next_pc),
                                       impl->pending_block_start + impl->pending_block_size);
        // The previous block ran to its end (a block left early stops the run, which is accounted in run()).
        // Blocks are counted whole, so condition-failed IT instructions count with or without the code hook.
        impl->run_instructions += impl->pending_block_insns;
        impl->pending_block_insns = 0;
        if (!impl->exact_pc_hook && impl->run_instructions >= impl->run_budget) {
          // Stopped before this block runs. Unicorn's RISC-V leaves PC where it was last synced, which after
          // chained blocks is an earlier block's start (resuming there ran its instructions again): run()
          // puts PC here.
          impl->block_stop_pc = static_cast<std::uint32_t>(address);
          impl->stop(StopReason::Budget);
          return 0;
        }
        impl->pending_block_insns = impl->count_block(address, size);
        impl->pending_block_start = static_cast<std::uint32_t>(address);
        impl->pending_block_size = size;
        if (impl->exact_pc_hook) {
          // With the exact-PC code hook, that hook stops, before the instruction the budget ends at (a stop
          // requested here would let Unicorn run one more instruction under a code hook).
          const std::uint64_t left = impl->run_budget - std::min(impl->run_budget, impl->run_instructions);
          impl->budget_stop_pc = left < impl->pending_block_insns
                                     ? impl->nth_instruction(static_cast<std::uint32_t>(address),
                                                             static_cast<std::uint32_t>(left))
                                     : Engine::Impl::kNoStop;
        }
        return 0;
      },
      0);
}

void arm_intr_cb(uc_engine* uc, std::uint32_t intno, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  guarded(
      impl,
      [&] {
        std::uint32_t pc = 0;
        uc_reg_read(uc, UC_ARM_REG_PC, &pc);
        switch (intno) {
          case 2: {  // SVC: unicorn-facts, PC is already past the 16-bit SVC; the immediate is its low byte
            std::uint16_t insn = 0;
            uc_mem_read(uc, pc - 2, &insn, sizeof insn);
            impl->trap_imm = insn & 0xFFu;
            impl->stop(StopReason::Syscall);
            break;
          }
          case 7: {  // BKPT: PC on the BKPT
            Fault f = impl->make_fault(FaultKind::Breakpoint, pc);
            f.detail = "BKPT";
            impl->record_fault(std::move(f));
            break;
          }
          default: {
            Fault f = impl->make_fault(FaultKind::HardFault, pc);
            f.detail = "CPU exception " + std::to_string(intno);
            impl->record_fault(std::move(f));
            break;
          }
        }
        return 0;
      },
      0);
}

void riscv_intr_cb(uc_engine* uc, std::uint32_t intno, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  guarded(
      impl,
      [&] {
        std::uint32_t pc = 0;
        uc_reg_read(uc, UC_RISCV_REG_PC, &pc);
        switch (intno) {
          case 8:
          case 9:
          case 11:  // ECALL from U/S/M: unicorn-facts, PC is already ecall+4 (ECALL has no compressed form)
            impl->trap_imm = 0;
            impl->stop(StopReason::Syscall);
            break;
          case 2: {  // illegal instruction; unicorn-facts: PC is reported +4 even for 16-bit instructions
            Fault f = impl->make_fault(FaultKind::IllegalInstruction, pc - 4);
            f.syndrome.mcause = mcause::IllegalInstruction;
            f.detail = "illegal instruction";
            impl->record_fault(std::move(f));
            break;
          }
          default: {
            Fault f = impl->make_fault(FaultKind::HardFault, pc - 4);
            f.syndrome.mcause = intno;
            f.detail = "CPU exception " + std::to_string(intno);
            impl->record_fault(std::move(f));
            break;
          }
        }
        return 0;
      },
      0);
}

bool insn_invalid_cb(uc_engine* uc, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  return guarded(
      impl,
      [&] {
        const bool rv = impl->arch == Arch::Rv32;
        std::uint32_t pc = 0;
        uc_reg_read(uc, pc_reg_id(impl->arch), &pc);
        // unicorn-facts: Arm UDF and RISC-V EBREAK arrive here with PC on the instruction.
        Fault f = impl->make_fault(rv ? FaultKind::Breakpoint : FaultKind::UsageFault, pc);
        if (rv) {
          f.syndrome.mcause = mcause::Breakpoint;
          f.detail = "EBREAK";
        } else {
          f.detail = "undefined instruction";
        }
        impl->record_fault(std::move(f));
        return false;  // end the run (UC_ERR_INSN_INVALID)
      },
      false);
}

// Decides every page on first use per access type (UC_TLB_VIRTUAL); see bus.cpp. A refusal is precise: the
// run ends with UC_ERR_EXCEPTION, PC at the faulting instruction, registers and memory as before it
// (unicorn-facts).
bool tlb_fill_cb(uc_engine*, std::uint64_t vaddr, uc_mem_type type, uc_tlb_entry* entry, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  return guarded(
      impl,
      [&] {
        // The engine is being destroyed (deleting a hook can make Unicorn ask for a fill): nothing runs any
        // more, so refuse, and install nothing (a fill may add hooks while ~Impl walks its hook list).
        if (impl->tearing_down) return false;
        const auto page = static_cast<std::uint32_t>(vaddr);
        // unicorn-facts: every stop makes Unicorn ask a FETCH fill for the page of `until`; refusing it would
        // turn a finished run into UC_ERR_EXCEPTION. Nothing is mapped there, so letting it through is
        // harmless: a real jump there still ends in FETCH_UNMAPPED.
        if (type == UC_MEM_FETCH && page == (kUntil & ~(impl->page_size - 1))) {
          entry->paddr = vaddr;
          entry->perms = UC_PROT_EXEC;
          impl->tlb_filled = true;
          return true;
        }
        const bool granted = impl->fill(page, type, entry);
        if (granted) {
          impl->tlb_filled = true;
          if (type == UC_MEM_FETCH && entry->paddr == page && !impl->host_fill) impl->code_pages.insert(page);
        }
        return granted;
      },
      false);
}

// Only reached while probing a denied access (the fill hook lets the probe through to unmapped memory):
// records the exact address and size the instruction used, and stops it before it completes.
bool unmapped_cb(uc_engine*, uc_mem_type type, std::uint64_t address, int size, std::int64_t, void* user) {
  auto* impl = static_cast<Engine::Impl*>(user);
  if (!impl->probe_hit) {
    impl->probe_hit = true;
    impl->probe_address = static_cast<std::uint32_t>(address);
    impl->probe_size = static_cast<std::uint32_t>(size);
    impl->probe_access = access_of(type);
  }
  return false;
}

}  // namespace

void Engine::Impl::install_hooks() {
  uc_engine* e = uc.get();
  uc_hook h{};
  // Hooks are installed before the first uc_emu_start: unicorn-facts, later hooks need a full TB flush.
  if (options.count_instructions) {
    check_uc(uc_hook_add(e, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&block_cb), this, 1, 0), "hook block");
    add_hook(h);
  }
  auto intr = arch == Arch::Rv32 ? &riscv_intr_cb : &arm_intr_cb;
  check_uc(uc_hook_add(e, &h, UC_HOOK_INTR, reinterpret_cast<void*>(intr), this, 1, 0), "hook intr");
  add_hook(h);
  check_uc(uc_hook_add(e, &h, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&insn_invalid_cb), this, 1, 0),
           "hook insn invalid");
  add_hook(h);
  check_uc(uc_hook_add(e, &h, UC_HOOK_TLB_FILL, reinterpret_cast<void*>(&tlb_fill_cb), this, 1, 0),
           "hook tlb fill");
  add_hook(h);
  check_uc(uc_hook_add(e, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&unmapped_cb), this, 1, 0),
           "hook unmapped");
  add_hook(h);
  if (options.bus == BusMode::Naive) install_naive_hooks();
}

std::uint32_t Engine::Impl::count_block(std::uint64_t address, std::uint32_t size) {
  const std::uint64_t key = address << 16 | (size & 0xFFFFu);
  BlockCount& slot = block_insns[(address >> 1 ^ address >> 13) & (kBlockCacheSize - 1)];
  if (slot.key != key) slot = {key, count_instructions(static_cast<std::uint32_t>(address), size)};
  return slot.insns;
}

std::uint32_t Engine::Impl::insn_length_at(std::uint32_t address) {
  std::uint16_t hw = 0;
  return uc_mem_read(uc.get(), address, &hw, sizeof hw) == UC_ERR_OK ? insn_length(hw) : 0;
}

std::uint32_t Engine::Impl::count_instructions(std::uint32_t start, std::uint32_t bytes) {
  std::uint32_t n = 0;
  for (std::uint32_t off = 0, len = 0; off < bytes && (len = insn_length_at(start + off)) != 0; off += len)
    ++n;
  return n;
}

std::uint64_t Engine::Impl::nth_instruction(std::uint32_t start, std::uint32_t n) {
  std::uint32_t at = start;
  for (std::uint32_t i = 0, len = 0; i < n && (len = insn_length_at(at)) != 0; ++i) at += len;
  return at;
}

std::uint32_t Engine::Impl::insn_length(std::uint16_t first_halfword) const {
  if (arch == Arch::Rv32) return (first_halfword & 0x3u) == 0x3u ? 4 : 2;  // RISC-V unpriv. spec 1.5
  const unsigned top5 = first_halfword >> 11;  // ARMv7-M ARM A5.1: 0b11101/0b11110/0b11111 start 32-bit
  return top5 == 0x1D || top5 == 0x1E || top5 == 0x1F ? 4 : 2;
}

RunResult Engine::run_untraced(std::uint64_t max_instructions) {
  Impl& s = *impl_;
  RunResult result;
  s.stop_reason.reset();
  s.fault.reset();
  s.trap_imm = 0;
  s.at_breakpoint = false;
  s.run_instructions = 0;
  s.run_budget = s.options.count_instructions ? max_instructions : ~0ull;
  s.pending_block_insns = 0;
  s.pending_block_start = 0;
  s.budget_stop_pc = Impl::kNoStop;
  s.block_stop_pc.reset();
  if (max_instructions == 0) {
    result.reason = StopReason::Budget;
    result.pc = pc();
    return result;
  }
  s.sync_protection();
  s.run_priv = s.privilege();
  const bool arm = s.arch != Arch::Rv32;
  const auto started = std::chrono::steady_clock::now();
  uc_err err = UC_ERR_OK;
  // Stops that are the bus's own business (installing the exact-PC hook, settling an alias access) resume
  // here at the same instruction; everything else leaves the loop.
  for (bool resumed = false;; resumed = true) {
    // The instruction an internal resume starts at already passed the breakpoint check.
    if (resumed) s.bp_skip = true;
    s.denied_page.reset();
    s.denied_prot_page.reset();
    s.need_exact_pc_hook = false;
    s.settle_pc.reset();
    std::uint64_t timeout_us = 0;
    if (s.time_limit.count() > 0) {
      const auto used =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
      if (used >= s.time_limit) {
        s.stop_reason = StopReason::Budget;
        break;
      }
      timeout_us = static_cast<std::uint64_t>((s.time_limit - used).count());
    }
    const std::uint32_t begin = pc() | (arm ? 1u : 0u);
    err = uc_emu_start(s.uc.get(), begin, kUntil, timeout_us, 0);
    if (s.hook_exception) {
      auto ex = std::exchange(s.hook_exception, nullptr);
      std::rethrow_exception(ex);
    }
    if (s.block_stop_pc && s.stop_reason == StopReason::Budget) set_pc(*s.block_stop_pc);
    // A stop inside an instruction on a split page (a denial to settle) drops its held stores; any other
    // stop comes between instructions, and the last one's stores are done.
    if (s.settle_pc)
      s.pending_stores.clear();
    else
      s.commit_stores();
    if (err == UC_ERR_EXCEPTION && s.need_exact_pc_hook && !s.stop_reason) {
      if (s.need_exact_access == Access::Execute) {
        // Refused while translating the next block: the block whose count is pending ran to its end.
        s.run_instructions += s.pending_block_insns;
        s.pending_block_insns = 0;
      } else {
        s.account_partial_block(pc());  // refused inside the block: count up to the refused instruction
      }
      s.install_exact_pc_hook();
      continue;
    }
    if (s.stop_reason == StopReason::Fault && !s.fault && s.settle_pc) {
      const std::uint32_t at = *s.settle_pc;
      s.account_partial_block(at);  // up to it: it runs again, or faults
      if (s.tracer) s.trace_drop();
      set_pc(at);
      s.stop_reason.reset();
      if (auto f = s.probe_protection_fault(at)) {
        s.fault = std::move(f);
        s.stop_reason = StopReason::Fault;
        set_pc(at);
        break;
      }
      s.trust_armed = true;  // its accesses are allowed: let it through the alias checks once
      s.trust_pc = at;
      set_pc(at);
      continue;
    }
    if (err == UC_ERR_OK && !s.stop_reason && s.time_limit.count() > 0 &&
        std::chrono::steady_clock::now() - started >= s.time_limit) {
      s.stop_reason = StopReason::Budget;  // Unicorn's timeout ended the run
    }
    break;
  }
  s.bp_skip = false;  // skip_breakpoint_once() applies to this run only
  result.pc = pc();
  result.breakpoint = s.at_breakpoint;
  // A refused fetch fails while the next block is translated: the branch that went there completed, and
  // the block whose count is pending ran to its end. Any other stop is inside the pending block, which
  // counts up to the stopped instruction (it did not complete, or, after a trap, PC is already past it).
  if (err == UC_ERR_FETCH_UNMAPPED && !s.stop_reason) {
    s.run_instructions += s.pending_block_insns;
    s.pending_block_insns = 0;
  }
  s.account_partial_block(result.pc);
  result.instructions = s.run_instructions;
  s.total_instructions += s.run_instructions;

  if (s.stop_reason) {
    result.reason = *s.stop_reason;
    result.trap_imm = s.trap_imm;
    result.fault = s.fault;
    return result;
  }
  if (err == UC_ERR_EXCEPTION && s.denied_prot_page) {
    result.reason = StopReason::Fault;
    result.fault = protection_fault_at(result.pc);
    return result;
  }
  if (err == UC_ERR_EXCEPTION && s.denied_page) {
    result.reason = StopReason::Fault;
    result.fault = probe_bus_fault(result.pc);
    return result;
  }
  if (err == UC_ERR_FETCH_UNMAPPED) {  // a refused fetch (see kNowhere)
    result.reason = StopReason::Fault;
    result.fault = s.fetch_fault(result.pc);
    return result;
  }
  if (err == UC_ERR_OK) {
    result.reason = StopReason::Halted;  // unicorn-facts: WFI silently ends the run with UC_ERR_OK
    return result;
  }
  result.reason = StopReason::HostError;
  result.error = uc_strerror(err);
  return result;
}

}  // namespace bulkhead::emu
