#include "bulkhead/kernel_shim/system.hpp"

#include <algorithm>
#include <stdexcept>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/loader/elf.hpp"
#include "report.hpp"

namespace bulkhead::kernel_shim {

struct System::Partition {
  std::string name;
  loader::Image image;
  std::optional<loader::SourceLines> lines;
  std::unique_ptr<ProtectionUnit> unit;  // the layout's programming for it, kernel regions included
  emu::CpuContext context;
  PartitionResult res;
  bool done = false;
};

namespace {

constexpr std::uint64_t kPage = emu::Engine::kMapGranule;

// Page-granular spans covering every range, merged where they touch or overlap.
std::vector<AddressRange> merged_pages(std::vector<AddressRange> spans) {
  for (auto& s : spans) {
    const std::uint64_t lo = s.base / kPage * kPage;
    const std::uint64_t hi = (s.end() + kPage - 1) / kPage * kPage;
    s = {lo, hi - lo};
  }
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.base < b.base; });
  std::vector<AddressRange> out;
  for (const auto& s : spans) {
    if (s.size == 0) continue;
    if (!out.empty() && s.base <= out.back().end())
      out.back().size = std::max(out.back().end(), s.end()) - out.back().base;
    else
      out.push_back(s);
  }
  return out;
}

struct AbiRegs {
  unsigned number, arg0, result;
};
constexpr AbiRegs kArm{7, 0, 0};       // r7, r0-r3, r0 (docs/abi.md)
constexpr AbiRegs kRiscv{17, 10, 10};  // a7, a0-a3, a0

}  // namespace

System::System(const layout::CheckResult& checked, PartitionConsole console)
    : engine_(emu::default_profile(checked.layout.target.unit.arch),
              // Counts from the exact-PC hook from the first instruction: the same whatever the slice.
              emu::EngineOptions{.bus = emu::BusMode::Checked, .count_instructions = true, .exact_pc = true}),
      console_(std::move(console)) {
  if (!checked.ok()) throw std::invalid_argument(checked.layout.file + ": the layout does not check");
  std::vector<AddressRange> spans;
  for (std::size_t i = 0; i < checked.partitions.size(); ++i) {
    const layout::CompiledPartition& cp = checked.partitions[i];
    for (const auto& r : cp.regions)
      if (r.kind != layout::RegionKind::Peripheral) spans.push_back(r.range);  // devices stay unmapped
    if (cp.elf.empty()) continue;
    auto p = std::make_unique<Partition>();
    p->name = cp.name;
    p->image = loader::load_elf(cp.elf);
    p->lines = loader::SourceLines::open(cp.elf);
    p->unit = layout::programmed_unit(checked, static_cast<int>(i));
    if (!p->unit) throw std::invalid_argument("partition `" + cp.name + "` has no programming");
    p->res.name = cp.name;
    for (const auto& seg : p->image.segments) spans.push_back(seg.range());
    partitions_.push_back(std::move(p));
  }
  if (partitions_.empty()) throw std::invalid_argument(checked.layout.file + ": no partition names a module");
  for (const auto& span : merged_pages(std::move(spans))) {
    if (span.end() > (1ull << 32)) throw std::invalid_argument("a partition reaches past 4 GiB");
    engine_.map(static_cast<std::uint32_t>(span.base), static_cast<std::uint32_t>(span.size), "partitions");
  }
  for (auto& p : partitions_) {
    for (const auto& seg : p->image.segments) engine_.write_memory(seg.vaddr, seg.bytes);
    engine_.set_pc(p->image.entry_address());
    for (const auto& seg : p->image.segments)
      if (has(seg.perms, Perms::W)) engine_.set_sp((seg.vaddr + seg.memsz) & ~7u);
    engine_.drop_privilege();  // every module runs unprivileged
    engine_.save_context(p->context);
  }
}

System::~System() = default;

bool System::may_read(const Partition& p, std::uint32_t addr, std::uint32_t len) const {
  // The caller's own programming decides, byte by byte, at the caller's privilege: the kernel never reads
  // for a module what the module could not read itself (Hubris can_access, FreeRTOS-MPU
  // xPortIsAuthorizedToAccessBuffer).
  const std::uint64_t end = std::uint64_t{addr} + len;
  if (end > (1ull << 32)) return false;
  if (len > 0 && !engine_.is_mapped(addr, len)) return false;
  // A range one rule decides is answered at once; otherwise byte by byte (a rule edge inside the buffer).
  if (len == 0) return true;
  if (auto perms = p.unit->uniform_perms({addr, len}, Privilege::Unprivileged)) return has(*perms, Perms::R);
  for (std::uint64_t a = addr; a < end; ++a)
    if (!p.unit->check(static_cast<std::uint32_t>(a), 1, Access::Read, Privilege::Unprivileged).allowed)
      return false;
  return true;
}

