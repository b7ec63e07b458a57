// Address -> source line, from the DWARF line tables of an ELF (elfutils libdw).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace bulkhead::loader {

struct SourceLocation {
  std::string file;  // as recorded in the line table (usually absolute, or relative to the build dir)
  int line = 0;
};

class SourceLines {
 public:
  // nullopt when the file cannot be read (same size limit as load_elf), is not an ELF, or has no DWARF
  // line information. Never throws for a bad file; the reason is logged at debug level.
  static std::optional<SourceLines> open(const std::filesystem::path& path);

  SourceLines(SourceLines&&) noexcept;
  SourceLines& operator=(SourceLines&&) noexcept;
  ~SourceLines();

  // The line-table row covering `addr` (an instruction address; Arm: Thumb bit already cleared).
  std::optional<SourceLocation> locate(std::uint32_t addr) const;
  // "file:line" for `addr`, or nullopt.
  std::optional<std::string> lookup(std::uint32_t addr) const;

 private:
  struct Impl;
  explicit SourceLines(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulkhead::loader
