// `bulkhead run --trace` end to end: the real binary on sample modules and layouts, and its usage errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_bulkhead.hpp"

namespace {

namespace fs = std::filesystem;
using bulkhead_test::bulkhead;
using bulkhead_test::module;
using bulkhead_test::Outcome;
using bulkhead_test::scratch_dir;
using bulkhead_test::slurp;

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.starts_with(prefix);
  return n;
}

TEST(RunTrace, AModuleRunWritesEveryInstructionAndEndsWithItsCount) {
  const fs::path file = scratch_dir() / "hello.trace";
  Outcome o = bulkhead("run --trace " + file.string() + " " + module("hello", "cortex-m4"));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("Hello from a Bulkhead module on"), std::string::npos);  // the run itself is unchanged
  EXPECT_EQ(o.err, "");
  const auto lines = lines_of(file);
  ASSERT_GT(lines.size(), 2u);
  EXPECT_EQ(lines.front(), "# bulkhead trace v1 format=text arch=armv7m");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_match(lines.back(), m, std::regex(R"(E hello-cortex-m4 exited 0 after (\d+) instructions)")))
      << lines.back();
  EXPECT_EQ(count_prefix(lines, "I hello-cortex-m4 "), std::stoull(m[1]));
  EXPECT_EQ(count_prefix(lines, "C hello-cortex-m4 syscall 0 exit(0x0) = -"), 1u);
}

TEST(RunTrace, CompactFormatOnRiscV) {
  const fs::path file = scratch_dir() / "checksum.trace";
  Outcome o =
      bulkhead("run --trace " + file.string() + " --trace-format compact " + module("checksum", "rv32imac"));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, "checksum 5c4cd6c5\n");
  const auto lines = lines_of(file);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines.front().starts_with("# bulkhead trace v1 format=compact arch=rv32 disassembly=none"))
      << lines.front();
  std::size_t insns = 0;
  for (const auto& l : lines) insns += l == "." || l.starts_with("j") || l.starts_with("@");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines.back(), m,
                               std::regex(R"(E checksum-rv32imac exited 0 after (\d+) instructions)")));
  EXPECT_EQ(insns, std::stoull(m[1]));
  EXPECT_GT(count_prefix(lines, "D "), 10u);
  EXPECT_LT(count_prefix(lines, "D "), insns / 10);  // each distinct instruction spelled out once
}

TEST(RunTrace, ALayoutRunTracesOnlyTheModulesAsked) {
  const fs::path file = scratch_dir() / "layout.trace";
  Outcome o = bulkhead("run " + std::string(BULKHEAD_SOURCE_DIR) +
                       "/firmware_samples/layouts/armv7m.toml --elf-dir " + FIRMWARE_DIR +
                       " --json --trace " + file.string() + " --trace-module app");
  ASSERT_EQ(o.status, 0) << o.err;
  const auto summary = nlohmann::json::parse(o.out);
  const auto lines = lines_of(file);
  ASSERT_EQ(summary["partitions"].size(), 2u);
  for (const auto& p : summary["partitions"]) {
    const std::string name = p["name"];
    EXPECT_GT(p["instructions"].get<std::uint64_t>(), 0u) << name;
    if (name == "app") {
      EXPECT_EQ(count_prefix(lines, "I app "), p["instructions"].get<std::uint64_t>());
      EXPECT_EQ(count_prefix(lines, "S "), p["switches"].get<std::uint64_t>());
      EXPECT_EQ(count_prefix(lines, "E app "), 1u);
    } else {
      EXPECT_EQ(count_prefix(lines, "I " + name + " "), 0u) << name;
      EXPECT_EQ(count_prefix(lines, "C " + name + " "), 0u) << name;
      EXPECT_EQ(count_prefix(lines, "E " + name + " "), 0u) << name;
    }
  }
  for (const auto& l : lines)
    if (l.starts_with("S ")) {
      EXPECT_TRUE(l.ends_with(" switch -> app")) << l;
    }
}

TEST(RunTrace, ABadRangeIsAUsageErrorBeforeAnythingRuns) {
  const fs::path file = scratch_dir() / "never.trace";
  for (const std::string range : {"0x30-0x10", "zz", "0x10-0x1ffffffff"}) {
    Outcome o = bulkhead("run --trace " + file.string() + " --trace-range " + range + " " +
                         module("hello", "cortex-m4"));
    EXPECT_EQ(o.status, 2) << range;
    EXPECT_EQ(o.out, "") << range;
    EXPECT_NE(o.err.find("bulkhead: error: trace range '" + range + "': "), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(file));
  }
}

TEST(RunTrace, AnUnwritableTraceFileIsAClearError) {
  Outcome o = bulkhead("run --trace /nonexistent-dir/run.trace " + module("hello", "rv32imac"));
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.out, "");  // nothing ran
  EXPECT_NE(o.err.find("cannot write the trace file /nonexistent-dir/run.trace: No such file or directory"),
            std::string::npos)
      << o.err;
  Outcome l = bulkhead("run --trace /nonexistent-dir/run.trace " + std::string(FIRMWARE_DIR) +
                       "/systems/ipc-rv32.toml");
  EXPECT_EQ(l.status, 2);
  EXPECT_NE(l.err.find("cannot write the trace file /nonexistent-dir/run.trace"), std::string::npos) << l.err;
}

TEST(RunTrace, UnknownFormatAndGdbTogetherAreUsageErrors) {
  const fs::path file = scratch_dir() / "x.trace";
  Outcome f =
      bulkhead("run --trace " + file.string() + " --trace-format binary " + module("hello", "cortex-m4"));
  EXPECT_EQ(f.status, 2);
  EXPECT_NE(f.err.find("--trace-format"), std::string::npos) << f.err;
  Outcome g = bulkhead("run --trace " + file.string() + " --gdb 0 " + module("hello", "cortex-m4"));
  EXPECT_EQ(g.status, 2);
  EXPECT_NE(g.err.find("--trace and --gdb cannot be used together"), std::string::npos) << g.err;
}

}  // namespace
