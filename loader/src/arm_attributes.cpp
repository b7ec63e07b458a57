// Tag_CPU_arch from the .ARM.attributes section. The format is in "Addenda to, and Errata in, the ABI for
// the Arm Architecture" (IHI 0045), section 2.2; libelf does not decode it, so this is a small bounded
// parser.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include <gelf.h>

#include "bulkhead/core/log.hpp"
#include "elf_internal.hpp"

namespace bulkhead::loader::detail {
namespace {

// IHI 0045 2.2.3 / 3.3.5.2: attribute tags and Tag_CPU_arch values.
constexpr std::uint64_t Tag_File = 1;
constexpr std::uint64_t Tag_CPU_raw_name = 4;
constexpr std::uint64_t Tag_CPU_name = 5;
constexpr std::uint64_t Tag_CPU_arch = 6;
constexpr std::uint64_t Tag_CPU_arch_profile = 7;
constexpr std::uint64_t Tag_compatibility = 32;
constexpr std::uint64_t CpuArch_v6M = 11;
constexpr std::uint64_t CpuArch_v6SM = 12;
constexpr std::uint64_t CpuArch_v7EM = 13;
constexpr std::uint64_t CpuArch_v8M_base = 16;
constexpr std::uint64_t CpuArch_v8M_main = 17;
constexpr std::uint64_t CpuArch_v81M_main = 21;

// A read cursor that refuses to move past its end.
class Cursor {
 public:
  Cursor(const unsigned char* p, std::size_t n) : p_(p), end_(p + n) {}
  bool done() const { return p_ >= end_; }
  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
  const unsigned char* pos() const { return p_; }

  std::optional<std::uint32_t> u32() {
    if (left() < 4) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p_[i];  // little-endian, checked by the loader
    p_ += 4;
    return v;
  }
  std::optional<std::uint64_t> uleb() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && !done(); shift += 7) {
      const unsigned char b = *p_++;
      v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80u) == 0) return v;
    }
    return std::nullopt;
  }
  bool skip_ntbs() {
    const void* nul = std::memchr(p_, 0, left());
    if (nul == nullptr) return false;
    p_ = static_cast<const unsigned char*>(nul) + 1;
    return true;
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

struct CpuArch {
  std::optional<std::uint64_t> arch;
  std::optional<std::uint64_t> profile;
};

// Skips one attribute's value; IHI 0045 2.2.6: tags >= 32 carry an NTBS when odd, a ULEB128 when even.
bool skip_value(Cursor& c, std::uint64_t tag) {
  if (tag == Tag_CPU_raw_name || tag == Tag_CPU_name) return c.skip_ntbs();
  if (tag == Tag_compatibility) return c.uleb().has_value() && c.skip_ntbs();
  if (tag >= 32 && (tag & 1u) != 0) return c.skip_ntbs();
  return c.uleb().has_value();
}

// Parses the file-scope attributes of the "aeabi" vendor subsection.
std::optional<CpuArch> parse(Cursor c) {
  if (c.done() || *c.pos() != 'A') return std::nullopt;  // format-version
  c = Cursor(c.pos() + 1, c.left() - 1);
  CpuArch out;
  while (!c.done()) {
    const unsigned char* sub_start = c.pos();
    const auto len = c.u32();
    if (!len || *len < 4 || *len - 4 > c.left()) return std::nullopt;
    Cursor sub(c.pos(), *len - 4);
    c = Cursor(sub_start + *len, c.left() - (*len - 4));
    const std::string_view vendor(reinterpret_cast<const char*>(sub.pos()),
                                  strnlen(reinterpret_cast<const char*>(sub.pos()), sub.left()));
    if (!sub.skip_ntbs()) return std::nullopt;
    if (vendor != "aeabi") continue;
    while (!sub.done()) {
      const unsigned char* scope_start = sub.pos();
      const auto scope = sub.uleb();
      const auto size = sub.u32();
      const auto header = static_cast<std::size_t>(sub.pos() - scope_start);
      if (!scope || !size || *size < header || *size - header > sub.left()) return std::nullopt;
      Cursor attrs(sub.pos(), *size - header);
      sub = Cursor(scope_start + *size, sub.left() - (*size - header));
      if (*scope != Tag_File) continue;  // section/symbol scope attributes do not describe the image
      while (!attrs.done()) {
        const auto tag = attrs.uleb();
        if (!tag) return std::nullopt;
        if (*tag == Tag_CPU_arch || *tag == Tag_CPU_arch_profile) {
          const auto v = attrs.uleb();
          if (!v) return std::nullopt;
          (*tag == Tag_CPU_arch ? out.arch : out.profile) = *v;
        } else if (!skip_value(attrs, *tag)) {
          return std::nullopt;
        }
      }
    }
  }
  return out;
}

}  // namespace

Arch arm_arch_from_attributes(Elf* elf, std::span<const char> file, const std::string& name) {
  auto log = bulkhead::log::get("loader");
  std::size_t shnum = 0;
  if (elf_getshdrnum(elf, &shnum) != 0) shnum = 0;
  for (std::size_t i = 1; i < shnum; ++i) {
    const auto sh = section_header(elf, i);
    if (!sh || sh->sh_type != SHT_ARM_ATTRIBUTES) continue;
    if (!in_file(sh->sh_offset, sh->sh_size, file.size())) {
      log->warn("{}: .ARM.attributes (section {}) lies outside the file; assuming ArmV7M", name, i);
      return Arch::ArmV7M;
    }
    const auto cpu =
        parse(Cursor(reinterpret_cast<const unsigned char*>(file.data()) + sh->sh_offset, sh->sh_size));
    if (!cpu) {
      log->warn("{}: .ARM.attributes (section {}) is malformed; assuming ArmV7M", name, i);
      return Arch::ArmV7M;
    }
    if (cpu->profile && *cpu->profile != 'M' && *cpu->profile != 0) {
      log->warn("{}: Tag_CPU_arch_profile is '{}', not M; treating it as an M-profile image", name,
                static_cast<char>(*cpu->profile));
    }
    if (!cpu->arch) {
      log->info("{}: no Tag_CPU_arch in .ARM.attributes; assuming ArmV7M", name);
      return Arch::ArmV7M;
    }
    switch (*cpu->arch) {
      case CpuArch_v8M_base:
      case CpuArch_v8M_main:
      case CpuArch_v81M_main:
        return Arch::ArmV8M;
      case CpuArch_v6M:
      case CpuArch_v6SM:
      case CpuArch_v7EM:
        return Arch::ArmV7M;
      default:
        // v7 with profile M is Cortex-M3; anything else is not an M-profile core but is treated as one.
        if (!(*cpu->arch == 10 && cpu->profile == 'M')) {
          log->warn("{}: Tag_CPU_arch {} is not an M-profile architecture; treating it as ArmV7M", name,
                    *cpu->arch);
        }
        return Arch::ArmV7M;
    }
  }
  log->info("{}: no .ARM.attributes section; assuming ArmV7M", name);
  return Arch::ArmV7M;
}

}  // namespace bulkhead::loader::detail
