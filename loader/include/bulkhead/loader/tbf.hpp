// Tock Binary Format v2 (.tbf) and Tock Application Bundles (.tab): reading, and building a TBF from an app
// ELF the way elf2tab does. Format: Tock's doc/TockBinaryFormat.md and the tock-tbf crate (parse.rs,
// types.rs); layout of the payload: elf2tab src/convert.rs; .tab: elf2tab src/main.rs (a tar). docs/tock.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/loader/elf.hpp"  // LoadError

namespace bulkhead::loader {

namespace tbf {
// TLV types (TockBinaryFormat.md "TLV Types"). Types with bit 15 set are out-of-tree.
enum TlvType : std::uint16_t {
  kMain = 1,
  kWriteableFlashRegions = 2,
  kPackageName = 3,
  kFixedAddresses = 5,
  kPermissions = 6,
  kStoragePermissions = 7,
  kKernelVersion = 8,
  kProgram = 9,
  kShortId = 10,
  kCredentials = 128,  // footers only
};
inline constexpr std::uint16_t kVersion = 2;
inline constexpr std::uint32_t kBaseHeaderSize = 16;
inline constexpr std::uint32_t kNoFixedAddress = 0xFFFFFFFF;  // FixedAddresses: "not required"
inline constexpr std::uint32_t kFlagEnabled = 1u << 0;
inline constexpr std::uint32_t kFlagSticky = 1u << 1;
// elf2tab's convention for position-independent apps: code linked at this flash address.
inline constexpr std::uint32_t kPicFlashAddress = 0x80000000;
}  // namespace tbf

struct TbfKernelVersion {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  bool operator==(const TbfKernelVersion&) const = default;
};

// The decoded TBF header section. Main and Program carry the same first three fields; when both are present
// (elf2tab writes both) the Program values are the ones kept here, as kernels >= 2.1 do.
struct TbfHeader {
  std::uint16_t version = tbf::kVersion;
  std::uint16_t header_size = 0;  // the whole header section, base + TLVs
  std::uint32_t total_size = 0;   // the whole TBF, header to padding
  std::uint32_t flags = 0;
  std::uint32_t checksum = 0;  // as stored (and verified: XOR of every header word but this one)

  bool has_main = false;
  bool has_program = false;
  std::uint32_t init_fn_offset = 0;          // from the end of the header to the first instruction
  std::uint32_t protected_trailer_size = 0;  // app-immutable bytes after the header
  std::uint32_t minimum_ram_size = 0;
  std::uint32_t binary_end_offset = 0;  // from the TBF start; total_size when there is no Program TLV
  std::uint32_t app_version = 0;        // Program TLV "version"; 0 without it

  std::string package_name;  // PackageName TLV, UTF-8; empty when absent
  bool has_fixed_addresses = false;
  std::uint32_t fixed_ram = tbf::kNoFixedAddress;    // FixedAddresses start_process_ram
  std::uint32_t fixed_flash = tbf::kNoFixedAddress;  // FixedAddresses start_process_flash (the binary, not
                                                     // the header)
  std::optional<TbfKernelVersion> kernel_version;
  std::vector<std::uint16_t> skipped_tlvs;  // types read past by their length, in header order

  bool enabled() const { return (flags & tbf::kFlagEnabled) != 0; }
  bool sticky() const { return (flags & tbf::kFlagSticky) != 0; }
  // A header with neither Main nor Program is padding between apps (tock-tbf TbfHeader::Padding).
  bool is_padding() const { return !has_main && !has_program; }
  // The protected region starts at the TBF start: header + trailer.
  std::uint32_t protected_size() const { return header_size + protected_trailer_size; }
  // Offset of the first instruction from the TBF start (Arm: bit 0 is the Thumb bit when elf2tab kept it).
  std::uint32_t init_offset_in_tbf() const { return header_size + init_fn_offset; }
  std::optional<std::uint32_t> fixed_ram_address() const;
  std::optional<std::uint32_t> fixed_flash_address() const;

  bool operator==(const TbfHeader&) const = default;
};

// One Elf32_Rel entry as elf2tab copies it from .rel.<writable section>.
struct TbfRelocation {
  std::uint32_t offset = 0;  // r_offset
  std::uint32_t info = 0;    // r_info: symbol << 8 | type
  bool operator==(const TbfRelocation&) const = default;
};

// elf2tab ends the binary with a 32-bit little-endian word holding the size in BYTES of the relocation data
// that follows it (the concatenated .rel sections), then that data; binary_end_offset points past it.
struct TbfRelocations {
  std::uint32_t word_offset = 0;       // TBF offset of the size word: where the loaded segments end
  std::uint32_t size_bytes = 0;        // the word's value
  std::vector<TbfRelocation> entries;  // size_bytes / 8 of them
  bool operator==(const TbfRelocations&) const = default;
};

struct TbfApp {
  std::string name;  // for messages: the file, or "file.tab:entry.tbf"
  TbfHeader header;
  std::vector<std::uint8_t> bytes;  // the whole TBF (total_size bytes), header first: what flash holds
  std::optional<Arch> arch;         // from a .tab entry name or the ELF it was built from; unknown otherwise
  // Located only when a Program TLV gives binary_end_offset (see parse_tbf); nullopt otherwise.
  std::optional<TbfRelocations> relocations;

