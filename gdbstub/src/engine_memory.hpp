// What a debugger reads and writes: every mapped byte of the engine's one address space, from the host,
// whatever the MPU/PMP allows the module (shared by the targets).
#pragma once

#include <cstdint>
#include <span>

#include "bulkhead/emu/engine.hpp"

namespace bulkhead::gdbstub::detail {

inline bool read_mapped(const emu::Engine& e, std::uint32_t address, std::span<std::uint8_t> out) {
  if (out.empty()) return true;
  if (!e.is_mapped(address, static_cast<std::uint32_t>(out.size()))) return false;
  e.read_memory(address, out);
  return true;
}

inline bool write_mapped(emu::Engine& e, std::uint32_t address, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return true;
  if (!e.is_mapped(address, static_cast<std::uint32_t>(bytes.size()))) return false;
  e.write_memory(address, bytes);  // also drops translated code there (a patched instruction runs)
  return true;
}

}  // namespace bulkhead::gdbstub::detail
