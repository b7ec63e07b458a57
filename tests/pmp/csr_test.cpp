// The register face: CSR existence, WARL legalisation, granularity, locks (priv. spec 3.7.1, 3.7.1.2).
#include <initializer_list>
#include <stdexcept>

#include <gtest/gtest.h>

#include "pmp_test_util.hpp"

namespace bulkhead::pmp::test {
namespace {

constexpr std::uint32_t base = 0x80000000u;

TEST(RiscvPmp, CsrExistenceFollowsEntryCount) {
  struct Case {
    unsigned entries;
    unsigned pmpcfgs;  // RV32: ceil(entries / 4) pmpcfg CSRs
  };
  for (const Case c : {Case{0, 0}, Case{6, 2}, Case{8, 2}, Case{16, 4}, Case{64, 16}}) {
    RiscvPmp pmp(PmpOptions{.entries = c.entries});
    for (unsigned k = 0; k < 16; ++k) {
      const auto csr = static_cast<std::uint16_t>(csr::PMPCFG0 + k);
      EXPECT_EQ(pmp.read_csr(csr).has_value(), k < c.pmpcfgs) << c.entries << " pmpcfg" << k;
      EXPECT_EQ(pmp.write_csr(csr, 0), k < c.pmpcfgs);
    }
    for (unsigned i = 0; i < 64; ++i) {
      const auto csr = static_cast<std::uint16_t>(csr::PMPADDR0 + i);
      EXPECT_EQ(pmp.read_csr(csr).has_value(), i < c.entries) << c.entries << " pmpaddr" << i;
      EXPECT_EQ(pmp.write_csr(csr, 0), i < c.entries);
    }
  }
}

TEST(RiscvPmp, PartialPmpcfgReadsZeroForMissingEntries) {
  RiscvPmp pmp(PmpOptions{.entries = 6});
  ASSERT_TRUE(pmp.write_csr(csr::PMPCFG0 + 1, 0x1B1B1B1B));
  EXPECT_EQ(pmp.read_csr(csr::PMPCFG0 + 1), 0x1B1Bu);
}

TEST(RiscvPmp, UnimplementedCsrsReadZeroWhenConfigured) {
  RiscvPmp pmp(PmpOptions{.entries = 8, .unimplemented_csrs_read_zero = true});
  EXPECT_TRUE(pmp.write_csr(csr::PMPADDR0 + 20, 0x1234));
  EXPECT_EQ(pmp.read_csr(csr::PMPADDR0 + 20), 0u);
  EXPECT_TRUE(pmp.write_csr(csr::PMPCFG15, 0x1F1F1F1F));
  EXPECT_EQ(pmp.read_csr(csr::PMPCFG15), 0u);
  RiscvPmp none(PmpOptions{.entries = 0, .unimplemented_csrs_read_zero = true});
  EXPECT_FALSE(none.read_csr(csr::PMPADDR0).has_value());
}

TEST(RiscvPmp, MseccfgExistsOnlyWithSmepmp) {
  RiscvPmp with;
  EXPECT_EQ(with.read_csr(csr::MSECCFG), 0u);
  EXPECT_EQ(with.read_csr(csr::MSECCFGH), 0u);
  EXPECT_TRUE(with.write_csr(csr::MSECCFGH, 0xFFFFFFFF));
  EXPECT_EQ(with.read_csr(csr::MSECCFGH), 0u);
  RiscvPmp without(PmpOptions{.smepmp = false});
  EXPECT_FALSE(without.read_csr(csr::MSECCFG).has_value());
  EXPECT_FALSE(without.write_csr(csr::MSECCFG, mseccfg::MMWP));
  EXPECT_FALSE(without.read_csr(csr::MSECCFGH).has_value());
}

TEST(RiscvPmp, IsPmpCsrCoversTheCsrNumbers) {
  for (const std::uint16_t c :
       std::initializer_list<std::uint16_t>{0x3A0, 0x3AF, 0x3B0, 0x3EF, 0x747, 0x757}) {
    EXPECT_TRUE(RiscvPmp::is_pmp_csr(c)) << c;
  }
  for (const std::uint16_t c : std::initializer_list<std::uint16_t>{0x39F, 0x3F0, 0x746, 0x748, 0x300}) {
    EXPECT_FALSE(RiscvPmp::is_pmp_csr(c)) << c;
  }
}

TEST(RiscvPmp, ConstructorRejectsImpossibleOptions) {
  EXPECT_THROW(RiscvPmp(PmpOptions{.entries = 65}), std::invalid_argument);
  EXPECT_THROW(RiscvPmp(PmpOptions{.granularity = 31}), std::invalid_argument);
  EXPECT_NO_THROW(RiscvPmp(PmpOptions{.entries = 64, .granularity = 30}));
}

TEST(Warl, ReservedRw01ClearsWriteWithoutMml) {
  // Priv. spec 3.7.1: R=0,W=1 is reserved; Bulkhead legalises it by clearing W (QEMU 7.2 keeps it and grants
  // W).
  const std::uint8_t cases[][2] = {
      {W, 0}, {W | X, X}, {NAPOT | W, NAPOT}, {NAPOT | W | X | L, NAPOT | X | L}};
  for (const auto& c : cases) {
    RiscvPmp pmp;
    set_entry(pmp, 0, napot(base, 0x100), c[0]);
    EXPECT_EQ(cfg_of(pmp, 0), c[1]) << int(c[0]);
  }
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | W);
  EXPECT_FALSE(pmp.check(base, 4, Access::Write, U).allowed);
}

TEST(Warl, ReservedRw01ClearsWriteWithoutSmepmp) {
  RiscvPmp pmp(PmpOptions{.smepmp = false});
  set_cfg(pmp, 0, NAPOT | W | R);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | W | R);
  set_cfg(pmp, 1, NAPOT | W);
  EXPECT_EQ(cfg_of(pmp, 1), NAPOT);
}

