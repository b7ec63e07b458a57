#include "bulkhead/kernel_shim/system.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/loader/elf.hpp"
#include "report.hpp"
#include "system_internal.hpp"
#include "tock_personality.hpp"

namespace bulkhead::kernel_shim {

namespace {

// Page-granular spans covering every range, merged where they touch or overlap.
std::vector<AddressRange> merged_pages(std::vector<AddressRange> spans) {
  for (auto& s : spans) {
    const std::uint64_t lo = s.base / kPage * kPage;
    const std::uint64_t hi = (s.end() + kPage - 1) / kPage * kPage;
    s = {lo, hi - lo};
  }
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.base < b.base; });
  std::vector<AddressRange> out;
  for (const auto& s : spans) {
    if (s.size == 0) continue;
    if (!out.empty() && s.base <= out.back().end())
      out.back().size = std::max(out.back().end(), s.end()) - out.back().base;
    else
      out.push_back(s);
  }
  return out;
}

}  // namespace

System::System(const layout::CheckResult& checked, PartitionConsole console)
    : checked_(checked),
      engine_(emu::default_profile(checked.layout.target.unit.arch),
              // The exact-PC hook comes with the first split page (or a debugger or tracer): a page-aligned
              // layout runs at the checked bus's full speed. Counts are the same with or without it.
              emu::EngineOptions{.bus = emu::BusMode::Checked, .count_instructions = true}),
      console_(std::move(console)) {
  if (!checked_.ok()) throw std::invalid_argument(checked_.layout.file + ": the layout does not check");
  // The target's flash and RAM exist whole, as on the silicon: an access the unit refuses there is a
  // protection fault, not a bus fault. Peripheral memories stay unmapped (Bulkhead models no devices).
  std::vector<AddressRange> spans;
  for (const layout::Memory& m : checked_.layout.target.memories)
    if (m.kind != layout::MemoryKind::Peripheral) spans.push_back(m.range);
  for (std::size_t i = 0; i < checked_.partitions.size(); ++i) {
    const layout::CompiledPartition& cp = checked_.partitions[i];
    for (const auto& r : cp.regions)
      if (r.kind != layout::RegionKind::Peripheral) spans.push_back(r.range);  // devices stay unmapped
    if (cp.elf.empty()) continue;
    auto p = std::make_unique<Partition>();
    p->id = static_cast<int>(partitions_.size());
    p->name = cp.name;
    p->layout_index = i;
    const layout::Partition& lp = checked_.layout.partitions[i];
    std::uint32_t tbf_protected = 0;
    if (lp.abi == layout::Abi::Tock) {
      TockImage t = load_tock_image(lp, checked_.layout.target.unit.arch);
      tbf_protected = t.app.header.protected_size();
      p->image = std::move(t.image);
      p->lines = std::move(t.lines);
    } else {
      p->image = loader::load_elf(cp.elf);
      p->lines = loader::SourceLines::open(cp.elf);
    }
    p->unit = layout::programmed_unit(checked_, static_cast<int>(i));
    if (!p->unit) throw std::invalid_argument("partition `" + cp.name + "` has no programming");
    if (lp.abi == layout::Abi::Tock) {
      TockProcessSpec spec;
      spec.name = cp.name;
      spec.app_id = p->id;
      spec.memory = *lp.tock;
      spec.unit = checked_.layout.target.unit;
      spec.slots = cp.slots;
      spec.protection = p->unit.get();
      spec.protected_size = tbf_protected;
      p->personality = make_tock_personality(std::move(spec));
    }
    p->policy = checked_.layout.partitions[i].fault;
    p->res.name = cp.name;
    for (const auto& seg : p->image.segments) spans.push_back(seg.range());
    partitions_.push_back(std::move(p));
  }
  if (partitions_.empty())
    throw std::invalid_argument(checked_.layout.file + ": no partition names a module");
  for (const auto& span : merged_pages(std::move(spans))) {
    if (span.end() > (1ull << 32)) throw std::invalid_argument("a partition reaches past 4 GiB");
    engine_.map(static_cast<std::uint32_t>(span.base), static_cast<std::uint32_t>(span.size), "partitions");
  }
  for (auto& p : partitions_) {
    for (const auto& seg : p->image.segments) engine_.write_memory(seg.vaddr, seg.bytes);
    engine_.set_pc(p->image.entry_address());
    for (const auto& seg : p->image.segments)
      if (has(seg.perms, Perms::W)) engine_.set_sp((seg.vaddr + seg.memsz) & ~7u);
    if (p->personality) p->personality->start(engine_);  // its own entry registers
    engine_.drop_privilege();                            // every module runs unprivileged
    engine_.save_context(p->context);
    engine_.save_context(p->initial);
  }
}

