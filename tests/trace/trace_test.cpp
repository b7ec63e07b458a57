// Traces of real sample modules and systems: every counted instruction once, accesses with their verdicts,
// faults after the denied access, switches and syscalls, filters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bulkhead/emu/tracer.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/elf.hpp"
#include "bulkhead/trace/trace.hpp"

namespace bulkhead::trace {
namespace {

namespace fs = std::filesystem;
using kernel_shim::Outcome;

std::string elf(const std::string& name, emu::CpuProfile p) {
  return std::string(FIRMWARE_DIR) + "/" + name + "-" + std::string(emu::to_string(p)) + ".elf";
}

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("bulkhead-trace-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::replace(test.begin(), test.end(), '/', '_');  // parameterised tests
  return dir / (test + "-" + name);
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string f; in >> f;) out.push_back(f);
  return out;
}

std::uint32_t hex_of(const std::string& s) {
  return static_cast<std::uint32_t>(std::stoul(s, nullptr, 16));
}

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  std::size_t n = 0;
  for (const auto& l : lines) n += l.starts_with(prefix);
  return n;
}

Options only_modules(std::vector<std::string> modules) {
  Options o;
  o.modules = std::move(modules);
  return o;
}

Options only_range(Range r) {
  Options o;
  o.range = r;
  return o;
}

Options compact_format() {
  Options o;
  o.format = Format::Compact;
  return o;
}

struct ModuleTrace {
  kernel_shim::ModuleResult result;
  std::vector<std::string> lines;
  std::uint64_t engine_count = 0;
  std::uint64_t written = 0;
};

ModuleTrace trace_module(const std::string& name, emu::CpuProfile profile, Options options = {},
                         std::uint64_t budget = 50'000'000) {
  const loader::Image image = loader::load_elf(elf(name, profile));
  kernel_shim::Kernel kernel(image, profile, [](std::string_view) {});
  kernel.protect_image();
  const fs::path file = scratch(name + "-" + std::string(emu::to_string(profile)) + ".trace");
  ModuleTrace t;
  {
    Writer w(file.string(), std::move(options), image.arch);
    w.attach(kernel, name);
    t.result = kernel.run(budget);
    w.end(t.result);
    w.finish();
    t.written = w.instructions_written();
  }
  t.engine_count = kernel.engine().instructions_executed();
  t.lines = lines_of(file);
  return t;
}

class EveryProfile : public ::testing::TestWithParam<emu::CpuProfile> {};
INSTANTIATE_TEST_SUITE_P(Trace, EveryProfile,
                         ::testing::Values(emu::CpuProfile::CortexM4, emu::CpuProfile::CortexM33,
                                           emu::CpuProfile::Rv32imac),
                         [](const auto& p) {
                           std::string s(emu::to_string(p.param));
                           std::erase(s, '-');
                           return s;
                         });

TEST_P(EveryProfile, InstructionLinesAreExactlyTheEngineCount) {
  for (const char* name : {"hello", "checksum", "trap_readonly", "trap_unmapped", "trap_udf"}) {
    const ModuleTrace t = trace_module(name, GetParam());
    EXPECT_GT(t.result.instructions, 50u) << name;
    EXPECT_EQ(count_prefix(t.lines, "I "), t.result.instructions) << name;
    EXPECT_EQ(t.written, t.result.instructions) << name;
    EXPECT_EQ(t.engine_count, t.result.instructions) << name;
    EXPECT_TRUE(t.lines.back().starts_with("E " + std::string(name) + " ")) << t.lines.back();
  }
}

TEST_P(EveryProfile, TracingDoesNotChangeTheCount) {
  const loader::Image image = loader::load_elf(elf("checksum", GetParam()));
  kernel_shim::Kernel kernel(image, GetParam(), [](std::string_view) {});
  kernel.protect_image();
  const auto untraced = kernel.run(50'000'000);
  const ModuleTrace traced = trace_module("checksum", GetParam());
  EXPECT_EQ(untraced.outcome, Outcome::Exited);
  EXPECT_EQ(traced.result.instructions, untraced.instructions);
}

