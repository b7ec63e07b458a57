// What reports see: regions(), syndrome(), and the fields of a Verdict.
#include <gtest/gtest.h>

#include "pmp_test_util.hpp"

namespace bulkhead::pmp::test {
namespace {

constexpr std::uint32_t base = 0x80000000u;

TEST(RiscvPmp, RegionsDescribeEveryImplementedEntry) {
  RiscvPmp pmp(PmpOptions{.entries = 8});
  set_entry(pmp, 3, napot(base, 0x1000), NAPOT | R | X | L);
  set_addr(pmp, 4, tor(base + 0x3000));
  set_entry(pmp, 5, tor(base + 0x5000), TOR | R | W);
  set_entry(pmp, 6, tor(base), TOR | R);  // base (pmpaddr5) above top: matches nothing
  set_entry(pmp, 7, tor(base + 0x40), NA4 | W | R);
  const auto rows = pmp.regions();
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].description, "pmp0 OFF ---");
  EXPECT_FALSE(rows[0].enabled);
  EXPECT_EQ(rows[3].description, "pmp3 NAPOT 0x80000000+0x1000 r-x L");
  EXPECT_TRUE(rows[3].enabled);
  EXPECT_EQ(rows[3].index, 3);
  EXPECT_EQ(rows[3].privileged, Perms::RX);
  EXPECT_EQ(rows[3].unprivileged, Perms::RX);
  EXPECT_EQ(rows[5].description, "pmp5 TOR 0x80003000+0x2000 rw-");
  EXPECT_EQ(rows[5].privileged, Perms::RWX);  // unlocked: M-mode unrestricted
  EXPECT_EQ(rows[5].unprivileged, Perms::RW);
  EXPECT_EQ(rows[6].description, "pmp6 TOR (matches nothing) r--");
  EXPECT_FALSE(rows[6].enabled);
  EXPECT_EQ(rows[7].description, "pmp7 NA4 0x80000040+0x4 rw-");
}

TEST(RiscvPmp, RegionsShowMmlPermissions) {
  RiscvPmp pmp;
  ASSERT_TRUE(pmp.write_csr(csr::MSECCFG, mseccfg::MML));
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | W | X);  // shared data, RW for both
  const auto rows = pmp.regions();
  EXPECT_EQ(rows[0].description, "pmp0 NAPOT 0x80000000+0x100 -wx (MML)");
  EXPECT_EQ(rows[0].privileged, Perms::RW);
  EXPECT_EQ(rows[0].unprivileged, Perms::RW);
}

TEST(RiscvPmp, SyndromeCodesFollowTheAccessKind) {
  RiscvPmp pmp;
  const Verdict v = pmp.check(0x1001, 4, Access::Read, U);
  ASSERT_FALSE(v.allowed);
  EXPECT_EQ(v.fault_address, 0x1001u);
  const struct {
    Access access;
    std::uint32_t mcause;
  } cases[] = {{Access::Execute, 1}, {Access::Read, 5}, {Access::Write, 7}};
  for (const auto& c : cases) {
    const Syndrome s = pmp.syndrome(v, c.access, 0x1001);
    EXPECT_EQ(s.mcause, c.mcause);
    EXPECT_EQ(s.mtval, 0x1001u);  // the first byte of the access
  }
}

TEST(RiscvPmp, VerdictNamesTheDecidingEntry) {
  RiscvPmp pmp;
  set_entry(pmp, 2, napot(base, 0x100), NAPOT | R);
  const Verdict v = pmp.check(base, 4, Access::Write, U);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.region, 2);
  EXPECT_EQ(v.reason, Reason::RegionMatch);
  EXPECT_EQ(v.granted, Perms::R);
  EXPECT_EQ(v.detail, "pmp2 r--");
  EXPECT_EQ(pmp.name(), "pmp");
}

}  // namespace
}  // namespace bulkhead::pmp::test
