// The answer a protection unit gives for one access, with the reason it gives it.
#pragma once

#include <cstdint>
#include <string>

#include "bulkhead/core/types.hpp"

namespace bulkhead {

// Why a unit decided as it did. Every decision carries one, so that a fault report can say why.
enum class Reason : std::uint8_t {
  RegionMatch,         // a region/entry matched; allowed or not follows from its permissions
  NoMatch,             // no enabled region/entry contains the address (and no background map applies)
  SubregionDisabled,   // PMSAv7: the address's subregion is disabled in the highest match; fell through
  BackgroundMap,       // Arm: privileged access with PRIVDEFENA=1 that hit no region; default memory map
  UnitDisabled,        // Arm: MPU_CTRL.ENABLE=0 (or HFNMIENA=0 at negative priority); default map applies
  SystemSpace,         // Arm: PPB 0xE0000000-0xE00FFFFF always uses the default map
  SystemExecuteNever,  // Arm: addresses >= 0xE0000000 are execute-never
  VectorTable,         // Arm: vector-table reads bypass the MPU
  Overlap,             // PMSAv8: address in two or more enabled regions
  PartialMatch,        // PMP: the matching entry does not cover every byte of the access
  MachineDefault,      // PMP: M-mode access matching no entry succeeds (unless mseccfg.MMWP)
  LockedEntry,         // PMP: matched a locked entry, which binds M-mode too
  MmlRule,             // Smepmp: decided by the mseccfg.MML truth table
  ReservedEncoding,    // a reserved encoding (e.g. AP=0b100, or PMP R=0,W=1) decided the access
  Straddle,            // a multi-byte access whose bytes are decided differently; `fault_address` is the
                       // first denied byte
};

std::string_view to_string(Reason r);

struct Verdict {
  bool allowed = false;
  Reason reason = Reason::NoMatch;
  int region = -1;                  // the region/entry that decided, -1 if none
  int other_region = -1;            // a second region involved (PMSAv8 overlap), -1 if none
  Perms granted = Perms::None;      // what the deciding rule grants at this privilege
  std::uint32_t fault_address = 0;  // first byte that was denied (== access address unless Straddle)
  std::string detail;  // optional free-form explanation (e.g. "AP=0b010: privileged RW, unprivileged RO")
};

}  // namespace bulkhead
