// Expectations against synthetic runs: each kind failing with a message a person can act on.
#include "bulkhead/testing/expect.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "helpers.hpp"

namespace {

using namespace bulkhead;
using namespace bulkhead::testing;
using kernel_shim::Outcome;

Case parse_one(const std::string& expect) {
  return parse_suite("[[case]]\nname = \"c\"\nelf = \"m.elf\"\n" + expect, "s.toml", "/tmp").cases.at(0);
}

CaseRun exited(const std::string& output, int code = 0) {
  CaseRun run;
  run.status = RunStatus::Ran;
  PartitionRun p;
  p.name = "m";
  p.output = output;
  p.result.outcome = Outcome::Exited;
  p.result.exit_code = code;
  run.partitions.push_back(p);
  return run;
}

kernel_shim::FaultEvent event(FaultKind kind, Access access, std::uint32_t address, std::uint32_t pc,
                              layout::FaultAction action = layout::FaultAction::Kill,
                              const std::string& outcome = "killed") {
  kernel_shim::FaultEvent e;
  e.fault.kind = kind;
  e.fault.access = access;
  e.fault.address = address;
  e.fault.pc = pc;
  e.report = std::string(to_string(kind)) + " at " + std::to_string(address);
  e.action = action;
  e.outcome = outcome;
  return e;
}

CaseRun faulted(std::vector<kernel_shim::FaultEvent> events) {
  CaseRun run = exited("before\n");
  PartitionRun& p = run.partitions[0];
  p.result.outcome = Outcome::Faulted;
  p.result.fault = events.back().fault;
  p.result.report = events.back().report;
  p.faults = std::move(events);
  auto image = std::make_shared<loader::Image>();
  image->path = "m.elf";
  image->symbols = {{"poke", 0x0800'0000, 0x10, true}, {"buf", 0x2000'0000, 0x40, false}};
  p.image = image;
  return run;
}

std::string messages(const std::vector<Failure>& fs) {
  std::string out;
  for (const auto& f : fs) out += "[" + std::string(to_string(f.kind)) + "] " + f.message + "\n";
  return out;
}

TEST(Expect, PassingRunHasNoFailures) {
  const Case c = parse_one(
      "[case.expect]\nexit = 0\n[[case.expect.output]]\nexact = \"a\\nb\\n\"\n[[case.expect.output]]\n"
      "contains = \"b\"\n[[case.expect.output]]\nlines = [\"a\", \"b\"]\n[[case.expect.output]]\nregex = "
      "\"^b$\"\n[[case.expect.output]]\nexcludes = \"z\"\n");
  EXPECT_EQ(messages(check_case(c, exited("a\nb\n"))), "");
}

TEST(Expect, ExactNamesTheFirstDifferingLine) {
  const Case c = parse_one("[[case.expect.output]]\nexact = \"one\\ntwo\\nthree\\n\"\n");
  const auto fs = check_case(c, exited("one\nTWO\nthree\n"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].kind, FailureKind::Output);
  EXPECT_EQ(fs[0].message,
            "output of `m` differs from `exact` (s.toml:4) at line 2:\n  expected: \"two\\n\"\n  actual:   "
            "\"TWO\\n\"");
  EXPECT_EQ(fs[0].output_index, 0);
}

TEST(Expect, ExactReportsEndOfOutputAndMissingNewline) {
  EXPECT_EQ(first_difference("a\nb\n", "a\n"), "line 2:\n  expected: \"b\\n\"\n  actual:   (end of output)");
  EXPECT_EQ(first_difference("a\n", "a"), "line 1:\n  expected: \"a\\n\"\n  actual:   \"a\"");
  EXPECT_EQ(first_difference("x", "x"), "");
  EXPECT_EQ(quote("\x01\t\"\\"), "\"\\x01\\t\\\"\\\\\"");
}

TEST(Expect, ContainsQuotesTheOutput) {
  const Case c = parse_one("[[case.expect.output]]\ncontains = \"Hello\"\n");
  const auto fs = check_case(c, exited("Goodbye\n"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].message,
            "output of `m` does not contain \"Hello\" (s.toml:4)\n  the output was:\n    | Goodbye");
}

TEST(Expect, ExcludesNamesTheLine) {
  const Case c = parse_one("[[case.expect.output]]\nexcludes = \"panic\"\n");
  const auto fs = check_case(c, exited("ok\nkernel panic\n"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].message, "output of `m` contains \"panic\" at line 2 (s.toml:4)");
}

TEST(Expect, RegexFailsWithThePattern) {
  const Case c = parse_one("[[case.expect.output]]\nregex = \"sum [0-9a-f]{8}\"\n");
  const auto fs = check_case(c, exited("sum 12\n"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].message.rfind("output of `m` has no match for /sum [0-9a-f]{8}/ (s.toml:4)", 0), 0u)
      << fs[0].message;
}

TEST(Expect, LinesMustComeInOrder) {
  const Case c = parse_one("[[case.expect.output]]\nlines = [\"b\", \"a\"]\n");
  EXPECT_EQ(messages(check_case(c, exited("b\nx\na\n"))), "");
  const auto fs = check_case(c, exited("a\nb\n"));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].message.rfind("output of `m`: line 2 of `lines` \"a\" not found after output line 2 (where "
                                "line 1 of `lines` matched) (s.toml:4)",
                                0),
            0u)
      << fs[0].message;
}