System::~System() = default;

const std::string& System::partition_name(int id) const {
  return partitions_.at(static_cast<std::size_t>(id))->name;
}

const loader::Image& System::partition_image(int id) const {
  return partitions_.at(static_cast<std::size_t>(id))->image;
}

bool System::may_access(const Partition& p, std::uint32_t addr, std::uint32_t len, Access access) const {
  // The caller's own programming decides, byte by byte, at the caller's privilege: the kernel never reads
  // or writes for a module what the module could not itself (Hubris can_access, FreeRTOS-MPU
  // xPortIsAuthorizedToAccessBuffer). A buffer only partly the caller's is refused whole.
  const std::uint64_t end = std::uint64_t{addr} + len;
  if (end > (1ull << 32)) return false;
  if (len == 0) return true;
  if (!engine_.is_mapped(addr, len)) return false;
  const Perms need = perm_for(access);
  // A range one rule decides is answered at once; otherwise byte by byte (a rule edge inside the buffer).
  if (auto perms = p.unit->uniform_perms({addr, len}, Privilege::Unprivileged)) return has(*perms, need);
  for (std::uint64_t a = addr; a < end; ++a)
    if (!p.unit->check(static_cast<std::uint32_t>(a), 1, access, Privilege::Unprivileged).allowed)
      return false;
  return true;
}

std::uint64_t System::deadline(std::uint32_t timeout) const {
  if (timeout == abi::kForever) return kNever;
  return now_ + std::uint64_t{timeout} * options_.tick;
}

std::string System::regions_in_force(const Partition& p) const {
  std::string out = "regions in force (" + std::string(p.unit->name()) + "):";
  for (const RegionInfo& r : p.unit->regions()) {
    if (!r.enabled) continue;
    out += "\n    #" + std::to_string(r.index) + " " + hex(r.range.base) + "-" + hex(r.range.end() - 1) +
           " priv " + std::string(to_string(r.privileged)) + " unpriv " +
           std::string(to_string(r.unprivileged)) + "  " + r.description;
  }
  return out;
}

// ---- Ending, restarting, waking ----

void System::end(Partition& p, Outcome outcome) {
  p.state = State::Done;
  p.deadline = kNever;
  p.res.result.outcome = outcome;
  release_peers(p);
  if (observer_) observer_->on_end(p.id, outcome, now_);
}

void System::release_peers(Partition& p) {
  // It leaves any queue it waits in (a partition ended while blocked: stopped by a halt, deadlocked).
  for (auto& q : partitions_)
    q->senders.erase(std::remove(q->senders.begin(), q->senders.end(), p.id), q->senders.end());
  // Whoever sent to it, queued or awaiting its reply, hears that it is gone.
  for (auto& q : partitions_) {
    if ((q->state == State::Sending || q->state == State::AwaitingReply) && q->peer == p.id) {
      q->state = State::Ready;
      q->deadline = kNever;
      q->peer = -1;
      q->ret = std::array<std::uint32_t, 2>{static_cast<std::uint32_t>(abi::kEPeerDead), 0};
    }
  }
  p.senders.clear();
}

void System::post(Partition& d, std::uint32_t bits) {
  d.notes |= bits;
  if (d.state == State::Waiting && (d.notes & d.wait_mask) != 0) {
    d.ret = std::array<std::uint32_t, 2>{d.notes & d.wait_mask, 0};
    d.notes &= ~d.wait_mask;
    d.state = State::Ready;
    d.deadline = kNever;
  }
}

void System::restart(Partition& p) {
  // Its memory as loaded (data re-initialised, .bss and the stack zeroed), its first registers, and no
  // pending IPC or notifications. Partners blocked on it hear that it is gone.
  const layout::CompiledPartition& cp = checked_.partitions[p.layout_index];
  for (const auto& reg : cp.regions) {
    if (reg.kind != layout::RegionKind::Stack && reg.kind != layout::RegionKind::Data) continue;
    if (!engine_.is_mapped(static_cast<std::uint32_t>(reg.range.base),
                           static_cast<std::uint32_t>(reg.range.size)))
      continue;
    engine_.write_memory(static_cast<std::uint32_t>(reg.range.base),
                         std::vector<std::uint8_t>(reg.range.size, 0));
  }
  for (const auto& seg : p.image.segments) {
    std::vector<std::uint8_t> bytes = seg.bytes;
    bytes.resize(seg.memsz, 0);
    engine_.write_memory(seg.vaddr, bytes);
  }
  release_peers(p);
  p.notes = 0;
  p.ret.reset();
  p.state = State::Ready;
  p.deadline = kNever;
  engine_.restore_context(p.initial);
  p.personality_blocked = false;
  if (p.personality) p.personality->start(engine_);  // its state, its break and its entry registers anew
  engine_.set_protection_unit(p.unit.get());
}

