// A deliberately simple PMP reference, written from the spec's pseudocode (Sail model style), sharing no code
// with bulkhead_pmp: it sees the unit only through the CSR values firmware would read back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"

namespace bulkhead::pmp::reference {

struct State {
  unsigned entries = 0;
  unsigned g = 0;
  std::array<std::uint8_t, 64> cfg{};
  std::array<std::uint32_t, 64> addr{};  // as read back by csrr
  std::uint32_t mseccfg = 0;
};

// Reads the state through read_csr, as M-mode firmware would.
State read_state(const RiscvPmp& pmp);

struct Result {
  bool allowed = false;
  Reason reason = Reason::NoMatch;
  int region = -1;
};

Result check(const State& s, std::uint32_t address, std::uint32_t size, Access access, Privilege priv);

// The permissions every byte of [base, base+size) gets from one rule with no edge inside, or nullopt.
std::optional<Perms> uniform(const State& s, std::uint64_t base, std::uint64_t size, Privilege priv);

}  // namespace bulkhead::pmp::reference
