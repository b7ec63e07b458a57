// `bulkhead decide DUMP.json`: replays a register dump into a protection model and prints the verdict for
// each access. Firmware engineers use it to see what a task may touch; tests use it as an oracle interface.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"
#include "commands.hpp"
#include "decide_input.hpp"
#include "decide_output.hpp"

namespace bulkhead::cli {
namespace {

struct DecideArgs {
  std::string dump;
  std::vector<std::string> accesses;
  bool json = false;
  bool regions = false;
};

std::string read_input(const std::string& path) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw decide::InputError(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  // fopen succeeds on a directory; the read is what fails (EISDIR).
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  if (f != stdin) std::fclose(f);
  if (failed) throw decide::InputError(path + ": cannot read: " + std::strerror(err));
  return text;
}

// The model with every write applied in order, as firmware would have left it.
struct Unit {
  std::unique_ptr<ProtectionUnit> unit;
  mpu::ArmMpu* arm = nullptr;  // for the Arm-only entry points
};

Unit build_unit(const decide::Dump& dump) {
  Unit u;
  if (dump.model == decide::Model::Pmp) {
    auto pmp = std::make_unique<pmp::RiscvPmp>(dump.pmp);
    for (const decide::Write& w : dump.writes) {
      // write_csr refuses CSRs this configuration lacks (the hart would raise illegal-instruction): a dump
      // that writes one does not describe this hart.
      if (!pmp->write_csr(static_cast<std::uint16_t>(w.target), w.value)) {
        throw decide::InputError(
            w.path + "/csr: " + decide::pmp_csr_name(static_cast<std::uint16_t>(w.target)) +
            " does not exist with these options (entries=" + std::to_string(dump.pmp.entries) +
            (dump.pmp.smepmp ? "" : ", smepmp=false") + ")");
      }
    }
    u.unit = std::move(pmp);
    return u;
  }
  std::unique_ptr<mpu::ArmMpu> arm;
  if (dump.model == decide::Model::Pmsav7) {
    arm = std::make_unique<mpu::ArmMpuV7>(dump.v7);
  } else {
    arm = std::make_unique<mpu::ArmMpuV8>(dump.v8);
  }
  for (const decide::Write& w : dump.writes) arm->write(w.target, w.value);
  arm->set_negative_priority(dump.negative_priority);
  u.arm = arm.get();
  u.unit = std::move(arm);
  return u;
}

decide::Decision decide_one(const Unit& u, const decide::AccessRequest& a) {
  decide::Decision d;
  d.request = a;
  d.verdict = a.vector_table ? u.arm->check_vector_table_read(a.address, a.size)
                             : u.unit->check(a.address, a.size, a.access, a.privilege);
  if (!d.verdict.allowed) d.syndrome = u.unit->syndrome(d.verdict, a.access, a.address);
  return d;
}

// Runs `step`, naming the dump file in front of any JSON path its errors carry.
template <typename F>
auto in_file(const std::string& file, F step) {
  try {
    return step();
  } catch (const decide::InputError& e) {
    throw decide::InputError((file == "-" ? std::string("<stdin>") : file) + ": " + e.what());
  }
}

int decide_command(const DecideArgs& args) {
  const std::string text = read_input(args.dump);
  decide::Dump dump = in_file(args.dump, [&] { return decide::parse_dump(text); });
  for (const std::string& arg : args.accesses) {
    dump.accesses.push_back(decide::parse_access_arg(arg, dump.model));
  }
  const Unit u = in_file(args.dump, [&] { return build_unit(dump); });

  std::string out;
  if (args.regions) {
    const std::vector<RegionInfo> rows = u.unit->regions();
    if (args.json) {
      out += decide::format_regions_json(rows) + "\n";
    } else {
      for (const RegionInfo& r : rows) out += decide::format_region_text(r, dump.model) + "\n";
    }
  }
  for (const decide::AccessRequest& a : dump.accesses) {
    const decide::Decision d = decide_one(u, a);
    out += (args.json ? decide::format_json(d, dump.model) : decide::format_text(d, dump.model)) + "\n";
  }
  std::cout << out << std::flush;
  return 0;
}

}  // namespace

void add_decide_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<DecideArgs>();
  CLI::App* cmd = app.add_subcommand(
      "decide", "Replay an MPU/PMP register dump and print the verdict for each access (docs/decide.md)");
  cmd->add_option("dump", args->dump, "Register dump (JSON); - reads standard input")->required();
  cmd->add_option(
         "--access", args->accesses,
         "Another access, ADDRESS:SIZE:ACCESS:PRIVILEGE[:vector_table], e.g. 0x20000010:4:read:unprivileged")
      ->allow_extra_args(false);  // one access per --access, so the flag repeats
  cmd->add_flag("--json", args->json, "One JSON object per line instead of text");
  cmd->add_flag("--regions", args->regions, "Print the decoded region/entry table first");
  cmd->callback([&action, args] { action = [args] { return decide_command(*args); }; });
}

}  // namespace bulkhead::cli
