// The sample systems (firmware_samples/systems/) on the kernel shim: IPC, a share, and misbehaving modules
// stopped by their partitions' fault policies while the others finish. Real cross-compiled modules, real
// layouts, checked through kernel_shim::System's results.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::kernel_shim {
namespace {

struct SysRun {
  std::vector<PartitionResult> results;
  std::map<std::string, std::string> out;
  std::uint64_t switches = 0;

  const PartitionResult& of(const std::string& name) const {
    for (const auto& r : results)
      if (r.name == name) return r;
    throw std::runtime_error("no partition " + name);
  }
};

layout::CheckResult load(const std::string& system, const std::string& target) {
  const std::string path = std::string(BULKHEAD_FIRMWARE_DIR) + "/systems/" + system + "-" + target + ".toml";
  layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(path));
  for (const auto& d : checked.diagnostics)
    if (d.severity == layout::Severity::Error) ADD_FAILURE() << path << ": " << d.message;
  return checked;
}

SysRun run(const layout::CheckResult& checked, SystemOptions options = {}) {
  SysRun r;
  System system(checked, [&](std::string_view p, std::string_view text) { r.out[std::string(p)] += text; });
  r.results = system.run(options);
  r.switches = system.context_switches();
  return r;
}

std::uint32_t ram_slot(const std::string& target, int slot) {
  return (target == "rv32" ? 0x8010'0000u : 0x2000'0000u) + static_cast<std::uint32_t>(slot) * 0x10000u;
}
std::uint32_t flash_slot(const std::string& target, int slot) {
  return (target == "rv32" ? 0x8000'0000u : 0x0800'0000u) + static_cast<std::uint32_t>(slot) * 0x10000u;
}
FaultKind protection_kind(const std::string& target) {
  return target == "rv32" ? FaultKind::AccessFault : FaultKind::MemManage;
}
std::string suffix(const std::string& target) {
  return target == "armv7m" ? "cortex-m4" : target == "armv8m" ? "cortex-m33" : "rv32imac";
}

class EverySystemTarget : public ::testing::TestWithParam<const char*> {};

TEST_P(EverySystemTarget, ProducerAndConsumerTalkOverIpc) {
  SystemOptions options;
  options.input["consumer"] = "ping\n";
  const SysRun r = run(load("ipc", GetParam()), options);
  EXPECT_EQ(r.of("producer").result.outcome, Outcome::Exited);
  EXPECT_EQ(r.of("producer").result.exit_code, 0);
  EXPECT_EQ(r.of("consumer").result.outcome, Outcome::Exited);
  EXPECT_EQ(r.of("consumer").result.exit_code, 0);
  EXPECT_EQ(r.out.at("producer"),
            "producer: I am 0, consumer is 1\n"
            "producer: 1 + 1 = 2\nproducer: 2 + 4 = 6\nproducer: 3 + 9 = 12\nproducer: 4 + 16 = 20\n"
            "producer: 5 + 25 = 30\nproducer: slept at least 3 ticks\n");
  EXPECT_EQ(r.out.at("consumer"),
            "consumer: input: ping\nconsumer: served 5 requests\nconsumer: notified (bits 1)\n");
  EXPECT_TRUE(r.of("producer").faults.empty());
}

TEST_P(EverySystemTarget, AShareIsReadableAndStaysReadOnly) {
  const SysRun r = run(load("share", GetParam()));
  EXPECT_EQ(r.of("writer").result.outcome, Outcome::Exited);
  EXPECT_EQ(r.of("reader").result.outcome, Outcome::Exited);
  EXPECT_EQ(r.out.at("reader"),
            "reader: board says temperature=21.5C\n"
            "reader: echo via the share: temperature=21.5C\n"
            "reader: receive into the read-only share: EFAULT\n");
  EXPECT_EQ(r.out.at("writer"), "writer: published 256-byte board\nwriter: acknowledged\n");
}

