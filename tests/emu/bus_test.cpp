// The checked bus with real protection models: precise faults, nothing written, split pages exact.
#include <gtest/gtest.h>

#include <array>
#include <chrono>

#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/csr.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"
#include "snippets.hpp"

namespace bulkhead::emu::test {
namespace {

using mpu::make_v7_rasr;

// Thumb encodings used here (ARMv7-M ARM A7.7).
constexpr std::uint16_t t_strh(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x8000 | rn << 3 | rt);
}
constexpr std::uint16_t t_strb(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x7000 | rn << 3 | rt);
}
constexpr std::uint16_t t_ldrh(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x8800 | rn << 3 | rt);
}
constexpr std::uint16_t t_ldrb(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x7800 | rn << 3 | rt);
}
constexpr std::uint16_t T_PUSH_R0_R3 = 0xB40F;
constexpr std::uint16_t T_STMIA_R1_R2_R3 = 0xC10C;  // stmia r1!, {r2, r3}
constexpr std::uint16_t T_BX_R2 = 0x4710;

constexpr std::uint32_t AP_FULL = 0b011;  // Table B3-15: privileged and unprivileged read/write
constexpr std::uint32_t AP_RO = 0b110;    // read-only at both levels

// PMSAv7: code 0x0000-0x1FFF read-only executable; data 0x20000000+256 read/write XN. The rest of the first
// data page (1 KiB) is outside every region: that page is split.
struct ArmSystem {
  mpu::ArmMpuV7 mpu;
  Engine engine;
  explicit ArmSystem(const std::vector<std::uint8_t>& code, std::uint32_t data_size_field = 7)
      : engine(make_engine(CpuProfile::CortexM4, code)) {
    engine.map(0x2000'1000, 0x1000, "data2");
    mpu.set_region(0, 0x0000'0000, make_v7_rasr(12, AP_RO, false));  // 8 KiB
    mpu.set_region(1, kData, make_v7_rasr(data_size_field, AP_FULL, true));
    mpu.set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
    engine.set_protection_unit(&mpu);
    engine.drop_privilege();
  }
  std::array<std::uint32_t, 13> regs() const {
    std::array<std::uint32_t, 13> r{};
    for (unsigned i = 0; i < r.size(); ++i) r[i] = engine.reg(i);
    return r;
  }
};

TEST(CheckedBus, AllowedStoreOnSplitPageLands) {
  ArmSystem s(thumb({t_str(0, 1), t_ldr(2, 1), T_UDF0}));
  s.engine.set_reg(0, 0xCAFE'F00D);
  s.engine.set_reg(1, kData + 0x10);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::UsageFault);  // reached the UDF: both accesses were allowed
  EXPECT_EQ(s.engine.read_u32(kData + 0x10), 0xCAFE'F00Du);
  EXPECT_EQ(s.engine.reg(2), 0xCAFE'F00Du);
}

TEST(CheckedBus, DeniedStoreOnSplitPageIsPreciseAndWritesNothing) {
  ArmSystem s(thumb({t_movs(3, 7), t_str(0, 1), t_movs(4, 9), T_UDF0}));
  s.engine.set_reg(0, 0x1234'5678);
  s.engine.set_reg(1, kData + 0x104);  // just past the 256-byte region, same 1 KiB page
  const auto before = s.regs();
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.pc, kCode + 2);
  EXPECT_EQ(r.fault->pc, kCode + 2);
  EXPECT_EQ(r.fault->access, Access::Write);
  EXPECT_EQ(r.fault->address, kData + 0x104);
  EXPECT_EQ(r.fault->size, 4u);
  EXPECT_EQ(r.fault->syndrome.mmfsr, mmfsr::DACCVIOL | mmfsr::MMARVALID);
  EXPECT_EQ(r.fault->syndrome.mmfar, kData + 0x104);
  ASSERT_TRUE(r.fault->verdict);
  EXPECT_FALSE(r.fault->verdict->allowed);
  EXPECT_EQ(s.engine.read_u32(kData + 0x104), 0u);
  auto after = s.regs();
  EXPECT_EQ(after[3], 7u);  // the instruction before it completed
  after[3] = before[3];
  EXPECT_EQ(after, before);  // nothing else changed; r4 not yet 9
}

TEST(CheckedBus, DeniedLoadOnWholeDeniedPageIsPreciseAndLeavesDestination) {
  ArmSystem s(thumb({t_movs(3, 7), t_ldr(0, 1), T_UDF0}));
  s.engine.set_reg(0, 0x5555'5555);
  s.engine.set_reg(1, 0x2000'1008);  // a page no region covers
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.pc, kCode + 2);
  EXPECT_EQ(r.fault->address, 0x2000'1008u);
  EXPECT_EQ(r.fault->access, Access::Read);
  EXPECT_EQ(r.fault->syndrome.mmfar, 0x2000'1008u);
  EXPECT_EQ(s.engine.reg(0), 0x5555'5555u);
  EXPECT_EQ(s.engine.reg(3), 7u);
}

TEST(CheckedBus, UnalignedStoreStraddlingTheRegionEdgeWritesNoByte) {
  // ARMv7-M ARM B3.5: every byte of an access is checked; the access faults if any byte is denied.
  ArmSystem s(thumb({t_str(0, 1), T_UDF0}));
  s.engine.set_reg(0, 0xAABB'CCDD);
  s.engine.set_reg(1, kData + 0xFE);  // two bytes inside the region, two outside
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode);
  EXPECT_EQ(s.engine.read_u32(kData + 0xFC), 0u);
  EXPECT_EQ(s.engine.read_u32(kData + 0x100), 0u);
}

TEST(CheckedBus, UnalignedLoadInsideTheRegionNextToTheEdgeIsAllowed) {
  // Unicorn widens an unaligned MMIO load to aligned halves that reach past the edge; the probe settles it.
  ArmSystem s(thumb({t_ldr(0, 1), t_ldrh(2, 3), T_UDF0}));
  std::vector<std::uint8_t> bytes = {1, 2, 3, 4, 5, 6, 7, 8};
  s.engine.write_memory(kData + 0xF8, bytes);
  s.engine.set_reg(1, kData + 0xF9);
  s.engine.set_reg(3, kData + 0xFD);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::UsageFault) << r.fault->detail;
  EXPECT_EQ(s.engine.reg(0), 0x0504'0302u);
  EXPECT_EQ(s.engine.reg(2), 0x0706u);
}

TEST(CheckedBus, UnalignedLoadStraddlingTheEdgeFaultsAtItsFirstDeniedByte) {
  ArmSystem s(thumb({t_ldr(0, 1), T_UDF0}));
  s.engine.set_reg(0, 0x7777'7777);
  s.engine.set_reg(1, kData + 0xFE);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode);
  EXPECT_EQ(r.fault->size, 4u);
  EXPECT_EQ(r.fault->address, kData + 0x100);
  EXPECT_EQ(s.engine.reg(0), 0x7777'7777u);
}

TEST(CheckedBus, PushOverTheRegionEdgeIsAbandonedWithNothingWritten) {
  // SP at the region base + 8: push {r0-r3} needs 16 bytes, the lower 8 are outside.
  ArmSystem s(thumb({T_PUSH_R0_R3, T_UDF0}));
  for (unsigned i = 0; i < 4; ++i) s.engine.set_reg(i, 0x1111'1111u * (i + 1));
  // Move the region up so that the stack's lower neighbour is denied on the same page.
  s.mpu.set_region(1, kData + 0x100, make_v7_rasr(7, AP_FULL, true));
  s.engine.set_sp(kData + 0x108);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode);
  EXPECT_EQ(r.fault->access, Access::Write);
  EXPECT_EQ(s.engine.sp(), kData + 0x108);  // no write-back
  for (std::uint32_t a = kData + 0xF8; a < kData + 0x108; a += 4) EXPECT_EQ(s.engine.read_u32(a), 0u) << a;
}

TEST(CheckedBus, StmAbandonedOnASplitPageLeavesBaseAndMemory) {
  ArmSystem s(thumb({T_STMIA_R1_R2_R3, T_UDF0}));
  s.engine.set_reg(1, kData + 0xFC);  // first word inside, second outside
  s.engine.set_reg(2, 0xAAAA'AAAA);
  s.engine.set_reg(3, 0xBBBB'BBBB);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->address, kData + 0x100);
  EXPECT_EQ(s.engine.reg(1), kData + 0xFC);
  EXPECT_EQ(s.engine.read_u32(kData + 0xFC), 0u);  // docs/design.md: split pages write no beat
}

TEST(CheckedBus, FetchFromExecuteNeverRegionIsIaccviolAtTheTarget) {
  ArmSystem s(thumb({T_BX_R2}));
  s.engine.set_reg(2, kData | 1u);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.pc, kData);
  EXPECT_EQ(r.fault->access, Access::Execute);
  EXPECT_EQ(r.fault->syndrome.mmfsr, mmfsr::IACCVIOL);  // MMFAR not valid for fetches (B3.2.15)
}

TEST(CheckedBus, ThirtyTwoBitInstructionStraddlingIntoNonExecutableRegionFaultsAtItsStart) {
  // Code region 0x1000+32 only (a split page): ldr.w at 0x101E has its second halfword at 0x1020.
  std::vector<std::uint8_t> code(0x20, 0);
  for (std::size_t i = 0; i + 1 < code.size(); i += 2) code[i + 1] = 0xBF;  // nops (0xBF00)
  const auto ldrw = thumb({0xF8D1, 0x0000});                                // ldr.w r0, [r1]
  code[0x1E] = ldrw[0];
  code[0x1F] = ldrw[1];
  code.push_back(ldrw[2]);
  code.push_back(ldrw[3]);
  ArmSystem s(code);
  s.mpu.set_region(0, kCode, make_v7_rasr(4, AP_RO, false));  // 32 bytes
  s.engine.set_reg(1, kData);
  s.engine.set_pc(kCode + 0x1C);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode + 0x1E);
  EXPECT_EQ(r.pc, kCode + 0x1E);
  EXPECT_EQ(r.fault->access, Access::Execute);
  EXPECT_EQ(r.fault->syndrome.mmfsr, mmfsr::IACCVIOL);
}

TEST(CheckedBus, ReprogrammingTakesEffectAtTheNextRun) {
  ArmSystem s(thumb({t_str(0, 1), t_svc(0), t_str(0, 1), T_UDF0}));
  s.engine.set_reg(0, 1);
  s.engine.set_reg(1, kData + 0x20);
  RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Syscall);
  EXPECT_EQ(s.engine.read_u32(kData + 0x20), 1u);
  // The kernel makes the data region read-only (its TLB entry was writable a moment ago).
  s.mpu.set_region(1, kData, make_v7_rasr(7, AP_RO, true));
  s.engine.set_reg(0, 2);
  r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode + 4);
  EXPECT_EQ(s.engine.read_u32(kData + 0x20), 1u);
}

TEST(CheckedBus, ContextRestoreDropsPermissionsCachedForAnotherContext) {
  ArmSystem s(thumb({t_str(0, 1), T_UDF0}));
  s.engine.set_reg(0, 3);
  s.engine.set_reg(1, kData + 0x40);
  const CpuContext start = s.engine.save_context();
  ASSERT_EQ(s.engine.run(100).fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(s.engine.read_u32(kData + 0x40), 3u);
  // Another "partition" programming without the data region, then the saved context again.
  s.mpu.clear_region(1);
  s.engine.restore_context(start);
  s.engine.set_reg(0, 4);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(s.engine.read_u32(kData + 0x40), 3u);
}

TEST(CheckedBus, UnprivilegedAccessToThePpbFaults) {
  ArmSystem s(thumb({t_ldr(0, 1), T_UDF0}));
  s.engine.set_reg(0, 0x4242'4242);
  s.engine.set_reg(1, mpu::addr::MPU_CTRL);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_NE(r.fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(r.fault->pc, kCode);
  EXPECT_EQ(s.engine.reg(0), 0x4242'4242u);
}

TEST(CheckedBus, PrivilegedCodeUsesTheBackgroundMap) {
  // PRIVDEFENA: privileged accesses outside every region use the default map (B3.5.1).
  mpu::ArmMpuV7 mpu;
  Engine e = make_engine(CpuProfile::CortexM4, thumb({t_str(0, 1), T_UDF0}));
  mpu.set_region(0, 0, make_v7_rasr(12, AP_RO, false));
  mpu.set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
  e.set_protection_unit(&mpu);
  e.set_reg(0, 9);
  e.set_reg(1, kData + 0x300);
  EXPECT_EQ(e.run(100).fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(e.read_u32(kData + 0x300), 9u);
  EXPECT_EQ(e.privilege(), Privilege::Privileged);
}

TEST(CheckedBus, Pmsav8RegionEdgeInsideAPageIsExact) {
  mpu::ArmMpuV8 mpu;
  Engine e = make_engine(CpuProfile::CortexM33, thumb({t_strb(0, 1), t_strb(0, 2), T_UDF0}));
  // D1.2 MPU_RBAR/RLAR: code RO executable; data 0x20000000..0x2000003F RW XN (64 bytes).
  mpu.write(mpu::addr::MPU_RNR, 0);
  mpu.write(mpu::addr::MPU_RBAR, mpu::make_v8_rbar(0, 0b11, false));  // RO, unprivileged allowed
  mpu.write(mpu::addr::MPU_RLAR, mpu::make_v8_rlar(0x1FE0));
  mpu.write(mpu::addr::MPU_RNR, 1);
  mpu.write(mpu::addr::MPU_RBAR, mpu::make_v8_rbar(kData, 0b01, true));  // RW, unprivileged allowed
  mpu.write(mpu::addr::MPU_RLAR, mpu::make_v8_rlar(kData + 0x20));
  mpu.write(mpu::addr::MPU_CTRL, mpu::ctrl::ENABLE);
  e.set_protection_unit(&mpu);
  e.drop_privilege();
  e.set_reg(0, 0x5A);
  e.set_reg(1, kData + 0x3F);  // last byte of the region
  e.set_reg(2, kData + 0x40);  // first byte after it
  const RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.fault->pc, kCode + 2);
  EXPECT_EQ(r.fault->address, kData + 0x40);
  std::uint8_t b[2] = {};
  e.read_memory(kData + 0x3F, b);
  EXPECT_EQ(b[0], 0x5A);
  EXPECT_EQ(b[1], 0);
}

// ---- RISC-V: PMP decides for U-mode while the hart stays in M-mode ----

constexpr std::uint32_t napot(std::uint32_t base, std::uint32_t size) {
  return (base >> 2) | ((size / 8) - 1);
}
constexpr std::uint8_t kNapot = 3u << pmp::pmpcfg::A_SHIFT;

struct RvSystem {
  pmp::RiscvPmp pmp;
  Engine engine;
  explicit RvSystem(const std::vector<std::uint8_t>& code, std::uint32_t data_size = 256)
      : engine(make_engine(CpuProfile::Rv32imac, code)) {
    pmp.write_csr(pmp::csr::PMPADDR0, napot(kCode, 0x1000));
    pmp.write_csr(pmp::csr::PMPADDR0 + 1, napot(kData, data_size));
    pmp.write_csr(pmp::csr::PMPCFG0, (pmp::pmpcfg::R | pmp::pmpcfg::X | kNapot) |
                                         std::uint32_t(pmp::pmpcfg::R | pmp::pmpcfg::W | kNapot) << 8);
    engine.set_protection_unit(&pmp);
    engine.drop_privilege();
  }
};

TEST(CheckedBus, RiscvDeniedStoreIsStoreAccessFaultWithMtval) {
  RvSystem s(rv({rv_addi(5, 0, 7), rv_sw(6, 7, 0), rv_addi(5, 0, 9), RV_EBREAK}));
  s.engine.set_reg(6, 0x1234);
  s.engine.set_reg(7, kData + 0x100);  // just past the 256-byte entry, same 4 KiB page
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault);
  EXPECT_EQ(r.fault->pc, kCode + 4);
  EXPECT_EQ(r.pc, kCode + 4);
  EXPECT_EQ(r.fault->syndrome.mcause, mcause::StoreAccessFault);
  EXPECT_EQ(r.fault->syndrome.mtval, kData + 0x100);
  EXPECT_EQ(s.engine.reg(5), 7u);
  EXPECT_EQ(s.engine.read_u32(kData + 0x100), 0u);
}

TEST(CheckedBus, RiscvLoadAndFetchFaultsCarryTheirCauses) {
  RvSystem s(rv({rv_lw(5, 7, 0), RV_EBREAK}));
  s.engine.set_reg(7, 0x2000'0800);
  RunResult r = s.engine.run(100);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault);
  EXPECT_EQ(r.fault->syndrome.mcause, mcause::LoadAccessFault);
  EXPECT_EQ(r.fault->syndrome.mtval, 0x2000'0800u);
  s.engine.set_pc(kData);  // data is not executable
  r = s.engine.run(100);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault) << r.fault->detail << " pc " << r.fault->pc;
  EXPECT_EQ(r.fault->syndrome.mcause, mcause::InstructionAccessFault);
  EXPECT_EQ(r.fault->pc, kData);
}

TEST(CheckedBus, RiscvCompressedStoreFaultReportsItsOwnPc) {
  // c.sw x9, 0(x8) after a 16-bit c.nop: the fault PC is the c.sw's, not PC-4 or PC+4.
  std::vector<std::uint8_t> code = {0x01, 0x00, 0x04, 0xC0};  // c.nop; c.sw x9, 0(x8)
  auto tail = rv({RV_EBREAK});
  code.insert(code.end(), tail.begin(), tail.end());
  RvSystem s(code);
  s.engine.set_reg(8, kData + 0x200);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault);
  EXPECT_EQ(r.fault->pc, kCode + 2);
  EXPECT_EQ(r.fault->size, 4u);
}

TEST(CheckedBus, RiscvAccessStraddlingTwoEntriesFailsAsAPartialMatch) {
  // Two adjacent RW entries: a misaligned word across their boundary matches the first only partly
  // (priv. spec 3.7.1: the lowest-numbered matching entry must match all bytes).
  RvSystem s(rv({rv_lw(5, 7, 0), RV_EBREAK}), 128);
  s.pmp.write_csr(pmp::csr::PMPADDR0 + 2, napot(kData + 0x80, 128));
  s.pmp.write_csr(pmp::csr::PMPCFG0,
                  static_cast<std::uint32_t>(s.pmp.read_csr(pmp::csr::PMPCFG0).value_or(0)) |
                      std::uint32_t(pmp::pmpcfg::R | pmp::pmpcfg::W | kNapot) << 16);
  s.engine.set_reg(5, 0x99);
  s.engine.set_reg(7, kData + 0x7E);
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault) << r.fault->detail;
  EXPECT_EQ(r.fault->pc, kCode);
  EXPECT_EQ(s.engine.reg(5), 0x99u);
}

TEST(CheckedBus, RiscvMachineModeInstructionsAreIllegalInUserMode) {
  for (std::uint32_t insn : {0x3000'2573u /* csrr a0, mstatus */, 0x3020'0073u /* mret */, RV_WFI}) {
    RvSystem s(rv({rv_addi(5, 0, 1), insn, RV_EBREAK}));
    s.engine.set_reg(10, 0x77);
    const RunResult r = s.engine.run(100);
    ASSERT_EQ(r.reason, StopReason::Fault) << std::hex << insn;
    ASSERT_EQ(r.fault->kind, FaultKind::IllegalInstruction) << std::hex << insn;
    EXPECT_EQ(r.fault->pc, kCode + 4);
    EXPECT_EQ(r.fault->syndrome.mcause, mcause::IllegalInstruction);
    EXPECT_EQ(r.fault->syndrome.mtval, insn);
    EXPECT_EQ(s.engine.reg(5), 1u);
    EXPECT_EQ(s.engine.reg(10), 0x77u);  // the CSR read did not happen
  }
}

TEST(CheckedBus, RiscvMachineModeInstructionsRunWhilePrivileged) {
  Engine e = make_engine(CpuProfile::Rv32imac, rv({0x3000'2573u, RV_EBREAK}));
  const RunResult r = e.run(100);
  ASSERT_EQ(r.fault->kind, FaultKind::Breakpoint);
}

TEST(CheckedBus, TimeLimitStopsAnEndlessLoopWithoutCounting) {
  Engine e(CpuProfile::CortexM4, EngineOptions{.bus = BusMode::Checked, .count_instructions = false});
  e.map(kCode, 0x1000, "code");
  e.write_memory(kCode, thumb({T_SELF_LOOP}));
  e.set_pc(kCode);
  e.set_time_limit(std::chrono::milliseconds(20));
  const RunResult r = e.run(~0ull);
  EXPECT_EQ(r.reason, StopReason::Budget);
  EXPECT_EQ(r.pc, kCode);
}

}  // namespace
}  // namespace bulkhead::emu::test

namespace bulkhead::emu::test {
namespace {
// Found by the property test: an unaligned store from a page one region decides into a split page.
TEST(CheckedBus, UnalignedStoreFromAUniformPageIntoASplitPageWritesNoByte) {
  mpu::ArmMpuV7 mpu;
  Engine e = make_engine(CpuProfile::CortexM4, thumb({0x6008, T_UDF0}));
  e.map(kData + 0x1000, 0x1000, "data2");
  mpu.set_region(0, 0, make_v7_rasr(12, 0b110, false));
  mpu.set_region(3, 0x20001200, make_v7_rasr(7, 0b011, true));
  mpu.set_region(4, 0x20000c00, make_v7_rasr(9, 0b011, true));
  mpu.set_region(5, 0x20000800, make_v7_rasr(10, 0b011, false));
  mpu.set_ctrl(mpu::ctrl::ENABLE);
  e.set_protection_unit(&mpu);
  e.drop_privilege();
  e.set_reg(1, 0x20000ffd);
  e.set_reg(0, 0x11223344);
  RunResult r = e.run(50);
  EXPECT_EQ(r.fault->kind, FaultKind::MemManage) << r.fault->detail;
  EXPECT_EQ(e.read_u32(0x20000ffc), 0u);
  EXPECT_EQ(e.read_u32(0x20001000), 0u);
}
}  // namespace
}  // namespace bulkhead::emu::test

namespace bulkhead::emu::test {
namespace {

// With a split page the code hook counts instructions: budgets stop exactly, and stopping and resuming (with
// context switches in between) never changes the count. Found by running a layout with small time slices.
TEST(CheckedBus, InstructionCountIsExactAcrossBudgetStopsOnASplitPage) {
  // movs r0,#0 ; loop: adds r0,#1 ; cmp r0,#100 ; bne loop ; udf  -> 1 + 3*100 instructions, then the UDF
  const auto code = thumb({t_movs(0, 0), t_adds(0, 1), 0x2864, 0xD1FC, T_UDF0});
  for (std::uint64_t budget : {1000ull, 7ull, 3ull, 1ull}) {
    for (bool switch_context : {false, true}) {
      mpu::ArmMpuV7 mpu;
      mpu.set_region(0, kCode, make_v7_rasr(4, AP_RO, false));  // 32 bytes: the code page is split
      mpu.set_ctrl(mpu::ctrl::ENABLE);
      Engine e = make_engine(CpuProfile::CortexM4, code);
      e.set_protection_unit(&mpu);
      e.drop_privilege();
      std::uint64_t total = 0;
      RunResult r;
      for (int runs = 0; runs < 10000; ++runs) {
        if (switch_context) e.restore_context(e.save_context());
        r = e.run(budget);
        total += r.instructions;
        if (r.reason != StopReason::Budget) break;
        EXPECT_LE(r.instructions, budget);
      }
      ASSERT_EQ(r.reason, StopReason::Fault);
      EXPECT_EQ(r.fault->kind, FaultKind::UsageFault);
      EXPECT_EQ(total, 301u) << "budget " << budget;
      EXPECT_EQ(e.reg(0), 100u);
    }
  }
}

}  // namespace
}  // namespace bulkhead::emu::test

namespace bulkhead::emu::test {
namespace {

// Installing the exact-PC hook drops every translated block, also those of code the unit in force does not
// let run (another partition's): Unicorn finds blocks through a fetch translation of the range, which that
// unit points at nowhere. A block left without the code hook would never stop at the budget.
TEST(CheckedBus, ExactPcHookReachesBlocksOfCodeTheUnitInForceCannotRun) {
  Engine e = make_engine(CpuProfile::CortexM4, thumb({t_movs(0, 1), T_SELF_LOOP}));
  mpu::ArmMpuV7 runs;   // code executable
  mpu::ArmMpuV7 other;  // the same code, not executable (XN)
  runs.set_region(0, 0x0000'0000, make_v7_rasr(12, AP_RO, false));
  other.set_region(0, 0x0000'0000, make_v7_rasr(12, AP_RO, true));
  for (auto* m : {&runs, &other}) {
    m->set_region(1, kData, make_v7_rasr(11, AP_FULL, true));
    m->set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
  }
  e.set_protection_unit(&runs);
  e.drop_privilege();
  ASSERT_EQ(e.run(300).reason, StopReason::Budget);  // the loop's blocks are translated, without a code hook
  e.set_protection_unit(&other);
  e.enable_exact_pc();
  e.set_protection_unit(&runs);
  e.set_time_limit(std::chrono::seconds(2));  // the run without the hook never stops at its budget
  const RunResult r = e.run(250);
  ASSERT_EQ(r.reason, StopReason::Budget);
  EXPECT_EQ(r.instructions, 250u);
  EXPECT_EQ(r.pc, kCode + 2);
}

}  // namespace
}  // namespace bulkhead::emu::test

namespace bulkhead::emu::test {
namespace {

// RV32: a misaligned store from a page the unit grants whole into a mapped neighbour no access is allowed on.
// The neighbour's fill refuses before any byte is stored, so the page needs no alias (and the layout no
// exact-PC hook): the store faults whole, at its instruction, and the granted page keeps its bytes.
TEST(CheckedBus, RiscvStoreCrossingIntoAnInaccessiblePageFaultsWholeWithoutAnAlias) {
  RvSystem s(rv({rv_addi(5, 0, 7), rv_sw(6, 7, 0), rv_addi(5, 0, 9), RV_EBREAK}), 0x1000);
  s.engine.map(kData + 0x1000, 0x1000, "beyond");  // mapped, outside every entry
  s.engine.write_memory(kData + 0xFFC, std::vector<std::uint8_t>{1, 2, 3, 4});
  s.engine.set_reg(6, 0xAABBCCDD);
  s.engine.set_reg(7, kData + 0xFFE);  // two bytes in each page
  const RunResult r = s.engine.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  ASSERT_EQ(r.fault->kind, FaultKind::AccessFault);
  EXPECT_EQ(r.fault->pc, kCode + 4);
  EXPECT_EQ(r.fault->syndrome.mcause, mcause::StoreAccessFault);
  EXPECT_EQ(s.engine.reg(5), 7u);
  std::vector<std::uint8_t> bytes(4);
  s.engine.read_memory(kData + 0xFFC, bytes);
  EXPECT_EQ(bytes, (std::vector<std::uint8_t>{1, 2, 3, 4}));
  std::vector<std::uint8_t> beyond(2);
  s.engine.read_memory(kData + 0x1000, beyond);
  EXPECT_EQ(beyond, (std::vector<std::uint8_t>{0, 0}));
}

}  // namespace
}  // namespace bulkhead::emu::test
