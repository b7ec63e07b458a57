// Suite files (docs/testing.md): TOML in, cases out. Strict like layout files: an unknown key, a value of the
// wrong type or a missing field is a SuiteError naming the file, line and column, because a typo in a test
// must never silently weaken what it checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/emu/engine.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/layout/layout.hpp"

namespace bulkhead::testing {

using layout::SourcePos;

// The suite file cannot be used. what() is "FILE:LINE:COLUMN: message" (or "FILE: message").
class SuiteError : public std::runtime_error {
 public:
  SuiteError(std::string file, SourcePos pos, std::string message);
  const std::string& file() const { return file_; }
  SourcePos pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  SourcePos pos_;
  std::string message_;
};

enum class OutputMatch : std::uint8_t {
  Exact,     // the whole console output
  Golden,    // the whole console output, kept in a file
  Contains,  // a substring
  Excludes,  // not a substring
  Regex,     // an ECMAScript regular expression found somewhere in the output
  Lines,     // these lines appear in this order (other lines may come between)
};
std::string_view to_string(OutputMatch m);

struct OutputExpectation {
  std::string partition;  // for single-ELF cases, defaulted to the module's name
  OutputMatch match = OutputMatch::Contains;
  std::string text;                // Exact, Contains, Excludes, Regex; Golden: the file's content when read
  std::vector<std::string> lines;  // Lines
  std::filesystem::path golden;    // Golden: resolved against the suite file's directory
  bool golden_missing = false;     // Golden: the file does not exist (yet: --update writes it)
  SourcePos pos;                   // the [[case.expect.output]] table
  SourcePos value_pos;             // the `exact` value (for --update)
};

struct FaultExpectation {
  std::string partition;
  std::optional<FaultKind> kind;
  std::optional<Access> access;
  std::optional<std::uint32_t> address;  // the faulting access's address
  std::string symbol;                    // or: the address lies inside this symbol of the partition's ELF
  std::optional<std::uint32_t> pc;
  std::string pc_symbol;  // or: the PC lies inside this function
  std::string policy;     // the action ("kill", "restart", ...) or the outcome text ("killed", ...)
  std::uint32_t count = 1;
  SourcePos pos;
};

struct Expectations {
  std::map<std::string, std::int32_t> exit;             // partition -> exit code (implies exited)
  std::map<std::string, kernel_shim::Outcome> outcome;  // partition -> how it ended
  std::vector<OutputExpectation> output;
  std::vector<FaultExpectation> faults;
  bool ignore_other_faults = false;  // default: any fault not listed fails the case
  SourcePos pos;
};

struct Case {
  std::string name;
  std::string suite_file;  // as given, for messages and the re-run command
  SourcePos pos;
  // Exactly one of the two, resolved.
  std::filesystem::path layout;
  std::filesystem::path elf;
  std::optional<std::filesystem::path> elf_dir;  // layout cases: where the layout's module paths resolve
  std::optional<emu::CpuProfile> cpu;            // single-ELF cases (default: from the ELF)
  bool protect = true;                           // single-ELF cases: MPU/PMP from the ELF's segments
  std::map<std::string, std::string> input;      // console input per partition (layout cases)
  std::uint64_t max_instructions = 100'000'000;
  std::uint64_t slice = 10'000;
  std::chrono::milliseconds timeout{60'000};
  // The partition name of a single-ELF case: the ELF's file name without extension, or `module` if set.
  std::string module_name;
  Expectations expect;

  bool is_layout() const { return !layout.empty(); }
};

struct Suite {
  std::string file;  // as given
  std::vector<Case> cases;
};

struct SuiteOptions {
  // Overrides the suite's `elf_dir`: relative `elf` paths of single-ELF cases, and the module paths of
  // layouts, resolve against it (the build's firmware directory for suites kept in the source tree).
  std::optional<std::filesystem::path> elf_dir;
};

// Reads and parses a suite file. Throws SuiteError.
Suite parse_suite_file(const std::filesystem::path& path, const SuiteOptions& options = {});
// Parses suite text; `file` names it in messages, `dir` is what relative paths are relative to.
Suite parse_suite(std::string_view text, const std::string& file, const std::filesystem::path& dir,
                  const SuiteOptions& options = {});

// "10 s", "500 ms", "2 min", or a number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "exited", "faulted", "unknown-trap", "budget-exhausted", "halted", "stopped", "deadlocked".
std::string_view outcome_keyword(kernel_shim::Outcome o);
std::optional<kernel_shim::Outcome> parse_outcome_keyword(std::string_view text);

}  // namespace bulkhead::testing
