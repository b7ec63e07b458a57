// The GDB stub over TCP: listens on 127.0.0.1 only, serves one debugger connection with a Session.
#pragma once

#include <cstdint>
#include <functional>

#include "bulkhead/gdbstub/session.hpp"
#include "bulkhead/gdbstub/target.hpp"

namespace bulkhead::gdbstub {

struct ServerOptions {
  std::uint16_t port = 0;         // 0: any free port (on_listening says which)
  std::uint64_t slice = 200'000;  // guest instructions between polls for ctrl-C while the target runs
  std::function<void(std::uint16_t port)> on_listening;  // once bound, before waiting for the debugger
};

// Binds 127.0.0.1:port, waits for one debugger and serves it until it kills, detaches or disconnects.
// Throws std::runtime_error when the port cannot be bound or the connection fails; exceptions from the
// target pass through (the connection is closed).
SessionEnd serve(Target& target, const ServerOptions& options);

}  // namespace bulkhead::gdbstub
