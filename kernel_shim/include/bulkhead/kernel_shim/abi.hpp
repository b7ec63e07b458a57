// The Bulkhead syscall ABI, as the module runtime (firmware_samples/runtime/bulkhead.h) uses it.
// docs/abi.md is the reference; keep the three in step.
#pragma once

#include <cstdint>

namespace bulkhead::kernel_shim::abi {

// Arm: `svc #0`, call number in r7, arguments r0-r5, results r0 (and r1). Any other SVC immediate is a trap
// the kernel does not know. RISC-V: `ecall`, call number in a7, arguments a0-a5, results a0 (and a1).
constexpr std::uint32_t kSvcImmediate = 0;

enum class Call : std::uint32_t {
  Exit = 0,     // (code) -> does not return
  Write = 1,    // (buf, len) -> len
  Yield = 2,    // () -> 0; the rest of the turn goes to the next ready partition
  Sleep = 3,    // (ticks) -> 0 after at least `ticks` ticks
  Time = 4,     // () -> ticks since the system started (low 32 bits)
  Id = 5,       // () -> the caller's partition id
  Lookup = 6,   // (name, len) -> the id of the partition called `name`
  Send = 7,     // (dest, msg, len, reply, reply_cap, timeout) -> reply length
  Receive = 8,  // (buf, cap, timeout) -> message length; second result: the sender's id
  Reply = 9,    // (sender, msg, len) -> 0
  Notify = 10,  // (dest, bits) -> 0
  Wait = 11,    // (mask, timeout) -> the notification bits in `mask` that were pending (now cleared)
  Read = 12,    // (buf, cap) -> bytes of console input copied (0: none left)
  Region = 13,  // (name, len) -> base of the caller's region or share `name`; second result: its size
  Status = 14,  // (id) -> 0 running, 1 exited, 2 faulted; second result: exit code or fault address
};

// Errors are returned as negative values in r0/a0.
constexpr std::int32_t kENoSys = -1;     // unknown call number
constexpr std::int32_t kEFault = -2;     // a pointer argument the caller may not access
constexpr std::int32_t kEInval = -3;     // an argument out of range
constexpr std::int32_t kENoEnt = -4;     // no such partition or region
constexpr std::int32_t kETimedOut = -5;  // the timeout passed (or a poll found nothing)
constexpr std::int32_t kEPeerDead = -6;  // the other side exited, faulted or restarted
constexpr std::int32_t kESrch = -7;      // reply: that partition is not waiting for a reply from the caller

constexpr std::uint32_t kMaxWrite = 64 * 1024;     // longest console write in one call
constexpr std::uint32_t kMaxMessage = 256;         // longest IPC message or reply
constexpr std::uint32_t kMaxName = 64;             // longest name for lookup/region
constexpr std::uint32_t kForever = 0xFFFF'FFFF;    // timeout: never
constexpr std::uint32_t kNoteFault = 0x8000'0000;  // notification a supervisor gets when a partition faults

}  // namespace bulkhead::kernel_shim::abi
