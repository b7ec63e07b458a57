// A guest fault as a value: what happened, where, and the syndrome the hardware would report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"

namespace bulkhead {

enum class FaultKind : std::uint8_t {
  MemManage,           // Arm: MPU violation (MMFSR)
  BusFault,            // access to unmapped memory (Arm BusFault; RISC-V access fault with no PMP cause)
  UsageFault,          // Arm: undefined instruction (UDF, invalid encoding)
  AccessFault,         // RISC-V: PMP violation (mcause 1/5/7)
  IllegalInstruction,  // RISC-V: mcause 2
  Breakpoint,          // Arm BKPT, RISC-V EBREAK
  HardFault,           // anything else the CPU escalates
};
std::string_view to_string(FaultKind k);

// ARMv7-M ARM B3.2.15: MMFSR bits (the low byte of CFSR).
namespace mmfsr {
constexpr std::uint8_t IACCVIOL = 1u << 0;
constexpr std::uint8_t DACCVIOL = 1u << 1;
constexpr std::uint8_t MUNSTKERR = 1u << 3;
constexpr std::uint8_t MSTKERR = 1u << 4;
constexpr std::uint8_t MLSPERR = 1u << 5;
constexpr std::uint8_t MMARVALID = 1u << 7;
}  // namespace mmfsr

// RISC-V privileged spec, Table 3.6: the exception codes Bulkhead raises.
namespace mcause {
constexpr std::uint32_t InstructionAccessFault = 1;
constexpr std::uint32_t IllegalInstruction = 2;
constexpr std::uint32_t Breakpoint = 3;
constexpr std::uint32_t LoadAccessFault = 5;
constexpr std::uint32_t StoreAccessFault = 7;
}  // namespace mcause

// The syndrome registers as the hardware would leave them.
struct Syndrome {
  // Arm
  std::uint8_t mmfsr = 0;
  std::uint32_t mmfar = 0;  // meaningful only when mmfsr & MMARVALID
  // RISC-V
  std::uint32_t mcause = 0;
  std::uint32_t mtval = 0;
};

struct Fault {
  FaultKind kind = FaultKind::HardFault;
  Arch arch = Arch::ArmV7M;
  std::uint32_t pc = 0;  // address of the faulting instruction
  Access access = Access::Read;
  std::uint32_t address = 0;  // the accessed address (first denied byte for straddling accesses)
  std::uint32_t size = 0;
  Privilege privilege = Privilege::Unprivileged;
  std::optional<Verdict> verdict;  // the protection unit's explanation, when it decided
  Syndrome syndrome;
  std::string detail;  // e.g. "undefined instruction 0xde00"
};

}  // namespace bulkhead