TEST_P(EveryProfile, ASyscallInstructionIsDisassembledAndItsCallTraced) {
  const ModuleTrace t = trace_module("hello", GetParam());
  const bool rv = GetParam() == emu::CpuProfile::Rv32imac;
  // Arm: Capstone's Thumb text for `svc #0` (0xdf00). RISC-V: Capstone 4 has none, the raw `ecall` word.
  const std::regex ecall(rv ? R"(^I hello [0-9a-f]{8} 00000073 \.4byte 0x00000073$)"
                            : R"(^I hello [0-9a-f]{8} df00 svc #0$)");
  std::size_t traps = 0;
  for (const auto& l : t.lines) traps += std::regex_match(l, ecall);
  EXPECT_EQ(traps, t.result.syscalls);
  // Each trap is followed by its call: write(buf, len) = len, and exit(0) last.
  EXPECT_GE(count_prefix(t.lines, "C hello syscall 1 write(0x"), 1u);
  EXPECT_EQ(count_prefix(t.lines, "C hello syscall 0 exit(0x0) = -"), 1u);
  for (std::size_t i = 0; i + 1 < t.lines.size(); ++i)
    if (t.lines[i + 1].starts_with("C hello")) {
      EXPECT_TRUE(std::regex_match(t.lines[i], ecall)) << t.lines[i];
    }
}

TEST(Trace, ArmInstructionsAreDisassembledByCapstone) {
  const ModuleTrace t = trace_module("gdb_target", emu::CpuProfile::CortexM4);
  const loader::Image image = loader::load_elf(elf("gdb_target", emu::CpuProfile::CortexM4));
  // The module's first instruction (crt0): `ldr r0, =__stack_top` as Capstone prints it.
  const std::string first = t.lines.at(1);
  EXPECT_TRUE(
      std::regex_match(first, std::regex(R"(^I gdb_target [0-9a-f]{8} 48[0-9a-f]{2} ldr r0, \[pc, #\d+\]$)")))
      << first;
  EXPECT_EQ(hex_of(fields(first).at(2)), image.entry & ~1u);
}

TEST_P(EveryProfile, AKnownStoreAppearsWithItsAddressValueAndVerdict) {
  const ModuleTrace t = trace_module("gdb_target", GetParam());
  const loader::Image image = loader::load_elf(elf("gdb_target", GetParam()));
  const loader::Symbol* value = image.find_symbol("gdb_value");
  ASSERT_NE(value, nullptr);
  char want[64];
  std::snprintf(want, sizeof want, "W %08x 4 ok =0000002a", value->value);  // gdb_value = 42
  std::size_t found = 0;
  for (std::size_t i = 0; i < t.lines.size(); ++i) {
    if (t.lines[i] != want) continue;
    ++found;
    // It belongs to the store instruction traced just before it.
    EXPECT_TRUE(t.lines[i - 1].starts_with("I gdb_target ")) << t.lines[i - 1];
  }
  EXPECT_EQ(found, 1u) << want;
  // And the load of it in gdb_mark.
  char load[64];
  std::snprintf(load, sizeof load, "R %08x 4 ok", value->value);
  EXPECT_EQ(std::count(t.lines.begin(), t.lines.end(), std::string(load)), 1);
}

TEST_P(EveryProfile, ADeniedStoreIsTracedBeforeTheFaultAndItsInstructionIsNotCounted) {
  const ModuleTrace t = trace_module("trap_readonly", GetParam());
  ASSERT_EQ(t.result.outcome, Outcome::Faulted);
  const Fault& f = *t.result.fault;
  char denied[64];
  std::snprintf(denied, sizeof denied, "W %08x 4 DENIED ", f.address);
  std::size_t at = 0;
  while (at < t.lines.size() && !t.lines[at].starts_with(denied)) ++at;
  ASSERT_LT(at, t.lines.size()) << denied;
  const std::string kind = GetParam() == emu::CpuProfile::Rv32imac ? "AccessFault" : "MemManage";
  EXPECT_NE(t.lines[at].find("DENIED " + kind + ": "), std::string::npos) << t.lines[at];
  // The faulting instruction comes first (marked: it did not complete), then the fault report and the end.
  const auto insn = fields(t.lines.at(at - 1));
  EXPECT_EQ(insn.at(0), "I!");
  EXPECT_EQ(hex_of(insn.at(2)), f.pc);
  EXPECT_TRUE(t.lines.at(at + 1).starts_with("F trap_readonly " + kind + ": write of 4 bytes"))
      << t.lines.at(at + 1);
  EXPECT_EQ(t.lines.at(at + 2),
            "E trap_readonly faulted after " + std::to_string(t.result.instructions) + " instructions");
}

