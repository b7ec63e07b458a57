// Sharding: the arithmetic, the flag and the environment.
#include "bulkhead/testing/shard.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

namespace {

using namespace bulkhead::testing;

TEST(Shard, ParsesOneBasedFlag) {
  EXPECT_EQ(parse_shard("1/4"), (Shard{0, 4}));
  EXPECT_EQ(parse_shard("4/4"), (Shard{3, 4}));
  for (const char* bad : {"0/4", "5/4", "1/0", "1", "a/b", "1/4x", "/4", ""})
    EXPECT_THROW(parse_shard(bad), std::invalid_argument) << bad;
  EXPECT_EQ(to_string(Shard{2, 5}), "3/5");
}

TEST(Shard, ReadsBazelsZeroBasedEnvironment) {
  EXPECT_EQ(shard_from_env(nullptr, nullptr), std::nullopt);
  EXPECT_EQ(shard_from_env("", "3"), std::nullopt);
  EXPECT_EQ(shard_from_env("3", "0"), (Shard{0, 3}));
  EXPECT_EQ(shard_from_env("3", "2"), (Shard{2, 3}));
  EXPECT_THROW(shard_from_env("3", "3"), std::invalid_argument);
  EXPECT_THROW(shard_from_env("x", "0"), std::invalid_argument);
  EXPECT_THROW(shard_from_env("0", "0"), std::invalid_argument);
}

TEST(Shard, EveryCaseInExactlyOneShard) {
  for (std::uint32_t total = 1; total <= 9; ++total) {
    for (std::size_t cases : {0u, 1u, 5u, 33u}) {
      std::multiset<std::size_t> seen;
      for (std::uint32_t i = 0; i < total; ++i)
        for (std::size_t k = 0; k < cases; ++k)
          if (in_shard(k, Shard{i, total})) seen.insert(k);
      ASSERT_EQ(seen.size(), cases);
      for (std::size_t k = 0; k < cases; ++k) EXPECT_EQ(seen.count(k), 1u);
    }
  }
}

}  // namespace
