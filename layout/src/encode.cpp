// The region compiler's front: checks the grants, runs the planner for the target and turns its plan into
// register values in the slots a partition owns.
#include "bulkhead/layout/encode.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/csr.hpp"
#include "encode_internal.hpp"

namespace bulkhead::layout {
namespace {

using detail::Planned;
using detail::Value;

constexpr std::uint64_t kSpaceEnd = std::uint64_t{1} << 32;

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string granule_reason(const UnitConfig& unit) {
  switch (unit.arch) {
    case Arch::ArmV7M:
      return "PMSAv7 regions start at 32-byte multiples (RBAR ADDR[31:5]) and subregions are 1/8 of a "
             "256-byte "
             "or larger region";
    case Arch::ArmV8M:
      return "PMSAv8 RBAR.BASE and RLAR.LIMIT are 32-byte granules";
    case Arch::Rv32:
      return "the PMP grain is 2^(G+2) bytes with G=" + std::to_string(unit.pmp.granularity);
  }
  return "";
}

// ARMv7-M B3.5.9 Table B3-15: the AP value giving unprivileged accesses `perms` (privileged keep RW).
std::uint32_t v7_ap(Perms perms) {
  if (perms == Perms::None) return 0b001;  // privileged RW, unprivileged no access
  return has(perms, Perms::W) ? 0b011u : 0b010u;
}

// ARMv8-M D1.2 MPU_RBAR.AP: AP[2] read-only, AP[1] unprivileged access allowed.
std::uint32_t v8_ap(Perms perms) {
  if (perms == Perms::None) return 0b00;  // RW privileged only
  return has(perms, Perms::W) ? 0b01u : 0b11u;
}

std::uint32_t v7_rasr(const Planned& p) {
  const auto size_field = static_cast<std::uint32_t>(detail::log2_floor(p.size) - 1);  // 2^(SIZE+1) bytes
  const bool xn = !has(p.value.perms, Perms::X);
  // B3.5.9 Table B3-13 (TEX=000): C=1 B=1 normal write-back memory; C=0 B=1 S=1 shareable device.
  const bool device = p.value.attr == MemoryAttr::Device;
  return mpu::make_v7_rasr(size_field, v7_ap(p.value.perms), xn, p.srd, true, 0, device, !device, true);
}

// MAIR0 attribute 0: Normal, inner/outer write-back non-transient read/write-allocate (0xFF); attribute 1:
// Device-nGnRE (0x04). ARMv8-M ARM D1.2 MPU_MAIR0.
constexpr std::uint32_t kMair0 = 0x0000'04FFu;

std::uint32_t v8_rbar(const Planned& p) {
  return mpu::make_v8_rbar(static_cast<std::uint32_t>(p.base), v8_ap(p.value.perms),
                           !has(p.value.perms, Perms::X));
}
std::uint32_t v8_rlar(const Planned& p) {
  const std::uint32_t attr = p.value.attr == MemoryAttr::Device ? 1 : 0;
  return mpu::make_v8_rlar(static_cast<std::uint32_t>(p.base + p.size - 1), true, attr);
}

// Priv. spec 3.7.1: NAPOT pmpaddr = base/4 with (size/8 - 1) in its low bits; NA4 and TOR top = address/4.
std::uint32_t napot_addr(std::uint64_t base, std::uint64_t size) {
  return static_cast<std::uint32_t>((base >> 2) | ((size >> 3) - 1));
}

EncodeFailure fail(EncodeFailureKind kind, int grant, std::string message) {
  EncodeFailure f;
  f.kind = kind;
  f.grant = grant;
  f.message = std::move(message);
  return f;
}

struct Checked {
  std::optional<detail::TargetMap> map;
  EncodeFailure failure;
};

Checked check_grants(const UnitConfig& unit, std::span<const Grant> grants) {
  std::vector<int> order;
  for (int i = 0; i < static_cast<int>(grants.size()); ++i) {
    const Grant& g = grants[static_cast<std::size_t>(i)];
    if (g.perms == Perms::None || g.range.empty()) continue;
    if (g.range.end() > kSpaceEnd) {
      return {std::nullopt, fail(EncodeFailureKind::Misaligned, i,
                                 hex(g.range.base) + "+" + hex(g.range.size) + " ends past 4 GiB")};
    }
    if (!perms_encodable(unit.arch, g.perms)) {
      return {std::nullopt,
              fail(EncodeFailureKind::UnencodablePerms, i,
                   "access " + to_string(g.perms) + " cannot be granted on " +
                       std::string(target_name(unit.arch)) +
                       (unit.arch == Arch::Rv32 ? " (R=0 W=1 is reserved, priv. spec 3.7.1)"
                                                : " (no write-only access, and execution needs read)"))};
    }
    const std::uint64_t gr = granule(unit);
    for (std::uint64_t edge : {g.range.base, g.range.end()}) {
      if (edge % gr != 0) {
        EncodeFailure f = fail(EncodeFailureKind::Misaligned, i,
                               hex(edge) + " is not a multiple of " + std::to_string(gr) + " bytes (" +
                                   granule_reason(unit) + ")");
        f.edge = edge;
        return {std::nullopt, f};
      }
    }
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return grants[static_cast<std::size_t>(a)].range.base < grants[static_cast<std::size_t>(b)].range.base;
  });
  std::vector<detail::Piece> pieces;
  for (std::size_t j = 0; j < order.size(); ++j) {
    const Grant& g = grants[static_cast<std::size_t>(order[j])];
    if (j > 0 && grants[static_cast<std::size_t>(order[j - 1])].range.end() > g.range.base) {
      return {std::nullopt, fail(EncodeFailureKind::Overlap, order[j],
                                 hex(g.range.base) + "+" + hex(g.range.size) + " overlaps another range")};
    }
    // PMP has no memory types: peripherals and RAM with the same access may share an entry.
    pieces.push_back(
        {g.range.base, g.range.end(), Value{g.perms, unit.arch == Arch::Rv32 ? MemoryAttr::Normal : g.attr}});
  }
  return {detail::TargetMap(std::move(pieces)), {}};
}

std::optional<std::vector<Planned>> plan(const UnitConfig& unit, const detail::TargetMap& map) {
  switch (unit.arch) {
    case Arch::ArmV7M:
      return detail::plan_v7(map, unit.v7);
    case Arch::ArmV8M:
      return detail::plan_v8(map);
    case Arch::Rv32:
      return detail::plan_pmp(map, unit.pmp);
  }
  return std::nullopt;
}

HardwareRegion report(int slot, const Planned& p, std::string mode) {
  HardwareRegion r;
  r.slot = slot;
  r.range = {p.base, p.size};
  r.perms = p.value.perms;
  r.attr = p.value.attr;
  r.srd = p.srd;
  r.mode = std::move(mode);
  return r;
}

Encoding arm_encoding(const UnitConfig& unit, const std::vector<Planned>& planned,
                      std::span<const int> slots) {
  Encoding e;
  Programming& prog = e.programming;
  prog.arch = unit.arch;
  prog.mpu_ctrl = mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA;  // the kernel keeps the background map
  if (unit.arch == Arch::ArmV8M) prog.mair = {kMair0, 0};
  for (std::size_t i = 0; i < slots.size(); ++i) {
    const auto slot = static_cast<std::uint8_t>(slots[i]);
    if (i < planned.size()) {
      const Planned& p = planned[i];
      if (unit.arch == Arch::ArmV7M) {
        prog.v7.push_back({slot, static_cast<std::uint32_t>(p.base) | mpu::v7rbar::VALID | slot, v7_rasr(p)});
      } else {
        prog.v8.push_back({slot, v8_rbar(p), v8_rlar(p)});
      }
      e.regions.push_back(report(slots[i], p, "region"));
    } else if (unit.arch == Arch::ArmV7M) {
      prog.v7.push_back({slot, mpu::v7rbar::VALID | slot, 0});  // RASR.ENABLE=0
    } else {
      prog.v8.push_back({slot, 0, 0});  // RLAR.EN=0
    }
  }
  prog.used = static_cast<int>(planned.size());
  return e;
}

// Lays PMP entries into the owned slots. A TOR whose entry below is not ours, or holds another address, gets
// an OFF entry holding its base first. Returns nullopt when the slots run out.
std::optional<Encoding> pmp_encoding(const std::vector<Planned>& planned, std::span<const int> slots) {
  Encoding e;
  Programming& prog = e.programming;
  prog.arch = Arch::Rv32;
  std::vector<std::uint8_t> cfg(slots.size(), 0);
  std::vector<std::uint32_t> addr(slots.size(), 0);
  std::vector<std::optional<std::uint64_t>> tor_top(slots.size());  // address entry i holds for a TOR above
  std::size_t next = 0;
  for (const Planned& p : planned) {
    const auto perms = static_cast<std::uint8_t>(p.value.perms);
    if (p.kind != Planned::Kind::Tor) {
      if (next >= slots.size()) return std::nullopt;
      const bool na4 = p.kind == Planned::Kind::Na4;
      const auto a = na4 ? pmp::AddressMatching::Na4 : pmp::AddressMatching::Napot;
      cfg[next] = static_cast<std::uint8_t>(perms | (static_cast<std::uint8_t>(a) << pmp::pmpcfg::A_SHIFT));
      addr[next] = na4 ? static_cast<std::uint32_t>(p.base >> 2) : napot_addr(p.base, p.size);
      e.regions.push_back(report(slots[next], p, na4 ? "NA4" : "NAPOT"));
      ++next;
      continue;
    }
    for (;;) {
      if (next >= slots.size()) return std::nullopt;
      const int s = slots[next];
      const bool below_ours = next > 0 && slots[next - 1] == s - 1;
      const bool chained = below_ours && tor_top[next - 1] && *tor_top[next - 1] == p.base;
      if (chained || (s == 0 && p.base == 0)) break;
      // An OFF entry holding the base, directly below the TOR entry (priv. spec 3.7.1: TOR's bottom is
      // pmpaddr[i-1] whatever entry i-1's mode).
      if (next + 1 >= slots.size()) return std::nullopt;
      if (slots[next + 1] != s + 1) {
        ++next;  // the slot above is the kernel's: this one cannot serve as a base
        continue;
      }
      addr[next] = static_cast<std::uint32_t>(p.base >> 2);
      tor_top[next] = p.base;
      HardwareRegion base_entry;
      base_entry.slot = s;
      base_entry.range = {p.base, 0};
      base_entry.mode = "TOR base";
      e.regions.push_back(base_entry);
      ++next;
      break;
    }
    cfg[next] = static_cast<std::uint8_t>(
        perms | (static_cast<std::uint8_t>(pmp::AddressMatching::Tor) << pmp::pmpcfg::A_SHIFT));
    addr[next] = static_cast<std::uint32_t>((p.base + p.size) >> 2);
    tor_top[next] = p.base + p.size;
    e.regions.push_back(report(slots[next], p, "TOR"));
    ++next;
  }
  prog.used = static_cast<int>(e.regions.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    prog.pmpaddr.push_back({static_cast<std::uint16_t>(pmp::csr::PMPADDR0 + slots[i]), addr[i]});
    const auto csr = static_cast<std::uint16_t>(pmp::csr::PMPCFG0 + slots[i] / 4);
    const unsigned shift = 8u * static_cast<unsigned>(slots[i] % 4);
    if (prog.pmpcfg.empty() || prog.pmpcfg.back().csr != csr) prog.pmpcfg.push_back({csr, 0, 0});
    prog.pmpcfg.back().value |= std::uint32_t{cfg[i]} << shift;
    prog.pmpcfg.back().mask |= 0xFFu << shift;
  }
  return e;
}

int count(const UnitConfig& unit, const std::vector<Planned>& planned) {
  return unit.arch == Arch::Rv32 ? detail::pmp_slots_needed(planned, 0) : static_cast<int>(planned.size());
}

}  // namespace