TEST(Warl, ReservedCfgBits6And5ReadZero) {
  RiscvPmp pmp;
  ASSERT_TRUE(pmp.write_csr(csr::PMPCFG0, 0x7F));  // bits 6:5 set, plus NAPOT|RWX
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | R | W | X);
}

TEST(Warl, MseccfgReservedBitsReadZero) {
  RiscvPmp pmp;
  ASSERT_TRUE(pmp.write_csr(csr::MSECCFG, 0xFFFFFFF8));
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), 0u);
}

TEST(Warl, Na4WithGranularityAtLeastOneBecomesOff) {
  for (const unsigned g : {1u, 2u, 5u}) {
    RiscvPmp pmp(PmpOptions{.granularity = g});
    set_entry(pmp, 0, tor(base), NA4 | R | W);
    EXPECT_EQ(cfg_of(pmp, 0), OFF | R | W) << g;
    EXPECT_EQ(pmp.check(base, 4, Access::Read, U).reason, Reason::NoMatch);
  }
  RiscvPmp g0;
  set_cfg(g0, 0, NA4 | R);
  EXPECT_EQ(cfg_of(g0, 0), NA4 | R);
}

TEST(Granularity, NapotLowBitsReadAsOnes) {
  struct Case {
    unsigned g;
    std::uint32_t written, read;
  };
  // Priv. spec 3.7.1: G >= 2 and NAPOT: pmpaddr bits G-2..0 read as ones.
  const Case cases[] = {{0, 0x20000000, 0x20000000},
                        {1, 0x20000000, 0x20000000},
                        {2, 0x20000000, 0x20000001},
                        {3, 0x20000000, 0x20000003},
                        {10, 0x20000400, 0x200005FF}};
  for (const Case& c : cases) {
    RiscvPmp pmp(PmpOptions{.granularity = c.g});
    set_entry(pmp, 0, c.written, NAPOT | R);
    EXPECT_EQ(addr_of(pmp, 0), c.read) << c.g;
    // The grain is also the smallest region: 2^(G+2) bytes.
    EXPECT_GE(pmp.regions()[0].range.size, 1ull << (c.g + 2)) << c.g;
  }
}

TEST(Granularity, TorAndOffLowBitsReadAsZeros) {
  for (const std::uint8_t mode : {OFF, TOR}) {
    RiscvPmp pmp(PmpOptions{.granularity = 3});
    set_entry(pmp, 0, 0x2000000F, mode | R);
    EXPECT_EQ(addr_of(pmp, 0), 0x20000008u) << int(mode);  // bits 2..0 read as zeros
  }
  RiscvPmp g0;
  set_entry(g0, 0, 0x2000000F, TOR | R);
  EXPECT_EQ(addr_of(g0, 0), 0x2000000Fu);
}

TEST(Granularity, StoredLowBitsSurviveModeChanges) {
  // Priv. spec 3.7.1: changing A does not change the stored pmpaddr; bit G-1 keeps its value.
  RiscvPmp pmp(PmpOptions{.granularity = 2});
  set_entry(pmp, 0, 0x20000002, NAPOT | R);
  EXPECT_EQ(addr_of(pmp, 0), 0x20000003u);
  set_cfg(pmp, 0, TOR | R);
  EXPECT_EQ(addr_of(pmp, 0), 0x20000000u);
  set_cfg(pmp, 0, NAPOT | R);
  EXPECT_EQ(addr_of(pmp, 0), 0x20000003u);
  EXPECT_EQ(pmp.regions()[0].range, (AddressRange{base, 32}));  // 0x..03: two trailing ones, 32 bytes
}

TEST(Granularity, TorBoundsIgnoreGrainBits) {
  RiscvPmp pmp(PmpOptions{.granularity = 2});    // 16-byte grain
  set_addr(pmp, 0, tor(base + 0x14));            // reads back as base + 0x10 in OFF mode
  set_entry(pmp, 1, tor(base + 0x3C), TOR | R);  // top rounds down to base + 0x30
  EXPECT_EQ(pmp.regions()[1].range, (AddressRange{base + 0x10, 0x20}));
  EXPECT_TRUE(pmp.check(base + 0x10, 4, Access::Read, U).allowed);
  EXPECT_FALSE(pmp.check(base + 0x30, 4, Access::Read, U).allowed);
}

