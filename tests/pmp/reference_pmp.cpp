// Reference PMP: for each entry in order, scan the bytes of the access (Sail's pmpMatchAddr with per-byte
// tests), then apply the permission rules spelled out case by case from the spec's prose.
#include "reference_pmp.hpp"

namespace bulkhead::pmp::reference {
namespace {

enum class AddrMatch { NoMatch, PartialMatch, Match };

bool bit(std::uint8_t v, int n) {
  return ((v >> n) & 1) != 0;
}

// Does byte `b` (an address of the 34-bit physical space) lie in entry i? Priv. spec 3.7.1.
bool byte_in_entry(const State& s, unsigned i, std::uint64_t b) {
  const unsigned a = (s.cfg[i] >> 3) & 3;
  const std::uint64_t word = b >> 2;  // pmpaddr compares address bits 33:2
  const std::uint64_t grain_words = 1ull << s.g;
  if (a == 0) return false;  // OFF
  if (a == 1) {              // TOR: pmpaddr[i-1] <= word < pmpaddr[i], both rounded down to the grain
    const std::uint64_t lo = i == 0 ? 0 : s.addr[i - 1] / grain_words * grain_words;
    const std::uint64_t hi = s.addr[i] / grain_words * grain_words;
    return lo <= word && word < hi;
  }
  if (a == 2) return word == s.addr[i];  // NA4
  // NAPOT: Sail's mask = pmpaddr ^ (pmpaddr + 1) marks the trailing ones and the zero above them.
  const std::uint64_t y = s.addr[i];
  const std::uint64_t mask = y ^ (y + 1);
  return (word & ~mask) == (y & ~mask);
}

AddrMatch match_bytes(const State& s, unsigned i, const std::uint64_t* bytes, std::uint64_t n) {
  std::uint64_t hits = 0;
  for (std::uint64_t k = 0; k < n; ++k) hits += byte_in_entry(s, i, bytes[k]) ? 1 : 0;
  if (hits == 0) return AddrMatch::NoMatch;
  return hits == n ? AddrMatch::Match : AddrMatch::PartialMatch;
}

bool need(Access access, bool r, bool w, bool x) {
  return access == Access::Read ? r : access == Access::Write ? w : x;
}

// Smepmp 1.0 Proposal 4 prose, rule by rule.
bool mml_allows(std::uint8_t cfg, Access access, bool machine) {
  const bool l = bit(cfg, 7), r = bit(cfg, 0), w = bit(cfg, 1), x = bit(cfg, 2);
  if (l && r && w && x) return access == Access::Read;  // locked shared data: read-only for both
  if (!r && w) {                                        // Shared-Region
    if (!l) {                                           // data: M read/write; S/U read, plus write if X
      if (machine) return access != Access::Execute;
      return access == Access::Read || (x && access == Access::Write);
    }
    // code: both execute; M also reads if X
    return access == Access::Execute || (machine && x && access == Access::Read);
  }
  if (l != machine) return false;  // M-mode-only rules deny S/U; S/U-only rules deny M
  return need(access, r, w, x);
}

}  // namespace

State read_state(const RiscvPmp& pmp) {
  State s;
  s.entries = pmp.options().entries;
  s.g = pmp.options().granularity;
  for (unsigned i = 0; i < s.entries; ++i) {
    const std::uint32_t word = *pmp.read_csr(static_cast<std::uint16_t>(0x3A0 + i / 4));
    s.cfg[i] = static_cast<std::uint8_t>(word >> (8 * (i % 4)));
    s.addr[i] = *pmp.read_csr(static_cast<std::uint16_t>(0x3B0 + i));
  }
  s.mseccfg = pmp.options().smepmp ? *pmp.read_csr(0x747) : 0;
  return s;
}

Result check(const State& s, std::uint32_t address, std::uint32_t size, Access access, Privilege priv) {
  std::uint64_t bytes[8];
  for (std::uint32_t k = 0; k < size; ++k) bytes[k] = (address + k) & 0xFFFFFFFFull;  // RV32 wraps
  const bool machine = priv == Privilege::Privileged;
  const bool mml = (s.mseccfg & 1) != 0;
  const bool mmwp = (s.mseccfg & 2) != 0;
  for (unsigned i = 0; i < s.entries; ++i) {
    const AddrMatch m = match_bytes(s, i, bytes, size);
    if (m == AddrMatch::NoMatch) continue;
    if (m == AddrMatch::PartialMatch) return {false, Reason::PartialMatch, static_cast<int>(i)};
    const std::uint8_t cfg = s.cfg[i];
    if (mml) return {mml_allows(cfg, access, machine), Reason::MmlRule, static_cast<int>(i)};
    const bool perm_ok = need(access, bit(cfg, 0), bit(cfg, 1), bit(cfg, 2));
    if (machine && !bit(cfg, 7)) return {true, Reason::RegionMatch, static_cast<int>(i)};
    if (machine) return {perm_ok, Reason::LockedEntry, static_cast<int>(i)};
    return {perm_ok, Reason::RegionMatch, static_cast<int>(i)};
  }
  if (!machine) return {s.entries == 0, Reason::NoMatch, -1};
  if (mmwp) return {false, Reason::NoMatch, -1};
  if (mml && access == Access::Execute) return {false, Reason::MmlRule, -1};
  return {true, Reason::MachineDefault, -1};
}

std::optional<Perms> uniform(const State& s, std::uint64_t base, std::uint64_t size, Privilege priv) {
  // Treat the range like one large access: the first entry touching any byte must touch all of them.
  // Per-byte scanning, like check(); ranges in the tests are small.
  if (size == 0 || base + size > (1ull << 32)) return std::nullopt;
  for (unsigned i = 0; i < s.entries; ++i) {
    std::uint64_t hits = 0;
    for (std::uint64_t b = base; b < base + size; ++b) hits += byte_in_entry(s, i, b) ? 1 : 0;
    if (hits == 0) continue;
    if (hits != size) return std::nullopt;
    Perms p = Perms::None;
    // Probe the rule with 1-byte accesses at `base`: it decides every byte alike.
    const auto probe = [&](Access a, Perms bitp) {
      if (check(s, static_cast<std::uint32_t>(base), 1, a, priv).allowed) p |= bitp;
    };
    probe(Access::Read, Perms::R);
    probe(Access::Write, Perms::W);
    probe(Access::Execute, Perms::X);
    return p;
  }
  Perms p = Perms::None;
  for (const auto& [a, bitp] : {std::pair{Access::Read, Perms::R}, std::pair{Access::Write, Perms::W},
                                std::pair{Access::Execute, Perms::X}}) {
    if (check(s, static_cast<std::uint32_t>(base), 1, a, priv).allowed) p |= bitp;
  }
  return p;
}

}  // namespace bulkhead::pmp::reference
