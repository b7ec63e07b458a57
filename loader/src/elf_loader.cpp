// ELF32 executables -> Image. libelf does the decoding; every offset and size it hands back is checked
// against the file and the 32-bit address space before it is trusted.
#include <algorithm>
#include <bit>
#include <cstring>
#include <mutex>

#include <gelf.h>
#include <spdlog/fmt/fmt.h>

#include "bulkhead/core/log.hpp"
#include "bulkhead/loader/elf.hpp"
#include "elf_internal.hpp"
#include "file_reader.hpp"

namespace bulkhead::loader {

static_assert(std::endian::native == std::endian::little,
              "the loader reads little-endian ELF headers in place");

LoadError::LoadError(std::string file, std::string defect)
    : std::runtime_error(file + ": " + defect), file_(std::move(file)), defect_(std::move(defect)) {}

namespace detail {

void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

}  // namespace detail

namespace {

using detail::in_file;
constexpr std::uint64_t kAddressSpace = std::uint64_t{1} << 32;

std::string machine_name(unsigned machine) {
  switch (machine) {
    case EM_386:
      return "EM_386 (x86)";
    case EM_X86_64:
      return "EM_X86_64 (x86-64)";
    case EM_AARCH64:
      return "EM_AARCH64 (AArch64)";
    case EM_MIPS:
      return "EM_MIPS";
    case EM_PPC:
      return "EM_PPC";
    default:
      return fmt::format("e_machine {}", machine);
  }
}

// e_ident checks that must precede elf_memory: libelf would happily open a 64-bit or big-endian file.
void check_ident(std::span<const char> file, const std::string& name) {
  if (file.size() < SELFMAG || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0) {
    throw LoadError(name, file.size() < SELFMAG ? fmt::format("not an ELF file (only {} bytes)", file.size())
                                                : std::string("not an ELF file (no \\x7fELF magic)"));
  }
  if (file.size() < EI_NIDENT) {
    throw LoadError(name, fmt::format("truncated ELF header: file is {} bytes, e_ident needs {}", file.size(),
                                      int{EI_NIDENT}));
  }
  const auto cls = static_cast<unsigned char>(file[EI_CLASS]);
  if (cls == ELFCLASS64) {
    throw LoadError(name, "64-bit ELF (ELFCLASS64); Bulkhead loads 32-bit (ELFCLASS32) images only");
  }
  if (cls != ELFCLASS32) throw LoadError(name, fmt::format("invalid ELF class {} in e_ident", cls));
  const auto data = static_cast<unsigned char>(file[EI_DATA]);
  if (data == ELFDATA2MSB) {
    throw LoadError(name,
                    "big-endian ELF (ELFDATA2MSB); Arm M-profile and RISC-V images must be little-endian");
  }
  if (data != ELFDATA2LSB)
    throw LoadError(name, fmt::format("invalid ELF data encoding {} in e_ident", data));
  if (file.size() < sizeof(Elf32_Ehdr)) {
    throw LoadError(name, fmt::format("truncated ELF header: file is {} bytes, the ELF32 header needs {}",
                                      file.size(), sizeof(Elf32_Ehdr)));
  }
}

// The section header table only serves the optional symbol table. libelf refuses a whole file whose
// table lies outside it, so an unusable table is dropped (in our private copy) instead.
void drop_bad_section_table(std::vector<char>& file, const std::string& name) {
  Elf32_Ehdr eh;
  std::memcpy(&eh, file.data(), sizeof eh);
  if (eh.e_shoff == 0 && eh.e_shnum == 0) return;
  std::uint64_t count = eh.e_shnum;
  bool ok = eh.e_shoff != 0 && eh.e_shentsize == sizeof(Elf32_Shdr) &&
            in_file(eh.e_shoff, sizeof(Elf32_Shdr), file.size());
  if (ok && count == 0) {  // gABI: more than SHN_LORESERVE sections; the count is section 0's sh_size
    Elf32_Shdr first;
    std::memcpy(&first, file.data() + eh.e_shoff, sizeof first);
    count = first.sh_size;
  }
  ok = ok && count <= file.size() / sizeof(Elf32_Shdr) &&
       in_file(eh.e_shoff, count * sizeof(Elf32_Shdr), file.size());
  if (ok) return;
  bulkhead::log::get("loader")->warn(
      "{}: section header table (offset {:#x}, {} entries of {} bytes) does not fit in the file ({} bytes); "
      "loading without symbols",
      name, eh.e_shoff, count, eh.e_shentsize, file.size());
  eh.e_shoff = 0;
  eh.e_shnum = 0;
  eh.e_shstrndx = SHN_UNDEF;
  std::memcpy(file.data(), &eh, sizeof eh);
}

void check_type(const Elf32_Ehdr& eh, const std::string& name) {
  if (eh.e_machine != EM_ARM && eh.e_machine != EM_RISCV) {
    throw LoadError(
        name, fmt::format("unsupported machine {}; expected EM_ARM or EM_RISCV", machine_name(eh.e_machine)));
  }
  switch (eh.e_type) {
    case ET_EXEC:
      return;
    case ET_REL:
      throw LoadError(
          name, "ET_REL (relocatable object file), not an executable; link it first (ET_EXEC required)");
    case ET_DYN:
      throw LoadError(name,
                      "ET_DYN (shared object or position-independent executable); link a static "
                      "executable (ET_EXEC required)");
    default:
      throw LoadError(name, fmt::format("ELF type {} is not ET_EXEC", eh.e_type));
  }
}

// A copy: libelf points into the file buffer, which is misaligned for Elf32_Phdr when e_phoff is.
std::vector<Elf32_Phdr> program_headers(Elf* elf, const Elf32_Ehdr& eh, std::size_t file_size,
                                        const std::string& name, const LoadOptions& opts) {
  // e_phnum itself, not elf_getphdrnum(): libelf quietly clamps the count to what fits in the file.
  if (eh.e_phnum == PN_XNUM) {
    throw LoadError(name, fmt::format("too many program headers (e_phnum is PN_XNUM, limit {})",
                                      opts.max_program_headers));
  }
  const std::size_t phnum = eh.e_phnum;
  if (phnum == 0) throw LoadError(name, "no program headers, so no PT_LOAD segment: nothing to load");
  if (phnum > opts.max_program_headers) {
    throw LoadError(name,
                    fmt::format("too many program headers ({}, limit {})", phnum, opts.max_program_headers));
  }
  if (eh.e_phentsize != sizeof(Elf32_Phdr)) {
    throw LoadError(name, fmt::format("program header entry size e_phentsize is {}, expected {}",
                                      eh.e_phentsize, sizeof(Elf32_Phdr)));
  }
  if (!in_file(eh.e_phoff, std::uint64_t{phnum} * sizeof(Elf32_Phdr), file_size)) {
    throw LoadError(name, fmt::format("program header table (offset {:#x}, {} entries) extends past the end "
                                      "of the file ({} bytes)",
                                      eh.e_phoff, phnum, file_size));
  }
  const Elf32_Phdr* ph = elf32_getphdr(elf);
  std::size_t libelf_phnum = 0;
  if (ph == nullptr || elf_getphdrnum(elf, &libelf_phnum) != 0 || libelf_phnum != phnum) {
    throw LoadError(name, fmt::format("cannot read the program headers: {}", elf_errmsg(-1)));
  }
  std::vector<Elf32_Phdr> out(phnum);
  std::memcpy(out.data(), ph, phnum * sizeof(Elf32_Phdr));
  return out;
}

Perms perms_of(std::uint32_t flags) {
  Perms p = Perms::None;
  if (flags & PF_R) p |= Perms::R;
  if (flags & PF_W) p |= Perms::W;
  if (flags & PF_X) p |= Perms::X;
  return p;
}

std::vector<Segment> load_segments(const std::vector<Elf32_Phdr>& phdrs, std::span<const char> file,
                                   const std::string& name, const LoadOptions& opts) {
  struct Indexed {
    std::size_t index;
    Segment seg;
  };
  std::vector<Indexed> loads;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < phdrs.size(); ++i) {
    const Elf32_Phdr& ph = phdrs[i];
    if (ph.p_type != PT_LOAD) continue;
    const auto where = fmt::format("segment {} (vaddr {:#x}, memsz {:#x})", i, ph.p_vaddr, ph.p_memsz);
    if (ph.p_filesz > ph.p_memsz) {
      throw LoadError(name, fmt::format("{} has p_filesz {:#x} larger than p_memsz", where, ph.p_filesz));
    }
    if (!in_file(ph.p_offset, ph.p_filesz, file.size())) {
      throw LoadError(name, fmt::format("{}: file range (offset {:#x}, filesz {:#x}) extends past the end of "
                                        "the file ({} bytes)",
                                        where, ph.p_offset, ph.p_filesz, file.size()));
    }
    if (std::uint64_t{ph.p_vaddr} + ph.p_memsz > kAddressSpace) {
      throw LoadError(name, fmt::format("{} extends past the 32-bit address space", where));
    }
    if (std::uint64_t{ph.p_paddr} + ph.p_filesz > kAddressSpace) {
      throw LoadError(name,
                      fmt::format("{}: load address (paddr {:#x}, filesz {:#x}) extends past the 32-bit "
                                  "address space",
                                  where, ph.p_paddr, ph.p_filesz));
    }
    total += ph.p_memsz;
    if (total > opts.max_total_memsz) {
      throw LoadError(name, fmt::format("{} brings the total segment memory to {:#x} bytes, over the limit "
                                        "of {:#x} bytes",
                                        where, total, opts.max_total_memsz));
    }
    if (ph.p_memsz == 0) continue;  // occupies no memory; nothing to map or to overlap
    Segment seg;
    seg.vaddr = ph.p_vaddr;
    seg.paddr = ph.p_paddr;
    seg.memsz = ph.p_memsz;
    seg.perms = perms_of(ph.p_flags);
    const auto* begin = reinterpret_cast<const std::uint8_t*>(file.data()) + ph.p_offset;
    seg.bytes.assign(begin, begin + ph.p_filesz);
    loads.push_back({i, std::move(seg)});
  }
  if (loads.empty()) throw LoadError(name, "no PT_LOAD segment with a non-zero p_memsz: nothing to load");