  // The application binary: the loaded segments, [protected_size, relocations->word_offset) or, without
  // relocations, up to binary_end_offset. Empty for padding.
  std::span<const std::uint8_t> binary() const;
};

// Decodes and checks one TBF at the start of `bytes` (bytes past total_size are ignored: in flash they are
// the next app). Throws LoadError("<name>: <defect>") when the data is truncated, the version is not 2,
// header_size is below 16, not a multiple of 4 or above total_size, the checksum does not match (both values
// in the message), a TLV runs past the header, a known TLV has the wrong length, appears twice, or a package
// name is not UTF-8, or the Main/Program offsets point outside the TBF. Never reads out of bounds.
//
// Relocations: the size word sits at binary_end_offset - 4 - size. It is found by trying sizes 0, 8, 16...
// and taking the first whose word holds that size; an Elf32_Rel's r_info word can never match there because
// a relocation type is never a multiple of 8 in the Arm and RISC-V psABIs used here.
TbfApp parse_tbf(std::span<const std::uint8_t> bytes, std::string name_for_messages);

// ---- .tab: a tar archive (POSIX ustar or GNU) with metadata.toml and one <arch>[.<suffix>].tbf per
// architecture (elf2tab names the TBF after the ELF file: cortex-m4.tbf, rv32imac.0x20040080.0x80004000.tbf).

struct TarEntry {
  std::string name;
  std::vector<std::uint8_t> data;
};

// Regular files of a tar archive, in order. Handles ustar prefix+name, GNU long names ('L') and pax 'path'
// records; directories, links and other types are skipped. Every header is checksummed and every size
// bounds-checked; throws LoadError naming `name` on any defect. At most 4096 entries.
std::vector<TarEntry> read_tar(std::span<const std::uint8_t> bytes, const std::string& name);

// A ustar archive of `entries` (mode 0644, mtime 0, owner 0): what elf2tab's deterministic mode writes, in
// POSIX rather than GNU flavour. Names must fit ustar's 100 bytes.
std::vector<std::uint8_t> write_tar(std::span<const TarEntry> entries);

// The architecture a TAB entry's file name stands for: cortex-m3/m4/m7 -> ArmV7M, cortex-m33 -> ArmV8M,
// rv32* -> Rv32 (the part before the first '.'). nullopt for others (cortex-m0 is ARMv6-M: not emulated).
std::optional<Arch> arch_from_tab_name(std::string_view entry_name);

struct Tab {
  std::string metadata_toml;                       // empty when the archive has none
  std::vector<TarEntry> tbfs;                      // entries whose name ends in ".tbf"
  std::vector<std::string> architectures() const;  // each TBF name up to its first '.'
};
Tab read_tab(std::span<const std::uint8_t> bytes, const std::string& name);

// The TBF for architecture `arch` (the name before the first '.', e.g. "cortex-m4", "rv32imac"), parsed, with
// TbfApp::arch set. When several match (RISC-V apps linked for several fixed addresses), `flash_address`
// picks the one whose FixedAddresses flash equals it; without it the first is taken. Throws LoadError listing
// the architectures present when none matches.
TbfApp select_tab_app(const Tab& tab, const std::string& name, std::string_view arch,
                      std::optional<std::uint32_t> flash_address = std::nullopt);

// Reads a .tbf or .tab file (told apart by the tar magic at offset 257). For a .tab, `arch` is required.
TbfApp load_tbf_file(const std::filesystem::path& path, std::optional<std::string_view> arch = std::nullopt,
                     std::size_t max_file_size = 64u << 20);

// ---- Building a TBF from an app ELF, as elf2tab's elf_to_tbf does.

struct TbfBuildOptions {
  std::string package_name;  // empty: the ELF file's stem
  enum class Fixed { Auto, Always, Never };
  // Auto is elf2tab's rule: flash is fixed unless the code is linked at 0x80000000 (Tock's PIC convention);
  // RAM is fixed when a non-zero `_sram_origin` symbol exists. Always also fixes RAM at the lowest writable
  // segment's address when `_sram_origin` is missing. Never omits the TLV.
  Fixed fixed_addresses = Fixed::Auto;
  // The whole protected region (header included). Default: the header alone for PIC apps; for fixed flash,
  // flash - align_down(flash, 256) so that the TBF starts 256-aligned (elf2tab's choice).
  std::optional<std::uint32_t> protected_region_size;
  std::optional<std::uint32_t> stack_size;  // default: the .stack section's size, else 2048
  std::uint32_t app_heap_size = 1024;       // elf2tab defaults
  std::uint32_t kernel_heap_size = 1024;
  std::optional<TbfKernelVersion> kernel_version;
  bool disabled = false;
  std::uint32_t app_version = 0;
  // Pad total_size to a power of two, at least 512 (elf2tab does this for EM_ARM only). Default: by machine.
  std::optional<bool> pad_power_of_two;
};

// The ELF is checked with load_elf_bytes first; then its PT_LOAD segments with file bytes are laid out after
// the protected region in program-header order, separated by the gaps between their file offsets (elf2tab),
// followed by the relocation size word and the .rel.<section> data of writable sections. For a fixed-flash
// app each segment must land at its p_paddr - flash base; a link that breaks this (page-aligned file
// offsets) is refused with a message to link with -n. Throws LoadError.
TbfApp build_tbf_from_elf(const std::filesystem::path& path, const TbfBuildOptions& options = {});
// True for an ELF32 with a non-zero `_sram_origin` symbol: libtock's linker scripts define it for the app's
// RAM (elf2tab reads it for FixedAddresses), so a Tock app's ELF tells itself apart from a Bulkhead module
// this way. False for anything else, including an unreadable or malformed file.
bool is_tock_app_elf(const std::filesystem::path& path);
TbfApp build_tbf_from_elf_bytes(std::span<const std::uint8_t> elf, std::string name,
                                const TbfBuildOptions& options = {});

}  // namespace bulkhead::loader