TEST(Expect, ExitCodeDiffers) {
  const Case c = parse_one("[case.expect]\nexit = 0\n");
  const auto fs = check_case(c, exited("", 3));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].kind, FailureKind::Exit);
  EXPECT_EQ(fs[0].message, "partition `m` exited with 3, expected 0 (s.toml:4)");
}

TEST(Expect, ExitExpectedButFaulted) {
  const Case c = parse_one("[case.expect]\nexit = 0\n");
  const auto fs =
      check_case(c, faulted({event(FaultKind::BusFault, Access::Write, 0x3000'0000, 0x0800'0002)}));
  ASSERT_EQ(fs.size(), 2u) << messages(fs);
  EXPECT_EQ(fs[0].kind, FailureKind::Outcome);
  EXPECT_EQ(fs[0].message.rfind("partition `m` ended faulted: BusFault at", 0), 0u) << fs[0].message;
  EXPECT_NE(fs[0].message.find("expected: exited with 0"), std::string::npos);
  EXPECT_EQ(fs[1].kind, FailureKind::UnexpectedFault);
}

TEST(Expect, AnOutcomeOtherThanExitOrFaultMustBeExpected) {
  const Case c = parse_one("");
  CaseRun run = exited("");
  run.partitions[0].result.outcome = Outcome::BudgetExhausted;
  auto fs = check_case(c, run);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_NE(fs[0].message.find("expect it with outcome = { m = \"budget-exhausted\" }"), std::string::npos)
      << fs[0].message;
  EXPECT_EQ(messages(check_case(parse_one("[case.expect]\noutcome = \"budget-exhausted\"\n"), run)), "");
}

TEST(Expect, UnexpectedFaultQuotesTheReport) {
  const auto fs = check_case(parse_one(""), faulted({event(FaultKind::MemManage, Access::Write, 1, 2)}));
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].kind, FailureKind::UnexpectedFault);
  EXPECT_EQ(fs[0].message, "unexpected fault in `m`: MemManage at 1 [killed]");
  EXPECT_EQ(messages(check_case(parse_one("[case.expect]\nignore_other_faults = true\n"),
                                faulted({event(FaultKind::MemManage, Access::Write, 1, 2)}))),
            "");
}

