// Property: for random sets of ranges, the compiled programming, loaded into the protection model and read
// back through it, grants exactly the requested bytes and access — never one byte more — within the slots
// given, or the compiler says the slots are too few. BULKHEAD_PROPERTY_CASES sets the scale (default 100000;
// each case compiles and reads back a whole 4 GiB map, so this property runs 1/10 of it).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <sstream>

#include "bulkhead/core/log.hpp"
#include "layout_test_util.hpp"

namespace bulkhead::layout::test {
namespace {

int property_cases() {
  const char* env = std::getenv("BULKHEAD_PROPERTY_CASES");
  long n = 100000;
  if (env != nullptr && *env != '\0') n = std::strtol(env, nullptr, 10);
  if (n <= 0) n = 100000;
  return static_cast<int>(std::max<long>(n / 10, 20));
}

struct Case {
  UnitConfig unit;
  std::vector<Grant> grants;
  std::vector<int> slots;
  bool gap = false;  // a kernel slot among the partition's
};

Case gen_case() {
  Case c;
  const int arch = *rc::gen::inRange(0, 3);
  c.unit.arch = arch == 0 ? Arch::ArmV7M : arch == 1 ? Arch::ArmV8M : Arch::Rv32;
  const int slots = *rc::gen::element(8, 16);
  c.unit.v7.regions = slots;
  c.unit.v7.min_region_size = *rc::gen::weightedElement<std::uint32_t>({{4, 32}, {1, 256}});
  c.unit.v8.regions = slots;
  c.unit.pmp.entries = static_cast<unsigned>(slots);
  c.unit.pmp.granularity = *rc::gen::weightedElement<unsigned>({{4, 0}, {1, 1}, {1, 3}});
  const std::uint64_t gr = granule(c.unit);
  const std::uint64_t window =
      c.unit.arch == Arch::Rv32
          ? *rc::gen::element<std::uint64_t>(0x8000'0000, 0x0, 0xFFFF'F000)
          : *rc::gen::element<std::uint64_t>(0x2000'0000, 0x0, 0x4000'0000, 0xDFFF'F000);
  std::vector<Perms> perms{Perms::R, Perms::RW, Perms::RX, Perms::RWX};
  if (c.unit.arch == Arch::Rv32) perms.push_back(Perms::X);
  const int n = *rc::gen::inRange(1, 6);
  std::vector<Grant> raw;
  for (int i = 0; i < n; ++i) {
    Grant g;
    if (*rc::gen::inRange(0, 4) == 0) {
      // An aligned power-of-two block, the shape every unit likes.
      const std::uint64_t size = gr << *rc::gen::inRange(0, 7);
      g.range = {window + size * static_cast<std::uint64_t>(*rc::gen::inRange(0, 8)), size};
    } else {
      g.range = {window + gr * static_cast<std::uint64_t>(*rc::gen::inRange(0, 96)),
                 gr * static_cast<std::uint64_t>(*rc::gen::inRange(1, 40))};
    }
    g.range.size = std::min(g.range.size, window + 0x1000 - g.range.base);
    if (g.range.base >= window + 0x1000 || g.range.size == 0) continue;
    g.perms = *rc::gen::elementOf(perms);
    g.attr = *rc::gen::element(MemoryAttr::Normal, MemoryAttr::Device);
    raw.push_back(g);
  }
  // Disjoint: trim each range to start after the previous one ends.
  std::sort(raw.begin(), raw.end(),
            [](const Grant& a, const Grant& b) { return a.range.base < b.range.base; });
  std::uint64_t at = 0;
  for (Grant g : raw) {
    if (g.range.end() <= at) continue;
    if (g.range.base < at) g.range = {at, g.range.end() - at};
    c.grants.push_back(g);
    at = g.range.end();
  }
  c.slots.resize(static_cast<std::size_t>(slots));
  std::iota(c.slots.begin(), c.slots.end(), 0);
  if (*rc::gen::inRange(0, 3) == 0) {
    c.slots.erase(c.slots.begin() + *rc::gen::inRange(0, slots));
    c.gap = true;
  }
  return c;
}

TEST(LayoutProperty, CompiledProgrammingGrantsExactlyTheRequestedBytes) {
  log::set_level(spdlog::level::off);
  const int cases = property_cases();
  int encoded = 0;
  int over_budget = 0;
  int regions = 0;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = cases;
  rc::detail::TestMetadata metadata;
  metadata.id = "LayoutProperty/exact";
  const auto start = std::chrono::steady_clock::now();
  const auto result = rc::detail::checkTestable(
      [&] {
        const Case c = gen_case();
        const EncodeResult r = encode(c.unit, c.grants, c.slots);
        const int needed = regions_needed(c.unit, c.grants);
        RC_ASSERT(needed >= 0);
        if (!r.encoding) {
          RC_ASSERT(r.failure.kind == EncodeFailureKind::Budget);
          // Only the budget may refuse: the ranges really need more slots (PMP: or a kernel slot splits a
          // TOR from its base and costs one more).
          RC_ASSERT(needed > static_cast<int>(c.slots.size()) ||
                    (c.unit.arch == Arch::Rv32 && c.gap && needed == static_cast<int>(c.slots.size())));
          ++over_budget;
          return;
        }
        RC_ASSERT(r.encoding->programming.used <= static_cast<int>(c.slots.size()));
        const std::string diff = verify_encoding(c.unit, c.grants, *r.encoding);
        RC_ASSERT_FALSE(!diff.empty());
        ++encoded;
        regions += r.encoding->programming.used;
      },
      metadata, params);
  log::set_level(spdlog::level::warn);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.template is<rc::detail::SuccessResult>()) {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str();
  }
  std::cout << "[ property ] " << cases << " random layouts in " << s << " s: " << encoded
            << " encoded exactly (" << regions << " regions/entries), " << over_budget
            << " refused for the budget\n";
  EXPECT_GT(encoded, cases / 2);
}

}  // namespace
}  // namespace bulkhead::layout::test
