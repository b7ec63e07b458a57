// Property tests: each model against its reference (reference_v7.cpp / reference_v8.cpp) over random register
// contents and random accesses. Accesses checked per model: BULKHEAD_PROPERTY_CASES (default 100000).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "bulkhead/core/log.hpp"
#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "reference.hpp"

namespace bulkhead {
// rapidcheck prints counterexamples through showValue (found by ADL).
inline void showValue(Access a, std::ostream& os) {
  os << to_string(a);
}
inline void showValue(Privilege p, std::ostream& os) {
  os << to_string(p);
}
}  // namespace bulkhead

namespace bulkhead::mpu {
namespace {

constexpr int kAccessesPerConfig = 10;  // accesses checked against one random register configuration
constexpr int kRangesPerConfig = 2;     // uniform_perms ranges checked per configuration

long property_cases() {
  const char* env = std::getenv("BULKHEAD_PROPERTY_CASES");
  if (env == nullptr || *env == '\0') return 100000;
  return std::max(1L, std::strtol(env, nullptr, 10));
}

// Runs `property` (a rapidcheck testable) for enough configurations to check `property_cases()` accesses;
// RC_PARAMS (seed, max_size, ...) still applies, except max_success, which this sets.
// What the random cases exercised, printed so that a drift in the generators' bias is visible.
struct Stats {
  long accesses = 0;
  long allowed = 0;
  long uniform = 0;
  long ranges = 0;
  std::map<Reason, long> reasons;

  std::string summary() const {
    std::ostringstream os;
    os << allowed << " allowed, " << uniform << "/" << ranges << " ranges uniform; reasons:";
    for (const auto& [reason, count] : reasons) os << " " << to_string(reason) << "=" << count;
    return os.str();
  }
};

template <typename Property>
void run_property(Property property, const Stats& stats) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "/" + info->name();
  metadata.description = info->name();
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  const long cases = property_cases();
  params.maxSuccess = static_cast<int>((cases + kAccessesPerConfig - 1) / kAccessesPerConfig);

  log::set_level(spdlog::level::off);  // random registers trip every UNPREDICTABLE warning
  const auto start = std::chrono::steady_clock::now();
  const auto result = rc::detail::checkTestable(std::move(property), metadata, params);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  log::set_level(spdlog::level::warn);

  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str();
  }
  std::cout << "[ property ] " << metadata.id << ": " << stats.accesses << " accesses checked ("
            << params.maxSuccess << " register configurations) in " << ms << " ms\n"
            << "[ property ]   " << stats.summary() << "\n";
  EXPECT_GE(stats.accesses, cases);
}

