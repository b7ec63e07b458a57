// The stub over the single-module kernel, in process: the gdb_target sample module on every profile,
// driven with the packets GDB sends for break / continue / stepi / print / continue.
#include "bulkhead/gdbstub/kernel_target.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "bulkhead/gdbstub/session.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::gdbstub {
namespace {

std::string pkt(std::string_view data) {
  return Session::frame(data);
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

std::string le32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x", v & 0xFF, v >> 8 & 0xFF, v >> 16 & 0xFF, v >> 24);
  return buf;
}

std::uint32_t from_le32(const std::string& reply) {  // "$xxxxxxxx#cs"
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = v << 8 | static_cast<std::uint32_t>(std::stoul(reply.substr(1 + 2 * i, 2), nullptr, 16));
  return v;
}

class Profiles : public ::testing::TestWithParam<emu::CpuProfile> {};

TEST_P(Profiles, BreakStepReadAndFault) {
  const std::string profile(emu::to_string(GetParam()));
  const loader::Image image = loader::load_elf(std::string(FIRMWARE_DIR) + "/gdb_target-" + profile + ".elf");
  std::string console;
  kernel_shim::Kernel kernel(image, GetParam(), [&](std::string_view s) { console += s; });
  kernel.protect_image();
  KernelTarget target(kernel, "gdb_target", 1'000'000);
  Session s(target, 1000);
  ASSERT_EQ(s.receive(pkt("QStartNoAckMode")), "+" + pkt("OK"));
  auto ask = [&](std::string_view p) { return s.receive(pkt(p)); };
  auto run_to_stop = [&] {
    for (int i = 0; i < 10'000 && s.running(); ++i)
      if (auto r = s.poll(); !r.empty()) return r;
    return std::string("(still running)");
  };
  const std::string pc = hex32(pc_regnum(target.arch()));

  EXPECT_EQ(ask("?"), pkt("T05thread:1;"));  // stopped at the entry
  EXPECT_EQ(from_le32(ask("p" + pc)), image.entry_address() & ~1u);

  const auto* mark = image.find_symbol("gdb_mark");
  const auto* value = image.find_symbol("gdb_value");
  const auto* poke = image.find_symbol("gdb_poke");
  ASSERT_TRUE(mark && value && poke);
  const std::uint32_t mark_addr = mark->value & ~1u;
  EXPECT_EQ(ask("Z0," + hex32(mark_addr) + ",2"), pkt("OK"));
  EXPECT_EQ(ask("vCont;c"), "");
  EXPECT_EQ(run_to_stop(), pkt("T05thread:1;"));
  EXPECT_EQ(from_le32(ask("p" + pc)), mark_addr);
  EXPECT_EQ(console, "gdb target running\n");
  EXPECT_EQ(ask("m" + hex32(value->value) + ",4"), pkt(le32(42)));

  // One instruction, exactly: resumed at the breakpoint, the step does not stop there again.
  const std::uint64_t before = kernel.engine().instructions_executed();
  EXPECT_EQ(ask("vCont;s:1"), pkt("T05thread:1;"));
  EXPECT_EQ(kernel.engine().instructions_executed(), before + 1);
  const std::uint32_t after_step = from_le32(ask("p" + pc));
  EXPECT_GT(after_step, mark_addr);
  EXPECT_LE(after_step, mark_addr + 4);

  // The debugger writes memory regardless of the MPU: a variable in RAM, then reads it back.
  EXPECT_EQ(ask("M" + hex32(value->value) + ",4:" + le32(7)), pkt("OK"));
  EXPECT_EQ(ask("m" + hex32(value->value) + ",4"), pkt(le32(7)));
  EXPECT_EQ(ask("m30000000,4"), pkt("E01"));  // nothing mapped there

  EXPECT_EQ(ask("z0," + hex32(mark_addr) + ",2"), pkt("OK"));
  EXPECT_EQ(ask("c"), "");
  EXPECT_EQ(run_to_stop(), pkt("T0bthread:1;"));  // the store into read-only memory: SIGSEGV
  const std::uint32_t fault_pc = from_le32(ask("p" + pc));
  EXPECT_GE(fault_pc, poke->value & ~1u);
  EXPECT_LT(fault_pc, (poke->value & ~1u) + poke->size);
  ASSERT_TRUE(target.result());
  EXPECT_EQ(target.result()->outcome, kernel_shim::Outcome::Faulted);
  EXPECT_EQ(target.result()->fault->pc, fault_pc);
  EXPECT_EQ(target.result()->fault->kind,
            GetParam() == emu::CpuProfile::Rv32imac ? FaultKind::AccessFault : FaultKind::MemManage);

  // Resumed after the fault, the module is gone with that signal.
  EXPECT_EQ(ask("c"), "");
  EXPECT_EQ(run_to_stop(), pkt("X0b"));
  EXPECT_EQ(ask("qfThreadInfo"), pkt("l"));
}

TEST_P(Profiles, ExitAndBudget) {
  const std::string profile(emu::to_string(GetParam()));
  const loader::Image image = loader::load_elf(std::string(FIRMWARE_DIR) + "/exit3-" + profile + ".elf");
  {
    kernel_shim::Kernel kernel(image, GetParam(), [](std::string_view) {});
    KernelTarget target(kernel, "exit3", 1'000'000);
    Session s(target, 100);
    s.receive(pkt("QStartNoAckMode"));
    EXPECT_EQ(s.receive(pkt("c")), "");
    std::string r;
    for (int i = 0; i < 100'000 && r.empty(); ++i) r = s.poll();
    EXPECT_EQ(r, pkt("W03"));
    EXPECT_EQ(target.result()->exit_code, 3);
  }
  {
    kernel_shim::Kernel kernel(image, GetParam(), [](std::string_view) {});
    KernelTarget target(kernel, "exit3", 5);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(target.step(1).signal, signal::kTrap);
    const Stop s = target.resume(100);
    EXPECT_EQ(s.kind, StopKind::Signal);
    EXPECT_EQ(s.signal, signal::kXcpu);
    ASSERT_TRUE(target.result());
    EXPECT_EQ(target.result()->outcome, kernel_shim::Outcome::BudgetExhausted);
    EXPECT_EQ(target.result()->instructions, 5u);
    EXPECT_EQ(target.result()->report.rfind("instruction budget of 5 exhausted at", 0), 0u)
        << target.result()->report;
    EXPECT_EQ(target.resume(100).kind, StopKind::Terminated);
  }
}

INSTANTIATE_TEST_SUITE_P(All, Profiles,
                         ::testing::Values(emu::CpuProfile::CortexM4, emu::CpuProfile::CortexM33,
                                           emu::CpuProfile::Rv32imac),
                         [](const auto& param_info) {
                           std::string n(emu::to_string(param_info.param));
                           std::erase(n, '-');
                           return n;
                         });

}  // namespace
}  // namespace bulkhead::gdbstub
