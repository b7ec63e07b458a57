#include "bulkhead/kernel_shim/kernel.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/layout/encode.hpp"
#include "bulkhead/layout/programming.hpp"
#include "report.hpp"

namespace bulkhead::kernel_shim {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::Exited:
      return "exited";
    case Outcome::Faulted:
      return "faulted";
    case Outcome::UnknownTrap:
      return "unknown trap";
    case Outcome::BudgetExhausted:
      return "instruction budget exhausted";
    case Outcome::Halted:
      return "halted";
    case Outcome::Stopped:
      return "stopped by the system halt";
    case Outcome::Deadlocked:
      return "deadlocked";
  }
  return "?";
}

namespace {

bool arch_runs_on(Arch image, emu::CpuProfile profile) {
  const Arch cpu = emu::arch_of(profile);
  if (image == Arch::Rv32 || cpu == Arch::Rv32) return image == cpu;
  // An ARMv7-M image runs on an ARMv8-M mainline core; the reverse may use instructions v7-M lacks.
  return image == cpu || (image == Arch::ArmV7M && cpu == Arch::ArmV8M);
}

// Page-granular spans covering every segment, with overlapping or touching spans merged (two segments may
// share a 4 KiB page).
std::vector<AddressRange> mapping_for(const loader::Image& image) {
  constexpr std::uint64_t g = emu::Engine::kMapGranule;
  std::vector<AddressRange> spans;
  for (const auto& seg : image.segments) {
    if (seg.memsz == 0) continue;
    const std::uint64_t lo = seg.vaddr / g * g;
    const std::uint64_t hi = (std::uint64_t{seg.vaddr} + seg.memsz + g - 1) / g * g;
    spans.push_back({lo, hi - lo});
  }
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.base < b.base; });
  std::vector<AddressRange> merged;
  for (const auto& s : spans) {
    if (!merged.empty() && s.base <= merged.back().end())
      merged.back().size = std::max(merged.back().end(), s.end()) - merged.back().base;
    else
      merged.push_back(s);
  }
  return merged;
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

Kernel::Kernel(const loader::Image& image, emu::CpuProfile profile, ConsoleSink console,
               emu::EngineOptions options)
    : image_(image), engine_(profile, options), console_(std::move(console)) {
  if (!arch_runs_on(image.arch, profile))
    throw std::invalid_argument(image.path + ": a " + std::string(bulkhead::to_string(image.arch)) +
                                " image cannot run on " + std::string(emu::to_string(profile)));
  for (const auto& span : mapping_for(image))
    engine_.map(static_cast<std::uint32_t>(span.base), static_cast<std::uint32_t>(span.size), "image");
  for (const auto& seg : image.segments) engine_.write_memory(seg.vaddr, seg.bytes);  // bss stays zero
  engine_.set_pc(image.entry_address());
  // The module runtime sets its own stack; start with SP at the top of the highest writable segment so that a
  // module without that start-up code still has one.
  for (const auto& seg : image.segments)
    if (has(seg.perms, Perms::W)) engine_.set_sp((seg.vaddr + seg.memsz) & ~7u);
  // Modules run unprivileged, as on the hardware they are written for.
  engine_.drop_privilege();
}

void Kernel::protect_image() {
  layout::UnitConfig config;
  config.arch = emu::arch_of(engine_.profile());
  if (config.arch == Arch::Rv32) config.pmp.entries = 16;
  const std::uint64_t g = layout::granule(config);
  std::vector<layout::Grant> grants;
  for (const auto& seg : image_.segments) {
    if (seg.memsz == 0 || seg.perms == Perms::None) continue;
    const std::uint64_t lo = seg.vaddr / g * g;
    const std::uint64_t hi = (std::uint64_t{seg.vaddr} + seg.memsz + g - 1) / g * g;
    Perms perms = seg.perms;
    // Arm and PMP cannot grant execute without read; an executable segment is readable (literal pools).
    if (has(perms, Perms::X)) perms = perms | Perms::R;
    grants.push_back({{lo, hi - lo}, perms, layout::MemoryAttr::Normal});
  }
  std::vector<int> slots(static_cast<std::size_t>(config.slots()));
  for (std::size_t i = 0; i < slots.size(); ++i) slots[i] = static_cast<int>(i);
  const layout::EncodeResult enc = layout::encode(config, grants, slots);
  if (!enc.encoding)
    throw std::invalid_argument(image_.path + ": its segments cannot be protected on " +
                                std::string(emu::to_string(engine_.profile())) + ": " + enc.failure.message);
  unit_ = layout::make_unit(config);
  layout::apply(enc.encoding->programming, *unit_);
  engine_.set_protection_unit(unit_.get());
  log::get("kernel")->debug("{}: protected with {} {} region(s)", image_.path, enc.encoding->programming.used,
                            unit_->name());
}

