// Tock apps (docs/tock.md) on the TRD104 personality: every sample on Cortex-M4 and rv32imac through
// kernel_shim::System (outputs, exit codes, fault kinds and addresses at each boundary), several processes in
// one layout, and `bulkhead run` on .tbf, .tab and a malformed TBF.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/layout/tock.hpp"
#include "bulkhead/loader/tbf.hpp"
#include "run_bulkhead.hpp"

namespace bulkhead::kernel_shim {
namespace {

namespace fs = std::filesystem;

std::string tbf(const std::string& app, const std::string& arch) {
  return std::string(BULKHEAD_TOCK_DIR) + "/" + app + "-" + arch + ".tbf";
}

Arch arch_of(const std::string& arch) {
  return arch == "rv32imac" ? Arch::Rv32 : Arch::ArmV7M;
}

// A layout with one Tock partition running `app` (as `bulkhead run app.tbf` builds it), with kernel RAM
// below the process so that a write below mem_start is a protection fault.
layout::CheckResult one_app(const std::string& app, const std::string& arch,
                            const std::string& fault = "kill") {
  const bool rv = arch == "rv32imac";
  std::ostringstream toml;
  toml << "[target]\narch = \"" << (rv ? "rv32" : "armv7m") << "\"\n"
       << "[[target.memory]]\nname = \"flash\"\nkind = \"flash\"\nbase = "
       << (rv ? "0x20040000" : "0x00040000") << "\nsize = \"64 KiB\"\n"
       << "[[target.memory]]\nname = \"ram\"\nkind = \"ram\"\nbase = " << (rv ? "0x80000000" : "0x20000000")
       << "\nsize = \"64 KiB\"\n"
       << "[[partition]]\nname = \"" << app << "\"\nelf = \"" << tbf(app, arch) << "\"\nfault = \"" << fault
       << "\"\n";
  layout::CheckResult checked = layout::check_layout(layout::parse_layout(toml.str(), "test.toml", "."));
  for (const auto& d : checked.diagnostics)
    if (d.severity == layout::Severity::Error) ADD_FAILURE() << d.message;
  return checked;
}

struct TockRun {
  std::vector<PartitionResult> results;
  std::map<std::string, std::string> out;
  const PartitionResult& of(const std::string& name) const {
    for (const auto& r : results)
      if (r.name == name) return r;
    throw std::runtime_error("no partition " + name);
  }
};

TockRun run(const layout::CheckResult& checked, std::uint64_t max = 5'000'000) {
  TockRun r;
  System system(checked, [&](std::string_view p, std::string_view text) { r.out[std::string(p)] += text; });
  SystemOptions options;
  options.max_instructions = max;
  options.check_isolation = true;  // the personality's grants, proven after every switch
  r.results = system.run(options);
  return r;
}

layout::TockMemory memory_of(const std::string& app, const std::string& arch) {
  return layout::place_tock_app(layout::load_tock_app(tbf(app, arch), arch_of(arch)), arch_of(arch));
}

class TockArch : public ::testing::TestWithParam<std::string> {};

TEST_P(TockArch, HelloWritesThroughTheConsoleDriverAndExitsZero) {
  const TockRun r = run(one_app("tock_hello", GetParam()));
  const auto& p = r.of("tock_hello");
  EXPECT_EQ(p.result.outcome, Outcome::Exited) << p.result.report;
  EXPECT_EQ(p.result.exit_code, 0);
  EXPECT_NE(r.out.at("tock_hello").find("Hello from a Tock app on"), std::string::npos);
}

TEST_P(TockArch, AlarmUpcallsYieldVariantsAndNoDevice) {
  const TockRun r = run(one_app("tock_alarm", GetParam()));
  const auto& p = r.of("tock_alarm");
  EXPECT_EQ(p.result.outcome, Outcome::Exited) << p.result.report;
  EXPECT_EQ(p.result.exit_code, 0) << "failed step " << p.result.exit_code << "\n" << r.out.at("tock_alarm");
  const std::string& out = r.out.at("tock_alarm");
  EXPECT_NE(out.find("alarm frequency 0x000f4240"), std::string::npos) << out;
  EXPECT_NE(out.find("tick 3\nabsolute alarm fired\n"), std::string::npos) << out;
  EXPECT_NE(out.find("alarm done"), std::string::npos) << out;
}

TEST_P(TockArch, MemopBoundsBreakAndLowLevelDebug) {
  const layout::TockMemory m = memory_of("tock_memop", GetParam());
  const TockRun r = run(one_app("tock_memop", GetParam()));
  const auto& p = r.of("tock_memop");
  EXPECT_EQ(p.result.outcome, Outcome::Exited) << p.result.report;
  EXPECT_EQ(p.result.exit_code, 0) << r.out.at("tock_memop");
  const std::string& out = r.out.at("tock_memop");
  char line[64];
  std::snprintf(line, sizeof line, "grant start  0x%08x", m.grant_start);
  EXPECT_NE(out.find(line), std::string::npos) << out;
  std::snprintf(line, sizeof line, "flash end    0x%08x", m.flash_end());
  EXPECT_NE(out.find(line), std::string::npos) << out;
  std::snprintf(line, sizeof line, "heap grown to 0x%08x", m.initial_brk + 256);
  EXPECT_NE(out.find(line), std::string::npos) << out;
  EXPECT_NE(out.find("LowLevelDebug: App 0x0 prints 0x600d\n"), std::string::npos) << out;
}

struct Boundary {
  const char* app;
  Access access;
  std::uint32_t (*address)(const layout::TockMemory&);
};

TEST_P(TockArch, EachBoundaryFaultsAtItsExactAddress) {
  const Boundary cases[] = {
      {"tock_fault_flash_end", Access::Read, [](const layout::TockMemory& m) { return m.flash_end(); }},
      {"tock_fault_ram_start", Access::Write, [](const layout::TockMemory& m) { return m.mem_start - 1; }},
      {"tock_fault_app_brk", Access::Write, [](const layout::TockMemory& m) { return m.initial_brk; }},
      {"tock_fault_grant", Access::Read, [](const layout::TockMemory& m) { return m.grant_start; }},
  };
  const FaultKind kind = GetParam() == "rv32imac" ? FaultKind::AccessFault : FaultKind::MemManage;
  for (const Boundary& c : cases) {
    SCOPED_TRACE(c.app);
    const layout::TockMemory m = memory_of(c.app, GetParam());
    const TockRun r = run(one_app(c.app, GetParam()));
    const auto& p = r.of(c.app);
    ASSERT_EQ(p.result.outcome, Outcome::Faulted) << r.out.at(c.app);
    ASSERT_TRUE(p.result.fault);
    EXPECT_EQ(p.result.fault->kind, kind);
    EXPECT_EQ(p.result.fault->access, c.access);
    EXPECT_EQ(p.result.fault->address, c.address(m));
    EXPECT_EQ(r.out.at(c.app).find("NOT FAULTED"), std::string::npos);
    ASSERT_EQ(p.faults.size(), 1u);
    const std::string& report = p.faults[0].report;
    char addr[16];
    std::snprintf(addr, sizeof addr, "0x%08x", c.address(m));
    EXPECT_NE(report.find("process `" + std::string(c.app) + "` faulted"), std::string::npos) << report;
    EXPECT_NE(report.find(addr), std::string::npos) << report;
    EXPECT_NE(report.find("App: " + std::string(c.app)), std::string::npos) << report;
    EXPECT_NE(report.find("grant start (memop 6)"), std::string::npos) << report;
    EXPECT_NE(report.find("regions in force"), std::string::npos) << report;
  }
}

TEST_P(TockArch, RestartPolicyRestartsAFaultingProcessThenKillsIt) {
  const TockRun r = run(one_app("tock_fault_app_brk", GetParam(), "restart"));
  const auto& p = r.of("tock_fault_app_brk");
  EXPECT_EQ(p.result.outcome, Outcome::Faulted);
  EXPECT_EQ(p.restarts, 3u);  // max_restarts default 3, then the fourth fault kills it
  ASSERT_EQ(p.faults.size(), 4u);
  EXPECT_EQ(p.faults[0].outcome, "restarted (1 of 3)");
  EXPECT_NE(p.faults[3].report.find("Restart Count: 3"), std::string::npos) << p.faults[3].report;
}

TEST_P(TockArch, ExitRestartStartsTheProcessAgain) {
  const TockRun r = run(one_app("tock_restart", GetParam()), 20'000);
  const auto& p = r.of("tock_restart");
  EXPECT_EQ(p.result.outcome, Outcome::BudgetExhausted);
  EXPECT_GE(p.restarts, 5u);
  const std::string& out = r.out.at("tock_restart");
  EXPECT_EQ(out.substr(0, 40), "restart: a new life\nrestart: a new life\n");
}

INSTANTIATE_TEST_SUITE_P(Tock, TockArch, ::testing::Values("cortex-m4", "rv32imac"));

class TockLayout : public ::testing::TestWithParam<std::string> {};

TEST_P(TockLayout, SeveralProcessesRunAtOnceAndAFaultStaysInItsProcess) {
  const std::string path = std::string(BULKHEAD_TOCK_DIR) + "/tock-" + GetParam() + ".toml";
  const layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(path));
  ASSERT_TRUE(checked.ok());
  for (const auto& lp : checked.layout.partitions) EXPECT_EQ(lp.abi, layout::Abi::Tock) << lp.name;
  const TockRun r = run(checked);
  for (const char* name : {"hello", "alarm", "memop"}) {
    EXPECT_EQ(r.of(name).result.outcome, Outcome::Exited) << name << ": " << r.of(name).result.report;
    EXPECT_EQ(r.of(name).result.exit_code, 0) << name;
  }
  EXPECT_NE(r.out.at("alarm").find("alarm done"), std::string::npos);
  EXPECT_NE(r.out.at("memop").find("LowLevelDebug: App 0x2 prints 0x600d"), std::string::npos);
  const auto& f = r.of("faulter");
  EXPECT_EQ(f.result.outcome, Outcome::Faulted);
  EXPECT_EQ(f.restarts, 1u);
  ASSERT_EQ(f.faults.size(), 2u);
  EXPECT_EQ(f.faults[0].outcome, "restarted (1 of 1)");
  EXPECT_EQ(f.faults[1].fault.address, f.faults[0].fault.address);
}

INSTANTIATE_TEST_SUITE_P(Tock, TockLayout, ::testing::Values("armv7m", "rv32"));

TEST(TockLayoutFile, ATockPartitionMayNotNameRegions) {
  const std::string text =
      std::string("[target]\narch = \"armv7m\"\n[[partition]]\nname = \"a\"\nabi = \"tock\"\n") + "elf = \"" +
      tbf("tock_hello", "cortex-m4") +
      "\"\n[[partition.region]]\nname = \"code\"\nkind = \"code\"\nsize = 256\n";
  try {
    (void)layout::parse_layout(text, "t.toml", ".");
    FAIL() << "accepted";
  } catch (const layout::LayoutError& e) {
    EXPECT_NE(std::string(e.what()).find("regions come from its TBF"), std::string::npos) << e.what();
  }
}

// A position-independent app (no FixedAddresses, as libtock-c builds its Arm apps) goes where the layout's
// `flash` and `ram` say, or, run alone, where Tock boards put the first app. Here the sample hello packed
// without FixedAddresses and with a 0x80-byte protected region, so that its (not relocating) code lands at
// its link address only when placed at the default.
std::string pic_hello(const std::string& arch) {
  loader::TbfBuildOptions o;
  o.fixed_addresses = loader::TbfBuildOptions::Fixed::Never;
  o.protected_region_size = 0x80;
  const loader::TbfApp app =
      loader::build_tbf_from_elf(std::string(BULKHEAD_TOCK_DIR) + "/tock_hello-" + arch + ".elf", o);
  EXPECT_FALSE(app.header.fixed_flash_address());
  const fs::path out =
      fs::temp_directory_path() / ("bulkhead-pic-hello-" + arch + "-" + std::to_string(::getpid()) + ".tbf");
  std::ofstream(out, std::ios::binary)
      .write(reinterpret_cast<const char*>(app.bytes.data()), static_cast<std::streamsize>(app.bytes.size()));
  return out.string();
}

TEST(TockLayoutFile, APositionIndependentAppNeedsItsPlacement) {
  const std::string pic = pic_hello("cortex-m4");
  const std::string head =
      "[target]\narch = \"armv7m\"\n[[partition]]\nname = \"a\"\nabi = \"tock\"\nelf = \"" + pic + "\"\n";
  try {
    (void)layout::parse_layout(head, "t.toml", ".");
    FAIL() << "accepted without a placement";
  } catch (const layout::LayoutError& e) {
    EXPECT_NE(std::string(e.what()).find("is position-independent"), std::string::npos) << e.what();
  }
  const layout::Layout lay =
      layout::parse_layout(head + "flash = 0x50000\nram = 0x20008000\n", "t.toml", ".");
  ASSERT_TRUE(lay.partitions[0].tock);
  EXPECT_EQ(lay.partitions[0].tock->flash_start, 0x50000u);
  EXPECT_EQ(lay.partitions[0].tock->mem_start, 0x20008000u);
  EXPECT_EQ(lay.partitions[0].tock->entry,
            (0x50000u + loader::load_tbf_file(pic).header.init_offset_in_tbf()) | 1u);
  // A fixed-address app refuses a placement that differs from its link addresses.
  EXPECT_THROW((void)layout::parse_layout(
                   std::string("[target]\narch = \"armv7m\"\n[[partition]]\nname = \"a\"\n") +
                       "abi = \"tock\"\nelf = \"" + tbf("tock_hello", "cortex-m4") + "\"\nflash = 0x50000\n",
                   "t.toml", "."),
               layout::LayoutError);
  fs::remove(pic);
}

TEST(TockLayoutFile, AnUnknownAbiIsRefused) {
  EXPECT_THROW(
      (void)layout::parse_layout(
          "[target]\narch = \"armv7m\"\n[[partition]]\nname = \"a\"\nabi = \"posix\"\n", "t.toml", "."),
      layout::LayoutError);
}

// ---- the command line ----

using Cli = bulkhead_test::Outcome;
using bulkhead_test::bulkhead;

TEST_P(TockArch, CliRunsATbfAndATab) {
  Cli c = bulkhead("run " + tbf("tock_hello", GetParam()));
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.out.rfind("Hello from a Tock app on", 0), 0u) << c.out;  // unprefixed: one process
  EXPECT_EQ(c.err, "");
  c = bulkhead("run --cpu " + GetParam() + " " + std::string(BULKHEAD_TOCK_DIR) + "/tock_hello.tab");
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_NE(c.out.find(GetParam() == "rv32imac" ? "on RV32" : "on Cortex-M"), std::string::npos) << c.out;
}

// The app's ELF runs as its TBF would (built in memory as elf2tab would), told apart from a Bulkhead module
// by libtock's `_sram_origin`; a Bulkhead module's ELF still runs under Bulkhead's ABI.
TEST_P(TockArch, CliRunsTheAppElfDirectly) {
  const std::string elf = std::string(BULKHEAD_TOCK_DIR) + "/tock_alarm-" + GetParam() + ".elf";
  EXPECT_TRUE(loader::is_tock_app_elf(elf));
  EXPECT_FALSE(loader::is_tock_app_elf(std::string(BULKHEAD_TOCK_DIR) + "/../hello-" + GetParam() + ".elf"));
  const Cli from_elf = bulkhead("run " + elf);
  const Cli from_tbf = bulkhead("run " + tbf("tock_alarm", GetParam()));
  EXPECT_EQ(from_elf.status, 0) << from_elf.err;
  EXPECT_NE(from_elf.out.find("alarm done"), std::string::npos) << from_elf.out;
  EXPECT_EQ(from_elf.out, from_tbf.out);
  const Cli module = bulkhead("run " + std::string(BULKHEAD_TOCK_DIR) + "/../hello-" + GetParam() + ".elf");
  EXPECT_EQ(module.status, 0) << module.err;
  EXPECT_EQ(module.out.rfind("Hello from a Bulkhead module", 0), 0u) << module.out;
}

TEST_P(TockArch, CliPlacesAPositionIndependentAppAtTheBoardDefault) {
  const std::string pic = pic_hello(GetParam());
  const Cli c = bulkhead("run --cpu " + GetParam() + " " + pic);
  EXPECT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.out.rfind("Hello from a Tock app on", 0), 0u) << c.out;
  fs::remove(pic);
}

