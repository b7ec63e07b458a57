// `bulkhead test` end to end: the real binary on the sample modules.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "helpers.hpp"

namespace {

using namespace bulkhead_testing_test;
using nlohmann::json;

std::string fw() {
  return " --elf-dir " + firmware_dir();
}
std::string mixed() {
  return std::string(DATA_DIR) + "/mixed.toml";
}

std::vector<std::string> case_names(const std::string& json_text) {
  std::vector<std::string> out;
  const json j = json::parse(json_text);
  for (const auto& c : j["cases"]) out.push_back(c["name"]);
  return out;
}

TEST(Cli, BundledSuitePasses) {
  const Outcome o = bulkhead("test " + bundled_suite() + fw() + " -j 2");
  EXPECT_EQ(o.status, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("PASS  hello-cortex-m4\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" passed\n"), std::string::npos);
  EXPECT_EQ(o.out.find("FAIL"), std::string::npos);
  EXPECT_EQ(o.err, "");
}

TEST(Cli, FailingCasesExitOneAndPrintACommandThatRerunsJustThem) {
  const Outcome o = bulkhead("test " + mixed() + fw());
  EXPECT_EQ(o.status, 1) << o.err;
  EXPECT_NE(o.out.find("PASS  passes\nFAIL  wrong-output\nFAIL  unexpected-fault\nERROR missing-elf\n"
                       "PASS  layout-passes\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("at line 2:\n    expected: \"and a second line\\n\"\n    actual:   (end of output)"),
            std::string::npos)
      << o.out;
  EXPECT_NE(
      o.out.find("unexpected fault in `trap_unmapped-cortex-m33`: BusFault: write of 4 bytes at 0x30000000"),
      std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("no-such-module.elf"), std::string::npos);
  EXPECT_NE(o.out.find("5 cases: 2 passed, 2 failed, 1 could not run\n"), std::string::npos) << o.out;

  const std::string prefix = "rerun: bulkhead test ";
  const std::size_t at = o.out.find(prefix + mixed() + " --filter wrong-output");
  ASSERT_NE(at, std::string::npos) << o.out;
  const std::string args = o.out.substr(at + prefix.size(), o.out.find('\n', at) - at - prefix.size());
  const Outcome again = bulkhead("test " + args);
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.out.find("1 case: 0 passed, 1 failed\n"), std::string::npos) << again.out;
}

TEST(Cli, MalformedSuiteExitsTwoNamingFileAndLine) {
  const fs::path dir = scratch_dir();
  write_file(dir / "bad.toml", "[[case]]\nname = \"a\"\nelf = \"x.elf\"\n[case.expect]\nexit = \"zero\"\n");
  const Outcome o = bulkhead("test " + (dir / "bad.toml").string());
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.out, "");
  EXPECT_NE(o.err.find((dir / "bad.toml").string() + ":5:8: case \"a\": [case.expect]: `exit`"),
            std::string::npos)
      << o.err;
}

TEST(Cli, FilterThatMatchesNothingIsAnError) {
  const Outcome o = bulkhead("test " + bundled_suite() + fw() + " --filter 'no-such-*'");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("no case matches --filter no-such-*"), std::string::npos) << o.err;
}

TEST(Cli, JsonIsTheSameForOneAndFourJobs) {
  const Outcome one = bulkhead("test " + bundled_suite() + fw() + " --json -j 1");
  const Outcome four = bulkhead("test " + bundled_suite() + fw() + " --json -j 4");
  EXPECT_EQ(one.status, 0);
  EXPECT_EQ(four.status, 0);
  EXPECT_EQ(one.out, four.out);
  const json j = json::parse(one.out);
  EXPECT_EQ(j["summary"]["cases"], j["cases"].size());
  EXPECT_EQ(j["summary"]["passed"], j["cases"].size());
  const Outcome m1 = bulkhead("test " + mixed() + fw() + " --json -j 1");
  const Outcome m4 = bulkhead("test " + mixed() + fw() + " --json -j 4");
  EXPECT_EQ(m1.status, 1);
  EXPECT_EQ(m1.out, m4.out);
}

TEST(Cli, ShardsCoverEveryCaseExactlyOnce) {
  const std::vector<std::string> all = case_names(bulkhead("test " + bundled_suite() + fw() + " --json").out);
  ASSERT_GT(all.size(), 10u);
  for (int total : {2, 3, 7}) {
    std::multiset<std::string> seen;
    for (int i = 1; i <= total; ++i) {
      const Outcome o = bulkhead("test " + bundled_suite() + fw() + " --json --shard " + std::to_string(i) +
                                 "/" + std::to_string(total));
      EXPECT_EQ(o.status, 0) << o.err;
      for (const auto& n : case_names(o.out)) seen.insert(n);
    }
    EXPECT_EQ(seen, std::multiset<std::string>(all.begin(), all.end())) << total << " shards";
  }
}

