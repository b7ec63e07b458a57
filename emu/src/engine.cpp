#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bulkhead/core/log.hpp"
#include "engine_impl.hpp"

namespace bulkhead::emu {

void check_uc(uc_err err, const char* what) {
  if (err != UC_ERR_OK) throw EngineError(std::string(what) + ": " + uc_strerror(err));
}

std::string_view to_string(CpuProfile p) {
  switch (p) {
    case CpuProfile::CortexM4:
      return "cortex-m4";
    case CpuProfile::CortexM33:
      return "cortex-m33";
    case CpuProfile::Rv32imac:
      return "rv32imac";
  }
  return "?";
}

std::optional<CpuProfile> parse_profile(std::string_view name) {
  for (auto p : {CpuProfile::CortexM4, CpuProfile::CortexM33, CpuProfile::Rv32imac})
    if (to_string(p) == name) return p;
  return std::nullopt;
}

Arch arch_of(CpuProfile p) {
  switch (p) {
    case CpuProfile::CortexM4:
      return Arch::ArmV7M;
    case CpuProfile::CortexM33:
      return Arch::ArmV8M;
    case CpuProfile::Rv32imac:
      return Arch::Rv32;
  }
  return Arch::ArmV7M;
}

CpuProfile default_profile(Arch a) {
  switch (a) {
    case Arch::ArmV7M:
      return CpuProfile::CortexM4;
    case Arch::ArmV8M:
      return CpuProfile::CortexM33;
    case Arch::Rv32:
      return CpuProfile::Rv32imac;
  }
  return CpuProfile::CortexM4;
}

std::string_view to_string(StopReason r) {
  switch (r) {
    case StopReason::Syscall:
      return "syscall";
    case StopReason::Fault:
      return "fault";
    case StopReason::Budget:
      return "budget";
    case StopReason::Halted:
      return "halted";
    case StopReason::HostError:
      return "host error";
  }
  return "?";
}

Engine::Impl::Impl(CpuProfile p, EngineOptions o)
    : profile(p),
      arch(arch_of(p)),
      options(o),
      page_size(arch == Arch::Rv32 ? 0x1000u : 0x400u),
      granule(arch == Arch::Rv32 ? 4u : 32u),
      page_shift(static_cast<unsigned>(std::countr_zero(page_size))),
      granule_shift(static_cast<unsigned>(std::countr_zero(granule))) {
  uc_engine* raw = nullptr;
  const bool is_arm = arch != Arch::Rv32;
  // unicorn-facts: UC_MODE_MCLASS always gives a Cortex-M33 and ignores the model; UC_MODE_THUMB plus
  // uc_ctl_set_cpu_model before the first uc_mem_map selects the M-profile core we ask for.
  check_uc(uc_open(is_arm ? UC_ARCH_ARM : UC_ARCH_RISCV, is_arm ? UC_MODE_THUMB : UC_MODE_RISCV32, &raw),
           "uc_open");
  uc.reset(raw);
  int model = 0;
  switch (p) {
    case CpuProfile::CortexM4:
      model = UC_CPU_ARM_CORTEX_M4;
      break;
    case CpuProfile::CortexM33:
      model = UC_CPU_ARM_CORTEX_M33;
      break;
    case CpuProfile::Rv32imac:
      model = UC_CPU_RISCV32_SIFIVE_E31;
      break;  // exactly rv32imac + U-mode
  }
  check_uc(uc_ctl_set_cpu_model(uc.get(), model), "uc_ctl_set_cpu_model");
  // The TLB-fill hook decides every page: unmapped pages fault precisely (PC at the instruction), and the
  // checked bus (protection unit) plugs in here. It also keeps QEMU's own RISC-V PMP out of the way.
  check_uc(uc_ctl_tlb_mode(uc.get(), UC_TLB_VIRTUAL), "uc_ctl_tlb_mode");
  if (options.bus == BusMode::Checked) install_alias_window();
  install_hooks();
  if (options.exact_pc && options.bus == BusMode::Checked) install_exact_pc_hook();
}

Engine::Impl::~Impl() {
  // Deleting hooks can make Unicorn ask for TLB fills; the unit may already be gone.
  unit = nullptr;
  tearing_down = true;
  const std::vector<uc_hook> all = std::move(hooks);  // walk a copy: nothing may grow the list under it
  hooks.clear();
  for (uc_hook h : all) uc_hook_del(uc.get(), h);
  // uc (unique_ptr) closes the engine after this body.
}

Fault Engine::Impl::make_fault(FaultKind kind, std::uint32_t pc) const {
  Fault f;
  f.kind = kind;
  f.arch = arch;
  f.pc = pc;
  return f;
}

void Engine::Impl::record_fault(Fault f) {
  if (!fault) fault = std::move(f);  // the first fault of a run is the one that stopped it
  stop(StopReason::Fault);
}

void Engine::Impl::stop(StopReason reason) {
  if (!stop_reason) stop_reason = reason;
  uc_emu_stop(uc.get());
}

Engine::Engine(CpuProfile profile, EngineOptions options) : impl_(std::make_unique<Impl>(profile, options)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

CpuProfile Engine::profile() const {
  return impl_->profile;
}
Arch Engine::arch() const {
  return impl_->arch;
}
std::uint32_t Engine::tlb_page_size() const {
  return impl_->page_size;
}

void Engine::map(std::uint32_t base, std::uint32_t size, std::string name) {
  if (size == 0 || base % kMapGranule != 0 || size % kMapGranule != 0)
    throw EngineError("map '" + name + "': base and size must be non-zero multiples of 4 KiB");
  const std::uint64_t end = std::uint64_t{base} + size;
  if (end > (1ull << 32)) throw EngineError("map '" + name + "': extends past 4 GiB");
  if (base < std::uint64_t{kReservedBase} + kReservedSize && kReservedBase < end)
    throw EngineError("map '" + name + "': the range 0xF0000000-0xF0FFFFFF is reserved for the checked bus");
  if (end > 0xFFFF'F000u) throw EngineError("map '" + name + "': the last 4 KiB are reserved (run end)");
  for (const auto& r : impl_->regions) {
    if (base < std::uint64_t{r.base} + r.size && r.base < end)
      throw EngineError("map '" + name + "' overlaps '" + r.name + "'");
  }
  // Host memory of our own behind every region, so that the checked bus can perform the allowed accesses
  // of split pages itself (bus.cpp).
  auto* mem = static_cast<std::uint8_t*>(std::aligned_alloc(kMapGranule, size));
  if (!mem) throw EngineError("map '" + name + "': out of host memory");
  std::memset(mem, 0, size);
  HostRegion hr{{base, size, name}, std::unique_ptr<std::uint8_t, HostFree>(mem)};
  check_uc(uc_mem_map_ptr(impl_->uc.get(), base, size, UC_PROT_ALL, mem), "uc_mem_map_ptr");
  impl_->host_regions.push_back(std::move(hr));
  impl_->regions.push_back({base, size, std::move(name)});
  std::sort(impl_->regions.begin(), impl_->regions.end(),
            [](const MemoryRegion& a, const MemoryRegion& b) { return a.base < b.base; });
}

const std::vector<MemoryRegion>& Engine::memory_map() const {
  return impl_->regions;
}

const MemoryRegion* Engine::Impl::find_region(std::uint64_t address) const {
  for (const auto& r : regions)
    if (address >= r.base && address < std::uint64_t{r.base} + r.size) return &r;
  return nullptr;
}

bool Engine::is_mapped(std::uint32_t address, std::uint32_t size) const {
  // Adjacent regions may together cover the range.
  std::uint64_t a = address;
  const std::uint64_t end = a + size;
  while (a < end) {
    const MemoryRegion* r = impl_->find_region(a);
    if (!r) return false;
    a = std::uint64_t{r->base} + r->size;
  }
  return true;
}

void Engine::write_memory(std::uint32_t address, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  if (!is_mapped(address, static_cast<std::uint32_t>(bytes.size())))
    throw EngineError("host write to unmapped memory at " + std::to_string(address));
  check_uc(uc_mem_write(impl_->uc.get(), address, bytes.data(), bytes.size()), "uc_mem_write");
  // Unicorn 2.1.1 keeps blocks translated from the old bytes (pinned by DebugSupport tests): drop those of
  // the written range, so that a debugger's patch, or a reloaded image, is what runs next. Only pages code
  // was translated from can have any (a syscall's result written into a buffer costs nothing).
  const std::uint64_t end = std::uint64_t{address} + bytes.size();
  if (!impl_->holds_code(address, end)) return;
  impl_->drop_translations(address, end);
  // Code may have changed under cached block counts and the RISC-V scan for M-mode instructions.
  std::fill(impl_->block_insns.begin(), impl_->block_insns.end(), Impl::BlockCount{});
  if (impl_->arch == Arch::Rv32) {
    for (std::uint64_t page = address & ~(impl_->page_size - 1); page < end; page += impl_->page_size)
      impl_->scanned_pages.erase(static_cast<std::uint32_t>(page));
    impl_->flush_tlb();  // so that the next fetch fill scans again
  }
}

void Engine::read_memory(std::uint32_t address, std::span<std::uint8_t> out) const {
  if (out.empty()) return;
  if (!is_mapped(address, static_cast<std::uint32_t>(out.size())))
    throw EngineError("host read of unmapped memory at " + std::to_string(address));
  check_uc(uc_mem_read(impl_->uc.get(), address, out.data(), out.size()), "uc_mem_read");
}

std::uint32_t Engine::read_u32(std::uint32_t address) const {
  std::uint8_t b[4];
  read_memory(address, b);
  return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
         std::uint32_t{b[3]} << 24;
}

std::uint16_t Engine::read_u16(std::uint32_t address) const {
  std::uint8_t b[2];
  read_memory(address, b);
  return static_cast<std::uint16_t>(b[0] | b[1] << 8);
}

namespace {

int uc_reg_id(Arch arch, unsigned n) {
  if (arch == Arch::Rv32) {
    if (n > 31) throw EngineError("RISC-V register x" + std::to_string(n) + " does not exist");
    return UC_RISCV_REG_X0 + static_cast<int>(n);
  }
  if (n > 15) throw EngineError("Arm register r" + std::to_string(n) + " does not exist");
  if (n <= 12) return UC_ARM_REG_R0 + static_cast<int>(n);
  return n == 13 ? UC_ARM_REG_SP : n == 14 ? UC_ARM_REG_LR : UC_ARM_REG_PC;
}

}  // namespace

std::uint32_t Engine::reg(unsigned n) const {
  std::uint32_t v = 0;
  check_uc(uc_reg_read(impl_->uc.get(), uc_reg_id(impl_->arch, n), &v), "uc_reg_read");
  return v;
}

void Engine::set_reg(unsigned n, std::uint32_t value) {
  if (impl_->arch == Arch::Rv32 && n == 0) return;  // x0 is hard-wired to zero
  check_uc(uc_reg_write(impl_->uc.get(), uc_reg_id(impl_->arch, n), &value), "uc_reg_write");
}

std::uint32_t Engine::pc() const {
  std::uint32_t v = 0;
  check_uc(uc_reg_read(impl_->uc.get(), pc_reg_id(impl_->arch), &v), "uc_reg_read(pc)");
  return v;
}

void Engine::set_pc(std::uint32_t pc) {
  if (impl_->arch != Arch::Rv32) pc &= ~1u;
  check_uc(uc_reg_write(impl_->uc.get(), pc_reg_id(impl_->arch), &pc), "uc_reg_write(pc)");
}

std::uint32_t Engine::sp() const {
  return reg(impl_->arch == Arch::Rv32 ? 2 : 13);
}
void Engine::set_sp(std::uint32_t sp) {
  set_reg(impl_->arch == Arch::Rv32 ? 2 : 13, sp);
}

std::uint32_t Engine::xpsr() const {
  if (impl_->arch == Arch::Rv32) throw EngineError("xPSR: not a RISC-V register");
  std::uint32_t v = 0;
  check_uc(uc_reg_read(impl_->uc.get(), UC_ARM_REG_XPSR, &v), "uc_reg_read(xPSR)");
  return v;
}

void Engine::set_xpsr(std::uint32_t value) {
  if (impl_->arch == Arch::Rv32) throw EngineError("xPSR: not a RISC-V register");
  check_uc(uc_reg_write(impl_->uc.get(), UC_ARM_REG_XPSR, &value), "uc_reg_write(xPSR)");
}

void Engine::enable_exact_pc() {
  if (!impl_->exact_pc_hook) impl_->install_exact_pc_hook();
}

void Engine::add_breakpoint(std::uint32_t address) {
  enable_exact_pc();
  if (impl_->arch != Arch::Rv32) address &= ~1u;
  impl_->breakpoints.insert(address);
}

void Engine::remove_breakpoint(std::uint32_t address) {
  if (impl_->arch != Arch::Rv32) address &= ~1u;
  impl_->breakpoints.erase(address);
}

void Engine::clear_breakpoints() {
  impl_->breakpoints.clear();
}

bool Engine::has_breakpoint(std::uint32_t address) const {
  if (impl_->arch != Arch::Rv32) address &= ~1u;
  return impl_->breakpoints.contains(address);
}

void Engine::skip_breakpoint_once() {
  impl_->bp_skip = true;
}

void Engine::drop_privilege() {
  impl_->priv = Privilege::Unprivileged;
  if (impl_->arch != Arch::Rv32) {
    std::uint32_t control = 1;  // nPRIV; SPSEL stays 0 (MSP), the kernel owns stack choice
    check_uc(uc_reg_write(impl_->uc.get(), UC_ARM_REG_CONTROL, &control), "uc_reg_write(CONTROL)");
  }
  // unicorn-facts: a host write of CONTROL leaves the privileged TLB entries in use until a flush.
  impl_->flush_tlb();
}

Privilege Engine::privilege() const {
  return impl_->privilege();
}

void Engine::set_protection_unit(const ProtectionUnit* unit) {
  impl_->unit = unit;
  impl_->unit_generation = ~0ull;
  impl_->flush_tlb();
}

const ProtectionUnit* Engine::protection_unit() const {
  return impl_->unit;
}

BusMode Engine::bus_mode() const {
  return impl_->options.bus;
}

std::string_view to_string(BusMode m) {
  switch (m) {
    case BusMode::Unchecked:
      return "unchecked";
    case BusMode::Checked:
      return "checked";
    case BusMode::Naive:
      return "naive";
  }
  return "?";
}

struct CpuContext::Impl {
  uc_context* ctx = nullptr;
  Privilege priv = Privilege::Privileged;
  ~Impl() {
    if (ctx) uc_context_free(ctx);
  }
};

CpuContext::CpuContext() = default;
CpuContext::~CpuContext() = default;
CpuContext::CpuContext(CpuContext&&) noexcept = default;
CpuContext& CpuContext::operator=(CpuContext&&) noexcept = default;

CpuContext Engine::save_context() const {
  CpuContext c;
  save_context(c);
  return c;
}

void Engine::save_context(CpuContext& into) const {
  if (!into.impl) into.impl = std::make_unique<CpuContext::Impl>();
  if (!into.impl->ctx) check_uc(uc_context_alloc(impl_->uc.get(), &into.impl->ctx), "uc_context_alloc");
  check_uc(uc_context_save(impl_->uc.get(), into.impl->ctx), "uc_context_save");
  into.impl->priv = impl_->priv;
}

void Engine::restore_context(const CpuContext& from) {
  if (!from.impl || !from.impl->ctx) throw EngineError("restore_context: the context was never saved");
  check_uc(uc_context_restore(impl_->uc.get(), from.impl->ctx), "uc_context_restore");
  impl_->priv = from.impl->priv;
  // No permission cached for one context may survive into another (also: Arm CONTROL restored by the host
  // keeps stale privileged entries until a flush, unicorn-facts).
  impl_->flush_tlb();
}

void Engine::set_time_limit(std::chrono::microseconds limit) {
  impl_->time_limit = limit;
}

std::uint64_t Engine::instructions_executed() const {
  return impl_->total_instructions;
}

}  // namespace bulkhead::emu
