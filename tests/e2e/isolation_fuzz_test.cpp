// The randomised isolation test: random layouts of several prober modules (firmware_samples/systems/
// prober.c), each with a random pool and random shares of the others' pools, run across many context
// switches with the isolation oracle on. Every prober logs each access it makes; under the audit policy the
// kernel records every access the partition's programming refuses. The recorded set must be exactly the set
// the layout predicts: nothing refused that the layout grants, nothing let through that it does not.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"

namespace bulkhead::kernel_shim {
namespace {

struct Target {
  const char* arch;
  const char* suffix;
  std::uint32_t flash, ram;
  const char* unit;
  int kernel_index;
};

constexpr Target kTargets[] = {
    {"armv7m", "cortex-m4", 0x0800'0000, 0x2000'0000, "arch = \"armv7m\"\nregions = 8\nmin_region_size = 32",
     0},
    {"armv8m", "cortex-m33", 0x0800'0000, 0x2000'0000, "arch = \"armv8m\"\nregions = 8", 0},
    {"rv32", "rv32imac", 0x8000'0000, 0x8010'0000, "arch = \"rv32\"\nentries = 16\ngranularity = 0", 15},
};

std::string hex(std::uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// A random layout of `n` probers in slots 0..n-1: code and data as the samples have them, a pool of 256 B to
// 4 KiB at +8 KiB in the slot's RAM, and up to three shares of other probers' pools, read-only or read-write.
std::string random_layout(const Target& t, int n, std::mt19937& rng) {
  std::ostringstream s;
  s << "name = \"random\"\n[target]\n" << t.unit << "\n";
  s << "[[target.memory]]\nname = \"flash\"\nkind = \"flash\"\nbase = " << hex(t.flash)
    << "\nsize = \"1 MiB\"\n";
  s << "[[target.memory]]\nname = \"ram\"\nkind = \"ram\"\nbase = " << hex(t.ram) << "\nsize = \"1 MiB\"\n";
  s << "[[target.reserved]]\nindex = " << t.kernel_index
    << "\nname = \"kernel\"\nbase = " << hex(t.ram + 0xF'0000) << "\nsize = \"64 KiB\"\naccess = \"rw\"\n";
  for (int k = 0; k < n; ++k) {
    const std::uint32_t slot = static_cast<std::uint32_t>(k) * 0x10000;
    s << "[[partition]]\nname = \"p" << k << "\"\nelf = \"" << BULKHEAD_FIRMWARE_DIR << "/prober_" << k << "-"
      << t.suffix << ".elf\"\nfault = \"audit\"\n";
    s << "  [[partition.region]]\n  name = \"code\"\n  kind = \"code\"\n  base = " << hex(t.flash + slot)
      << "\n  size = \"64 KiB\"\n";
    s << "  [[partition.region]]\n  name = \"data\"\n  kind = \"data\"\n  base = " << hex(t.ram + slot)
      << "\n  size = \"8 KiB\"\n";
    const std::uint32_t pool = 0x100u << std::uniform_int_distribution<int>(0, 4)(rng);
    s << "  [[partition.region]]\n  name = \"pool\"\n  kind = \"shared\"\n  base = "
      << hex(t.ram + slot + 0x2000) << "\n  size = " << hex(pool) << "\n";
    std::vector<int> others;
    for (int j = 0; j < n; ++j)
      if (j != k) others.push_back(j);
    std::shuffle(others.begin(), others.end(), rng);
    const int shares =
        std::uniform_int_distribution<int>(0, std::min<int>(3, static_cast<int>(others.size())))(rng);
    for (int i = 0; i < shares; ++i)
      s << "  [[partition.share]]\n  partition = \"p" << others[static_cast<std::size_t>(i)]
        << "\"\n  region = \"pool\"\n  access = \"" << (rng() % 2 ? "rw" : "r") << "\"\n";
  }
  return s.str();
}

bool granted(const layout::CompiledPartition& cp, Access a, std::uint32_t addr) {
  const Perms need = a == Access::Write ? Perms::W : Perms::R;
  for (const auto& g : cp.grants) {
    Perms p = g.perms;
    if (has(p, Perms::X)) p = p | Perms::R;
    if (g.range.contains(AddressRange{addr, 4}) && has(p, need)) return true;
  }
  return false;
}

TEST(IsolationFuzz, AuditedAccessesAreExactlyWhatTheLayoutsForbid) {
  const char* env = std::getenv("BULKHEAD_PROPERTY_CASES");
  const int cases = env ? std::max(1, std::atoi(env) / 100) : 4;  // per target
  std::mt19937 rng(20261122);
  int systems = 0, accesses = 0, forbidden = 0;
  std::uint64_t switches = 0;
  for (const Target& t : kTargets) {
    for (int c = 0; c < cases; ++c) {
      const int n = std::uniform_int_distribution<int>(2, 8)(rng);
      const std::string text = random_layout(t, n, rng);
      const layout::CheckResult checked =
          layout::check_layout(layout::parse_layout(text, "random.toml", "."));
      ASSERT_TRUE(checked.ok()) << text
                                << (checked.diagnostics.empty() ? "" : checked.diagnostics[0].message);
      std::map<std::string, std::string> out;
      System system(checked, [&](std::string_view p, std::string_view s) { out[std::string(p)] += s; });
      SystemOptions options;
      options.slice = std::uniform_int_distribution<std::uint64_t>(20, 2000)(rng);
      options.check_isolation = true;
      for (int k = 0; k < n; ++k)
        options.input["p" + std::to_string(k)] = std::to_string(rng() % 100000) + "\n";
      const auto results = system.run(options);  // throws IsolationError if a switch leaves too much granted
      switches += system.context_switches();
      ++systems;
      for (std::size_t k = 0; k < results.size(); ++k) {
        const PartitionResult& r = results[k];
        SCOPED_TRACE(t.arch + std::string(" ") + r.name + " slice " + std::to_string(options.slice));
        ASSERT_EQ(r.result.outcome, Outcome::Exited) << r.result.report;
        // Predicted from the layout: every logged access the partition's grants do not cover.
        std::map<std::pair<Access, std::uint32_t>, std::uint64_t> predicted;
        std::istringstream log(out[r.name]);
        int lines = 0;
        for (std::string line; std::getline(log, line); ++lines) {
          ASSERT_EQ(line.size(), 10u) << line;
          const Access a = line[0] == 'W' ? Access::Write : Access::Read;
          const auto addr = static_cast<std::uint32_t>(std::stoul(line.substr(2), nullptr, 16));
          if (!granted(checked.partitions[k], a, addr)) ++predicted[{a, addr}];
        }
        EXPECT_EQ(lines, 160);
        accesses += lines;
        std::map<std::pair<Access, std::uint32_t>, std::uint64_t> audited;
        for (const AuditRecord& rec : r.audited) audited[{rec.access, rec.address}] += rec.count;
        EXPECT_EQ(audited, predicted);
        for (const auto& [key, count] : predicted) forbidden += static_cast<int>(count);
      }
    }
  }
  // The test means something only if both kinds of access happened in numbers, across many switches.
  EXPECT_GT(forbidden, accesses / 10);
  EXPECT_LT(forbidden, accesses * 9 / 10);
  EXPECT_GT(switches, static_cast<std::uint64_t>(systems) * 10);
  std::printf("%d systems, %d accesses (%d forbidden), %llu context switches\n", systems, accesses, forbidden,
              static_cast<unsigned long long>(switches));
}

}  // namespace
}  // namespace bulkhead::kernel_shim
