// Tock processes in a layout (docs/tock.md): which TBF a partition runs, where its flash and RAM go, and the
// layout regions derived from them. The kernel shim's TRD104 personality uses the same placement.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/tbf.hpp"

namespace bulkhead::layout {

// Bytes at the top of a process's RAM block kept for the kernel's grant region (Tock puts the grant pointers,
// upcall slots and process struct there: process_standard.rs, "kernel memory break").
inline constexpr std::uint32_t kTockGrantSize = 1024;

// A .tbf or .tab file name.
bool is_tock_image_path(const std::filesystem::path& path);

// The TAB entry names that fit a target, best first: armv7m cortex-m4 (and m3, m7); armv8m cortex-m33 then
// the ARMv7-M ones (an ARMv7-M app runs on ARMv8-M Mainline); rv32 rv32imac (and rv32imc, rv32imc).
std::vector<std::string> tock_arch_names(Arch arch);

// Reads a .tbf, the TBF of a .tab that fits `arch`, or builds the TBF of an app's ELF as elf2tab would.
// Throws loader::LoadError.
loader::TbfApp load_tock_app(const std::filesystem::path& path, Arch arch);

// Where a position-independent app (no FixedAddresses) goes: its TBF's first byte and its mem_start.
struct TockPlacement {
  std::optional<std::uint32_t> flash;
  std::optional<std::uint32_t> ram;
};

// Places a TBF: refuses padding and disabled apps; a fixed-address app's TBF goes at fixed_flash -
// protected_size so that the binary lands at its link address, mem_start = fixed_ram (a `where` that differs
// is an error); a position-independent one goes at `where` (missing: an error). The RAM block is the app's
// minimum_ram_size rounded up to 256 bytes (the initial break) plus the grant region, rounded up to a power
// of two (one MPU region on PMSAv7). Throws loader::LoadError naming the defect.
TockMemory place_tock_app(const loader::TbfApp& app, Arch arch, const TockPlacement& where = {});

// Where `bulkhead run APP` puts a position-independent app: Cortex-M flash 0x40000, RAM 0x20004000; RV32
// flash 0x20040000, RAM 0x80004000.
TockPlacement default_tock_placement(Arch arch);

// The partition regions of a placed process: `flash` (code, r-x) = the whole TBF, rounded up to 32 bytes, and
// `ram` (data, rw-) = its RAM block. At run time the unit grants the RAM only up to the break.
std::vector<Region> tock_regions(const TockMemory& memory, SourcePos pos = {});

}  // namespace bulkhead::layout
