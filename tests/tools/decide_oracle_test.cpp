// `bulkhead decide` as an oracle: for random register dumps and random accesses, every verdict the CLI prints
// (--json) must equal what the library's check() says for the same register writes applied in-process.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"
#include "run_bulkhead.hpp"

namespace {

using bulkhead::Access;
using bulkhead::Privilege;
using bulkhead::ProtectionUnit;
using bulkhead::Reason;
using nlohmann::json;

constexpr int kConfigsPerModel = 6;
constexpr int kAccessesPerConfig = 100;

// Written here, not shared with tools/, so that a wrong key in the CLI shows up as a mismatch.
std::string expected_key(Reason r) {
  switch (r) {
    case Reason::RegionMatch:
      return "region_match";
    case Reason::NoMatch:
      return "no_match";
    case Reason::SubregionDisabled:
      return "subregion_disabled";
    case Reason::BackgroundMap:
      return "background_map";
    case Reason::UnitDisabled:
      return "unit_disabled";
    case Reason::SystemSpace:
      return "system_space";
    case Reason::SystemExecuteNever:
      return "system_execute_never";
    case Reason::VectorTable:
      return "vector_table";
    case Reason::Overlap:
      return "overlap";
    case Reason::PartialMatch:
      return "partial_match";
    case Reason::MachineDefault:
      return "machine_default";
    case Reason::LockedEntry:
      return "locked_entry";
    case Reason::MmlRule:
      return "mml_rule";
    case Reason::ReservedEncoding:
      return "reserved_encoding";
    case Reason::Straddle:
      return "straddle";
  }
  return "?";
}

class Rng {
 public:
  explicit Rng(std::uint32_t seed) : gen_(seed) {}
  std::uint32_t below(std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(gen_);
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(gen_); }
  std::uint32_t any() { return static_cast<std::uint32_t>(gen_()); }

 private:
  std::mt19937 gen_;
};

// Numbers go in as JSON integers or as hex strings, at random, so both input forms are exercised.
json number(Rng& rng, std::uint32_t v) {
  if (rng.chance(0.5)) return v;
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

// A dump under construction and the same writes applied to an in-process model.
struct Scenario {
  json dump;
  std::unique_ptr<ProtectionUnit> unit;
  std::vector<std::string> privilege_names;  // [unprivileged, privileged] spellings for this model
};

// Mostly near the regions (so that edges, subregions, overlaps and partial matches come up), sometimes
// anywhere, sometimes at the top of the address space (system space, wrap-around).
std::uint32_t random_address(Rng& rng) {
  const std::uint32_t pick = rng.below(20);
  if (pick < 16) return 0x1FFF'FF00u + rng.below(0x4300);
  if (pick < 18) return rng.any();
  return pick == 18 ? 0xE000'0000u + rng.below(0x20'0000) : 0xFFFF'FFF8u + rng.below(8);
}

void add_arm_write(Rng& rng, json& writes, bulkhead::mpu::ArmMpu& mpu, std::uint32_t addr, const char* name,
                   std::uint32_t value) {
  mpu.write(addr, value);
  if (rng.chance(0.5)) {
    writes.push_back({{"reg", name}, {"value", number(rng, value)}});
  } else {
    writes.push_back({{"addr", number(rng, addr)}, {"value", number(rng, value)}});
  }
}

Scenario make_v7(Rng& rng) {
  namespace m = bulkhead::mpu;
  m::ArmMpuV7Options o;
  o.regions = rng.chance(0.5) ? 8 : 16;
  o.min_region_size = rng.chance(0.8) ? 32 : 256;
  o.srd_below_256 = rng.chance(0.5) ? m::SrdBelow256Policy::Ignore : m::SrdBelow256Policy::Honour;
  o.unaligned_base =
      rng.chance(0.5) ? m::UnalignedBasePolicy::MaskLowBits : m::UnalignedBasePolicy::SkipRegion;
  auto mpu = std::make_unique<m::ArmMpuV7>(o);
  Scenario s;
  s.dump = {{"model", "pmsav7"},
            {"options",
             {{"regions", o.regions},
              {"min_region_size", o.min_region_size},
              {"srd_below_256", o.srd_below_256 == m::SrdBelow256Policy::Ignore ? "ignore" : "honour"},
              {"unaligned_base",
               o.unaligned_base == m::UnalignedBasePolicy::MaskLowBits ? "mask_low_bits" : "skip_region"}}}};
  json writes = json::array();
  for (int n = 0; n < o.regions; ++n) {
    if (!rng.chance(0.6)) continue;
    const std::uint32_t rbar = (0x2000'0000u + rng.below(0x4000)) & ~31u;
    const std::uint32_t rasr = m::make_v7_rasr(
        3 + rng.below(11), rng.below(8), rng.chance(0.3), rng.chance(0.3) ? rng.below(256) : 0,
        rng.chance(0.9), rng.below(8), rng.chance(0.5), rng.chance(0.5), rng.chance(0.5));
    if (rng.chance(0.5)) {
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RNR, "MPU_RNR", static_cast<std::uint32_t>(n));
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RBAR, "MPU_RBAR", rbar);
    } else {
      // B3.5.8: RBAR.VALID=1 selects the region without an RNR write.
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RBAR_A2, "MPU_RBAR_A2",
                    rbar | m::v7rbar::VALID | static_cast<std::uint32_t>(n));
    }
    add_arm_write(rng, writes, *mpu, m::addr::MPU_RASR_A3, "MPU_RASR_A3", rasr);
  }
  add_arm_write(rng, writes, *mpu, m::addr::MPU_CTRL, "MPU_CTRL",
                rng.chance(0.8) ? 1u + 4u * rng.below(2) : rng.below(8));
  const bool negative = rng.chance(0.2);
  mpu->set_negative_priority(negative);
  s.dump["state"] = {{"negative_priority", negative}};
  s.dump["writes"] = writes;
  s.unit = std::move(mpu);
  s.privilege_names = {"unprivileged", "privileged"};
  return s;
}

