#include "bulkhead/gdbstub/system_target.hpp"

#include <utility>

#include "engine_memory.hpp"

namespace bulkhead::gdbstub {

using DebugStop = kernel_shim::System::DebugStop;

SystemTarget::SystemTarget(kernel_shim::System& system, const kernel_shim::SystemOptions& options,
                           ExitStatus status)
    : system_(system), status_(std::move(status)) {
  system_.debug_begin(options);
}

Arch SystemTarget::arch() const {
  return system_.engine().arch();
}

bool SystemTarget::valid(ThreadId t) const {
  return t >= 1 && static_cast<std::size_t>(t) <= system_.partition_count();
}

std::vector<ThreadId> SystemTarget::threads() const {
  std::vector<ThreadId> out;
  if (gone_) return out;
  for (std::size_t i = 0; i < system_.partition_count(); ++i)
    if (system_.debug_live(static_cast<int>(i))) out.push_back(static_cast<ThreadId>(i) + 1);
  return out;
}

std::string SystemTarget::thread_name(ThreadId thread) const {
  return valid(thread) ? system_.partition_name(thread - 1) : std::string("?");
}

std::optional<std::uint32_t> SystemTarget::read_register(ThreadId thread, unsigned regnum) {
  if (!valid(thread)) return std::nullopt;
  const bool rv = arch() == Arch::Rv32;
  if (rv ? regnum > 32 : (regnum > 15 && regnum != 25)) return std::nullopt;
  return system_.debug_reg(thread - 1, regnum);
}

bool SystemTarget::write_register(ThreadId thread, unsigned regnum, std::uint32_t value) {
  if (!valid(thread)) return false;
  const bool rv = arch() == Arch::Rv32;
  if (rv ? regnum > 32 : (regnum > 15 && regnum != 25)) return false;
  system_.debug_set_reg(thread - 1, regnum, value);
  return true;
}

bool SystemTarget::read_memory(ThreadId, std::uint32_t address, std::span<std::uint8_t> out) {
  return detail::read_mapped(system_.engine(), address, out);
}

bool SystemTarget::write_memory(ThreadId, std::uint32_t address, std::span<const std::uint8_t> bytes) {
  return detail::write_mapped(system_.engine(), address, bytes);
}

bool SystemTarget::add_breakpoint(std::uint32_t address) {
  system_.engine().add_breakpoint(address);
  return true;
}

bool SystemTarget::remove_breakpoint(std::uint32_t address) {
  system_.engine().remove_breakpoint(address);
  return true;
}

Stop SystemTarget::map(const DebugStop& s) {
  const ThreadId t = s.partition + 1;
  switch (s.kind) {
    case DebugStop::Kind::None:
      return {};
    case DebugStop::Kind::Stepped:
    case DebugStop::Kind::Breakpoint:
      return {StopKind::Signal, t, signal::kTrap, 0};
    case DebugStop::Kind::Fault:
      return {StopKind::Signal, t, fault_signal(s.fault->kind), 0};
    case DebugStop::Kind::Done:
      break;
  }
  if (system_.debug_finished()) {
    gone_ = true;
    return {StopKind::Exited, 1, 0, status_(system_.debug_results()) & 0xFF};
  }
  // The stepped partition ended (it exited or its policy killed it); the others live on: stop in the first.
  const std::vector<ThreadId> live = threads();
  return {StopKind::Signal, live.empty() ? 1 : live.front(), signal::kTrap, 0};
}

Stop SystemTarget::step(ThreadId thread) {
  if (gone_ || !valid(thread)) return map({DebugStop::Kind::Done, -1, std::nullopt});
  return map(system_.debug_step(thread - 1));
}

Stop SystemTarget::resume(std::uint64_t max_instructions) {
  if (gone_) return map({DebugStop::Kind::Done, -1, std::nullopt});
  return map(system_.debug_resume(max_instructions));
}

std::vector<kernel_shim::PartitionResult> SystemTarget::finish() {
  system_.engine().clear_breakpoints();
  while (!system_.debug_finished()) {
    const DebugStop s = system_.debug_resume(1'000'000);
    if (s.kind == DebugStop::Kind::Done) break;
  }
  return system_.debug_results();
}

}  // namespace bulkhead::gdbstub