// Every misbehaving module is stopped by its own policy, precisely, and the well-behaved ones finish.
TEST_P(EverySystemTarget, MisbehavingModulesAreStoppedByTheirPolicies) {
  const std::string t = GetParam();
  SystemOptions options;
  options.max_instructions = 3'000'000;  // spin never ends
  options.check_isolation = true;
  const layout::CheckResult checked = load("faults", t);
  const SysRun r = run(checked, options);

  // victim works across many slices and finishes with its secret intact.
  const auto& victim = r.of("victim");
  EXPECT_EQ(victim.result.outcome, Outcome::Exited);
  EXPECT_EQ(victim.result.exit_code, 0);
  EXPECT_NE(r.out.at("victim").find("secret intact\n"), std::string::npos) << r.out.at("victim");
  EXPECT_GT(victim.scheduled, 10u);

  auto only_fault = [&](const std::string& name) -> const FaultEvent& {
    const auto& p = r.of(name);
    EXPECT_EQ(p.result.outcome, Outcome::Faulted) << name << ": " << p.result.report;
    EXPECT_EQ(p.faults.size(), 1u) << name;
    if (p.faults.empty()) throw std::runtime_error(name + " did not fault");
    EXPECT_NE(p.faults[0].report.find("regions in force"), std::string::npos);
    return p.faults[0];
  };

  // A stray read of the victim's RAM.
  const FaultEvent& stray = only_fault("stray");
  EXPECT_EQ(stray.fault.kind, protection_kind(t));
  EXPECT_EQ(stray.fault.access, Access::Read);
  EXPECT_EQ(stray.fault.address, ram_slot(t, 4));
  EXPECT_EQ(stray.outcome, "killed");
  EXPECT_EQ(r.out.at("stray"), "stray: reading the victim's RAM\n");  // nothing after the fault

  // A write to its own code, restarted twice (its data and .bss reloaded: a fresh count each life), then
  // killed.
  const auto& selfcode = r.of("selfcode");
  EXPECT_EQ(selfcode.result.outcome, Outcome::Faulted);
  EXPECT_EQ(selfcode.restarts, 2u);
  ASSERT_EQ(selfcode.faults.size(), 3u);
  EXPECT_EQ(selfcode.faults[0].outcome, "restarted (1 of 2)");
  EXPECT_EQ(selfcode.faults[1].outcome, "restarted (2 of 2)");
  EXPECT_EQ(selfcode.faults[2].outcome, "killed (restart limit of 2 reached)");
  for (const auto& e : selfcode.faults) {
    EXPECT_EQ(e.fault.access, Access::Write);
    EXPECT_GE(e.fault.address, flash_slot(t, 6));
    EXPECT_LT(e.fault.address, flash_slot(t, 6) + 0x10000);
  }
  std::string lives;
  for (int i = 0; i < 3; ++i) lives += "selfcode: start (starts in this life: 1)\n";
  EXPECT_EQ(r.out.at("selfcode"), lives);

  // Execution from its data; the supervisor is notified and reports it.
  const loader::Image xn_image =
      loader::load_elf(std::string(BULKHEAD_FIRMWARE_DIR) + "/xn-" + suffix(t) + ".elf");
  const FaultEvent& xn = only_fault("xn");
  EXPECT_EQ(xn.fault.access, Access::Execute);
  ASSERT_NE(xn_image.find_symbol("code"), nullptr);
  EXPECT_EQ(xn.fault.address, xn_image.find_symbol("code")->value);
  EXPECT_EQ(xn.fault.pc, xn_image.find_symbol("code")->value);
  EXPECT_EQ(xn.outcome, "killed; notified `supervisor`");
  char line[80];
  std::snprintf(line, sizeof line, "supervisor: `xn` faulted at %08x\n", xn.fault.address);
  EXPECT_EQ(r.out.at("supervisor"), std::string("supervisor: watching\n") + line);
  EXPECT_EQ(r.of("supervisor").result.outcome, Outcome::Exited);

  // Stack overflow into the ungranted 4 KiB guard below its stack.
  const FaultEvent& overflow = only_fault("overflow");
  EXPECT_EQ(overflow.fault.kind, protection_kind(t));
  EXPECT_EQ(overflow.fault.access, Access::Write);
  EXPECT_GE(overflow.fault.address, ram_slot(t, 8) + 0x2000);
  EXPECT_LT(overflow.fault.address, ram_slot(t, 8) + 0x3000);

  // System space: the PPB on Arm (unprivileged: BusFault, ARMv7-M ARM B3.2.1), the kernel's RAM on RISC-V.
  const FaultEvent& peek = only_fault("peek");
  EXPECT_EQ(peek.fault.access, Access::Read);
  if (t == "rv32") {
    EXPECT_EQ(peek.fault.kind, FaultKind::AccessFault);
    EXPECT_EQ(peek.fault.address, ram_slot(t, 15));
  } else {
    EXPECT_EQ(peek.fault.kind, FaultKind::BusFault);
    EXPECT_EQ(peek.fault.address, 0xE000'ED00u);
  }

  // Syscalls with pointers the caller may not use fail cleanly; the module goes on and exits.
  const auto& badcall = r.of("badcall");
  EXPECT_EQ(badcall.result.outcome, Outcome::Exited);
  EXPECT_TRUE(badcall.faults.empty());
  const std::string& bc = r.out.at("badcall");
  EXPECT_EQ(std::count(bc.begin(), bc.end(), '\n'), 8) << bc;
  EXPECT_EQ(bc.find("WRONG"), std::string::npos) << bc;

  // A 4-byte load across the end of its data region: refused whole.
  const FaultEvent& straddle = only_fault("straddle");
  const std::uint32_t data_end = ram_slot(t, 11) + 0x2000;
  EXPECT_EQ(straddle.fault.access, Access::Read);
  EXPECT_EQ(straddle.fault.size, 4u);
  EXPECT_TRUE(straddle.fault.address == data_end - 2 || straddle.fault.address == data_end)
      << std::hex << straddle.fault.address;

  // The infinite loop is preempted by the slice and ended by the whole run's budget.
  const auto& spin = r.of("spin");
  EXPECT_EQ(spin.result.outcome, Outcome::BudgetExhausted);
  EXPECT_GT(spin.scheduled, 100u);

  // The audited module completes; every out-of-layout access is recorded once per (access, address, pc).
  const auto& snoop = r.of("snoop");
  EXPECT_EQ(snoop.result.outcome, Outcome::Exited);
  EXPECT_EQ(r.out.at("snoop").find("snoop: read "), r.out.at("snoop").find('\n') + 1);
  ASSERT_EQ(snoop.audited.size(), 5u);
  EXPECT_EQ(snoop.audited[0].access, Access::Read);
  EXPECT_EQ(snoop.audited[0].address, ram_slot(t, 4));
  EXPECT_EQ(snoop.audited[1].access, Access::Write);
  EXPECT_EQ(snoop.audited[1].address, ram_slot(t, 13) + 0x2000);
  const std::string audit = audit_report(checked, r.results);
  EXPECT_NE(audit.find("partition = \"victim\", region = \"data\", access = \"r\""), std::string::npos)
      << audit;
  EXPECT_NE(audit.find("access = \"rw\""), std::string::npos) << audit;
  EXPECT_NE(audit.find("size = 0x000000" + std::string(t == "rv32" ? "08" : "20")), std::string::npos)
      << audit;
}

TEST_P(EverySystemTarget, RunsAreDeterministic) {
  SystemOptions options;
  options.max_instructions = 2'000'000;
  const layout::CheckResult checked = load("faults", GetParam());
  const SysRun a = run(checked, options);
  const SysRun b = run(checked, options);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.switches, b.switches);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (std::size_t i = 0; i < a.results.size(); ++i) {
    EXPECT_EQ(a.results[i].result.instructions, b.results[i].result.instructions) << a.results[i].name;
    EXPECT_EQ(a.results[i].faults.size(), b.results[i].faults.size()) << a.results[i].name;
  }
}