  std::sort(loads.begin(), loads.end(),
            [](const Indexed& a, const Indexed& b) { return a.seg.vaddr < b.seg.vaddr; });
  for (std::size_t k = 1; k < loads.size(); ++k) {
    const auto& a = loads[k - 1];
    const auto& b = loads[k];
    if (a.seg.range().overlaps(b.seg.range())) {
      throw LoadError(name,
                      fmt::format("segments {} (vaddr {:#x}, memsz {:#x}) and {} (vaddr {:#x}, memsz {:#x}) "
                                  "overlap",
                                  a.index, a.seg.vaddr, a.seg.memsz, b.index, b.seg.vaddr, b.seg.memsz));
    }
  }
  std::vector<Segment> out;
  out.reserve(loads.size());
  for (auto& l : loads) out.push_back(std::move(l.seg));
  return out;
}

void check_entry(const Image& img, const std::string& name) {
  if (img.arch != Arch::Rv32 && !img.thumb_entry) {
    // M-profile cores execute only Thumb code (ARMv7-M ARM A4.1); a BX to an even address faults.
    throw LoadError(name, fmt::format("entry {:#x} is not a Thumb address (bit 0 clear); M-profile code is "
                                      "Thumb only",
                                      img.entry));
  }
  if (img.arch == Arch::Rv32 && (img.entry & (img.rvc ? 1u : 3u)) != 0) {
    throw LoadError(name, fmt::format("entry {:#x} is not {}-byte aligned", img.entry, img.rvc ? 2 : 4));
  }
  const Segment* seg = img.find_segment(img.entry_address());
  if (seg == nullptr || !has(seg->perms, Perms::X)) {
    throw LoadError(name, fmt::format("entry {:#x} is not inside an executable (PF_X) segment", img.entry));
  }
}

Image load_buffer(std::vector<char> file, std::string name, const LoadOptions& opts) {
  detail::init_libelf();
  check_ident(file, name);
  drop_bad_section_table(file, name);

  detail::ElfPtr elf(elf_memory(file.data(), file.size()));
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) {
    throw LoadError(name, fmt::format("libelf cannot read it: {}", elf_errmsg(-1)));
  }
  const Elf32_Ehdr* eh = elf32_getehdr(elf.get());
  if (eh == nullptr) throw LoadError(name, fmt::format("cannot read the ELF header: {}", elf_errmsg(-1)));
  check_type(*eh, name);

