// Matches what a case did (CaseRun) against what it expects (Case::expect). Each broken expectation is one
// Failure with a message a person can act on: the first differing line for exact output, the fault report
// for an unexpected fault, the closest event for an expected fault that did not happen.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/testing/execute.hpp"
#include "bulkhead/testing/suite.hpp"

namespace bulkhead::testing {

enum class FailureKind : std::uint8_t {
  Error,            // the case could not run
  Timeout,          // wall-clock cap
  Output,           // a console output expectation
  Exit,             // exit code
  Outcome,          // how a partition ended
  MissingFault,     // an expected fault did not happen
  UnexpectedFault,  // a fault nobody expected
};
std::string_view to_string(FailureKind k);

struct Failure {
  FailureKind kind = FailureKind::Error;
  std::string message;    // may span lines
  SourcePos pos;          // the expectation in the suite file (0 when none)
  int output_index = -1;  // Output: index into Case::expect.output
};

std::vector<Failure> check_case(const Case& c, const CaseRun& run);

// The first line where `expected` and `actual` differ, as "line N:\n  expected: ...\n  actual:   ...",
// quoting control characters; "" when equal.
std::string first_difference(std::string_view expected, std::string_view actual);

// Text quoted for a one-line message: "..." with \n, \t, \\, \" and \xNN escapes.
std::string quote(std::string_view text);

}  // namespace bulkhead::testing