TEST(Cli, HonoursBazelSharding) {
  const fs::path status = scratch_dir() / "shard-status";
  const Outcome o =
      bulkhead("test " + bundled_suite() + fw() + " --json", fs::current_path(),
               "TEST_TOTAL_SHARDS=2 TEST_SHARD_INDEX=1 TEST_SHARD_STATUS_FILE=" + status.string());
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_TRUE(fs::exists(status));
  const auto all = case_names(bulkhead("test " + bundled_suite() + fw() + " --json").out);
  std::vector<std::string> odd;
  for (std::size_t i = 1; i < all.size(); i += 2) odd.push_back(all[i]);
  EXPECT_EQ(case_names(o.out), odd);
  EXPECT_EQ(json::parse(o.out)["shard"], (json{{"index", 1}, {"total", 2}}));
  const Outcome bad = bulkhead("test " + bundled_suite() + fw(), fs::current_path(),
                               "TEST_TOTAL_SHARDS=2 TEST_SHARD_INDEX=2");
  EXPECT_EQ(bad.status, 2);
}

TEST(Cli, UpdateRewritesExactAndGoldenOutputButNeverFaults) {
  const fs::path dir = scratch_dir();
  const std::string suite = R"(# kept as written
[defaults]
elf_dir = ")" + firmware_dir() +
                            R"("

[[case]]
name = "exact"
elf = "exit3-rv32imac.elf"
[case.expect]
exit = 3
[[case.expect.output]]
exact = "stale"    # a comment that stays

[[case]]
name = "golden"
elf = "hello-cortex-m33.elf"
[[case.expect.output]]
golden = "golden/hello.txt"

[[case]]
name = "fault"
elf = "trap_unmapped-rv32imac.elf"
[[case.expect.output]]
exact = 'old'
[[case.expect.fault]]
kind = "MemManage"
)";
  write_file(dir / "s.toml", suite);
  const Outcome before = bulkhead("test s.toml", dir);
  EXPECT_EQ(before.status, 1);
  EXPECT_NE(before.out.find("golden file golden/hello.txt does not exist"), std::string::npos) << before.out;

  const Outcome update = bulkhead("test s.toml --update", dir);
  EXPECT_EQ(update.status, 1) << update.out;  // the fault expectation still fails
  EXPECT_NE(update.out.find("--update never changes expected faults"), std::string::npos) << update.out;
  EXPECT_NE(update.err.find("updated s.toml"), std::string::npos) << update.err;
  std::string expected = suite;
  expected.replace(expected.find("\"stale\""), 7, "\"exiting with 3\\n\"");
  expected.replace(expected.find("'old'"), 5, "\"storing to unmapped memory\\n\"");
  EXPECT_EQ(slurp(dir / "s.toml"), expected);
  EXPECT_EQ(slurp(dir / "golden/hello.txt"), "Hello from a Bulkhead module on cortex-m33 (ARMv8-M)!\n");

  const Outcome after = bulkhead("test s.toml", dir);
  EXPECT_EQ(after.status, 1);
  EXPECT_NE(after.out.find("PASS  exact\nPASS  golden\nFAIL  fault\n"), std::string::npos) << after.out;
  EXPECT_NE(after.out.find("kind is BusFault, expected MemManage"), std::string::npos) << after.out;
}

TEST(Cli, UpdateWritesMultiLineOutputAsAMultiLineString) {
  const fs::path dir = scratch_dir();
  write_file(dir / "s.toml", "[[case]]\nname = \"u\"\nelf = \"" + firmware_dir() +
                                 "/trap_readonly-rv32imac.elf\"\nprotect = false\n[case.expect]\nexit = 1\n"
                                 "[[case.expect.output]]\nexact = \"\"\n");
  EXPECT_EQ(bulkhead("test s.toml --update", dir).status, 0);
  EXPECT_NE(slurp(dir / "s.toml").find("exact = \"\"\"\nstoring to read-only memory\nnot reached\n\"\"\"\n"),
            std::string::npos)
      << slurp(dir / "s.toml");
  EXPECT_EQ(bulkhead("test s.toml", dir).status, 0);
}

}  // namespace
