#include "bulkhead/testing/runner.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace bulkhead::testing {

std::string_view to_string(CaseStatus s) {
  switch (s) {
    case CaseStatus::Pass:
      return "pass";
    case CaseStatus::Fail:
      return "fail";
    case CaseStatus::Error:
      return "error";
    case CaseStatus::Timeout:
      return "timeout";
  }
  return "?";
}

CaseStatus CaseResult::status() const {
  if (run.status == RunStatus::Error) return CaseStatus::Error;
  if (run.status == RunStatus::Timeout) return CaseStatus::Timeout;
  return failures.empty() ? CaseStatus::Pass : CaseStatus::Fail;
}

std::vector<CaseResult> run_cases(const std::vector<const Case*>& cases, const RunnerOptions& options) {
  std::vector<CaseResult> results(cases.size());
  std::vector<bool> finished(cases.size(), false);
  std::atomic<std::size_t> next{0};
  std::mutex m;
  std::size_t done = 0;
  std::size_t reported = 0;  // cases handed to on_ordered

  auto worker = [&] {
    for (std::size_t i = next++; i < cases.size(); i = next++) {
      CaseResult r;
      r.c = cases[i];
      r.run = options.wall_clock_cap ? execute_with_cap(*r.c) : execute(*r.c);
      r.failures = check_case(*r.c, r.run);
      std::lock_guard lock(m);
      results[i] = std::move(r);
      finished[i] = true;
      ++done;
      if (options.on_finish) options.on_finish(results[i], done, cases.size());
      while (reported < cases.size() && finished[reported]) {
        if (options.on_ordered) options.on_ordered(results[reported]);
        ++reported;
      }
    }
  };
  const unsigned jobs = std::max(1u, std::min<unsigned>(options.jobs, static_cast<unsigned>(cases.size())));
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace bulkhead::testing