TEST(Trace, AFetchFromDataIsTracedAfterTheBranchThatWentThere) {
  // xn jumps into its own RW (XN) data: the branch completed and is counted; the fetch is the fault.
  std::string path = std::string(FIRMWARE_DIR) + "/systems/faults-armv7m.toml";
  layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(path));
  ASSERT_TRUE(checked.ok());
  kernel_shim::System system(checked, [](std::string_view, std::string_view) {});
  const fs::path file = scratch("faults.trace");
  std::vector<kernel_shim::PartitionResult> results;
  {
    Writer w(file.string(), only_modules({"xn"}), Arch::ArmV7M);
    w.attach(system);
    kernel_shim::SystemOptions o;
    o.max_instructions = 400'000;
    results = system.run(o);
    w.finish();
  }
  const auto lines = lines_of(file);
  const auto xn = std::find_if(results.begin(), results.end(), [](const auto& r) { return r.name == "xn"; });
  ASSERT_NE(xn, results.end());
  ASSERT_EQ(xn->result.outcome, Outcome::Faulted);
  EXPECT_EQ(count_prefix(lines, "I xn "), xn->result.instructions);
  std::size_t at = 0;
  while (at < lines.size() && !lines[at].starts_with("X ")) ++at;
  ASSERT_LT(at, lines.size());
  EXPECT_NE(lines[at].find(" DENIED MemManage: "), std::string::npos) << lines[at];
  EXPECT_EQ(hex_of(fields(lines[at - 1]).at(2)), xn->result.fault->pc);  // I! at the fetched address
  EXPECT_NE(lines.at(at - 2).find(" blx "), std::string::npos) << lines.at(at - 2);
  // Only xn's events were written: instructions, calls, its fault and end, and its switches.
  for (const auto& l : lines) {
    const auto f = fields(l);
    if (f[0] == "I" || f[0] == "I!" || f[0] == "C" || f[0] == "F" || f[0] == "E") {
      EXPECT_EQ(f.at(1), "xn") << l;
    }
    if (f[0] == "S") {
      EXPECT_EQ(f.at(4), "xn") << l;
    }
  }
}

struct SystemTrace {
  std::vector<kernel_shim::PartitionResult> results;
  std::vector<std::string> lines;
};

SystemTrace trace_system(const std::string& file_name, Options options) {
  const std::string path = std::string(FIRMWARE_DIR) + "/systems/" + file_name;
  layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(path));
  EXPECT_TRUE(checked.ok());
  kernel_shim::System system(checked, [](std::string_view, std::string_view) {});
  const fs::path file = scratch(file_name + ".trace");
  SystemTrace t;
  {
    Writer w(file.string(), std::move(options), system.engine().arch());
    w.attach(system);
    t.results = system.run({});
    w.finish();
  }
  t.lines = lines_of(file);
  return t;
}

TEST(Trace, ALayoutRunShowsSwitchesSyscallsAndEachPartitionsInstructions) {
  const SystemTrace t = trace_system("ipc-rv32.toml", {});
  ASSERT_EQ(t.results.size(), 2u);
  std::map<std::string, std::uint64_t> per_module;
  std::string running;
  std::size_t switches = 0;
  for (const auto& l : t.lines) {
    const auto f = fields(l);
    if (f.empty() || f[0] == "#") continue;
    if (f[0] == "S") {
      ASSERT_EQ(f.size(), 5u) << l;
      EXPECT_EQ(f[2], "switch");
      running = f[4];
      ++switches;
    } else if (f[0] == "I") {
      EXPECT_EQ(f[1], running) << "an instruction of a partition that is not switched in: " << l;
      ++per_module[f[1]];
    } else if (f[0] == "C") {
      EXPECT_EQ(f[1], running) << l;
    }
  }
  std::uint64_t scheduled = 0;
  for (const auto& r : t.results) {
    EXPECT_EQ(per_module[r.name], r.result.instructions) << r.name;
    EXPECT_GT(r.result.instructions, 0u);
    scheduled += r.scheduled;
  }
  EXPECT_EQ(switches, scheduled);
  EXPECT_GE(count_prefix(t.lines, "C producer syscall 7 send(0x1, "), 1u);
  EXPECT_GE(count_prefix(t.lines, "C consumer syscall 8 receive(0x"), 1u);
  EXPECT_GE(count_prefix(t.lines, "C consumer syscall 9 reply(0x0, "), 1u);
  EXPECT_EQ(count_prefix(t.lines, "E producer "), 1u);
  EXPECT_EQ(count_prefix(t.lines, "E consumer "), 1u);
}

TEST(Trace, TheModuleFilterKeepsOnlyThatPartition) {
  const SystemTrace all = trace_system("ipc-armv7m.toml", {});
  const SystemTrace one = trace_system("ipc-armv7m.toml", only_modules({"consumer"}));
  const auto consumer = std::find_if(one.results.begin(), one.results.end(),
                                     [](const auto& r) { return r.name == "consumer"; });
  ASSERT_NE(consumer, one.results.end());
  EXPECT_EQ(count_prefix(one.lines, "I consumer "), consumer->result.instructions);
  EXPECT_EQ(count_prefix(one.lines, "I producer "), 0u);
  EXPECT_EQ(count_prefix(one.lines, "C producer "), 0u);
  EXPECT_EQ(count_prefix(one.lines, "S "), consumer->scheduled);
  EXPECT_GT(count_prefix(all.lines, "I producer "), 0u);
  EXPECT_LT(one.lines.size(), all.lines.size());
}

