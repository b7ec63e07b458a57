// PMP and Smepmp CSR numbers and register fields, as RV32 firmware sees them.
#pragma once

#include <cstdint>

namespace bulkhead::pmp {

// Priv. spec 2.2 Table 2.5: machine-level memory-protection CSR numbers.
namespace csr {
constexpr std::uint16_t PMPCFG0 = 0x3A0;  // pmpcfg0..pmpcfg15: on RV32 each holds 4 entries' 8-bit cfg
constexpr std::uint16_t PMPCFG15 = 0x3AF;
constexpr std::uint16_t PMPADDR0 = 0x3B0;  // pmpaddr0..pmpaddr63
constexpr std::uint16_t PMPADDR63 = 0x3EF;
constexpr std::uint16_t MSECCFG = 0x747;   // Smepmp 1.0 Proposal 1: mseccfg (low 32 bits on RV32)
constexpr std::uint16_t MSECCFGH = 0x757;  // Smepmp 1.0 Proposal 1: mseccfgh (high 32 bits on RV32)
}  // namespace csr

// Priv. spec 3.7.1, Figure 3.30 (PMP configuration register format).
namespace pmpcfg {
constexpr std::uint8_t R = 1u << 0;  // read
constexpr std::uint8_t W = 1u << 1;  // write
constexpr std::uint8_t X = 1u << 2;  // execute
constexpr std::uint8_t RWX = R | W | X;
constexpr std::uint8_t A_SHIFT = 3;  // address-matching mode, Table 3.10
constexpr std::uint8_t A_MASK = 3u << A_SHIFT;
constexpr std::uint8_t RESERVED_MASK = 3u << 5;  // bits 6:5 are WIRI (read as zero)
constexpr std::uint8_t L = 1u << 7;              // lock, Priv. spec 3.7.1.2
constexpr std::uint8_t WRITABLE = RWX | A_MASK | L;
}  // namespace pmpcfg

// Priv. spec 3.7.1, Table 3.10: encoding of the A field.
enum class AddressMatching : std::uint8_t { Off = 0, Tor = 1, Na4 = 2, Napot = 3 };

// Smepmp 1.0 Proposal 1-4: mseccfg fields.
namespace mseccfg {
constexpr std::uint32_t MML = 1u << 0;                   // Machine Mode Lockdown (sticky), Proposal 4
constexpr std::uint32_t MMWP = 1u << 1;                  // Machine Mode Whitelist Policy (sticky), Proposal 3
constexpr std::uint32_t RLB = 1u << 2;                   // Rule Locking Bypass, Proposal 2
constexpr std::uint32_t IMPLEMENTED = MML | MMWP | RLB;  // other bits reserved, read zero
}  // namespace mseccfg

}  // namespace bulkhead::pmp
