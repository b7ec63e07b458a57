#include "layouts.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>

#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/csr.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"

namespace bulkhead::bench {

namespace {

void check_rule(const Rule& r) {
  if (!std::has_single_bit(r.size) || r.size < kRedZone || r.base % r.size != 0)
    throw std::invalid_argument("layout rule at " + std::to_string(r.base) + " of " + std::to_string(r.size) +
                                " bytes is not a naturally aligned power of two of at least 32 bytes");
}

// PMSAv7: one region per rule, in order (the higher region number wins where they overlap).
RegisterImage image_v7(const std::vector<Rule>& rules, int regions) {
  if (static_cast<int>(rules.size()) > regions)
    throw std::invalid_argument(std::to_string(rules.size()) + " rules do not fit " +
                                std::to_string(regions) + " PMSAv7 regions");
  RegisterImage image;
  for (int n = 0; n < regions; ++n) {
    if (n >= static_cast<int>(rules.size())) {
      image.writes.push_back({static_cast<std::uint32_t>(n), 0, 0});  // disabled
      continue;
    }
    const Rule& r = rules[static_cast<std::size_t>(n)];
    check_rule(r);
    // AP, ARMv7-M B3.5.9 Table B3-15: 001 privileged only, 010 unprivileged read-only, 011 full access,
    // 110 read-only at both levels.
    std::uint32_t ap = 1;
    switch (r.access) {
      case RuleAccess::None:
        ap = 1;
        break;
      case RuleAccess::ReadOnly:
        ap = 2;
        break;
      case RuleAccess::ReadWrite:
        ap = 3;
        break;
      case RuleAccess::ReadExecute:
        ap = 6;
        break;
    }
    const auto size_field = static_cast<std::uint32_t>(std::countr_zero(r.size) - 1);
    image.writes.push_back({static_cast<std::uint32_t>(n), r.base,
                            mpu::make_v7_rasr(size_field, ap, r.access != RuleAccess::ReadExecute)});
  }
  return image;
}

// PMSAv8 regions may not overlap (an address in two regions faults), so the rules are flattened first: each
// stretch of addresses becomes a region of the rule that decides it. Stretches a rule denies to unprivileged
// code get a privileged-only region while regions remain, and are left uncovered otherwise (same verdict
// for unprivileged code; privileged code falls back to the default map through PRIVDEFENA).
RegisterImage image_v8(const std::vector<Rule>& rules, int regions) {
  std::vector<std::uint64_t> edges;
  for (const Rule& r : rules) {
    check_rule(r);
    edges.push_back(r.base);
    edges.push_back(std::uint64_t{r.base} + r.size);
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());

  struct Piece {
    std::uint64_t base, end;
    int rule;
  };
  std::vector<Piece> pieces;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    int decider = -1;
    for (std::size_t k = 0; k < rules.size(); ++k)
      if (edges[i] >= rules[k].base && edges[i] < std::uint64_t{rules[k].base} + rules[k].size)
        decider = static_cast<int>(k);
    if (decider < 0) continue;
    if (!pieces.empty() && pieces.back().rule == decider && pieces.back().end == edges[i])
      pieces.back().end = edges[i + 1];
    else
      pieces.push_back({edges[i], edges[i + 1], decider});
  }
  const auto allowed = [&](const Piece& p) {
    return rules[static_cast<std::size_t>(p.rule)].access != RuleAccess::None;
  };
  const auto needed = std::count_if(pieces.begin(), pieces.end(), allowed);
  if (needed > regions)
    throw std::invalid_argument("the layout needs " + std::to_string(needed) +
                                " PMSAv8 regions, the MPU has " + std::to_string(regions));
  std::vector<Piece> chosen;
  auto spare = regions - needed;
  for (const Piece& p : pieces) {
    if (allowed(p))
      chosen.push_back(p);
    else if (spare > 0) {
      chosen.push_back(p);
      --spare;
    }
  }
  RegisterImage image;
  for (int n = 0; n < regions; ++n) {
    if (n >= static_cast<int>(chosen.size())) {
      image.writes.push_back({static_cast<std::uint32_t>(n), 0, 0});  // disabled
      continue;
    }
    const Piece& p = chosen[static_cast<std::size_t>(n)];
    // AP[2:1], ARMv8-M D1.2 MPU_RBAR: 00 privileged RW only, 01 RW both, 11 read-only both.
    std::uint32_t ap = 0;
    switch (rules[static_cast<std::size_t>(p.rule)].access) {
      case RuleAccess::None:
        ap = 0;
        break;
      case RuleAccess::ReadWrite:
        ap = 1;
        break;
      case RuleAccess::ReadOnly:
      case RuleAccess::ReadExecute:
        ap = 3;
        break;
    }
    const bool xn = rules[static_cast<std::size_t>(p.rule)].access != RuleAccess::ReadExecute;
    image.writes.push_back({static_cast<std::uint32_t>(n),
                            mpu::make_v8_rbar(static_cast<std::uint32_t>(p.base), ap, xn),
                            mpu::make_v8_rlar(static_cast<std::uint32_t>(p.end - 1))});
  }
  return image;
}

// PMP: the lowest-numbered matching entry decides, so the last rule goes into entry 0. Every rule is a NAPOT
// entry (priv. spec 3.7.1: pmpaddr = (base + size/2 - 1) >> 2).
RegisterImage image_pmp(const std::vector<Rule>& rules, int regions) {
  const auto entries = static_cast<unsigned>(regions);
  if (rules.size() > entries)
    throw std::invalid_argument(std::to_string(rules.size()) + " rules do not fit " +
                                std::to_string(entries) + " PMP entries");
  RegisterImage image;
  std::vector<std::uint8_t> cfg(entries, 0);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const Rule& r = rules[rules.size() - 1 - i];
    check_rule(r);
    std::uint8_t perms = 0;
    switch (r.access) {
      case RuleAccess::None:
        perms = 0;
        break;
      case RuleAccess::ReadOnly:
        perms = pmp::pmpcfg::R;
        break;
      case RuleAccess::ReadWrite:
        perms = pmp::pmpcfg::R | pmp::pmpcfg::W;
        break;
      case RuleAccess::ReadExecute:
        perms = pmp::pmpcfg::R | pmp::pmpcfg::X;
        break;
    }
    cfg[i] = static_cast<std::uint8_t>(
        (static_cast<unsigned>(pmp::AddressMatching::Napot) << pmp::pmpcfg::A_SHIFT) | perms);
    image.writes.push_back(
        {static_cast<std::uint32_t>(pmp::csr::PMPADDR0 + i), (r.base + r.size / 2 - 1) >> 2, 0});
  }
  for (std::size_t i = rules.size(); i < entries; ++i)
    image.writes.push_back({static_cast<std::uint32_t>(pmp::csr::PMPADDR0 + i), 0, 0});
  for (unsigned reg = 0; reg * 4 < entries; ++reg) {
    std::uint32_t value = 0;
    for (unsigned k = 0; k < 4 && reg * 4 + k < entries; ++k)
      value |= std::uint32_t{cfg[reg * 4 + k]} << (8 * k);
    image.writes.push_back({static_cast<std::uint32_t>(pmp::csr::PMPCFG0 + reg), value, 0});
  }
  return image;
}

}  // namespace

