// Every defect the loader checks, each named in the error together with the file.
#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include "bulkhead/core/log.hpp"
#include "bulkhead/loader/elf.hpp"
#include "test_support.hpp"

namespace bulkhead::loader {
namespace {

using test::build_elf;
using test::Bytes;
using test::ElfSpec;
using test::expect_load_error;
using test::PhSpec;

Bytes m4() {
  return test::read_bytes(LOADER_ARM_M4_ELF);
}

TEST(MalformedElf, HandBuiltBaselineLoads) {
  // The malformed cases below change one thing each from this.
  EXPECT_NO_THROW(load_elf_bytes(build_elf(ElfSpec{}), "base.elf"));
}

TEST(MalformedElf, TruncatedFilesAreRejectedAtEveryStage) {
  const Bytes full = m4();
  expect_load_error({}, "empty.elf", {"not an ELF file", "0 bytes"});
  expect_load_error(Bytes(full.begin(), full.begin() + 2), "t2.elf", {"not an ELF file"});
  expect_load_error(Bytes(full.begin(), full.begin() + 10), "t10.elf", {"truncated ELF header", "10 bytes"});
  expect_load_error(Bytes(full.begin(), full.begin() + 40), "t40.elf", {"truncated ELF header", "needs 52"});
  const auto eh = test::ehdr(full);
  expect_load_error(Bytes(full.begin(), full.begin() + eh.e_phoff + 40), "tph.elf",
                    {"program header table", "extends past the end of the file"});
  const auto text = test::phdr(full, 0);
  expect_load_error(Bytes(full.begin(), full.begin() + text.p_offset + 8), "tseg.elf",
                    {"segment 0", "extends past the end of the file"});
}

TEST(MalformedElf, NonElfBytesAreRejected) {
  const std::string text = "#!/bin/sh\necho this is not firmware\n";
  expect_load_error(Bytes(text.begin(), text.end()), "script.elf", {"not an ELF file", "magic"});
}

TEST(MalformedElf, SixtyFourBitClassIsRejected) {
  Bytes b = m4();
  b[EI_CLASS] = ELFCLASS64;
  expect_load_error(b, "wide.elf", {"ELFCLASS64", "32-bit"});
}

TEST(MalformedElf, BigEndianIsRejected) {
  Bytes b = m4();
  b[EI_DATA] = ELFDATA2MSB;
  expect_load_error(b, "be.elf", {"big-endian"});
}

TEST(MalformedElf, ForeignMachineIsRejected) {
  expect_load_error(build_elf({.machine = EM_X86_64}), "host.elf", {"unsupported machine", "EM_X86_64"});
  expect_load_error(build_elf({.machine = EM_AARCH64}), "a64.elf", {"EM_AARCH64"});
}

TEST(MalformedElf, OnlyExecutablesAreAccepted) {
  expect_load_error(build_elf({.type = ET_REL}), "obj.o", {"ET_REL", "ET_EXEC required"});
  expect_load_error(build_elf({.type = ET_DYN}), "pie.elf", {"ET_DYN", "ET_EXEC required"});
  expect_load_error(build_elf({.type = ET_CORE}), "core.elf", {"not ET_EXEC"});
}

TEST(MalformedElf, FileszLargerThanMemszIsRejected) {
  expect_load_error(build_elf({.phdrs = {{.filesz = 0x20, .memsz = 0x10}}}), "fs.elf",
                    {"segment 0 (vaddr 0x8000, memsz 0x10)", "p_filesz 0x20 larger than p_memsz"});
}

TEST(MalformedElf, SegmentFileRangePastEndOfFileIsRejected) {
  expect_load_error(build_elf({.phdrs = {{.filesz = 0x10, .memsz = 0x10, .offset = 0x100000}}}), "eof.elf",
                    {"segment 0", "offset 0x100000", "extends past the end of the file"});
  // offset + filesz wrapping around 32 bits must not pass the check
  expect_load_error(build_elf({.phdrs = {{.filesz = 0x20, .memsz = 0x20, .offset = 0xfffffff0}}}), "wrap.elf",
                    {"extends past the end of the file"});
}

TEST(MalformedElf, SegmentPastFourGiBIsRejected) {
  expect_load_error(
      build_elf({.entry = 0xfffff001, .phdrs = {{.vaddr = 0xfffff000, .filesz = 0x10, .memsz = 0x2000}}}),
      "hello.elf", {"segment 0 (vaddr 0xfffff000, memsz 0x2000) extends past the 32-bit address space"});
}

TEST(MalformedElf, HugeMemszFailsFastOnTheMemoryCap) {
  const auto start = std::chrono::steady_clock::now();
  expect_load_error(build_elf({.phdrs = {{.vaddr = 0x8000, .filesz = 0x10, .memsz = 0xF0000000}}}),
                    "huge.elf", {"segment 0", "memsz 0xf0000000", "over the limit"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));

  // The cap is on the sum over segments, and configurable.
  const Bytes two =
      build_elf({.phdrs = {{.vaddr = 0x8000, .filesz = 0x10, .memsz = 0x1000},
                           {.flags = PF_R | PF_W, .vaddr = 0x20000000, .filesz = 0, .memsz = 0x1000}}});
  EXPECT_NO_THROW(load_elf_bytes(two, "two.elf"));
  LoadOptions small;
  small.max_total_memsz = 0x1800;
  expect_load_error(two, "two.elf", {"segment 1", "0x2000 bytes, over the limit of 0x1800"}, small);
}

TEST(MalformedElf, OverlappingSegmentsAreRejected) {
  expect_load_error(
      build_elf({.phdrs = {{.vaddr = 0x8000, .filesz = 0x10, .memsz = 0x100},
                           {.flags = PF_R | PF_W, .vaddr = 0x80f0, .filesz = 0, .memsz = 0x100}}}),
      "overlap.elf", {"segments 0 (vaddr 0x8000, memsz 0x100) and 1 (vaddr 0x80f0, memsz 0x100) overlap"});
  // Listed out of order: still found, still named by their program header index.
  expect_load_error(build_elf({.phdrs = {{.flags = PF_R | PF_W, .vaddr = 0x9000, .filesz = 0, .memsz = 0x100},
                                         {.type = PT_NOTE, .filesz = 0, .memsz = 0},
                                         {.vaddr = 0x8000, .filesz = 0x10, .memsz = 0x1001}}}),
                    "overlap2.elf", {"segments 2", "and 0", "overlap"});
}

TEST(MalformedElf, NoLoadableSegmentIsRejected) {
  expect_load_error(build_elf({.phdrs = {{.type = PT_NOTE}}}), "note.elf", {"no PT_LOAD segment"});
  expect_load_error(build_elf({.phdrs = {}}), "nophdr.elf", {"no program headers"});
  expect_load_error(build_elf({.phdrs = {{.filesz = 0, .memsz = 0}}}), "empty.elf", {"no PT_LOAD segment"});
}

TEST(MalformedElf, EntryMustBeThumbInsideAnExecutableSegment) {
  expect_load_error(build_elf({.entry = 0x8000}), "arm.elf", {"entry 0x8000 is not a Thumb address"});
  expect_load_error(build_elf({.entry = 0x9001}), "nowhere.elf",
                    {"entry 0x9001 is not inside an executable (PF_X) segment"});
  expect_load_error(build_elf({.phdrs = {{.flags = PF_R | PF_W}}}), "data.elf",
                    {"entry 0x8001 is not inside an executable"});
}

TEST(MalformedElf, RiscvEntryMustBeAligned) {
  ElfSpec rv{.machine = EM_RISCV, .entry = 0x8002, .flags = 0};
  expect_load_error(build_elf(rv), "rv.elf", {"entry 0x8002 is not 4-byte aligned"});
  rv.flags = EF_RISCV_RVC;
  EXPECT_TRUE(load_elf_bytes(build_elf(rv), "rvc.elf").rvc);
  rv.entry = 0x8001;
  expect_load_error(build_elf(rv), "rvc.elf", {"not 2-byte aligned"});
}

TEST(MalformedElf, TooManyProgramHeadersAreRejectedBeforeReadingThem) {
  Bytes b = build_elf({});
  auto eh = test::ehdr(b);
  for (std::uint16_t phnum : {std::uint16_t{65}, std::uint16_t{0xfffe}, std::uint16_t{PN_XNUM}}) {
    eh.e_phnum = phnum;
    test::put(b, 0, eh);
    expect_load_error(b, "phnum.elf", {"too many program headers"});
  }
  eh.e_phnum = 1;
  eh.e_phentsize = 16;
  test::put(b, 0, eh);
  expect_load_error(b, "phent.elf", {"e_phentsize is 16, expected 32"});
}

TEST(MalformedElf, SectionTableOutsideTheFileLoadsWithoutSymbols) {
  Bytes b = m4();
  auto eh = test::ehdr(b);
  eh.e_shoff = 0xfffffff0;
  test::put(b, 0, eh);
  const Image img = load_elf_bytes(b, "shoff.elf");
  EXPECT_TRUE(img.symbols.empty());
  EXPECT_EQ(img.segments.size(), load_elf(LOADER_ARM_M4_ELF).segments.size());

  eh = test::ehdr(m4());
  eh.e_shentsize = 12;
  b = m4();
  test::put(b, 0, eh);
  EXPECT_TRUE(load_elf_bytes(b, "shent.elf").symbols.empty());
}

TEST(MalformedElf, GarbageSectionHeadersNeverCrash) {
  bulkhead::log::set_level(spdlog::level::off);
  const Bytes good = m4();
  const auto eh = test::ehdr(good);
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    Bytes b = good;
    for (std::size_t i = 0; i < eh.e_shnum * sizeof(Elf32_Shdr); ++i) {
      if (rng() % 4 == 0) b[eh.e_shoff + i] = static_cast<std::uint8_t>(rng());
    }
    const Image img = load_elf_bytes(b, "garbage.elf");  // the sections are not needed to load
    EXPECT_EQ(img.segments.size(), 2u);
    for (const auto& s : img.symbols) EXPECT_FALSE(s.name.empty());
  }
  bulkhead::log::set_level(spdlog::level::warn);
}

TEST(MalformedElf, BrokenSymbolTableGivesNoSymbols) {
  Bytes b = m4();
  const auto eh = test::ehdr(b);
  for (std::size_t i = 1; i < eh.e_shnum; ++i) {
    const std::size_t at = eh.e_shoff + i * sizeof(Elf32_Shdr);
    auto sh = test::get<Elf32_Shdr>(b, at);
    if (sh.sh_type != SHT_SYMTAB) continue;
    sh.sh_offset = 0x7ffffff0;
    test::put(b, at, sh);
  }
  EXPECT_TRUE(load_elf_bytes(b, "symtab.elf").symbols.empty());
}

TEST(MalformedElf, CorruptArmAttributesFallBackToArmV7M) {
  Bytes b = test::read_bytes(LOADER_ARM_M33_ELF);
  const auto eh = test::ehdr(b);
  bool found = false;
  for (std::size_t i = 1; i < eh.e_shnum; ++i) {
    const auto sh = test::get<Elf32_Shdr>(b, eh.e_shoff + i * sizeof(Elf32_Shdr));
    if (sh.sh_type != SHT_ARM_ATTRIBUTES) continue;
    found = true;
    test::put(b, sh.sh_offset + 1, std::uint32_t{0xffffff00});  // subsection length past the section
  }
  ASSERT_TRUE(found);
  const Image img = load_elf_bytes(b, "attrs.elf");
  EXPECT_EQ(img.arch, Arch::ArmV7M);
  EXPECT_FALSE(img.symbols.empty());
}

}  // namespace
}  // namespace bulkhead::loader