Scenario make_v8(Rng& rng) {
  namespace m = bulkhead::mpu;
  m::ArmMpuV8Options o;
  o.regions = rng.chance(0.5) ? 8 : 16;
  o.v81m = rng.chance(0.5);
  auto mpu = std::make_unique<m::ArmMpuV8>(o);
  Scenario s;
  s.dump = {{"model", "pmsav8"}, {"options", {{"regions", o.regions}, {"v81m", o.v81m}}}};
  json writes = json::array();
  add_arm_write(rng, writes, *mpu, m::addr::MPU_MAIR0, "MPU_MAIR0", rng.any());
  for (int n = 0; n < o.regions; ++n) {
    if (!rng.chance(0.5)) continue;
    const std::uint32_t base = 0x2000'0000u + rng.below(0x4000);
    const std::uint32_t rbar = m::make_v8_rbar(base, rng.below(4), rng.chance(0.3), rng.below(4));
    const std::uint32_t rlar = m::make_v8_rlar(base + rng.below(0x1000) - (rng.chance(0.1) ? 0x800 : 0),
                                               rng.chance(0.9), rng.below(8), rng.chance(0.3));
    if (n % 4 != 0 && rng.chance(0.5)) {
      // ARMv8-M D1.2: alias n addresses region RNR[7:2]:n.
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RNR, "MPU_RNR", static_cast<std::uint32_t>(n & ~3));
      static constexpr std::uint32_t kRbar[4] = {0, m::addr::MPU_RBAR_A1, m::addr::MPU_RBAR_A2,
                                                 m::addr::MPU_RBAR_A3};
      static constexpr std::uint32_t kRlar[4] = {0, m::addr::MPU_RLAR_A1, m::addr::MPU_RLAR_A2,
                                                 m::addr::MPU_RLAR_A3};
      static constexpr const char* kRbarName[4] = {"", "MPU_RBAR_A1", "MPU_RBAR_A2", "MPU_RBAR_A3"};
      static constexpr const char* kRlarName[4] = {"", "MPU_RLAR_A1", "MPU_RLAR_A2", "MPU_RLAR_A3"};
      add_arm_write(rng, writes, *mpu, kRbar[n % 4], kRbarName[n % 4], rbar);
      add_arm_write(rng, writes, *mpu, kRlar[n % 4], kRlarName[n % 4], rlar);
    } else {
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RNR, "MPU_RNR", static_cast<std::uint32_t>(n));
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RBAR, "MPU_RBAR", rbar);
      add_arm_write(rng, writes, *mpu, m::addr::MPU_RLAR, "MPU_RLAR", rlar);
    }
  }
  add_arm_write(rng, writes, *mpu, m::addr::MPU_CTRL, "MPU_CTRL",
                rng.chance(0.8) ? 1u + 4u * rng.below(2) : rng.below(8));
  const bool negative = rng.chance(0.2);
  mpu->set_negative_priority(negative);
  s.dump["state"] = {{"negative_priority", negative}};
  s.dump["writes"] = writes;
  s.unit = std::move(mpu);
  s.privilege_names = {"unprivileged", "privileged"};
  return s;
}

