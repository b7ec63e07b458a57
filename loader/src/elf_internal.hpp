// Pieces of the ELF loader shared between its source files.
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <libelf.h>

#include "bulkhead/core/types.hpp"
#include "bulkhead/loader/image.hpp"

namespace bulkhead::loader::detail {

// elf_version(EV_CURRENT), once per process; must precede any other libelf call.
void init_libelf();

struct ElfEnd {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfEnd>;

// True when [offset, offset + size) lies inside a file of `file_size` bytes (no overflow).
constexpr bool in_file(std::uint64_t offset, std::uint64_t size, std::uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

// Section `index`'s header, copied: libelf hands out pointers into the file buffer, which are misaligned
// for the struct when e_shoff is.
inline std::optional<Elf32_Shdr> section_header(Elf* elf, std::size_t index) {
  Elf_Scn* scn = elf_getscn(elf, index);
  const Elf32_Shdr* sh = scn != nullptr ? elf32_getshdr(scn) : nullptr;
  if (sh == nullptr) return std::nullopt;
  Elf32_Shdr copy;
  std::memcpy(&copy, sh, sizeof copy);
  return copy;
}

// The function and object symbols of .symtab, sorted by value. Empty (with a warning) when the section
// headers or the symbol table are corrupt. `file` is the buffer `elf` was opened on.
std::vector<Symbol> read_symbols(Elf* elf, std::span<const char> file, bool arm, const std::string& name);

// ArmV8M or ArmV7M from Tag_CPU_arch in .ARM.attributes; ArmV7M when absent or unreadable.
Arch arm_arch_from_attributes(Elf* elf, std::span<const char> file, const std::string& name);

}  // namespace bulkhead::loader::detail
