// The engine wrapper's contract: guest events come back as values, memory map rules, moves, budgets.
#include <gtest/gtest.h>

#include "snippets.hpp"

namespace bulkhead::emu {
namespace {

using namespace test;

TEST(Engine, SvcStopsWithItsImmediateAndPcAfterIt) {
  auto e = make_engine(CpuProfile::CortexM4, thumb({t_movs(0, 7), t_svc(0x42), T_SELF_LOOP}));
  RunResult r = e.run(1000);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(r.trap_imm, 0x42u);
  EXPECT_EQ(r.pc, kCode + 4);
  EXPECT_EQ(e.reg(0), 7u);
  EXPECT_EQ(r.instructions, 2u);
}

TEST(Engine, RunResumesAfterSyscall) {
  auto e = make_engine(CpuProfile::CortexM33, thumb({t_svc(1), t_movs(1, 9), t_svc(2), T_SELF_LOOP}));
  EXPECT_EQ(e.run(100).trap_imm, 1u);
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(r.trap_imm, 2u);
  EXPECT_EQ(e.reg(1), 9u);
  EXPECT_EQ(e.instructions_executed(), 3u);
}

TEST(Engine, BudgetStopsAnInfiniteLoop) {
  auto e = make_engine(CpuProfile::CortexM4, thumb({t_adds(0, 1), 0xE7FD /* b .-2 */}));
  RunResult r = e.run(10'000);
  ASSERT_EQ(r.reason, StopReason::Budget);
  // The budget is counted per block (here 2 instructions): it stops within one block of the limit.
  EXPECT_GE(r.instructions, 10'000u);
  EXPECT_LE(r.instructions, 10'002u);
  EXPECT_EQ(e.reg(0), r.instructions / 2);
}

TEST(Engine, ZeroBudgetRunsNothing) {
  auto e = make_engine(CpuProfile::Rv32imac, rv({rv_addi(10, 0, 5)}));
  RunResult r = e.run(0);
  EXPECT_EQ(r.reason, StopReason::Budget);
  EXPECT_EQ(e.reg(10), 0u);
}

TEST(Engine, UndefinedInstructionIsUsageFaultAtItsPc) {
  auto e = make_engine(CpuProfile::CortexM4, thumb({T_NOP, T_UDF0}));
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(r.fault->pc, kCode + 2);
}

TEST(Engine, BkptIsBreakpointAtItsPc) {
  auto e = make_engine(CpuProfile::CortexM33, thumb({T_NOP, T_NOP, T_BKPT0}));
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::Breakpoint);
  EXPECT_EQ(r.fault->pc, kCode + 4);
}

TEST(Engine, UnmappedStoreIsPreciseBusFaultWithNothingWritten) {
  // r0 = unmapped address (literal), r1 = 5, r2 = 3 then the store; r2 is set in the same block before it.
  auto code = thumb({t_ldr_lit(0, 2), t_movs(1, 5), t_movs(2, 3), t_str(1, 0), T_SELF_LOOP, T_NOP});
  code.push_back(kUnmapped & 0xFF);
  code.push_back((kUnmapped >> 8) & 0xFF);
  code.push_back((kUnmapped >> 16) & 0xFF);
  code.push_back(kUnmapped >> 24);
  auto e = make_engine(CpuProfile::CortexM4, code);
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::BusFault);
  EXPECT_EQ(r.fault->pc, kCode + 6);
  EXPECT_EQ(r.pc, kCode + 6);
  EXPECT_EQ(r.fault->access, Access::Write);
  EXPECT_EQ(r.fault->address, kUnmapped);
  EXPECT_EQ(r.fault->size, 4u);
  EXPECT_EQ(e.reg(2), 3u);  // earlier instructions of the block completed
  EXPECT_EQ(r.instructions, 3u);
}

TEST(Engine, UnmappedLoadLeavesDestinationUntouched) {
  auto e =
      make_engine(CpuProfile::Rv32imac, rv({rv_lui(10, kUnmapped >> 12), rv_addi(10, 10, kUnmapped & 0xFFF),
                                            rv_addi(11, 0, 77), rv_lw(11, 10, 0), RV_J_SELF}));
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::BusFault);
  EXPECT_EQ(r.fault->pc, kCode + 12);
  EXPECT_EQ(r.fault->access, Access::Read);
  EXPECT_EQ(r.fault->address, kUnmapped);
  EXPECT_EQ(e.reg(11), 77u);
}

TEST(Engine, FetchFromUnmappedIsBusFaultAtTarget) {
  auto e = make_engine(CpuProfile::Rv32imac, rv({RV_J_SELF}));
  e.set_pc(0x5000'0000);
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::BusFault);
  EXPECT_EQ(r.fault->access, Access::Execute);
  EXPECT_EQ(r.fault->address, 0x5000'0000u);
}

TEST(Engine, RiscvEcallStopsAfterIt) {
  auto e = make_engine(CpuProfile::Rv32imac, rv({rv_addi(17, 0, 1), RV_ECALL, RV_J_SELF}));
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(r.pc, kCode + 8);
  EXPECT_EQ(e.reg(17), 1u);
}

TEST(Engine, RiscvIllegalCompressedInstructionReportsTruePc) {
  // 0x0000 is the defined-illegal 16-bit parcel; Unicorn reports PC+4 even for 16-bit instructions.
  auto code = rv({rv_addi(10, 0, 1)});
  code.push_back(0);
  code.push_back(0);
  auto e = make_engine(CpuProfile::Rv32imac, code);
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::IllegalInstruction);
  EXPECT_EQ(r.fault->pc, kCode + 4);
  EXPECT_EQ(r.fault->syndrome.mcause, mcause::IllegalInstruction);
}

TEST(Engine, RiscvEbreakIsBreakpointAtItsPc) {
  auto e = make_engine(CpuProfile::Rv32imac, rv({rv_addi(10, 0, 1), RV_EBREAK}));
  RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::Breakpoint);
  EXPECT_EQ(r.fault->pc, kCode + 4);
}

TEST(Engine, MapRejectsOverlapAndMisalignment) {
  Engine e(CpuProfile::CortexM4);
  e.map(0x1000, 0x2000, "a");
  EXPECT_THROW(e.map(0x2000, 0x1000, "b"), EngineError);
  EXPECT_THROW(e.map(0x8100, 0x1000, "c"), EngineError);
  EXPECT_THROW(e.map(0xFFFF'F000, 0x2000, "d"), EngineError);
  EXPECT_TRUE(e.is_mapped(0x1000, 0x2000));
  EXPECT_FALSE(e.is_mapped(0x2FFF, 2));
  std::uint8_t b[4] = {};
  EXPECT_THROW(e.read_memory(0x9000, b), EngineError);
}

TEST(Engine, MovedEngineKeepsItsHooks) {
  auto a = make_engine(CpuProfile::CortexM4, thumb({t_svc(5), T_SELF_LOOP}));
  Engine b = std::move(a);
  RunResult r = b.run(100);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(r.trap_imm, 5u);
}

TEST(Engine, ProfilesParseAndMapToArchitectures) {
  EXPECT_EQ(parse_profile("cortex-m33"), CpuProfile::CortexM33);
  EXPECT_FALSE(parse_profile("cortex-a53").has_value());
  EXPECT_EQ(arch_of(CpuProfile::Rv32imac), Arch::Rv32);
  EXPECT_EQ(default_profile(Arch::ArmV8M), CpuProfile::CortexM33);
}

}  // namespace
}  // namespace bulkhead::emu
