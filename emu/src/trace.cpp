// Tracing (docs/trace.md): every counted instruction and every data access, reported to a Tracer.
//
// Instructions come from the exact-PC code hook, which counts them (docs/design.md, "The instruction
// budget"). An instruction is held, with the accesses the memory hook sees after it, until the next one
// starts or the run ends: only then is it known to have completed. A stop that interrupts it (a fault, or an
// alias access the bus settles by replaying it) drops it, exactly as the count takes it back, so that the
// trace holds each counted instruction once. Accesses to pages one rule decides never reach the bus after
// their TLB fill, so tracing needs its own READ/WRITE hook; it is installed only while a tracer is set
// (unicorn-facts: such a hook slows every access ~10x).
#include <algorithm>
#include <cstring>

#include "engine_impl.hpp"

namespace bulkhead::emu {
namespace {

void trace_mem_cb(uc_engine*, uc_mem_type type, std::uint64_t address, int size, std::int64_t value,
                  void* user) {
  auto* s = static_cast<Engine::Impl*>(user);
  guarded(
      s,
      [&] {
        if (!s->tracer || !s->trace_pending || s->prot_probe || s->probing) return 0;
        s->trace_access(access_of(type), static_cast<std::uint32_t>(address),
                        static_cast<std::uint32_t>(size), static_cast<std::uint64_t>(value));
        return 0;
      },
      0);
}

}  // namespace

std::uint32_t Engine::Impl::read_code(std::uint32_t pc, std::uint32_t size, std::uint8_t* out) {
  size = std::min<std::uint32_t>(size, 4);
  if (pc < trace_code_base || std::uint64_t{pc} + size > trace_code_end) {
    trace_code_host = nullptr;
    trace_code_base = 1;
    trace_code_end = 0;
    for (const auto& r : host_regions) {
      if (pc >= r.region.base && std::uint64_t{pc} + size <= std::uint64_t{r.region.base} + r.region.size) {
        trace_code_base = r.region.base;
        trace_code_end = std::uint64_t{r.region.base} + r.region.size;
        trace_code_host = r.host.get();
        break;
      }
    }
    if (!trace_code_host) return 0;
  }
  std::memcpy(out, trace_code_host + (pc - trace_code_base), size);
  return size;
}

std::uint32_t Engine::Impl::read_instruction(std::uint32_t pc, std::uint8_t (&out)[4]) {
  std::uint8_t first[2] = {};
  if (read_code(pc, 2, first) != 2) return 0;
  return read_code(pc, insn_length(static_cast<std::uint16_t>(first[0] | first[1] << 8)), out);
}

void Engine::Impl::trace_condition_failed(std::uint32_t from, std::uint32_t to) {
  trace_emit();  // the instruction before them completed
  for (std::uint32_t at = from; at < to;) {
    std::uint8_t bytes[4] = {};
    const std::uint32_t n = read_instruction(at, bytes);
    if (n == 0) return;
    tracer->on_condition_failed(at, {bytes, n});
    at += n;
  }
}

void Engine::Impl::trace_instruction(std::uint32_t pc, std::uint32_t size) {
  // Instructions of this block that the code hook skipped: their IT condition failed (they count).
  if (trace_block == pending_block_start && pending_block_insns != 0 && trace_next_pc < pc)
    trace_condition_failed(static_cast<std::uint32_t>(trace_next_pc), pc);
  trace_next_pc = std::uint64_t{pc} + size;
  trace_block = pending_block_start;
  trace_emit();  // the previous instruction completed: this one started
  trace_size = read_code(pc, size, trace_bytes);
  trace_pc = pc;
  trace_pending = true;
  trace_split_skip = 0;
}

void Engine::Impl::trace_access(Access a, std::uint32_t address, std::uint32_t size, std::uint64_t value) {
  // A split page's accesses arrive at its alias in the MMIO window: name the guest address.
  const bool alias = address >= kAliasBase && address - kAliasBase < kAliasSize;
  if (alias) {
    const std::uint32_t slot = (address - kAliasBase) / page_size;
    if (slot >= alias_slots.size()) return;
    address = alias_slots[slot] + (address - kAliasBase) % page_size;
  }
  // Unicorn performs an unaligned MMIO access in pieces, each seen by the hook again after the whole
  // access: aligned halves for a load, bytes for a store (bus.cpp). Report the guest's access only.
  if (trace_split_skip > 0) {
    if (alias && address >= trace_split_lo && std::uint64_t{address} + size <= trace_split_hi) {
      --trace_split_skip;
      return;
    }
    trace_split_skip = 0;
  }
  if (alias && size > 1 && address % size != 0) {
    trace_split_skip = a == Access::Read ? 2 : size;
    trace_split_lo = address & ~(size - 1);
    trace_split_hi = (address + 2 * size - 1) & ~(size - 1);
  }
  if (a == Access::Read) value = 0;
  trace_accesses.push_back({a, address, size, value});
}

void Engine::Impl::trace_emit() {
  if (!trace_pending) return;
  trace_pending = false;
  tracer->on_instruction(trace_pc, {trace_bytes, trace_size});
  for (const auto& t : trace_accesses)
    tracer->on_access({t.access, t.address, t.size, t.value, unit, run_priv});
  trace_accesses.clear();
}

void Engine::Impl::trace_drop() {
  trace_pending = false;
  trace_accesses.clear();
  trace_next_pc = ~0ull;  // a stop: what follows starts a new block
}

void Engine::Impl::trace_finish(const RunResult& r) {
  if (r.reason != StopReason::Fault || !r.fault) {
    trace_emit();
    return;
  }
  // The faulting instruction started but did not complete. A refused fetch faults before its instruction
  // starts: the one held then is the branch that led there, which completed.
  if (trace_pending && trace_pc == r.fault->pc)
    trace_drop();
  else
    trace_emit();
  std::uint8_t bytes[4] = {};
  const std::uint32_t n = read_instruction(r.fault->pc, bytes);
  tracer->on_fault(*r.fault, {bytes, n});
}

RunResult Engine::run(std::uint64_t max_instructions) {
  Impl& s = *impl_;
  if (!s.tracer) return run_untraced(max_instructions);
  s.trace_drop();  // nothing from a run a host exception ended
  RunResult r = run_untraced(max_instructions);
  s.trace_finish(r);
  return r;
}

void Engine::set_tracer(Tracer* tracer) {
  Impl& s = *impl_;
  s.trace_drop();
  s.tracer = tracer;
  if (tracer) {
    if (!s.exact_pc_hook) s.install_exact_pc_hook();
    if (!s.trace_mem_hook) {
      uc_hook h{};
      check_uc(uc_hook_add(s.uc.get(), &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                           reinterpret_cast<void*>(&trace_mem_cb), &s, 1, 0),
               "hook trace mem");
      s.add_hook(h);
      s.trace_mem_hook = h;
      s.drop_all_translations();  // blocks translated before a hook was added do not call it
    }
  } else if (s.trace_mem_hook) {
    check_uc(uc_hook_del(s.uc.get(), *s.trace_mem_hook), "uc_hook_del");
    std::erase(s.hooks, *s.trace_mem_hook);
    s.trace_mem_hook.reset();
    s.drop_all_translations();  // blocks translated before a hook was added do not call it
  }
}

Tracer* Engine::tracer() const {
  return impl_->tracer;
}

}  // namespace bulkhead::emu