std::uint32_t peripheral_base(emu::CpuProfile profile) {
  return profile == emu::CpuProfile::Rv32imac ? 0x1000'0000u : 0x4000'0000u;
}

std::vector<Rule> realistic_layout(const ModulePlacement& m, emu::CpuProfile profile, int total) {
  const std::uint32_t periph = peripheral_base(profile);
  std::vector<Rule> rules = {
      {m.flash, kFlashRegionSize, RuleAccess::ReadExecute},  // the module's code and read-only data
      {m.ram, kRamRegionSize, RuleAccess::ReadWrite},        // its .data, .bss and stack
      {periph, 0x1000, RuleAccess::ReadWrite},               // a UART
      {m.ram + 0x8000, 0x1000, RuleAccess::ReadOnly},        // a buffer shared with another module
      {m.ram + 0x10000, 0x4000, RuleAccess::None},           // another module's RAM
      {m.flash + 0x10000, 0x10000, RuleAccess::None},        // another module's code
      {m.ram + 0x10'0000, 0x8000, RuleAccess::None},         // the kernel's RAM
      {periph + 0x10000, 0x1000, RuleAccess::ReadWrite},     // a timer
  };
  // More device windows and shared buffers, each in pages of its own.
  for (std::uint32_t k = 0; static_cast<int>(rules.size()) < total; ++k) {
    if (k % 2 == 0)
      rules.push_back({periph + 0x20000 + k * 0x1000, 0x1000, RuleAccess::ReadWrite});
    else
      rules.push_back({m.ram + 0x40000 + k * 0x1000, 0x1000, RuleAccess::ReadOnly});
  }
  rules.resize(static_cast<std::size_t>(total));
  return rules;
}

std::vector<Rule> worst_case_layout(const ModulePlacement& m) {
  if (m.red_zones.empty())
    throw std::invalid_argument("the module has no red zones (symbol bench_red_zones)");
  std::vector<Rule> rules = {
      {m.flash, kFlashRegionSize, RuleAccess::ReadExecute},
      {m.ram, kRamRegionSize, RuleAccess::ReadWrite},
  };
  for (std::uint32_t z : m.red_zones) {
    if (rules.size() == 6) break;
    rules.push_back({z, kRedZone, RuleAccess::None});
  }
  rules.push_back({(m.stack_top - kStackGuardDepth) & ~(kRedZone - 1), kRedZone, RuleAccess::None});
  rules.push_back({(m.stack_top + kRedZone - 1) & ~(kRedZone - 1), kRedZone, RuleAccess::None});
  return rules;
}

RegisterImage register_image(emu::CpuProfile profile, const std::vector<Rule>& rules, int regions) {
  switch (profile) {
    case emu::CpuProfile::CortexM4:
      return image_v7(rules, regions);
    case emu::CpuProfile::CortexM33:
      return image_v8(rules, regions);
    case emu::CpuProfile::Rv32imac:
      return image_pmp(rules, regions);
  }
  throw std::invalid_argument("unknown CPU profile");
}

void load_registers(ProtectionUnit& unit, emu::CpuProfile profile, const RegisterImage& image) {
  switch (profile) {
    case emu::CpuProfile::CortexM4:
      for (const auto& w : image.writes)
        static_cast<mpu::ArmMpuV7&>(unit).set_region(static_cast<int>(w.index), w.first, w.second);
      return;
    case emu::CpuProfile::CortexM33:
      for (const auto& w : image.writes)
        static_cast<mpu::ArmMpuV8&>(unit).set_region(static_cast<int>(w.index), w.first, w.second);
      return;
    case emu::CpuProfile::Rv32imac:
      for (const auto& w : image.writes)
        static_cast<pmp::RiscvPmp&>(unit).write_csr(static_cast<std::uint16_t>(w.index), w.first);
      return;
  }
}

std::unique_ptr<ProtectionUnit> make_unit(emu::CpuProfile profile, const std::vector<Rule>& rules,
                                          int regions) {
  const RegisterImage image = register_image(profile, rules, regions);
  std::unique_ptr<ProtectionUnit> unit;
  switch (profile) {
    case emu::CpuProfile::CortexM4: {
      auto mpu = std::make_unique<mpu::ArmMpuV7>(mpu::ArmMpuV7Options{.regions = regions});
      load_registers(*mpu, profile, image);
      mpu->set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
      return mpu;
    }
    case emu::CpuProfile::CortexM33: {
      auto mpu = std::make_unique<mpu::ArmMpuV8>(mpu::ArmMpuV8Options{.regions = regions});
      load_registers(*mpu, profile, image);
      mpu->set_ctrl(mpu::ctrl::ENABLE | mpu::ctrl::PRIVDEFENA);
      return mpu;
    }
    case emu::CpuProfile::Rv32imac: {
      auto pmp = std::make_unique<pmp::RiscvPmp>(pmp::PmpOptions{.entries = static_cast<unsigned>(regions)});
      load_registers(*pmp, profile, image);
      return pmp;
    }
  }
  throw std::invalid_argument("unknown CPU profile");
}

}  // namespace bulkhead::bench
