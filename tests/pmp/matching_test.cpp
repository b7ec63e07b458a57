// Matching and decision rules: priv. spec 3.7.1 (address matching) and 3.7.1.3 (priority and matching logic).
#include <gtest/gtest.h>

#include "pmp_test_util.hpp"

namespace bulkhead::pmp::test {
namespace {

constexpr std::uint32_t base = 0x80000000u;

TEST(RiscvPmp, NapotTrailingOnesGiveSize) {
  struct Case {
    std::uint32_t pmpaddr;
    std::uint64_t base, size;
  };
  // Priv. spec Table 3.11: yyyy...y0 -> 8 bytes, yyy...y01 -> 16 bytes, n trailing ones -> 2^(n+3).
  const Case cases[] = {
      {0x20000000, 0x80000000, 8},      {0x20000001, 0x80000000, 16},   {0x200001FF, 0x80000000, 0x1000},
      {0x200003FF, 0x80000000, 0x2000}, {0x1FFFFFFF, 0x0, 0x100000000}, {0x2000000F, 0x80000000, 128},
  };
  for (const Case& c : cases) {
    RiscvPmp pmp;
    set_entry(pmp, 0, c.pmpaddr, NAPOT | R);
    SCOPED_TRACE(c.pmpaddr);
    EXPECT_EQ(pmp.regions()[0].range, (AddressRange{c.base, c.size}));
    EXPECT_TRUE(pmp.check(static_cast<std::uint32_t>(c.base), 1, Access::Read, U).allowed);
    EXPECT_TRUE(pmp.check(static_cast<std::uint32_t>(c.base + c.size - 1), 1, Access::Read, U).allowed);
    if (c.base > 0) {
      EXPECT_FALSE(pmp.check(static_cast<std::uint32_t>(c.base - 1), 1, Access::Read, U).allowed);
    }
    if (c.base + c.size < (1ull << 32)) {
      EXPECT_FALSE(pmp.check(static_cast<std::uint32_t>(c.base + c.size), 1, Access::Read, U).allowed);
    }
  }
}

TEST(RiscvPmp, NapotAllOnesCoversEntireSpace) {
  RiscvPmp pmp;
  set_entry(pmp, 0, 0xFFFFFFFF, NAPOT | R | W);  // Priv. spec Table 3.11: 2^35 bytes on RV32 (34-bit space)
  EXPECT_TRUE(pmp.check(0, 4, Access::Write, U).allowed);
  EXPECT_TRUE(pmp.check(0xFFFFFFFC, 4, Access::Write, U).allowed);
  EXPECT_FALSE(pmp.check(0x1000, 4, Access::Execute, U).allowed);
}

TEST(RiscvPmp, Na4MatchesExactlyFourBytes) {
  RiscvPmp pmp;
  set_entry(pmp, 0, tor(base + 8), NA4 | R);
  EXPECT_TRUE(pmp.check(base + 8, 4, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(base + 4, 4, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(base + 12, 1, Access::Read, U).allowed);
}

TEST(RiscvPmp, TorMatchesFromPreviousAddrUpToOwnAddr) {
  RiscvPmp pmp;
  set_addr(pmp, 0, tor(base + 0x100));
  set_entry(pmp, 1, tor(base + 0x200), TOR | R | W);
  EXPECT_FALSE(pmp.check(base + 0xFF, 1, Access::Read, U).allowed);
  EXPECT_TRUE(pmp.check(base + 0x100, 1, Access::Read, U).allowed);
  EXPECT_TRUE(pmp.check(base + 0x1FF, 1, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(base + 0x200, 1, Access::Read, U).allowed);  // top is exclusive
}

TEST(RiscvPmp, TorEntryZeroBaseIsAddressZero) {
  RiscvPmp pmp;
  set_entry(pmp, 0, tor(0x1000), TOR | R);
  EXPECT_TRUE(pmp.check(0, 4, Access::Read, U).allowed);
  EXPECT_TRUE(pmp.check(0xFFC, 4, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(0x1000, 4, Access::Read, U).allowed);
}

TEST(RiscvPmp, TorBaseIsPreviousAddrEvenWhenPreviousIsOff) {
  RiscvPmp pmp;
  set_entry(pmp, 0, tor(base + 0x100), OFF | R | W | X);  // OFF: matches nothing itself
  set_entry(pmp, 1, tor(base + 0x200), TOR | R);
  EXPECT_FALSE(pmp.check(base, 4, Access::Read, U).allowed);
  EXPECT_TRUE(pmp.check(base + 0x100, 4, Access::Read, U).allowed);
  EXPECT_EQ(pmp.check(base + 0x100, 4, Access::Read, U).region, 1);
}

TEST(RiscvPmp, TorBaseIsPreviousAddrEvenWhenPreviousIsNapot) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R);  // pmpaddr0 = 0x2000001F
  set_entry(pmp, 1, tor(base + 0x1000), TOR | R | W);
  // The TOR base is pmpaddr0 * 4 = base + 0x7C, not the end of the NAPOT region.
  const Verdict v = pmp.check(base + 0x80, 4, Access::Write, U);
  EXPECT_FALSE(v.allowed);  // entry 0 (lower number) matches and denies the write
  EXPECT_EQ(v.region, 0);
  EXPECT_TRUE(pmp.check(base + 0x100, 4, Access::Write, U).allowed);
}

TEST(RiscvPmp, TorWithBaseNotBelowTopMatchesNothing) {
  struct Case {
    std::uint32_t prev, top;
  };
  // Priv. spec 3.7.1: "If pmpaddr[i-1] >= pmpaddr[i] ... entry i matches no addresses". QEMU 7.2 departs for
  // top = 0 (it matches [base, 4 GiB)); we do not.
  const Case cases[] = {
      {tor(base + 0x100), tor(base + 0x100)}, {tor(base + 0x200), tor(base + 0x100)}, {tor(base), 0}};
  for (const Case& c : cases) {
    RiscvPmp pmp;
    set_addr(pmp, 0, c.prev);
    set_entry(pmp, 1, c.top, TOR | R | W | X);
    for (const std::uint32_t a : {0u, base - 4, base, base + 0x100, base + 0x1FC, 0xFFFFFFFCu}) {
      EXPECT_EQ(pmp.check(a, 4, Access::Read, U).reason, Reason::NoMatch) << std::hex << a;
    }
    EXPECT_FALSE(pmp.regions()[1].enabled);
  }
}

TEST(RiscvPmp, LowestNumberedMatchingEntryDecides) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R);
  set_entry(pmp, 1, napot(base, 0x1000), NAPOT | R | W);
  const Verdict v = pmp.check(base + 0x10, 4, Access::Write, U);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.region, 0);
  EXPECT_TRUE(pmp.check(base + 0x100, 4, Access::Write, U).allowed);
}

TEST(RiscvPmp, PartialMatchFailsEvenInMachineMode) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | W | X | L);
  const Verdict v = pmp.check(base + 0xFE, 4, Access::Read, M);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::PartialMatch);
  EXPECT_EQ(v.region, 0);
  // An unlocked entry does not bind M-mode, but a partial match still fails.
  RiscvPmp unlocked;
  set_entry(unlocked, 0, napot(base, 0x100), NAPOT | R | W | X);
  EXPECT_EQ(unlocked.check(base - 2, 4, Access::Write, M).reason, Reason::PartialMatch);
  EXPECT_FALSE(unlocked.check(base - 2, 4, Access::Write, M).allowed);
}

