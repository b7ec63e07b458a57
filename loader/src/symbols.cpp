// Function and object symbols from .symtab. Optional: any defect gives an empty table and a warning.
#include <algorithm>
#include <cstring>
#include <tuple>

#include <gelf.h>

#include "bulkhead/core/log.hpp"
#include "elf_internal.hpp"

namespace bulkhead::loader::detail {
namespace {

// Reads one SHT_SYMTAB section; empty, with a warning naming the defect, when it is unusable.
std::vector<Symbol> read_table(Elf* elf, Elf_Scn* scn, const Elf32_Shdr& sh, std::size_t shnum,
                               std::span<const char> file, bool arm, const std::string& name,
                               std::size_t index) {
  auto log = bulkhead::log::get("loader");
  if (sh.sh_entsize != sizeof(Elf32_Sym) || !in_file(sh.sh_offset, sh.sh_size, file.size()) ||
      sh.sh_link == 0 || sh.sh_link >= shnum) {
    log->warn(
        "{}: .symtab (section {}) has a corrupt header (offset {:#x}, size {:#x}, entsize {}, link {}); "
        "no symbols",
        name, index, sh.sh_offset, sh.sh_size, sh.sh_entsize, sh.sh_link);
    return {};
  }
  const auto strtab = section_header(elf, sh.sh_link);
  if (!strtab || strtab->sh_type != SHT_STRTAB || !in_file(strtab->sh_offset, strtab->sh_size, file.size())) {
    log->warn("{}: the string table of .symtab (section {}) is missing or corrupt; no symbols", name,
              sh.sh_link);
    return {};
  }
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (data == nullptr || data->d_buf == nullptr || data->d_type != ELF_T_SYM) {
    log->warn("{}: cannot read .symtab (section {}): {}; no symbols", name, index, elf_errmsg(-1));
    return {};
  }

  std::vector<Symbol> out;
  const std::size_t count = data->d_size / sizeof(Elf32_Sym);
  for (std::size_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
    Elf32_Sym sym;
    std::memcpy(&sym, static_cast<const char*>(data->d_buf) + i * sizeof(Elf32_Sym), sizeof sym);
    const unsigned type = ELF32_ST_TYPE(sym.st_info);
    if ((type != STT_FUNC && type != STT_OBJECT) || sym.st_shndx == SHN_UNDEF) continue;
    // elf_strptr checks the index against the string table and that the string is terminated.
    const char* sym_name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (sym_name == nullptr || *sym_name == '\0') continue;
    Symbol s;
    s.name = sym_name;
    s.is_function = type == STT_FUNC;
    // Arm ELF (AAELF32 5.5.3): bit 0 of a Thumb function's value is the Thumb bit, not part of the address.
    s.value = arm && s.is_function ? sym.st_value & ~std::uint32_t{1} : sym.st_value;
    s.size = sym.st_size;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::vector<Symbol> read_symbols(Elf* elf, std::span<const char> file, bool arm, const std::string& name) {
  auto log = bulkhead::log::get("loader");
  std::size_t shnum = 0;
  if (elf_getshdrnum(elf, &shnum) != 0) {
    log->warn("{}: cannot read the section header table: {}; no symbols", name, elf_errmsg(-1));
    return {};
  }
  std::vector<Symbol> out;
  bool found = false;
  for (std::size_t i = 1; i < shnum && !found; ++i) {
    const auto sh = section_header(elf, i);
    if (!sh || sh->sh_type != SHT_SYMTAB) continue;
    found = true;
    out = read_table(elf, elf_getscn(elf, i), *sh, shnum, file, arm, name, i);
  }
  if (!found) log->info("{}: no .symtab; addresses will not be symbolized", name);
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) {
    return std::tie(a.value, a.name) < std::tie(b.value, b.name);
  });
  return out;
}

}  // namespace bulkhead::loader::detail
