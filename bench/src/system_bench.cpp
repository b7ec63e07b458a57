#include "system_bench.hpp"

#include <chrono>
#include <sstream>
#include <stdexcept>

#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"

namespace bulkhead::bench {
namespace {

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// bench_switch is linked at the profile's flash/RAM (firmware_samples/CMakeLists.txt), its copy 128 KiB up.
std::string layout_text(emu::CpuProfile profile, const std::filesystem::path& dir) {
  const bool rv = profile == emu::CpuProfile::Rv32imac;
  const std::uint32_t flash = rv ? 0x8000'0000 : 0x0800'0000;
  const std::uint32_t ram = rv ? 0x8010'0000 : 0x2000'0000;
  const std::string name(emu::to_string(profile));
  std::ostringstream s;
  s << "name = \"bench_switch pair\"\n[target]\n";
  if (profile == emu::CpuProfile::CortexM4) s << "arch = \"armv7m\"\nregions = 8\n";
  if (profile == emu::CpuProfile::CortexM33) s << "arch = \"armv8m\"\nregions = 8\n";
  if (rv) s << "arch = \"rv32\"\nentries = 16\n";
  s << "[[target.memory]]\nname = \"flash\"\nkind = \"flash\"\nbase = " << hex(flash)
    << "\nsize = \"1 MiB\"\n";
  s << "[[target.memory]]\nname = \"ram\"\nkind = \"ram\"\nbase = " << hex(ram) << "\nsize = \"1 MiB\"\n";
  for (int k = 0; k < 2; ++k) {
    const std::uint32_t off = k == 0 ? 0 : 0x20000;
    s << "[[partition]]\nname = \"" << (k == 0 ? "a" : "b") << "\"\nelf = \""
      << (dir / ((k == 0 ? "bench_switch-" : "bench_switch_b-") + name + ".elf")).string() << "\"\n";
    s << "  [[partition.region]]\n  name = \"code\"\n  kind = \"code\"\n  base = " << hex(flash + off)
      << "\n  size = \"64 KiB\"\n";
    s << "  [[partition.region]]\n  name = \"data\"\n  kind = \"data\"\n  base = " << hex(ram + off)
      << "\n  size = \"16 KiB\"\n";
  }
  return s.str();
}

}  // namespace

SystemTiming time_system(emu::CpuProfile profile, const std::filesystem::path& firmware_dir,
                         std::uint64_t slice, std::uint64_t instructions) {
  const layout::CheckResult checked =
      layout::check_layout(layout::parse_layout(layout_text(profile, firmware_dir), "bench.toml", "."));
  if (!checked.ok())
    throw std::runtime_error("bench_switch layout: " + (checked.diagnostics.empty()
                                                            ? std::string("invalid")
                                                            : checked.diagnostics[0].message));
  kernel_shim::System system(checked, [](std::string_view, std::string_view) {});
  kernel_shim::SystemOptions options;
  options.slice = slice;
  options.max_instructions = instructions;
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = system.run(options);
  const auto t1 = std::chrono::steady_clock::now();
  SystemTiming t;
  t.slice = slice;
  t.seconds = std::chrono::duration<double>(t1 - t0).count();
  for (const auto& r : results) {
    if (r.result.outcome != kernel_shim::Outcome::BudgetExhausted)
      throw std::runtime_error("bench_switch partition `" + r.name + "` ended: " + r.result.report);
    t.instructions += r.result.instructions;
  }
  t.switches = system.context_switches();
  return t;
}

}  // namespace bulkhead::bench