std::uint64_t granule(const UnitConfig& unit) {
  if (unit.arch == Arch::Rv32) return std::uint64_t{4} << unit.pmp.granularity;
  return 32;
}

bool perms_encodable(Arch arch, Perms perms) {
  if (arch == Arch::Rv32) return !has(perms, Perms::W) || has(perms, Perms::R);
  return perms == Perms::None || has(perms, Perms::R);
}

EncodeResult encode(const UnitConfig& unit, std::span<const Grant> grants, std::span<const int> slots) {
  EncodeResult result;
  Checked checked = check_grants(unit, grants);
  if (!checked.map) {
    result.failure = checked.failure;
    return result;
  }
  const auto planned = plan(unit, *checked.map);
  if (!planned) {
    result.failure = fail(EncodeFailureKind::Misaligned, -1, "the ranges cannot be encoded");
    return result;
  }
  const int needed = count(unit, *planned);
  if (unit.arch != Arch::Rv32) {
    if (needed > static_cast<int>(slots.size())) {
      result.failure = fail(EncodeFailureKind::Budget, -1, "");
      result.failure.needed = needed;
      return result;
    }
    result.encoding = arm_encoding(unit, *planned, slots);
    return result;
  }
  result.encoding = pmp_encoding(*planned, slots);
  if (!result.encoding) {
    result.failure = fail(EncodeFailureKind::Budget, -1, "");
    result.failure.needed = needed;
  }
  return result;
}

