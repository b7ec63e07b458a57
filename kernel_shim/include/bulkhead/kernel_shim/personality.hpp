// A syscall personality: how a partition's module talks to the kernel. Bulkhead's own ABI (docs/abi.md) is
// served by System itself and is the default; another ABI (Tock's TRD104, docs/tock.md) is a Personality the
// partition owns. System keeps the scheduling, the fault policies and the isolation oracle; the personality
// decodes the trap, serves the call, and tells System whether the caller goes on, blocks, exits or restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/emu/engine.hpp"
#include "bulkhead/layout/encode.hpp"

namespace bulkhead::kernel_shim {

// What the kernel lends a personality while it serves one partition. The engine holds that partition's
// registers and protection unit.
struct PersonalityContext {
  emu::Engine& engine;
  std::uint64_t now = 0;                          // system time, guest instructions (docs/abi.md)
  std::function<void(std::string_view)> console;  // the partition's console output
  std::string_view input;                         // its console input not read yet
  std::size_t input_used = 0;                     // set by the personality: input bytes it consumed
};

enum class After : std::uint8_t {
  Continue,  // the caller goes on (its results are in its registers)
  Yield,     // the caller goes on, but its turn ends
  Block,     // the caller waits until `wake_at` (or forever), then resume() runs
  Exit,      // the caller ended with `exit_code`
  Restart,   // the caller asked to be started again
  Trap,      // not a call of this ABI: the kernel treats it as an unknown trap
};

struct CallOutcome {
  After after = After::Continue;
  std::uint64_t wake_at = std::numeric_limits<std::uint64_t>::max();
  std::int32_t exit_code = 0;
  std::uint32_t number = 0;            // for the observer: the call's number (Tock: the class)
  std::uint32_t args[6] = {};          // and its arguments
  std::optional<std::int32_t> result;  // what r0/a0 got, when the caller goes on
};

class Personality {
 public:
  virtual ~Personality() = default;
  virtual std::string_view abi() const = 0;
  // Sets the entry registers (after the image is in memory); called once, and again on every restart after
  // the partition's memory is reloaded.
  virtual void start(emu::Engine& engine) = 0;
  // A syscall trap (`imm`: the SVC immediate on Arm, 0 on RISC-V); PC is after the trap instruction.
  virtual CallOutcome syscall(PersonalityContext& ctx, std::uint32_t imm) = 0;
  // The partition blocked (After::Block) and is switched in again: its deadline passed or it was woken.
  virtual CallOutcome resume(PersonalityContext& ctx) = 0;
  // The bytes the unit grants now, for the isolation oracle (they change as the personality reprograms it).
  virtual std::vector<layout::Grant> grants() const = 0;
  // A fault report in the personality's own style; `base` is Bulkhead's one-line report, `regions` the
  // regions in force.
  virtual std::string fault_report(const Fault& fault, const std::string& base,
                                   const std::string& regions) const = 0;
};

}  // namespace bulkhead::kernel_shim