void System::wake_expired() {
  for (auto& pp : partitions_) {
    Partition& p = *pp;
    if (p.state == State::Ready || p.state == State::Done || p.deadline > now_) continue;
    std::uint32_t result = static_cast<std::uint32_t>(abi::kETimedOut);
    if (p.state == State::Sleeping) result = 0;
    if (p.state == State::Sending) {
      auto& q = partitions_[static_cast<std::size_t>(p.peer)]->senders;
      q.erase(std::remove(q.begin(), q.end(), p.id), q.end());
    }
    p.state = State::Ready;
    p.deadline = kNever;
    p.peer = -1;
    if (p.personality) continue;  // its personality decides what it gets (resume())
    p.ret = std::array<std::uint32_t, 2>{result, 0};
  }
}

// ---- Faults ----

void System::on_fault(Partition& p, const Fault& f) {
  FaultEvent ev;
  ev.fault = f;
  ev.action = p.policy.action;
  ev.time = now_;
  ev.report = p.personality
                  ? p.personality->fault_report(f, fault_report(f, p.image, p.lines), regions_in_force(p))
                  : p.name + ": " + fault_report(f, p.image, p.lines) + "\n  " + regions_in_force(p);
  p.fault_address = f.address;
  p.res.result.fault = f;
  p.res.result.report = fault_report(f, p.image, p.lines);
  auto logger = log::get("kernel");
  switch (p.policy.action) {
    case layout::FaultAction::Audit:  // only protection faults are audited (audit()); anything else kills
    case layout::FaultAction::Kill:
      ev.outcome = "killed";
      end(p, Outcome::Faulted);
      break;
    case layout::FaultAction::Restart:
      if (p.res.restarts < p.policy.max_restarts) {
        ++p.res.restarts;
        ev.outcome = "restarted (" + std::to_string(p.res.restarts) + " of " +
                     std::to_string(p.policy.max_restarts) + ")";
        restart(p);
      } else {
        ev.outcome = "killed (restart limit of " + std::to_string(p.policy.max_restarts) + " reached)";
        end(p, Outcome::Faulted);
      }
      break;
    case layout::FaultAction::Halt:
      ev.outcome = "halted the system";
      end(p, Outcome::Faulted);
      halted_ = true;
      for (auto& q : partitions_) {
        if (q->state == State::Done) continue;
        q->res.result.report = "stopped: partition `" + p.name + "` faulted under the halt policy";
        end(*q, Outcome::Stopped);
      }
      break;
    case layout::FaultAction::Notify: {
      end(p, Outcome::Faulted);
      ev.outcome = "killed; supervisor `" + p.policy.supervisor + "` not running";
      for (auto& q : partitions_) {
        if (q->name != p.policy.supervisor || q->state == State::Done) continue;
        post(*q, abi::kNoteFault);
        ev.outcome = "killed; notified `" + q->name + "`";
      }
      break;
    }
  }
  logger->info("{}: {}", p.name, ev.outcome);
  if (observer_) observer_->on_fault(p.id, ev);
  p.res.faults.push_back(std::move(ev));
}

void System::audit(Partition& p, const Fault& f, Step& step) {
  // Record the access, then step the faulting instruction once with no protection unit (the access
  // completes as if permitted), put the programming back, and go on.
  auto& recs = p.res.audited;
  auto it = std::find_if(recs.begin(), recs.end(), [&](const AuditRecord& r) {
    return r.access == f.access && r.address == f.address && r.pc == f.pc;
  });
  if (it == recs.end()) {
    recs.push_back({f.access, f.address, f.size, f.pc, 0});
    it = recs.end() - 1;
  }
  ++it->count;
  FaultEvent ev;
  ev.fault = f;
  ev.action = layout::FaultAction::Audit;
  ev.outcome = "audited";
  ev.time = now_;
  ev.report = p.name + ": " + fault_report(f, p.image, p.lines);
  if (observer_) observer_->on_fault(p.id, ev);
  p.res.faults.push_back(std::move(ev));
  engine_.enable_exact_pc();  // run(1) is then exactly the faulting instruction, not the rest of its block
  engine_.set_protection_unit(nullptr);
  const emu::RunResult r = engine_.run(1);
  engine_.set_protection_unit(p.unit.get());
  if (r.reason == emu::StopReason::Fault && r.fault && r.fault->verdict && !r.fault->verdict->allowed) {
    on_fault(p, *r.fault);  // cannot happen without a unit; never loop on it
    step.end_turn = true;
    return;
  }
  handle(p, r, step);
}