TEST(RiscvPmp, PartialMatchFailsEvenWhenNextEntryCoversTheRest) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 8), NAPOT | R | W);
  set_entry(pmp, 1, napot(base + 8, 8), NAPOT | R | W);
  EXPECT_TRUE(pmp.check(base, 8, Access::Read, U).allowed);
  const Verdict v = pmp.check(base + 6, 4, Access::Read, U);  // bytes in entries 0 and 1
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::PartialMatch);
}

TEST(RiscvPmp, PartialMatchOfLowerEntryWinsOverFullMatchOfHigher) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base + 0x10, 0x10), NAPOT | R);
  set_entry(pmp, 1, napot(base, 0x1000), NAPOT | R);
  const Verdict v = pmp.check(base + 0xC, 8, Access::Read, U);
  EXPECT_EQ(v.reason, Reason::PartialMatch);
  EXPECT_EQ(v.region, 0);
}

TEST(RiscvPmp, MachineAccessMatchingNoEntrySucceeds) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | L);
  for (const Access a : {Access::Read, Access::Write, Access::Execute}) {
    const Verdict v = pmp.check(0x1000, 4, a, M);
    EXPECT_TRUE(v.allowed);
    EXPECT_EQ(v.reason, Reason::MachineDefault);
  }
}

TEST(RiscvPmp, UnlockedEntryDoesNotBindMachineMode) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT);  // no permissions, unlocked
  for (const Access a : {Access::Read, Access::Write, Access::Execute}) {
    EXPECT_TRUE(pmp.check(base, 4, a, M).allowed);
    EXPECT_FALSE(pmp.check(base, 4, a, U).allowed);
  }
  EXPECT_EQ(pmp.check(base, 4, Access::Read, M).reason, Reason::RegionMatch);
}

