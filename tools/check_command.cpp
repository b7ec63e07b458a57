// `bulkhead check LAYOUT.toml`: places, compiles and validates a partition layout, prints the isolation
// matrix read back through the protection model, and optionally an SVG memory map and one probed access.
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "check_report.hpp"
#include "commands.hpp"
#include "decide_json.hpp"

namespace bulkhead::cli {
namespace {

struct CheckArgs {
  std::string layout;
  bool json = false;
  std::string svg;
  std::vector<std::string> probe;
  std::string elf_dir;
};

std::uint32_t parse_u32(const std::string& text, const std::string& what) {
  std::uint64_t v = 0;
  bool overflow = false;
  if (!decide::parse_uint_text(text, v, overflow) || v > 0xFFFF'FFFFu) {
    throw std::runtime_error("--probe " + what + ": \"" + text +
                             "\" is not a 32-bit number (decimal or 0x hex)");
  }
  return static_cast<std::uint32_t>(v);
}

check::Probe run_probe(const layout::CheckResult& r, const std::vector<std::string>& args) {
  check::Probe probe;
  probe.partition = args[0];
  int index = -1;
  for (std::size_t i = 0; i < r.partitions.size(); ++i) {
    if (r.partitions[i].name == args[0]) index = static_cast<int>(i);
  }
  if (index < 0) throw std::runtime_error("--probe: the layout has no partition `" + args[0] + "`");
  decide::AccessRequest& a = probe.decision.request;
  a.address = parse_u32(args[1], "ADDR");
  if (args[2] == "read") {
    a.access = Access::Read;
  } else if (args[2] == "write") {
    a.access = Access::Write;
  } else if (args[2] == "execute") {
    a.access = Access::Execute;
  } else {
    throw std::runtime_error("--probe ACCESS: must be read, write or execute, got \"" + args[2] + "\"");
  }
  a.size = args.size() > 3 ? parse_u32(args[3], "SIZE") : 4;
  if (a.size < 1 || a.size > 8) throw std::runtime_error("--probe SIZE: must be 1..8, got " + args[3]);
  a.privilege = Privilege::Unprivileged;
  a.privilege_name = "unprivileged";
  const auto unit = layout::programmed_unit(r, index);
  if (!unit) {
    throw std::runtime_error("--probe: partition `" + args[0] +
                             "` could not be compiled, so there is nothing to probe");
  }
  probe.decision.verdict = unit->check(a.address, a.size, a.access, a.privilege);
  if (!probe.decision.verdict.allowed) {
    probe.decision.syndrome = unit->syndrome(probe.decision.verdict, a.access, a.address);
  }
  for (const layout::CompiledPartition& p : r.partitions) {
    for (const layout::PlacedRegion& reg : p.regions) {
      if (reg.range.contains(a.address))
        probe.where = "partition `" + p.name + "`: region `" + reg.name + "`";
    }
  }
  return probe;
}

int check_command(const CheckArgs& args) {
  layout::ParseOptions options;
  if (!args.elf_dir.empty()) options.elf_dir = args.elf_dir;
  const layout::Layout parsed = layout::parse_layout_file(args.layout, options);
  const layout::CheckResult result = layout::check_layout(parsed);
  std::optional<check::Probe> probe;
  if (!args.probe.empty()) probe = run_probe(result, args.probe);
  if (!args.svg.empty()) {
    std::ofstream out(args.svg, std::ios::binary);
    out << check::format_svg(result);
    if (!out.flush()) throw std::runtime_error(args.svg + ": cannot write the SVG");
  }
  std::cout << (args.json ? check::format_json(result, probe) : check::format_text(result, probe))
            << std::flush;
  return result.ok() ? 0 : kExitInvalid;
}

}  // namespace

void add_check_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Compile and validate a partition layout; print the isolation matrix (docs/layout.md)");
  cmd->add_option("layout", args->layout, "Layout file (TOML)")->required();
  cmd->add_flag("--json", args->json, "One JSON document instead of text");
  cmd->add_option("--svg", args->svg, "Write an SVG memory map to FILE");
  cmd->add_option("--probe", args->probe, "Decide one access by a partition: PARTITION ADDR ACCESS [SIZE]")
      ->expected(3, 4);
  cmd->add_option("--elf-dir", args->elf_dir,
                  "Resolve relative module paths against DIR (instead of the layout's elf_dir or directory)");
  cmd->callback([&action, args] { action = [args] { return check_command(*args); }; });
}

}  // namespace bulkhead::cli
