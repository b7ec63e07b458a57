// `bulkhead decide` output: one line per verdict (text or JSON) and the decoded region table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/core/verdict.hpp"
#include "decide_input.hpp"

namespace bulkhead::cli::decide {

struct Decision {
  AccessRequest request;
  Verdict verdict;
  std::optional<Syndrome> syndrome;  // present for denied accesses only
};

// A stable snake_case key per Reason ("no_match"), for scripts; to_string(Reason) is for people.
std::string_view reason_key(Reason r);

// "0x20000010 +4 read unprivileged: DENIED (no region matches) — <detail> [MMFSR=0x82 ...]"
std::string format_text(const Decision& d, Model model);
// One JSON object on one line (fields in docs/decide.md).
std::string format_json(const Decision& d, Model model);

// "region 2: on, privileged rw-, unprivileged r--: <description>"
std::string format_region_text(const RegionInfo& r, Model model);
// {"regions":[...]} on one line.
std::string format_regions_json(const std::vector<RegionInfo>& rows);

}  // namespace bulkhead::cli::decide
