// kernel_shim::System for a debugger (gdbstub's SystemTarget): the same scheduler, run in pieces.
#include <algorithm>
#include <vector>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "report.hpp"
#include "system_internal.hpp"

namespace bulkhead::kernel_shim {

// ---- The debugger's view (gdbstub's SystemTarget) ----

void System::debug_begin(const SystemOptions& options) {
  prepare(options);
  debugging_ = true;
  engine_.enable_exact_pc();
}

bool System::debug_live(int id) const {
  return id >= 0 && static_cast<std::size_t>(id) < partitions_.size() &&
         partitions_[static_cast<std::size_t>(id)]->state != State::Done;
}

bool System::debug_finished() const {
  return halted_ || executed() >= options_.max_instructions ||
         std::none_of(partitions_.begin(), partitions_.end(),
                      [](auto& p) { return p->state != State::Done; });
}

System::DebugStop System::debug_resume(std::uint64_t max_instructions) {
  debug_stop_.reset();
  const std::uint64_t start = executed();
  while (!debug_stop_ && executed() - start < max_instructions) {
    if (!schedule(max_instructions - (executed() - start))) break;
  }
  if (debug_stop_) return *debug_stop_;
  return {debug_finished() ? DebugStop::Kind::Done : DebugStop::Kind::None, -1, std::nullopt};
}

System::DebugStop System::debug_step(int id) {
  debug_stop_.reset();
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  if (p.state == State::Done) return {DebugStop::Kind::Done, id, std::nullopt};
  if (p.state != State::Ready) {
    // Blocked in a call: time passes (others run) until it is woken, as on the hardware a step over the
    // trap instruction would wait for the kernel to return.
    while (p.state != State::Ready && !debug_stop_ && schedule(kNever)) {
    }
    if (debug_stop_) return *debug_stop_;
    if (p.state != State::Ready) return {DebugStop::Kind::Done, id, std::nullopt};
  }
  turn(p, 1);
  if (debug_stop_) return *debug_stop_;
  if (debug_finished()) return {DebugStop::Kind::Done, id, std::nullopt};
  return {DebugStop::Kind::Stepped, id, std::nullopt};
}

std::uint32_t System::debug_reg(int id, unsigned n) {
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  engine_.restore_context(p.context);
  const bool rv = engine_.arch() == Arch::Rv32;
  if (!rv && n == 25) return engine_.xpsr();
  if (rv && n == 32) return engine_.pc();
  return engine_.reg(n);
}

void System::debug_set_reg(int id, unsigned n, std::uint32_t value) {
  Partition& p = *partitions_.at(static_cast<std::size_t>(id));
  engine_.restore_context(p.context);
  const bool rv = engine_.arch() == Arch::Rv32;
  if (!rv && n == 25)
    engine_.set_xpsr(value);
  else if (rv && n == 32)
    engine_.set_pc(value);
  else
    engine_.set_reg(n, value);
  engine_.save_context(p.context);
}

}  // namespace bulkhead::kernel_shim
