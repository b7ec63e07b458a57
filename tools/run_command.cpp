// `bulkhead run MODULE.elf`: runs one module image and passes its exit code through.
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/gdbstub/kernel_target.hpp"
#include "bulkhead/gdbstub/server.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/loader/elf.hpp"
#include "bulkhead/loader/source_lines.hpp"
#include "commands.hpp"

namespace bulkhead::cli {
namespace {

struct RunArgs {
  std::string image;
  std::uint64_t max_instructions = 1'000'000'000;
  std::string cpu;
  bool protect = true;
  std::string elf_dir;
  std::uint64_t slice = 10'000;
  int gdb_port = -1;  // --gdb PORT (0: any free port); -1: no debugger
};

int exit_status(const kernel_shim::ModuleResult& r) {
  switch (r.outcome) {
    case kernel_shim::Outcome::Exited:
      return r.exit_code & 0xFF;
    case kernel_shim::Outcome::BudgetExhausted:
      return kExitBudget;
    case kernel_shim::Outcome::UnknownTrap:
      return kExitTrap;
    case kernel_shim::Outcome::Halted:
    case kernel_shim::Outcome::Deadlocked:
      return kExitHalted;
    case kernel_shim::Outcome::Stopped:
      return kExitStopped;
    case kernel_shim::Outcome::Faulted:
      switch (r.fault->kind) {
        case FaultKind::UsageFault:
        case FaultKind::IllegalInstruction:
          return kExitIllegal;
        case FaultKind::Breakpoint:
          return kExitTrap;
        default:
          return kExitMemoryFault;
      }
  }
  return kExitUsage;
}

// Console output of a system, one line at a time, prefixed with the partition's name.
class PrefixedConsole {
 public:
  void write(std::string_view partition, std::string_view text) {
    std::string& pending = pending_[std::string(partition)];
    pending += text;
    std::size_t nl = 0;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::cout << "[" << partition << "] " << pending.substr(0, nl + 1);
      pending.erase(0, nl + 1);
    }
    std::cout << std::flush;
  }
  void flush() {
    for (auto& [name, pending] : pending_)
      if (!pending.empty()) std::cout << "[" << name << "] " << pending << "\n";
    pending_.clear();
    std::cout << std::flush;
  }

 private:
  std::map<std::string, std::string> pending_;
};

int run_layout(const RunArgs& args) {
  layout::ParseOptions options;
  if (!args.elf_dir.empty()) options.elf_dir = args.elf_dir;
  const layout::CheckResult checked = layout::check_layout(layout::parse_layout_file(args.image, options));
  if (!checked.ok()) {
    for (const auto& d : checked.diagnostics)
      if (d.severity == layout::Severity::Error) std::cerr << "bulkhead: " << d.message << "\n";
    std::cerr << "bulkhead: " << args.image << ": the layout does not check (see bulkhead check)\n";
    return kExitInvalid;
  }
  PrefixedConsole console;
  kernel_shim::System system(checked,
                             [&](std::string_view p, std::string_view text) { console.write(p, text); });
  kernel_shim::SystemOptions options_run;
  options_run.slice = args.slice;
  options_run.max_instructions = args.max_instructions;
  const auto results = system.run(options_run);
  console.flush();
  int status = 0;
  for (const auto& r : results) {
    std::cerr << "bulkhead: partition `" << r.name << "`: " << kernel_shim::to_string(r.result.outcome);
    if (r.result.outcome == kernel_shim::Outcome::Exited) std::cerr << " with " << r.result.exit_code;
    std::cerr << " after " << r.result.instructions << " instructions, " << r.result.syscalls << " syscalls, "
              << r.scheduled << " turns";
    if (!r.result.report.empty()) std::cerr << ": " << r.result.report;
    std::cerr << "\n";
    if (status == 0) status = exit_status(r.result);
  }
  return status;
}

// --gdb: the module starts stopped at its entry and runs under the debugger's control (gdbstub/). nullopt:
// the debugger killed it before it ended.
std::optional<kernel_shim::ModuleResult> debug(kernel_shim::Kernel& kernel, const RunArgs& args) {
  gdbstub::KernelTarget target(kernel, std::filesystem::path(args.image).filename().string(),
                               args.max_instructions);
  gdbstub::ServerOptions options;
  options.port = static_cast<std::uint16_t>(args.gdb_port);
  options.on_listening = [](std::uint16_t port) {
    std::cerr << "bulkhead: waiting for GDB on 127.0.0.1:" << port << "\n" << std::flush;
  };
  const gdbstub::SessionEnd end = gdbstub::serve(target, options);
  if (end == gdbstub::SessionEnd::Detached) return target.finish();
  return target.result();
}

int run(const RunArgs& args) {
  if (args.image.size() > 5 && args.image.ends_with(".toml")) {
    if (args.gdb_port >= 0) {
      std::cerr << "bulkhead: --gdb debugs a single module ELF; layouts are not supported yet\n";
      return kExitUsage;
    }
    return run_layout(args);
  }
  loader::Image image = loader::load_elf(args.image);
  emu::CpuProfile profile = emu::default_profile(image.arch);
  if (!args.cpu.empty()) profile = *emu::parse_profile(args.cpu);

  kernel_shim::Kernel kernel(image, profile, [](std::string_view text) { std::cout << text << std::flush; });
  kernel.set_source_lines(loader::SourceLines::open(args.image));
  if (args.protect) kernel.protect_image();
  kernel_shim::ModuleResult result;
  if (args.gdb_port >= 0) {
    auto debugged = debug(kernel, args);
    if (!debugged) {
      std::cerr << "bulkhead: killed by the debugger\n";
      return kExitHalted;  // 128 + SIGKILL
    }
    result = std::move(*debugged);
  } else {
    result = kernel.run(args.max_instructions);
  }
  std::cout.flush();
  if (result.outcome != kernel_shim::Outcome::Exited) std::cerr << "bulkhead: " << result.report << "\n";
  return exit_status(result);
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a module ELF, or every partition of a layout (.toml); exits with the module's exit code");
  cmd->add_option("image", args->image, "Module ELF (Arm M-profile or RV32), or a layout file (.toml)")
      ->required();
  cmd->add_option("--max-instructions", args->max_instructions, "Stop after this many guest instructions")
      ->capture_default_str();
  cmd->add_option("--cpu", args->cpu, "CPU profile (default: from the ELF)")
      ->check(CLI::IsMember({"cortex-m4", "cortex-m33", "rv32imac"}));
  cmd->add_option("--elf-dir", args->elf_dir, "With a layout: resolve relative module paths against DIR");
  cmd->add_option("--slice", args->slice, "With a layout: guest instructions per scheduling turn")
      ->capture_default_str();
  cmd->add_option(
         "--gdb", args->gdb_port,
         "Serve GDB's remote protocol on 127.0.0.1:PORT (0: any free port); the module starts stopped "
         "at its entry")
      ->check(CLI::Range(0, 65535));
  cmd->add_flag("!--no-protection", args->protect,
                "Run without the MPU/PMP (by default the module may touch only its own segments, with their "
                "ELF permissions)");
  cmd->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace bulkhead::cli
