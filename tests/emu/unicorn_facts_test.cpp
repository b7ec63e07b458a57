// Pins the Unicorn 2.1.1 behaviours Bulkhead relies on (../shared/unicorn-facts.md), seen through the engine.
// A Unicorn build that behaves differently fails here first.
#include <gtest/gtest.h>

#include "snippets.hpp"

namespace bulkhead::emu {
namespace {

using namespace test;

// Fact: UC_MODE_THUMB + uc_ctl_set_cpu_model selects the core; M4 rejects v8-M instructions, M33 runs them.
TEST(UnicornFacts, CpuModelSelectsV7MOrV8M) {
  // lda r0, [r1] (ARMv8-M load-acquire): 0xE8D1 0x0FAF
  const auto code = thumb({t_ldr_lit(1, 1), 0xE8D1, 0x0FAF, T_SELF_LOOP, 0x0000, 0x2000});
  auto m4 = make_engine(CpuProfile::CortexM4, code);
  RunResult r4 = m4.run(10);
  ASSERT_EQ(r4.reason, StopReason::Fault);
  EXPECT_EQ(r4.fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(r4.fault->pc, kCode + 2);
  auto m33 = make_engine(CpuProfile::CortexM33, code);
  EXPECT_EQ(m33.run(10).reason, StopReason::Budget);
}

// Fact: WFI silently ends the run with UC_ERR_OK.
TEST(UnicornFacts, WfiEndsTheRun) {
  auto e = make_engine(CpuProfile::CortexM4, thumb({T_NOP, T_WFI, T_SELF_LOOP}));
  EXPECT_EQ(e.run(100).reason, StopReason::Halted);
}

// Fact: a TLB-fill denial is precise even mid-block: PC at the faulting instruction, earlier ones done,
// memory untouched (checked by reading back the target after mapping it... it is unmapped, so: the run
// resumes at the same PC and faults again, with the same instruction count).
TEST(UnicornFacts, FillDenialIsPreciseAndRepeatable) {
  auto e = make_engine(CpuProfile::Rv32imac,
                       rv({rv_addi(12, 0, 1), rv_lui(10, kUnmapped >> 12), rv_sw(12, 10, 0), RV_J_SELF}));
  RunResult a = e.run(100);
  ASSERT_EQ(a.reason, StopReason::Fault);
  EXPECT_EQ(a.pc, kCode + 8);
  EXPECT_EQ(a.instructions, 2u);
  RunResult b = e.run(100);  // a denial is not cached: the next access asks again
  ASSERT_EQ(b.reason, StopReason::Fault);
  EXPECT_EQ(b.pc, kCode + 8);
  EXPECT_EQ(b.instructions, 0u);
}

// Fact: SVC reaches UC_HOOK_INTR with no exception entry: SP, LR unchanged.
TEST(UnicornFacts, SvcDoesNotStackOrChangeSpLr) {
  auto e = make_engine(CpuProfile::CortexM4, thumb({t_svc(0), T_SELF_LOOP}));
  e.set_reg(14, 0x1234'5679);
  const auto sp = e.sp();
  ASSERT_EQ(e.run(10).reason, StopReason::Syscall);
  EXPECT_EQ(e.sp(), sp);
  EXPECT_EQ(e.reg(14), 0x1234'5679u);
}

// Fact: ECALL is intno 8 with PC already at ecall+4, also from a compressed-code stream.
TEST(UnicornFacts, EcallAfterCompressedInstructionStopsAfterIt) {
  auto code = std::vector<std::uint8_t>{0x05, 0x45};  // c.li a0, 1
  for (auto b : rv({RV_ECALL, RV_J_SELF})) code.push_back(b);
  auto e = make_engine(CpuProfile::Rv32imac, code);
  RunResult r = e.run(10);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(r.pc, kCode + 6);
  EXPECT_EQ(e.reg(10), 1u);
  EXPECT_EQ(r.instructions, 2u);
}

// Fact: host writes to CONTROL obey guest MSR rules; from privileged thread mode, nPRIV=1 sticks, and the
// guest then reads CONTROL.nPRIV = 1 (modules run unprivileged).
TEST(UnicornFacts, DropPrivilegeSetsNPrivSeenByTheGuest) {
  // mrs r0, CONTROL (0xF3EF 0x8014); svc #0
  auto e = make_engine(CpuProfile::CortexM4, thumb({0xF3EF, 0x8014, t_svc(0), T_SELF_LOOP}));
  e.drop_privilege();
  ASSERT_EQ(e.run(10).reason, StopReason::Syscall);
  EXPECT_EQ(e.reg(0) & 1u, 1u);
  auto privileged = make_engine(CpuProfile::CortexM33, thumb({0xF3EF, 0x8014, t_svc(0), T_SELF_LOOP}));
  ASSERT_EQ(privileged.run(10).reason, StopReason::Syscall);
  EXPECT_EQ(privileged.reg(0) & 1u, 0u);
}

}  // namespace
}  // namespace bulkhead::emu