void System::apply_fault(Partition& p, const Fault& f, Step& step) {
  const bool protection = f.verdict && !f.verdict->allowed;
  if (p.policy.action == layout::FaultAction::Audit && protection) {
    audit(p, f, step);
  } else {
    on_fault(p, f);
    step.end_turn = true;
  }
}

void System::handle(Partition& p, const emu::RunResult& r, Step& step) {
  p.res.result.instructions += r.instructions;
  now_ += r.instructions;
  ModuleResult& m = p.res.result;
  switch (r.reason) {
    case emu::StopReason::Syscall:
      if (p.personality) {
        ++m.syscalls;
        PersonalityContext ctx = personality_context(p);
        const CallOutcome out = p.personality->syscall(ctx, r.trap_imm);
        p.input_pos += ctx.input_used;
        serve(p, out, step);
        break;
      }
      if (engine_.arch() != Arch::Rv32 && r.trap_imm != abi::kSvcImmediate) {
        m.report = "unknown trap: SVC #" + std::to_string(r.trap_imm) + " at " +
                   describe_pc(r.pc - 2, p.image, p.lines);
        end(p, Outcome::UnknownTrap);
        step.end_turn = true;
        break;
      }
      ++m.syscalls;
      dispatch(p, step);
      break;
    case emu::StopReason::Fault:
      if (debugging_) {
        // A debugger sees the fault first, with the PC at the faulting instruction; the policy applies when
        // the partition next runs.
        p.pending_fault = *r.fault;
        step.stop = DebugStop{DebugStop::Kind::Fault, p.id, *r.fault};
        step.end_turn = true;
        break;
      }
      apply_fault(p, *r.fault, step);
      break;
    case emu::StopReason::Budget:
      if (r.breakpoint) {
        p.skip_breakpoint = true;
        step.stop = DebugStop{DebugStop::Kind::Breakpoint, p.id, std::nullopt};
        step.end_turn = true;
      }
      break;
    case emu::StopReason::Halted:
      m.report = "module halted the CPU (WFI) at " + describe_pc(r.pc, p.image, p.lines);
      end(p, Outcome::Halted);
      step.end_turn = true;
      break;
    case emu::StopReason::HostError:
      throw std::runtime_error(p.name + ": engine error: " + r.error);
  }
}

// ---- Isolation oracle ----

void System::check_isolation(Partition& p) {
  // The unit in force must be this partition's, and its decoded table may grant the unprivileged module
  // nothing beyond the partition's own regions and declared shares (its layout grants).
  if (engine_.protection_unit() != p.unit.get())
    throw IsolationError("after the switch to `" + p.name + "` the protection unit in force is not its own");
  const std::uint64_t gen = p.unit->generation();
  if (gen == p.isolation_checked) return;  // the same decoded table was proven already
  // A personality reprograms the unit as the process runs (Tock: the break); it says what it grants now.
  const std::vector<layout::Grant> grants =
      p.personality ? p.personality->grants() : checked_.partitions[p.layout_index].grants;
  for (const layout::MapPiece& piece :
       layout::effective_map(*p.unit, {0, 1ull << 32}, Privilege::Unprivileged)) {
    if (piece.perms == Perms::None) continue;
    // Every byte of the piece must be granted at least `piece.perms` (X implies R on these units).
    std::uint64_t a = piece.range.base;
    while (a < piece.range.end()) {
      const layout::Grant* g = nullptr;
      for (const auto& gr : grants)
        if (gr.range.contains(a)) g = &gr;
      Perms allowed = Perms::None;
      std::uint64_t next = piece.range.end();
      if (g) {
        allowed = g->perms;
        if (has(allowed, Perms::X)) allowed = allowed | Perms::R;
        next = std::min(next, g->range.end());
      } else {
        for (const auto& gr : grants)
          if (gr.range.base > a) next = std::min(next, gr.range.base);
      }
      if ((piece.perms & ~allowed) != Perms::None)
        throw IsolationError("isolation broken: after the switch to `" + p.name + "` it may " +
                             std::string(to_string(piece.perms)) + " " + hex(a) + "-" + hex(next - 1) +
                             ", where its layout grants " + std::string(to_string(allowed)) + "\n  " +
                             regions_in_force(p));
      a = next;
    }
  }
  p.isolation_checked = gen;
}

