// Smepmp 1.0: mseccfg.MML / MMWP / RLB and the MML truth table.
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "pmp_test_util.hpp"

namespace bulkhead::pmp::test {
namespace {

constexpr std::uint32_t base = 0x80000000u;

void write_mseccfg(RiscvPmp& pmp, std::uint32_t v) {
  ASSERT_TRUE(pmp.write_csr(csr::MSECCFG, v));
}

TEST(Smepmp, MmwpDeniesUnmatchedMachineAccess) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x1000), NAPOT | R | W | X | L);
  write_mseccfg(pmp, mseccfg::MMWP);
  for (const Access a : {Access::Read, Access::Write, Access::Execute}) {
    const Verdict v = pmp.check(0x1000, 4, a, M);
    EXPECT_FALSE(v.allowed);
    EXPECT_EQ(v.reason, Reason::NoMatch);
    EXPECT_TRUE(pmp.check(base, 4, a, M).allowed);  // matched locked rules still allow
  }
  EXPECT_EQ(pmp.uniform_perms({0x1000, 0x1000}, M), Perms::None);
}

TEST(Smepmp, MmwpAndMmlAreSticky) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::MMWP | mseccfg::MML);
  write_mseccfg(pmp, 0);
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), mseccfg::MMWP | mseccfg::MML);
  RiscvPmp one;
  write_mseccfg(one, mseccfg::MML);
  write_mseccfg(one, mseccfg::MMWP);  // setting one keeps the other
  EXPECT_EQ(one.read_csr(csr::MSECCFG), mseccfg::MMWP | mseccfg::MML);
}

TEST(Smepmp, RlbCannotBeSetWhileAnEntryIsLocked) {
  RiscvPmp pmp;
  set_entry(pmp, 5, 0, OFF | L);  // Proposal 2b: even a disabled entry counts
  write_mseccfg(pmp, mseccfg::RLB);
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), 0u);
}

TEST(Smepmp, RlbSetBeforeLockingStaysUntilCleared) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::RLB);
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | L);
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), mseccfg::RLB);
  write_mseccfg(pmp, 0);  // clearing is always possible...
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), 0u);
  write_mseccfg(pmp, mseccfg::RLB);  // ...and then it is locked at 0
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), 0u);
}

TEST(Smepmp, RlbAllowsEditingLockedEntries) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::RLB);
  set_addr(pmp, 0, tor(base));
  set_entry(pmp, 1, tor(base + 0x100), TOR | R | L);
  set_addr(pmp, 0, tor(base - 0x100));  // base of a locked TOR
  set_addr(pmp, 1, tor(base + 0x200));
  set_cfg(pmp, 1, TOR | R | W);  // removes L
  EXPECT_EQ(addr_of(pmp, 0), tor(base - 0x100));
  EXPECT_EQ(addr_of(pmp, 1), tor(base + 0x200));
  EXPECT_EQ(cfg_of(pmp, 1), TOR | R | W);
}

TEST(Smepmp, MmlDeniesMachineExecutionWhereNoRuleMatches) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::MML);
  const Verdict x = pmp.check(0x1000, 4, Access::Execute, M);
  EXPECT_FALSE(x.allowed);
  EXPECT_EQ(x.reason, Reason::MmlRule);
  EXPECT_TRUE(pmp.check(0x1000, 4, Access::Read, M).allowed);
  EXPECT_TRUE(pmp.check(0x1000, 4, Access::Write, M).allowed);
  EXPECT_EQ(pmp.check(0x1000, 4, Access::Write, M).reason, Reason::MachineDefault);
  EXPECT_EQ(pmp.uniform_perms({0x1000, 0x1000}, M), Perms::RW);
}

TEST(Smepmp, MmlForbidsAddingMachineExecutableRules) {
  // Proposal 4b: with MML=1 and RLB=0, writes creating rows 1001, 1010, 1011, 1101 are ignored.
  for (unsigned lrwx = 0; lrwx < 16; ++lrwx) {
    const std::uint8_t cfg = static_cast<std::uint8_t>(NAPOT | ((lrwx & 8) ? L : 0) | ((lrwx & 4) ? R : 0) |
                                                       ((lrwx & 2) ? W : 0) | ((lrwx & 1) ? X : 0));
    const bool forbidden = lrwx == 0b1001 || lrwx == 0b1010 || lrwx == 0b1011 || lrwx == 0b1101;
    RiscvPmp pmp;
    write_mseccfg(pmp, mseccfg::MML);
    set_entry(pmp, 0, napot(base, 0x100), cfg);
    EXPECT_EQ(cfg_of(pmp, 0), forbidden ? 0 : cfg) << "LRWX=" << lrwx;
  }
}

TEST(Smepmp, RlbLiftsTheExecutableRuleRestriction) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::MML | mseccfg::RLB);
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | X | L);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | R | X | L);
  EXPECT_TRUE(pmp.check(base, 4, Access::Execute, M).allowed);
}

