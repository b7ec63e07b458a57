// Reports of a run: the human one (a line per case, details of each failure with the command that re-runs
// just that case, a summary), JUnit XML (what GitLab, GitHub and Jenkins read) and JSON. Built only from
// deterministic data, in suite order, except JUnit's `time` attributes: the human and JSON reports of a run
// are byte-identical whatever the number of jobs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bulkhead/testing/runner.hpp"
#include "bulkhead/testing/shard.hpp"

namespace bulkhead::testing {

struct ReportContext {
  std::vector<std::string> suite_files;  // as given, in order
  std::optional<std::string> elf_dir;    // --elf-dir, repeated in re-run commands
  Shard shard;
  std::size_t selected = 0;  // cases selected before sharding
};

// `bulkhead test SUITE.toml --filter NAME [--elf-dir DIR]`, shell-quoted where needed.
std::string rerun_command(const Case& c, const ReportContext& ctx);

// "PASS  name" / "FAIL  name" / "ERROR name" / "TIME  name".
std::string case_line(const CaseResult& r);
// Everything about a case that did not pass: each failure, the faults taken, the re-run command.
std::string failure_details(const CaseResult& r, const ReportContext& ctx);
// "12 cases: 11 passed, 1 failed".
std::string summary(const std::vector<CaseResult>& results, const ReportContext& ctx);
// The whole plain report: a line per case (unless `case_lines` is false: they were streamed already), then
// the details of each failure, then the summary.
std::string human_report(const std::vector<CaseResult>& results, const ReportContext& ctx,
                         bool case_lines = true);

std::string junit_xml(const std::vector<CaseResult>& results, const ReportContext& ctx);
nlohmann::json json_report(const std::vector<CaseResult>& results, const ReportContext& ctx);
// The JSON text (UTF-8 errors in console output replaced), ending with a newline.
std::string json_text(const std::vector<CaseResult>& results, const ReportContext& ctx);

}  // namespace bulkhead::testing