// Windows where rules meet: SRAM, the Code/SRAM edge, Peripheral (XN), the System/XN edge, the PPB end, the
// top.
rc::Gen<std::uint32_t> gen_window() {
  return rc::gen::weightedElement<std::uint32_t>({{6, 0x2000'0000u},
                                                  {2, 0x0000'0000u},
                                                  {2, 0x4000'0000u},
                                                  {1, 0xA000'0000u},
                                                  {1, 0xE000'0000u},
                                                  {1, 0xE010'0000u},
                                                  {1, 0xFFFF'F000u}});
}

rc::Gen<std::uint32_t> any_u32() {
  return rc::gen::map(rc::gen::inRange<std::uint64_t>(0, 1ull << 32),
                      [](std::uint64_t v) { return static_cast<std::uint32_t>(v); });
}

// An address within a few KiB of `window`, or (half the time) within a few bytes of a region or subregion
// edge.
std::uint32_t pick_address(std::uint32_t window, const std::vector<std::uint32_t>& edges) {
  if (!edges.empty() && *rc::gen::arbitrary<bool>()) {
    return *rc::gen::elementOf(edges) + static_cast<std::uint32_t>(*rc::gen::inRange<std::int32_t>(-8, 8));
  }
  return window + static_cast<std::uint32_t>(*rc::gen::inRange<std::int32_t>(-3000, 3000));
}

Access pick_access() {
  return *rc::gen::elementOf(std::vector<Access>{Access::Read, Access::Write, Access::Execute});
}
Privilege pick_priv() {
  return *rc::gen::elementOf(std::vector<Privilege>{Privilege::Privileged, Privilege::Unprivileged});
}

std::uint32_t pick_ctrl() {
  // ENABLE usually set; HFNMIENA and PRIVDEFENA random; occasionally junk in the RAZ/WI bits.
  const std::uint32_t low = *rc::gen::inRange<std::uint32_t>(0, 8);
  const bool enable = *rc::gen::weightedElement<bool>({{12, true}, {1, false}});
  return (low & ~1u) | (enable ? 1u : 0u) | (*rc::gen::inRange(0, 8) == 0 ? *any_u32() & ~7u : 0u);
}

// Checks random accesses and uniform_perms ranges near `window` against the reference's `rule`/`access_fn`.
template <typename Model, typename State, typename RuleFn, typename AccessFn>
void check_accesses(const Model& mpu, const State& s, std::uint32_t window,
                    const std::vector<std::uint32_t>& edges, RuleFn rule, AccessFn access_fn, Stats& stats) {
  for (int i = 0; i < kAccessesPerConfig; ++i) {
    const std::uint32_t address = pick_address(window, edges);
    const std::uint32_t size = *rc::gen::elementOf(std::vector<std::uint32_t>{1, 2, 4, 8});
    const Access access = pick_access();
    const Privilege priv = pick_priv();
    const Verdict v = mpu.check(address, size, access, priv);
    const ref::Outcome o = access_fn(s, address, size, access, priv);
    RC_ASSERT(v.allowed == o.allowed);
    if (!o.allowed) {
      RC_ASSERT(v.fault_address == o.fault_address);
      const ref::Rule r = rule(s, o.fault_address, priv);
      RC_ASSERT(v.region == r.region);
      RC_ASSERT((v.reason == Reason::Straddle) == (o.fault_address != address));
    }
    ++stats.accesses;
    stats.allowed += v.allowed ? 1 : 0;
    ++stats.reasons[v.reason];
  }
  for (int i = 0; i < kRangesPerConfig; ++i) {
    const std::uint32_t len = *rc::gen::weightedElement<std::uint32_t>({{4, 32}, {2, 256}, {1, 1}, {1, 8}});
    const std::uint32_t size = *rc::gen::inRange<std::uint32_t>(1, len + 1);
    // Half the ranges are placed across an edge (where uniform_perms must say nullopt, unless the rules
    // agree).
    const std::uint32_t base = (!edges.empty() && *rc::gen::arbitrary<bool>())
                                   ? *rc::gen::elementOf(edges) - *rc::gen::inRange<std::uint32_t>(0, size)
                                   : pick_address(window, edges);
    if (std::uint64_t{base} + size > (1ull << 32)) continue;
    const Privilege priv = pick_priv();
    const auto got = mpu.uniform_perms(AddressRange{base, size}, priv);
    const ref::Rule first = rule(s, base, priv);
    bool uniform = true;
    for (std::uint32_t k = 1; k < size && uniform; ++k) uniform = rule(s, base + k, priv) == first;
    RC_ASSERT(got.has_value() == uniform);
    if (got) RC_ASSERT(*got == first.perms);
    ++stats.ranges;
    stats.uniform += uniform ? 1 : 0;
  }
}

TEST(ArmMpuV7Property, MatchesReferenceModel) {
  Stats stats;
  run_property(
      [&stats] {
        ref::V7State s;
        s.regions = *rc::gen::weightedElement<int>({{12, 8}, {12, 16}, {1, 0}});
        s.min_region_size = *rc::gen::weightedElement<std::uint32_t>({{4, 32}, {1, 256}});
        s.honour_small_srd = *rc::gen::arbitrary<bool>();
        s.skip_unaligned = *rc::gen::arbitrary<bool>();
        ArmMpuV7 mpu({s.regions, s.min_region_size,
                      s.honour_small_srd ? SrdBelow256Policy::Honour : SrdBelow256Policy::Ignore,
                      s.skip_unaligned ? UnalignedBasePolicy::SkipRegion : UnalignedBasePolicy::MaskLowBits});
        const std::uint32_t window = *gen_window();
        std::vector<std::uint32_t> edges;
        for (int n = 0; n < s.regions; ++n) {
          std::uint32_t rbar;
          std::uint32_t rasr;
          if (*rc::gen::inRange(0, 10) == 0) {
            rbar = *any_u32();
            rasr = *any_u32();
          } else {
            const std::uint32_t size_field =
                *rc::gen::weightedElement<std::uint32_t>({{10, *rc::gen::inRange<std::uint32_t>(4, 13)},
                                                          {1, *rc::gen::inRange<std::uint32_t>(0, 32)}});
            const std::uint32_t offset =
                static_cast<std::uint32_t>(*rc::gen::inRange<std::int32_t>(-4096, 4096));
            const std::uint64_t size = 1ull << (size_field + 1);
            const bool aligned = *rc::gen::weightedElement<bool>({{5, true}, {1, false}});
            rbar = window + offset;
            if (aligned) rbar = static_cast<std::uint32_t>(rbar & ~(size - 1));
            const std::uint32_t srd = *rc::gen::weightedElement<std::uint32_t>(
                {{2, 0u}, {2, *rc::gen::inRange<std::uint32_t>(0, 256)}});
            rasr =
                make_v7_rasr(size_field, *rc::gen::inRange<std::uint32_t>(0, 8), *rc::gen::arbitrary<bool>(),
                             srd, *rc::gen::weightedElement<bool>({{4, true}, {1, false}}),
                             *rc::gen::inRange<std::uint32_t>(0, 8), *rc::gen::arbitrary<bool>(),
                             *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>());
          }
          mpu.set_region(n, rbar, rasr);
          const std::uint64_t size = 2ull << ((rasr >> 1) & 0x1Fu);
          const std::uint64_t base = rbar & ~(size - 1);
          edges.push_back(static_cast<std::uint32_t>(base));
          edges.push_back(static_cast<std::uint32_t>(base + size));
          edges.push_back(
              static_cast<std::uint32_t>(base + size / 8 * *rc::gen::inRange<std::uint64_t>(1, 8)));
          s.rbar[n] = rbar;
          s.rasr[n] = rasr;
        }
        s.ctrl = pick_ctrl();
        s.negative_priority = *rc::gen::weightedElement<bool>({{10, false}, {1, true}});
        mpu.set_ctrl(s.ctrl);
        mpu.set_negative_priority(s.negative_priority);
        check_accesses(mpu, s, window, edges, ref::v7_rule, ref::v7_access, stats);
      },
      stats);
}

TEST(ArmMpuV8Property, MatchesReferenceModel) {
  Stats stats;
  run_property(
      [&stats] {
        ref::V8State s;
        s.regions = *rc::gen::weightedElement<int>({{12, 8}, {12, 16}, {1, 0}});
        s.v81m = *rc::gen::arbitrary<bool>();
        ArmMpuV8 mpu({s.regions, s.v81m});
        const std::uint32_t window = *gen_window();
        std::vector<std::uint32_t> edges;
        for (int n = 0; n < s.regions; ++n) {
          std::uint32_t rbar;
          std::uint32_t rlar;
          if (*rc::gen::inRange(0, 10) == 0) {
            rbar = *any_u32();
            rlar = *any_u32();
          } else {
            const std::uint32_t base =
                window + static_cast<std::uint32_t>(*rc::gen::inRange<std::int32_t>(-4096, 4096));
            const std::uint32_t length = *rc::gen::weightedElement<std::uint32_t>(
                {{8, *rc::gen::inRange<std::uint32_t>(0, 2048)},
                 {1, *rc::gen::inRange<std::uint32_t>(0, 1u << 20)}});
            const bool inverted = *rc::gen::inRange(0, 12) == 0;  // LIMIT < BASE
            const std::uint32_t limit = inverted ? base - length - 32 : base + length;
            rbar = make_v8_rbar(base, *rc::gen::inRange<std::uint32_t>(0, 4), *rc::gen::arbitrary<bool>(),
                                *rc::gen::inRange<std::uint32_t>(0, 4));
            rlar = make_v8_rlar(limit, *rc::gen::weightedElement<bool>({{4, true}, {1, false}}),
                                *rc::gen::inRange<std::uint32_t>(0, 8), *rc::gen::arbitrary<bool>());
          }
          mpu.set_region(n, rbar, rlar);
          edges.push_back(rbar & ~0x1Fu);
          edges.push_back((rlar | 0x1Fu) + 1);
          s.rbar[n] = rbar;
          s.rlar[n] = rlar;
        }
        s.ctrl = pick_ctrl();
        s.negative_priority = *rc::gen::weightedElement<bool>({{10, false}, {1, true}});
        mpu.set_ctrl(s.ctrl);
        mpu.set_negative_priority(s.negative_priority);
        check_accesses(mpu, s, window, edges, ref::v8_rule, ref::v8_access, stats);
      },
      stats);
}

}  // namespace
}  // namespace bulkhead::mpu