TEST_P(TockArch, CliFaultExitsWithSigsegvStatusAndATockReport) {
  const Cli c = bulkhead("run " + tbf("tock_fault_grant", GetParam()));
  EXPECT_EQ(c.status, 139) << c.err;
  EXPECT_NE(c.err.find("process `tock_fault_grant` faulted"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("Memory map:"), std::string::npos) << c.err;
}

TEST(TockCli, AMalformedTbfExitsTwoWithTheDefect) {
  const fs::path dir = fs::temp_directory_path() / ("bulkhead-tock-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ifstream in(tbf("tock_hello", "cortex-m4"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 16u);
  bytes[12] = static_cast<char>(bytes[12] ^ 0x5a);  // the header checksum
  std::ofstream(dir / "bad.tbf", std::ios::binary) << bytes;
  Cli c = bulkhead("run " + (dir / "bad.tbf").string());
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("bad.tbf"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("checksum"), std::string::npos) << c.err;
  std::ofstream(dir / "short.tbf", std::ios::binary) << bytes.substr(0, 40);
  c = bulkhead("run " + (dir / "short.tbf").string());
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("short.tbf"), std::string::npos) << c.err;
}

TEST(TockCli, ALayoutOfTockProcessesRuns) {
  const Cli c = bulkhead("run " + std::string(BULKHEAD_TOCK_DIR) + "/tock-armv7m.toml");
  EXPECT_EQ(c.status, 139) << c.err;  // the faulter's fault decides the status
  EXPECT_NE(c.out.find("[hello] Hello from a Tock app"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("[alarm] alarm done"), std::string::npos) << c.out;
  EXPECT_NE(c.err.find("partition `memop`: exited with 0"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace bulkhead::kernel_shim
