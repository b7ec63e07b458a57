// A loaded guest image: what the emulator needs to map memory and what a fault report needs to name code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/types.hpp"

namespace bulkhead::loader {

// One PT_LOAD segment. The first bytes.size() (p_filesz) bytes come from the file; the rest of memsz is zero
// fill (.bss) and is deliberately not materialised, so a large .bss costs nothing here.
struct Segment {
  std::uint32_t vaddr = 0;  // where the program runs with it (VMA)
  std::uint32_t paddr = 0;  // where a flash programmer would put the file bytes (LMA); == vaddr unless the
                            // image copies initialised data from flash to RAM at startup
  std::uint32_t memsz = 0;
  std::vector<std::uint8_t> bytes;  // p_filesz bytes; bytes.size() <= memsz
  Perms perms = Perms::None;        // from p_flags PF_R/PF_W/PF_X

  std::uint32_t filesz() const { return static_cast<std::uint32_t>(bytes.size()); }
  AddressRange range() const { return {vaddr, memsz}; }
};

// A function or data object from .symtab. Arm Thumb functions have the Thumb bit cleared in `value`.
struct Symbol {
  std::string name;
  std::uint32_t value = 0;
  std::uint32_t size = 0;
  bool is_function = false;  // STT_FUNC; otherwise STT_OBJECT
};

struct Image {
  std::string path;  // the file (or name given to load_elf_bytes)
  // ArmV8M when .ARM.attributes says Tag_CPU_arch v8-M.baseline/mainline or v8.1-M.mainline, ArmV7M for
  // every other Arm image (including one without attributes); Rv32 for EM_RISCV.
  Arch arch = Arch::ArmV7M;
  std::uint32_t entry = 0;   // e_entry as written (Arm: including the Thumb bit)
  bool thumb_entry = false;  // Arm: entry bit 0 (always true for an image that loaded)
  bool hard_float = false;   // Arm: EF_ARM_ABI_FLOAT_HARD; RISC-V: EF_RISCV_FLOAT_ABI is single or double
  bool rvc = false;          // RISC-V: EF_RISCV_RVC (compressed instructions allowed)
  std::vector<Segment> segments;  // sorted by vaddr, non-overlapping, each inside the 32-bit space
  std::vector<Symbol> symbols;    // sorted by value (then name); empty when .symtab is missing or broken

  // The entry address with the Thumb bit cleared: the first instruction's address.
  std::uint32_t entry_address() const { return entry & ~std::uint32_t{thumb_entry ? 1u : 0u}; }

  // "name" or "name+0x12" for an address inside [value, value+size) of a symbol (the innermost one when
  // symbols nest); a zero-size symbol matches only its own address. nullopt when no symbol covers `addr`.
  // Linear in the number of symbols in the worst case: meant for reports, not for the per-instruction path.
  std::optional<std::string> symbolize(std::uint32_t addr) const;

  // The first symbol called `name` (functions preferred over objects), or nullptr.
  const Symbol* find_symbol(std::string_view name) const;

  // The segment containing `addr`, or nullptr.
  const Segment* find_segment(std::uint32_t addr) const;
};

}  // namespace bulkhead::loader
