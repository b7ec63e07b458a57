// The steps of check_layout, each adding diagnostics to the result in the user's names.
#pragma once

#include <string>

#include "bulkhead/layout/check.hpp"

namespace bulkhead::layout::detail {

class Context {
 public:
  Context(const Layout& l, CheckResult& r) : layout(l), result(r) {}

  void error(std::string code, const std::string& partition, const std::string& region, SourcePos pos,
             std::string message);
  void warning(std::string code, const std::string& partition, const std::string& region, SourcePos pos,
               std::string message);
  std::string arch() const { return std::string(target_name(layout.target.unit.arch)); }

  const Layout& layout;
  CheckResult& result;
};

std::string hex(std::uint64_t v);
// "0x20001100+0x300"
std::string range_text(AddressRange r);
// "partition `p`: region `r` 0x...+0x..."
std::string region_text(const std::string& partition, const PlacedRegion& r);

// Copies the regions and gives the ones without a base an address in their memory (alignment-aware).
void place_regions(Context& ctx);
// Memories, peripherals, W+X, overlaps, shares, kernel ranges, ELF segments and stacks.
void validate(Context& ctx);
// Encodes every partition (and the kernel's ranges) for the target unit.
void compile_partitions(Context& ctx);
// The isolation matrix, read back through the protection models, and the check that each partition gets
// exactly what the layout grants it.
void prove_isolation(Context& ctx);

}  // namespace bulkhead::layout::detail
