// The syscall dispatcher: decodes the call from the trapped registers, checks pointer arguments against what
// the module itself may access, and writes the result back.
#include <string>
#include <vector>

#include "bulkhead/core/log.hpp"
#include "bulkhead/kernel_shim/abi.hpp"
#include "bulkhead/kernel_shim/kernel.hpp"

namespace bulkhead::kernel_shim {
namespace {

// Register numbers of the ABI (docs/abi.md).
struct AbiRegs {
  unsigned number, arg0, result;
};
constexpr AbiRegs kArm{7, 0, 0};       // r7, r0-r3, r0
constexpr AbiRegs kRiscv{17, 10, 10};  // a7, a0-a3, a0

}  // namespace

bool Kernel::module_may_read(std::uint32_t addr, std::uint32_t len) const {
  // Every byte must lie in a readable segment of the module's own image. (With a layout, the check goes
  // through the partition's protection-unit programming instead.)
  std::uint64_t a = addr;
  const std::uint64_t end = a + len;
  while (a < end) {
    const loader::Segment* seg = image_.find_segment(static_cast<std::uint32_t>(a));
    if (!seg || !has(seg->perms, Perms::R)) return false;
    a = std::uint64_t{seg->vaddr} + seg->memsz;
  }
  return true;
}

std::int32_t Kernel::sys_write(std::uint32_t buf, std::uint32_t len) {
  if (len > abi::kMaxWrite) return abi::kEInval;
  if (!module_may_read(buf, len)) {
    log::get("kernel")->info("write: buffer {:#x}+{:#x} is not the module's readable memory", buf, len);
    return abi::kEFault;
  }
  std::vector<std::uint8_t> bytes(len);
  engine_.read_memory(buf, bytes);
  console_(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return static_cast<std::int32_t>(len);
}

bool Kernel::dispatch(ModuleResult& result) {
  const AbiRegs& r = engine_.arch() == Arch::Rv32 ? kRiscv : kArm;
  const std::uint32_t number = engine_.reg(r.number);
  auto arg = [&](unsigned i) { return engine_.reg(r.arg0 + i); };
  std::int32_t ret = abi::kENoSys;
  std::uint32_t args[6] = {};
  if (syscall_observer_)
    for (unsigned i = 0; i < 6; ++i) args[i] = arg(i);
  switch (static_cast<abi::Call>(number)) {
    case abi::Call::Exit:
      result.outcome = Outcome::Exited;
      result.exit_code = static_cast<std::int32_t>(arg(0));
      if (syscall_observer_) syscall_observer_(number, args, std::nullopt);
      return true;
    case abi::Call::Write:
      ret = sys_write(arg(0), arg(1));
      break;
    default:
      log::get("kernel")->info("unknown syscall {} at pc {:#x}", number, engine_.pc());
      break;
  }
  engine_.set_reg(r.result, static_cast<std::uint32_t>(ret));
  if (syscall_observer_) syscall_observer_(number, args, ret);
  return false;
}

}  // namespace bulkhead::kernel_shim
