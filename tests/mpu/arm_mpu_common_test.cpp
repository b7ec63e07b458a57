// Rules both Arm MPUs share: PPB, System XN, default map, enable switches, background map, straddles,
// syndrome.
#include <gtest/gtest.h>

#include <memory>

#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"

namespace bulkhead::mpu {
namespace {

constexpr auto P = Privilege::Privileged;
constexpr auto U = Privilege::Unprivileged;
constexpr auto R = Access::Read;
constexpr auto W = Access::Write;
constexpr auto X = Access::Execute;

// Both models, each with region 0 = full access, executable, over the whole address space when `everything`
// (v7: a 4 GiB region; v8: [0, 0xFFFFFFFF]), or over 0x20000000-0x20000FFF otherwise.
std::vector<std::unique_ptr<ArmMpu>> both(bool everything, std::uint32_t ctrl = ctrl::ENABLE) {
  std::vector<std::unique_ptr<ArmMpu>> out;
  auto v7 = std::make_unique<ArmMpuV7>();
  auto v8 = std::make_unique<ArmMpuV8>();
  if (everything) {
    v7->set_region(0, 0, make_v7_rasr(31, 3, false));
    v8->set_region(0, make_v8_rbar(0, 1, false), make_v8_rlar(0xFFFF'FFFF));
  } else {
    v7->set_region(0, 0x2000'0000, make_v7_rasr(11, 3, false));
    v8->set_region(0, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0FFF));
  }
  v7->set_ctrl(ctrl);
  v8->set_ctrl(ctrl);
  out.push_back(std::move(v7));
  out.push_back(std::move(v8));
  return out;
}

TEST(ArmMpu, PpbAlwaysUsesDefaultMap) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    // Region 1: no access at all over the PPB; the PPB ignores it.
    if (auto* v7 = dynamic_cast<ArmMpuV7*>(mpu.get())) {
      v7->set_region(1, 0xE000'0000, make_v7_rasr(19, 0, true));
    } else {
      static_cast<ArmMpuV8*>(mpu.get())->set_region(1, make_v8_rbar(0xE000'0000, 0, true),
                                                    make_v8_rlar(0xE00F'FFFF));
    }
    for (std::uint32_t a : {0xE000'0000u, 0xE000'ED94u, 0xE00F'FFFFu}) {
      const Verdict v = mpu->check(a, 4 - (a & 3), W, P);
      EXPECT_TRUE(v.allowed) << mpu->name() << " " << std::hex << a;
      EXPECT_EQ(v.reason, Reason::SystemSpace);
    }
    // Just past the PPB the region decides again.
    EXPECT_FALSE(mpu->check(0xE010'0000, 4, R, P).allowed) << mpu->name();
  }
}

TEST(ArmMpu, UnprivilegedPpbAccessIsDeniedAndDocumentedAsBusFault) {
  for (auto& mpu : both(true, 0)) {  // even with the MPU off
    const Verdict v = mpu->check(0xE000'E100, 4, R, U);
    EXPECT_FALSE(v.allowed) << mpu->name();
    EXPECT_EQ(v.reason, Reason::SystemSpace);
    EXPECT_NE(v.detail.find("BusFault"), std::string::npos) << v.detail;
  }
}

TEST(ArmMpu, SystemAreaIsExecuteNeverWhateverTheRegionsSay) {
  struct Case {
    std::uint32_t address;
    bool executable;
  };
  const Case cases[] = {{0xDFFF'FFFC, true},  {0xE000'0000, false}, {0xE00F'0000, false},
                        {0xE010'0000, false}, {0xF000'0000, false}, {0xFFFF'FFFC, false}};
  for (auto& mpu : both(true)) {
    for (const Case& c : cases) {
      const Verdict v = mpu->check(c.address, 4, X, P);
      EXPECT_EQ(v.allowed, c.executable) << mpu->name() << " " << std::hex << c.address;
      if (!c.executable) {
        EXPECT_EQ(v.reason, Reason::SystemExecuteNever);
      }
      EXPECT_TRUE(mpu->check(c.address, 4, R, P).allowed);
    }
  }
}

TEST(ArmMpu, DefaultMapMakesPeripheralDeviceAndSystemExecuteNever) {
  // ARMv7-M B3.1 Table B3-1, XN column; checked with the MPU disabled (everyone) and as a background map.
  struct Case {
    std::uint32_t address;
    bool executable;
  };
  const Case cases[] = {{0x0000'0000, true},  {0x1FFF'FFFC, true},  {0x2000'0000, true},
                        {0x3FFF'FFFC, true},  {0x4000'0000, false}, {0x5FFF'FFFC, false},
                        {0x6000'0000, true},  {0x9FFF'FFFC, true},  {0xA000'0000, false},
                        {0xDFFF'FFFC, false}, {0xE010'0000, false}, {0xFFFF'FFFC, false}};
  for (std::uint32_t ctrl : {0u, ctrl::ENABLE | ctrl::PRIVDEFENA}) {
    for (auto& mpu : both(false, ctrl)) {
      for (const Case& c : cases) {
        const Verdict v = mpu->check(c.address, 4, X, P);
        EXPECT_EQ(v.allowed, c.executable) << mpu->name() << " ctrl=" << ctrl << " " << std::hex << c.address;
        EXPECT_TRUE(mpu->check(c.address, 4, W, P).allowed);
      }
    }
  }
}

TEST(ArmMpu, DisabledMpuUsesDefaultMapForEveryone) {
  for (auto& mpu : both(false, ctrl::PRIVDEFENA)) {  // PRIVDEFENA alone does not enable anything
    const Verdict v = mpu->check(0x6000'0000, 4, W, U);
    EXPECT_TRUE(v.allowed) << mpu->name();
    EXPECT_EQ(v.reason, Reason::UnitDisabled);
    EXPECT_EQ(v.granted, Perms::RWX);
  }
}

TEST(ArmMpu, HfnmienaWithoutEnableIsTreatedAsDisabled) {
  for (auto& mpu : both(false, ctrl::HFNMIENA)) {
    EXPECT_FALSE(mpu->mpu_active());
    EXPECT_EQ(mpu->check(0x6000'0000, 4, R, U).reason, Reason::UnitDisabled);
  }
}

TEST(ArmMpu, NegativePriorityWithoutHfnmienaTurnsMpuOff) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    EXPECT_FALSE(mpu->check(0x6000'0000, 4, R, P).allowed);
    mpu->set_negative_priority(true);
    const Verdict v = mpu->check(0x6000'0000, 4, R, P);
    EXPECT_TRUE(v.allowed) << mpu->name();
    EXPECT_EQ(v.reason, Reason::UnitDisabled);
    EXPECT_NE(v.detail.find("HFNMIENA"), std::string::npos);
  }
}

TEST(ArmMpu, NegativePriorityWithHfnmienaKeepsMpuOn) {
  for (auto& mpu : both(false, ctrl::ENABLE | ctrl::HFNMIENA)) {
    mpu->set_negative_priority(true);
    const Verdict v = mpu->check(0x6000'0000, 4, R, P);
    EXPECT_FALSE(v.allowed) << mpu->name();
    EXPECT_EQ(v.reason, Reason::NoMatch);
  }
}

TEST(ArmMpu, BackgroundMapOnlyForPrivilegedAccessesWithPrivdefena) {
  struct Case {
    bool privdefena;
    Privilege priv;
    bool allowed;
    Reason reason;
  };
  const Case cases[] = {{true, P, true, Reason::BackgroundMap},
                        {true, U, false, Reason::NoMatch},
                        {false, P, false, Reason::NoMatch},
                        {false, U, false, Reason::NoMatch}};
  for (const Case& c : cases) {
    for (auto& mpu : both(false, ctrl::ENABLE | (c.privdefena ? ctrl::PRIVDEFENA : 0u))) {
      const Verdict v = mpu->check(0x6000'0000, 4, W, c.priv);
      EXPECT_EQ(v.allowed, c.allowed) << mpu->name() << " privdefena=" << c.privdefena;
      EXPECT_EQ(v.reason, c.reason);
      EXPECT_EQ(v.region, -1);
    }
  }
}

TEST(ArmMpu, VectorTableReadsBypassMpu) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    EXPECT_FALSE(mpu->check(0x0000'0004, 4, R, P).allowed);
    const Verdict v = mpu->check_vector_table_read(0x0000'0004, 4);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.reason, Reason::VectorTable);
  }
}

TEST(ArmMpu, StraddlingAccessFaultsAtFirstDeniedByte) {
  // Region 0 ends at 0x20001000; the bytes after it match nothing.
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const Verdict v = mpu->check(0x2000'0FFE, 4, R, U);
    EXPECT_FALSE(v.allowed) << mpu->name();
    EXPECT_EQ(v.reason, Reason::Straddle);
    EXPECT_EQ(v.fault_address, 0x2000'1000u);
    EXPECT_EQ(v.region, -1);
    EXPECT_NE(v.detail.find(to_string(Reason::NoMatch)), std::string::npos) << v.detail;
    EXPECT_TRUE(mpu->check(0x2000'0FFC, 4, R, U).allowed);
  }
}

TEST(ArmMpu, AccessDeniedAtFirstByteIsNotAStraddle) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const Verdict v = mpu->check(0x1FFF'FFFE, 4, R, U);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, Reason::NoMatch);
    EXPECT_EQ(v.fault_address, 0x1FFF'FFFEu);
  }
}

TEST(ArmMpu, ExecuteFaultSyndromeIsIaccviolWithoutMmfar) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const Verdict v = mpu->check(0x3000'0000, 2, X, U);
    ASSERT_FALSE(v.allowed);
    const Syndrome s = mpu->syndrome(v, X, 0x3000'0000);
    EXPECT_EQ(s.mmfsr, mmfsr::IACCVIOL);
    EXPECT_EQ(s.mmfar, 0u);
  }
}

TEST(ArmMpu, DataFaultSyndromeIsDaccviolWithMmfarAtFirstDeniedByte) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const Verdict v = mpu->check(0x2000'0FFC, 8, W, U);
    ASSERT_FALSE(v.allowed);
    const Syndrome s = mpu->syndrome(v, W, 0x2000'0FFC);
    EXPECT_EQ(s.mmfsr, mmfsr::DACCVIOL | mmfsr::MMARVALID);
    EXPECT_EQ(s.mmfar, 0x2000'1000u);
    EXPECT_EQ(mpu->syndrome(mpu->check(0x2000'0000, 4, W, U), W, 0x2000'0000).mmfsr, 0);
  }
}

TEST(ArmMpu, StackingErrorsSetTheirOwnBitAndLeaveMmfarInvalid) {
  using Ctx = ArmMpu::DataContext;
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const Verdict denied = mpu->check(0x2000'0FFC, 8, W, U);
    ASSERT_FALSE(denied.allowed);
    const struct {
      Ctx context;
      std::uint8_t bits;
    } rows[] = {{Ctx::Stacking, mmfsr::MSTKERR},
                {Ctx::Unstacking, mmfsr::MUNSTKERR},
                {Ctx::LazyFpStacking, mmfsr::MLSPERR}};
    for (const auto& row : rows) {
      const Syndrome s = mpu->data_syndrome(denied, row.context);
      EXPECT_EQ(s.mmfsr, row.bits) << mpu->name();  // B3.2.15: no MMARVALID, MMFAR not written
      EXPECT_EQ(s.mmfar, 0u);
    }
    const Syndrome plain = mpu->data_syndrome(denied, Ctx::Instruction);
    EXPECT_EQ(plain.mmfsr, mmfsr::DACCVIOL | mmfsr::MMARVALID);
    EXPECT_EQ(plain.mmfar, 0x2000'1000u);
    EXPECT_EQ(mpu->data_syndrome(mpu->check(0x2000'0000, 4, W, U), Ctx::Stacking).mmfsr, 0);
  }
}

TEST(ArmMpu, UniformPermsCoversWholeRegionButNotItsEdge) {
  for (auto& mpu : both(false, ctrl::ENABLE | ctrl::PRIVDEFENA)) {
    EXPECT_EQ(mpu->uniform_perms({0x2000'0000, 0x1000}, U), Perms::RWX) << mpu->name();
    EXPECT_EQ(mpu->uniform_perms({0x2000'0000, 0x1001}, U), std::nullopt);
    EXPECT_EQ(mpu->uniform_perms({0x2000'1000, 0x1000}, U), Perms::None);
    EXPECT_EQ(mpu->uniform_perms({0x2000'1000, 0x1000}, P), Perms::RWX);    // background
    EXPECT_EQ(mpu->uniform_perms({0x3FFF'F000, 0x2000}, P), std::nullopt);  // SRAM/Peripheral XN edge
    EXPECT_EQ(mpu->uniform_perms({0xE000'0000, 0x1000}, U), Perms::None);   // PPB
  }
}

TEST(ArmMpu, EmptyOrOversizedRangesAreNotUniform) {
  for (auto& mpu : both(true, ctrl::ENABLE)) {
    EXPECT_EQ(mpu->uniform_perms({0x1000, 0}, P), std::nullopt);
    EXPECT_EQ(mpu->uniform_perms({0xFFFF'F000, 0x2000}, P), std::nullopt);
    EXPECT_EQ(mpu->uniform_perms({0, 0xE000'0000}, P), Perms::RWX);
  }
}

TEST(ArmMpu, GenerationBumpsOnlyWhenADecisionMayChange) {
  for (auto& mpu : both(false, ctrl::ENABLE)) {
    const auto g0 = mpu->generation();
    mpu->set_ctrl(ctrl::ENABLE);  // same value
    mpu->write(addr::MPU_RNR, 1);
    EXPECT_EQ(mpu->generation(), g0) << mpu->name();
    mpu->set_ctrl(ctrl::ENABLE | ctrl::PRIVDEFENA);
    const auto g1 = mpu->generation();
    EXPECT_GT(g1, g0);
    mpu->write(addr::MPU_RBAR, 0x3000'0000);
    EXPECT_GT(mpu->generation(), g1);
    const auto g2 = mpu->generation();
    mpu->set_negative_priority(true);
    EXPECT_GT(mpu->generation(), g2);
  }
}

TEST(ArmMpu, AccessWrappingPastFourGiBChecksWrappedBytes) {
  for (auto& mpu : both(true, ctrl::ENABLE)) {
    const Verdict v = mpu->check(0xFFFF'FFFE, 4, X, P);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.fault_address, 0xFFFF'FFFEu);
    EXPECT_TRUE(mpu->check(0xFFFF'FFFE, 4, R, P).allowed);
  }
}

}  // namespace
}  // namespace bulkhead::mpu