TEST(Expect, ExpectedFaultMatchesOnEveryField) {
  const auto run = faulted({event(FaultKind::MemManage, Access::Write, 0x2000'0010, 0x0800'0004)});
  const std::string base = "[[case.expect.fault]]\n";
  EXPECT_EQ(
      messages(check_case(parse_one(base + "kind = \"MemManage\"\naccess = \"write\"\nsymbol = \"buf\"\n"
                                           "pc_symbol = \"poke\"\npolicy = \"killed\"\n"),
                          run)),
      "");
  EXPECT_EQ(messages(check_case(
                parse_one(base + "address = 0x20000010\npc = 0x08000004\npolicy = \"kill\"\n"), run)),
            "");

  struct Miss {
    std::string toml;
    std::string why;
  };
  for (const Miss& m :
       {Miss{"kind = \"BusFault\"", "kind is MemManage, expected BusFault"},
        Miss{"access = \"read\"", "access is write, expected read"},
        Miss{"address = 0x20000000", "address is 0x20000010, expected 0x20000000"},
        Miss{"symbol = \"poke\"", "address 0x20000010 is outside `poke` [0x08000000, 0x08000010)"},
        Miss{"symbol = \"nope\"", "no symbol `nope` in m.elf"},
        Miss{"pc_symbol = \"buf\"", "pc 0x08000004 is outside `buf`"},
        Miss{"policy = \"restart\"", "policy outcome is \"killed\" (kill), expected \"restart\""}}) {
    const auto fs = check_case(parse_one(base + m.toml + "\n"), run);
    ASSERT_EQ(fs.size(), 2u) << m.toml << "\n" << messages(fs);
    EXPECT_EQ(fs[0].kind, FailureKind::MissingFault);
    EXPECT_EQ(fs[0].message.rfind("expected fault in `m` did not happen: ", 0), 0u) << fs[0].message;
    EXPECT_NE(fs[0].message.find("fault 1: MemManage at 536870928 [killed]\n    " + m.why), std::string::npos)
        << m.toml << "\n"
        << fs[0].message;
    EXPECT_EQ(fs[1].kind, FailureKind::UnexpectedFault);
  }
}

TEST(Expect, FaultsMatchInOrderAndCount) {
  using layout::FaultAction;
  const auto run =
      faulted({event(FaultKind::MemManage, Access::Write, 1, 2, FaultAction::Restart, "restarted (1 of 2)"),
               event(FaultKind::MemManage, Access::Write, 1, 2, FaultAction::Restart, "restarted (2 of 2)"),
               event(FaultKind::MemManage, Access::Write, 1, 2, FaultAction::Kill, "killed")});
  EXPECT_EQ(messages(check_case(parse_one("[[case.expect.fault]]\npolicy = \"restart\"\ncount = 2\n"
                                          "[[case.expect.fault]]\npolicy = \"killed\"\n"),
                                run)),
            "");
  // The kill came last: expecting it before the restarts leaves them unmatched.
  const auto fs = check_case(parse_one("[[case.expect.fault]]\npolicy = \"killed\"\n[[case.expect.fault]]\n"
                                       "policy = \"restart\"\n"),
                             run);
  ASSERT_EQ(fs.size(), 3u) << messages(fs);
  EXPECT_EQ(fs[0].kind, FailureKind::MissingFault);
  EXPECT_NE(fs[0].message.find("matched an earlier expectation"), std::string::npos) << fs[0].message;
  // Three expected, two happened.
  const auto more = check_case(parse_one("[case.expect]\nignore_other_faults = true\n"
                                         "[[case.expect.fault]]\npolicy = \"restart\"\ncount = 3\n"),
                               run);
  ASSERT_EQ(more.size(), 1u) << messages(more);
  EXPECT_NE(more[0].message.find("(occurrence 3 of 3)"), std::string::npos) << more[0].message;
}

TEST(Expect, ErrorsAndTimeoutsAreOneFailure) {
  CaseRun run;
  run.status = RunStatus::Timeout;
  run.error = "still running";
  const auto fs = check_case(parse_one("[case.expect]\nexit = 0\n"), run);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].kind, FailureKind::Timeout);
}

}  // namespace
