// Suite files: what parses, and every malformed file an error naming the file, line and column.
#include "bulkhead/testing/suite.hpp"

#include <gtest/gtest.h>

#include <string>

#include "helpers.hpp"

namespace {

using namespace bulkhead;
using namespace bulkhead::testing;
using namespace bulkhead_testing_test;

Suite parse(const std::string& text) {
  return parse_suite(text, "s.toml", SOURCE_DIR);
}

// The error's what() for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const SuiteError& e) {
    return e.what();
  }
  return "";
}

TEST(Suite, ParsesEveryKindOfExpectationAndInheritsDefaults) {
  const Suite s = parse(R"(
name = "demo"
[defaults]
max_instructions = "2 M"
timeout = "1500 ms"
elf_dir = "build/fw"
cpu = "cortex-m33"

[[case]]
name = "one"
elf = "hello-cortex-m4.elf"
slice = 77
[case.expect]
exit = 0
[[case.expect.output]]
exact = "hi\n"
[[case.expect.output]]
lines = ["a", "b"]
[[case.expect.output]]
regex = "h.?"
[[case.expect.output]]
excludes = "panic"
[[case.expect.fault]]
kind = "MemManage"
access = "write"
symbol = "buf"
pc = 0x0800_000e
policy = "killed"
count = 2

[[case]]
name = "two"
layout = "firmware_samples/layouts/armv7m.toml"
timeout = 3
input = { app = "ping\n" }
[case.expect]
exit = { app = 0 }
outcome = { sensor = "budget-exhausted" }
ignore_other_faults = true
[[case.expect.output]]
partition = "sensor"
contains = "checksum"
)");
  ASSERT_EQ(s.cases.size(), 2u);
  const Case& one = s.cases[0];
  EXPECT_EQ(one.name, "one");
  EXPECT_EQ(one.pos.line, 9);
  EXPECT_FALSE(one.is_layout());
  EXPECT_EQ(one.elf, fs::path(SOURCE_DIR) / "build/fw" / "hello-cortex-m4.elf");
  EXPECT_EQ(one.module_name, "hello-cortex-m4");
  EXPECT_EQ(one.max_instructions, 2'000'000u);
  EXPECT_EQ(one.slice, 77u);
  EXPECT_EQ(one.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(one.cpu, emu::CpuProfile::CortexM33);
  EXPECT_EQ(one.expect.exit.at("hello-cortex-m4"), 0);
  ASSERT_EQ(one.expect.output.size(), 4u);
  EXPECT_EQ(one.expect.output[0].match, OutputMatch::Exact);
  EXPECT_EQ(one.expect.output[0].text, "hi\n");
  EXPECT_EQ(one.expect.output[0].partition, "hello-cortex-m4");
  EXPECT_EQ(one.expect.output[0].value_pos.line, 16);
  EXPECT_EQ(one.expect.output[1].lines, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(one.expect.faults.size(), 1u);
  const FaultExpectation& f = one.expect.faults[0];
  EXPECT_EQ(f.kind, FaultKind::MemManage);
  EXPECT_EQ(f.access, Access::Write);
  EXPECT_EQ(f.symbol, "buf");
  EXPECT_EQ(f.pc, 0x0800000Eu);
  EXPECT_EQ(f.policy, "killed");
  EXPECT_EQ(f.count, 2u);

  const Case& two = s.cases[1];
  EXPECT_TRUE(two.is_layout());
  EXPECT_EQ(two.timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(two.input.at("app"), "ping\n");
  EXPECT_EQ(two.expect.outcome.at("sensor"), kernel_shim::Outcome::BudgetExhausted);
  EXPECT_TRUE(two.expect.ignore_other_faults);
  EXPECT_EQ(two.expect.output[0].partition, "sensor");
}

TEST(Suite, ElfDirOptionOverridesTheSuites) {
  SuiteOptions o;
  o.elf_dir = "/fw";
  const Suite s = parse_suite("[defaults]\nelf_dir = \"x\"\n[[case]]\nname = \"a\"\nelf = \"m.elf\"\n",
                              "s.toml", "/suites", o);
  EXPECT_EQ(s.cases[0].elf, fs::path("/fw/m.elf"));
}

struct Malformed {
  const char* what;
  const char* text;
  const char* error;  // what() must contain this, with the position
};

class MalformedSuite : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedSuite, FailsWithFileLineAndColumn) {
  const std::string e = error_of(GetParam().text);
  EXPECT_NE(e.find(GetParam().error), std::string::npos) << "error was: " << e;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, MalformedSuite,
    ::testing::Values(
        Malformed{"toml", "[[case]]\nname = \"a\nelf = \"x\"\n", "s.toml:2:"},
        Malformed{"unknown top-level key", "cases = 1\n", "s.toml:1:9: suite: unknown key `cases`"},
        Malformed{"no cases", "name = \"x\"\n", "s.toml:1:1: the suite has no [[case]]"},
        Malformed{"unknown case key", "[[case]]\nname = \"a\"\nelf = \"x\"\nbudget = 3\n",
                  "s.toml:4:10: [[case]]: unknown key `budget`"},
        Malformed{"missing name", "[[case]]\nelf = \"x\"\n", "s.toml:1:1: [[case]]: missing `name`"},
        Malformed{"bad name", "[[case]]\nname = \"a b\"\nelf = \"x\"\n",
                  "s.toml:2:8: [[case]]: name \"a b\""},
        Malformed{"duplicate", "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case]]\nname = \"a\"\nelf = \"y\"\n",
                  "s.toml:5:8: case \"a\" is defined twice"},
        Malformed{"neither layout nor elf", "[[case]]\nname = \"a\"\n",
                  "s.toml:1:1: case \"a\": give exactly one of `layout`"},
        Malformed{"wrong type", "[[case]]\nname = \"a\"\nelf = 3\n",
                  "s.toml:3:7: case \"a\": `elf` must be a string"},
        Malformed{"bad timeout", "[[case]]\nname = \"a\"\nelf = \"x\"\ntimeout = \"soon\"\n",
                  "s.toml:4:11: case \"a\": `timeout` must be a duration"},
        Malformed{"bad cpu", "[defaults]\ncpu = \"z80\"\n[[case]]\nname = \"a\"\nelf = \"x\"\n",
                  "s.toml:2:7: [defaults]: unknown cpu \"z80\""},
        Malformed{"input on an elf", "[[case]]\nname = \"a\"\nelf = \"x\"\ninput = { a = \"1\" }\n",
                  "s.toml:4:9: case \"a\": `input` needs a layout case"},
        Malformed{"unknown expect key", "[[case]]\nname = \"a\"\nelf = \"x\"\n[case.expect]\nexits = 0\n",
                  "s.toml:5:9: case \"a\": [case.expect]: unknown key `exits`"},
        Malformed{
            "two matches",
            "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.output]]\nexact = \"\"\ncontains = \"\"\n",
            "s.toml:4:1: case \"a\": [[case.expect.output]]: give exactly one of"},
        Malformed{"bad regex", "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.output]]\nregex = \"(\"\n",
                  "s.toml:5:9: case \"a\": [[case.expect.output]]: `regex` \"(\" is not a valid regular "
                  "expression"},
        Malformed{"lines not strings",
                  "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.output]]\nlines = [1]\n",
                  "s.toml:5:10: case \"a\": [[case.expect.output]]: each of `lines` must be a string"},
        Malformed{"unknown fault kind",
                  "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.fault]]\nkind = \"Oops\"\n",
                  "s.toml:5:8: case \"a\": [[case.expect.fault]]: unknown fault kind \"Oops\""},
        Malformed{"address and symbol",
                  "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.fault]]\naddress = 4\nsymbol = \"b\"\n",
                  "s.toml:6:10: case \"a\": [[case.expect.fault]]: give `address` or `symbol`, not both"},
        Malformed{"address too big",
                  "[[case]]\nname = \"a\"\nelf = \"x\"\n[[case.expect.fault]]\naddress = 0x1_0000_0000\n",
                  "s.toml:5:11: case \"a\": [[case.expect.fault]]: `address` must be 0..4294967295"},
        Malformed{"unknown outcome",
                  "[[case]]\nname = \"a\"\nelf = \"x\"\n[case.expect]\noutcome = \"crashed\"\n",
                  "s.toml:5:11: case \"a\": [case.expect]: unknown outcome \"crashed\""},
        Malformed{
            "exit and another outcome",
            "[[case]]\nname = \"a\"\nelf = \"x\"\n[case.expect]\nexit = 0\noutcome = \"faulted\"\n",
            "s.toml:5:8: case \"a\": [case.expect]: partition \"x\" cannot both exit with 0 and end faulted"},
        Malformed{"unknown partition of a single module",
                  "[[case]]\nname = \"a\"\nelf = \"m.elf\"\n[case.expect]\nexit = { other = 0 }\n",
                  "s.toml:5:18: case \"a\": [case.expect]: `exit`: no partition \"other\" runs in this case "
                  "(partitions: m)"},
        Malformed{"unknown partition of a layout",
                  "[[case]]\nname = \"a\"\nlayout = "
                  "\"firmware_samples/layouts/rv32.toml\"\n[[case.expect.output]]\n"
                  "partition = \"ap\"\ncontains = \"x\"\n",
                  "s.toml:5:13: case \"a\": [[case.expect.output]]: no partition \"ap\" runs in this case "
                  "(partitions: app, sensor)"},
        Malformed{"partition needed",
                  "[[case]]\nname = \"a\"\nlayout = \"firmware_samples/layouts/rv32.toml\"\n"
                  "[[case.expect.output]]\ncontains = \"x\"\n",
                  "s.toml:4:1: case \"a\": [[case.expect.output]]: missing `partition`"},
        Malformed{"cpu on a layout", "[[case]]\nname = \"a\"\nlayout = \"l.toml\"\ncpu = \"rv32imac\"\n",
                  "s.toml:4:7: case \"a\": `cpu` is for single-ELF cases"}),
    [](const auto& param_info) {
      std::string n = param_info.param.what;
      for (char& c : n)
        if (c == ' ' || c == '-') c = '_';
      return n;
    });

TEST(Suite, FileErrorsNameTheFile) {
  try {
    parse_suite_file("/nonexistent/suite.toml");
    FAIL() << "no error";
  } catch (const SuiteError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/suite.toml: cannot read", 0), 0u) << e.what();
  }
}

TEST(Suite, Durations) {
  EXPECT_EQ(parse_duration("10 s"), std::chrono::milliseconds(10'000));
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("2 min"), std::chrono::milliseconds(120'000));
  EXPECT_EQ(parse_duration("1.5"), std::chrono::milliseconds(1'500));
  EXPECT_FALSE(parse_duration("soon"));
  EXPECT_FALSE(parse_duration("0 s"));
  EXPECT_FALSE(parse_duration(""));
}

TEST(Suite, TheBundledSuiteParses) {
  const Suite s = parse_suite_file(bundled_suite());
  EXPECT_GE(s.cases.size(), 30u);
}

}  // namespace
