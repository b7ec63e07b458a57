// A partition layout as written in its TOML file (docs/layout.md): the target unit, its memories, the regions
// the kernel keeps, and the partitions with their regions and shares. Parsing checks the file's shape and
// values; whether the layout can be encoded and is safe is check_layout's business (check.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/layout/programming.hpp"

namespace bulkhead::layout {

// Where a thing was written: 1-based line and column, 0 when unknown.
struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class MemoryKind : std::uint8_t { Flash, Ram, Peripheral };
enum class RegionKind : std::uint8_t { Code, Data, Stack, Peripheral, Shared };

std::string_view to_string(MemoryKind k);
std::string_view to_string(RegionKind k);

// A memory of the target: where regions given only a size are placed, and what kind of region may live there.
struct Memory {
  std::string name;
  MemoryKind kind = MemoryKind::Ram;
  AddressRange range;
  SourcePos pos;
};

// A region/entry the kernel keeps for itself in every partition's programming.
struct ReservedRegion {
  int slot = -1;
  std::string name;
  std::optional<AddressRange> range;  // when given: programmed (privileged only) and kept free of partitions
  Perms privileged = Perms::RW;
  SourcePos pos;
};

struct Target {
  UnitConfig unit;
  std::vector<Memory> memories;
  std::vector<ReservedRegion> reserved;
  SourcePos pos;
};

struct Region {
  std::string name;
  RegionKind kind = RegionKind::Data;
  Perms access = Perms::RW;           // what the partition's (unprivileged) code may do
  std::optional<std::uint64_t> base;  // absent: placed in `memory` by check_layout
  std::uint64_t size = 0;
  std::string memory;     // where to place it; empty: the first flash (code) or ram (others) memory
  bool allow_wx = false;  // writable and executable on purpose
  SourcePos pos;
};

// Access to another partition's shared region.
struct Share {
  std::string partition;
  std::string region;
  Perms access = Perms::R;
  SourcePos pos;
};

// What the kernel does when the partition's module faults (docs/layout.md, "Fault policies").
enum class FaultAction : std::uint8_t {
  Kill,     // the partition stops; the others keep running (the default)
  Restart,  // reload its data and stack and start it again, up to `max_restarts` times, then kill
  Halt,     // stop the whole system with a non-zero exit
  Notify,   // stop the partition and post the fault notification to `supervisor`
  Audit,    // record the access, let it complete as if permitted, and go on
};
std::string_view to_string(FaultAction a);
std::optional<FaultAction> parse_fault_action(std::string_view text);

struct FaultPolicy {
  FaultAction action = FaultAction::Kill;
  std::uint32_t max_restarts = 3;  // Restart
  std::string supervisor;          // Notify: the partition told
  SourcePos pos;
};

// The syscall ABI a partition's module speaks (docs/tock.md): Bulkhead's own (docs/abi.md) or Tock's TRD104.
enum class Abi : std::uint8_t { Bulkhead, Tock };
std::string_view to_string(Abi a);

// Where a Tock process lives (docs/tock.md, "Process memory"): its flash is the whole TBF; its RAM block
// [mem_start, mem_end) holds the app's part [mem_start, brk) and, at the top, the kernel's grant region
// [grant_start, mem_end). The break moves with memop brk/sbrk; the rest is fixed for the process's life.
struct TockMemory {
  std::uint32_t flash_start = 0;  // the TBF's first byte (its header)
  std::uint32_t flash_size = 0;   // the TBF's total_size
  std::uint32_t mem_start = 0;
  std::uint32_t mem_size = 0;
  std::uint32_t initial_brk = 0;  // the app break at entry
  std::uint32_t grant_start = 0;  // memop 6: the lowest byte of the grant region
  std::uint32_t entry = 0;        // the first instruction (Arm: with the Thumb bit)
  std::uint32_t flash_end() const { return flash_start + flash_size; }
  std::uint32_t mem_end() const { return mem_start + mem_size; }
  friend bool operator==(const TockMemory&, const TockMemory&) = default;
};

struct Partition {
  std::string name;
  std::string elf;                 // as written in the file; empty when the partition names no module
  std::filesystem::path elf_path;  // resolved against elf_dir or the layout file's directory
  Abi abi = Abi::Bulkhead;         // `abi`; a .tbf/.tab module implies Tock
  std::optional<TockMemory> tock;  // Tock: placed from the TBF; its regions are derived from it
  std::vector<Region> regions;
  std::vector<Share> shares;
  FaultPolicy fault;
  SourcePos pos;
};

struct Layout {
  std::string file;  // as given, for messages
  std::string name;
  Target target;
  std::vector<Partition> partitions;
};

// The file cannot be used: unreadable, not TOML, or a value of the wrong shape. what() is
// "FILE:LINE:COLUMN: message" (or "FILE: message" when there is no position).
class LayoutError : public std::runtime_error {
 public:
  LayoutError(std::string file, SourcePos pos, std::string message);
  const std::string& file() const { return file_; }
  SourcePos pos() const { return pos_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  SourcePos pos_;
  std::string message_;
};

struct ParseOptions {
  // Resolves relative `elf` paths against this directory instead of the layout's `elf_dir` (itself relative
  // to the layout file) or the layout file's own directory. For layouts in the source tree whose modules
  // are built elsewhere.
  std::optional<std::filesystem::path> elf_dir;
};

// Reads and parses a layout file. Throws LayoutError.
Layout parse_layout_file(const std::filesystem::path& path, const ParseOptions& options = {});
// Parses layout text; `file` names it in messages and `dir` is what relative paths are relative to.
Layout parse_layout(std::string_view text, const std::string& file, const std::filesystem::path& dir,
                    const ParseOptions& options = {});

// "rwx"-style access strings: any of r, w, x once each, in any order, or "" / "-" / "none".
std::optional<Perms> parse_access(std::string_view text);

}  // namespace bulkhead::layout