TEST(RiscvPmp, LockedEntryIgnoresCfgAndAddrWrites) {
  RiscvPmp pmp;
  set_entry(pmp, 3, napot(base, 0x100), NAPOT | R | L);
  set_cfg(pmp, 3, NAPOT | R | W | X);
  set_addr(pmp, 3, napot(0, 0x100));
  EXPECT_EQ(cfg_of(pmp, 3), NAPOT | R | L);
  EXPECT_EQ(addr_of(pmp, 3), napot(base, 0x100));
  EXPECT_FALSE(pmp.check(base, 4, Access::Write, M).allowed);
}

TEST(RiscvPmp, LockOnOffEntryStillLocks) {
  RiscvPmp pmp;
  set_entry(pmp, 0, 0x1234, OFF | L);
  set_cfg(pmp, 0, NAPOT | R);
  set_addr(pmp, 0, 0x5678);
  EXPECT_EQ(cfg_of(pmp, 0), OFF | L);
  EXPECT_EQ(addr_of(pmp, 0), 0x1234u);
}

TEST(RiscvPmp, BytesOfOnePmpcfgLockIndependently) {
  RiscvPmp pmp;
  set_cfg(pmp, 1, NAPOT | R | L);
  ASSERT_TRUE(pmp.write_csr(csr::PMPCFG0, 0x1F1F1F1F));
  EXPECT_EQ(pmp.read_csr(csr::PMPCFG0), 0x1F1F991Fu);
}

TEST(RiscvPmp, LockedTorFreezesPreviousPmpaddr) {
  RiscvPmp pmp;
  set_addr(pmp, 0, tor(base));
  set_entry(pmp, 1, tor(base + 0x1000), TOR | R | L);
  set_addr(pmp, 0, tor(0));
  EXPECT_EQ(addr_of(pmp, 0), tor(base));
  EXPECT_FALSE(pmp.check(0x100, 4, Access::Read, U).allowed);
  // The previous entry's own cfg stays writable.
  set_cfg(pmp, 0, NAPOT | R);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | R);
}

TEST(RiscvPmp, LockedNapotDoesNotFreezePreviousPmpaddr) {
  RiscvPmp pmp;
  set_addr(pmp, 0, tor(base));
  set_entry(pmp, 1, napot(base, 0x1000), NAPOT | R | L);
  set_addr(pmp, 0, tor(0x2000));
  EXPECT_EQ(addr_of(pmp, 0), tor(0x2000));
}

TEST(RiscvPmp, ResetUnlocksEverything) {
  RiscvPmp pmp;
  set_entry(pmp, 0, napot(base, 0x100), NAPOT | L);
  ASSERT_TRUE(pmp.write_csr(csr::MSECCFG, mseccfg::MML | mseccfg::MMWP));
  pmp.reset();
  EXPECT_EQ(cfg_of(pmp, 0), 0);
  EXPECT_EQ(pmp.read_csr(csr::MSECCFG), 0u);
  set_entry(pmp, 0, napot(0, 0x100), NAPOT | R);
  EXPECT_EQ(cfg_of(pmp, 0), NAPOT | R);
  EXPECT_EQ(addr_of(pmp, 0), napot(0, 0x100));
}

TEST(RiscvPmp, GenerationCountsEffectiveChangesOnly) {
  RiscvPmp pmp;
  const std::uint64_t g0 = pmp.generation();
  set_addr(pmp, 0, 0x1234);  // entry 0 is OFF: no decision changes
  EXPECT_EQ(pmp.generation(), g0);
  set_cfg(pmp, 0, NAPOT | R);
  const std::uint64_t g1 = pmp.generation();
  EXPECT_GT(g1, g0);
  set_cfg(pmp, 0, NAPOT | R);  // same value
  EXPECT_EQ(pmp.generation(), g1);
  set_addr(pmp, 0, 0x5678);
  EXPECT_GT(pmp.generation(), g1);
  const std::uint64_t g2 = pmp.generation();
  set_cfg(pmp, 1, TOR);  // entry 1 now uses pmpaddr0 as its base
  const std::uint64_t g3 = pmp.generation();
  EXPECT_GT(g3, g2);
  set_cfg(pmp, 0, NAPOT | R | L);
  const std::uint64_t g4 = pmp.generation();
  set_cfg(pmp, 0, NAPOT | R | W);  // ignored: locked
  EXPECT_EQ(pmp.generation(), g4);
  ASSERT_TRUE(pmp.write_csr(csr::MSECCFG, mseccfg::MMWP));
  EXPECT_GT(pmp.generation(), g4);
  const std::uint64_t g5 = pmp.generation();
  pmp.reset();
  EXPECT_GT(pmp.generation(), g5);
}

}  // namespace
}  // namespace bulkhead::pmp::test
