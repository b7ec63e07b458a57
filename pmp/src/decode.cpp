#include "decode.hpp"

#include <array>
#include <bit>

namespace bulkhead::pmp::detail {
namespace {

constexpr std::uint64_t low_mask(unsigned bits) {
  return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

// Smepmp 1.0, "Truth table when mseccfg.MML is set", indexed by pmpcfg bits L,R,W,X (L is bit 3).
struct MmlRow {
  Perms machine;
  Perms user;
};
constexpr std::array<MmlRow, 16> mml_truth_table = {{
    {Perms::None, Perms::None},  // 0000 inaccessible region
    {Perms::None, Perms::X},     // 0001 S/U execute-only
    {Perms::RW, Perms::R},       // 0010 shared data: M read/write, S/U read-only
    {Perms::RW, Perms::RW},      // 0011 shared data: read/write for both
    {Perms::None, Perms::R},     // 0100 S/U read-only
    {Perms::None, Perms::RX},    // 0101 S/U read/execute
    {Perms::None, Perms::RW},    // 0110 S/U read/write
    {Perms::None, Perms::RWX},   // 0111 S/U read/write/execute
    {Perms::None, Perms::None},  // 1000 locked inaccessible region
    {Perms::X, Perms::None},     // 1001 locked M execute-only
    {Perms::X, Perms::X},        // 1010 locked shared code: execute-only on both
    {Perms::RX, Perms::X},       // 1011 locked shared code: M read/execute, S/U execute-only
    {Perms::R, Perms::None},     // 1100 locked M read-only
    {Perms::RX, Perms::None},    // 1101 locked M read/execute
    {Perms::RW, Perms::None},    // 1110 locked M read/write
    {Perms::R, Perms::R},        // 1111 locked shared data: read-only on both
}};

constexpr unsigned mml_index(std::uint8_t cfg) {
  const unsigned l = (cfg & pmpcfg::L) ? 8u : 0u;
  const unsigned r = (cfg & pmpcfg::R) ? 4u : 0u;
  const unsigned w = (cfg & pmpcfg::W) ? 2u : 0u;
  const unsigned x = (cfg & pmpcfg::X) ? 1u : 0u;
  return l | r | w | x;
}

}  // namespace

std::string_view to_string(AddressMatching m) {
  switch (m) {
    case AddressMatching::Off:
      return "OFF";
    case AddressMatching::Tor:
      return "TOR";
    case AddressMatching::Na4:
      return "NA4";
    case AddressMatching::Napot:
      return "NAPOT";
  }
  return "?";
}

std::uint32_t pmpaddr_read_value(std::uint32_t raw, AddressMatching mode, unsigned g) {
  if (mode == AddressMatching::Napot) {
    // Priv. spec 3.7.1: G >= 2 and NAPOT: bits G-2..0 read as all ones.
    return g >= 2 ? raw | static_cast<std::uint32_t>(low_mask(g - 1)) : raw;
  }
  if (mode == AddressMatching::Na4) return raw;  // only selectable when G = 0
  // Priv. spec 3.7.1: G >= 1 and OFF/TOR: bits G-1..0 read as all zeros.
  return raw & ~static_cast<std::uint32_t>(low_mask(g));
}

std::uint64_t tor_bound(std::uint32_t raw, unsigned g) {
  // Priv. spec 3.7.1: pmpaddr holds bits 33:2 of the address on RV32; keep all 34 bits (no truncation to 32).
  return (static_cast<std::uint64_t>(raw) & ~low_mask(g)) << 2;
}

AddressRange entry_range(std::uint8_t cfg, std::uint32_t raw, std::uint32_t prev_raw, unsigned g) {
  const AddressMatching mode = mode_of(cfg);
  switch (mode) {
    case AddressMatching::Off:
      return {};
    case AddressMatching::Tor: {
      // Priv. spec 3.7.1: TOR matches pmpaddr[i-1] <= y < pmpaddr[i]; nothing when pmpaddr[i-1] >=
      // pmpaddr[i].
      const std::uint64_t base = tor_bound(prev_raw, g);
      const std::uint64_t top = tor_bound(raw, g);
      return base < top ? AddressRange{base, top - base} : AddressRange{};
    }
    case AddressMatching::Na4:
      // Priv. spec 3.7.1, Table 3.10: naturally aligned four-byte region.
      return {static_cast<std::uint64_t>(raw) << 2, 4};
    case AddressMatching::Napot: {
      // Priv. spec 3.7.1, Table 3.11: n trailing ones in pmpaddr encode a 2^(n+3)-byte region.
      const std::uint32_t y = pmpaddr_read_value(raw, mode, g);
      const unsigned n = static_cast<unsigned>(std::countr_one(y));
      const std::uint64_t size = 1ull << (n + 3);
      return {(static_cast<std::uint64_t>(y) << 2) & ~(size - 1), size};
    }
  }
  return {};
}

RulePerms rule_perms(std::uint8_t cfg, bool mml) {
  const auto rwx = static_cast<Perms>(cfg & pmpcfg::RWX);
  if (mml) {
    // Smepmp 1.0 Proposal 4a and truth table: L marks M-mode-only rules, RW=01 and LRWX=1111 Shared-Regions.
    const MmlRow& row = mml_truth_table[mml_index(cfg)];
    return {row.machine, row.user, Reason::MmlRule, Reason::MmlRule};
  }
  if (cfg & pmpcfg::L) {
    // Priv. spec 3.7.1.2: a locked entry's permissions are enforced for all privilege modes.
    return {rwx, rwx, Reason::LockedEntry, Reason::RegionMatch};
  }
  // Priv. spec 3.7.1.2: an M-mode access matching an unlocked entry succeeds; R/W/X bind S and U only.
  return {Perms::RWX, rwx, Reason::RegionMatch, Reason::RegionMatch};
}

bool adds_machine_executable_rule(std::uint8_t cfg) {
  // Smepmp 1.0 Proposal 4b: M-mode-only executable rules (1001, 1101) and locked executable Shared-Regions
  // (1010, 1011) are exactly the truth-table rows where M-mode may execute.
  return has(mml_truth_table[mml_index(cfg)].machine, Perms::X);
}

std::uint8_t legalize_cfg(std::uint8_t value, bool mml, unsigned g) {
  std::uint8_t cfg = value & pmpcfg::WRITABLE;  // Priv. spec 3.7.1: bits 6:5 are WIRI, read as zero
  // Priv. spec 3.7.1: R=0,W=1 is reserved; Smepmp 1.0 Proposal 4a/4d: it encodes a Shared-Region when MML=1.
  if (!mml && (cfg & (pmpcfg::R | pmpcfg::W)) == pmpcfg::W) cfg &= static_cast<std::uint8_t>(~pmpcfg::W);
  // Priv. spec 3.7.1: with G >= 1 the NA4 mode is not selectable.
  if (g >= 1 && mode_of(cfg) == AddressMatching::Na4) cfg &= static_cast<std::uint8_t>(~pmpcfg::A_MASK);
  return cfg;
}

}  // namespace bulkhead::pmp::detail
