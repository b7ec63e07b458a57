// Tock's TRD104 system call interface as a personality (docs/tock.md): yield, subscribe, command, the two
// allows, memop and exit, with the alarm (0x0), console (0x1) and low-level debug (0x8) drivers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/kernel_shim/personality.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/layout/programming.hpp"
#include "bulkhead/loader/image.hpp"
#include "bulkhead/loader/source_lines.hpp"
#include "bulkhead/loader/tbf.hpp"

namespace bulkhead::kernel_shim {

struct TockProcessSpec {
  std::string name;                      // the process (package) name, for reports
  layout::TockMemory memory;             // where it lives
  int app_id = 0;                        // its partition id (low-level debug prints it)
  std::uint32_t protected_size = 0;      // of its TBF: header + protected trailer
  layout::UnitConfig unit;               // the target unit, to re-encode the RAM grant when the break moves
  std::vector<int> slots;                // the regions/entries the process owns
  ProtectionUnit* protection = nullptr;  // its unit (owned by System), reprogrammed on brk/sbrk
};

// A Tock partition's image as the kernel maps it: one read-execute segment holding the whole TBF at its
// flash address, entry = init. Symbols and source lines come from the app ELF next to a .tbf (same stem),
// when there is one for the same architecture. Throws loader::LoadError.
struct TockImage {
  loader::TbfApp app;
  loader::Image image;
  std::optional<loader::SourceLines> lines;
};
TockImage load_tock_image(const layout::Partition& partition, Arch arch);

// Throws std::invalid_argument when the initial memory cannot be encoded in the process's slots.
std::unique_ptr<Personality> make_tock_personality(TockProcessSpec spec);

}  // namespace bulkhead::kernel_shim
