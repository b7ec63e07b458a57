// `bulkhead run MODULE.elf`: runs one module image and passes its exit code through.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/gdbstub/kernel_target.hpp"
#include "bulkhead/gdbstub/server.hpp"
#include "bulkhead/gdbstub/system_target.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"
#include "bulkhead/kernel_shim/system.hpp"
#include "bulkhead/layout/check.hpp"
#include "bulkhead/layout/layout.hpp"
#include "bulkhead/layout/tock.hpp"
#include "bulkhead/loader/elf.hpp"
#include "bulkhead/loader/source_lines.hpp"
#include "bulkhead/loader/tbf.hpp"
#include "bulkhead/trace/trace.hpp"
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
  std::uint64_t tick = 1'000;
  bool check_isolation = false;
  bool json = false;
  std::string output_dir;
  int gdb_port = -1;  // --gdb PORT (0: any free port); -1: no debugger
  std::string trace;  // --trace FILE (docs/trace.md)
  std::string trace_format = "text";
  std::vector<std::string> trace_modules;
  std::string trace_range;
};

// --trace: the writer for this run, or nullptr. Bad options are usage errors (std::invalid_argument).
std::unique_ptr<trace::Writer> make_trace(const RunArgs& args, Arch arch) {
  if (args.trace.empty()) return nullptr;
  trace::Options o;
  o.format = *trace::parse_format(args.trace_format);
  o.modules = args.trace_modules;
  if (!args.trace_range.empty()) o.range = trace::parse_range(args.trace_range);
  return std::make_unique<trace::Writer>(args.trace, std::move(o), arch);
}

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

// Console output of a system, one line at a time, prefixed with the partition's name; or, with an output
// directory, each partition's output in DIR/NAME.txt, unprefixed. With --json the prefixed lines go to stderr
// so that stdout holds only the JSON document.
class PrefixedConsole {
 public:
  PrefixedConsole(std::ostream& out, std::string dir, bool prefix = true)
      : out_(out), dir_(std::move(dir)), prefix_(prefix) {}
  void write(std::string_view partition, std::string_view text) {
    if (!dir_.empty()) {
      auto& f = files_[std::string(partition)];
      if (!f) {
        f = std::make_unique<std::ofstream>(std::filesystem::path(dir_) / (std::string(partition) + ".txt"),
                                            std::ios::binary);
        if (!*f) throw std::runtime_error("cannot write " + dir_ + "/" + std::string(partition) + ".txt");
      }
      f->write(text.data(), static_cast<std::streamsize>(text.size()));
      f->flush();
      return;
    }
    if (!prefix_) {  // one process: its output as it is
      out_ << text << std::flush;
      return;
    }
    std::string& pending = pending_[std::string(partition)];
    pending += text;
    std::size_t nl = 0;
    while ((nl = pending.find('\n')) != std::string::npos) {
      out_ << "[" << partition << "] " << pending.substr(0, nl + 1);
      pending.erase(0, nl + 1);
    }
    out_ << std::flush;
  }
  void flush() {
    for (auto& [name, pending] : pending_)
      if (!pending.empty()) out_ << "[" << name << "] " << pending << "\n";
    pending_.clear();
    out_ << std::flush;
  }

 private:
  std::ostream& out_;
  std::string dir_;
  bool prefix_ = true;
  std::map<std::string, std::string> pending_;
  std::map<std::string, std::unique_ptr<std::ofstream>> files_;
};

nlohmann::json fault_json(const Fault& f) {
  nlohmann::json j{{"kind", to_string(f.kind)},
                   {"access", to_string(f.access)},
                   {"address", f.address},
                   {"size", f.size},
                   {"pc", f.pc}};
  if (f.verdict) j["explanation"] = f.verdict->detail;
  if (f.syndrome.mmfsr || f.syndrome.mmfar) {
    j["mmfsr"] = f.syndrome.mmfsr;
    j["mmfar"] = f.syndrome.mmfar;
  }
  if (f.syndrome.mcause || f.syndrome.mtval) {
    j["mcause"] = f.syndrome.mcause;
    j["mtval"] = f.syndrome.mtval;
  }
  return j;
}