TEST(RiscvPmp, LockedEntryBindsMachineMode) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | X | L);
  EXPECT_TRUE(pmp.check(base, 4, Access::Read, M).allowed);
  EXPECT_TRUE(pmp.check(base, 4, Access::Execute, M).allowed);
  const Verdict v = pmp.check(base, 4, Access::Write, M);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::LockedEntry);
  EXPECT_EQ(v.granted, Perms::RX);
  // Priv. spec 3.7.1.2: the same permissions apply to S/U mode.
  EXPECT_FALSE(pmp.check(base, 4, Access::Write, U).allowed);
  EXPECT_TRUE(pmp.check(base, 4, Access::Read, U).allowed);
}

TEST(RiscvPmp, UserAccessMatchingNoEntryFails) {
  RiscvPmp pmp;  // 16 entries, all OFF
  const Verdict v = pmp.check(0x1000, 4, Access::Read, U);
  EXPECT_FALSE(v.allowed);
  EXPECT_EQ(v.reason, Reason::NoMatch);
  EXPECT_EQ(v.region, -1);
}

TEST(RiscvPmp, UserAccessSucceedsWhenNoEntriesImplemented) {
  RiscvPmp pmp(PmpOptions{.entries = 0});
  EXPECT_TRUE(pmp.check(0x1000, 4, Access::Write, U).allowed);
  EXPECT_TRUE(pmp.check(0x1000, 4, Access::Execute, M).allowed);
  EXPECT_EQ(pmp.uniform_perms({0, 0x1000}, U), Perms::RWX);
}

TEST(RiscvPmp, UserPermissionsFollowRwxBits) {
  const std::uint8_t perms[] = {0, R, R | W, X, R | X, R | W | X};
  for (const std::uint8_t p : perms) {
    RiscvPmp pmp;
    set_entry(pmp, 0, napot(base, 0x100), NAPOT | p);
    EXPECT_EQ(pmp.check(base, 4, Access::Read, U).allowed, (p & R) != 0) << int(p);
    EXPECT_EQ(pmp.check(base, 4, Access::Write, U).allowed, (p & W) != 0) << int(p);
    EXPECT_EQ(pmp.check(base, 4, Access::Execute, U).allowed, (p & X) != 0) << int(p);
    EXPECT_EQ(pmp.check(base, 4, Access::Read, U).granted, static_cast<Perms>(p));
  }
}

