// The kernel shim in process: syscalls served, pointers checked, outcomes reported, on real modules.
#include <gtest/gtest.h>

#include <string>

#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::kernel_shim {
namespace {

std::string path(const std::string& name, const std::string& profile) {
  return std::string(FIRMWARE_DIR) + "/" + name + "-" + profile + ".elf";
}

struct ModuleRun {
  ModuleResult result;
  std::string console;
};

ModuleRun run_module(const std::string& name, emu::CpuProfile profile, std::uint64_t budget = 50'000'000) {
  const loader::Image image = loader::load_elf(path(name, std::string(emu::to_string(profile))));
  ModuleRun r;
  Kernel k(image, profile, [&](std::string_view s) { r.console += s; });
  r.result = k.run(budget);
  return r;
}

class Profiles : public ::testing::TestWithParam<emu::CpuProfile> {};

TEST_P(Profiles, ExitCallEndsTheModuleWithItsCode) {
  ModuleRun r = run_module("exit3", GetParam());
  EXPECT_EQ(r.result.outcome, Outcome::Exited);
  EXPECT_EQ(r.result.exit_code, 3);
  EXPECT_EQ(r.console, "exiting with 3\n");
  EXPECT_EQ(r.result.syscalls, 2u);  // one write, one exit
  EXPECT_GT(r.result.instructions, 0u);
}

TEST_P(Profiles, WriteWithForeignPointerReturnsEFaultAndUnknownCallENoSys) {
  ModuleRun r = run_module("syscall_errors", GetParam());
  EXPECT_NE(r.console.find("unknown=-1 bad_pointer=-2"), std::string::npos) << r.console;
}

TEST_P(Profiles, RunsAreDeterministic) {
  ModuleRun a = run_module("checksum", GetParam());
  ModuleRun b = run_module("checksum", GetParam());
  EXPECT_EQ(a.result.outcome, Outcome::Exited);
  EXPECT_EQ(a.console, b.console);
  EXPECT_EQ(a.result.instructions, b.result.instructions);
}

TEST_P(Profiles, BudgetExhaustionIsAnOutcomeNotAnError) {
  ModuleRun r = run_module("checksum", GetParam(), 1000);
  EXPECT_EQ(r.result.outcome, Outcome::BudgetExhausted);
  EXPECT_GE(r.result.instructions, 1000u);
  EXPECT_LT(r.result.instructions, 1100u);
}

TEST_P(Profiles, UnmappedStoreFaultsWithPreciseRecord) {
  ModuleRun r = run_module("trap_unmapped", GetParam());
  ASSERT_EQ(r.result.outcome, Outcome::Faulted);
  const Fault& f = *r.result.fault;
  EXPECT_EQ(f.kind, FaultKind::BusFault);
  EXPECT_EQ(f.access, Access::Write);
  EXPECT_EQ(f.address, 0x3000'0000u);
  EXPECT_EQ(f.size, 4u);
  EXPECT_NE(r.result.report.find("poke"), std::string::npos) << r.result.report;
  EXPECT_EQ(r.console, "storing to unmapped memory\n");  // "not reached" never printed
}

INSTANTIATE_TEST_SUITE_P(All, Profiles,
                         ::testing::Values(emu::CpuProfile::CortexM4, emu::CpuProfile::CortexM33,
                                           emu::CpuProfile::Rv32imac),
                         [](const auto& param_info) {
                           std::string n(emu::to_string(param_info.param));
                           for (auto& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Kernel, ArchitectureMismatchIsRejected) {
  const loader::Image image = loader::load_elf(path("hello", "rv32imac"));
  EXPECT_THROW(Kernel(image, emu::CpuProfile::CortexM4, [](std::string_view) {}), std::invalid_argument);
}

}  // namespace
}  // namespace bulkhead::kernel_shim