  Image img;
  img.path = name;
  img.entry = eh->e_entry;
  const bool arm = eh->e_machine == EM_ARM;
  if (arm) {
    img.arch = detail::arm_arch_from_attributes(elf.get(), file, name);
    img.thumb_entry = (eh->e_entry & 1u) != 0;
    img.hard_float = (eh->e_flags & EF_ARM_ABI_FLOAT_HARD) != 0;
  } else {
    img.arch = Arch::Rv32;
    img.rvc = (eh->e_flags & EF_RISCV_RVC) != 0;
    img.hard_float = (eh->e_flags & EF_RISCV_FLOAT_ABI) == EF_RISCV_FLOAT_ABI_SINGLE ||
                     (eh->e_flags & EF_RISCV_FLOAT_ABI) == EF_RISCV_FLOAT_ABI_DOUBLE;
  }
  img.segments = load_segments(program_headers(elf.get(), *eh, file.size(), name, opts), file, name, opts);
  check_entry(img, name);
  img.symbols = detail::read_symbols(elf.get(), file, arm, name);

  auto log = bulkhead::log::get("loader");
  log->debug("{}: {} entry {:#x}, {} segments, {} symbols", name, to_string(img.arch), img.entry,
             img.segments.size(), img.symbols.size());
  for (const auto& s : img.segments) {
    log->debug("{}:   vaddr {:#010x} paddr {:#010x} filesz {:#x} memsz {:#x} {}", name, s.vaddr, s.paddr,
               s.filesz(), s.memsz, to_string(s.perms));
  }
  return img;
}

}  // namespace

Image load_elf(const std::filesystem::path& path, const LoadOptions& options) {
  return load_buffer(detail::read_file_capped(path, options.max_file_size), path.string(), options);
}

Image load_elf_bytes(std::span<const std::uint8_t> bytes, std::string name, const LoadOptions& options) {
  if (bytes.size() > options.max_file_size) {
    throw LoadError(name, fmt::format("image is {} bytes, larger than the {} byte limit", bytes.size(),
                                      options.max_file_size));
  }
  return load_buffer(std::vector<char>(bytes.begin(), bytes.end()), std::move(name), options);
}

}  // namespace bulkhead::loader