TEST(Trace, TheRangeFilterKeepsOnlyInstructionsAndAccessesInside) {
  // The code of `poke` and the word it stores to; nothing else.
  const loader::Image image = loader::load_elf(elf("gdb_target", emu::CpuProfile::CortexM4));
  const loader::Symbol* value = image.find_symbol("gdb_value");
  ASSERT_NE(value, nullptr);
  const Range range{value->value, value->value + 3};
  const ModuleTrace t = trace_module("gdb_target", emu::CpuProfile::CortexM4, only_range(range));
  EXPECT_EQ(count_prefix(t.lines, "I "), 0u);  // code lies elsewhere
  std::size_t accesses = 0;
  for (const auto& l : t.lines) {
    if (!l.starts_with("R ") && !l.starts_with("W ")) continue;
    ++accesses;
    EXPECT_TRUE(range.contains(hex_of(fields(l).at(1)))) << l;
  }
  EXPECT_EQ(accesses, 2u);  // gdb_value = 42, then its read in gdb_mark

  const ModuleTrace code =
      trace_module("gdb_target", emu::CpuProfile::CortexM4, only_range(Range{0x0800'0000, 0x0800'001f}));
  const std::size_t in_range = count_prefix(code.lines, "I ");
  EXPECT_GT(in_range, 0u);
  EXPECT_LT(in_range, code.result.instructions);
  for (const auto& l : code.lines)
    if (l.starts_with("I ")) {
      EXPECT_LE(hex_of(fields(l).at(2)), 0x0800'001fu) << l;
    }
}

// The compact format decodes back to the same instruction addresses and accesses as the text format.
TEST_P(EveryProfile, CompactDecodesToTheTextTrace) {
  // checksum loops: the dictionary is written once, each iteration is a few bytes per instruction.
  const ModuleTrace text = trace_module("checksum", GetParam());
  const ModuleTrace compact = trace_module("checksum", GetParam(), compact_format());
  std::vector<std::string> want;
  for (const auto& l : text.lines) {
    const auto f = fields(l);
    if (f.empty()) continue;
    if (f[0] == "I") want.push_back("I " + f[2] + " " + f[3]);
    if ((f[0] == "R" || f[0] == "W") && f[3] == "ok")
      want.push_back(f[0] + " " + f[1] + " " + f[2] + (f.size() > 4 ? " " + f[4] : ""));
  }
  std::map<std::uint32_t, std::string> dict;  // pc -> encoding
  std::vector<std::string> got;
  bool have_next = false;
  std::uint32_t next = 0;
  std::uint32_t last = 0;
  std::uint32_t pc = 0;
  char buf[64];
  for (auto l : compact.lines) {
    // Calls, the end, and a fault (the same lines in both formats) are not decoded here.
    if (l.empty() || l[0] == '#' || l[0] == 'C' || l[0] == 'E' || l[0] == 'F' || l.starts_with("I!") ||
        l[0] == 'R' || l[0] == 'W' || l[0] == 'X')
      continue;
    if (l[0] == 'D') {
      const auto f = fields(l);
      dict[hex_of(f.at(1))] = f.at(2);
      continue;
    }
    if (l == "." || l == ".~" || l[0] == 'j' || l[0] == '@') {
      if (l.ends_with('~')) l.pop_back();  // an IT instruction whose condition failed
      if (l == ".") {
        ASSERT_TRUE(have_next);
        pc = next;
      } else if (l[0] == 'j') {
        const std::uint32_t d = hex_of(l.substr(2));
        pc = l[1] == '+' ? next + d : next - d;
      } else {
        pc = hex_of(l.substr(1));
      }
      ASSERT_TRUE(dict.contains(pc)) << l;
      std::snprintf(buf, sizeof buf, "I %08x ", pc);
      got.push_back(buf + dict[pc]);
      next = pc + static_cast<std::uint32_t>(dict[pc].size() / 2);
      have_next = true;
      continue;
    }
    // r4+8 / w4-4=2a / r4 20000ff8
    ASSERT_TRUE(l[0] == 'r' || l[0] == 'w') << l;
    std::size_t i = 1;
    while (i < l.size() && std::isxdigit(static_cast<unsigned char>(l[i]))) ++i;
    const std::uint32_t size = hex_of(l.substr(1, i - 1));
    const std::size_t eq = l.find('=');
    const std::string where = l.substr(i, eq == std::string::npos ? std::string::npos : eq - i);
    std::uint32_t addr = 0;
    if (where[0] == ' ')
      addr = hex_of(where.substr(1));
    else
      addr = where[0] == '+' ? last + hex_of(where.substr(1)) : last - hex_of(where.substr(1));
    last = addr;
    std::snprintf(buf, sizeof buf, "%c %08x %x", l[0] == 'r' ? 'R' : 'W', addr, size);
    std::string s = buf;
    if (eq != std::string::npos) {
      std::snprintf(buf, sizeof buf, " =%0*x", static_cast<int>(size * 2), hex_of(l.substr(eq + 1)));
      s += buf;
    }
    got.push_back(s);
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(got, want);
  std::size_t text_bytes = 0;
  std::size_t compact_bytes = 0;
  for (const auto& l : text.lines) text_bytes += l.size() + 1;
  for (const auto& l : compact.lines) compact_bytes += l.size() + 1;
  EXPECT_LT(compact_bytes * 3, text_bytes);
}

TEST(Trace, AnUnwritableFileIsAnErrorNamingIt) {
  try {
    Writer w("/nonexistent-dir/x.trace", {}, Arch::ArmV7M);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write the trace file /nonexistent-dir/x.trace: "),
              std::string::npos)
        << e.what();
  }
}

TEST(Trace, AWriteErrorDuringTheRunIsReportedByFinish) {
  Writer w("/dev/full", {}, Arch::ArmV7M);
  for (std::uint32_t i = 0; i < 100'000; ++i)
    w.on_instruction(0x0800'0000 + 2 * (i % 64), std::vector<std::uint8_t>{0x00, 0xbf});
  EXPECT_THROW(w.finish(), TraceError);
}

TEST(Trace, FinishDetachesTheWriterFromTheEngine) {
  const loader::Image image = loader::load_elf(elf("checksum", emu::CpuProfile::CortexM4));
  kernel_shim::Kernel kernel(image, emu::CpuProfile::CortexM4, [](std::string_view) {});
  kernel.protect_image();
  const fs::path file = scratch("checksum.trace");
  Writer w(file.string(), {}, image.arch);
  w.attach(kernel, "checksum");
  EXPECT_EQ(kernel.engine().tracer(), &w);
  EXPECT_EQ(kernel.engine().run(100).instructions, 100u);
  w.finish();
  EXPECT_EQ(kernel.engine().tracer(), nullptr);
  EXPECT_EQ(w.instructions_written(), 100u);
  EXPECT_EQ(kernel.run(50'000'000).outcome, Outcome::Exited);  // runs on untraced
  EXPECT_EQ(w.instructions_written(), 100u);
  EXPECT_EQ(count_prefix(lines_of(file), "I "), 100u);
}

// The engine's own contract, without the writer: one report per counted instruction, accesses after it.
struct Recorder : emu::Tracer {
  std::vector<std::uint32_t> pcs;
  std::vector<emu::TraceAccess> accesses;
  std::vector<Fault> faults;
  void on_instruction(std::uint32_t pc, std::span<const std::uint8_t>) override { pcs.push_back(pc); }
  void on_access(const emu::TraceAccess& a) override { accesses.push_back(a); }
  void on_fault(const Fault& f, std::span<const std::uint8_t>) override { faults.push_back(f); }
};

TEST_P(EveryProfile, RemovingTheTracerStopsReportsAndKeepsTheRunGoing) {
  const loader::Image image = loader::load_elf(elf("checksum", GetParam()));
  kernel_shim::Kernel kernel(image, GetParam(), [](std::string_view) {});
  kernel.protect_image();
  Recorder rec;
  kernel.engine().set_tracer(&rec);
  EXPECT_EQ(kernel.engine().tracer(), &rec);
  const emu::RunResult first = kernel.engine().run(500);
  EXPECT_EQ(first.instructions, 500u);
  EXPECT_EQ(rec.pcs.size(), 500u);
  EXPECT_FALSE(rec.accesses.empty());
  for (const auto& a : rec.accesses) EXPECT_NE(a.unit, nullptr);
  kernel.engine().set_tracer(nullptr);
  const emu::RunResult second = kernel.engine().run(500);
  EXPECT_EQ(second.instructions, 500u);
  EXPECT_EQ(rec.pcs.size(), 500u);
  EXPECT_EQ(rec.pcs.at(0), image.entry & ~1u);
}

}  // namespace
}  // namespace bulkhead::trace
