// What the parts of kernel_shim::System share: the partition's bookkeeping and the small helpers its
// translation units (system.cpp, system_syscalls.cpp, system_debug.cpp) use. Private to kernel_shim/src.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "bulkhead/kernel_shim/personality.hpp"
#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"

namespace bulkhead::kernel_shim {

namespace detail {

constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kPage = emu::Engine::kMapGranule;

enum class State : std::uint8_t {
  Ready,
  Sleeping,       // sleep(): until `deadline`
  Sending,        // send(): queued on `peer`, which has not received yet
  AwaitingReply,  // send(): `peer` has the message; waiting for its reply
  Receiving,      // receive(): nobody was sending
  Waiting,        // wait(): for notification bits in `wait_mask`
  Done,
};

inline std::string_view to_string(State s) {
  switch (s) {
    case State::Ready:
      return "ready";
    case State::Sleeping:
      return "sleep";
    case State::Sending:
      return "send";
    case State::AwaitingReply:
      return "send (awaiting the reply)";
    case State::Receiving:
      return "receive";
    case State::Waiting:
      return "wait";
    case State::Done:
      return "done";
  }
  return "?";
}

struct AbiRegs {
  unsigned number, arg0, result;
};
constexpr AbiRegs kArm{7, 0, 0};       // r7, r0-r5, r0/r1 (docs/abi.md)
constexpr AbiRegs kRiscv{17, 10, 10};  // a7, a0-a5, a0/a1

inline std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace detail

using namespace detail;

struct System::Partition {
  int id = 0;
  std::string name;
  std::size_t layout_index = 0;  // into checked_.partitions
  loader::Image image;
  std::optional<loader::SourceLines> lines;
  std::unique_ptr<ProtectionUnit> unit;  // the layout's programming for it, kernel regions included
  emu::CpuContext context;
  emu::CpuContext initial;  // for restart
  layout::FaultPolicy policy;
  PartitionResult res;

  State state = State::Ready;
  std::uint64_t deadline = kNever;
  int peer = -1;                                    // Sending / AwaitingReply: the receiver
  std::uint32_t msg = 0, msg_len = 0;               // Sending: the message
  std::uint32_t reply = 0, reply_cap = 0;           // Sending / AwaitingReply: where the reply goes
  std::uint32_t recv_buf = 0, recv_cap = 0;         // Receiving
  std::uint32_t wait_mask = 0;                      // Waiting
  std::uint32_t notes = 0;                          // pending notification bits
  std::deque<int> senders;                          // partitions Sending to it, first come first served
  std::optional<std::array<std::uint32_t, 2>> ret;  // results to load when it is next switched in
  std::string input;
  std::size_t input_pos = 0;
  std::uint64_t isolation_checked = kNever;  // unit generation last proven by --check-isolation
  std::uint64_t fault_address = 0;
  std::optional<Fault> pending_fault;  // debugger: reported, its policy not applied yet
  bool skip_breakpoint = false;        // debugger: resume past the breakpoint it stopped at
  // Another syscall ABI than Bulkhead's (layout `abi`, docs/tock.md); null for Bulkhead's own.
  std::unique_ptr<Personality> personality;
  bool personality_blocked = false;  // blocked in the personality: resume() runs when it is switched in
};

// What one turn's handling decided.
struct System::Step {
  bool end_turn = false;
  std::optional<DebugStop> stop;  // for a debugger: a breakpoint or a fault it must see
};

}  // namespace bulkhead::kernel_shim