TEST_P(EverySystemTarget, HaltPolicyStopsTheWholeSystem) {
  const SysRun r = run(load("halt", GetParam()));
  EXPECT_EQ(r.of("peek").result.outcome, Outcome::Faulted);
  ASSERT_EQ(r.of("peek").faults.size(), 1u);
  EXPECT_EQ(r.of("peek").faults[0].outcome, "halted the system");
  EXPECT_EQ(r.of("victim").result.outcome, Outcome::Stopped);
  EXPECT_EQ(r.out.at("victim"), "victim: working\n");
}

// A server whose only client is gone: its receive times out, then it waits for a notification nobody can
// send.
TEST_P(EverySystemTarget, ABlockedPartitionWithNobodyToWakeItIsDeadlocked) {
  layout::Layout lay = load("ipc", GetParam()).layout;
  lay.partitions.erase(lay.partitions.begin());  // no producer
  const SysRun r = run(layout::check_layout(lay));
  EXPECT_EQ(r.of("consumer").result.outcome, Outcome::Deadlocked);
  EXPECT_NE(r.of("consumer").result.report.find("blocked in wait"), std::string::npos);
  EXPECT_EQ(r.out.at("consumer"), "consumer: served 0 requests\n");
}

// The isolation oracle catches a unit that grants more than the layout: here the layout's grants are
// tampered with (the data region dropped), so the unmodified programming now grants too much.
TEST_P(EverySystemTarget, CheckIsolationStopsARunWhoseUnitGrantsTooMuch) {
  layout::CheckResult checked = load("ipc", GetParam());
  auto& grants = checked.partitions[1].grants;
  grants.erase(std::remove_if(grants.begin(), grants.end(),
                              [&](const layout::Grant& g) { return has(g.perms, Perms::W); }),
               grants.end());
  SystemOptions options;
  options.check_isolation = true;
  try {
    run(checked, options);
    FAIL() << "no IsolationError";
  } catch (const IsolationError& e) {
    EXPECT_NE(std::string(e.what()).find("after the switch to `consumer`"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rw-"), std::string::npos) << e.what();
  }
  options.check_isolation = false;  // without the oracle the same run completes
  EXPECT_EQ(run(checked, options).of("consumer").result.outcome, Outcome::Exited);
}

// The observer sees every switch, every served call with its result, every fault and every end.
TEST_P(EverySystemTarget, TheObserverSeesSwitchesCallsFaultsAndEnds) {
  struct Recorder : SystemObserver {
    std::uint64_t switches = 0, sends = 0, blocked = 0, faults = 0, ends = 0;
    void on_switch(int, std::uint64_t) override { ++switches; }
    void on_syscall(int, std::uint32_t n, const std::uint32_t (&)[6], std::optional<std::int32_t> r,
                    std::uint64_t) override {
      if (n == 7) ++sends;
      if (!r) ++blocked;
    }
    void on_fault(int, const FaultEvent&) override { ++faults; }
    void on_end(int, Outcome, std::uint64_t) override { ++ends; }
  } rec;
  System system(load("ipc", GetParam()), [](std::string_view, std::string_view) {});
  system.set_observer(&rec);
  system.run({});
  EXPECT_EQ(rec.switches, system.context_switches());
  EXPECT_EQ(rec.sends, 5u);
  EXPECT_GE(rec.blocked, 5u + 2u);  // every send blocks for its reply; both exits end their callers
  EXPECT_EQ(rec.faults, 0u);
  EXPECT_EQ(rec.ends, 2u);
  EXPECT_EQ(system.partition_name(1), "consumer");
}

INSTANTIATE_TEST_SUITE_P(Targets, EverySystemTarget, ::testing::Values("armv7m", "armv8m", "rv32"));

}  // namespace
}  // namespace bulkhead::kernel_shim