// ---- The scheduler ----

void System::turn(Partition& p, std::uint64_t limit) {
  // The context switch: the partition's registers, then its programming (a unit swap flushes the TLB).
  engine_.restore_context(p.context);
  engine_.set_protection_unit(p.unit.get());
  ++switches_;
  ++p.res.scheduled;
  if (observer_) observer_->on_switch(p.id, now_);
  if (p.ret) {
    const AbiRegs& r = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
    engine_.set_reg(r.result, (*p.ret)[0]);
    engine_.set_reg(r.result + 1, (*p.ret)[1]);
    p.ret.reset();
  }
  if (options_.check_isolation) check_isolation(p);
  std::uint64_t used = 0;
  Step step;
  if (p.pending_fault) {  // a fault a debugger was shown: its policy applies now
    const Fault f = *p.pending_fault;
    p.pending_fault.reset();
    apply_fault(p, f, step);
  }
  if (p.personality && p.personality_blocked && p.state == State::Ready) {
    p.personality_blocked = false;
    PersonalityContext ctx = personality_context(p);
    serve(p, p.personality->resume(ctx), step);
  }
  if (p.skip_breakpoint) {
    engine_.skip_breakpoint_once();
    p.skip_breakpoint = false;
  }
  const std::uint64_t slice = std::min(options_.slice, limit);
  while (p.state == State::Ready && !step.end_turn && used < slice &&
         executed() < options_.max_instructions) {
    const std::uint64_t budget = std::min(slice - used, options_.max_instructions - executed());
    const emu::RunResult r = engine_.run(budget);
    used += r.instructions;
    handle(p, r, step);
    if (r.reason == emu::StopReason::Budget) used = std::max(used, slice);
  }
  if (step.stop) debug_stop_ = step.stop;
  engine_.save_context(p.context);
}

void System::prepare(const SystemOptions& options) {
  options_ = options;
  options_.slice = std::max<std::uint64_t>(options_.slice, 1);
  options_.tick = std::max<std::uint64_t>(options_.tick, 1);
  for (auto& p : partitions_)
    if (auto in = options_.input.find(p->name); in != options_.input.end()) p->input = in->second;
}

bool System::schedule(std::uint64_t limit) {
  wake_expired();
  if (halted_ || executed() >= options_.max_instructions) return false;
  const std::size_t n = partitions_.size();
  Partition* next = nullptr;
  for (std::size_t k = 0; k < n && !next; ++k) {
    Partition& q = *partitions_[(cursor_ + k) % n];
    if (q.state == State::Ready) {
      next = &q;
      cursor_ = (cursor_ + k + 1) % n;
    }
  }
  if (next) {
    turn(*next, limit);
    return true;
  }
  // Nobody is ready: skip idle time to the first deadline, or stop when nothing can ever wake anyone.
  std::uint64_t first = kNever;
  for (auto& p : partitions_)
    if (p->state != State::Done) first = std::min(first, p->deadline);
  if (first == kNever) {
    for (auto& p : partitions_) {
      if (p->state == State::Done) continue;
      p->res.result.report =
          "blocked in " + std::string(to_string(p->state)) + " with nothing left to wake it";
      end(*p, Outcome::Deadlocked);
    }
    return false;
  }
  idle_ += first - now_;
  now_ = first;
  return true;
}

std::vector<PartitionResult> System::finish() {
  auto logger = log::get("kernel");
  std::vector<PartitionResult> out;
  for (auto& p : partitions_) {
    if (p->state != State::Done) {
      p->res.result.outcome = Outcome::BudgetExhausted;
      p->res.result.report =
          "system instruction budget of " + std::to_string(options_.max_instructions) + " exhausted";
    }
    logger->debug("{}: {} after {} instructions", p->name, to_string(p->res.result.outcome),
                  p->res.result.instructions);
    out.push_back(p->res);
  }
  return out;
}

std::vector<PartitionResult> System::run(const SystemOptions& options) {
  prepare(options);
  while (schedule(kNever)) {
  }
  return finish();
}

}  // namespace bulkhead::kernel_shim