TEST(Smepmp, MmlKeepsRw01AsSharedRegionEncoding) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::MML);
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | W);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | W);
}

TEST(Smepmp, MmlUnlockedRuleRemainsEditable) {
  RiscvPmp pmp;
  write_mseccfg(pmp, mseccfg::MML);
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | W);  // S/U-only rule
  set_entry(pmp, 0, napot(0, 0x100), NAPOT | R);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | R);
  EXPECT_EQ(addr_of(pmp, 0), napot(0, 0x100));
}

TEST(Smepmp, MmlPartialMatchStillFails) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | R | W);
  write_mseccfg(pmp, mseccfg::MML);
  EXPECT_EQ(pmp.check(base + 0xFC, 8, Access::Read, U).reason, Reason::PartialMatch);
}

// One row of Smepmp 1.0 "Truth table when mseccfg.MML is set", written from the spec's wording.
struct Row {
  const char* name;
  unsigned lrwx;
  const char* machine;  // "rwx" letters M-mode gets
  const char* user;     // "rwx" letters S/U-mode gets
};

void PrintTo(const Row& row, std::ostream* os) {
  *os << row.name;
}

class MmlTruthTable : public testing::TestWithParam<Row> {};

TEST_P(MmlTruthTable, Row) {
  const Row& row = GetParam();
  const std::uint8_t cfg =
      static_cast<std::uint8_t>(NAPOT | ((row.lrwx & 8) ? L : 0) | ((row.lrwx & 4) ? R : 0) |
                                ((row.lrwx & 2) ? W : 0) | ((row.lrwx & 1) ? X : 0));
  RiscvPmp pmp;
  // Proposal 4b forbids adding some of these rows under MML; RLB=1 lifts that (as a boot ROM would use it).
  write_mseccfg(pmp, mseccfg::MML | mseccfg::RLB);
  set_entry(pmp, 0, napot(base, 0x100), cfg);
  ASSERT_EQ(cfg_of(pmp, 0), cfg);
  write_mseccfg(pmp, mseccfg::MML);
  ASSERT_EQ(pmp.read_csr(csr::MSECCFG), mseccfg::MML);
  const auto expect = [&](Privilege priv, const std::string& perms) {
    const struct {
      Access access;
      char letter;
    } kinds[] = {{Access::Read, 'r'}, {Access::Write, 'w'}, {Access::Execute, 'x'}};
    for (const auto& k : kinds) {
      const Verdict v = pmp.check(base + 0x10, 4, k.access, priv);
      EXPECT_EQ(v.allowed, perms.find(k.letter) != std::string::npos)
          << to_string(priv) << " " << to_string(k.access);
      EXPECT_EQ(v.reason, Reason::MmlRule);
      EXPECT_EQ(v.region, 0);
    }
  };
  expect(M, row.machine);
  expect(U, row.user);
}

INSTANTIATE_TEST_SUITE_P(Smepmp, MmlTruthTable,
                         testing::Values(Row{"L0R0W0X0_Inaccessible", 0b0000, "", ""},
                                         Row{"L0R0W0X1_UserExecuteOnly", 0b0001, "", "x"},
                                         Row{"L0R0W1X0_SharedDataMachineRwUserRo", 0b0010, "rw", "r"},
                                         Row{"L0R0W1X1_SharedDataRwBoth", 0b0011, "rw", "rw"},
                                         Row{"L0R1W0X0_UserReadOnly", 0b0100, "", "r"},
                                         Row{"L0R1W0X1_UserReadExecute", 0b0101, "", "rx"},
                                         Row{"L0R1W1X0_UserReadWrite", 0b0110, "", "rw"},
                                         Row{"L0R1W1X1_UserReadWriteExecute", 0b0111, "", "rwx"},
                                         Row{"L1R0W0X0_LockedInaccessible", 0b1000, "", ""},
                                         Row{"L1R0W0X1_MachineExecuteOnly", 0b1001, "x", ""},
                                         Row{"L1R0W1X0_SharedCodeExecuteBoth", 0b1010, "x", "x"},
                                         Row{"L1R0W1X1_SharedCodeMachineRxUserX", 0b1011, "rx", "x"},
                                         Row{"L1R1W0X0_MachineReadOnly", 0b1100, "r", ""},
                                         Row{"L1R1W0X1_MachineReadExecute", 0b1101, "rx", ""},
                                         Row{"L1R1W1X0_MachineReadWrite", 0b1110, "rw", ""},
                                         Row{"L1R1W1X1_SharedDataReadOnlyBoth", 0b1111, "r", "r"}),
                         [](const testing::TestParamInfo<Row>& row_info) {
                           return std::string(row_info.param.name);
                         });

}  // namespace
}  // namespace bulkhead::pmp::test
