// The scheduler and the reports in-process: suite order whatever the number of jobs, byte-identical reports,
// and a wall-clock cap that returns at once.
#include "bulkhead/testing/runner.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "bulkhead/testing/report.hpp"
#include "helpers.hpp"

namespace {

using namespace bulkhead::testing;
using namespace bulkhead_testing_test;

std::vector<const Case*> all(const Suite& s) {
  std::vector<const Case*> out;
  for (const auto& c : s.cases) out.push_back(&c);
  return out;
}

TEST(Runner, SameReportsForOneAndFourJobs) {
  SuiteOptions o;
  o.elf_dir = firmware_dir();
  const Suite suite = parse_suite_file(bundled_suite(), o);
  ReportContext ctx;
  ctx.suite_files = {bundled_suite()};

  RunnerOptions one;
  one.jobs = 1;
  std::vector<std::string> ordered;
  RunnerOptions four;
  four.jobs = 4;
  four.on_ordered = [&](const CaseResult& r) { ordered.push_back(r.c->name); };
  const auto a = run_cases(all(suite), one);
  const auto b = run_cases(all(suite), four);
  ASSERT_EQ(a.size(), suite.cases.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].c, &suite.cases[i]);
    EXPECT_EQ(b[i].c, &suite.cases[i]);
    EXPECT_TRUE(a[i].passed()) << failure_details(a[i], ctx);
    EXPECT_EQ(ordered[i], suite.cases[i].name);
  }
  EXPECT_EQ(json_text(a, ctx), json_text(b, ctx));
  EXPECT_EQ(human_report(a, ctx), human_report(b, ctx));
}

TEST(Runner, WallClockCapReportsATimeoutAndDoesNotWait) {
  // bench_mix runs ~100M instructions; 20M of them still take far longer than the cap.
  const Suite suite = parse_suite(
      "[[case]]\nname = \"slow\"\nelf = \"bench_mix-rv32imac.elf\"\n"
      "max_instructions = \"20 M\"\ntimeout = \"50 ms\"\n",
      "s.toml", firmware_dir());
  const auto start = std::chrono::steady_clock::now();
  RunnerOptions o;
  const auto results = run_cases(all(suite), o);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status(), CaseStatus::Timeout);
  EXPECT_NE(results[0].failures.at(0).message.find("wall-clock cap of 50 ms"), std::string::npos);
  EXPECT_LT(took, std::chrono::seconds(1));
  // The abandoned worker ends by its instruction budget; wait for it so that it does not outlive the test.
  EXPECT_EQ(abandoned(), 1);
  for (int i = 0; i < 600 && abandoned() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(abandoned(), 0);
}

}  // namespace
