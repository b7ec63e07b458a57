// Helpers for the loader tests: reading the cross-compiled images, patching ELF structures in a byte
// buffer, and building small ELF32 files by hand.
#pragma once

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bulkhead/loader/elf.hpp"

namespace bulkhead::loader::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Copies a T out of / into the buffer at `offset` (no aliasing, no alignment assumptions).
template <typename T>
T get(const Bytes& b, std::size_t offset) {
  T v;
  std::memcpy(&v, b.data() + offset, sizeof v);
  return v;
}
template <typename T>
void put(Bytes& b, std::size_t offset, const T& v) {
  std::memcpy(b.data() + offset, &v, sizeof v);
}

inline Elf32_Ehdr ehdr(const Bytes& b) {
  return get<Elf32_Ehdr>(b, 0);
}
inline Elf32_Phdr phdr(const Bytes& b, std::size_t i) {
  return get<Elf32_Phdr>(b, ehdr(b).e_phoff + i * sizeof(Elf32_Phdr));
}
inline void set_phdr(Bytes& b, std::size_t i, const Elf32_Phdr& ph) {
  put(b, ehdr(b).e_phoff + i * sizeof(Elf32_Phdr), ph);
}

// Loads `bytes` as `name`, expecting a LoadError whose message is "<name>: ..." and contains every
// fragment in `defect`.
inline void expect_load_error(const Bytes& bytes, const std::string& name,
                              std::initializer_list<std::string> defect, const LoadOptions& opts = {}) {
  try {
    load_elf_bytes(bytes, name, opts);
    ADD_FAILURE() << name << ": loaded, expected an error mentioning '" << *defect.begin() << "'";
  } catch (const LoadError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(name + ": ", 0), 0u) << what;
    EXPECT_EQ(e.file(), name);
    for (const auto& d : defect)
      EXPECT_NE(what.find(d), std::string::npos) << "'" << d << "' not in: " << what;
  }
}

// A hand-built ELF32 little-endian executable: the header, the program headers, then each segment's file
// bytes (a recognisable pattern) unless the segment gives an explicit offset. No sections.
struct PhSpec {
  std::uint32_t type = PT_LOAD;
  std::uint32_t flags = PF_R | PF_X;
  std::uint32_t vaddr = 0x8000;
  std::uint32_t filesz = 0x10;
  std::uint32_t memsz = 0x10;
  std::optional<std::uint32_t> offset = std::nullopt;
};

struct ElfSpec {
  std::uint16_t machine = EM_ARM;
  std::uint16_t type = ET_EXEC;
  std::uint32_t entry = 0x8001;
  std::uint32_t flags = 0x05000000;  // EABI version 5
  std::vector<PhSpec> phdrs = {PhSpec{}};
};

inline Bytes build_elf(const ElfSpec& spec) {
  Elf32_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = spec.type;
  eh.e_machine = spec.machine;
  eh.e_version = EV_CURRENT;
  eh.e_entry = spec.entry;
  eh.e_phoff = spec.phdrs.empty() ? 0 : sizeof(Elf32_Ehdr);
  eh.e_flags = spec.flags;
  eh.e_ehsize = sizeof(Elf32_Ehdr);
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = static_cast<std::uint16_t>(spec.phdrs.size());

  Bytes out(sizeof(Elf32_Ehdr) + spec.phdrs.size() * sizeof(Elf32_Phdr));
  put(out, 0, eh);
  for (std::size_t i = 0; i < spec.phdrs.size(); ++i) {
    const PhSpec& s = spec.phdrs[i];
    Elf32_Phdr ph{};
    ph.p_type = s.type;
    ph.p_flags = s.flags;
    ph.p_vaddr = ph.p_paddr = s.vaddr;
    ph.p_filesz = s.filesz;
    ph.p_memsz = s.memsz;
    ph.p_align = 4;
    if (s.offset) {
      ph.p_offset = *s.offset;
    } else {
      ph.p_offset = static_cast<std::uint32_t>(out.size());
      for (std::uint32_t k = 0; k < s.filesz; ++k) out.push_back(static_cast<std::uint8_t>(0xa0 + i + k));
    }
    put(out, sizeof(Elf32_Ehdr) + i * sizeof(Elf32_Phdr), ph);
  }
  return out;
}

}  // namespace bulkhead::loader::test
