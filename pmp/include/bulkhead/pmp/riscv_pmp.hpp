// RiscvPmp: the RISC-V Physical Memory Protection unit (priv. spec 3.7) with the Smepmp 1.0 extension, as an
// RV32 hart's firmware programs it through CSRs. Registers in, a decoded table rebuilt on every effective
// write, check() only reads the table.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/pmp/csr.hpp"

namespace bulkhead::pmp {

struct PmpOptions {
  // Number of implemented entries, 0..64 (priv. spec 3.7.1 names 0, 16 and 64; any count up to 64 is
  // accepted).
  unsigned entries = 16;
  // G: the PMP grain is 2^(G+2) bytes (priv. spec 3.7.1). 0..30.
  unsigned granularity = 0;
  // Smepmp 1.0: mseccfg exists and MML/MMWP/RLB apply.
  bool smepmp = true;
  // false: only the CSRs of implemented entries exist (the others read/write as nonexistent: nullopt/false).
  // true: priv. spec 1.12 behaviour (Spike too): all pmpcfg0-15/pmpaddr0-63 exist when entries > 0, and those
  // of unimplemented entries are read-only zero.
  bool unimplemented_csrs_read_zero = false;
};

// One decoded entry, as check() sees it.
struct PmpEntry {
  std::uint8_t cfg = 0;  // the legal pmpcfg value
  AddressMatching mode = AddressMatching::Off;
  AddressRange range;           // bytes matched, in the 34-bit physical space; empty for OFF or an empty TOR
  Perms machine = Perms::None;  // what an M-mode access matching this entry may do
  Perms user = Perms::None;     // what an S- or U-mode access matching this entry may do
  Reason machine_reason = Reason::RegionMatch;
  Reason user_reason = Reason::RegionMatch;

  bool locked() const { return (cfg & pmpcfg::L) != 0; }
  friend bool operator==(const PmpEntry&, const PmpEntry&) = default;
};

class RiscvPmp final : public ProtectionUnit {
 public:
  // Throws std::invalid_argument for entries > 64 or granularity > 30 (a host configuration error).
  explicit RiscvPmp(PmpOptions options = {});

  std::string_view name() const override { return "pmp"; }
  // Bytes are address .. address+size-1 modulo 2^32 (RV32 address arithmetic wraps); size 0 is treated as 1.
  Verdict check(std::uint32_t address, std::uint32_t size, Access access, Privilege priv) const override;
  // nullopt also for an empty range or one reaching past 4 GiB.
  std::optional<Perms> uniform_perms(AddressRange range, Privilege priv) const override;
  std::uint64_t generation() const override {
    ensure_decoded();
    return generation_;
  }
  std::vector<RegionInfo> regions() const override;
  // mcause 1/5/7 for execute/read/write; mtval = `address`, the first byte of the access (priv. spec 3.1.16
  // allows the faulting address of a misaligned access to be that of the access itself).
  Syndrome syndrome(const Verdict& v, Access access, std::uint32_t address) const override;

  // True for every CSR number this model can own (pmpcfg0-15, pmpaddr0-63, mseccfg, mseccfgh), whatever the
  // options; write_csr/read_csr decide whether it exists in this configuration.
  static bool is_pmp_csr(std::uint16_t csr);
  // A CSR write as the hart performs it (WARL legalisation, locks, sticky bits). Returns false when the CSR
  // does not exist in this configuration (the caller raises an illegal-instruction exception); true
  // otherwise, also when the write is architecturally ignored.
  bool write_csr(std::uint16_t csr, std::uint32_t value);
  // The value a csrr returns, or nullopt when the CSR does not exist in this configuration.
  std::optional<std::uint32_t> read_csr(std::uint16_t csr) const;
  // PMP reset (priv. spec 3.7.1.2, Smepmp 1.0 "PMP reset"): every entry OFF and unlocked, pmpaddr and mseccfg
  // 0.
  void reset();

  const PmpOptions& options() const { return options_; }
  std::span<const PmpEntry> table() const {
    ensure_decoded();
    return table_;
  }
  std::uint32_t mseccfg() const { return mseccfg_; }

 private:
  bool mml() const { return (mseccfg_ & mseccfg::MML) != 0; }
  bool rlb() const { return (mseccfg_ & mseccfg::RLB) != 0; }
  bool any_locked() const;
  void write_cfg_entry(unsigned index, std::uint8_t value);
  void write_pmpaddr(unsigned index, std::uint32_t value);
  void write_mseccfg(std::uint32_t value);
  std::uint32_t read_pmpaddr(unsigned index) const;
  // Decodes the registers into table_; bumps generation_ when a decision may have changed. CSR writes only
  // mark the table stale and the next query decodes once, so that a kernel loading 16 entries CSR by CSR
  // pays for one decode, not 20.
  void rebuild() const;
  void ensure_decoded() const {
    if (stale_) rebuild();
  }
  Perms default_perms(Privilege priv) const;

  PmpOptions options_;
  std::array<std::uint8_t, 64> cfg_{};
  std::array<std::uint32_t, 64> pmpaddr_{};  // as written: the register keeps bits G-1..0 (priv. spec 3.7.1)
  std::uint32_t mseccfg_ = 0;
  mutable std::uint32_t decoded_mseccfg_ = 0;  // the mseccfg the table was decoded with
  mutable std::vector<PmpEntry> table_;
  mutable std::uint64_t generation_ = 0;
  mutable bool stale_ = true;
};

}  // namespace bulkhead::pmp
