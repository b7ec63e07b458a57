// The documented examples (docs/examples/decide/*.json) run as tests: the output must match the .expected
// file byte for byte. Each expected verdict was checked by hand against the manuals (see docs/decide.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "run_bulkhead.hpp"

namespace {

using bulkhead_test::bulkhead;
using bulkhead_test::Outcome;
using bulkhead_test::slurp;

std::string example(const std::string& name, const std::string& ext) {
  return std::string(EXAMPLES_DIR) + "/" + name + ext;
}

class Example : public ::testing::TestWithParam<std::string> {};

TEST_P(Example, OutputMatchesExpectedFile) {
  const std::string expected = slurp(example(GetParam(), ".expected"));
  ASSERT_FALSE(expected.empty()) << "missing " << example(GetParam(), ".expected");
  const Outcome o = bulkhead("decide " + example(GetParam(), ".json"));
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out, expected);
}

TEST_P(Example, StdinGivesTheSameOutputAsTheFile) {
  const Outcome from_file = bulkhead("decide " + example(GetParam(), ".json"));
  const Outcome from_stdin = bulkhead("decide -", example(GetParam(), ".json"));
  EXPECT_EQ(from_stdin.status, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, from_file.out);
}

TEST_P(Example, JsonLinesAgreeWithTheTextLines) {
  const Outcome text = bulkhead("decide " + example(GetParam(), ".json"));
  const Outcome lines = bulkhead("decide --json " + example(GetParam(), ".json"));
  ASSERT_EQ(lines.status, 0) << lines.err;
  std::istringstream text_in(text.out);
  std::istringstream json_in(lines.out);
  std::string t;
  std::string j;
  int count = 0;
  while (std::getline(text_in, t)) {
    ASSERT_TRUE(std::getline(json_in, j)) << "fewer JSON lines than text lines";
    const nlohmann::json v = nlohmann::json::parse(j);
    const bool allowed = v.at("allowed").get<bool>();
    EXPECT_NE(t.find(allowed ? ": ALLOWED" : ": DENIED"), std::string::npos) << t << "\n" << j;
    // Denied accesses, and only they, carry a syndrome.
    EXPECT_EQ(v.contains("syndrome"), !allowed) << j;
    EXPECT_NE(t.find(v.at("detail").get<std::string>()), std::string::npos) << t << "\n" << j;
    ++count;
  }
  EXPECT_FALSE(std::getline(json_in, j)) << "more JSON lines than text lines";
  EXPECT_GT(count, 10);
}

TEST_P(Example, RegionsFlagPrintsOneRowPerRegionBeforeTheVerdicts) {
  const Outcome plain = bulkhead("decide " + example(GetParam(), ".json"));
  const Outcome o = bulkhead("decide --regions " + example(GetParam(), ".json"));
  ASSERT_EQ(o.status, 0) << o.err;
  ASSERT_GT(o.out.size(), plain.out.size());
  // The verdicts follow the table unchanged.
  EXPECT_EQ(o.out.substr(o.out.size() - plain.out.size()), plain.out);
  const std::string table = o.out.substr(0, o.out.size() - plain.out.size());
  const auto rows = std::count(table.begin(), table.end(), '\n');
  EXPECT_EQ(rows, GetParam() == "pmp" ? 16 : 8) << table;
}

TEST_P(Example, DocumentationShowsTheExpectedOutput) {
  const std::string doc = slurp(std::string(EXAMPLES_DIR) + "/../../decide.md");
  const std::string expected = slurp(example(GetParam(), ".expected"));
  ASSERT_FALSE(expected.empty());
  EXPECT_NE(doc.find("```\n" + expected + "```"), std::string::npos)
      << "docs/decide.md does not show " << GetParam() << ".expected verbatim";
}

INSTANTIATE_TEST_SUITE_P(Decide, Example, ::testing::Values("pmsav7", "pmsav8", "pmp"));

TEST(DecideCommandLine, AccessArgumentsFollowTheFileAccesses) {
  const Outcome o =
      bulkhead("decide " + example("pmsav7", ".json") +
               " --access 0x20000000:4:read:unprivileged --access 0x08000008:4:read:privileged:vector_table");
  ASSERT_EQ(o.status, 0) << o.err;
  const std::string expected = slurp(example("pmsav7", ".expected"));
  ASSERT_EQ(o.out.substr(0, expected.size()), expected);
  EXPECT_EQ(o.out.substr(expected.size()),
            "0x20000000 +4 read unprivileged: ALLOWED by region 1 (region match) \u2014 region 1 grants rw- "
            "(0x20000000+0x8000 SIZE=14 SRD=0x00 AP=011 XN=1 TEX=0 S=1 C=1 B=0)\n"
            "0x08000008 +4 read privileged vector-table: ALLOWED (vector table read bypasses the MPU) \u2014 "
            "vector-table read on exception entry bypasses the MPU (ARMv7-M B3.5.1)\n");
}

TEST(DecideCommandLine, RegistersOnlyDumpWithAccessesFromTheCommandLine) {
  const Outcome o = bulkhead_test::decide(
      R"({"model": "pmp", "writes": [{"csr": "pmpaddr0", "value": "0x2000_03FF"}, {"csr": "pmpcfg0", "value": "0x1B"}]})",
      "--access 0x80000ffc:4:write:user --access 0x80001ffe:4:write:user");
  ASSERT_EQ(o.status, 0) << o.err;
  // pmpaddr0 = 0x200003FF: NAPOT with 10 trailing ones, 2^13 = 8 KiB at 0x80000000 (priv. spec Table 3.11).
  EXPECT_EQ(
      o.out,
      "0x80000ffc +4 write user: ALLOWED by pmp0 (region match) \u2014 pmp0 rw-\n"
      "0x80001ffe +4 write user: DENIED by pmp0 (partial match) \u2014 pmp0 covers only part of the access "
      "[mcause=7 (store access fault) mtval=0x80001ffe]\n");
}

TEST(DecideCommandLine, NegativePriorityWithHfnmienaClearTurnsTheMpuOff) {
  // MPU_CTRL = ENABLE only (HFNMIENA=0): at negative priority the default map applies (ARMv7-M B3.5.6).
  const std::string dump = R"({"model": "pmsav7", "state": {"negative_priority": NEG},
      "writes": [{"reg": "MPU_CTRL", "value": 1}],
      "accesses": [{"address": "0x20000000", "size": 4, "access": "write", "privilege": "privileged"}]})";
  auto with = [&](const char* neg) {
    std::string d = dump;
    d.replace(d.find("NEG"), 3, neg);
    return bulkhead_test::decide(d, "--json");
  };
  const Outcome off = with("true");
  const Outcome on = with("false");
  ASSERT_EQ(off.status, 0) << off.err;
  ASSERT_EQ(on.status, 0) << on.err;
  EXPECT_EQ(nlohmann::json::parse(off.out).at("reason"), "unit_disabled");
  EXPECT_EQ(nlohmann::json::parse(off.out).at("allowed"), true);
  EXPECT_EQ(nlohmann::json::parse(on.out).at("reason"), "no_match");
  EXPECT_EQ(nlohmann::json::parse(on.out).at("allowed"), false);
}

}  // namespace
