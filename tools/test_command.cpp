// `bulkhead test SUITE.toml...`: runs the cases of suite files in parallel and reports (docs/testing.md).
#include <fnmatch.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bulkhead/testing/report.hpp"
#include "bulkhead/testing/runner.hpp"
#include "bulkhead/testing/shard.hpp"
#include "bulkhead/testing/suite.hpp"
#include "bulkhead/testing/update.hpp"
#include "commands.hpp"

namespace bulkhead::cli {
namespace {

struct TestArgs {
  std::vector<std::string> suites;
  unsigned jobs = 0;
  std::string junit;
  bool json = false;
  std::string shard;
  bool update = false;
  std::vector<std::string> filters;
  std::string elf_dir;
  bool no_timeout = false;
};

bool selected(const std::string& name, const std::vector<std::string>& filters) {
  if (filters.empty()) return true;
  for (const std::string& f : filters)
    if (::fnmatch(f.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

// A one-line progress bar, redrawn in place (TTY only).
void draw_progress(std::size_t finished, std::size_t total, std::size_t failed, const std::string& name) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total == 0 ? kWidth : finished * kWidth / total;
  std::string bar(filled, '#');
  bar += std::string(kWidth - filled, '.');
  std::string line = "\r\033[K[" + bar + "] " + std::to_string(finished) + "/" + std::to_string(total);
  if (failed > 0) line += " (" + std::to_string(failed) + " failed)";
  line += " " + name.substr(0, 40);
  std::cout << line << std::flush;
}

int test(const TestArgs& args) {
  testing::SuiteOptions options;
  if (!args.elf_dir.empty()) options.elf_dir = args.elf_dir;
  std::vector<testing::Suite> suites;
  try {
    for (const std::string& file : args.suites) suites.push_back(testing::parse_suite_file(file, options));
  } catch (const testing::SuiteError& e) {
    std::cerr << "bulkhead: " << e.what() << "\n";
    return kExitUsage;
  }

  testing::ReportContext ctx;
  ctx.suite_files = args.suites;
  if (!args.elf_dir.empty()) ctx.elf_dir = args.elf_dir;
  std::vector<std::string> filters;
  for (const std::string& f : args.filters) {
    std::size_t at = 0;
    while (at <= f.size()) {
      const std::size_t comma = std::min(f.find(',', at), f.size());
      if (comma > at) filters.push_back(f.substr(at, comma - at));
      at = comma + 1;
    }
  }

  try {
    if (!args.shard.empty())
      ctx.shard = testing::parse_shard(args.shard);
    else if (auto s =
                 testing::shard_from_env(std::getenv("TEST_TOTAL_SHARDS"), std::getenv("TEST_SHARD_INDEX")))
      ctx.shard = *s;
  } catch (const std::invalid_argument& e) {
    std::cerr << "bulkhead: " << e.what() << "\n";
    return kExitUsage;
  }
  if (const char* status_file = std::getenv("TEST_SHARD_STATUS_FILE"); status_file != nullptr && *status_file)
    std::ofstream(status_file, std::ios::app).flush();  // Bazel: "this runner understands sharding"

  std::vector<const testing::Case*> cases;
  for (const auto& suite : suites)
    for (const auto& c : suite.cases) {
      if (!selected(c.name, filters)) continue;
      if (testing::in_shard(ctx.selected++, ctx.shard)) cases.push_back(&c);
    }
  if (ctx.selected == 0 && !filters.empty()) {
    std::cerr << "bulkhead: no case matches --filter";
    for (const auto& f : filters) std::cerr << " " << f;
    std::cerr << "\n";
    return kExitUsage;
  }

  const bool tty = ::isatty(STDOUT_FILENO) == 1 && !args.json;
  const bool stream = !tty && !args.json && !args.update;  // plain lines as cases finish, in suite order
  testing::RunnerOptions ro;
  ro.jobs = args.jobs > 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
  ro.wall_clock_cap = !args.no_timeout;
  std::size_t failed = 0;
  if (tty)
    ro.on_finish = [&](const testing::CaseResult& r, std::size_t finished, std::size_t total) {
      if (!r.passed()) {
        ++failed;
        std::cout << "\r\033[K" << testing::case_line(r) << "\n";  // above the bar, as it happens
      }
      draw_progress(finished, total, failed, r.c->name);
    };
  if (stream)
    ro.on_ordered = [](const testing::CaseResult& r) {
      std::cout << testing::case_line(r) << "\n" << std::flush;
    };
  std::vector<testing::CaseResult> results = testing::run_cases(cases, ro);
  if (tty) std::cout << "\r\033[K" << std::flush;

  int status = 0;
  if (args.update) {
    try {
      const auto s = testing::apply_update(results);
      for (const auto& f : s.written) std::cerr << "bulkhead: updated " << f << "\n";
    } catch (const std::exception& e) {
      std::cerr << "bulkhead: " << e.what() << "\n";
      status = kExitInvalid;
    }
  }

  if (!args.junit.empty()) {
    std::ofstream out(args.junit, std::ios::binary | std::ios::trunc);
    out << testing::junit_xml(results, ctx);
    if (!out) {
      std::cerr << "bulkhead: cannot write " << args.junit << "\n";
      status = kExitUsage;
    }
  }
  if (args.json) {
    std::cout << testing::json_text(results, ctx);
  } else {
    std::cout << testing::human_report(results, ctx, !stream && !tty);
  }
  for (const auto& r : results)
    if (!r.passed() && status == 0) status = kExitInvalid;
  std::cout.flush();
  if (testing::abandoned() > 0) std::_Exit(status);  // workers past their cap still run: skip destructors
  return status;
}

}  // namespace

void add_test_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "test",
      "Run the cases of suite files (.toml) and check their output, exits and faults (docs/testing.md)");
  cmd->add_option("suite", args->suites, "Suite files")->required();
  cmd->add_option("-j,--jobs", args->jobs, "Cases run at once (default: the number of cores)");
  cmd->add_option("--junit", args->junit, "Also write a JUnit XML report to FILE");
  cmd->add_flag("--json", args->json, "Print a JSON report instead of the human one");
  cmd->add_option("--shard", args->shard,
                  "Run shard I of N (1-based; default from TEST_TOTAL_SHARDS/TEST_SHARD_INDEX)");
  cmd->add_flag("--update", args->update,
                "Rewrite `exact` and `golden` output expectations from this run (never expected faults)");
  cmd->add_option("--filter", args->filters,
                  "Run only cases whose name matches GLOB (comma-separated, repeatable)")
      ->allow_extra_args(false);  // `--filter X SUITE.toml`: the suite is not a second pattern
  cmd->add_option("--elf-dir", args->elf_dir,
                  "Resolve module ELF paths against DIR (overrides the suite's elf_dir)");
  cmd->add_flag("--no-timeout", args->no_timeout, "Run cases without their wall-clock cap (for debuggers)");
  cmd->callback([&action, args] { action = [args] { return test(*args); }; });
}

}  // namespace bulkhead::cli
