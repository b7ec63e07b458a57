// `bulkhead run` end to end: real cross-compiled modules, the real binary, exit statuses and reports.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "run_bulkhead.hpp"

namespace {

namespace fs = std::filesystem;
using bulkhead_test::bulkhead;
using bulkhead_test::module;
using bulkhead_test::Outcome;
using bulkhead_test::scratch_dir;
using bulkhead_test::slurp;

class EveryProfile : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryProfile, HelloPrintsItsGreetingAndExitsZero) {
  Outcome o = bulkhead("run " + module("hello", GetParam()));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("Hello from a Bulkhead module on"), std::string::npos) << o.out;
  EXPECT_EQ(o.err, "");
}

TEST_P(EveryProfile, ExitCodeIsPassedThrough) {
  Outcome o = bulkhead("run " + module("exit3", GetParam()));
  EXPECT_EQ(o.status, 3);
  EXPECT_EQ(o.out, "exiting with 3\n");
}

TEST_P(EveryProfile, ChecksumIsTheSameOnEveryCpu) {
  Outcome o = bulkhead("run " + module("checksum", GetParam()));
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, "checksum 5c4cd6c5\n");  // computed on the host: see ChecksumMatchesHostComputation
}

TEST_P(EveryProfile, UnmappedStoreReportsBusFaultWithSymbolAndLine) {
  Outcome o = bulkhead("run " + module("trap_unmapped", GetParam()));
  EXPECT_EQ(o.status, 139);
  EXPECT_EQ(o.out, "storing to unmapped memory\n");
  EXPECT_NE(o.err.find("BusFault: write of 4 bytes at 0x30000000"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("<poke+0x"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("trap_unmapped.c:6"), std::string::npos) << o.err;
}

// `bulkhead run` programs the MPU/PMP from the ELF's segments: a store into the module's own read-only
// segment is a precise protection fault with the syndrome the hardware would leave.
TEST_P(EveryProfile, StoreToOwnReadOnlySegmentIsAProtectionFault) {
  Outcome o = bulkhead("run " + module("trap_readonly", GetParam()));
  EXPECT_EQ(o.status, 139) << o.err;
  EXPECT_EQ(o.out, "storing to read-only memory\n");
  const bool rv = std::string(GetParam()) == "rv32imac";
  EXPECT_NE(o.err.find(rv ? "AccessFault: write of 4 bytes at 0x" : "MemManage: write of 4 bytes at 0x"),
            std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find(rv ? "mcause=7" : "MMFSR=0x82"), std::string::npos) << o.err;  // DACCVIOL|MMARVALID
  EXPECT_NE(o.err.find("<poke+0x"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("trap_readonly.c:9"), std::string::npos) << o.err;
}

TEST_P(EveryProfile, WithoutProtectionTheSameStoreLands) {
  Outcome o = bulkhead("run --no-protection " + module("trap_readonly", GetParam()));
  EXPECT_EQ(o.status, 1) << o.err;  // returns table[0]
  EXPECT_EQ(o.out, "storing to read-only memory\nnot reached\n");
}

TEST_P(EveryProfile, BadSyscallArgumentsComeBackAsErrorCodes) {
  Outcome o = bulkhead("run " + module("syscall_errors", GetParam()));
  EXPECT_NE(o.out.find("unknown=-1 bad_pointer=-2"), std::string::npos) << o.out;
}

TEST_P(EveryProfile, BudgetStopsTheRunWithStatus124) {
  Outcome o = bulkhead("run --max-instructions 5000 " + module("checksum", GetParam()));
  EXPECT_EQ(o.status, 124);
  EXPECT_NE(o.err.find("instruction budget of 5000 exhausted"), std::string::npos) << o.err;
}

// A layout runs all its partitions on one engine, each behind its own programming, round-robin.
class EveryLayout : public ::testing::TestWithParam<const char*> {};

std::string layout_args(const std::string& target) {
  return std::string(BULKHEAD_SOURCE_DIR) + "/firmware_samples/layouts/" + target + ".toml --elf-dir " +
         BULKHEAD_FIRMWARE_DIR;
}

TEST_P(EveryLayout, RunsEveryPartitionToItsExit) {
  Outcome o = bulkhead("run " + layout_args(GetParam()));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("[app] Hello from a Bulkhead module"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("[sensor] checksum 5c4cd6c5\n"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("partition `app`: exited with 0"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("partition `sensor`: exited with 0"), std::string::npos) << o.err;
}

// Time is counted in instructions, so a run is deterministic: the same command gives the same instruction
// counts, and any slice gives the same output, even with tens of thousands of context switches. (Counts
// across different slices match on RV32; on Arm, Unicorn's code hook skips IT-block instructions whose
// condition fails, so a stop inside an IT block can move a count by one: docs/design.md.)
TEST_P(EveryLayout, RunsAreDeterministicAndSlicesDoNotChangeTheOutput) {
  auto counts = [](const std::string& err) {
    std::string out;
    for (std::size_t at = 0; (at = err.find("after ", at)) != std::string::npos; at += 6)
      out += err.substr(at, err.find(" instructions", at) - at) + ";";
    return out;
  };
  Outcome big = bulkhead("run --slice 1000000000 " + layout_args(GetParam()));
  Outcome small = bulkhead("run --slice 40 " + layout_args(GetParam()));
  Outcome again = bulkhead("run --slice 40 " + layout_args(GetParam()));
  ASSERT_EQ(big.status, 0) << big.err;
  ASSERT_EQ(small.status, 0) << small.err;
  EXPECT_FALSE(counts(small.err).empty());
  EXPECT_EQ(counts(small.err), counts(again.err)) << small.err << again.err;
  EXPECT_EQ(small.out, again.out);
  if (std::string(GetParam()) == "rv32") {
    EXPECT_EQ(counts(big.err), counts(small.err)) << big.err << small.err;
  }
  // The same lines per partition (their interleaving may differ).
  auto lines_of = [](const std::string& out, const std::string& prefix) {
    std::string r;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) == 0) r += line + "\n";
    return r;
  };
  for (const char* p : {"[app] ", "[sensor] "}) EXPECT_EQ(lines_of(big.out, p), lines_of(small.out, p));
}

INSTANTIATE_TEST_SUITE_P(Layouts, EveryLayout, ::testing::Values("armv7m", "armv8m", "rv32"));

INSTANTIATE_TEST_SUITE_P(Profiles, EveryProfile, ::testing::Values("cortex-m4", "cortex-m33", "rv32imac"));

TEST(Run, ArmUndefinedInstructionReportsUsageFault) {
  Outcome o = bulkhead("run " + module("trap_udf", "cortex-m4"));
  EXPECT_EQ(o.status, 132);
  EXPECT_NE(o.err.find("UsageFault: undefined instruction at pc 0x"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("<main+0x"), std::string::npos) << o.err;
}

TEST(Run, RiscvEbreakReportsBreakpoint) {
  Outcome o = bulkhead("run " + module("trap_udf", "rv32imac"));
  EXPECT_EQ(o.status, 133);
  EXPECT_NE(o.err.find("Breakpoint: EBREAK at pc 0x"), std::string::npos) << o.err;
}

TEST(Run, UnknownSvcIsReportedAsUnknownTrap) {
  Outcome o = bulkhead("run " + module("syscall_errors", "cortex-m33"));
  EXPECT_EQ(o.status, 133);
  EXPECT_NE(o.err.find("unknown trap: SVC #7 at pc 0x"), std::string::npos) << o.err;
}

TEST(Run, V8ImageRefusesToRunOnV7Cpu) {
  Outcome o = bulkhead("run --cpu cortex-m4 " + module("hello", "cortex-m33"));
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("armv8m image cannot run on cortex-m4"), std::string::npos) << o.err;
}

TEST(Run, V7ImageRunsOnV8Cpu) {
  Outcome o = bulkhead("run --cpu cortex-m33 " + module("hello", "cortex-m4"));
  EXPECT_EQ(o.status, 0) << o.err;
}

TEST(Run, MalformedElfGivesClearErrorNamingTheFile) {
  const fs::path bad = scratch_dir() / "garbage.elf";
  std::ofstream(bad) << "this is not an ELF file at all";
  Outcome o = bulkhead("run " + bad.string());
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("garbage.elf: not an ELF file"), std::string::npos) << o.err;
}

TEST(Run, MissingFileGivesClearError) {
  Outcome o = bulkhead("run /nonexistent/module.elf");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("/nonexistent/module.elf"), std::string::npos) << o.err;
}

TEST(Run, UnknownOptionIsAUsageError) {
  Outcome o = bulkhead("run --frobnicate " + module("hello", "rv32imac"));
  EXPECT_EQ(o.status, 2);
}

// The expected checksum above, computed on the host with the module's own algorithm.
TEST(Run, ChecksumMatchesHostComputation) {
  std::uint32_t table[256];
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  std::uint8_t buffer[2048], copy[2048];
  std::uint32_t x = 12345;
  for (auto& b : buffer) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::uint8_t>(x >> 16);
  }
  std::uint32_t acc = 0;
  for (int round = 0; round < 50; ++round) {
    std::copy(std::begin(buffer), std::end(buffer), copy);
    copy[round] ^= static_cast<std::uint8_t>(round);
    std::uint32_t c = 0xFFFFFFFFu;
    for (auto b : copy) c = table[(c ^ b) & 0xFFu] ^ (c >> 8);
    acc ^= (c ^ 0xFFFFFFFFu) + static_cast<std::uint32_t>(round);
  }
  EXPECT_EQ(acc, 0x5c4cd6c5u);
}

}  // namespace

