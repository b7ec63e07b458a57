// `bulkhead test --update`: golden output. Rewrites each `exact` expectation (in the suite file, keeping the
// rest of the file as written) and each `golden` file whose case ran and whose output differed, from the
// output of the run. Never touches an expected fault, exit code, outcome, or a contains/regex/lines match:
// those are claims about behaviour, not recordings, and stay failures with a note saying so.
#pragma once

#include <string>
#include <vector>

#include "bulkhead/testing/runner.hpp"

namespace bulkhead::testing {

struct UpdateSummary {
  std::size_t rewritten = 0;         // expectations rewritten
  std::vector<std::string> written;  // files written
};

// Applies the update to the files and to `results`: each rewritten expectation's failure is removed and a
// note added; other failures get a note explaining they were not updated. Throws std::runtime_error when a
// file cannot be written or the rewritten suite would not parse (nothing of that file is written then).
UpdateSummary apply_update(std::vector<CaseResult>& results);

// A TOML basic string for `text`: "..." on one line, or """...""" spanning lines when it holds newlines.
std::string toml_string(const std::string& text);

}  // namespace bulkhead::testing
