// Shared Arm MPU behaviour: PPB, enable switches, background map, per-byte checks, uniform_perms, syndrome.
#include "bulkhead/mpu/arm_mpu.hpp"

#include <algorithm>
#include <cstdio>

#include "bulkhead/core/log.hpp"

namespace bulkhead::mpu {

std::string hex32(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llX", static_cast<unsigned long long>(value));
  return buf;
}

Perms default_map_perms(std::uint32_t address) {
  // ARMv7-M B3.1 Table B3-1: Peripheral, the two Device areas and System are XN; everything is read/write.
  const std::uint32_t area = address >> 29;
  const bool xn = area == 2 || area == 5 || area == 6 || area == 7;
  return xn ? Perms::RW : Perms::RWX;
}

std::string_view default_map_area(std::uint32_t address) {
  // ARMv7-M B3.1 Table B3-1, one 512 MiB area per entry.
  static constexpr std::string_view kNames[8] = {"Code",        "SRAM",       "Peripheral (XN)",
                                                 "RAM WBWA",    "RAM WT",     "Device shared (XN)",
                                                 "Device (XN)", "System (XN)"};
  return kNames[address >> 29];
}

ArmMpu::ArmMpu(int region_count) : region_count_(region_count), log_(bulkhead::log::get("mpu")) {
  mark_edges_dirty();
}

bool ArmMpu::mpu_active() const {
  // ARMv7-M B3.5.6: ENABLE=0 -> default map; ENABLE=1, HFNMIENA=0 at priority < 0 -> MPU off for that access.
  // ENABLE=0 with HFNMIENA=1 is UNPREDICTABLE; treated as disabled (warned on write).
  if ((ctrl_ & ctrl::ENABLE) == 0) return false;
  return !(negative_priority_ && (ctrl_ & ctrl::HFNMIENA) == 0);
}

void ArmMpu::set_negative_priority(bool negative) {
  if (negative == negative_priority_) return;
  negative_priority_ = negative;
  bump_generation();
}

void ArmMpu::set_ctrl(std::uint32_t value) {
  write(addr::MPU_CTRL, value);
}

void ArmMpu::write_ctrl(std::uint32_t value) {
  const std::uint32_t next = value & ctrl::MASK;
  if ((next & ctrl::ENABLE) == 0 && (next & ctrl::HFNMIENA) != 0) {
    log().warn(
        "MPU_CTRL={}: HFNMIENA=1 with ENABLE=0 is UNPREDICTABLE (ARMv7-M B3.5.6); MPU treated as disabled",
        hex32(value));
  }
  if (next == ctrl_) return;
  ctrl_ = next;
  bump_generation();
}

void ArmMpu::write_rnr(std::uint32_t value) {
  const std::uint32_t region = value & rnr::REGION_MASK;
  if (static_cast<int>(region) >= region_count_) {
    // ARMv7-M B3.5.7: writing a region number >= DREGION is UNPREDICTABLE; like QEMU, ignore the write.
    log().warn("MPU_RNR={}: region {} does not exist ({} regions); write ignored", hex32(value), region,
               region_count_);
    return;
  }
  rnr_ = region;
}

void ArmMpu::rebuild_edges() const {
  std::vector<std::uint64_t> edges;
  collect_region_edges(edges);
  // The default map changes every 512 MiB and at the end of the PPB (Table B3-1).
  for (std::uint64_t a = 0; a < kAddressSpaceEnd; a += 0x2000'0000) edges.push_back(a);
  edges.push_back(kPpbEnd);
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  while (!edges.empty() && edges.back() >= kAddressSpaceEnd) edges.pop_back();
  edges_ = std::move(edges);
  edges_dirty_ = false;
}

ArmMpu::Decision ArmMpu::decide(std::uint32_t address, Privilege priv) const {
  const bool privileged = priv == Privilege::Privileged;
  // ARMv7-M B3.5.1: the PPB always uses the default map; B3.2: unprivileged SCS/PPB accesses fault.
  if (is_ppb(address)) return {Reason::SystemSpace, -1, -1, privileged ? Perms::RW : Perms::None};
  // ARMv7-M B3.5.2 / B3.5.6: MPU off (or off at negative priority) -> default map for everyone.
  if (!mpu_active()) return {Reason::UnitDisabled, -1, -1, default_map_perms(address)};
  Decision d = lookup(address, priv);
  switch (d.reason) {
    case Reason::RegionMatch:
    case Reason::ReservedEncoding:
    case Reason::Overlap:
      // ARMv7-M B3.1: the System area is execute-never whatever the MPU says.
      if (address >= kSystemBase) d.granted &= ~Perms::X;
      return d;
    default:
      break;
  }
  // ARMv7-M B3.5.3: no region -> privileged accesses use the default map only when PRIVDEFENA=1.
  if (privileged && (ctrl_ & ctrl::PRIVDEFENA) != 0) {
    return {Reason::BackgroundMap, -1, -1, default_map_perms(address)};
  }
  return d;
}

std::string ArmMpu::explain_decision(const Decision& d, std::uint32_t address, Access access,
                                     Privilege priv) const {
  const bool privileged = priv == Privilege::Privileged;
  std::string out;
  if (access == Access::Execute && address >= kSystemBase) {
    out = "addresses >= 0xE0000000 are execute-never (B3.1); ";
  }
  switch (d.reason) {
    case Reason::SystemSpace:
      out += "PPB 0xE0000000-0xE00FFFFF uses the default map";
      if (!privileged)
        out += "; unprivileged PPB access denied (on hardware a BusFault, not a MemManage fault)";
      return out;
    case Reason::UnitDisabled:
      out += (ctrl_ & ctrl::ENABLE) == 0 ? "MPU_CTRL.ENABLE=0" : "HFNMIENA=0 at negative execution priority";
      out += ": default map, ";
      out += default_map_area(address);
      return out;
    case Reason::BackgroundMap:
      out += "no region; PRIVDEFENA=1 privileged default map, ";
      out += default_map_area(address);
      return out;
    case Reason::NoMatch:
      out += "no enabled region contains " + hex32(address);
      out += privileged ? " and PRIVDEFENA=0" : " (no background map for unprivileged accesses)";
      return out;
    default:
      return out + explain(d, address);
  }
}

Verdict ArmMpu::make_verdict(const Decision& d, std::uint32_t address, Access access, Privilege priv) const {
  Verdict v;
  v.allowed = has(d.granted, perm_for(access));
  v.reason = (access == Access::Execute && address >= kSystemBase) ? Reason::SystemExecuteNever : d.reason;
  v.region = d.region;
  v.other_region = d.other_region;
  v.granted = d.granted;
  v.fault_address = address;
  v.detail = explain_decision(d, address, access, priv);
  return v;
}

Verdict ArmMpu::check(std::uint32_t address, std::uint32_t size, Access access, Privilege priv) const {
  const std::uint32_t n = std::max<std::uint32_t>(size, 1);
  const Perms need = perm_for(access);
  // ARMv7-M B3.5.3 / A3.2: every byte of an access is checked (unaligned accesses may cross a region edge).
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t byte = address + i;  // wraps at 4 GiB
    const Decision d = decide(byte, priv);
    if (has(d.granted, need)) continue;
    Verdict v = make_verdict(d, byte, access, priv);
    if (i > 0) {
      v.detail = "bytes decided differently; first denied byte " + hex32(byte) + " (" +
                 std::string(to_string(v.reason)) + "): " + v.detail;
      v.reason = Reason::Straddle;
    }
    return v;
  }
  return make_verdict(decide(address, priv), address, access, priv);
}

std::optional<Perms> ArmMpu::uniform_perms(AddressRange range, Privilege priv) const {
  if (range.empty() || range.end() > kAddressSpaceEnd) return std::nullopt;
  if (edges_dirty_) rebuild_edges();
  const Decision first = decide(static_cast<std::uint32_t>(range.base), priv);
  // The decision is constant between consecutive edges, so one probe per edge inside the range suffices.
  for (auto it = std::upper_bound(edges_.begin(), edges_.end(), range.base);
       it != edges_.end() && *it < range.end(); ++it) {
    if (decide(static_cast<std::uint32_t>(*it), priv) != first) return std::nullopt;
  }
  return first.granted;
}

Syndrome ArmMpu::syndrome(const Verdict& v, Access access, std::uint32_t address) const {
  (void)address;  // the verdict's fault_address is the first denied byte, which is what MMFAR holds
  Syndrome s;
  if (v.allowed) return s;
  if (access == Access::Execute) {
    s.mmfsr = mmfsr::IACCVIOL;  // B3.2.15: MMARVALID=0, MMFAR not updated
  } else {
    s.mmfsr = mmfsr::DACCVIOL | mmfsr::MMARVALID;
    s.mmfar = v.fault_address;
  }
  return s;
}

Syndrome ArmMpu::data_syndrome(const Verdict& v, DataContext context) const {
  if (context == DataContext::Instruction) return syndrome(v, Access::Read, v.fault_address);
  Syndrome s;
  if (v.allowed) return s;
  // ARMv7-M B3.2.15: stacking, unstacking and lazy FP errors set their own bit; MMARVALID stays 0, so MMFAR
  // is not updated (the faulting address is the stack, which the handler can find from SP).
  switch (context) {
    case DataContext::Stacking:
      s.mmfsr = mmfsr::MSTKERR;
      break;
    case DataContext::Unstacking:
      s.mmfsr = mmfsr::MUNSTKERR;
      break;
    case DataContext::LazyFpStacking:
      s.mmfsr = mmfsr::MLSPERR;
      break;
    case DataContext::Instruction:
      break;
  }
  return s;
}

Verdict ArmMpu::check_vector_table_read(std::uint32_t address, std::uint32_t size) const {
  (void)size;
  Verdict v;
  v.allowed = true;
  v.reason = Reason::VectorTable;
  v.granted = Perms::R;
  v.fault_address = address;
  v.detail = "vector-table read on exception entry bypasses the MPU (ARMv7-M B3.5.1)";
  return v;
}

}  // namespace bulkhead::mpu