nlohmann::json summary_json(const layout::CheckResult& checked,
                            const std::vector<kernel_shim::PartitionResult>& rs,
                            const kernel_shim::System& system, int status) {
  nlohmann::json parts = nlohmann::json::array();
  for (const auto& r : rs) {
    nlohmann::json j{{"name", r.name},
                     {"outcome", kernel_shim::to_string(r.result.outcome)},
                     {"instructions", r.result.instructions},
                     {"switches", r.scheduled},
                     {"syscalls", r.result.syscalls},
                     {"faults", r.faults.size()},
                     {"restarts", r.restarts}};
    if (r.result.outcome == kernel_shim::Outcome::Exited) j["exit_code"] = r.result.exit_code;
    if (!r.result.report.empty()) j["report"] = r.result.report;
    nlohmann::json events = nlohmann::json::array();
    for (const auto& e : r.faults) {
      nlohmann::json ev = fault_json(e.fault);
      ev["policy"] = layout::to_string(e.action);
      ev["outcome"] = e.outcome;
      ev["time"] = e.time;
      ev["report"] = e.report;
      events.push_back(std::move(ev));
    }
    j["fault_events"] = std::move(events);
    nlohmann::json audited = nlohmann::json::array();
    for (const auto& a : r.audited)
      audited.push_back({{"access", to_string(a.access)},
                         {"address", a.address},
                         {"size", a.size},
                         {"pc", a.pc},
                         {"count", a.count}});
    j["audited"] = std::move(audited);
    parts.push_back(std::move(j));
  }
  nlohmann::json out{{"layout", checked.layout.file},
                     {"partitions", std::move(parts)},
                     {"context_switches", system.context_switches()},
                     {"time", system.now()},
                     {"exit_status", status}};
  const std::string audit = kernel_shim::audit_report(checked, rs);
  if (!audit.empty()) out["audit_report"] = audit;
  return out;
}

// Runs a checked layout. `single`: one Tock app run on its own (`bulkhead run app.tbf`): its output
// unprefixed, and only what went wrong on stderr.
int run_checked(const layout::CheckResult& checked, const RunArgs& args, bool single) {
  if (!checked.ok()) {
    for (const auto& d : checked.diagnostics)
      if (d.severity == layout::Severity::Error) std::cerr << "bulkhead: " << d.message << "\n";
    std::cerr << "bulkhead: " << args.image << ": the layout does not check (see bulkhead check)\n";
    return kExitInvalid;
  }
  if (!args.output_dir.empty()) std::filesystem::create_directories(args.output_dir);
  PrefixedConsole console(args.json ? std::cerr : std::cout, args.output_dir, !single);
  kernel_shim::System system(checked,
                             [&](std::string_view p, std::string_view text) { console.write(p, text); });
  auto tracer = make_trace(args, system.engine().arch());
  if (tracer) tracer->attach(system);
  kernel_shim::SystemOptions options_run;
  options_run.slice = args.slice;
  options_run.max_instructions = args.max_instructions;
  options_run.tick = args.tick;
  options_run.check_isolation = args.check_isolation;
  std::vector<kernel_shim::PartitionResult> results;
  try {
    if (args.gdb_port >= 0) {
      // --gdb: one thread per partition; the system starts stopped and runs under the debugger's control.
      gdbstub::SystemTarget target(system, options_run,
                                   [](const std::vector<kernel_shim::PartitionResult>& rs) {
                                     int s = 0;
                                     for (const auto& r : rs)
                                       if (s == 0) s = exit_status(r.result);
                                     return s;
                                   });
      gdbstub::ServerOptions server;
      server.port = static_cast<std::uint16_t>(args.gdb_port);
      server.on_listening = [](std::uint16_t port) {
        std::cerr << "bulkhead: waiting for GDB on 127.0.0.1:" << port << "\n" << std::flush;
      };
      const gdbstub::SessionEnd end = gdbstub::serve(target, server);
      if (end != gdbstub::SessionEnd::Detached && !system.debug_finished()) {
        console.flush();
        std::cerr << "bulkhead: killed by the debugger\n";
        return kExitHalted;
      }
      results = target.finish();
    } else {
      results = system.run(options_run);
    }
  } catch (const kernel_shim::IsolationError& e) {
    console.flush();
    std::cerr << "bulkhead: " << e.what() << "\n";
    return kExitIsolation;
  }
  console.flush();
  if (tracer) tracer->finish();
  int status = 0;
  for (const auto& r : results)
    if (status == 0) status = exit_status(r.result);
  if (args.json) {
    std::cout << summary_json(checked, results, system, status).dump(2) << "\n";
    return status;
  }
  for (const auto& r : results) {
    if (single && r.result.outcome == kernel_shim::Outcome::Exited && r.faults.empty()) continue;
    std::cerr << "bulkhead: partition `" << r.name << "`: " << kernel_shim::to_string(r.result.outcome);
    if (r.result.outcome == kernel_shim::Outcome::Exited) std::cerr << " with " << r.result.exit_code;
    std::cerr << " after " << r.result.instructions << " instructions, " << r.result.syscalls << " syscalls, "
              << r.scheduled << " switches, " << r.faults.size() << " faults";
    if (r.restarts) std::cerr << ", " << r.restarts << " restarts";
    if (!r.result.report.empty()) std::cerr << ": " << r.result.report;
    std::cerr << "\n";
  }
  // The full report of every fault that ended or restarted a partition (audited accesses are summarised
  // below).
  for (const auto& r : results)
    for (const auto& e : r.faults)
      if (e.action != layout::FaultAction::Audit || e.outcome != "audited")
        std::cerr << "bulkhead: fault in `" << r.name << "` (" << layout::to_string(e.action) << ": "
                  << e.outcome << "):\n  " << e.report << "\n";
  std::cerr << kernel_shim::audit_report(checked, results);
  return status;
}

