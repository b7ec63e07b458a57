// bulkhead: command-line front end. Thin: parses arguments and calls the libraries.
#include <cstdio>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bulkhead/core/log.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Bulkhead: MPU/PMP hardware emulator with a region-checked memory bus"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bulkhead 0.1.0");

  int verbosity = 0;
  std::string log_level;
  app.add_flag("-v,--verbose", verbosity, "More log output (-v info, -vv debug, -vvv trace)");
  app.add_option("--log-level", log_level, "Log level: trace, debug, info, warn, error, critical, off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));

  bulkhead::cli::Action action;
  bulkhead::cli::add_run_command(app, action);
  bulkhead::cli::add_decide_command(app, action);
  bulkhead::cli::add_check_command(app, action);
  bulkhead::cli::add_test_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : bulkhead::cli::kExitUsage;
  }

  spdlog::level::level_enum level = spdlog::level::warn;
  if (verbosity == 1) level = spdlog::level::info;
  if (verbosity == 2) level = spdlog::level::debug;
  if (verbosity >= 3) level = spdlog::level::trace;
  if (!log_level.empty()) bulkhead::log::parse_level(log_level, level);
  bulkhead::log::set_level(level);

  try {
    return action();
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "bulkhead: error: " << e.what() << "\n";
    return bulkhead::cli::kExitUsage;
  }
}
