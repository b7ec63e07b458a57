// `bulkhead check` output: the text report, the JSON document and the SVG memory map of a checked layout.
#pragma once

#include <optional>
#include <string>

#include "bulkhead/layout/check.hpp"
#include "decide_output.hpp"

namespace bulkhead::cli::check {

// One --probe: an access by a partition's (unprivileged) code, decided by its programmed unit.
struct Probe {
  std::string partition;
  decide::Decision decision;
  std::string where;  // "partition `app`: region `data`" holding the address, or "" when none does
};

decide::Model model_for(Arch arch);

std::string format_text(const layout::CheckResult& r, const std::optional<Probe>& probe);
std::string format_json(const layout::CheckResult& r, const std::optional<Probe>& probe);
// A well-formed SVG document: address axis, one column per partition, regions coloured by permission,
// shares linked, padding hatched, regions named in errors outlined in red.
std::string format_svg(const layout::CheckResult& r);

}  // namespace bulkhead::cli::check
