#include "bulkhead/layout/tock.hpp"

#include <bit>
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

std::uint32_t align_up(std::uint64_t v, std::uint64_t a) {
  return static_cast<std::uint32_t>((v + a - 1) / a * a);
}

}  // namespace

TockMemory place_tock_app(const loader::TbfApp& app, Arch arch) {
  const loader::TbfHeader& h = app.header;
  if (h.is_padding()) throw loader::LoadError(app.name, "is a padding TBF, not an app");
  if (!h.enabled()) throw loader::LoadError(app.name, "is disabled (TBF flags bit 0 is clear)");
  const auto flash = h.fixed_flash_address();
  const auto ram = h.fixed_ram_address();
  if (!flash || !ram)
    throw loader::LoadError(app.name,
                            "has no FixedAddresses for both flash and RAM: position-independent apps are not "
                            "supported yet (docs/tock.md)");
  if (*flash < h.protected_size())
    throw loader::LoadError(app.name, "FixedAddresses flash lies below its own protected region");
  TockMemory m;
  // TockBinaryFormat.md, FixedAddresses: start_process_flash is where the app binary (after the protected
  // region) must be; the TBF header is in front of it.
  m.flash_start = *flash - h.protected_size();
  m.flash_size = h.total_size;
  m.mem_start = *ram;
  const std::uint32_t g = 32;  // the Arm MPU granule; PMP (4 bytes) is finer
  if (m.flash_start % g != 0 || m.mem_start % g != 0)
    throw loader::LoadError(app.name, "FixedAddresses are not 32-byte aligned (the MPU cannot isolate it)");
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