ModuleResult Kernel::run(std::uint64_t max_instructions) {
  ModuleResult result;
  auto logger = log::get("kernel");
  while (true) {
    const std::uint64_t left = max_instructions - std::min(max_instructions, result.instructions);
    emu::RunResult r = engine_.run(left);
    result.instructions += r.instructions;
    switch (r.reason) {
      case emu::StopReason::Syscall:
        if (engine_.arch() != Arch::Rv32 && r.trap_imm != abi::kSvcImmediate) {
          result.outcome = Outcome::UnknownTrap;
          result.report = "unknown trap: SVC #" + std::to_string(r.trap_imm) + " at " + describe_pc(r.pc - 2);
          return result;
        }
        ++result.syscalls;
        if (dispatch(result)) return result;
        break;
      case emu::StopReason::Fault:
        result.outcome = Outcome::Faulted;
        result.fault = r.fault;
        result.report = fault_report(*r.fault);
        return result;
      case emu::StopReason::Budget:
        result.outcome = Outcome::BudgetExhausted;
        result.report = "instruction budget of " + std::to_string(max_instructions) + " exhausted at " +
                        describe_pc(r.pc);
        return result;
      case emu::StopReason::Halted:
        result.outcome = Outcome::Halted;
        result.report = "module halted the CPU (WFI) at " + describe_pc(r.pc) + " with nothing to wake it";
        return result;
      case emu::StopReason::HostError:
        throw std::runtime_error("engine error at " + hex(r.pc) + ": " + r.error);
    }
  }
}

std::string Kernel::describe_pc(std::uint32_t pc) const {
  return kernel_shim::describe_pc(pc, image_, lines_);
}

std::string Kernel::fault_report(const Fault& f) const {
  return kernel_shim::fault_report(f, image_, lines_);
}

std::string describe_pc(std::uint32_t pc, const loader::Image& image,
                        const std::optional<loader::SourceLines>& lines) {
  std::string s = "pc " + hex(pc);
  if (auto sym = image.symbolize(pc)) s += " <" + *sym + ">";
  if (lines)
    if (auto line = lines->lookup(pc)) s += " (" + *line + ")";
  return s;
}

std::string fault_report(const Fault& f, const loader::Image& image,
                         const std::optional<loader::SourceLines>& lines) {
  std::string s = std::string(bulkhead::to_string(f.kind));
  switch (f.kind) {
    case FaultKind::BusFault:
    case FaultKind::MemManage:
    case FaultKind::AccessFault:
      s += ": " + std::string(bulkhead::to_string(f.access));
      if (f.size) s += " of " + std::to_string(f.size) + " byte" + (f.size == 1 ? "" : "s");
      s += " at " + hex(f.address) + ",";
      break;
    default:
      if (!f.detail.empty()) s += ": " + f.detail;
      s += " at";
      break;
  }
  s += " " + describe_pc(f.pc, image, lines);
  if (f.verdict && !f.verdict->detail.empty()) {
    s += ": " + f.verdict->detail;  // the protection unit's explanation
  } else if ((f.kind == FaultKind::BusFault || f.kind == FaultKind::MemManage) && !f.detail.empty()) {
    s += ": " + f.detail;
  }
  if (f.kind == FaultKind::MemManage) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " [MMFSR=0x%02x MMFAR=0x%08x]", f.syndrome.mmfsr, f.syndrome.mmfar);
    s += buf;
  } else if (f.kind == FaultKind::AccessFault) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " [mcause=%u mtval=0x%08x]", f.syndrome.mcause, f.syndrome.mtval);
    s += buf;
  }
  return s;
}

}  // namespace bulkhead::kernel_shim
