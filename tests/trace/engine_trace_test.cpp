// The engine's Tracer on hand-encoded code: split pages (the MMIO alias), unaligned accesses Unicorn
// splits, an instruction the bus settles by replaying it, and a fault.
#include <gtest/gtest.h>

#include <vector>

#include "../emu/snippets.hpp"
#include "bulkhead/emu/tracer.hpp"
#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/registers.hpp"

namespace bulkhead::emu::test {
namespace {

struct Recorder : Tracer {
  struct Access {
    bulkhead::Access access;
    std::uint32_t address;
    std::uint32_t size;
    std::uint64_t value;
  };
  std::vector<std::uint32_t> pcs;
  std::vector<std::vector<std::uint8_t>> encodings;
  std::vector<Access> accesses;
  std::vector<Fault> faults;
  void on_instruction(std::uint32_t pc, std::span<const std::uint8_t> bytes) override {
    pcs.push_back(pc);
    encodings.emplace_back(bytes.begin(), bytes.end());
  }
  void on_access(const TraceAccess& a) override {
    accesses.push_back({a.access, a.address, a.size, a.value});
  }
  void on_fault(const Fault& f, std::span<const std::uint8_t>) override { faults.push_back(f); }
};

constexpr std::uint16_t t_strh(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x8000 | rn << 3 | rt);
}
constexpr std::uint16_t t_ldrh(unsigned rt, unsigned rn) {
  return static_cast<std::uint16_t>(0x8800 | rn << 3 | rt);
}

// PMSAv7: code read-only executable, 256 bytes of data read/write: the first data page (1 KiB) is split, so
// every data access goes through the checked bus's MMIO alias.
TEST(EngineTrace, SplitPageAccessesAreReportedOnceAtTheirGuestAddresses) {
  mpu::ArmMpuV7 unit;
  Engine e = make_engine(CpuProfile::CortexM4,
                         thumb({t_str(0, 1), t_ldr(4, 5), t_strh(2, 3), t_ldrh(6, 3), T_UDF0}));
  unit.set_region(0, 0x0000'0000, mpu::make_v7_rasr(12, 0b110, false));
  unit.set_region(1, kData, mpu::make_v7_rasr(7, 0b011, true));
  unit.set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
  e.set_protection_unit(&unit);
  e.drop_privilege();
  e.set_reg(0, 0xCAFE'F00D);
  e.set_reg(1, kData + 0x10);
  e.set_reg(2, 0xBEEF);
  e.set_reg(3, kData + 0x21);  // an unaligned halfword store and load
  e.set_reg(5, kData + 0xF9);  // an unaligned word load next to the region's edge: settled by a replay
  Recorder rec;
  e.set_tracer(&rec);
  const RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::UsageFault);
  EXPECT_EQ(r.instructions, 4u);
  EXPECT_EQ(rec.pcs, (std::vector<std::uint32_t>{kCode, kCode + 2, kCode + 4, kCode + 6}));
  EXPECT_EQ(rec.encodings.at(0), thumb({t_str(0, 1)}));
  ASSERT_EQ(rec.accesses.size(), 4u);
  const auto expect = [&](std::size_t i, Access a, std::uint32_t addr, std::uint32_t size, std::uint64_t v) {
    EXPECT_EQ(rec.accesses[i].access, a) << i;
    EXPECT_EQ(rec.accesses[i].address, addr) << i;
    EXPECT_EQ(rec.accesses[i].size, size) << i;
    EXPECT_EQ(rec.accesses[i].value, v) << i;
  };
  expect(0, Access::Write, kData + 0x10, 4, 0xCAFE'F00D);
  expect(1, Access::Read, kData + 0xF9, 4, 0);
  expect(2, Access::Write, kData + 0x21, 2, 0xBEEF);
  expect(3, Access::Read, kData + 0x21, 2, 0);
  ASSERT_EQ(rec.faults.size(), 1u);
  EXPECT_EQ(rec.faults[0].pc, kCode + 8);
  EXPECT_EQ(e.reg(6), 0xBEEFu);  // the run itself is what it is without a tracer
}

TEST(EngineTrace, ADeniedStoreIsAFaultNotAnAccess) {
  mpu::ArmMpuV7 unit;
  Engine e = make_engine(CpuProfile::CortexM4, thumb({T_NOP, t_str(0, 1), T_NOP}));
  unit.set_region(0, 0x0000'0000, mpu::make_v7_rasr(12, 0b110, false));
  unit.set_region(1, kData, mpu::make_v7_rasr(7, 0b110, true));  // read-only data
  unit.set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
  e.set_protection_unit(&unit);
  e.drop_privilege();
  e.set_reg(1, kData + 0x10);
  Recorder rec;
  e.set_tracer(&rec);
  const RunResult r = e.run(100);
  ASSERT_EQ(r.reason, StopReason::Fault);
  EXPECT_EQ(r.fault->kind, FaultKind::MemManage);
  EXPECT_EQ(r.instructions, 1u);
  EXPECT_EQ(rec.pcs, (std::vector<std::uint32_t>{kCode}));
  EXPECT_TRUE(rec.accesses.empty());
  ASSERT_EQ(rec.faults.size(), 1u);
  EXPECT_EQ(rec.faults[0].pc, kCode + 2);
  EXPECT_EQ(rec.faults[0].address, kData + 0x10);
}

}  // namespace
}  // namespace bulkhead::emu::test
