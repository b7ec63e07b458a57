// PMSAv8 rules (ARMv8-M ARM, MPUCheck() and the MPU_* register descriptions) and register face.
#include <gtest/gtest.h>

#include <stdexcept>

#include "bulkhead/mpu/arm_mpu_v8.hpp"

namespace bulkhead::mpu {
namespace {

constexpr auto P = Privilege::Privileged;
constexpr auto U = Privilege::Unprivileged;
constexpr auto R = Access::Read;
constexpr auto W = Access::Write;
constexpr auto X = Access::Execute;

ArmMpuV8 enabled_mpu(ArmMpuV8Options o = {}) {
  ArmMpuV8 mpu(o);
  mpu.set_ctrl(ctrl::ENABLE);
  return mpu;
}

TEST(ArmMpuV8, ApEncodingsGrantRoAndNpBits) {
  struct Case {
    std::uint32_t ap;
    Perms privileged;
    Perms unprivileged;
  };
  const Case cases[] = {{0b00, Perms::RWX, Perms::None},
                        {0b01, Perms::RWX, Perms::RWX},
                        {0b10, Perms::RX, Perms::None},
                        {0b11, Perms::RX, Perms::RX}};
  for (const Case& c : cases) {
    ArmMpuV8 mpu = enabled_mpu();
    mpu.set_region(0, make_v8_rbar(0x2000'0000, c.ap, false), make_v8_rlar(0x2000'03FF));
    for (Privilege priv : {P, U}) {
      const Perms want = priv == P ? c.privileged : c.unprivileged;
      for (Access a : {R, W, X}) {
        const Verdict v = mpu.check(0x2000'0100, 4, a, priv);
        EXPECT_EQ(v.allowed, has(want, perm_for(a))) << "AP=" << c.ap << " " << to_string(priv);
        EXPECT_EQ(v.reason, Reason::RegionMatch);
        EXPECT_EQ(v.region, 0);
      }
      EXPECT_EQ(mpu.uniform_perms({0x2000'0000, 0x400}, priv), want);
    }
  }
}

TEST(ArmMpuV8, XnForbidsExecution) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, true), make_v8_rlar(0x2000'03FF));
  EXPECT_FALSE(mpu.check(0x2000'0000, 2, X, P).allowed);
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, W, U).allowed);
}

TEST(ArmMpuV8, LimitIsInclusiveOfItsLast32ByteGranule) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0100));
  EXPECT_TRUE(mpu.check(0x2000'011F, 1, R, U).allowed);
  EXPECT_FALSE(mpu.check(0x2000'0120, 1, R, U).allowed);
  EXPECT_EQ(mpu.regions()[0].range, (AddressRange{0x2000'0000, 0x120}));
}

TEST(ArmMpuV8, BaseIgnoresBitsBelow32ByteGranule) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'001F & ~0x1Fu, make_v8_rlar(0x2000'001F));
  mpu.write(addr::MPU_RBAR, 0x2000'0010 | (1u << 1));  // BASE bits [4:0] are SH/AP/XN
  EXPECT_TRUE(mpu.check(0x2000'0000, 1, R, U).allowed);
}

TEST(ArmMpuV8, LimitBelowBaseMatchesNothing) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, make_v8_rbar(0x2000'1000, 1, false), make_v8_rlar(0x2000'0000));
  for (std::uint32_t a : {0x2000'0000u, 0x2000'0800u, 0x2000'1000u}) {
    EXPECT_EQ(mpu.check(a, 1, R, U).reason, Reason::NoMatch);
  }
  EXPECT_FALSE(mpu.regions()[0].enabled);
}

TEST(ArmMpuV8, OverlapFaultsEvenPrivilegedWithPrivdefena) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_ctrl(ctrl::ENABLE | ctrl::PRIVDEFENA);
  mpu.set_region(2, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0FFF));
  mpu.set_region(5, make_v8_rbar(0x2000'0800, 1, false), make_v8_rlar(0x2000'17FF));
  const Verdict v = mpu.check(0x2000'0900, 4, R, P);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::Overlap);
  EXPECT_EQ(v.region, 2);
  EXPECT_EQ(v.other_region, 5);
  EXPECT_TRUE(mpu.check(0x2000'0700, 4, R, U).allowed);
  EXPECT_TRUE(mpu.check(0x2000'1000, 4, R, U).allowed);
  EXPECT_EQ(mpu.uniform_perms({0x2000'0800, 0x800}, P), Perms::None);
  EXPECT_EQ(mpu.uniform_perms({0x2000'0000, 0x1000}, P), std::nullopt);
}

TEST(ArmMpuV8, OverlapOfDisabledRegionIsNoOverlap) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0FFF));
  mpu.set_region(1, make_v8_rbar(0x2000'0000, 0, true), make_v8_rlar(0x2000'0FFF, false));
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, W, U).allowed);
}

TEST(ArmMpuV8, PxnIsRes0WithoutV81m) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0FFF, true, 0, true));
  EXPECT_TRUE(mpu.check(0x2000'0000, 2, X, P).allowed);
  EXPECT_EQ(mpu.read(addr::MPU_RLAR) & rlar::PXN, 0u);
}

TEST(ArmMpuV8, PxnForbidsPrivilegedExecutionOnV81m) {
  ArmMpuV8 mpu = enabled_mpu({.v81m = true});
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, false), make_v8_rlar(0x2000'0FFF, true, 0, true));
  EXPECT_FALSE(mpu.check(0x2000'0000, 2, X, P).allowed);
  EXPECT_TRUE(mpu.check(0x2000'0000, 2, X, U).allowed);
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, R, P).allowed);
  EXPECT_EQ(mpu.read(addr::MPU_RLAR) & rlar::PXN, rlar::PXN);
}

TEST(ArmMpuV8, AttributesDoNotAffectPermissions) {
  ArmMpuV8 mpu = enabled_mpu();
  mpu.set_mair(0, 0x0000'0400);  // Attr1 = Device-nGnRE
  mpu.set_region(0, make_v8_rbar(0x2000'0000, 1, false, 2), make_v8_rlar(0x2000'0FFF, true, 1));
  EXPECT_TRUE(mpu.check(0x2000'0000, 2, X, U).allowed);
}

TEST(ArmMpuV8, RegionsDescribeTheRegisters) {
  ArmMpuV8 mpu;
  mpu.set_mair(0, 0x0000'4400);
  mpu.set_region(3, make_v8_rbar(0x2000'0000, 1, true, 3), make_v8_rlar(0x2000'7FFF, true, 1));
  const auto rows = mpu.regions();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[3].description, "0x20000000-0x20007FFF AP=01 (RW any) XN=1 SH=3 AttrIndx=1 (MAIR 0x44)");
  EXPECT_EQ(rows[3].unprivileged, Perms::RW);
  EXPECT_TRUE(rows[3].enabled);
}

// ---- Register face ----

TEST(ArmMpuV8Registers, TypeReportsDregionAndIsReadOnly) {
  for (int n : {0, 8, 16}) {
    ArmMpuV8 mpu({.regions = n});
    mpu.write(addr::MPU_TYPE, 0);
    EXPECT_EQ(mpu.read(addr::MPU_TYPE), static_cast<std::uint32_t>(n) << 8);
  }
}

TEST(ArmMpuV8Registers, AliasesAddressRegionsInRnrGroupOfFour) {
  ArmMpuV8 mpu({.regions = 16});
  mpu.write(addr::MPU_RNR, 6);  // group 4..7
  mpu.write(addr::MPU_RBAR_A1, 0x2000'0002);
  mpu.write(addr::MPU_RLAR_A3, 0x2000'0FE1);
  mpu.write(addr::MPU_RBAR, 0x3000'0000);
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 6u);  // aliases do not change RNR
  mpu.write(addr::MPU_RNR, 5);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x2000'0002u);
  mpu.write(addr::MPU_RNR, 7);
  EXPECT_EQ(mpu.read(addr::MPU_RLAR), 0x2000'0FE1u);
  mpu.write(addr::MPU_RNR, 6);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x3000'0000u);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR_A2), 0x3000'0000u);  // alias 2 of group 4 is region 6
}

TEST(ArmMpuV8Registers, AliasBeyondDregionIsRazWi) {
  ArmMpuV8 mpu({.regions = 6});
  mpu.write(addr::MPU_RNR, 4);
  mpu.write(addr::MPU_RBAR_A3, 0x2000'0000);  // region 7 does not exist
  EXPECT_EQ(mpu.read(addr::MPU_RBAR_A3), 0u);
  for (const auto& row : mpu.regions()) EXPECT_EQ(row.description.rfind("0x00000000", 0), 0u);
}

TEST(ArmMpuV8Registers, OutOfRangeRnrIsIgnored) {
  ArmMpuV8 mpu;
  mpu.write(addr::MPU_RNR, 2);
  mpu.write(addr::MPU_RNR, 200);
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 2u);
}

TEST(ArmMpuV8Registers, MairIsStoredWithoutChangingDecisions) {
  ArmMpuV8 mpu;
  const auto g = mpu.generation();
  mpu.write(addr::MPU_MAIR0, 0xDEAD'BEEF);
  mpu.write(addr::MPU_MAIR1, 0x0102'0304);
  EXPECT_EQ(mpu.read(addr::MPU_MAIR0), 0xDEAD'BEEFu);
  EXPECT_EQ(mpu.read(addr::MPU_MAIR1), 0x0102'0304u);
  EXPECT_EQ(mpu.generation(), g);
}

TEST(ArmMpuV8Registers, CtrlReservedBitsAreRazWi) {
  ArmMpuV8 mpu;
  mpu.write(addr::MPU_CTRL, 0xFFFF'FFF8 | ctrl::PRIVDEFENA);
  EXPECT_EQ(mpu.read(addr::MPU_CTRL), ctrl::PRIVDEFENA);
}

TEST(ArmMpuV8Registers, IsMpuRegisterIncludesMair) {
  EXPECT_TRUE(ArmMpuV8::is_mpu_register(0xE000'ED9C));
  EXPECT_TRUE(ArmMpuV8::is_mpu_register(0xE000'EDC0));
  EXPECT_TRUE(ArmMpuV8::is_mpu_register(0xE000'EDC4));
  EXPECT_FALSE(ArmMpuV8::is_mpu_register(0xE000'EDBC));
  EXPECT_FALSE(ArmMpuV8::is_mpu_register(0xE000'EDC8));
}

TEST(ArmMpuV8Registers, OptionsAreValidated) {
  EXPECT_THROW(ArmMpuV8({.regions = -1}), std::invalid_argument);
  EXPECT_THROW(ArmMpuV8({.regions = 17}), std::invalid_argument);
}

}  // namespace
}  // namespace bulkhead::mpu
