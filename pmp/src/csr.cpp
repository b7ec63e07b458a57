// The register face: CSR existence, WARL legalisation, locks and sticky bits.
#include <stdexcept>
#include <string>

#include "bulkhead/core/log.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"
#include "decode.hpp"

namespace bulkhead::pmp {
namespace {

constexpr unsigned max_entries = 64;        // Priv. spec 3.7.1: up to 64 PMP entries
constexpr unsigned max_granularity = 30;    // a 2^32-byte grain; enough for any RV32 configuration
constexpr unsigned entries_per_pmpcfg = 4;  // Priv. spec 3.7.1: RV32 pmpcfgN holds pmp(4N)cfg..pmp(4N+3)cfg

}  // namespace

RiscvPmp::RiscvPmp(PmpOptions options) : options_(options) {
  if (options_.entries > max_entries) {
    throw std::invalid_argument("PMP entry count " + std::to_string(options_.entries) +
                                " is out of range: the architecture allows at most 64 entries");
  }
  if (options_.granularity > max_granularity) {
    throw std::invalid_argument("PMP granularity G=" + std::to_string(options_.granularity) +
                                " is out of range: Bulkhead supports G=0..30 (grains of 4 B to 4 GiB)");
  }
  rebuild();
  generation_ = 0;
}

bool RiscvPmp::is_pmp_csr(std::uint16_t csr) {
  return (csr >= csr::PMPCFG0 && csr <= csr::PMPCFG15) || (csr >= csr::PMPADDR0 && csr <= csr::PMPADDR63) ||
         csr == csr::MSECCFG || csr == csr::MSECCFGH;
}

bool RiscvPmp::write_csr(std::uint16_t csr, std::uint32_t value) {
  if (!read_csr(csr)) return false;  // same existence rule for reads and writes
  if (csr >= csr::PMPCFG0 && csr <= csr::PMPCFG15) {
    const unsigned first = (csr - csr::PMPCFG0) * entries_per_pmpcfg;
    for (unsigned b = 0; b < entries_per_pmpcfg; ++b) {
      // Priv. spec 3.7.1: each entry's byte is legalised and locked independently; unimplemented ones are
      // zero.
      if (first + b < options_.entries)
        write_cfg_entry(first + b, static_cast<std::uint8_t>(value >> (8 * b)));
    }
  } else if (csr >= csr::PMPADDR0 && csr <= csr::PMPADDR63) {
    const unsigned index = csr - csr::PMPADDR0;
    if (index < options_.entries) write_pmpaddr(index, value);
  } else if (csr == csr::MSECCFG) {
    write_mseccfg(value);
  }
  // mseccfgh: Smepmp 1.0 Proposal 1 defines no field in the high half on RV32; writes are ignored.
  stale_ = true;
  return true;
}

std::optional<std::uint32_t> RiscvPmp::read_csr(std::uint16_t csr) const {
  const unsigned n = options_.entries;
  if (csr >= csr::PMPCFG0 && csr <= csr::PMPCFG15) {
    const unsigned first = (csr - csr::PMPCFG0) * entries_per_pmpcfg;
    if (n == 0 || (first >= n && !options_.unimplemented_csrs_read_zero)) return std::nullopt;
    std::uint32_t value = 0;
    for (unsigned b = 0; b < entries_per_pmpcfg && first + b < n; ++b) {
      value |= static_cast<std::uint32_t>(cfg_[first + b]) << (8 * b);
    }
    return value;
  }
  if (csr >= csr::PMPADDR0 && csr <= csr::PMPADDR63) {
    const unsigned index = csr - csr::PMPADDR0;
    if (n == 0 || (index >= n && !options_.unimplemented_csrs_read_zero)) return std::nullopt;
    return index < n ? read_pmpaddr(index) : 0u;
  }
  if (csr == csr::MSECCFG && options_.smepmp) return mseccfg_;
  if (csr == csr::MSECCFGH && options_.smepmp) return 0u;
  return std::nullopt;
}

std::uint32_t RiscvPmp::read_pmpaddr(unsigned index) const {
  return detail::pmpaddr_read_value(pmpaddr_[index], detail::mode_of(cfg_[index]), options_.granularity);
}

bool RiscvPmp::any_locked() const {
  for (unsigned i = 0; i < options_.entries; ++i) {
    if (cfg_[i] & pmpcfg::L) return true;
  }
  return false;
}

void RiscvPmp::write_cfg_entry(unsigned index, std::uint8_t value) {
  const std::uint8_t legal = detail::legalize_cfg(value, mml(), options_.granularity);
  if (legal == cfg_[index]) return;
  // Priv. spec 3.7.1.2: writes to a locked entry are ignored; Smepmp 1.0 Proposal 2a: unless mseccfg.RLB=1.
  if ((cfg_[index] & pmpcfg::L) && !rlb()) {
    log::get("pmp")->warn("write 0x{:02x} to locked pmp{}cfg ignored", value, index);
    return;
  }
  // Smepmp 1.0 Proposal 4b: with MML=1 no M-mode-executable rule can be added (unless RLB=1).
  if (mml() && !rlb() && detail::adds_machine_executable_rule(legal)) {
    log::get("pmp")->warn(
        "write 0x{:02x} to pmp{}cfg ignored: mseccfg.MML forbids adding an M-mode executable rule", value,
        index);
    return;
  }
  if (legal != (value & pmpcfg::WRITABLE)) {
    log::get("pmp")->warn("pmp{}cfg: reserved encoding 0x{:02x} legalised to 0x{:02x}", index, value, legal);
  }
  cfg_[index] = legal;
}

void RiscvPmp::write_pmpaddr(unsigned index, std::uint32_t value) {
  if (value == pmpaddr_[index] || rlb()) {  // Smepmp 1.0 Proposal 2a: RLB=1 lifts both locks below
    pmpaddr_[index] = value;
    return;
  }
  // Priv. spec 3.7.1.2: a locked entry's pmpaddr ignores writes.
  if (cfg_[index] & pmpcfg::L) {
    log::get("pmp")->warn("write 0x{:08x} to pmpaddr{} ignored: pmp{} is locked", value, index, index);
    return;
  }
  // Priv. spec 3.7.1.2: a locked TOR entry i+1 also freezes pmpaddr[i], its base.
  const unsigned next = index + 1;
  if (next < options_.entries && (cfg_[next] & pmpcfg::L) &&
      detail::mode_of(cfg_[next]) == AddressMatching::Tor) {
    log::get("pmp")->warn("write 0x{:08x} to pmpaddr{} ignored: locked TOR pmp{} uses it as its base", value,
                          index, next);
    return;
  }
  pmpaddr_[index] = value;
}

void RiscvPmp::write_mseccfg(std::uint32_t value) {
  std::uint32_t next = mseccfg_;
  // Smepmp 1.0 Proposal 2b: while RLB=0 and any entry (even a disabled one) is locked, RLB stays 0.
  if (rlb() || !any_locked()) {
    next = (next & ~mseccfg::RLB) | (value & mseccfg::RLB);
  } else if (value & mseccfg::RLB) {
    log::get("pmp")->warn("mseccfg.RLB=1 ignored: RLB is 0 and a PMP entry is locked");
  }
  // Smepmp 1.0 Proposals 3 and 4: MMWP and MML are sticky; only a PMP reset clears them.
  next |= value & (mseccfg::MML | mseccfg::MMWP);
  mseccfg_ = next;
}

void RiscvPmp::reset() {
  cfg_.fill(0);
  pmpaddr_.fill(0);
  mseccfg_ = 0;
  rebuild();
  ++generation_;  // a reset always invalidates caches, even when the state was already the reset state
}

void RiscvPmp::rebuild() const {
  std::vector<PmpEntry> next(options_.entries);
  for (unsigned i = 0; i < options_.entries; ++i) {
    PmpEntry& e = next[i];
    e.cfg = cfg_[i];
    e.mode = detail::mode_of(e.cfg);
    // Priv. spec 3.7.1: entry 0's TOR base is address 0.
    e.range = detail::entry_range(e.cfg, pmpaddr_[i], i == 0 ? 0u : pmpaddr_[i - 1], options_.granularity);
    const detail::RulePerms p = detail::rule_perms(e.cfg, mml());
    e.machine = p.machine;
    e.user = p.user;
    e.machine_reason = p.machine_reason;
    e.user_reason = p.user_reason;
  }
  constexpr std::uint32_t decision_bits = mseccfg::MML | mseccfg::MMWP;  // RLB changes no decision
  if (next != table_ || ((mseccfg_ ^ decoded_mseccfg_) & decision_bits) != 0) ++generation_;
  table_ = std::move(next);
  decoded_mseccfg_ = mseccfg_;
  stale_ = false;
}

}  // namespace bulkhead::pmp
