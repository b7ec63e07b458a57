// The `bulkhead` subcommands. Each registers its options on the CLI11 app and returns the action to run.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace bulkhead::cli {

using Action = std::function<int()>;

// Process exit statuses shared by the subcommands (docs/cli.md).
constexpr int kExitInvalid = 1;        // `check`: the layout was read but breaks a rule (docs/layout.md)
constexpr int kExitUsage = 2;          // bad command line or unusable input file
constexpr int kExitIsolation = 3;      // `run --check-isolation`: a partition could reach memory not its own
constexpr int kExitBudget = 124;       // instruction budget exhausted (as timeout(1))
constexpr int kExitIllegal = 132;      // undefined/illegal instruction (128 + SIGILL)
constexpr int kExitTrap = 133;         // breakpoint or a trap the kernel does not serve (128 + SIGTRAP)
constexpr int kExitMemoryFault = 139;  // MemManage, bus or access fault (128 + SIGSEGV)
constexpr int kExitHalted = 137;       // the module stopped the CPU, or blocked, with nothing to wake it
constexpr int kExitStopped = 134;      // a partition's `halt` fault policy stopped the system (128 + SIGABRT)

void add_run_command(CLI::App& app, Action& action);
void add_decide_command(CLI::App& app, Action& action);
void add_check_command(CLI::App& app, Action& action);
void add_test_command(CLI::App& app, Action& action);

}  // namespace bulkhead::cli