int run_layout(const RunArgs& args) {
  layout::ParseOptions options;
  if (!args.elf_dir.empty()) options.elf_dir = args.elf_dir;
  return run_checked(layout::check_layout(layout::parse_layout_file(args.image, options)), args, false);
}

// A Tock image: a .tbf / .tab by name, an app ELF (it has `_sram_origin`), or a file that is not an ELF and
// starts like a TBF (version 2).
bool is_tock_image(const std::string& path) {
  if (layout::is_tock_image_path(path)) return true;
  std::ifstream in(path, std::ios::binary);
  char head[4] = {};
  if (!in.read(head, sizeof head)) return false;
  if (head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F') {
    return loader::is_tock_app_elf(
        path);  // libtock's `_sram_origin`; a malformed ELF reports on the ELF path
  }
  return head[0] == 2 && head[1] == 0;
}

std::uint32_t page_down(std::uint64_t v) {
  return static_cast<std::uint32_t>(v / emu::Engine::kMapGranule * emu::Engine::kMapGranule);
}
std::uint64_t page_up(std::uint64_t v) {
  return (v + emu::Engine::kMapGranule - 1) / emu::Engine::kMapGranule * emu::Engine::kMapGranule;
}

// `bulkhead run app.tbf|app.tab`: one Tock process (docs/tock.md), as a one-partition layout built here: the
// target is the CPU's unit with its default region/entry count, its memories exactly the process's flash
// and RAM.
int run_tock(const RunArgs& args) {
  if (args.gdb_port >= 0) {
    std::cerr << "bulkhead: --gdb debugs a module ELF; Tock apps are not supported yet\n";
    return kExitUsage;
  }
  std::optional<Arch> arch;
  if (!args.cpu.empty()) arch = emu::arch_of(*emu::parse_profile(args.cpu));
  loader::TbfApp app;
  if (std::filesystem::path(args.image).extension() == ".tab") {
    // The TBF for the CPU; without --cpu the first of Cortex-M4 and rv32imac the bundle has.
    if (arch) {
      app = layout::load_tock_app(args.image, *arch);
    } else {
      try {
        app = layout::load_tock_app(args.image, Arch::ArmV7M);
        arch = Arch::ArmV7M;
      } catch (const loader::LoadError&) {
        app = layout::load_tock_app(args.image, Arch::Rv32);
        arch = Arch::Rv32;
      }
    }
  } else {
    app = layout::load_tock_app(args.image, arch.value_or(Arch::ArmV7M));  // a .tbf, or an app's ELF
    // A bare TBF does not say its architecture: --cpu, else an odd init offset (the Thumb bit elf2tab keeps)
    // means Arm, an even one RISC-V.
    if (!arch) arch = app.arch ? *app.arch : ((app.header.init_fn_offset & 1u) ? Arch::ArmV7M : Arch::Rv32);
  }
  // A position-independent app (no FixedAddresses: libtock-c's Arm apps) goes where Tock boards put the
  // first app (layout::default_tock_placement).
  layout::TockPlacement where = layout::default_tock_placement(*arch);
  if (app.header.fixed_flash_address()) where.flash.reset();
  if (app.header.fixed_ram_address()) where.ram.reset();
  const layout::TockMemory mem = layout::place_tock_app(app, *arch, where);
  layout::Layout lay;
  lay.file = args.image;
  lay.name = "Tock app " + args.image;
  lay.target.unit.arch = *arch;
  layout::Memory flash{"flash",
                       layout::MemoryKind::Flash,
                       {page_down(mem.flash_start), page_up(mem.flash_end()) - page_down(mem.flash_start)},
                       {}};
  // RAM from one page below the process's (the kernel's RAM on a chip): a write below mem_start is then a
  // protection fault, as on the hardware, not a bus fault.
  const std::uint32_t ram_base = page_down(mem.mem_start) >= emu::Engine::kMapGranule
                                     ? page_down(mem.mem_start) - emu::Engine::kMapGranule
                                     : page_down(mem.mem_start);
  layout::Memory ram{"ram", layout::MemoryKind::Ram, {ram_base, page_up(mem.mem_end()) - ram_base}, {}};
  lay.target.memories = {flash, ram};
  layout::Partition part;
  part.name = app.header.package_name.empty() ? std::filesystem::path(args.image).stem().string()
                                              : app.header.package_name;
  part.elf = args.image;
  part.elf_path = args.image;
  part.abi = layout::Abi::Tock;
  part.tock = mem;
  part.regions = layout::tock_regions(mem);
  lay.partitions.push_back(std::move(part));
  return run_checked(layout::check_layout(lay), args, true);
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
  if (!args.trace.empty() && args.gdb_port >= 0) {
    std::cerr << "bulkhead: --trace and --gdb cannot be used together\n";
    return kExitUsage;
  }
  if (!args.trace_range.empty()) trace::parse_range(args.trace_range);  // a bad range fails before the run
  if (args.image.size() > 5 && args.image.ends_with(".toml")) {
    return run_layout(args);
  }
  if (is_tock_image(args.image)) return run_tock(args);
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
    auto tracer = make_trace(args, image.arch);
    if (tracer) tracer->attach(kernel, std::filesystem::path(args.image).stem().string());
    result = kernel.run(args.max_instructions);
    if (tracer) {
      tracer->end(result);
      tracer->finish();
    }
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
  cmd->add_option("--tick", args->tick, "With a layout: guest instructions per tick (sleep, timeouts, time)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--check-isolation", args->check_isolation,
                "With a layout: after every context switch, prove from the unit's table that the running "
                "partition can reach nothing outside its regions and shares (exit 3 when it can)");
  cmd->add_flag("--json", args->json,
                "With a layout: print the run summary and fault reports as JSON on stdout (console output "
                "goes to stderr)");
  cmd->add_option("--output-dir", args->output_dir,
                  "With a layout: write each partition's console output to DIR/NAME.txt instead");
  cmd->add_option(
         "--gdb", args->gdb_port,
         "Serve GDB's remote protocol on 127.0.0.1:PORT (0: any free port); the module starts stopped "
         "at its entry. With a layout: one thread per partition")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--trace", args->trace,
                  "Write an instruction/access trace of the run to FILE (docs/trace.md)");
  cmd->add_option("--trace-format", args->trace_format,
                  "text (every instruction disassembled) or compact (for long runs)")
      ->check(CLI::IsMember({"text", "compact"}))
      ->capture_default_str();
  cmd->add_option("--trace-module", args->trace_modules,
                  "Trace only this module (partition name, or the ELF's file name without .elf); repeatable");
  cmd->add_option(
      "--trace-range", args->trace_range,
      "Trace only instructions and accesses at addresses LO-HI (inclusive, e.g. 0x20000000-0x20003fff)");
  cmd->add_flag("!--no-protection", args->protect,
                "Run without the MPU/PMP (by default the module may touch only its own segments, with their "
                "ELF permissions)");
  cmd->callback([&action, args] { action = [args] { return run(*args); }; });
}

}  // namespace bulkhead::cli
