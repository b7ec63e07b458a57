// A system of partitions from a checked layout, run on one engine: each partition's module image mapped at
// its own addresses, its own CPU context, and its own pre-programmed protection unit, swapped in on every
// context switch (docs/design.md: a swap is a pointer change plus a TLB flush). Round-robin with a time
// slice counted in guest instructions, so every run is deterministic: same inputs, same output, same counts.
// Modules block in sleep, IPC and notification waits; time is counted in guest instructions (docs/abi.md).
// A fault is handled by the partition's policy from the layout (kill, restart, halt, notify, audit).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/kernel_shim/personality.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::kernel_shim {

// One fault of a partition and what its policy did about it.
struct FaultEvent {
  Fault fault;
  std::string report;  // the full report: module, kind, syndrome, access, PC, symbol, line, verdict, regions
  layout::FaultAction action = layout::FaultAction::Kill;
  std::string outcome;     // "killed", "restarted (1 of 3)", "halted the system", "notified `mon`", "audited"
  std::uint64_t time = 0;  // system time (guest instructions) when it happened
};

// An access the audit policy let through: grouped per partition, region and access for the final report.
struct AuditRecord {
  Access access = Access::Read;
  std::uint32_t address = 0;
  std::uint32_t size = 0;
  std::uint32_t pc = 0;
  std::uint64_t count = 0;  // times this (access, address, pc) happened
};

struct PartitionResult {
  std::string name;
  ModuleResult result;          // outcome, exit code, last fault and report, instructions, syscalls
  std::uint64_t scheduled = 0;  // times it was switched in
  std::uint32_t restarts = 0;
  std::vector<FaultEvent> faults;    // every fault, in order (an audited access is a fault too)
  std::vector<AuditRecord> audited;  // audit policy: the distinct out-of-layout accesses
};

// Receives each partition's console output as it is written.
using PartitionConsole = std::function<void(std::string_view partition, std::string_view text)>;

struct SystemOptions {
  std::uint64_t slice = 10'000;                    // guest instructions per turn
  std::uint64_t max_instructions = 1'000'000'000;  // for the whole system
  std::uint64_t tick = 1'000;                      // guest instructions per tick (sleep, timeouts, get time)
  // After every context switch, prove from the unit's decoded table that the incoming partition can reach
  // nothing outside its own regions and declared shares; a violation stops the run (IsolationError).
  bool check_isolation = false;
  std::map<std::string, std::string> input;  // console input per partition name (the `read` call)
};

// --check-isolation found a partition that could reach memory its layout does not give it.
class IsolationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Sees what the kernel does, for traces and debuggers (docs/design.md). Called on the kernel's thread,
// between engine runs; a callback may read the engine (the partition in question is the one switched in) but
// must not run it. Default: nothing.
class SystemObserver {
 public:
  virtual ~SystemObserver() = default;
  virtual void on_switch(int /*partition*/, std::uint64_t /*time*/) {}
  // After the call was served: `result` is what r0/a0 got (nothing when the caller blocked or ended).
  virtual void on_syscall(int /*partition*/, std::uint32_t /*number*/, const std::uint32_t (&/*args*/)[6],
                          std::optional<std::int32_t> /*result*/, std::uint64_t /*time*/) {}
  virtual void on_fault(int /*partition*/, const FaultEvent& /*event*/) {}
  virtual void on_end(int /*partition*/, Outcome /*outcome*/, std::uint64_t /*time*/) {}
};

class System {
 public:
  // `checked` must be ok() and name a module ELF for at least one partition (std::invalid_argument
  // otherwise). Partitions without a module are not run. Partition ids (the `id` call) count the partitions
  // with a module, in layout order, from 0.
  System(const layout::CheckResult& checked, PartitionConsole console);
  ~System();

  // Runs until every partition has ended, the system halted, or `max_instructions` ran. Call once.
  std::vector<PartitionResult> run(const SystemOptions& options);
  emu::Engine& engine() { return engine_; }
  const emu::Engine& engine() const { return engine_; }
  std::uint64_t now() const { return now_; }  // system time in guest instructions (idle time included)
  std::uint64_t context_switches() const { return switches_; }
  // Partitions that run a module, by id.
  std::size_t partition_count() const { return partitions_.size(); }
  const std::string& partition_name(int id) const;
  const loader::Image& partition_image(int id) const;
  // Not owned; nullptr for none. Set before run().
  void set_observer(SystemObserver* observer) { observer_ = observer; }

