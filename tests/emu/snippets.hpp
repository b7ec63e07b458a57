// Hand-encoded guest code for engine tests.
#pragma once

#include <cstdint>
#include <vector>

#include "bulkhead/emu/engine.hpp"

namespace bulkhead::emu::test {

constexpr std::uint32_t kCode = 0x0000'1000;
constexpr std::uint32_t kData = 0x2000'0000;
constexpr std::uint32_t kUnmapped = 0x3000'0010;

// Little-endian bytes of Thumb halfwords.
inline std::vector<std::uint8_t> thumb(std::initializer_list<std::uint16_t> hws) {
  std::vector<std::uint8_t> out;
  for (auto h : hws) {
    out.push_back(static_cast<std::uint8_t>(h));
    out.push_back(static_cast<std::uint8_t>(h >> 8));
  }
  return out;
}

// Little-endian bytes of RISC-V words (use rvc() for 16-bit parcels).
inline std::vector<std::uint8_t> rv(std::initializer_list<std::uint32_t> words) {
  std::vector<std::uint8_t> out;
  for (auto w : words)
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(w >> (8 * i)));
  return out;
}

// An engine with 4 KiB of code at kCode and 4 KiB of data at kData, `code` loaded, PC at kCode.
inline Engine make_engine(CpuProfile p, const std::vector<std::uint8_t>& code) {
  Engine e(p);
  e.map(kCode, 0x1000, "code");
  e.map(kData, 0x1000, "data");
  e.write_memory(kCode, code);
  e.set_pc(kCode);
  e.set_sp(kData + 0x1000);
  return e;
}

// Thumb
constexpr std::uint16_t T_NOP = 0xBF00;
constexpr std::uint16_t T_WFI = 0xBF30;
constexpr std::uint16_t T_UDF0 = 0xDE00;
constexpr std::uint16_t T_BKPT0 = 0xBE00;
constexpr std::uint16_t T_SELF_LOOP = 0xE7FE;  // b .
inline constexpr std::uint16_t t_svc(std::uint8_t imm) {
  return 0xDF00 | imm;
}  // svc #imm
inline constexpr std::uint16_t t_movs(unsigned rd, std::uint8_t imm) {  // movs rd, #imm
  return static_cast<std::uint16_t>(0x2000 | rd << 8 | imm);
}
inline constexpr std::uint16_t t_adds(unsigned rd, std::uint8_t imm) {  // adds rd, #imm
  return static_cast<std::uint16_t>(0x3000 | rd << 8 | imm);
}
inline constexpr std::uint16_t t_ldr_lit(unsigned rt, std::uint8_t words) {  // ldr rt, [pc, #words*4]
  return static_cast<std::uint16_t>(0x4800 | rt << 8 | words);
}
inline constexpr std::uint16_t t_str(unsigned rt, unsigned rn) {  // str rt, [rn]
  return static_cast<std::uint16_t>(0x6000 | rn << 3 | rt);
}
inline constexpr std::uint16_t t_ldr(unsigned rt, unsigned rn) {  // ldr rt, [rn]
  return static_cast<std::uint16_t>(0x6800 | rn << 3 | rt);
}

// RV32
constexpr std::uint32_t RV_ECALL = 0x00000073;
constexpr std::uint32_t RV_EBREAK = 0x00100073;
constexpr std::uint32_t RV_WFI = 0x10500073;
constexpr std::uint32_t RV_J_SELF = 0x0000006F;  // jal x0, 0
inline constexpr std::uint32_t rv_addi(unsigned rd, unsigned rs1, std::int32_t imm) {
  return (static_cast<std::uint32_t>(imm) & 0xFFFu) << 20 | rs1 << 15 | rd << 7 | 0x13;
}
inline constexpr std::uint32_t rv_lui(unsigned rd, std::uint32_t imm20) {
  return imm20 << 12 | rd << 7 | 0x37;
}
inline constexpr std::uint32_t rv_sw(unsigned rs2, unsigned rs1, std::int32_t imm) {
  const auto u = static_cast<std::uint32_t>(imm) & 0xFFFu;
  return (u >> 5) << 25 | rs2 << 20 | rs1 << 15 | 2u << 12 | (u & 0x1F) << 7 | 0x23;
}
inline constexpr std::uint32_t rv_lw(unsigned rd, unsigned rs1, std::int32_t imm) {
  return (static_cast<std::uint32_t>(imm) & 0xFFFu) << 20 | rs1 << 15 | 2u << 12 | rd << 7 | 0x03;
}

}  // namespace bulkhead::emu::test