namespace {

std::string system_layout(const std::string& name, const std::string& target) {
  return std::string(BULKHEAD_FIRMWARE_DIR) + "/systems/" + name + "-" + target + ".toml";
}

// A layout's instruction count and output do not depend on the slice: a preemption stops between two
// instructions and the partition resumes exactly there (bench/layouts: bench_mix in page-aligned regions,
// which Arm runs without the exact-PC hook; found when RV32 did not).
class EveryLayoutTarget : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryLayoutTarget, CountAndOutputDoNotDependOnTheSlice) {
  std::string layout =
      slurp(fs::path(BULKHEAD_SOURCE_DIR) / "bench/layouts" / ("mix-" + GetParam() + ".toml"));
  for (std::size_t at; (at = layout.find("bench_mix-")) != std::string::npos;)
    layout.replace(at, 10, "bench_mix_short-");  // 1 M instructions instead of 100 M
  const fs::path file = scratch_dir() / "short.toml";
  bulkhead_test::write_file(file, layout);
  std::string first_summary;
  for (const char* slice : {"10000", "997", "13"}) {
    const Outcome o = bulkhead("run " + file.string() + " --elf-dir " + FIRMWARE_DIR + " --slice " + slice);
    ASSERT_EQ(o.status, 0) << "slice " << slice << "\n" << o.err;
    EXPECT_NE(o.out.find("checksum 39e53265"), std::string::npos) << "slice " << slice << o.out;
    const auto at = o.err.find("exited with 0 after ");
    ASSERT_NE(at, std::string::npos) << o.err;
    const std::string summary = o.err.substr(at, o.err.find(" instructions", at) - at);
    if (first_summary.empty()) first_summary = summary;
    EXPECT_EQ(summary, first_summary) << "slice " << slice;
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, EveryLayoutTarget, ::testing::Values("armv7m", "armv8m", "rv32"));

}  // namespace

