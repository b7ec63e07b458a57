// `bulkhead run MODULE.elf`: runs one module image and passes its exit code through.
#include <iostream>
#include <string>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
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
      return kExitHalted;
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

int run(const RunArgs& args) {
  loader::Image image = loader::load_elf(args.image);
  emu::CpuProfile profile = emu::default_profile(image.arch);
  if (!args.cpu.empty()) profile = *emu::parse_profile(args.cpu);

  kernel_shim::Kernel kernel(image, profile, [](std::string_view text) { std::cout << text << std::flush; });
  kernel.set_source_lines(loader::SourceLines::open(args.image));
  if (args.protect) kernel.protect_image();
  kernel_shim::ModuleResult result = kernel.run(args.max_instructions);
  std::cout.flush();
  if (result.outcome != kernel_shim::Outcome::Exited) std::cerr << "bulkhead: " << result.report << "\n";
  return exit_status(result);
}

}  // namespace

void add_run_command(CLI::App& app, Action& action) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a module ELF; exits with the module's exit code");
  cmd->add_option("image", args->image, "Module ELF (Arm M-profile or RV32)")->required();
  cmd->add_option("--max-instructions", args->max_instructions, "Stop after this many guest instructions")
      ->capture_default_str();
  cmd->add_option("--cpu", args->cpu, "CPU profile (default: from the ELF)")
      ->check(CLI::IsMember({"cortex-m4", "cortex-m33", "rv32imac"}));
  cmd->add_flag("!--no-protection", args->protect,
                "Run without the MPU/PMP (by default the module may touch only its own segments, with their "
                "ELF permissions)");
  cmd->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace bulkhead::cli