bool System::dispatch(Partition& p) {
  const AbiRegs& r = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
  const std::uint32_t number = engine_.reg(r.number);
  auto arg = [&](unsigned i) { return engine_.reg(r.arg0 + i); };
  std::int32_t ret = abi::kENoSys;
  switch (static_cast<abi::Call>(number)) {
    case abi::Call::Exit:
      p.res.result.outcome = Outcome::Exited;
      p.res.result.exit_code = static_cast<std::int32_t>(arg(0));
      return true;
    case abi::Call::Write: {
      const std::uint32_t buf = arg(0);
      const std::uint32_t len = arg(1);
      if (len > abi::kMaxWrite) {
        ret = abi::kEInval;
      } else if (!may_read(p, buf, len)) {
        log::get("kernel")->info("{}: write buffer {:#x}+{:#x} is not its readable memory", p.name, buf, len);
        ret = abi::kEFault;
      } else {
        std::vector<std::uint8_t> bytes(len);
        engine_.read_memory(buf, bytes);
        console_(p.name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        ret = static_cast<std::int32_t>(len);
      }
      break;
    }
    default:
      log::get("kernel")->info("{}: unknown syscall {} at pc {:#x}", p.name, number, engine_.pc());
      break;
  }
  engine_.set_reg(r.result, static_cast<std::uint32_t>(ret));
  return false;
}

std::vector<PartitionResult> System::run(const SystemOptions& options) {
  auto logger = log::get("kernel");
  std::uint64_t total = 0;
  const std::uint64_t slice = std::max<std::uint64_t>(options.slice, 1);
  auto live = [&] {
    return std::any_of(partitions_.begin(), partitions_.end(), [](auto& p) { return !p->done; });
  };
  while (live() && total < options.max_instructions) {
    for (auto& pp : partitions_) {
      Partition& p = *pp;
      if (p.done || total >= options.max_instructions) continue;
      // The context switch: the partition's registers, then its programming (a unit swap flushes the TLB).
      engine_.restore_context(p.context);
      engine_.set_protection_unit(p.unit.get());
      ++p.res.scheduled;
      std::uint64_t used = 0;
      while (!p.done && used < slice && total < options.max_instructions) {
        const std::uint64_t budget = std::min(slice - used, options.max_instructions - total);
        const emu::RunResult r = engine_.run(budget);
        used += r.instructions;
        total += r.instructions;
        p.res.result.instructions += r.instructions;
        ModuleResult& m = p.res.result;
        switch (r.reason) {
          case emu::StopReason::Syscall:
            if (engine_.arch() != Arch::Rv32 && r.trap_imm != abi::kSvcImmediate) {
              m.outcome = Outcome::UnknownTrap;
              m.report = "unknown trap: SVC #" + std::to_string(r.trap_imm) + " at " +
                         describe_pc(r.pc - 2, p.image, p.lines);
              p.done = true;
              break;
            }
            ++m.syscalls;
            p.done = dispatch(p);
            break;
          case emu::StopReason::Fault:
            // The `kill` policy: the partition stops, the others go on.
            m.outcome = Outcome::Faulted;
            m.fault = r.fault;
            m.report = fault_report(*r.fault, p.image, p.lines);
            p.done = true;
            break;
          case emu::StopReason::Budget:
            used = std::max(used, slice);  // the slice is over (counted per block): preempt
            break;
          case emu::StopReason::Halted:
            m.outcome = Outcome::Halted;
            m.report = "module halted the CPU (WFI) at " + describe_pc(r.pc, p.image, p.lines);
            p.done = true;
            break;
          case emu::StopReason::HostError:
            throw std::runtime_error(p.name + ": engine error: " + r.error);
        }
      }
      engine_.save_context(p.context);
      if (p.done)
        logger->debug("{}: {} after {} instructions", p.name, to_string(p.res.result.outcome),
                      p.res.result.instructions);
    }
  }
  std::vector<PartitionResult> out;
  for (auto& p : partitions_) {
    if (!p->done) {
      p->res.result.outcome = Outcome::BudgetExhausted;
      p->res.result.report =
          "system instruction budget of " + std::to_string(options.max_instructions) + " exhausted";
    }
    out.push_back(p->res);
  }
  return out;
}

}  // namespace bulkhead::kernel_shim