// `bulkhead run SYSTEM --json`: the summary and the fault reports as one JSON document on stdout; the
// partitions' console output goes to stderr.
TEST(RunSystem, JsonSummaryHasEveryPartitionAndFault) {
  Outcome o = bulkhead("run --json --max-instructions 3000000 " + system_layout("faults", "armv7m"));
  EXPECT_EQ(o.status, 139) << o.err;
  EXPECT_EQ(o.out.front(), '{');
  for (const char* key :
       {"\"name\": \"victim\"", "\"outcome\": \"exited\"", "\"exit_code\": 0", "\"name\": \"stray\"",
        "\"policy\": \"restart\"", "\"outcome\": \"restarted (1 of 2)\"",
        "\"outcome\": \"killed; notified `supervisor`\"", "\"kind\": \"MemManage\"", "\"mmfar\": 537133056",
        "\"audit_report\"", "\"context_switches\"", "\"switches\"", "\"syscalls\""})
    EXPECT_NE(o.out.find(key), std::string::npos) << key << "\n" << o.out;
  EXPECT_NE(o.err.find("[victim] victim: done"), std::string::npos) << o.err;
  EXPECT_EQ(o.out.find("[victim]"), std::string::npos);
}

TEST(RunSystem, OutputDirGetsOneFilePerPartition) {
  const fs::path dir = fs::temp_directory_path() / ("bulkhead-out-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Outcome o = bulkhead("run --output-dir " + dir.string() + " " + system_layout("ipc", "rv32"));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(slurp(dir / "consumer.txt"), "consumer: served 5 requests\nconsumer: notified (bits 1)\n");
  EXPECT_NE(slurp(dir / "producer.txt").find("producer: 5 + 25 = 30\n"), std::string::npos);
  fs::remove_all(dir);
}

TEST(RunSystem, HaltPolicyExits134AndAuditPrintsTheSmallestChange) {
  Outcome halt = bulkhead("run " + system_layout("halt", "armv8m"));
  EXPECT_EQ(halt.status, 134) << halt.err;
  EXPECT_NE(halt.err.find("partition `victim`: stopped by the system halt"), std::string::npos) << halt.err;
  Outcome faults =
      bulkhead("run --check-isolation --max-instructions 3000000 " + system_layout("faults", "rv32"));
  EXPECT_NE(faults.err.find("audit: partition `snoop`: 5 distinct out-of-layout accesses"), std::string::npos)
      << faults.err;
  EXPECT_NE(faults.err.find("smallest change: give `snoop` [[partition.region]] base = 0x801d2000, size = "
                            "0x00000008, access = \"rw\""),
            std::string::npos)
      << faults.err;
  EXPECT_NE(faults.err.find("regions in force (pmp):"), std::string::npos);
}
