// Checking a layout: place the regions given only a size, compile every partition for the target unit,
// validate it in the user's names, and prove isolation through the protection models themselves.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/core/verdict.hpp"
#include "bulkhead/layout/encode.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/layout/programming.hpp"

namespace bulkhead::layout {

enum class Severity : std::uint8_t { Error, Warning };

struct Diagnostic {
  Severity severity = Severity::Error;
  // Stable key for scripts: "encoding", "budget", "overlap", "wx", "elf", "stack", "peripheral", "memory",
  // "placement", "share", "reserved", "isolation".
  std::string code;
  std::string partition;  // empty when the defect is not one partition's
  std::string region;     // empty when it is not one region's
  int line = 0;           // in the layout file, 0 when unknown
  std::string message;    // "partition `sensor`: region `stack` 0x20001100+0x300 ..."
};

// A region with its final address.
struct PlacedRegion {
  std::string name;
  RegionKind kind = RegionKind::Data;
  Perms access = Perms::None;
  AddressRange range;                // what the partition is granted (placement rounds the size up)
  std::uint64_t requested_size = 0;  // `size` as written
  bool placed = false;               // true when check_layout chose the address
  SourcePos pos;

  std::uint64_t padding() const { return range.size - requested_size; }
};

// A share with its resolved address range.
struct ResolvedShare {
  std::string partition;
  std::string region;
  AddressRange range;
  Perms access = Perms::None;
};

struct CompiledPartition {
  std::string name;
  std::string elf;  // resolved path, empty when none
  std::vector<PlacedRegion> regions;
  std::vector<ResolvedShare> shares;
  std::vector<Grant> grants;         // the bytes and access the partition must get: its regions and shares
  std::vector<int> slots;            // region/entry numbers it owns (all but the kernel's)
  std::optional<Encoding> encoding;  // absent when it cannot be compiled (see the diagnostics)
  int needed = 0;                    // regions/entries its grants need
};

// What partition `from` may do to the memory of partition `to` (its own regions, not what it was granted),
// measured through the protection model with `from`'s programming loaded.
struct IsolationCell {
  int from = 0;
  int to = 0;
  Perms perms = Perms::None;  // union over every byte
  struct Part {
    std::string region;  // `to`'s region
    AddressRange range;
    Perms perms = Perms::None;
  };
  std::vector<Part> parts;  // the sub-ranges where `from` has some access
};

struct CheckResult {
  Layout layout;
  std::vector<CompiledPartition> partitions;
  std::optional<Encoding> kernel;  // the kernel's reserved regions that have a range
  // partitions.size()^2 cells, row-major (from * n + to); empty when some partition could not be compiled.
  std::vector<IsolationCell> matrix;
  std::vector<Diagnostic> diagnostics;

  bool ok() const;
  std::uint64_t padding() const;  // bytes granted beyond the requested sizes by placement
  const IsolationCell* cell(int from, int to) const;
};

// Runs every check (docs/layout.md). Loads each partition's ELF. Never throws for a bad layout: the defects
// are diagnostics.
CheckResult check_layout(const Layout& layout);

// Recomputes result.matrix from the programming in `result` (loaded into fresh models and read back), and
// returns an "isolation" error, also appended to result.diagnostics, for every byte range where a partition
// gets other access than its regions and shares grant. check_layout runs it; it is public so that a changed
// programming can be checked again.
std::vector<Diagnostic> prove_isolation(CheckResult& result);

// A fresh model of the layout's unit with the kernel's regions and `partition`'s programming loaded, or
// nullptr when that partition could not be compiled.
std::unique_ptr<ProtectionUnit> programmed_unit(const CheckResult& result, int partition);

// One piece of an effective map: every byte of `range` is decided alike and grants `perms`.
struct MapPiece {
  AddressRange range;
  Perms perms = Perms::None;
  friend bool operator==(const MapPiece&, const MapPiece&) = default;
};

// What the unit grants `priv` accesses over `range`, read back through uniform_perms (bisecting where it
// cannot answer for a whole piece), with adjacent equal pieces merged. Exact to the byte.
std::vector<MapPiece> effective_map(const ProtectionUnit& unit, AddressRange range, Privilege priv);

}  // namespace bulkhead::layout
