// DWARF line lookups through libdw on the cross-compiled images.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "bulkhead/loader/elf.hpp"
#include "bulkhead/loader/source_lines.hpp"
#include "test_support.hpp"

namespace bulkhead::loader {
namespace {

// The 1-based line of hello.c carrying `marker`, so the tests survive edits to the source.
int line_of(const std::string& marker) {
  std::ifstream in(LOADER_HELLO_C);
  std::string text;
  for (int n = 1; std::getline(in, text); ++n) {
    if (text.find(marker) != std::string::npos) return n;
  }
  ADD_FAILURE() << marker << " not found in " << LOADER_HELLO_C;
  return -1;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

class SourceLinesOf : public ::testing::TestWithParam<const char*> {};

TEST_P(SourceLinesOf, FunctionAddressMapsToItsDefinitionLine) {
  const Image img = load_elf(GetParam());
  const auto lines = SourceLines::open(GetParam());
  ASSERT_TRUE(lines.has_value());
  const Symbol* add = img.find_symbol("add_numbers");
  ASSERT_NE(add, nullptr);
  const auto where = lines->lookup(add->value);
  ASSERT_TRUE(where.has_value());
  EXPECT_TRUE(ends_with(*where, "hello.c:" + std::to_string(line_of("LINE:add_numbers")))) << *where;
  const auto loc = lines->locate(add->value);
  ASSERT_TRUE(loc.has_value());
  EXPECT_TRUE(ends_with(loc->file, "hello.c")) << loc->file;
}

TEST_P(SourceLinesOf, AddressWithoutCodeHasNoLine) {
  const auto lines = SourceLines::open(GetParam());
  ASSERT_TRUE(lines.has_value());
  EXPECT_EQ(lines->lookup(0x10), std::nullopt);
  EXPECT_EQ(lines->lookup(0xfffffff0), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(CrossCompiled, SourceLinesOf,
                         ::testing::Values(LOADER_ARM_M4_ELF, LOADER_ARM_M33_ELF, LOADER_RV32_ELF));

TEST(SourceLines, MissingOrNonElfOrDebuglessFilesGiveNothing) {
  EXPECT_FALSE(SourceLines::open("/nonexistent/firmware.elf").has_value());
  EXPECT_FALSE(SourceLines::open(LOADER_HELLO_C).has_value());
  const auto path = std::filesystem::temp_directory_path() /
                    ("bulkhead_loader_no_debug_" + std::to_string(::getpid()) + ".elf");
  {
    const auto bytes = test::build_elf(test::ElfSpec{});
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const auto lines = SourceLines::open(path);
  EXPECT_TRUE(!lines.has_value() || !lines->lookup(0x8000).has_value());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace bulkhead::loader
