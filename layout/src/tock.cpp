#include "bulkhead/layout/tock.hpp"

#include <bit>
#include <cstdio>
#include <fstream>

#include "bulkhead/loader/elf.hpp"

namespace bulkhead::layout {

std::string_view to_string(Abi a) {
  return a == Abi::Tock ? "tock" : "bulkhead";
}

bool is_tock_image_path(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".tbf" || ext == ".tab";
}

std::vector<std::string> tock_arch_names(Arch arch) {
  switch (arch) {
    case Arch::ArmV7M:
      return {"cortex-m4", "cortex-m3", "cortex-m7"};
    case Arch::ArmV8M:
      return {"cortex-m33", "cortex-m4", "cortex-m3", "cortex-m7"};
    case Arch::Rv32:
      return {"rv32imac", "rv32imc", "rv32i"};
  }
  return {};
}

namespace {

bool is_elf_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  return in.read(head, sizeof head) && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F';
}

}  // namespace

loader::TbfApp load_tock_app(const std::filesystem::path& path, Arch arch) {
  // An app's ELF becomes the TBF elf2tab would make of it (loader/tbf.hpp, build_tbf_from_elf).
  if (is_elf_file(path)) return loader::build_tbf_from_elf(path);
  if (path.extension() != ".tab") return loader::load_tbf_file(path);
  const std::vector<std::string> names = tock_arch_names(arch);
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    try {
      return loader::load_tbf_file(path, names[i]);
    } catch (const loader::LoadError&) {
      // try the next name; the last one's error (listing what the bundle has) is the one reported
    }
  }
  return loader::load_tbf_file(path, names.back());
}

namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::uint32_t align_up(std::uint64_t v, std::uint64_t a) {
  return static_cast<std::uint32_t>((v + a - 1) / a * a);
}

}  // namespace

TockPlacement default_tock_placement(Arch arch) {
  // Where Tock boards commonly put the first app: nRF52840-style Cortex-M (apps at 0x40000, RAM after the
  // kernel's at 0x20004000), HiFive1-style RV32 (apps at 0x20040000, RAM at 0x80004000). The bundled samples
  // are linked there too (firmware_samples/tock/).
  if (arch == Arch::Rv32) return {0x2004'0000u, 0x8000'4000u};
  return {0x0004'0000u, 0x2000'4000u};
}

TockMemory place_tock_app(const loader::TbfApp& app, Arch arch, const TockPlacement& where) {
  const loader::TbfHeader& h = app.header;
  if (h.is_padding()) throw loader::LoadError(app.name, "is a padding TBF, not an app");
  if (!h.enabled()) throw loader::LoadError(app.name, "is disabled (TBF flags bit 0 is clear)");
  // TockBinaryFormat.md, FixedAddresses: start_process_flash is where the app binary (after the protected
  // region) must be; the TBF header is in front of it. Without it the app is position-independent
  // (libtock-c's Arm apps: its crt0 relocates itself from r0 = the binary's start and r1 = mem_start), and
  // goes where the kernel puts it: `where`.
  std::optional<std::uint32_t> flash;
  if (const auto fixed = h.fixed_flash_address()) {
    if (*fixed < h.protected_size())
      throw loader::LoadError(app.name, "FixedAddresses flash lies below its own protected region");
    flash = *fixed - h.protected_size();
    if (where.flash && *where.flash != *flash)
      throw loader::LoadError(app.name, "is linked for flash at " + hex32(*fixed) +
                                            " (FixedAddresses): it cannot go at " + hex32(*where.flash));
  } else {
    flash = where.flash;
  }
  std::optional<std::uint32_t> ram = h.fixed_ram_address();
  if (ram && where.ram && *where.ram != *ram)
    throw loader::LoadError(app.name, "is linked for RAM at " + hex32(*ram) +
                                          " (FixedAddresses): it cannot go at " + hex32(*where.ram));
  if (!ram) ram = where.ram;
  if (!flash || !ram)
    throw loader::LoadError(app.name, std::string("is position-independent (no FixedAddresses for its ") +
                                          (!flash ? "flash" : "RAM") +
                                          "): say where it goes (a layout's `flash` and `ram` keys)");
  TockMemory m;
  m.flash_start = *flash;
  m.flash_size = h.total_size;
  m.mem_start = *ram;
  const std::uint32_t g = 32;  // the Arm MPU granule; PMP (4 bytes) is finer
  if (m.flash_start % g != 0 || m.mem_start % g != 0)
    throw loader::LoadError(app.name,
                            "its flash and RAM are not 32-byte aligned (the MPU cannot isolate it)");
  const std::uint32_t app_part = align_up(std::max<std::uint32_t>(h.minimum_ram_size, 1), 256);
  const std::uint64_t block = std::bit_ceil(std::uint64_t{app_part} + kTockGrantSize);
  if (std::uint64_t{m.mem_start} + block > (1ull << 32) ||
      std::uint64_t{m.flash_start} + align_up(m.flash_size, g) > (1ull << 32))
    throw loader::LoadError(app.name, "its memory would run past 4 GiB");
  m.mem_size = static_cast<std::uint32_t>(block);
  m.initial_brk = m.mem_start + app_part;
  m.grant_start = m.mem_end() - kTockGrantSize;
  m.entry = m.flash_start + h.init_offset_in_tbf();
  if (arch != Arch::Rv32) m.entry |= 1u;  // Arm: PC = init | 1 (Thumb)
  return m;
}

std::vector<Region> tock_regions(const TockMemory& memory, SourcePos pos) {
  Region flash;
  flash.name = "flash";
  flash.kind = RegionKind::Code;
  flash.access = Perms::RX;
  flash.base = memory.flash_start;
  flash.size = align_up(memory.flash_size, 32);
  flash.pos = pos;
  Region ram;
  ram.name = "ram";
  ram.kind = RegionKind::Data;
  ram.access = Perms::RW;
  ram.base = memory.mem_start;
  ram.size = memory.mem_size;
  ram.pos = pos;
  return {flash, ram};
}

}  // namespace bulkhead::layout
