// The hot path: check() and uniform_perms() read only the decoded table.
#include <array>

#include "bulkhead/pmp/riscv_pmp.hpp"
#include "decode.hpp"

namespace bulkhead::pmp {
namespace {

constexpr std::uint64_t address_space = 1ull << 32;  // RV32 addresses; PMP ranges may extend to 2^34

// The bytes of one access: one interval, or two when address arithmetic wraps past 2^32 - 1.
struct AccessBytes {
  std::array<AddressRange, 2> pieces;
  unsigned count = 1;
};

AccessBytes access_bytes(std::uint32_t address, std::uint32_t size) {
  const std::uint64_t end = static_cast<std::uint64_t>(address) + size;
  if (end <= address_space) return {{AddressRange{address, size}, AddressRange{}}, 1};
  return {{AddressRange{address, address_space - address}, AddressRange{0, end - address_space}}, 2};
}

enum class Match : std::uint8_t { None, Partial, Full };  // Sail: PMP_NoMatch / PMP_PartialMatch / PMP_Match

Match match(const AddressRange& entry, const AccessBytes& bytes) {
  bool any = false;
  bool all = true;
  for (unsigned p = 0; p < bytes.count; ++p) {
    if (entry.overlaps(bytes.pieces[p])) any = true;
    if (!entry.contains(bytes.pieces[p])) all = false;
  }
  if (!any) return Match::None;
  return all ? Match::Full : Match::Partial;
}

std::string entry_detail(int index, Perms granted) {
  return "pmp" + std::to_string(index) + " " + to_string(granted);
}

}  // namespace

Perms RiscvPmp::default_perms(Privilege priv) const {
  if (priv == Privilege::Privileged) {
    if (mseccfg_ & mseccfg::MMWP) return Perms::None;  // Smepmp 1.0 Proposal 3: unmatched M-mode is denied
    if (mml()) return Perms::RW;  // Smepmp 1.0 Proposal 4c: M-mode cannot execute where no rule matches
    return Perms::RWX;            // Priv. spec 3.7.1.3: an M-mode access matching no entry succeeds
  }
  // Priv. spec 3.7.1.3: an S/U-mode access matching no entry fails if at least one entry is implemented.
  return options_.entries == 0 ? Perms::RWX : Perms::None;
}

Verdict RiscvPmp::check(std::uint32_t address, std::uint32_t size, Access access, Privilege priv) const {
  ensure_decoded();
  const AccessBytes bytes = access_bytes(address, size == 0 ? 1 : size);
  const bool machine = priv == Privilege::Privileged;
  Verdict v;
  v.fault_address = address;
  // Priv. spec 3.7.1.3: entries are checked in order; the lowest-numbered one matching any byte decides.
  for (std::size_t i = 0; i < table_.size(); ++i) {
    const PmpEntry& e = table_[i];
    const Match m = match(e.range, bytes);
    if (m == Match::None) continue;
    v.region = static_cast<int>(i);
    if (m == Match::Partial) {
      // Priv. spec 3.7.1.3: the matching entry must cover every byte, or the access fails, even in M-mode.
      v.reason = Reason::PartialMatch;
      v.detail = "pmp" + std::to_string(i) + " covers only part of the access";
      return v;
    }
    v.granted = machine ? e.machine : e.user;
    v.reason = machine ? e.machine_reason : e.user_reason;
    v.allowed = has(v.granted, perm_for(access));
    v.detail = entry_detail(v.region, v.granted);
    return v;
  }
  v.granted = default_perms(priv);
  v.allowed = has(v.granted, perm_for(access));
  if (!machine) {
    v.reason = Reason::NoMatch;
    v.detail = options_.entries == 0 ? "no PMP entries implemented" : "no entry matches";
  } else if (mseccfg_ & mseccfg::MMWP) {
    v.reason = Reason::NoMatch;
    v.detail = "no entry matches; mseccfg.MMWP=1";
  } else if (mml() && access == Access::Execute) {
    v.reason = Reason::MmlRule;
    v.detail = "no entry matches; mseccfg.MML=1 forbids M-mode execution";
  } else {
    v.reason = Reason::MachineDefault;
    v.detail = "no entry matches";
  }
  return v;
}

std::optional<Perms> RiscvPmp::uniform_perms(AddressRange range, Privilege priv) const {
  ensure_decoded();
  if (range.empty() || range.end() > address_space) return std::nullopt;
  const bool machine = priv == Privilege::Privileged;
  for (const PmpEntry& e : table_) {
    if (!e.range.overlaps(range)) continue;
    // The lowest entry touching the range decides every access inside it only if it covers the whole range;
    // otherwise an entry edge lies inside and some access there is a partial match or falls through.
    if (!e.range.contains(range)) return std::nullopt;
    return machine ? e.machine : e.user;
  }
  return default_perms(priv);
}

Syndrome RiscvPmp::syndrome(const Verdict& /*v*/, Access access, std::uint32_t address) const {
  Syndrome s;
  // Priv. spec 3.7.1: PMP violations are access-fault exceptions of the access's kind (Table 3.6 codes).
  switch (access) {
    case Access::Execute:
      s.mcause = mcause::InstructionAccessFault;
      break;
    case Access::Read:
      s.mcause = mcause::LoadAccessFault;
      break;
    case Access::Write:
      s.mcause = mcause::StoreAccessFault;
      break;
  }
  s.mtval = address;  // Priv. spec 3.1.16: mtval holds the faulting address
  return s;
}

}  // namespace bulkhead::pmp
