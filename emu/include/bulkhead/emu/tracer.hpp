// What the engine reports to an instruction/access tracer (Engine::set_tracer; docs/trace.md).
//
// Events come in execution order, on the thread that called Engine::run(), from inside Unicorn callbacks:
// an implementation must not throw (an exception would be recorded and end the run as a host error) and
// must not use the engine beyond reading memory.
#pragma once

#include <cstdint>
#include <span>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/core/types.hpp"

namespace bulkhead::emu {

// One data access of a completed instruction. It was allowed: a denied access ends the instruction, which
// then comes back as a fault (Tracer::on_fault) instead.
struct TraceAccess {
  Access access = Access::Read;  // Read or Write
  std::uint32_t address = 0;     // the guest address (also for pages the checked bus aliases)
  std::uint32_t size = 0;
  std::uint64_t value = 0;               // the value stored (Write); 0 for a Read
  const ProtectionUnit* unit = nullptr;  // the unit that allowed it; nullptr: no protection in force
  Privilege privilege = Privilege::Unprivileged;
};

class Tracer {
 public:
  virtual ~Tracer() = default;
  // An instruction that completed, with its encoding (2 or 4 bytes). Reported exactly once per instruction
  // the engine counts: an instruction a fault interrupted is not reported here (see on_fault), and one the
  // engine interrupted for its own reasons and ran again is reported once.
  virtual void on_instruction(std::uint32_t pc, std::span<const std::uint8_t> bytes) = 0;
  // Arm: an instruction of an IT block whose condition failed. It is counted like any other (ARMv7-M ARM
  // A7.3.3: it executes as a NOP), so a tracer sees every counted instruction through one of the two calls.
  virtual void on_condition_failed(std::uint32_t pc, std::span<const std::uint8_t> bytes) {
    on_instruction(pc, bytes);
  }
  // A data access made by the instruction reported last, in program order.
  virtual void on_access(const TraceAccess& access) = 0;
  // The run ends with this fault; `bytes` is the encoding at fault.pc (empty where nothing can be read).
  // The faulting instruction did not complete and is not reported by on_instruction.
  virtual void on_fault(const Fault& fault, std::span<const std::uint8_t> bytes) = 0;
};

}  // namespace bulkhead::emu
