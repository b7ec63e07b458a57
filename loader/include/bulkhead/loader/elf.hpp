// ELF32 little-endian executables for Arm M-profile and RV32, loaded with elfutils' libelf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>

#include "bulkhead/loader/image.hpp"

namespace bulkhead::loader {

// A host/configuration error: the image cannot be used. what() is "<file>: <defect>".
class LoadError : public std::runtime_error {
 public:
  LoadError(std::string file, std::string defect);
  const std::string& file() const { return file_; }
  const std::string& defect() const { return defect_; }

 private:
  std::string file_;
  std::string defect_;
};

// Limits that keep hostile input from costing memory or time. The defaults fit any MCU firmware.
struct LoadOptions {
  std::size_t max_file_size = 64u << 20;       // bytes read from disk
  std::uint64_t max_total_memsz = 256u << 20;  // sum of p_memsz over PT_LOAD segments
  std::size_t max_program_headers = 64;
};

// Reads and validates an ELF executable. Throws LoadError naming the file and the defect when the file is
// missing, unreadable, too large, not a 32-bit little-endian Arm/RISC-V ET_EXEC, or its segments are
// inconsistent (filesz > memsz, outside the file, outside 32-bit space, overlapping, over the memory limit),
// or its entry point is not an executable address (Arm: not a Thumb address). A missing or corrupt
// section header table / .symtab is not an error: the image loads without symbols and a warning is logged.
// Never allocates more than the file size plus the segments' file bytes.
Image load_elf(const std::filesystem::path& path, const LoadOptions& options = {});

// The same checks on an in-memory image; `name` is what error messages and Image::path call it.
Image load_elf_bytes(std::span<const std::uint8_t> bytes, std::string name, const LoadOptions& options = {});

}  // namespace bulkhead::loader
