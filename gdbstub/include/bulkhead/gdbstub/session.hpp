// GDB's remote serial protocol, all-stop mode, without sockets: bytes from the debugger go in, bytes for
// it come out. server.hpp drives a Session over TCP; tests drive it directly.
//
// Supported: packet framing with checksums, acks and QStartNoAckMode, retransmission on '-', qSupported
// (PacketSize, qXfer:features:read, QStartNoAckMode, vContSupported), target.xml for Arm M-profile and RV32,
// g/G/p/P, m/M/X, Z0/z0 and Z1/z1 (both software breakpoints), s/S/c/C and vCont (c, C, s, S), '?',
// qfThreadInfo/qsThreadInfo, qThreadExtraInfo, Hg/Hc, T, qC, qAttached, k, vKill, D, and ctrl-C (0x03)
// while the target runs. Anything else gets the empty reply ("not supported").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bulkhead/gdbstub/target.hpp"

namespace bulkhead::gdbstub {

enum class SessionEnd : std::uint8_t {
  Killed,        // k or vKill: the debugger wants the target gone
  Detached,      // D: the debugger let go; the target may run on by itself
  Disconnected,  // the connection closed without either (server.hpp): treated like a kill
};

class Session {
 public:
  // `slice`: guest instructions per resume() call while running, between polls for ctrl-C.
  explicit Session(Target& target, std::uint64_t slice = 200'000);

  // Feeds bytes from the debugger; returns the bytes to send back (acks and replies).
  std::string receive(std::string_view bytes);
  // A continue is in progress: the driver calls poll() until it returns a reply, reading the debugger's
  // bytes (an interrupt) in between.
  bool running() const { return running_; }
  // Runs one slice of a continue; returns the framed stop reply once the target has stopped, else "".
  std::string poll();
  // Set once the debugger killed or detached; the driver closes the connection.
  std::optional<SessionEnd> ended() const { return ended_; }

  // The framed form of a reply: $data#cs (data is sent as is).
  static std::string frame(std::string_view data);
  static std::uint8_t checksum(std::string_view data);

 private:
  std::string handle(std::string_view packet);  // one packet's reply (unframed), or nullopt-like "\x01"
  std::string send(std::string_view data);      // frames and remembers for retransmission
  std::string stop_reply(const Stop& stop);
  std::string after_stop(const Stop& stop);
  std::string do_step(ThreadId thread);
  void start_continue();
  std::string read_registers(ThreadId thread);
  std::string write_registers(ThreadId thread, std::string_view hex);
  std::string read_memory(std::string_view args);
  std::string write_memory(std::string_view args, bool binary);
  std::string breakpoint(std::string_view packet, bool insert);
  std::string set_thread(std::string_view packet);
  std::string query(std::string_view packet);
  std::string vcont(std::string_view packet);
  std::optional<ThreadId> parse_thread(std::string_view text) const;
  ThreadId current(ThreadId selected) const;
  bool alive(ThreadId thread) const;

  Target& target_;
  std::uint64_t slice_;
  bool ack_ = true;
  bool running_ = false;
  bool interrupt_ = false;
  bool done_ = false;  // the whole target has exited or terminated
  std::optional<SessionEnd> ended_;
  Stop last_stop_{StopKind::Signal, 1, signal::kTrap, 0};
  ThreadId g_thread_ = 0;  // Hg: 0 = any
  ThreadId c_thread_ = 0;  // Hc: 0 = any, -1 = all
  std::string last_sent_;
  // Framing state.
  enum class Rx : std::uint8_t { Idle, Data, Check1, Check2 } rx_ = Rx::Idle;
  std::string packet_;
  std::string check_;
  std::size_t thread_cursor_ = 0;
};

}  // namespace bulkhead::gdbstub
