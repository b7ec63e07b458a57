// Random corruption of valid images: every outcome is an Image or a LoadError, never a crash or a hang.
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "bulkhead/core/log.hpp"
#include "bulkhead/loader/elf.hpp"
#include "test_support.hpp"

namespace bulkhead::loader {
namespace {

TEST(ElfFuzz, RandomByteFlipsLoadOrThrowLoadError) {
  bulkhead::log::set_level(spdlog::level::off);  // corrupt symbol tables warn on every round
  const test::Bytes images[] = {test::read_bytes(LOADER_ARM_M4_ELF), test::read_bytes(LOADER_ARM_M33_ELF),
                                test::read_bytes(LOADER_RV32_ELF)};
  std::mt19937 rng(20240601);
  int loaded = 0;
  int rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 2000; ++round) {
    test::Bytes b = images[round % 3];
    const auto eh = test::ehdr(b);
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Bias towards the headers, where one byte changes the most.
      std::size_t pos = 0;
      switch (rng() % 4) {
        case 0:
          pos = rng() % sizeof(Elf32_Ehdr);
          break;
        case 1:
          pos = eh.e_phoff + rng() % (eh.e_phnum * sizeof(Elf32_Phdr));
          break;
        case 2:
          pos = eh.e_shoff + rng() % (eh.e_shnum * sizeof(Elf32_Shdr));
          break;
        default:
          pos = rng() % b.size();
          break;
      }
      if (rng() % 2) {
        b[pos] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      } else {
        b[pos] = static_cast<std::uint8_t>(rng());
      }
    }
    if (rng() % 16 == 0) b.resize(rng() % b.size());
    try {
      const Image img = load_elf_bytes(b, "fuzz.elf");
      ++loaded;
      for (const auto& s : img.segments) EXPECT_LE(s.filesz(), s.memsz);
      (void)img.symbolize(img.entry_address());
    } catch (const LoadError& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.elf: ", 0), 0u) << e.what();
    }
  }
  bulkhead::log::set_level(spdlog::level::warn);
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace bulkhead::loader
