// One test per error class of `bulkhead check`: each asserts the message names the partition and the region
// (or the file position, for a file that cannot be read as a layout).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/elf.hpp"
#include "layout_test_util.hpp"

namespace bulkhead::layout::test {
namespace {

using ::testing::HasSubstr;

std::string one_partition(const std::string& regions, const std::string& extra = "") {
  return v7_target() + "[[partition]]\nname = \"sensor\"\n" + extra + regions;
}

std::string region(const std::string& name, const std::string& kind, const std::string& base,
                   const std::string& size, const std::string& more = "") {
  return "[[partition.region]]\nname = \"" + name + "\"\nkind = \"" + kind + "\"\n" +
         (base.empty() ? "" : "base = " + base + "\n") + "size = " + size + "\n" + more;
}

void expect_names(const Diagnostic* d, const std::string& partition, const std::string& region_name) {
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::Error);
  EXPECT_EQ(d->partition, partition);
  EXPECT_THAT(d->message, HasSubstr("partition `" + partition + "`"));
  if (!region_name.empty()) {
    EXPECT_EQ(d->region, region_name);
    EXPECT_THAT(d->message, HasSubstr("`" + region_name + "`"));
  }
}

TEST(LayoutFile, InvalidTomlNamesFileLineAndColumn) {
  try {
    parse_layout("[target]\narch = \"armv7m\"\nregions = = 8\n", "bad.toml", ".");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_EQ(e.pos().line, 3);
    EXPECT_THAT(std::string(e.what()), HasSubstr("bad.toml:3:"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("invalid TOML"));
  }
}

TEST(LayoutFile, UnknownKeyIsAnErrorAtItsLine) {
  try {
    parse_layout(one_partition(region("code", "code", "0x08000000", "0x1000", "acess = \"rx\"\n")), "t.toml",
                 ".");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_GT(e.pos().line, 20);
    EXPECT_THAT(e.message(), HasSubstr("partition `sensor`"));
    EXPECT_THAT(e.message(), HasSubstr("unknown key `acess`"));
  }
}

TEST(LayoutFile, BadValuesNameTheThing) {
  EXPECT_THROW(parse_layout("[target]\narch = \"armv9m\"\n[[partition]]\nname = \"a\"\n", "t.toml", "."),
               LayoutError);
  try {
    parse_layout(one_partition(region("stack", "stack", "0x20000000", "0")), "t.toml", ".");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_THAT(e.message(), HasSubstr("region `stack`"));
    EXPECT_THAT(e.message(), HasSubstr("must be 1.."));
  }
  try {
    parse_layout(one_partition(region("data", "data", "0x20000000", "0x100", "access = \"rq\"\n")), "t.toml",
                 ".");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_THAT(e.message(), HasSubstr("partition `sensor`: region `data`"));
    EXPECT_THAT(e.message(), HasSubstr("\"rq\" is not an access"));
  }
  try {
    parse_layout(one_partition(region("data", "data", "0x20000000", "\"lots\"")), "t.toml", ".");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_THAT(e.message(), HasSubstr("\"lots\" is not a number"));
  }
}

TEST(LayoutFile, MissingFileSaysSo) {
  try {
    parse_layout_file("/nonexistent/layout.toml");
    FAIL() << "no error";
  } catch (const LayoutError& e) {
    EXPECT_THAT(std::string(e.what()), HasSubstr("/nonexistent/layout.toml: cannot open"));
  }
}

TEST(LayoutFile, SizesAcceptSuffixesAndSeparators) {
  const Layout l =
      parse_layout(one_partition(region("data", "data", "0x2000_0000", "\"2 KiB\"")), "t.toml", ".");
  ASSERT_EQ(l.partitions.size(), 1u);
  EXPECT_EQ(l.partitions[0].regions[0].size, 2048u);
  EXPECT_EQ(*l.partitions[0].regions[0].base, 0x2000'0000u);
}

TEST(LayoutCheck, MisalignedBoundaryNamesRegionAndNearestEncodable) {
  const CheckResult r = check_text(one_partition(region("stack", "stack", "0x20001110", "0x300")));
  const Diagnostic* d = find(r, "encoding");
  expect_names(d, "sensor", "stack");
  EXPECT_THAT(d->message, HasSubstr("0x20001110 is not a multiple of 32 bytes"));
  EXPECT_THAT(d->message, HasSubstr("nearest encodable: 0x20001100+0x320 or 0x20001120+0x2e0"));
  EXPECT_FALSE(r.ok());
}

TEST(LayoutCheck, UnencodableAccessNamesRegion) {
  const CheckResult r =
      check_text(one_partition(region("log", "data", "0x20000000", "0x100", "access = \"w\"\n")));
  const Diagnostic* d = find(r, "encoding");
  expect_names(d, "sensor", "log");
  EXPECT_THAT(d->message, HasSubstr("-w- cannot be granted on armv7m"));
}

TEST(LayoutCheck, BudgetCountsKernelRegionsAndNamesCostlyRegion) {
  // 4 regions, 1 kept by the kernel: 3 free. 0x20001100+0x340 costs 2 on its own (a 1 KiB region with
  // subregions 2-7 and a 64-byte one), the code 1, the uart 1.
  const std::string text =
      v7_target(4) + "[[partition]]\nname = \"sensor\"\n" + region("code", "code", "0x08000000", "0x1000") +
      region("stack", "stack", "0x20001100", "0x340") + region("uart", "peripheral", "0x40011000", "0x400");
  const CheckResult r = check_text(text);
  const Diagnostic* d = find(r, "budget");
  expect_names(d, "sensor", "stack");
  EXPECT_THAT(
      d->message,
      HasSubstr("needs 4 MPU regions on armv7m but 3 are free (4 in all, the kernel keeps `kernel`)"));
  EXPECT_THAT(d->message,
              HasSubstr("region `stack` 0x20001100+0x340 is not a power of two on armv7m and takes 2 MPU "
                        "regions; nearest encodable as one: 0x20001100+0x400"));
}

TEST(LayoutCheck, WritableOverlapBetweenPartitionsIsAnError) {
  const std::string text = v7_target() + "[[partition]]\nname = \"a\"\n" +
                           region("buf", "data", "0x20000000", "0x400") + "[[partition]]\nname = \"b\"\n" +
                           region("window", "data", "0x20000200", "0x200", "access = \"r\"\n");
  const CheckResult r = check_text(text);
  const Diagnostic* d = find(r, "overlap");
  expect_names(d, "b", "window");
  EXPECT_THAT(d->message, HasSubstr("partition `a`'s region `buf`"));
  EXPECT_THAT(d->message, HasSubstr("writable by `a`"));
}

TEST(LayoutCheck, ReadOnlyOverlapIsAWarning) {
  const std::string text = v7_target() + "[[partition]]\nname = \"a\"\n" +
                           region("tbl", "data", "0x20000000", "0x400", "access = \"r\"\n") +
                           "[[partition]]\nname = \"b\"\n" +
                           region("tbl", "data", "0x20000000", "0x400", "access = \"r\"\n");
  const CheckResult r = check_text(text);
  const Diagnostic* d = find(r, "overlap");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->severity, Severity::Warning);
  EXPECT_TRUE(r.ok()) << all_messages(r);
}

TEST(LayoutCheck, SharedRegionWithGrantIsNotAnOverlap) {
  const std::string text = v7_target() + "[[partition]]\nname = \"a\"\n" +
                           region("mbox", "shared", "0x20000000", "0x100") + "[[partition]]\nname = \"b\"\n" +
                           region("data", "data", "0x20001000", "0x100") +
                           "[[partition.share]]\npartition = \"a\"\nregion = \"mbox\"\naccess = \"rw\"\n";
  const CheckResult r = check_text(text);
  EXPECT_TRUE(r.ok()) << all_messages(r);
  ASSERT_FALSE(r.matrix.empty());
  EXPECT_EQ(r.cell(1, 0)->perms, Perms::RW);    // b may read and write a's mailbox...
  EXPECT_EQ(r.cell(0, 1)->perms, Perms::None);  // ...and a nothing of b
}

TEST(LayoutCheck, OverlapInsideOnePartitionNamesBothRegions) {
  const CheckResult r = check_text(one_partition(region("data", "data", "0x20000000", "0x400") +
                                                 region("stack", "stack", "0x20000300", "0x400")));
  const Diagnostic* d = find(r, "overlap");
  expect_names(d, "sensor", "stack");
  EXPECT_THAT(d->message, HasSubstr("overlaps its region `data`"));
}

TEST(LayoutCheck, WritableAndExecutableNeedsAllowWx) {
  const std::string jit = region("jit", "data", "0x20000000", "0x400", "access = \"rwx\"\n");
  const CheckResult r = check_text(one_partition(jit));
  const Diagnostic* d = find(r, "wx");
  expect_names(d, "sensor", "jit");
  EXPECT_THAT(d->message, HasSubstr("writable and executable"));
  const CheckResult allowed = check_text(
      one_partition(region("jit", "data", "0x20000000", "0x400", "access = \"rwx\"\nallow_wx = true\n")));
  EXPECT_EQ(find(allowed, "wx"), nullptr);
  EXPECT_TRUE(allowed.ok()) << all_messages(allowed);
}

TEST(LayoutCheck, PeripheralsOnlyWhereDeclared) {
  // A peripheral region outside the target's peripheral memory.
  const CheckResult a = check_text(one_partition(region("uart", "peripheral", "0x20008000", "0x400")));
  expect_names(find(a, "peripheral"), "sensor", "uart");
  EXPECT_THAT(find(a, "peripheral")->message, HasSubstr("lies in ram memory `ram`"));
  // A data region inside peripheral memory.
  const CheckResult b = check_text(one_partition(region("regs", "data", "0x40000000", "0x400")));
  expect_names(find(b, "peripheral"), "sensor", "regs");
  EXPECT_THAT(find(b, "peripheral")->message,
              HasSubstr("peripheral memory only through regions of kind \"peripheral\""));
  // Outside every memory.
  const CheckResult c = check_text(one_partition(region("far", "data", "0x60000000", "0x400")));
  expect_names(find(c, "memory"), "sensor", "far");
}

TEST(LayoutCheck, ShareMustNameASharedRegion) {
  const std::string text = v7_target() + "[[partition]]\nname = \"a\"\n" +
                           region("data", "data", "0x20000000", "0x100") + "[[partition]]\nname = \"b\"\n" +
                           region("data", "data", "0x20001000", "0x100") +
                           "[[partition.share]]\npartition = \"a\"\nregion = \"data\"\n" +
                           "[[partition.share]]\npartition = \"nobody\"\nregion = \"x\"\n";
  const CheckResult r = check_text(text);
  const Diagnostic* d = find(r, "share");
  expect_names(d, "b", "data");
  EXPECT_THAT(d->message, HasSubstr("region `data` of partition `a` is data, not kind \"shared\""));
  EXPECT_THAT(all_messages(r), HasSubstr("there is no partition `nobody`"));
}

TEST(LayoutCheck, KernelRangeIsOffLimits) {
  std::string text = v7_target();
  text += "base = 0x20030000\nsize = 0x10000\n";
  text += "[[partition]]\nname = \"sensor\"\n" + region("data", "data", "0x20038000", "0x100");
  const CheckResult r = check_text(text);
  const Diagnostic* d = find(r, "reserved");
  expect_names(d, "sensor", "data");
  EXPECT_THAT(d->message, HasSubstr("kernel's reserved region `kernel`"));
}

TEST(LayoutCheck, PlacementThatDoesNotFitNamesTheMemory) {
  const CheckResult r = check_text(one_partition(region("huge", "data", "", "\"512 KiB\"")));
  const Diagnostic* d = find(r, "placement");
  expect_names(d, "sensor", "huge");
  EXPECT_THAT(d->message, HasSubstr("does not fit in memory `ram`"));
}

TEST(LayoutCheck, PlacementIsAlignedAndReportsPadding) {
  // 0x300 bytes on PMSAv7: a 1 KiB region with its top two 128-byte subregions disabled, 1 KiB aligned.
  const CheckResult r = check_text(
      one_partition(region("fixed", "data", "0x20000000", "0x120") + region("buf", "data", "", "0x2f0")));
  ASSERT_TRUE(r.ok()) << all_messages(r);
  const PlacedRegion& buf = r.partitions[0].regions[1];
  EXPECT_TRUE(buf.placed);
  EXPECT_EQ(buf.range.base, 0x20000400u);
  EXPECT_EQ(buf.range.size, 0x300u);
  EXPECT_EQ(buf.padding(), 0x10u);
  EXPECT_EQ(r.padding(), 0x10u);
}

TEST(LayoutCheck, IsolationProofCatchesAWrongEncoding) {
  const std::string text = v7_target() + "[[partition]]\nname = \"a\"\n" +
                           region("data", "data", "0x20000000", "0x400") + "[[partition]]\nname = \"b\"\n" +
                           region("data", "data", "0x20000400", "0x400");
  CheckResult r = check_text(text);
  ASSERT_TRUE(r.ok()) << all_messages(r);
  EXPECT_EQ(r.cell(0, 1)->perms, Perms::None);
  // Double a's data region (RASR.SIZE + 1): it now reaches into b's memory.
  auto& regions = r.partitions[0].encoding->programming.v7;
  auto it = std::find_if(regions.begin(), regions.end(), [](const V7Region& v) { return v.rasr != 0; });
  ASSERT_NE(it, regions.end());
  it->rasr += 1u << 1;
  const std::vector<Diagnostic> found = prove_isolation(r);
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].code, "isolation");
  EXPECT_EQ(found[0].partition, "a");
  EXPECT_THAT(found[0].message, HasSubstr("grants rw- at 0x20000400+0x400 where the layout grants ---"));
  EXPECT_EQ(r.cell(0, 1)->perms, Perms::RW);
  ASSERT_EQ(r.cell(0, 1)->parts.size(), 1u);
  EXPECT_EQ(r.cell(0, 1)->parts[0].region, "data");
}

