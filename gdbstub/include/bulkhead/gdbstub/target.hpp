// What the GDB stub debugs: a `Target` of one or more threads, one thread per module (partition).
//
// The stub (session.hpp) speaks GDB's remote serial protocol in all-stop mode and asks the target for
// everything else through this interface. Thread ids are GDB's: positive, 1 for the first module.
//
// What an adapter must provide (KernelTarget does it for the single module of `bulkhead run MODULE.elf`; a
// System adapter for a layout fits the same shape):
//  - threads(): the live modules, ascending; a module that has ended (exited, killed by its fault policy)
//    leaves the list. The stub replies W/X (the whole process is gone) only when resume()/step() says so.
//  - registers and memory of any thread while the target is stopped. For a System, a thread that is not
//    the one on the CPU reads and writes its saved CPU context; memory is the one address space, read and
//    written from the host, whatever the thread's MPU/PMP allows (a debugger sees everything mapped).
//  - breakpoints by address, for every thread (GDB sets them per address space, not per thread).
//  - step(t): exactly one instruction of thread t (a syscall it makes is served within the step); the
//    others stay where they are.
//  - resume(n): all live threads, scheduled as without a debugger, for at most about n guest instructions;
//    StopKind::None when that slice ended with nothing to report, so that the stub can poll the debugger for
//    an interrupt (ctrl-C) between slices. A breakpoint hit reports SIGTRAP in the thread that hit it. A
//    resume or step from a breakpoint stop runs the instruction at that address first (no instant re-stop).
//  - a fault is reported as a signal (fault_signal) in the faulting thread, with its PC at the faulting
//    instruction; what happens when that thread is resumed is the target's (KernelTarget: the module ends
//    and the process terminates with that signal; a System: the partition's fault policy).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/types.hpp"

namespace bulkhead::gdbstub {

using ThreadId = int;

// GDB's own signal numbers (gdb/signals.def), which the remote protocol uses whatever the host.
namespace signal {
constexpr int kInt = 2;
constexpr int kIll = 4;
constexpr int kTrap = 5;
constexpr int kKill = 9;
constexpr int kBus = 10;
constexpr int kSegv = 11;
constexpr int kXcpu = 24;
}  // namespace signal

// MemManage, bus fault, access fault -> SIGSEGV; undefined / illegal instruction -> SIGILL; BKPT, EBREAK ->
// SIGTRAP; anything else the CPU escalates -> SIGBUS.
int fault_signal(FaultKind kind);

enum class StopKind : std::uint8_t {
  None,        // resume(): the slice ended and nothing happened worth reporting; still running
  Signal,      // `thread` stopped with `signal` (SIGTRAP for a breakpoint or a finished step)
  Exited,      // the whole target is done: every module ended; `exit_code` is the process's exit status
  Terminated,  // the whole target is done, killed by `signal`
};

struct Stop {
  StopKind kind = StopKind::None;
  ThreadId thread = 1;
  int signal = 0;
  int exit_code = 0;
};

// One register of GDB's target description, in the order of the `g` packet.
struct RegisterInfo {
  std::string name;
  unsigned regnum = 0;  // GDB's number for it (the `p`/`P` packets use it)
  std::string type;     // "int", "code_ptr", "data_ptr"
};

// Arm M-profile: r0-r12, sp, lr, pc (0-15) and xpsr (25), as org.gnu.gdb.arm.m-profile numbers them.
// RV32: x0-x31 (0-31, by their ABI names) and pc (32), org.gnu.gdb.riscv.cpu. All 32 bits wide.
const std::vector<RegisterInfo>& register_layout(Arch arch);
constexpr unsigned pc_regnum(Arch arch) {
  return arch == Arch::Rv32 ? 32 : 15;
}
// The target description GDB reads with qXfer:features:read:target.xml.
std::string target_xml(Arch arch);

class Target {
 public:
  virtual ~Target() = default;

  virtual Arch arch() const = 0;
  virtual std::vector<ThreadId> threads() const = 0;
  // A human name for the thread (the module or partition name), shown by `info threads`.
  virtual std::string thread_name(ThreadId thread) const = 0;

  // `regnum` as in register_layout(). nullopt: not available (the stub sends it as unavailable).
  virtual std::optional<std::uint32_t> read_register(ThreadId thread, unsigned regnum) = 0;
  virtual bool write_register(ThreadId thread, unsigned regnum, std::uint32_t value) = 0;
  // False when any byte of the range is not mapped.
  virtual bool read_memory(ThreadId thread, std::uint32_t address, std::span<std::uint8_t> out) = 0;
  virtual bool write_memory(ThreadId thread, std::uint32_t address, std::span<const std::uint8_t> bytes) = 0;

  virtual bool add_breakpoint(std::uint32_t address) = 0;
  virtual bool remove_breakpoint(std::uint32_t address) = 0;

  virtual Stop step(ThreadId thread) = 0;
  virtual Stop resume(std::uint64_t max_instructions) = 0;
};

}  // namespace bulkhead::gdbstub