  // ---- For a debugger (gdbstub's SystemTarget), instead of run(): the same scheduling, in pieces. ----
  struct DebugStop {
    enum class Kind : std::uint8_t {
      None,        // the instruction allowance ran out with nothing to report
      Stepped,     // debug_step finished its instruction
      Breakpoint,  // `partition` stopped before an instruction at a breakpoint (Engine::add_breakpoint)
      Fault,  // `partition` faulted; PC at the faulting instruction; its policy applies when it next runs
      Done,   // the system has finished (or, for a step, that partition has ended)
    };
    Kind kind = Kind::None;
    int partition = -1;
    std::optional<Fault> fault;
  };
  void debug_begin(const SystemOptions& options);
  DebugStop debug_resume(std::uint64_t max_instructions);
  DebugStop debug_step(int id);  // one instruction of partition `id` (a blocked one waits to be woken first)
  bool debug_live(int id) const;
  bool debug_finished() const;
  // Registers of any partition, through its saved context, numbered as GDB does: Arm r0-r15 and 25 = xPSR,
  // RISC-V x0-x31 and 32 = pc.
  std::uint32_t debug_reg(int id, unsigned n);
  void debug_set_reg(int id, unsigned n, std::uint32_t value);
  std::vector<PartitionResult> debug_results() { return finish(); }

 private:
  struct Partition;
  struct Step;
  void turn(Partition& p, std::uint64_t limit);
  void prepare(const SystemOptions& options);
  bool schedule(std::uint64_t limit);  // one turn (or an idle skip); false when the system has finished
  std::vector<PartitionResult> finish();
  void apply_fault(Partition& p, const Fault& f, Step& step);
  PersonalityContext personality_context(Partition& p);
  void serve(Partition& p, const CallOutcome& out, Step& step);
  void handle(Partition& p, const emu::RunResult& r, Step& step);
  void dispatch(Partition& p, Step& step);
  void on_fault(Partition& p, const Fault& f);
  void audit(Partition& p, const Fault& f, Step& step);
  void end(Partition& p, Outcome outcome);
  void restart(Partition& p);
  void wake_expired();
  void deliver(Partition& from, Partition& to);
  void check_isolation(Partition& p);
  void release_peers(Partition& p);
  void post(Partition& d, std::uint32_t bits);
  std::uint64_t executed() const { return now_ - idle_; }
  std::string regions_in_force(const Partition& p) const;
  bool may_access(const Partition& p, std::uint32_t addr, std::uint32_t len, Access access) const;
  std::int32_t sys_send(Partition& p, const std::uint32_t* a);
  std::int32_t sys_receive(Partition& p, const std::uint32_t* a, Step& step);
  std::int32_t sys_reply(Partition& p, const std::uint32_t* a);
  std::int32_t sys_name(Partition& p, std::uint32_t addr, std::uint32_t len, std::string& out);
  std::uint64_t deadline(std::uint32_t timeout) const;

  layout::CheckResult checked_;
  emu::Engine engine_;
  PartitionConsole console_;
  std::vector<std::unique_ptr<Partition>> partitions_;
  SystemOptions options_;
  std::uint64_t now_ = 0;   // guest instructions run, plus idle time skipped
  std::uint64_t idle_ = 0;  // time skipped while every partition was blocked
  std::uint64_t switches_ = 0;
  bool halted_ = false;
  SystemObserver* observer_ = nullptr;
  std::size_t cursor_ = 0;  // round-robin position
  bool debugging_ = false;
  std::optional<DebugStop> debug_stop_;
};

// The audit policy's final report: every out-of-layout access per partition, grouped by the region (or
// unclaimed memory) it touched, each group with the smallest layout change that would permit it. Empty
// when nothing was audited.
std::string audit_report(const layout::CheckResult& checked, const std::vector<PartitionResult>& results);

}  // namespace bulkhead::kernel_shim