Scenario make_pmp(Rng& rng) {
  namespace p = bulkhead::pmp;
  p::PmpOptions o;
  static constexpr unsigned kEntries[4] = {4, 8, 16, 64};
  o.entries = kEntries[rng.below(4)];
  o.granularity = rng.chance(0.6) ? 0 : rng.below(4);
  o.smepmp = rng.chance(0.7);
  auto pmp = std::make_unique<p::RiscvPmp>(o);
  Scenario s;
  s.dump = {{"model", "pmp"},
            {"options", {{"entries", o.entries}, {"granularity", o.granularity}, {"smepmp", o.smepmp}}}};
  json writes = json::array();
  auto write = [&](std::uint16_t csr, std::uint32_t value, const std::string& name) {
    ASSERT_TRUE(pmp->write_csr(csr, value)) << name;
    writes.push_back(
        {{"csr", rng.chance(0.5) ? json(name) : number(rng, csr)}, {"value", number(rng, value)}});
  };
  const unsigned used = std::min(o.entries, 12u);
  for (unsigned i = 0; i < used; ++i) {
    std::uint32_t a = (0x2000'0000u + rng.below(0x4000)) >> 2;
    if (rng.chance(0.5)) a |= (1u << rng.below(10)) - 1;  // a NAPOT size
    write(static_cast<std::uint16_t>(p::csr::PMPADDR0 + i), a, "pmpaddr" + std::to_string(i));
  }
  if (o.smepmp && rng.chance(0.5))
    write(p::csr::MSECCFG, rng.below(8) | p::mseccfg::MML, "mseccfg");  // MML: the Smepmp truth table
  for (unsigned k = 0; k * 4 < used; ++k) {
    std::uint32_t value = 0;
    for (unsigned b = 0; b < 4; ++b) {
      std::uint32_t cfg = rng.below(0x20);  // R W X and A
      if (rng.chance(0.15)) cfg |= 0x80;    // L
      value |= cfg << (8 * b);
    }
    write(static_cast<std::uint16_t>(p::csr::PMPCFG0 + k), value, "pmpcfg" + std::to_string(k));
  }
  s.dump["writes"] = writes;
  s.unit = std::move(pmp);
  s.privilege_names = {rng.chance(0.5) ? "user" : "supervisor", "machine"};
  return s;
}

void check_line(const json& line, const ProtectionUnit& unit, const json& request) {
  const auto address = request.at("address").get<std::uint32_t>();
  const auto size = request.at("size").get<std::uint32_t>();
  const std::string access_name = request.at("access");
  const Access access = access_name == "read"    ? Access::Read
                        : access_name == "write" ? Access::Write
                                                 : Access::Execute;
  const std::string priv_name = request.at("privilege");
  const Privilege priv =
      priv_name == "privileged" || priv_name == "machine" ? Privilege::Privileged : Privilege::Unprivileged;
  const bulkhead::Verdict v = unit.check(address, size, access, priv);
  SCOPED_TRACE(request.dump() + " -> " + line.dump());
  EXPECT_EQ(line.at("address"), address);
  EXPECT_EQ(line.at("size"), size);
  EXPECT_EQ(line.at("access"), access_name);
  EXPECT_EQ(line.at("privilege"), priv_name);
  EXPECT_EQ(line.at("allowed"), v.allowed);
  EXPECT_EQ(line.at("reason"), expected_key(v.reason));
  EXPECT_EQ(line.at("reason_text"), std::string(bulkhead::to_string(v.reason)));
  EXPECT_EQ(line.at("region"), v.region >= 0 ? json(v.region) : json(nullptr));
  EXPECT_EQ(line.at("other_region"), v.other_region >= 0 ? json(v.other_region) : json(nullptr));
  EXPECT_EQ(line.at("granted"), bulkhead::to_string(v.granted));
  EXPECT_EQ(line.at("fault_address"), v.fault_address);
  EXPECT_EQ(line.at("detail"), v.detail);
  if (v.allowed) {
    EXPECT_FALSE(line.contains("syndrome"));
    return;
  }
  const bulkhead::Syndrome syn = unit.syndrome(v, access, address);
  const json& s = line.at("syndrome");
  if (unit.name() == "pmp") {
    EXPECT_EQ(s.at("mcause"), syn.mcause);
    EXPECT_EQ(s.at("mtval"), syn.mtval);
  } else {
    EXPECT_EQ(s.at("mmfsr"), syn.mmfsr);
    EXPECT_EQ(s.at("mmfar"), syn.mmfar);
  }
}

// Adds random accesses, runs the CLI with --json --regions and compares every line with the model.
// Returns the reasons seen, so the caller can check the run was not trivially one-sided.
std::set<std::string> run_and_compare(Rng& rng, Scenario& s) {
  // Half the accesses aim at a decoded region: inside it, or just before its start or end, where
  // multi-byte accesses straddle differently decided bytes.
  std::vector<std::uint64_t> targets;
  for (const bulkhead::RegionInfo& r : s.unit->regions()) {
    if (!r.enabled || r.range.size == 0 || r.range.end() > (1ull << 32)) continue;
    targets.push_back(r.range.base);
    targets.push_back(r.range.end());
    targets.push_back(r.range.base +
                      rng.below(static_cast<std::uint32_t>(std::min<std::uint64_t>(r.range.size, 1u << 30))));
  }
  json accesses = json::array();
  static constexpr const char* kAccess[3] = {"read", "write", "execute"};
  for (int i = 0; i < kAccessesPerConfig; ++i) {
    std::uint32_t address = random_address(rng);
    if (!targets.empty() && rng.chance(0.5)) {
      address = static_cast<std::uint32_t>(targets[rng.below(static_cast<std::uint32_t>(targets.size()))]) -
                rng.below(8);
    }
    accesses.push_back({{"address", address},
                        {"size", 1 + rng.below(8)},
                        {"access", kAccess[rng.below(3)]},
                        {"privilege", s.privilege_names[rng.below(2)]}});
  }
  s.dump["accesses"] = accesses;
  // The dump file gets the numbers as the JSON carries them; `accesses` above keeps integers for checking.
  json file = s.dump;
  for (json& a : file["accesses"]) a["address"] = number(rng, a["address"].get<std::uint32_t>());
  const bulkhead_test::Outcome o = bulkhead_test::decide(file.dump(2), "--json --regions");
  EXPECT_EQ(o.status, 0) << o.err;

  std::istringstream in(o.out);
  std::string line;
  std::set<std::string> reasons;
  EXPECT_TRUE(std::getline(in, line));
  const json table = json::parse(line).at("regions");
  const std::vector<bulkhead::RegionInfo> rows = s.unit->regions();
  EXPECT_EQ(table.size(), rows.size());
  for (std::size_t i = 0; i < std::min<std::size_t>(table.size(), rows.size()); ++i) {
    EXPECT_EQ(table[i].at("index"), rows[i].index);
    EXPECT_EQ(table[i].at("enabled"), rows[i].enabled);
    EXPECT_EQ(table[i].at("base"), rows[i].range.base);
    EXPECT_EQ(table[i].at("size"), rows[i].range.size);
    EXPECT_EQ(table[i].at("privileged"), bulkhead::to_string(rows[i].privileged));
    EXPECT_EQ(table[i].at("unprivileged"), bulkhead::to_string(rows[i].unprivileged));
    EXPECT_EQ(table[i].at("description"), rows[i].description);
  }
  std::size_t n = 0;
  while (std::getline(in, line) && n < accesses.size()) {
    const json j = json::parse(line);
    check_line(j, *s.unit, accesses[n]);
    reasons.insert(j.at("reason").get<std::string>());
    ++n;
  }
  EXPECT_EQ(n, accesses.size()) << "the CLI printed " << n << " verdicts";
  return reasons;
}

template <typename Make>
void compare_model(std::uint32_t seed, Make make, const std::set<std::string>& must_see) {
  Rng rng(seed);
  std::set<std::string> reasons;
  for (int c = 0; c < kConfigsPerModel; ++c) {
    Scenario s = make(rng);
    if (::testing::Test::HasFatalFailure()) return;
    for (const std::string& r : run_and_compare(rng, s)) reasons.insert(r);
  }
  std::printf("reasons exercised: %s\n", json(reasons).dump().c_str());
  // Guards against a generator that never reaches the interesting rules (the seeds are fixed, so this is
  // deterministic).
  for (const std::string& r : must_see) EXPECT_TRUE(reasons.count(r)) << r << " never exercised";
}

TEST(DecideOracle, Pmsav7VerdictsEqualTheLibrary) {
  compare_model(7, make_v7, {"region_match", "no_match", "subregion_disabled", "background_map", "straddle"});
}

TEST(DecideOracle, Pmsav8VerdictsEqualTheLibrary) {
  compare_model(8, make_v8, {"region_match", "no_match", "overlap", "background_map", "straddle"});
}

TEST(DecideOracle, PmpVerdictsEqualTheLibrary) {
  compare_model(32, make_pmp,
                {"region_match", "no_match", "partial_match", "machine_default", "locked_entry", "mml_rule"});
}

}  // namespace
