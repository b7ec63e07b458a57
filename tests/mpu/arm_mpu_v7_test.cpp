// PMSAv7 rules (ARMv7-M ARM B3.5) and register face.
#include <gtest/gtest.h>

#include <stdexcept>

#include "bulkhead/mpu/arm_mpu_v7.hpp"

namespace bulkhead::mpu {
namespace {

constexpr auto P = Privilege::Privileged;
constexpr auto U = Privilege::Unprivileged;
constexpr auto R = Access::Read;
constexpr auto W = Access::Write;
constexpr auto X = Access::Execute;

ArmMpuV7 enabled_mpu(ArmMpuV7Options o = {}) {
  ArmMpuV7 mpu(o);
  mpu.set_ctrl(ctrl::ENABLE);
  return mpu;
}

TEST(ArmMpuV7, ApEncodingsFollowTableB3_15) {
  struct Case {
    std::uint32_t ap;
    Perms privileged;
    Perms unprivileged;
    Reason reason;
  };
  const Case cases[] = {
      {0, Perms::None, Perms::None, Reason::RegionMatch},
      {1, Perms::RWX, Perms::None, Reason::RegionMatch},
      {2, Perms::RWX, Perms::RX, Reason::RegionMatch},
      {3, Perms::RWX, Perms::RWX, Reason::RegionMatch},
      {4, Perms::None, Perms::None, Reason::ReservedEncoding},
      {5, Perms::RX, Perms::None, Reason::RegionMatch},
      {6, Perms::RX, Perms::RX, Reason::RegionMatch},
      {7, Perms::RX, Perms::RX, Reason::RegionMatch},
  };
  for (const Case& c : cases) {
    ArmMpuV7 mpu = enabled_mpu();
    mpu.set_region(0, 0x2000'0000, make_v7_rasr(9, c.ap, false));
    for (Privilege priv : {P, U}) {
      const Perms want = priv == P ? c.privileged : c.unprivileged;
      for (Access a : {R, W, X}) {
        const Verdict v = mpu.check(0x2000'0010, 4, a, priv);
        EXPECT_EQ(v.allowed, has(want, perm_for(a)))
            << "AP=" << c.ap << " " << to_string(priv) << " " << to_string(a);
        EXPECT_EQ(v.reason, c.reason);
        EXPECT_EQ(v.granted, want);
        EXPECT_EQ(v.region, 0);
      }
      EXPECT_EQ(mpu.uniform_perms({0x2000'0000, 1024}, priv), want);
    }
  }
}

TEST(ArmMpuV7, ExecutionRequiresReadPermission) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(9, 1, false));  // priv RW, unpriv none
  EXPECT_TRUE(mpu.check(0x2000'0000, 2, X, P).allowed);
  EXPECT_FALSE(mpu.check(0x2000'0000, 2, X, U).allowed);
}

TEST(ArmMpuV7, XnForbidsExecution) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(9, 3, true));
  EXPECT_FALSE(mpu.check(0x2000'0000, 2, X, P).allowed);
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, W, U).allowed);
}

TEST(ArmMpuV7, HighestNumberedRegionWins) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(2, 0x2000'0000, make_v7_rasr(15, 3, false));  // 64 KiB full access
  mpu.set_region(5, 0x2000'1000, make_v7_rasr(9, 6, true));    // 1 KiB RO inside it
  mpu.set_region(1, 0x2000'1000, make_v7_rasr(9, 0, true));    // lower: no effect
  const Verdict v = mpu.check(0x2000'1004, 4, W, P);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.region, 5);
  EXPECT_EQ(mpu.check(0x2000'1400, 4, W, U).region, 2);
}

TEST(ArmMpuV7, DisabledSubregionFallsThroughToLowerRegion) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(15, 3, false));       // 64 KiB RW
  mpu.set_region(3, 0x2000'0000, make_v7_rasr(15, 6, true, 0x80));  // RO, last 8 KiB disabled
  EXPECT_EQ(mpu.check(0x2000'0000, 4, W, U).region, 3);
  const Verdict v = mpu.check(0x2000'E000, 4, W, U);
  EXPECT_TRUE(v.allowed);
  EXPECT_EQ(v.region, 0);
  EXPECT_EQ(mpu.uniform_perms({0x2000'C000, 0x4000}, U), std::nullopt);
  EXPECT_EQ(mpu.uniform_perms({0x2000'E000, 0x2000}, U), Perms::RWX);
}

TEST(ArmMpuV7, DisabledSubregionFallsThroughToBackgroundMap) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_ctrl(ctrl::ENABLE | ctrl::PRIVDEFENA);
  mpu.set_region(3, 0x2000'0000, make_v7_rasr(15, 0, true, 0x01));
  EXPECT_EQ(mpu.check(0x2000'0000, 4, X, P).reason, Reason::BackgroundMap);
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, X, P).allowed);
  EXPECT_FALSE(mpu.check(0x2000'2000, 4, R, P).allowed);
}

TEST(ArmMpuV7, DisabledSubregionWithNothingBelowFaults) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(3, 0x2000'0000, make_v7_rasr(15, 3, false, 0x01));
  const Verdict v = mpu.check(0x2000'0100, 4, R, U);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::SubregionDisabled);
  EXPECT_EQ(v.region, 3);
}

TEST(ArmMpuV7, SrdIgnoredBelow256BytesByDefault) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(6, 3, false, 0xFF));  // 128 bytes
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, R, U).allowed);
  EXPECT_EQ(mpu.uniform_perms({0x2000'0000, 128}, U), Perms::RWX);
}

TEST(ArmMpuV7, SrdHonouredBelow256BytesWhenConfigured) {
  ArmMpuV7 mpu = enabled_mpu({.srd_below_256 = SrdBelow256Policy::Honour});
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(6, 3, false, 0x02));  // 16-byte subregions, second disabled
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, R, U).allowed);
  EXPECT_FALSE(mpu.check(0x2000'0010, 4, R, U).allowed);
  EXPECT_TRUE(mpu.check(0x2000'0020, 4, R, U).allowed);
}

TEST(ArmMpuV7, SizeBelowMinimumIgnoresRegion) {
  struct Case {
    std::uint32_t min_region_size;
    std::uint32_t size_field;
    bool active;
  };
  const Case cases[] = {{32, 3, false}, {32, 4, true}, {256, 6, false}, {256, 7, true}};
  for (const Case& c : cases) {
    ArmMpuV7 mpu = enabled_mpu({.min_region_size = c.min_region_size});
    mpu.set_region(0, 0x2000'0000, make_v7_rasr(c.size_field, 3, false));
    EXPECT_EQ(mpu.check(0x2000'0000, 1, R, U).allowed, c.active) << c.min_region_size << " " << c.size_field;
    EXPECT_EQ(mpu.regions()[0].enabled, c.active);
  }
}

TEST(ArmMpuV7, FourGiBRegionDoesNotOverflow) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0, make_v7_rasr(31, 2, false));
  EXPECT_TRUE(mpu.check(0xFFFF'FFFF, 1, R, U).allowed);
  EXPECT_TRUE(mpu.check(0x0000'0000, 1, R, U).allowed);
  EXPECT_FALSE(mpu.check(0x8000'0000, 1, W, U).allowed);
  EXPECT_EQ(mpu.regions()[0].range, (AddressRange{0, 1ull << 32}));
  EXPECT_EQ(mpu.uniform_perms({0, 0xE000'0000}, U), Perms::RX);
}

TEST(ArmMpuV7, TwoGiBRegionDoesNotOverflow) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x8000'0000, make_v7_rasr(30, 3, true));
  EXPECT_TRUE(mpu.check(0xFFFF'FFFC, 4, W, U).allowed);
  EXPECT_TRUE(mpu.check(0x8000'0000, 4, W, U).allowed);
  EXPECT_FALSE(mpu.check(0x7FFF'FFFC, 4, W, U).allowed);
  EXPECT_EQ(mpu.regions()[0].range, (AddressRange{0x8000'0000, 1ull << 31}));
}

TEST(ArmMpuV7, UnalignedBaseMasksLowBitsByDefault) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0400, make_v7_rasr(12, 3, false));  // 8 KiB at a 1 KiB-aligned base
  EXPECT_TRUE(mpu.check(0x2000'0000, 4, R, U).allowed);
  EXPECT_FALSE(mpu.check(0x2000'2000, 4, R, U).allowed);
  EXPECT_NE(mpu.regions()[0].description.find("not aligned"), std::string::npos);
}

TEST(ArmMpuV7, UnalignedBaseSkipsRegionWhenConfigured) {
  ArmMpuV7 mpu = enabled_mpu({.unaligned_base = UnalignedBasePolicy::SkipRegion});
  mpu.set_region(0, 0x2000'0400, make_v7_rasr(12, 3, false));
  EXPECT_FALSE(mpu.check(0x2000'0400, 4, R, U).allowed);
  EXPECT_FALSE(mpu.regions()[0].enabled);
}

TEST(ArmMpuV7, DisabledRegionDoesNotMatch) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(0, 0x2000'0000, make_v7_rasr(12, 3, false, 0, false));
  EXPECT_EQ(mpu.check(0x2000'0000, 4, R, U).reason, Reason::NoMatch);
}

TEST(ArmMpuV7, TexScbDoNotAffectPermissions) {
  for (std::uint32_t tex = 0; tex < 8; ++tex) {
    ArmMpuV7 mpu = enabled_mpu();
    mpu.set_region(0, 0x4000'0000, make_v7_rasr(12, 3, false, 0, true, tex, true, tex & 1, tex & 2));
    EXPECT_TRUE(mpu.check(0x4000'0000, 4, X, U).allowed) << tex;  // device attributes, still executable
  }
}

TEST(ArmMpuV7, RegionsDescribeTheRegisters) {
  ArmMpuV7 mpu({.regions = 16});
  mpu.set_region(4, 0x2000'0000, make_v7_rasr(14, 3, true, 0x80, true, 0, false, true, false));
  const auto rows = mpu.regions();
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows[4].description, "0x20000000+0x8000 SIZE=14 SRD=0x80 AP=011 XN=1 TEX=0 S=0 C=1 B=0");
  EXPECT_TRUE(rows[4].enabled);
  EXPECT_EQ(rows[4].privileged, Perms::RW);
  EXPECT_FALSE(rows[3].enabled);
}

TEST(ArmMpuV7, VerdictExplainsTheRegion) {
  ArmMpuV7 mpu = enabled_mpu();
  mpu.set_region(1, 0x2000'0000, make_v7_rasr(9, 2, false));
  const Verdict v = mpu.check(0x2000'0000, 4, W, U);
  EXPECT_NE(v.detail.find("region 1"), std::string::npos) << v.detail;
  EXPECT_NE(v.detail.find("AP=010"), std::string::npos) << v.detail;
}

// ---- Register face (B3.5.4-B3.5.9) ----

TEST(ArmMpuV7Registers, TypeReportsDregionAndIsReadOnly) {
  for (int n : {0, 8, 16}) {
    ArmMpuV7 mpu({.regions = n});
    EXPECT_EQ(mpu.read(addr::MPU_TYPE), static_cast<std::uint32_t>(n) << 8);
    mpu.write(addr::MPU_TYPE, 0xFFFF'FFFF);
    EXPECT_EQ(mpu.read(addr::MPU_TYPE), static_cast<std::uint32_t>(n) << 8);
  }
}

TEST(ArmMpuV7Registers, NoMpuMakesOtherRegistersRazWi) {
  ArmMpuV7 mpu({.regions = 0});
  mpu.write(addr::MPU_CTRL, ctrl::ENABLE);
  EXPECT_EQ(mpu.read(addr::MPU_CTRL), 0u);
  EXPECT_TRUE(mpu.check(0x6000'0000, 4, W, U).allowed);
  EXPECT_TRUE(mpu.regions().empty());
}

TEST(ArmMpuV7Registers, CtrlReservedBitsAreRazWi) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_CTRL, 0xFFFF'FFFF);
  EXPECT_EQ(mpu.read(addr::MPU_CTRL), 7u);
}

TEST(ArmMpuV7Registers, RbarValidWritesRnr) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_RBAR, 0x2000'0000 | v7rbar::VALID | 5);
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 5u);
  mpu.write(addr::MPU_RASR, make_v7_rasr(9, 3, false));
  EXPECT_EQ(mpu.regions()[5].range.base, 0x2000'0000u);
  EXPECT_TRUE(mpu.regions()[5].enabled);
}

TEST(ArmMpuV7Registers, RbarValidWithoutValidKeepsRnr) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_RNR, 2);
  mpu.write(addr::MPU_RBAR, 0x2000'0000 | 5);  // REGION ignored when VALID=0
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 2u);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x2000'0000u | 2u);
}

TEST(ArmMpuV7Registers, RbarReadsRegionFromRnrAndValidAsZero) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_RBAR, 0x1234'5660 | v7rbar::VALID | 7);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x1234'5660u | 7u);
}

TEST(ArmMpuV7Registers, OutOfRangeRegionNumbersAreIgnored) {
  ArmMpuV7 mpu;  // 8 regions
  mpu.write(addr::MPU_RNR, 3);
  mpu.write(addr::MPU_RNR, 8);
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 3u);
  mpu.write(addr::MPU_RBAR, 0x2000'0000 | v7rbar::VALID | 9);
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 3u);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 3u);  // base not written either
}

TEST(ArmMpuV7Registers, AliasesAccessTheSameRegisters) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_RBAR_A2, 0x2000'0000 | v7rbar::VALID | 1);
  mpu.write(addr::MPU_RASR_A3, make_v7_rasr(9, 3, false));
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 1u);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x2000'0001u);
  EXPECT_EQ(mpu.read(addr::MPU_RASR_A1), make_v7_rasr(9, 3, false));
  EXPECT_EQ(mpu.read(addr::MPU_RASR), mpu.read(addr::MPU_RASR_A2));
}

TEST(ArmMpuV7Registers, RasrReservedBitsAreRazWi) {
  ArmMpuV7 mpu;
  mpu.write(addr::MPU_RASR, 0xFFFF'FFFF);
  EXPECT_EQ(mpu.read(addr::MPU_RASR), rasr::DEFINED);
}

TEST(ArmMpuV7Registers, RbarBitsBelowMinimumRegionSizeAreRazWi) {
  ArmMpuV7 mpu({.min_region_size = 256});
  mpu.write(addr::MPU_RBAR, 0x2000'01E0);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x2000'0100u);
}

TEST(ArmMpuV7Registers, SetRegionGoesThroughTheRegisterFace) {
  ArmMpuV7 mpu;
  mpu.set_region(6, 0x2000'0000 | v7rbar::VALID | 2, make_v7_rasr(9, 3, false));
  EXPECT_EQ(mpu.read(addr::MPU_RNR), 6u);
  EXPECT_EQ(mpu.read(addr::MPU_RBAR), 0x2000'0006u);
  EXPECT_EQ(mpu.read(addr::MPU_RASR), make_v7_rasr(9, 3, false));
}

TEST(ArmMpuV7Registers, IsMpuRegisterCoversTypeToAliases) {
  EXPECT_TRUE(ArmMpuV7::is_mpu_register(0xE000'ED90));
  EXPECT_TRUE(ArmMpuV7::is_mpu_register(0xE000'EDB8));
  EXPECT_FALSE(ArmMpuV7::is_mpu_register(0xE000'EDBC));
  EXPECT_FALSE(ArmMpuV7::is_mpu_register(0xE000'EDC0));  // MAIR0 is PMSAv8 only
  EXPECT_FALSE(ArmMpuV7::is_mpu_register(0xE000'ED8C));
  EXPECT_FALSE(ArmMpuV7::is_mpu_register(0xE000'ED95));
}

TEST(ArmMpuV7Registers, OptionsAreValidated) {
  EXPECT_THROW(ArmMpuV7({.regions = 17}), std::invalid_argument);
  EXPECT_THROW(ArmMpuV7({.min_region_size = 48}), std::invalid_argument);
  EXPECT_THROW(ArmMpuV7({.min_region_size = 16}), std::invalid_argument);
  EXPECT_NO_THROW(ArmMpuV7({.regions = 16, .min_region_size = 256}));
}

}  // namespace
}  // namespace bulkhead::mpu
