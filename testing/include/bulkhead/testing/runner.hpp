// The parallel scheduler: a pool of `jobs` threads takes cases in suite order; each case runs in its own
// engine under its wall-clock cap. Results come back in suite order whatever the number of jobs, so every
// report built from them is the same for -j 1 and -j 64.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bulkhead/testing/execute.hpp"
#include "bulkhead/testing/expect.hpp"
#include "bulkhead/testing/suite.hpp"

namespace bulkhead::testing {

enum class CaseStatus : std::uint8_t { Pass, Fail, Error, Timeout };
std::string_view to_string(CaseStatus s);

struct CaseResult {
  const Case* c = nullptr;
  CaseRun run;
  std::vector<Failure> failures;
  std::vector<std::string> notes;  // --update: what was rewritten, what was refused

  CaseStatus status() const;
  bool passed() const { return status() == CaseStatus::Pass; }
};

struct RunnerOptions {
  unsigned jobs = 1;
  bool wall_clock_cap = true;  // run each case under Case::timeout (execute_with_cap)
  // Called as each case finishes (completion order), one call at a time: for a progress bar.
  std::function<void(const CaseResult&, std::size_t finished, std::size_t total)> on_finish;
  // Called for each case in suite order as soon as it and every case before it have finished.
  std::function<void(const CaseResult&)> on_ordered;
};

std::vector<CaseResult> run_cases(const std::vector<const Case*>& cases, const RunnerOptions& options);

}  // namespace bulkhead::testing
