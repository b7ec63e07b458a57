// Decoding helpers shared by the CSR face and the checker (internal to bulkhead_pmp).
#pragma once

#include <cstdint>

#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"
#include "bulkhead/pmp/csr.hpp"

namespace bulkhead::pmp::detail {

constexpr AddressMatching mode_of(std::uint8_t cfg) {
  return static_cast<AddressMatching>((cfg & pmpcfg::A_MASK) >> pmpcfg::A_SHIFT);
}

std::string_view to_string(AddressMatching m);

// The value a csrr of pmpaddr returns for the stored value `raw` (priv. spec 3.7.1): for G >= 2 and NAPOT,
// bits G-2..0 read as ones; for G >= 1 and OFF/TOR, bits G-1..0 read as zeros.
std::uint32_t pmpaddr_read_value(std::uint32_t raw, AddressMatching mode, unsigned g);

// The byte address a TOR bound names: pmpaddr bits 33:2 with the grain bits G-1..0 cleared (priv.
// spec 3.7.1).
std::uint64_t tor_bound(std::uint32_t raw, unsigned g);

// The bytes an entry matches (priv. spec 3.7.1): `prev_raw` is pmpaddr[i-1] (0 for entry 0) and only matters
// for TOR. Empty for OFF and for a TOR whose base is not below its top.
AddressRange entry_range(std::uint8_t cfg, std::uint32_t raw, std::uint32_t prev_raw, unsigned g);

// What M-mode and S/U-mode may do in an entry, and why, given mseccfg.MML.
struct RulePerms {
  Perms machine = Perms::None;
  Perms user = Perms::None;
  Reason machine_reason = Reason::RegionMatch;
  Reason user_reason = Reason::RegionMatch;
};
RulePerms rule_perms(std::uint8_t cfg, bool mml);

// Smepmp 1.0 Proposal 4b: with MML=1 (and RLB=0) a cfg write that would add an M-mode-only rule with execute
// permission, or a locked executable Shared-Region, is ignored. True for such a cfg value.
bool adds_machine_executable_rule(std::uint8_t cfg);

// WARL legalisation of one written pmpcfg byte (see docs/pmp.md): reserved bits 6:5 read zero; R=0,W=1 is
// reserved unless MML=1 (Smepmp 1.0 Proposal 4d) and is legalised by clearing W (as Spike does); with G >= 1
// NA4 is not selectable and is legalised to OFF (priv. spec 3.7.1).
std::uint8_t legalize_cfg(std::uint8_t value, bool mml, unsigned g);

}  // namespace bulkhead::pmp::detail
