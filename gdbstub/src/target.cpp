#include "bulkhead/gdbstub/target.hpp"

namespace bulkhead::gdbstub {

int fault_signal(FaultKind kind) {
  switch (kind) {
    case FaultKind::MemManage:
    case FaultKind::BusFault:
    case FaultKind::AccessFault:
      return signal::kSegv;
    case FaultKind::UsageFault:
    case FaultKind::IllegalInstruction:
      return signal::kIll;
    case FaultKind::Breakpoint:
      return signal::kTrap;
    case FaultKind::HardFault:
      return signal::kBus;
  }
  return signal::kSegv;
}

namespace {

std::vector<RegisterInfo> arm_layout() {
  std::vector<RegisterInfo> regs;
  for (unsigned i = 0; i <= 12; ++i) regs.push_back({"r" + std::to_string(i), i, "int"});
  regs.push_back({"sp", 13, "data_ptr"});
  regs.push_back({"lr", 14, "int"});
  regs.push_back({"pc", 15, "code_ptr"});
  regs.push_back({"xpsr", 25, "int"});  // GDB's ARM_PS_REGNUM
  return regs;
}

std::vector<RegisterInfo> riscv_layout() {
  static const char* const names[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
                                        "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  std::vector<RegisterInfo> regs;
  for (unsigned i = 0; i < 32; ++i) {
    const char* type = i == 1 ? "code_ptr" : i == 2 || i == 3 || i == 4 || i == 8 ? "data_ptr" : "int";
    regs.push_back({names[i], i, type});
  }
  regs.push_back({"pc", 32, "code_ptr"});
  return regs;
}

}  // namespace

const std::vector<RegisterInfo>& register_layout(Arch arch) {
  static const std::vector<RegisterInfo> arm = arm_layout();
  static const std::vector<RegisterInfo> riscv = riscv_layout();
  return arch == Arch::Rv32 ? riscv : arm;
}

std::string target_xml(Arch arch) {
  const bool rv = arch == Arch::Rv32;
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n";
  xml += rv ? "<architecture>riscv:rv32</architecture>\n" : "<architecture>arm</architecture>\n";
  xml += rv ? "<feature name=\"org.gnu.gdb.riscv.cpu\">\n" : "<feature name=\"org.gnu.gdb.arm.m-profile\">\n";
  for (const auto& r : register_layout(arch))
    xml += "  <reg name=\"" + r.name + "\" bitsize=\"32\" regnum=\"" + std::to_string(r.regnum) +
           "\" type=\"" + r.type + "\"/>\n";
  xml += "</feature>\n</target>\n";
  return xml;
}

}  // namespace bulkhead::gdbstub
