// The region compiler on hand-checked cases: the encodings each manual rule asks for, and exact read-back
// through the models.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "bulkhead/layout/encode.hpp"
#include "bulkhead/mpu/registers.hpp"
#include "layout_test_util.hpp"

namespace bulkhead::layout::test {
namespace {

UnitConfig v7(int regions = 8) {
  UnitConfig u;
  u.arch = Arch::ArmV7M;
  u.v7.regions = regions;
  return u;
}
UnitConfig v8() {
  UnitConfig u;
  u.arch = Arch::ArmV8M;
  return u;
}
UnitConfig rv(unsigned g = 0, unsigned entries = 16) {
  UnitConfig u;
  u.arch = Arch::Rv32;
  u.pmp.granularity = g;
  u.pmp.entries = entries;
  return u;
}

std::vector<int> all_slots(const UnitConfig& u) {
  std::vector<int> s(static_cast<std::size_t>(u.slots()));
  std::iota(s.begin(), s.end(), 0);
  return s;
}

Encoding must_encode(const UnitConfig& u, const std::vector<Grant>& grants) {
  const auto slots = all_slots(u);
  EncodeResult r = encode(u, grants, slots);
  EXPECT_TRUE(r.encoding.has_value()) << r.failure.message;
  if (!r.encoding) return {};
  EXPECT_EQ(verify_encoding(u, grants, *r.encoding), "");
  return *r.encoding;
}

TEST(EncodeV7, PowerOfTwoAlignedRangeIsOneRegion) {
  const Encoding e = must_encode(v7(), {{{0x2000'0000, 0x8000}, Perms::RW}});
  ASSERT_EQ(e.programming.used, 1);
  // B3.5.9: SIZE = log2(0x8000) - 1 = 14, AP=011, XN=1; RBAR carries VALID|REGION (B3.5.8).
  EXPECT_EQ(e.programming.v7[0].rbar, 0x2000'0000u | mpu::v7rbar::VALID | 0u);
  EXPECT_EQ(e.programming.v7[0].rasr &
                (mpu::rasr::SIZE_MASK | mpu::rasr::AP_MASK | mpu::rasr::XN | mpu::rasr::ENABLE),
            mpu::make_v7_rasr(14, 0b011, true) &
                ~(mpu::rasr::TEX_MASK | mpu::rasr::S | mpu::rasr::C | mpu::rasr::B));
  EXPECT_EQ(e.programming.mpu_ctrl, mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
}

TEST(EncodeV7, SubregionDisableSavesARegion) {
  // 0x600 bytes = six 256-byte eighths of a 2 KiB region: one region with SRD=0xC0 (B3.5.9).
  const Encoding e = must_encode(v7(), {{{0x2000'0000, 0x600}, Perms::RW}});
  ASSERT_EQ(e.programming.used, 1);
  EXPECT_EQ(e.regions[0].srd, 0xC0);
  EXPECT_EQ(e.regions[0].range, (AddressRange{0x2000'0000, 0x800}));
}

TEST(EncodeV7, HigherRegionCarvesOtherPermissions) {
  // A read-only 256-byte window inside 4 KiB of RW: the window's region is numbered higher (B3.5.3).
  const Encoding e = must_encode(v7(), {{{0x2000'0000, 0x800}, Perms::RW},
                                        {{0x2000'0800, 0x100}, Perms::R},
                                        {{0x2000'0900, 0x700}, Perms::RW}});
  ASSERT_EQ(e.programming.used, 2);
  EXPECT_EQ(e.regions[0].range.size, 0x1000u);
  EXPECT_EQ(e.regions[0].perms, Perms::RW);
  EXPECT_EQ(e.regions[1].perms, Perms::R);
  EXPECT_GT(e.regions[1].slot, e.regions[0].slot);
}

TEST(EncodeV7, MinimumRegionSize256UsesSubregionsFor32ByteEdges) {
  UnitConfig u = v7();
  u.v7.min_region_size = 256;  // ARMv6-M / Cortex-M0+
  const Encoding e = must_encode(u, {{{0x2000'0020, 0x40}, Perms::RW}});
  ASSERT_EQ(e.programming.used, 1);
  EXPECT_EQ(e.regions[0].range.size, 256u);
  EXPECT_EQ(e.regions[0].srd, static_cast<std::uint8_t>(~0x06u));
}

TEST(EncodeV7, KernelSlotsAreSkipped) {
  const UnitConfig u = v7();
  const std::vector<int> slots{1, 2, 5};
  const std::vector<Grant> g{{{0x0800'0000, 0x1000}, Perms::RX}, {{0x2000'0000, 0x1000}, Perms::RW}};
  const EncodeResult r = encode(u, g, slots);
  ASSERT_TRUE(r.encoding);
  ASSERT_EQ(r.encoding->programming.v7.size(), 3u);  // every owned slot written, the unused one disabled
  EXPECT_EQ(r.encoding->programming.v7[2].region, 5);
  EXPECT_EQ(r.encoding->programming.v7[2].rasr, 0u);
  EXPECT_EQ(verify_encoding(u, g, *r.encoding), "");
}

TEST(EncodeV8, OneRegionPerSpanOn32ByteGranules) {
  const Encoding e = must_encode(v8(), {{{0x2000'0020, 0x8a0}, Perms::RW},
                                        {{0x2000'08c0, 0x40}, Perms::R},
                                        {{0x4001'1000, 0x400}, Perms::RW, MemoryAttr::Device}});
  ASSERT_EQ(e.programming.used, 3);
  // D1.2: RLAR.LIMIT is the last 32-byte granule; AttrIndx 1 = Device-nGnRE in MAIR0.
  EXPECT_EQ(e.programming.v8[0].rlar, mpu::make_v8_rlar(0x2000'08bf, true, 0));
  EXPECT_EQ(e.programming.v8[2].rlar, mpu::make_v8_rlar(0x4001'13ff, true, 1));
  EXPECT_EQ(e.programming.mair[0] >> 8 & 0xFFu, 0x04u);
}

TEST(EncodeV8, AdjacentEqualSpansMerge) {
  const Encoding e =
      must_encode(v8(), {{{0x2000'0000, 0x100}, Perms::RW}, {{0x2000'0100, 0x100}, Perms::RW}});
  EXPECT_EQ(e.programming.used, 1);
}

TEST(EncodePmp, NapotNa4AndTor) {
  const Encoding e = must_encode(
      rv(),
      {{{0x8000'0000, 0x4000}, Perms::RX}, {{0x1001'3000, 4}, Perms::RW}, {{0x8010'0000, 0x8a0}, Perms::RW}});
  // NAPOT for the 16 KiB block, NA4 for the word, TOR (plus its base) for the odd range: 4 entries.
  EXPECT_EQ(e.programming.used, 4);
  std::vector<std::string> modes;
  for (const HardwareRegion& h : e.regions) modes.push_back(h.mode);
  EXPECT_EQ(modes, (std::vector<std::string>{"NA4", "NAPOT", "TOR base", "TOR"}));
}

TEST(EncodePmp, AdjacentTorRangesShareTheBoundaryEntry) {
  // Three adjacent odd-sized ranges with different access: base + 3 TOR entries, not 6 (priv. spec 3.7.1).
  const Encoding e = must_encode(
      rv(),
      {{{0x8010'0004, 0x2c}, Perms::RW}, {{0x8010'0030, 0x54}, Perms::R}, {{0x8010'0084, 0x14}, Perms::RX}});
  EXPECT_EQ(e.programming.used, 4);
}

TEST(EncodePmp, LowerEntryCarvesANapotBlock) {
  // 4 KiB RW with a read-only 256-byte hole in the middle: NAPOT hole first, NAPOT block after (3.7.1.3).
  const Encoding e = must_encode(rv(), {{{0x8010'0000, 0x800}, Perms::RW},
                                        {{0x8010'0800, 0x100}, Perms::R},
                                        {{0x8010'0900, 0x700}, Perms::RW}});
  EXPECT_EQ(e.programming.used, 2);
  EXPECT_EQ(e.regions[0].perms, Perms::R);
  EXPECT_LT(e.regions[0].slot, e.regions[1].slot);
}

TEST(EncodePmp, GranularityForbidsNa4AndSmallEdges) {
  const UnitConfig u = rv(2);  // 16-byte grain
  const std::vector<int> slots = all_slots(u);
  const std::vector<Grant> word{{{0x8000'0004, 4}, Perms::R}};
  const EncodeResult bad = encode(u, word, slots);
  ASSERT_FALSE(bad.encoding);
  EXPECT_EQ(bad.failure.kind, EncodeFailureKind::Misaligned);
  const Encoding e = must_encode(u, {{{0x8000'0010, 0x10}, Perms::R}});
  EXPECT_EQ(e.regions[0].mode, "NAPOT");
}

TEST(EncodePmp, TorNeedsItsBaseBelowEvenAcrossKernelEntries) {
  const UnitConfig u = rv(0, 8);
  const std::vector<int> slots{0, 2, 3, 4};  // slot 1 is the kernel's
  const std::vector<Grant> g{{{0x8000'0000, 0x1000}, Perms::RX}, {{0x8010'0000, 0x8a0}, Perms::RW}};
  const EncodeResult r = encode(u, g, slots);
  ASSERT_TRUE(r.encoding);
  EXPECT_EQ(verify_encoding(u, g, *r.encoding), "");
}

TEST(Encode, UnencodablePermsAndOverlaps) {
  for (const UnitConfig& u : {v7(), v8(), rv()}) {
    const std::vector<Grant> w{{{0x2000'0000, 0x100}, Perms::W}};
    EXPECT_EQ(encode(u, w, all_slots(u)).failure.kind, EncodeFailureKind::UnencodablePerms);
    const std::vector<Grant> o{{{0x2000'0000, 0x100}, Perms::R}, {{0x2000'0080, 0x100}, Perms::R}};
    EXPECT_EQ(encode(u, o, all_slots(u)).failure.kind, EncodeFailureKind::Overlap);
  }
  EXPECT_TRUE(perms_encodable(Arch::Rv32, Perms::X));     // PMP may grant execute-only
  EXPECT_FALSE(perms_encodable(Arch::ArmV7M, Perms::X));  // B3.5.9: execution needs read
}

TEST(Encode, BudgetFailureReportsWhatIsNeeded) {
  const UnitConfig u = v7(2);
  const std::vector<Grant> g{
      {{0x2000'0000, 0x20}, Perms::R}, {{0x2000'1000, 0x20}, Perms::R}, {{0x2000'2000, 0x20}, Perms::R}};
  const EncodeResult r = encode(u, g, all_slots(u));
  ASSERT_FALSE(r.encoding);
  EXPECT_EQ(r.failure.kind, EncodeFailureKind::Budget);
  EXPECT_EQ(r.failure.needed, 3);
  EXPECT_EQ(regions_needed(u, g), 3);
}

TEST(Encode, NearestSingleRegion) {
  // B3.5.9: six 128-byte subregions of a 1 KiB region are one region; 0x340 bytes need a 2 KiB one.
  EXPECT_EQ(nearest_single_region(v7(), {0x2000'1100, 0x300}), (AddressRange{0x2000'1100, 0x300}));
  EXPECT_EQ(nearest_single_region(v7(), {0x2000'1100, 0x340}), (AddressRange{0x2000'1100, 0x400}));
  EXPECT_EQ(nearest_single_region(v7(), {0x2000'1100, 0x200}), (AddressRange{0x2000'1100, 0x200}));
  EXPECT_EQ(nearest_single_region(v8(), {0x2000'1110, 0x300}), (AddressRange{0x2000'1100, 0x320}));
  EXPECT_EQ(nearest_single_region(rv(), {0x8000'0100, 0x300}), (AddressRange{0x8000'0000, 0x400}));
}

TEST(EncodeKernel, PrivilegedOnlyRegionDeniesUnprivileged) {
  for (const UnitConfig& u : {v7(), v8(), rv()}) {
    const std::vector<KernelRegion> k{{0, {0x2003'0000, 0x10000}, Perms::RW}};
    const EncodeResult r = encode_kernel(u, k);
    ASSERT_TRUE(r.encoding) << r.failure.message;
    auto model = make_unit(u);
    ASSERT_TRUE(apply(r.encoding->programming, *model));
    EXPECT_EQ(model->uniform_perms({0x2003'0000, 0x10000}, Privilege::Unprivileged), Perms::None);
    EXPECT_TRUE(model->check(0x2003'0000, 4, Access::Write, Privilege::Privileged).allowed);
  }
  const std::vector<KernelRegion> odd{{0, {0x2003'0000, 0x3000}, Perms::RW}};
  EXPECT_FALSE(encode_kernel(v7(), odd).encoding);
}

}  // namespace
}  // namespace bulkhead::layout::test