#ifdef FIRMWARE_DIR
std::string app_with(const std::string& regions) {
  return v7_target() + "[[partition]]\nname = \"app\"\nelf = \"hello-cortex-m4.elf\"\n" + regions;
}

TEST(LayoutCheckElf, SegmentOutsideTheRegionsNamesPartitionAndRange) {
  // hello's code is more than 4 KiB (its size read from the ELF): a 4 KiB code region leaves its tail
  // uncovered.
  const loader::Image hello = loader::load_elf(std::string(FIRMWARE_DIR) + "/hello-cortex-m4.elf");
  const std::uint32_t size = hello.segments.at(0).memsz;
  ASSERT_GT(size, 0x1000u);
  const CheckResult r = check_text(app_with(region("code", "code", "0x08000000", "0x1000") +
                                            region("ram", "data", "0x20000000", "0x1000")));
  const Diagnostic* d = find(r, "elf");
  expect_names(d, "app", "");
  char seg[80], tail[80];
  std::snprintf(seg, sizeof seg, "hello-cortex-m4.elf segment 0 0x8000000+0x%x (r-x)", size);
  std::snprintf(tail, sizeof tail, "0x8001000+0x%x is not covered", size - 0x1000);
  EXPECT_THAT(d->message, HasSubstr(seg));
  EXPECT_THAT(d->message, HasSubstr(tail));
}