int regions_needed(const UnitConfig& unit, std::span<const Grant> grants) {
  const Checked checked = check_grants(unit, grants);
  if (!checked.map) return -1;
  const auto planned = plan(unit, *checked.map);
  return planned ? count(unit, *planned) : -1;
}

AddressRange nearest_single_region(const UnitConfig& unit, AddressRange range) {
  const std::uint64_t end = range.end();
  if (unit.arch == Arch::ArmV8M) {
    const std::uint64_t lo = range.base & ~std::uint64_t{31};
    const std::uint64_t hi = std::min(kSpaceEnd, (end + 31) & ~std::uint64_t{31});
    return {lo, hi - lo};
  }
  std::uint64_t min_size = 4;
  if (unit.arch == Arch::ArmV7M) min_size = std::max<std::uint64_t>(unit.v7.min_region_size, 32);
  if (unit.arch == Arch::Rv32 && unit.pmp.granularity > 0) min_size = granule(unit);
  if (unit.arch == Arch::Rv32 && unit.pmp.granularity == 0 && range.size > 4) min_size = 8;
  for (std::uint64_t s = std::max(min_size, detail::pow2_ceil(range.size)); s <= kSpaceEnd; s <<= 1) {
    const std::uint64_t b = range.base & ~(s - 1);
    if (b + s < end) continue;
    // B3.5.9: a 256-byte or larger region can drop whole eighths, so round to eighths inside the block.
    if (unit.arch == Arch::ArmV7M && s >= 256) {
      const std::uint64_t sub = s / 8;
      const std::uint64_t lo = b + (range.base - b) / sub * sub;
      const std::uint64_t hi = b + (end - b + sub - 1) / sub * sub;
      return {lo, hi - lo};
    }
    return {b, s};
  }
  return {0, kSpaceEnd};
}

