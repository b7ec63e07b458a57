#include "bulkhead/core/fault.hpp"
#include "bulkhead/core/types.hpp"
#include "bulkhead/core/verdict.hpp"

namespace bulkhead {

std::string_view to_string(Access a) {
  switch (a) {
    case Access::Read:
      return "read";
    case Access::Write:
      return "write";
    case Access::Execute:
      return "execute";
  }
  return "?";
}

std::string_view to_string(Privilege p) {
  return p == Privilege::Privileged ? "privileged" : "unprivileged";
}

std::string to_string(Perms p) {
  std::string s = "---";
  if (has(p, Perms::R)) s[0] = 'r';
  if (has(p, Perms::W)) s[1] = 'w';
  if (has(p, Perms::X)) s[2] = 'x';
  return s;
}

std::string_view to_string(Arch a) {
  switch (a) {
    case Arch::ArmV7M:
      return "armv7m";
    case Arch::ArmV8M:
      return "armv8m";
    case Arch::Rv32:
      return "rv32";
  }
  return "?";
}

std::string_view to_string(Reason r) {
  switch (r) {
    case Reason::RegionMatch:
      return "region match";
    case Reason::NoMatch:
      return "no region matches";
    case Reason::SubregionDisabled:
      return "subregion disabled";
    case Reason::BackgroundMap:
      return "background map (PRIVDEFENA)";
    case Reason::UnitDisabled:
      return "protection unit disabled";
    case Reason::SystemSpace:
      return "system space uses the default map";
    case Reason::SystemExecuteNever:
      return "system space is execute-never";
    case Reason::VectorTable:
      return "vector table read bypasses the MPU";
    case Reason::Overlap:
      return "overlapping regions";
    case Reason::PartialMatch:
      return "partial match";
    case Reason::MachineDefault:
      return "M-mode default (no entry matches)";
    case Reason::LockedEntry:
      return "locked entry";
    case Reason::MmlRule:
      return "Smepmp MML rule";
    case Reason::ReservedEncoding:
      return "reserved encoding";
    case Reason::Straddle:
      return "access straddles differently decided bytes";
  }
  return "?";
}

std::string_view to_string(FaultKind k) {
  switch (k) {
    case FaultKind::MemManage:
      return "MemManage";
    case FaultKind::BusFault:
      return "BusFault";
    case FaultKind::UsageFault:
      return "UsageFault";
    case FaultKind::AccessFault:
      return "AccessFault";
    case FaultKind::IllegalInstruction:
      return "IllegalInstruction";
    case FaultKind::Breakpoint:
      return "Breakpoint";
    case FaultKind::HardFault:
      return "HardFault";
  }
  return "?";
}

}  // namespace bulkhead
