// Real images from the cross compilers: architecture detection, entry, segments, symbols.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "bulkhead/loader/elf.hpp"
#include "test_support.hpp"

namespace bulkhead::loader {
namespace {

std::string fmt_offset(const std::string& name, std::uint32_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "+0x%x", offset);
  return name + buf;
}

// The segment holding .data and .bss: writable, with fewer file bytes than memory.
const Segment& data_segment(const Image& img) {
  auto it = std::find_if(img.segments.begin(), img.segments.end(),
                         [](const Segment& s) { return has(s.perms, Perms::W); });
  EXPECT_NE(it, img.segments.end());
  return *it;
}

TEST(ElfLoader, CortexM4ImageIsArmV7MWithHardFloatAndThumbEntry) {
  const Image img = load_elf(LOADER_ARM_M4_ELF);
  EXPECT_EQ(img.path, LOADER_ARM_M4_ELF);
  EXPECT_EQ(img.arch, Arch::ArmV7M);
  EXPECT_TRUE(img.hard_float);
  EXPECT_TRUE(img.thumb_entry);
  EXPECT_FALSE(img.rvc);
  const Symbol* start = img.find_symbol("_start");
  ASSERT_NE(start, nullptr);
  EXPECT_TRUE(start->is_function);
  EXPECT_EQ(start->value % 2, 0u) << "Thumb bit must be cleared in symbol values";
  EXPECT_EQ(img.entry, start->value | 1u);
  EXPECT_EQ(img.entry_address(), start->value);
}

TEST(ElfLoader, CortexM33ImageIsArmV8MSoftFloat) {
  const Image img = load_elf(LOADER_ARM_M33_ELF);
  EXPECT_EQ(img.arch, Arch::ArmV8M);
  EXPECT_FALSE(img.hard_float);
  EXPECT_TRUE(img.thumb_entry);
}

TEST(ElfLoader, Rv32ImageReportsRvcAndNoThumb) {
  const Image img = load_elf(LOADER_RV32_ELF);
  EXPECT_EQ(img.arch, Arch::Rv32);
  EXPECT_TRUE(img.rvc);
  EXPECT_FALSE(img.thumb_entry);
  EXPECT_FALSE(img.hard_float);
  const Symbol* start = img.find_symbol("_start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(img.entry, start->value);
}

class EveryImage : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryImage, SegmentsAreSortedDisjointWithPermsFromFlags) {
  const Image img = load_elf(GetParam());
  ASSERT_GE(img.segments.size(), 2u);
  for (std::size_t i = 1; i < img.segments.size(); ++i) {
    EXPECT_LE(img.segments[i - 1].range().end(), img.segments[i].vaddr);
  }
  const Segment* code = img.find_segment(img.entry_address());
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->perms, Perms::RX);
  EXPECT_EQ(data_segment(img).perms, Perms::RW);
}

TEST_P(EveryImage, BssIsZeroFillBeyondTheFileBytes) {
  const Image img = load_elf(GetParam());
  const Segment& data = data_segment(img);
  const Symbol* counter = img.find_symbol("counter");
  const Symbol* buffer = img.find_symbol("buffer");
  ASSERT_NE(counter, nullptr);
  ASSERT_NE(buffer, nullptr);
  EXPECT_FALSE(counter->is_function);
  EXPECT_EQ(buffer->size, 64u * 4u);
  EXPECT_LT(data.filesz(), data.memsz);
  // .data holds the initialiser; .bss lies past the file bytes, inside memsz.
  ASSERT_TRUE(data.range().contains(counter->value));
  const std::uint32_t off = counter->value - data.vaddr;
  ASSERT_LE(off + 4, data.filesz());
  EXPECT_EQ(test::get<std::uint32_t>(data.bytes, off), 0x1234567u);
  EXPECT_GE(buffer->value - data.vaddr, data.filesz());
  EXPECT_LE(buffer->value + buffer->size, data.vaddr + data.memsz);
}

