#include "bulkhead/loader/source_lines.hpp"

#include <elfutils/libdw.h>
#include <spdlog/fmt/fmt.h>

#include "bulkhead/core/log.hpp"
#include "bulkhead/loader/elf.hpp"
#include "elf_internal.hpp"
#include "file_reader.hpp"

namespace bulkhead::loader {

struct SourceLines::Impl {
  // Destroyed in reverse order: the Dwarf handle before the Elf it reads, the Elf before its bytes.
  std::vector<char> bytes;
  detail::ElfPtr elf;
  struct DwarfEnd {
    void operator()(Dwarf* d) const { dwarf_end(d); }
  };
  std::unique_ptr<Dwarf, DwarfEnd> dwarf;
};

SourceLines::SourceLines(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SourceLines::SourceLines(SourceLines&&) noexcept = default;
SourceLines& SourceLines::operator=(SourceLines&&) noexcept = default;
SourceLines::~SourceLines() = default;

std::optional<SourceLines> SourceLines::open(const std::filesystem::path& path) {
  auto log = bulkhead::log::get("loader");
  auto impl = std::make_unique<Impl>();
  try {
    impl->bytes = detail::read_file_capped(path, LoadOptions{}.max_file_size);
  } catch (const LoadError& e) {
    log->debug("no source lines: {}", e.what());
    return std::nullopt;
  }
  detail::init_libelf();
  impl->elf.reset(elf_memory(impl->bytes.data(), impl->bytes.size()));
  if (!impl->elf || elf_kind(impl->elf.get()) != ELF_K_ELF) {
    log->debug("{}: no source lines: not an ELF file ({})", path.string(), elf_errmsg(-1));
    return std::nullopt;
  }
  impl->dwarf.reset(dwarf_begin_elf(impl->elf.get(), DWARF_C_READ, nullptr));
  if (!impl->dwarf) {
    log->debug("{}: no source lines: {}", path.string(), dwarf_errmsg(-1));
    return std::nullopt;
  }
  return SourceLines(std::move(impl));
}

std::optional<SourceLocation> SourceLines::locate(std::uint32_t addr) const {
  Dwarf* dbg = impl_->dwarf.get();
  Dwarf_Die cu_storage;
  Dwarf_Die* cu = dwarf_addrdie(dbg, addr, &cu_storage);
  if (cu == nullptr) {
    // Without .debug_aranges (recent GCCs omit it) find the unit whose ranges cover the address.
    Dwarf_CU* unit = nullptr;
    while (dwarf_get_units(dbg, unit, &unit, nullptr, nullptr, &cu_storage, nullptr) == 0) {
      if (dwarf_haspc(&cu_storage, addr) > 0) {
        cu = &cu_storage;
        break;
      }
    }
  }
  if (cu == nullptr) return std::nullopt;
  Dwarf_Line* line = dwarf_getsrc_die(cu, addr);
  int lineno = 0;
  const char* file = line ? dwarf_linesrc(line, nullptr, nullptr) : nullptr;
  if (file == nullptr || dwarf_lineno(line, &lineno) != 0) return std::nullopt;
  return SourceLocation{file, lineno};
}

std::optional<std::string> SourceLines::lookup(std::uint32_t addr) const {
  auto loc = locate(addr);
  if (!loc) return std::nullopt;
  return fmt::format("{}:{}", loc->file, loc->line);
}

}  // namespace bulkhead::loader
