// App ELF -> TBF, following elf2tab's elf_to_tbf (src/convert.rs) and header layout (src/header.rs): Base,
// Main, Program, PackageName, FixedAddresses, KernelVersion; payload = protected trailer, segments with file
// bytes (in program-header order, separated by their file-offset gaps), relocation size word + .rel data,
// then footer/padding.
#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <spdlog/fmt/fmt.h>

#include "bulkhead/loader/tbf.hpp"
#include "file_reader.hpp"

namespace bulkhead::loader {

namespace {

std::uint32_t align_up(std::uint32_t v, std::uint32_t a) {
  return (v + a - 1) / a * a;
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

struct Section {
  std::string name;
  Elf32_Shdr shdr;
};

template <typename T>
T read_struct(std::span<const std::uint8_t> b, std::size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof v);
  return v;
}

bool fits(std::uint64_t off, std::uint64_t size, std::size_t file) {
  return off <= file && size <= file - off;
}

// The section table with names, or empty when it is missing or does not fit (then: no .stack size, no
// relocations; load_elf_bytes already warned).
std::vector<Section> sections_of(std::span<const std::uint8_t> elf, const Elf32_Ehdr& eh) {
  std::vector<Section> out;
  if (eh.e_shoff == 0 || eh.e_shnum == 0 || eh.e_shentsize != sizeof(Elf32_Shdr) ||
      !fits(eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Elf32_Shdr), elf.size()) ||
      eh.e_shstrndx >= eh.e_shnum) {
    return out;
  }
  const auto strtab = read_struct<Elf32_Shdr>(elf, eh.e_shoff + eh.e_shstrndx * sizeof(Elf32_Shdr));
  if (!fits(strtab.sh_offset, strtab.sh_size, elf.size())) return out;
  for (std::size_t i = 0; i < eh.e_shnum; ++i) {
    const auto sh = read_struct<Elf32_Shdr>(elf, eh.e_shoff + i * sizeof(Elf32_Shdr));
    std::string name;
    if (sh.sh_name < strtab.sh_size) {
      const char* p = reinterpret_cast<const char*>(elf.data()) + strtab.sh_offset + sh.sh_name;
      name.assign(p, strnlen(p, strtab.sh_size - sh.sh_name));
    }
    out.push_back({std::move(name), sh});
  }
  return out;
}

// A symbol's value from .symtab, of any type: _sram_origin is a linker-script symbol (STT_NOTYPE), which
// Image::symbols leaves out.
std::optional<std::uint32_t> symbol_value(std::span<const std::uint8_t> elf,
                                          const std::vector<Section>& sections, std::string_view name) {
  for (const auto& s : sections) {
    if (s.shdr.sh_type != SHT_SYMTAB || s.shdr.sh_link >= sections.size()) continue;
    const auto& str = sections[s.shdr.sh_link].shdr;
    if (!fits(s.shdr.sh_offset, s.shdr.sh_size, elf.size()) ||
        !fits(str.sh_offset, str.sh_size, elf.size())) {
      continue;
    }
    for (std::uint32_t at = 0; at + sizeof(Elf32_Sym) <= s.shdr.sh_size; at += sizeof(Elf32_Sym)) {
      const auto sym = read_struct<Elf32_Sym>(elf, s.shdr.sh_offset + at);
      if (sym.st_name >= str.sh_size || sym.st_shndx == SHN_UNDEF) continue;
      const char* p = reinterpret_cast<const char*>(elf.data()) + str.sh_offset + sym.st_name;
      if (std::string_view(p, strnlen(p, str.sh_size - sym.st_name)) == name) return sym.st_value;
    }
  }
  return std::nullopt;
}

std::vector<std::uint8_t> serialize_header(const TbfHeader& h) {
  std::vector<std::uint8_t> out;
  put16(out, h.version);
  put16(out, h.header_size);
  put32(out, h.total_size);
  put32(out, h.flags);
  put32(out, 0);  // checksum, filled below
  put16(out, tbf::kMain);
  put16(out, 12);
  put32(out, h.init_fn_offset);
  put32(out, h.protected_trailer_size);
  put32(out, h.minimum_ram_size);
  put16(out, tbf::kProgram);
  put16(out, 20);
  put32(out, h.init_fn_offset);
  put32(out, h.protected_trailer_size);
  put32(out, h.minimum_ram_size);
  put32(out, h.binary_end_offset);
  put32(out, h.app_version);
  if (!h.package_name.empty()) {
    put16(out, tbf::kPackageName);
    put16(out, static_cast<std::uint16_t>(h.package_name.size()));
    out.insert(out.end(), h.package_name.begin(), h.package_name.end());
    out.resize(align_up(static_cast<std::uint32_t>(out.size()), 4), 0);
  }
  if (h.has_fixed_addresses) {
    put16(out, tbf::kFixedAddresses);
    put16(out, 8);
    put32(out, h.fixed_ram);
    put32(out, h.fixed_flash);
  }
  if (h.kernel_version) {
    put16(out, tbf::kKernelVersion);
    put16(out, 4);
    put16(out, h.kernel_version->major);
    put16(out, h.kernel_version->minor);
  }
  std::uint32_t sum = 0;
  for (std::size_t at = 0; at + 4 <= out.size(); at += 4) {
    if (at != 12)
      sum ^= static_cast<std::uint32_t>(out[at] | out[at + 1] << 8 | out[at + 2] << 16) |
             static_cast<std::uint32_t>(out[at + 3]) << 24;
  }
  for (int i = 0; i < 4; ++i) out[12 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
  return out;
}

}  // namespace

TbfApp build_tbf_from_elf_bytes(std::span<const std::uint8_t> elf, std::string name,
                                const TbfBuildOptions& opts) {
  auto fail = [&](std::string defect) { return LoadError(name, std::move(defect)); };
  const Image img = load_elf_bytes(elf, name);  // every check the emulator's loader makes
  const auto eh = read_struct<Elf32_Ehdr>(elf, 0);
  std::vector<Elf32_Phdr> phdrs;
  for (std::size_t i = 0; i < eh.e_phnum; ++i) {
    phdrs.push_back(read_struct<Elf32_Phdr>(elf, eh.e_phoff + i * sizeof(Elf32_Phdr)));
  }
  const std::vector<Section> sections = sections_of(elf, eh);
  auto find_section = [&](std::string_view n) -> const Section* {
    for (const auto& s : sections) {
      if (s.name == n) return &s;
    }
    return nullptr;
  };

  TbfHeader h;
  h.package_name =
      opts.package_name.empty() ? std::filesystem::path(name).stem().string() : opts.package_name;
  if (h.package_name.size() > 0xFFFF) throw fail("package name longer than a TLV can hold");
  h.flags = opts.disabled ? 0 : tbf::kFlagEnabled;
  h.has_main = h.has_program = true;
  h.app_version = opts.app_version;
  h.kernel_version = opts.kernel_version;

  // minimum_ram_size (convert.rs): writable segments copied from flash to RAM, plus stack and heaps.
  std::uint32_t stack = 2048;
  if (opts.stack_size) {
    stack = *opts.stack_size;
  } else if (const Section* s = find_section(".stack")) {
    stack = s->shdr.sh_size;
  }
  std::uint64_t ram = 0;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_LOAD && ph.p_vaddr != ph.p_paddr && ph.p_memsz > 0 && (ph.p_flags & PF_W))
      ram += ph.p_memsz;
  }
  ram += std::uint64_t{align_up(stack, 8)} + align_up(opts.app_heap_size, 4) +
         align_up(opts.kernel_heap_size, 4);
  if (ram > 0xFFFFFFFFu) throw fail("minimum RAM size does not fit in 32 bits");
  h.minimum_ram_size = static_cast<std::uint32_t>(ram);

  // Fixed addresses (convert.rs): flash = lowest p_paddr of an executable PT_LOAD with file bytes, unless
  // the code is linked at Tock's PIC address; RAM = a non-zero _sram_origin.
  std::optional<std::uint32_t> flash;
  bool pic = false;
  for (const auto& ph : phdrs) {
    if (ph.p_type != PT_LOAD || ph.p_filesz == 0 || !(ph.p_flags & PF_X)) continue;
    if (ph.p_vaddr == tbf::kPicFlashAddress) pic = true;
    flash = std::min(flash.value_or(ph.p_paddr), ph.p_paddr);
  }
  if (!flash) throw fail("no executable PT_LOAD segment with file bytes: nothing to put in flash");
  std::optional<std::uint32_t> ram_origin;
  if (auto v = symbol_value(elf, sections, "_sram_origin"); v && *v != 0) ram_origin = *v;
  if (opts.fixed_addresses == TbfBuildOptions::Fixed::Always && !ram_origin) {
    for (const auto& seg : img.segments) {
      if (has(seg.perms, Perms::W)) {
        ram_origin = seg.vaddr;
        break;
      }
    }
  }
  const bool fixed_flash = opts.fixed_addresses == TbfBuildOptions::Fixed::Always ||
                           (opts.fixed_addresses == TbfBuildOptions::Fixed::Auto && !pic);
  const bool fixed_ram = opts.fixed_addresses != TbfBuildOptions::Fixed::Never && ram_origin.has_value();
  h.has_fixed_addresses = fixed_flash || fixed_ram;
  if (fixed_flash) h.fixed_flash = *flash;
  if (fixed_ram) h.fixed_ram = *ram_origin;

  const auto header_len = static_cast<std::uint32_t>(serialize_header(h).size());
  h.header_size = static_cast<std::uint16_t>(header_len);
  std::uint32_t protected_size = header_len;
  if (opts.protected_region_size) {
    protected_size = *opts.protected_region_size;
  } else if (fixed_flash) {
    protected_size = *flash - (*flash & ~std::uint32_t{255});  // TBF start 256-aligned
  }
  if (protected_size < header_len) {
    throw fail(fmt::format(
        "protected region of {} bytes is too small for the {}-byte TBF header{}", protected_size, header_len,
        fixed_flash ? fmt::format(" (the binary is linked at {:#010x}, {} bytes past a 256-byte "
                                  "boundary; link it further in)",
                                  *flash, protected_size)
                    : std::string()));
  }
  h.protected_trailer_size = protected_size - header_len;

  // Payload: after the protected region, segments with file bytes; elf2tab pads between them by the gap in
  // their file offsets.
  std::vector<std::uint8_t> body(protected_size - header_len, 0);  // trailer (the header goes in front)
  std::uint32_t index = protected_size;                            // offset in the TBF
  std::optional<std::uint64_t> last_end;
  std::optional<std::uint32_t> init;
  std::vector<std::uint8_t> rel;
  for (const auto& ph : phdrs) {
    if (ph.p_type != PT_LOAD || ph.p_filesz == 0) continue;
    if (last_end) {
      if (ph.p_offset < *last_end) {
        throw fail(fmt::format("PT_LOAD segments are not in file order (offset {:#x} after {:#x})",
                               ph.p_offset, *last_end));
      }
      const std::uint64_t gap = ph.p_offset - *last_end;
      if (gap > (64u << 20)) throw fail(fmt::format("{:#x}-byte gap between segments in the file", gap));
      body.resize(body.size() + gap, 0);
      index += static_cast<std::uint32_t>(gap);
    }
    if (fixed_flash && ph.p_paddr - *flash != index - protected_size) {
      throw fail(
          fmt::format("segment at p_paddr {:#010x} would sit at TBF offset {:#x}, but a fixed-address "
                      "app needs it at {:#x}: the file offsets are padded (link with -n / --nmagic)",
                      ph.p_paddr, index, protected_size + (ph.p_paddr - *flash)));
    }
    if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_filesz) {
      if (init) throw fail("the entry point is in two segments");
      init = index + (eh.e_entry - ph.p_paddr) - header_len;  // from the end of the header
    }
    const auto* p = elf.data() + ph.p_offset;  // in the file: load_elf_bytes checked it
    body.insert(body.end(), p, p + ph.p_filesz);
    index += ph.p_filesz;
    last_end = std::uint64_t{ph.p_offset} + ph.p_filesz;
    // .rel.<section> of every writable section in this segment (convert.rs).
    for (const auto& s : sections) {
      const auto& sh = s.shdr;
      if (sh.sh_size == 0 || !(sh.sh_flags & SHF_WRITE) || !(sh.sh_flags & SHF_ALLOC)) continue;
      if (sh.sh_addr < ph.p_vaddr || sh.sh_addr - ph.p_vaddr >= ph.p_memsz) continue;
      const Section* r = find_section(".rel" + s.name);
      if (!r || r->shdr.sh_type == SHT_NOBITS) continue;
      if (!fits(r->shdr.sh_offset, r->shdr.sh_size, elf.size()))
        throw fail(r->name + " lies outside the file");
      rel.insert(rel.end(), elf.data() + r->shdr.sh_offset, elf.data() + r->shdr.sh_offset + r->shdr.sh_size);
    }
  }
  if (!init) {
    throw fail(
        fmt::format("the entry point {:#010x} is not in a PT_LOAD segment with file bytes", eh.e_entry));
  }
  h.init_fn_offset = *init;
  put32(body, static_cast<std::uint32_t>(rel.size()));
  body.insert(body.end(), rel.begin(), rel.end());
  index += 4 + static_cast<std::uint32_t>(rel.size());
  h.binary_end_offset = index;

  // Trailing padding (convert.rs TrailingPadding): Arm apps to a power of two of at least 512 bytes, filled
  // with a Reserved credentials footer when there is room for its 8-byte head.
  const bool pad = opts.pad_power_of_two.value_or(eh.e_machine == EM_ARM);
  std::uint32_t total = index;
  if (pad && !std::has_single_bit(total)) total = std::max<std::uint32_t>(std::bit_ceil(total), 512);
  if (total - index >= 8) {
    put16(body, tbf::kCredentials);
    put16(body, static_cast<std::uint16_t>(total - index - 4));
    put32(body, 0);  // format Reserved
  }
  body.resize(total - header_len, 0);
  h.total_size = total;

  std::vector<std::uint8_t> bytes = serialize_header(h);
  bytes.insert(bytes.end(), body.begin(), body.end());
  TbfApp app = parse_tbf(bytes, name);  // the reader's checks, and the decoded header
  app.arch = img.arch;
  return app;
}

bool is_tock_app_elf(const std::filesystem::path& path) {
  std::vector<char> raw;
  try {
    raw = detail::read_file_capped(path, LoadOptions{}.max_file_size);
  } catch (const LoadError&) {
    return false;
  }
  const std::span<const std::uint8_t> elf(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  if (elf.size() < sizeof(Elf32_Ehdr) || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' ||
      elf[4] != ELFCLASS32)
    return false;
  const auto eh = read_struct<Elf32_Ehdr>(elf, 0);
  if (eh.e_shentsize != sizeof(Elf32_Shdr) ||
      !fits(eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Elf32_Shdr), elf.size()) ||
      eh.e_shstrndx >= eh.e_shnum)
    return false;
  const auto v = symbol_value(elf, sections_of(elf, eh), "_sram_origin");
  return v && *v != 0;
}

TbfApp build_tbf_from_elf(const std::filesystem::path& path, const TbfBuildOptions& options) {
  const std::vector<char> raw = detail::read_file_capped(path, LoadOptions{}.max_file_size);
  return build_tbf_from_elf_bytes(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()),
      path.string(), options);
}

}  // namespace bulkhead::loader