TEST(RiscvPmp, RegionsAboveFourGiBDoNotAliasLowMemory) {
  RiscvPmp pmp;
  // NAPOT at 0x1_8000_0000 (pmpaddr bits 31:30 are address bits 33:32); QEMU 7.2 drops them.
  set_entry(pmp, 0, napot(0x180000000ull, 0x1000), NAPOT | R | W | X);
  EXPECT_EQ(pmp.regions()[0].range, (AddressRange{0x180000000ull, 0x1000}));
  EXPECT_EQ(pmp.check(base, 4, Access::Read, U).reason, Reason::NoMatch);
  EXPECT_FALSE(pmp.check(base, 4, Access::Read, U).allowed);
}

TEST(RiscvPmp, TorTopAboveFourGiBCoversTopOfAddressSpace) {
  RiscvPmp pmp;
  set_addr(pmp, 0, tor(0xFFFFF000u));
  set_entry(pmp, 1, tor(0x100001000ull), TOR | R);
  EXPECT_TRUE(pmp.check(0xFFFFFFFC, 4, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(0x0, 4, Access::Read, U).allowed);  // no aliasing of bytes above 4 GiB
}

TEST(RiscvPmp, AccessWrappingPastTopChecksBothEnds) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(0xFFFFF000u, 0x1000), NAPOT | R);
  set_entry(pmp, 1, napot(0, 0x1000), NAPOT | R);
  // Bytes 0xFFFFFFFE, 0xFFFFFFFF, 0x0, 0x1: entry 0 covers only the first two.
  const Verdict v = pmp.check(0xFFFFFFFE, 4, Access::Read, U);
  EXPECT_EQ(v.reason, Reason::PartialMatch);
  EXPECT_EQ(v.region, 0);
  RiscvPmp all;
  set_entry(all, 0, 0xFFFFFFFF, NAPOT | R);
  EXPECT_TRUE(all.check(0xFFFFFFFE, 4, Access::Read, U).allowed);
}

TEST(RiscvPmp, UniformPermsIsTheDecidingEntrysPermsWhenItCoversTheRange) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R);
  set_entry(pmp, 1, napot(base, 0x1000), NAPOT | R | W | L);
  EXPECT_EQ(pmp.uniform_perms({base, 0x100}, U), Perms::R);
  EXPECT_EQ(pmp.uniform_perms({base + 0x100, 0x100}, U), Perms::RW);
  EXPECT_EQ(pmp.uniform_perms({base, 0x100}, M), Perms::RWX);  // entry 0 unlocked: M-mode unrestricted
  EXPECT_EQ(pmp.uniform_perms({base + 0x100, 0x100}, M), Perms::RW);
}

TEST(RiscvPmp, UniformPermsIsNulloptWhenAnEntryEdgeIsInside) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | W | X);
  set_entry(pmp, 1, napot(base, 0x1000), NAPOT | R | W | X);  // same perms, still two rules
  EXPECT_EQ(pmp.uniform_perms({base, 0x1000}, U), std::nullopt);
  EXPECT_EQ(pmp.uniform_perms({base - 0x100, 0x200}, M), std::nullopt);  // partial match possible in M too
  EXPECT_EQ(pmp.uniform_perms({base, 0}, U), std::nullopt);
  EXPECT_EQ(pmp.uniform_perms({0xFFFFF000u, 0x2000}, U), std::nullopt);  // beyond 4 GiB
}

TEST(RiscvPmp, UniformPermsOutsideEveryEntryIsTheDefault) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R);
  EXPECT_EQ(pmp.uniform_perms({0x1000, 0x1000}, U), Perms::None);
  EXPECT_EQ(pmp.uniform_perms({0x1000, 0x1000}, M), Perms::RWX);
}

}  // namespace
}  // namespace bulkhead::pmp::test