TEST_P(EveryImage, SymbolsAreSortedAndSymbolizeNamesFunctionOffsets) {
  const Image img = load_elf(GetParam());
  EXPECT_TRUE(std::is_sorted(img.symbols.begin(), img.symbols.end(),
                             [](const Symbol& a, const Symbol& b) { return a.value < b.value; }));
  const Symbol* add = img.find_symbol("add_numbers");
  ASSERT_NE(add, nullptr);
  EXPECT_TRUE(add->is_function);
  ASSERT_GT(add->size, 4u);
  EXPECT_EQ(img.symbolize(add->value), "add_numbers");
  EXPECT_EQ(img.symbolize(add->value + 4), "add_numbers+0x4");
  EXPECT_EQ(img.symbolize(add->value + add->size - 1), fmt_offset("add_numbers", add->size - 1));
  EXPECT_NE(img.symbolize(add->value + add->size).value_or(""), fmt_offset("add_numbers", add->size));
  const Symbol* buffer = img.find_symbol("buffer");
  ASSERT_NE(buffer, nullptr);
  EXPECT_EQ(img.symbolize(buffer->value + 0x10), "buffer+0x10");
  EXPECT_EQ(img.symbolize(0x10), std::nullopt);
  EXPECT_EQ(img.find_symbol("no_such_symbol"), nullptr);
}

TEST_P(EveryImage, LoadingFromMemoryMatchesLoadingTheFile) {
  const Image a = load_elf(GetParam());
  const Image b = load_elf_bytes(test::read_bytes(GetParam()), "in-memory");
  EXPECT_EQ(b.path, "in-memory");
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.entry, b.entry);
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    EXPECT_EQ(a.segments[i].bytes, b.segments[i].bytes);
    EXPECT_EQ(a.segments[i].range(), b.segments[i].range());
  }
  EXPECT_EQ(a.symbols.size(), b.symbols.size());
}

INSTANTIATE_TEST_SUITE_P(CrossCompiled, EveryImage,
                         ::testing::Values(LOADER_ARM_M4_ELF, LOADER_ARM_M33_ELF, LOADER_RV32_ELF));

TEST(ElfLoader, HandBuiltImageWithoutSectionsLoadsWithoutSymbols) {
  test::ElfSpec spec;
  spec.phdrs = {{.flags = PF_R | PF_X, .vaddr = 0x8000, .filesz = 0x10, .memsz = 0x10},
                {.flags = PF_R | PF_W, .vaddr = 0x20000000, .filesz = 4, .memsz = 0x1000}};
  const Image img = load_elf_bytes(test::build_elf(spec), "hand.elf");
  EXPECT_EQ(img.arch, Arch::ArmV7M);  // no .ARM.attributes
  EXPECT_TRUE(img.symbols.empty());
  ASSERT_EQ(img.segments.size(), 2u);
  EXPECT_EQ(img.segments[1].filesz(), 4u);
  EXPECT_EQ(img.segments[1].memsz, 0x1000u);
  EXPECT_EQ(img.symbolize(0x8000), std::nullopt);
}

TEST(ElfLoader, MissingFileIsNamed) {
  try {
    load_elf("/nonexistent/dir/firmware.elf");
    FAIL() << "loaded a missing file";
  } catch (const LoadError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/dir/firmware.elf: no such file");
  }
}

TEST(ElfLoader, DirectoryIsRejected) {
  const auto dir = std::filesystem::temp_directory_path();
  try {
    load_elf(dir);
    FAIL() << "loaded a directory";
  } catch (const LoadError& e) {
    EXPECT_EQ(e.file(), dir.string());
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(ElfLoader, FileOverTheSizeLimitIsRejectedBeforeReading) {
  LoadOptions opts;
  opts.max_file_size = 1000;
  try {
    load_elf(LOADER_ARM_M4_ELF, opts);
    FAIL() << "loaded a file over the limit";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("larger than the 1000 byte limit"), std::string::npos) << e.what();
  }
  test::expect_load_error(test::read_bytes(LOADER_ARM_M4_ELF), "big.elf", {"larger than the 1000 byte limit"},
                          opts);
}

}  // namespace
}  // namespace bulkhead::loader
