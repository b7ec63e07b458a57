// Helpers for the layout tests: check a layout given as TOML text, find diagnostics, read a map back.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/encode.hpp"
#include "bulkhead/layout/layout.hpp"

namespace bulkhead::layout::test {

inline std::string firmware_dir() {
#ifdef FIRMWARE_DIR
  return FIRMWARE_DIR;
#else
  return ".";
#endif
}

inline CheckResult check_text(const std::string& toml) {
  return check_layout(parse_layout(toml, "t.toml", firmware_dir()));
}

// The first diagnostic with `code`, or nullptr.
inline const Diagnostic* find(const CheckResult& r, const std::string& code) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.code == code) return &d;
  }
  return nullptr;
}

inline std::string all_messages(const CheckResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.code + ": " + d.message + "\n";
  return out;
}

// An ARMv7-M target with flash, RAM and peripherals, and region 0 for the kernel.
inline std::string v7_target(int regions = 8) {
  return R"([target]
arch = "armv7m"
regions = )" +
         std::to_string(regions) +
         R"(
[[target.memory]]
name = "flash"
kind = "flash"
base = 0x0800_0000
size = "1 MiB"
[[target.memory]]
name = "ram"
kind = "ram"
base = 0x2000_0000
size = "256 KiB"
[[target.memory]]
name = "apb"
kind = "peripheral"
base = 0x4000_0000
size = "128 KiB"
[[target.reserved]]
index = 0
name = "kernel"
)";
}

}  // namespace bulkhead::layout::test

namespace bulkhead::layout::test {

// Encodes `grants` into `slots`, loads the programming into a fresh model, reads the unprivileged map of the
// whole 4 GiB back and compares it with the grants byte range by byte range. "" when they agree.
inline std::string verify_encoding(const UnitConfig& unit, const std::vector<Grant>& grants,
                                   const Encoding& e) {
  auto model = make_unit(unit);
  if (!apply(e.programming, *model)) return "apply refused the programming";
  const std::vector<MapPiece> map =
      effective_map(*model, {0, std::uint64_t{1} << 32}, Privilege::Unprivileged);
  for (const MapPiece& m : map) {
    // Every byte of the piece must be granted exactly m.perms.
    std::uint64_t at = m.range.base;
    while (at < m.range.end()) {
      Perms want = Perms::None;
      std::uint64_t next = m.range.end();
      for (const Grant& g : grants) {
        if (g.range.contains(at)) {
          want = g.perms;
          next = std::min(next, g.range.end());
        } else if (g.range.base > at) {
          next = std::min(next, g.range.base);
        }
      }
      if (want != m.perms) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "model grants %s at 0x%llx..0x%llx, wanted %s",
                      to_string(m.perms).c_str(), static_cast<unsigned long long>(at),
                      static_cast<unsigned long long>(next), to_string(want).c_str());
        return buf;
      }
      at = next;
    }
  }
  return "";
}

}  // namespace bulkhead::layout::test
