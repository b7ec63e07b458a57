// What PMSAv7 and PMSAv8 share: the default memory map, the PPB and XN rules, the MPU_CTRL switches, per-byte
// checking of multi-byte accesses, uniform_perms over decoded edges, and the MemManage syndrome.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/protection_unit.hpp"
#include "bulkhead/mpu/registers.hpp"

namespace spdlog {
class logger;
}

namespace bulkhead::mpu {

// ARMv7-M ARM B3.1 Table B3-1; the ARMv8-M ARM "System address map" chapter keeps the same layout.
constexpr std::uint32_t kPpbBase = 0xE000'0000;         // Private Peripheral Bus, B3.1
constexpr std::uint64_t kPpbEnd = 0xE010'0000;          // one past the PPB
constexpr std::uint32_t kSystemBase = 0xE000'0000;      // System region: always execute-never, B3.1
constexpr std::uint64_t kAddressSpaceEnd = 1ull << 32;  // one past the last byte

constexpr bool is_ppb(std::uint32_t address) {
  return address >= kPpbBase && address < kPpbEnd;
}

// The default memory map's permissions (B3.1 Table B3-1 "XN" column): read/write everywhere, execute except
// in Peripheral 0x40000000-0x5FFFFFFF, Device 0xA0000000-0xDFFFFFFF and System 0xE0000000-0xFFFFFFFF. The
// PPB's unprivileged denial is not included here (see ArmMpu::check).
Perms default_map_perms(std::uint32_t address);

// The Table B3-1 name of the 512 MiB area holding `address` ("Code", "SRAM", "Peripheral", ...).
std::string_view default_map_area(std::uint32_t address);

// Common behaviour of the Arm MPUs. The models supply the region lookup; everything else lives here.
class ArmMpu : public ProtectionUnit {
 public:
  // Checks every byte (address + i, wrapping at 4 GiB) of a `size`-byte access (0 is treated as 1).
  // The access is allowed only if every byte is; otherwise the verdict is the first denied byte's, with
  // fault_address = that byte and, if an earlier byte was allowed, reason Straddle (the underlying reason
  // is named in `detail`).
  Verdict check(std::uint32_t address, std::uint32_t size, Access access, Privilege priv) const final;

  // nullopt for an empty range, a range past 4 GiB, or a range whose bytes are decided by more than one rule
  // (same reason, same region(s) and same permissions); otherwise the permissions of every byte.
  std::optional<Perms> uniform_perms(AddressRange range, Privilege priv) const final;

  std::uint64_t generation() const final { return generation_; }

  // ARMv7-M B3.2.15: an instruction fetch sets IACCVIOL with MMARVALID=0 (MMFAR left 0); a data access sets
  // DACCVIOL|MMARVALID with MMFAR = the first denied byte. An allowed verdict yields an empty syndrome.
  // An unprivileged PPB access is a BusFault on hardware; it is reported here as DACCVIOL (see detail).
  Syndrome syndrome(const Verdict& v, Access access, std::uint32_t address) const final;

  // ARMv7-M B3.5.1 / ARMv8-M: vector-table reads on exception entry bypass the MPU. Always allowed.
  Verdict check_vector_table_read(std::uint32_t address, std::uint32_t size) const;

  // What the processor was doing when a data access was denied. Exception entry and return access memory too;
  // their MemManage faults have syndrome bits of their own (ARMv7-M B3.2.15, ARMv8-M MMFSR).
  enum class DataContext : std::uint8_t {
    Instruction,     // an ordinary load/store: DACCVIOL, MMARVALID, MMFAR
    Stacking,        // exception entry pushing the frame: MSTKERR, MMFAR not valid
    Unstacking,      // exception return popping the frame: MUNSTKERR, MMFAR not valid
    LazyFpStacking,  // lazy floating-point state preservation: MLSPERR, MMFAR not valid
  };
  // The syndrome of a denied data access in `context`; Instruction is exactly syndrome(v, access, address).
  Syndrome data_syndrome(const Verdict& v, DataContext context) const;

  // Register face: word reads and writes at System Control Space addresses. Unknown addresses RAZ/WI.
  virtual void write(std::uint32_t addr, std::uint32_t value) = 0;
  virtual std::uint32_t read(std::uint32_t addr) const = 0;

  // Models "execution priority < 0" (HardFault, NMI, FAULTMASK set): with MPU_CTRL.HFNMIENA=0 the MPU is then
  // off for every access (ARMv7-M B3.5.6). Changing it bumps generation().
  void set_negative_priority(bool negative);
  bool negative_priority() const { return negative_priority_; }

  // Convenience: writes MPU_CTRL through the register face.
  void set_ctrl(std::uint32_t value);
  std::uint32_t ctrl() const { return ctrl_; }

  // True when the region table is consulted: ENABLE=1 and not (negative priority with HFNMIENA=0).
  bool mpu_active() const;
  int region_count() const { return region_count_; }

 protected:
  // What decided one byte at one privilege. Two bytes with equal decisions are decided by the same rule.
  struct Decision {
    Reason reason = Reason::NoMatch;
    int region = -1;
    int other_region = -1;
    Perms granted = Perms::None;
    friend bool operator==(const Decision&, const Decision&) = default;
  };

  explicit ArmMpu(int region_count);

  // The region table alone (no PPB, no enable, no background): RegionMatch / ReservedEncoding / Overlap with
  // the region's permissions at `priv`, or NoMatch / SubregionDisabled with Perms::None.
  virtual Decision lookup(std::uint32_t address, Privilege priv) const = 0;
  // A short explanation of a region-table decision, for Verdict::detail.
  virtual std::string explain(const Decision& d, std::uint32_t address) const = 0;

  // MPU_CTRL write (ARMv7-M B3.5.6): bits other than ENABLE/HFNMIENA/PRIVDEFENA are RAZ/WI.
  void write_ctrl(std::uint32_t value);
  // MPU_RNR write (B3.5.7): REGION >= DREGION is UNPREDICTABLE; the write is ignored with a warning.
  void write_rnr(std::uint32_t value);
  // Every address where the region table's decision may change (region bases/ends, subregion edges).
  virtual void collect_region_edges(std::vector<std::uint64_t>& out) const = 0;
  // Call after each decode: the edges are rebuilt once, on the next uniform_perms(), so that a kernel
  // loading 16 regions register by register pays for one rebuild, not 32.
  void mark_edges_dirty() { edges_dirty_ = true; }
  void bump_generation() { ++generation_; }

  spdlog::logger& log() const { return *log_; }

  std::uint32_t ctrl_ = 0;
  std::uint32_t rnr_ = 0;
  const int region_count_;

 private:
  Decision decide(std::uint32_t address, Privilege priv) const;
  Verdict make_verdict(const Decision& d, std::uint32_t address, Access access, Privilege priv) const;
  std::string explain_decision(const Decision& d, std::uint32_t address, Access access, Privilege priv) const;

  bool negative_priority_ = false;
  std::uint64_t generation_ = 0;
  void rebuild_edges() const;
  mutable std::vector<std::uint64_t> edges_;  // sorted, includes 0 and the default map's area edges
  mutable bool edges_dirty_ = true;
  std::shared_ptr<spdlog::logger> log_;
};

// "0x20000000" style formatting shared by the describers.
std::string hex32(std::uint64_t value);

}  // namespace bulkhead::mpu