EncodeResult encode_kernel(const UnitConfig& unit, std::span<const KernelRegion> regions) {
  EncodeResult result;
  Encoding e;
  Programming& prog = e.programming;
  prog.arch = unit.arch;
  prog.mpu_ctrl = mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA;
  if (unit.arch == Arch::ArmV8M) prog.mair = {kMair0, 0};
  for (std::size_t i = 0; i < regions.size(); ++i) {
    const KernelRegion& k = regions[i];
    const AddressRange single = nearest_single_region(unit, k.range);
    // PMSAv7 kernel regions are whole 2^n blocks (no subregions), so that one RBAR/RASR pair describes them.
    const bool whole_block = unit.arch == Arch::ArmV8M || detail::is_pow2(k.range.size);
    if (!(single == k.range) || k.range.empty() || !whole_block) {
      result.failure = fail(EncodeFailureKind::Misaligned, static_cast<int>(i),
                            "is not one region's shape on " + std::string(target_name(unit.arch)) +
                                "; nearest: " + hex(single.base) + "+" + hex(single.size));
      return result;
    }
    if (unit.arch != Arch::Rv32 && k.privileged != Perms::None && !has(k.privileged, Perms::R)) {
      result.failure =
          fail(EncodeFailureKind::UnencodablePerms, static_cast<int>(i),
               "privileged access " + to_string(k.privileged) + " cannot be encoded (execution needs read)");
      return result;
    }
    const auto slot = static_cast<std::uint8_t>(k.slot);
    const bool xn = !has(k.privileged, Perms::X);
    const bool ro = !has(k.privileged, Perms::W);
    const bool none = k.privileged == Perms::None;
    Planned p{Planned::Kind::Arm, k.range.base, k.range.size, 0, Value{}};
    switch (unit.arch) {
      case Arch::ArmV7M: {
        // Table B3-15: 000 no access, 001 privileged RW, 101 privileged RO; unprivileged never.
        const std::uint32_t ap = none ? 0b000u : (ro ? 0b101u : 0b001u);
        const auto size_field = static_cast<std::uint32_t>(detail::log2_floor(k.range.size) - 1);
        prog.v7.push_back({slot, static_cast<std::uint32_t>(k.range.base) | mpu::v7rbar::VALID | slot,
                           mpu::make_v7_rasr(size_field, ap, xn, 0, true, 0, false, true, true)});
        break;
      }
      case Arch::ArmV8M: {
        // D1.2 MPU_RBAR.AP: 00 RW privileged only, 10 RO privileged only.
        const std::uint32_t ap = ro ? 0b10u : 0b00u;
        prog.v8.push_back({slot, mpu::make_v8_rbar(static_cast<std::uint32_t>(k.range.base), ap, xn),
                           mpu::make_v8_rlar(static_cast<std::uint32_t>(k.range.end() - 1), true, 0)});
        break;
      }
      case Arch::Rv32: {
        // An unlocked entry with R=W=X=0: S/U-mode denied, M-mode unaffected (priv. spec 3.7.1.2).
        const bool na4 = k.range.size == 4;
        const auto a = na4 ? pmp::AddressMatching::Na4 : pmp::AddressMatching::Napot;
        const auto csr = static_cast<std::uint16_t>(pmp::csr::PMPCFG0 + k.slot / 4);
        const unsigned shift = 8u * static_cast<unsigned>(k.slot % 4);
        prog.pmpaddr.push_back(
            {static_cast<std::uint16_t>(pmp::csr::PMPADDR0 + k.slot),
             na4 ? static_cast<std::uint32_t>(k.range.base >> 2) : napot_addr(k.range.base, k.range.size)});
        prog.pmpcfg.push_back(
            {csr, static_cast<std::uint32_t>(a) << (pmp::pmpcfg::A_SHIFT + shift), 0xFFu << shift});
        p.kind = na4 ? Planned::Kind::Na4 : Planned::Kind::Napot;
        break;
      }
    }
    e.regions.push_back(
        report(k.slot, p, unit.arch == Arch::Rv32 ? (k.range.size == 4 ? "NA4" : "NAPOT") : "region"));
  }
  prog.used = static_cast<int>(regions.size());
  result.encoding = std::move(e);
  return result;
}

}  // namespace bulkhead::layout
