// --trace-range and --trace-format parsing.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "bulkhead/trace/trace.hpp"

namespace bulkhead::trace {
namespace {

TEST(TraceRange, HexAndDecimalBoundsAreInclusive) {
  const Range r = parse_range("0x20000000-0x20003fff");
  EXPECT_EQ(r.lo, 0x2000'0000u);
  EXPECT_EQ(r.hi, 0x2000'3FFFu);
  EXPECT_TRUE(r.contains(0x2000'3FFF));
  EXPECT_FALSE(r.contains(0x2000'4000));
  EXPECT_FALSE(r.contains(0x1FFF'FFFF));
  const Range d = parse_range("16-31");
  EXPECT_EQ(d.lo, 16u);
  EXPECT_EQ(d.hi, 31u);
  const Range all = parse_range("0-0xffffffff");
  EXPECT_TRUE(all.contains(0xFFFF'FFFF));
}

std::string error_of(const std::string& text) {
  try {
    parse_range(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TraceRange, MalformedRangesAreRejectedWithTheText) {
  EXPECT_NE(error_of("0x2000").find("'0x2000': expected LO-HI"), std::string::npos) << error_of("0x2000");
  EXPECT_NE(error_of("abc-0x10").find("must be numbers"), std::string::npos);
  EXPECT_NE(error_of("0x10-").find("must be numbers"), std::string::npos);
  EXPECT_NE(error_of("0x-0x10").find("must be numbers"), std::string::npos);
  EXPECT_NE(error_of("1-0x100000000").find("below 2^32"), std::string::npos);
  EXPECT_NE(error_of("0x20-0x10").find("LO is above HI"), std::string::npos);
}

TEST(TraceFormat, KnowsTextAndCompactOnly) {
  EXPECT_EQ(parse_format("text"), Format::Text);
  EXPECT_EQ(parse_format("compact"), Format::Compact);
  EXPECT_EQ(parse_format("binary"), std::nullopt);
}

}  // namespace
}  // namespace bulkhead::trace
