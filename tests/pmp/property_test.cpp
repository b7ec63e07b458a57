// Property tests: RiscvPmp against the separately written reference (reference_pmp.cpp), over random CSR
// contents biased to match around a common window. BULKHEAD_PROPERTY_CASES sets the number of random
// configurations (default 100000); RC_PARAMS="seed=..." reproduces a run.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "bulkhead/core/log.hpp"
#include "pmp_test_util.hpp"
#include "reference_pmp.hpp"

namespace bulkhead::pmp::test {
namespace {

int property_cases() {
  const char* env = std::getenv("BULKHEAD_PROPERTY_CASES");
  if (env == nullptr || *env == '\0') return 100000;
  const long n = std::strtol(env, nullptr, 10);
  return n > 0 ? static_cast<int>(n) : 100000;
}

// Runs `property` for `cases` random cases with rapidcheck (shrinking on failure) and prints the count done.
template <typename Property>
void run_property(const std::string& name, int cases, const char* unit, int per_case, Property property) {
  // Random programming hits reserved encodings and locked entries all the time; keep the log quiet.
  log::set_level(spdlog::level::off);
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.maxSuccess = cases;
  rc::detail::TestMetadata metadata;
  metadata.id = "PmpProperty/" + name;
  metadata.description = name;
  const auto start = std::chrono::steady_clock::now();
  const auto result = rc::detail::checkTestable(property, metadata, params);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (result.template is<rc::detail::SuccessResult>()) {
    const auto& success = result.template get<rc::detail::SuccessResult>();
    std::cout << "[ property ] " << name << ": " << success.numSuccess << " random configurations, "
              << static_cast<long long>(success.numSuccess) * per_case << " " << unit << " compared in "
              << seconds << " s\n";
    EXPECT_EQ(success.numSuccess, cases);
  } else {
    std::ostringstream ss;
    rc::detail::printResultMessage(result, ss);
    FAIL() << ss.str();
  }
  log::set_level(spdlog::level::warn);
}

// Generators draw few random values each (rapidcheck generation dominates the run time) and derive the
// biased fields from their bits.

// A pmpaddr value (address bits 33:2) that often lands in or near the window.
std::uint32_t gen_pmpaddr(std::uint32_t window) {
  const std::uint32_t w = window >> 2;
  const auto r = *rc::gen::inRange<std::uint64_t>(0, 1ull << 40);
  const auto near = static_cast<std::uint32_t>(static_cast<int>(r % 88) - 8);  // -8..79 words from the window
  switch ((r >> 32) % 12) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
      return w + near;  // TOR bounds around the window
    case 5:
    case 6:
    case 7:
    case 8: {  // a NAPOT region of 8..2048 bytes containing some window byte
      const unsigned k = static_cast<unsigned>((r >> 8) % 9);
      return ((w + near) & ~((2u << k) - 1)) | ((1u << k) - 1);
    }
    case 9:
      return static_cast<std::uint32_t>(r);
    case 10: {
      constexpr std::uint32_t edges[] = {0u, 0xFFFFFFFFu, 0x3FFFFFFFu, 0x40000000u};
      return edges[(r >> 8) % 4];
    }
    default:  // the window seen through address bits 33:32 (must not alias; QEMU 7.2 departure)
      return (w + near) | (static_cast<std::uint32_t>(1 + (r >> 8) % 3) << 30);
  }
}

// A pmpcfg byte: A mostly TOR/NAPOT, random RWX, L one time in four, reserved bits 6:5 one time in eight.
std::uint8_t gen_cfg() {
  const auto r = *rc::gen::inRange<std::uint32_t>(0, 1u << 14);
  constexpr unsigned modes[] = {0, 1, 1, 1, 2, 3, 3, 3};
  const unsigned a = modes[r & 7];
  const unsigned rwx = (r >> 3) & 7;
  const unsigned lock = ((r >> 6) & 3) == 3 ? 1 : 0;
  const unsigned reserved = ((r >> 8) & 7) == 0 ? (r >> 11) & 3 : 0;
  return static_cast<std::uint8_t>(rwx | (a << 3) | (reserved << 5) | (lock << 7));
}

std::uint32_t gen_mseccfg() {
  return static_cast<std::uint32_t>(
      *rc::gen::weightedElement<int>({{4, 0}, {2, 1}, {2, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {1, 7}}));
}

struct Programmed {
  std::unique_ptr<RiscvPmp> pmp;
  std::uint32_t window = 0;
};

// Random options, then firmware-like programming: maybe mseccfg first, all pmpaddr, all pmpcfg, mseccfg, and
// a few more random writes (which exercise locks, RLB and the Proposal 4b restriction).
Programmed gen_setup() {
  PmpOptions o;
  o.entries = *rc::gen::weightedElement<unsigned>({{1, 0}, {1, 1}, {2, 4}, {2, 8}, {8, 16}, {1, 64}});
  o.granularity = *rc::gen::weightedElement<unsigned>({{6, 0}, {2, 1}, {2, 2}, {1, 3}, {1, 6}});
  o.smepmp = *rc::gen::weightedElement<bool>({{4, true}, {1, false}});
  Programmed s{std::make_unique<RiscvPmp>(o), *rc::gen::element(0x80000000u, 0x0u, 0xFFFFFF00u, 0x20001000u)};
  RiscvPmp& pmp = *s.pmp;
  if (o.smepmp && *rc::gen::weightedElement<bool>({{1, true}, {2, false}})) {
    pmp.write_csr(csr::MSECCFG, gen_mseccfg());
  }
  for (unsigned i = 0; i < o.entries; ++i) {
    pmp.write_csr(static_cast<std::uint16_t>(csr::PMPADDR0 + i), gen_pmpaddr(s.window));
  }
  for (unsigned k = 0; k * 4 < o.entries; ++k) {
    std::uint32_t v = 0;
    for (unsigned b = 0; b < 4; ++b) v |= static_cast<std::uint32_t>(gen_cfg()) << (8 * b);
    pmp.write_csr(static_cast<std::uint16_t>(csr::PMPCFG0 + k), v);
  }
  if (o.smepmp) pmp.write_csr(csr::MSECCFG, gen_mseccfg());
  const int extra = o.entries == 0 ? 0 : *rc::gen::inRange(0, 4);
  for (int n = 0; n < extra; ++n) {
    const unsigned i = *rc::gen::inRange(0u, o.entries);
    if (*rc::gen::inRange(0, 2) == 0) {
      pmp.write_csr(static_cast<std::uint16_t>(csr::PMPADDR0 + i), gen_pmpaddr(s.window));
    } else {
      const auto c = static_cast<std::uint16_t>(csr::PMPCFG0 + i / 4);
      const std::uint32_t old = *pmp.read_csr(c);
      const unsigned shift = 8 * (i % 4);
      pmp.write_csr(c, (old & ~(0xFFu << shift)) | (static_cast<std::uint32_t>(gen_cfg()) << shift));
    }
  }
  return s;
}

std::uint32_t gen_address(std::uint32_t window) {
  return window + static_cast<std::uint32_t>(*rc::gen::inRange(-16, 320));
}

constexpr int accesses_per_case = 8;
constexpr int ranges_per_case = 4;

TEST(PmpProperty, CheckAgreesWithReference) {
  run_property("CheckAgreesWithReference", property_cases(), "accesses", accesses_per_case, [] {
    const Programmed s = gen_setup();
    const reference::State state = reference::read_state(*s.pmp);
    for (int n = 0; n < accesses_per_case; ++n) {
      const std::uint32_t address = gen_address(s.window);
      const int kind = *rc::gen::inRange(0, 24);  // size x access x privilege
      const std::uint32_t size = 1u << (kind % 4);
      const auto access = static_cast<Access>(kind / 4 % 3);
      const Privilege priv = kind >= 12 ? Privilege::Privileged : Privilege::Unprivileged;
      const Verdict got = s.pmp->check(address, size, access, priv);
      const reference::Result want = reference::check(state, address, size, access, priv);
      RC_ASSERT(got.allowed == want.allowed);
      RC_ASSERT(got.reason == want.reason);
      RC_ASSERT(got.region == want.region);
      // The granted set explains the decision whenever an entry or default decided fully.
      if (got.reason != Reason::PartialMatch) RC_ASSERT(got.allowed == has(got.granted, perm_for(access)));
    }
  });
}

TEST(PmpProperty, UniformPermsAgreesWithReferenceAndCheck) {
  run_property(
      "UniformPermsAgreesWithReferenceAndCheck", property_cases() / 4, "ranges", ranges_per_case, [] {
        const Programmed s = gen_setup();
        const reference::State state = reference::read_state(*s.pmp);
        for (int n = 0; n < ranges_per_case; ++n) {
          const std::uint32_t base = gen_address(s.window);
          const std::uint64_t size = static_cast<std::uint64_t>(*rc::gen::inRange(1, 65));
          const Privilege priv = *rc::gen::element(Privilege::Privileged, Privilege::Unprivileged);
          const std::optional<Perms> got = s.pmp->uniform_perms({base, size}, priv);
          RC_ASSERT(got == reference::uniform(state, base, size, priv));
          if (!got) continue;
          // The caching contract: accesses inside the range are decided exactly as `got` says (sampled).
          for (int k = 0; k < 12; ++k) {
            const std::uint32_t width = *rc::gen::element(1u, 2u, 4u, 8u);
            if (width > size) continue;
            const auto addr =
                base + static_cast<std::uint32_t>(*rc::gen::inRange<std::uint64_t>(0, size - width + 1));
            const Access access = *rc::gen::element(Access::Read, Access::Write, Access::Execute);
            const bool expected = has(*got, perm_for(access));
            RC_ASSERT(reference::check(state, addr, width, access, priv).allowed == expected);
            RC_ASSERT(s.pmp->check(addr, width, access, priv).allowed == expected);
          }
        }
      });
}

}  // namespace
}  // namespace bulkhead::pmp::test