TEST(LayoutCheckElf, MissingModuleNamesThePartition) {
  const CheckResult r = check_text(v7_target() + "[[partition]]\nname = \"ghost\"\nelf = \"no-such.elf\"\n" +
                                   region("ram", "data", "0x20000000", "0x1000"));
  const Diagnostic* d = find(r, "elf");
  expect_names(d, "ghost", "");
  EXPECT_THAT(d->message, HasSubstr("no-such.elf"));
}

TEST(LayoutCheckElf, StackMustHoldTheInitialStackPointer) {
  // hello's writable segment ends at 0x20000898 (__stack_top); a stack region below it does not hold it.
  const CheckResult r = check_text(app_with(region("code", "code", "0x08000000", "0x2000") +
                                            region("stack", "stack", "0x20000000", "0x800") +
                                            region("data", "data", "0x20000800", "0x800")));
  const Diagnostic* d = find(r, "stack");
  expect_names(d, "app", "stack");
  EXPECT_THAT(d->message, HasSubstr("initial stack pointer is 0x20000898"));
}

TEST(LayoutCheckElf, WrongArchitectureNamesBoth) {
  const CheckResult r =
      check_text(v7_target() + "[[partition]]\nname = \"rv\"\nelf = \"hello-rv32imac.elf\"\n" +
                 region("ram", "data", "0x20000000", "0x1000"));
  const Diagnostic* d = find(r, "elf");
  expect_names(d, "rv", "");
  EXPECT_THAT(d->message, HasSubstr("is built for rv32, the target is armv7m"));
}

TEST(LayoutCheckElf, ModuleInsideItsRegionsChecksClean) {
  const CheckResult r = check_text(app_with(region("code", "code", "0x08000000", "0x2000") +
                                            region("data", "data", "0x20000000", "0xa0") +
                                            region("stack", "stack", "0x200000a0", "0x800")));
  EXPECT_TRUE(r.ok()) << all_messages(r);
  // code; 2 KiB of data+stack and a 256-byte region with five 32-byte subregions for the rest (0x8a0 bytes).
  EXPECT_EQ(r.partitions[0].encoding->programming.used, 3);
}
#endif

}  // namespace
}  // namespace bulkhead::layout::test
