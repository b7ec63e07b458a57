// Helpers for programming a RiscvPmp the way firmware does: through CSR writes.
#pragma once

#include <cstdint>

#include <gtest/gtest.h>

#include "bulkhead/pmp/riscv_pmp.hpp"

namespace bulkhead::pmp::test {

constexpr std::uint8_t R = pmpcfg::R;
constexpr std::uint8_t W = pmpcfg::W;
constexpr std::uint8_t X = pmpcfg::X;
constexpr std::uint8_t L = pmpcfg::L;
constexpr std::uint8_t OFF = 0u << 3;
constexpr std::uint8_t TOR = 1u << 3;
constexpr std::uint8_t NA4 = 2u << 3;
constexpr std::uint8_t NAPOT = 3u << 3;

// pmpaddr for a NAPOT region of `size` (a power of two >= 8) at `base` (aligned to size): priv. spec
// Table 3.11.
constexpr std::uint32_t napot(std::uint64_t base, std::uint64_t size) {
  return static_cast<std::uint32_t>((base + size / 2 - 1) >> 2);
}
constexpr std::uint32_t tor(std::uint64_t address) {
  return static_cast<std::uint32_t>(address >> 2);
}

inline std::uint8_t cfg_of(const RiscvPmp& pmp, unsigned index) {
  const auto v = pmp.read_csr(static_cast<std::uint16_t>(csr::PMPCFG0 + index / 4));
  return v ? static_cast<std::uint8_t>(*v >> (8 * (index % 4))) : std::uint8_t{0};
}

// Read-modify-writes the pmpcfg CSR holding entry `index`, as firmware does with csrrc/csrrs.
inline void set_cfg(RiscvPmp& pmp, unsigned index, std::uint8_t cfg) {
  const auto csr = static_cast<std::uint16_t>(csr::PMPCFG0 + index / 4);
  const unsigned shift = 8 * (index % 4);
  std::uint32_t v = pmp.read_csr(csr).value_or(0);
  v = (v & ~(0xFFu << shift)) | (static_cast<std::uint32_t>(cfg) << shift);
  ASSERT_TRUE(pmp.write_csr(csr, v));
}

inline void set_addr(RiscvPmp& pmp, unsigned index, std::uint32_t value) {
  ASSERT_TRUE(pmp.write_csr(static_cast<std::uint16_t>(csr::PMPADDR0 + index), value));
}

inline std::uint32_t addr_of(const RiscvPmp& pmp, unsigned index) {
  return pmp.read_csr(static_cast<std::uint16_t>(csr::PMPADDR0 + index)).value();
}

inline void set_entry(RiscvPmp& pmp, unsigned index, std::uint32_t addr, std::uint8_t cfg) {
  set_addr(pmp, index, addr);
  set_cfg(pmp, index, cfg);
}

constexpr Privilege M = Privilege::Privileged;
constexpr Privilege U = Privilege::Unprivileged;

}  // namespace bulkhead::pmp::test
