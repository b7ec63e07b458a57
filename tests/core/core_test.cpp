#include <gtest/gtest.h>

#include "bulkhead/core/log.hpp"
#include "bulkhead/core/types.hpp"

namespace bulkhead {

TEST(Perms, BitOperationsCombineAndTest) {
  EXPECT_EQ(Perms::R | Perms::W, Perms::RW);
  EXPECT_TRUE(has(Perms::RWX, Perms::RX));
  EXPECT_FALSE(has(Perms::RX, Perms::W));
  EXPECT_EQ(~Perms::R, Perms::W | Perms::X);
  EXPECT_EQ(to_string(Perms::RX), "r-x");
  EXPECT_EQ(perm_for(Access::Execute), Perms::X);
}

TEST(AddressRange, FourGiBRangeDoesNotOverflow) {
  AddressRange all{0, 1ull << 32};
  EXPECT_EQ(all.end(), 1ull << 32);
  EXPECT_TRUE(all.contains(0xFFFF'FFFFull));
  EXPECT_TRUE(all.contains(AddressRange{0xFFFF'FFF0, 16}));
  EXPECT_FALSE(all.contains(AddressRange{0xFFFF'FFF0, 17}));
}

TEST(AddressRange, OverlapIsHalfOpen) {
  AddressRange a{0x100, 0x100};
  EXPECT_TRUE(a.overlaps({0x1FF, 1}));
  EXPECT_FALSE(a.overlaps({0x200, 1}));
  EXPECT_FALSE(a.overlaps({0x0, 0x100}));
}

TEST(Log, ParseLevelRejectsUnknownNames) {
  spdlog::level::level_enum level{};
  EXPECT_TRUE(log::parse_level("debug", level));
  EXPECT_EQ(level, spdlog::level::debug);
  EXPECT_TRUE(log::parse_level("off", level));
  EXPECT_FALSE(log::parse_level("loud", level));
}

TEST(Log, SetLevelAppliesToExistingAndNewLoggers) {
  auto a = log::get("test-a");
  log::set_level(spdlog::level::debug);
  EXPECT_EQ(a->level(), spdlog::level::debug);
  EXPECT_EQ(log::get("test-b")->level(), spdlog::level::debug);
  EXPECT_EQ(log::get("test-a").get(), a.get());
  log::set_level(spdlog::level::warn);
}

}  // namespace bulkhead
