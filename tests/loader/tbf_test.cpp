// TBF/TAB reading and building: the sample Tock apps (firmware_samples/tock, packed by tools/tbfpack) for
// both architectures, hand-made malformed TBFs each with its message, tar reading, and random mutation.
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>
#include <spdlog/fmt/fmt.h>

#include "bulkhead/loader/tbf.hpp"
#include "test_support.hpp"

namespace bulkhead::loader {
namespace {

using test::Bytes;

// ---- helpers

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint32_t get32(const Bytes& b, std::size_t at) {
  return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
void set32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// XOR of the header words but the checksum word, computed here independently of the loader.
std::uint32_t header_xor(const Bytes& b, std::size_t header_size) {
  std::uint32_t x = 0;
  for (std::size_t at = 0; at + 4 <= header_size; at += 4) {
    if (at != 12) x ^= get32(b, at);
  }
  return x;
}
void fix_checksum(Bytes& b) {
  const std::size_t hs = b[2] | b[3] << 8;
  if (hs <= b.size()) set32(b, 12, header_xor(b, hs));
}

struct Tlv {
  std::uint16_t type;
  Bytes data;
  std::optional<std::uint16_t> length = std::nullopt;  // default: data.size()
};

Tlv main_tlv(std::uint32_t init, std::uint32_t trailer = 0, std::uint32_t ram = 4096) {
  Bytes d;
  put32(d, init);
  put32(d, trailer);
  put32(d, ram);
  return {tbf::kMain, d};
}
Tlv program_tlv(std::uint32_t init, std::uint32_t end, std::uint32_t trailer = 0, std::uint32_t version = 7) {
  Bytes d;
  put32(d, init);
  put32(d, trailer);
  put32(d, 4096);
  put32(d, end);
  put32(d, version);
  return {tbf::kProgram, d};
}

// A TBF: base header, the TLVs (each padded to 4), then `body` bytes; total_size = everything.
Bytes make_tbf(const std::vector<Tlv>& tlvs, const Bytes& body, std::uint32_t flags = tbf::kFlagEnabled) {
  Bytes h;
  put16(h, 2);
  put16(h, 0);
  put32(h, 0);
  put32(h, flags);
  put32(h, 0);
  for (const Tlv& t : tlvs) {
    put16(h, t.type);
    put16(h, t.length.value_or(static_cast<std::uint16_t>(t.data.size())));
    h.insert(h.end(), t.data.begin(), t.data.end());
    while (h.size() % 4) h.push_back(0);
  }
  const auto hs = static_cast<std::uint16_t>(h.size());
  h[2] = static_cast<std::uint8_t>(hs);
  h[3] = static_cast<std::uint8_t>(hs >> 8);
  h.insert(h.end(), body.begin(), body.end());
  set32(h, 4, static_cast<std::uint32_t>(h.size()));
  fix_checksum(h);
  return h;
}

// A small valid app: Main + Program, 32 bytes of code, an empty relocation block.
Bytes small_app() {
  Bytes body(32, 0xAB);
  put32(body, 0);  // relocation size word
  const std::uint32_t hs = 16 + 16 + 24;
  return make_tbf({main_tlv(0), program_tlv(0, hs + 36)}, body);
}

void expect_tbf_error(const Bytes& b, std::initializer_list<std::string> fragments) {
  try {
    parse_tbf(b, "bad.tbf");
    ADD_FAILURE() << "parsed, expected an error mentioning '" << *fragments.begin() << "'";
  } catch (const LoadError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("bad.tbf: ", 0), 0u) << what;
    for (const auto& f : fragments)
      EXPECT_NE(what.find(f), std::string::npos) << "'" << f << "' not in: " << what;
  }
}

// ---- the sample apps

struct Sample {
  const char* arch;
  std::uint32_t flash;  // TOCK_<arch>_FLASH in firmware_samples/CMakeLists.txt
  std::uint32_t ram;
  bool arm;
};
constexpr Sample kSamples[] = {{"cortex-m4", 0x00040080, 0x20004000, true},
                               {"rv32imac", 0x20040080, 0x80004000, false}};
const char* const kApps[] = {"tock_hello",           "tock_alarm",           "tock_memop",
                             "tock_fault_flash_end", "tock_fault_ram_start", "tock_fault_app_brk",
                             "tock_fault_grant"};

bool have_samples() {
  return !std::string(TOCK_SAMPLES_DIR).empty();  // empty when the firmware is not built
}

std::filesystem::path sample(const std::string& app, const std::string& arch, const char* ext) {
  return std::filesystem::path(TOCK_SAMPLES_DIR) / (app + "-" + arch + ext);
}

class TbfSample : public ::testing::TestWithParam<std::tuple<const char*, Sample>> {};

TEST_P(TbfSample, HeaderMatchesTheElfItWasBuiltFrom) {
  if (!have_samples()) GTEST_SKIP() << "firmware samples not built";
  const std::string app = std::get<0>(GetParam());
  const Sample s = std::get<1>(GetParam());
  const Bytes file = test::read_bytes(sample(app, s.arch, ".tbf"));
  ASSERT_FALSE(file.empty()) << sample(app, s.arch, ".tbf");
  const TbfApp t = parse_tbf(file, app);
  const TbfHeader& h = t.header;
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.total_size, file.size());
  EXPECT_EQ(h.header_size % 4, 0);
  EXPECT_EQ(h.checksum, header_xor(file, h.header_size));
  EXPECT_TRUE(h.enabled());
  EXPECT_FALSE(h.sticky());
  EXPECT_TRUE(h.has_main);
  EXPECT_TRUE(h.has_program);
  EXPECT_EQ(h.package_name, app);
  ASSERT_TRUE(h.kernel_version.has_value());
  EXPECT_EQ(*h.kernel_version, (TbfKernelVersion{2, 1}));
  EXPECT_TRUE(h.skipped_tlvs.empty());
  EXPECT_EQ(h.fixed_flash_address(), s.flash);
  EXPECT_EQ(h.fixed_ram_address(), s.ram);
  // The binary starts at the fixed flash address; the TBF starts at the 256-byte boundary below.
  EXPECT_EQ(h.protected_size(), s.flash % 256);
  const std::uint32_t tbf_start = s.flash - h.protected_size();
  EXPECT_EQ(tbf_start % 256, 0u);

  const Image elf = load_elf(sample(app, s.arch, ".elf"));
  const Symbol* start = elf.find_symbol("_start");
  ASSERT_NE(start, nullptr);
  EXPECT_EQ((tbf_start + h.init_offset_in_tbf()) & ~1u, start->value);
  EXPECT_EQ(h.init_fn_offset & 1u, s.arm ? 1u : 0u);  // elf2tab keeps e_entry's Thumb bit

  // The binary holds the code then .data's bytes at their load addresses; no relocations.
  ASSERT_TRUE(t.relocations.has_value());
  EXPECT_EQ(t.relocations->size_bytes, 0u);
  EXPECT_TRUE(t.relocations->entries.empty());
  EXPECT_EQ(t.relocations->word_offset + 4, h.binary_end_offset);
  const auto bin = t.binary();
  std::uint32_t ram_memsz = 0;
  std::size_t checked = 0;
  for (const Segment& seg : elf.segments) {
    if (seg.bytes.empty()) continue;
    ASSERT_GE(seg.paddr, s.flash);
    ASSERT_LE(seg.paddr - s.flash + seg.bytes.size(), bin.size());
    EXPECT_TRUE(std::equal(seg.bytes.begin(), seg.bytes.end(), bin.begin() + (seg.paddr - s.flash)));
    if (seg.vaddr != seg.paddr) ram_memsz += seg.memsz;
    checked += seg.bytes.size();
  }
  EXPECT_EQ(checked, bin.size());
  EXPECT_EQ(h.minimum_ram_size, ram_memsz + 0x800 + 1024 + 1024);  // .data+.bss, stack, heaps

  if (s.arm) {
    EXPECT_TRUE(std::has_single_bit(h.total_size));
    EXPECT_GE(h.total_size, 512u);
  } else {
    EXPECT_EQ(h.total_size, h.binary_end_offset);
  }

  // Building again from the ELF gives the same bytes (tbfpack is this code), and the header round-trips.
  TbfBuildOptions opts;
  opts.package_name = app;
  opts.kernel_version = TbfKernelVersion{2, 1};
  const TbfApp rebuilt = build_tbf_from_elf(sample(app, s.arch, ".elf"), opts);
  EXPECT_EQ(rebuilt.bytes, file);
  EXPECT_EQ(rebuilt.header, h);
  EXPECT_EQ(rebuilt.arch, elf.arch);
}

TEST_P(TbfSample, TabHoldsTheSameTbfForEachArchitecture) {
  if (!have_samples()) GTEST_SKIP() << "firmware samples not built";
  const std::string app = std::get<0>(GetParam());
  const Sample s = std::get<1>(GetParam());
  const auto tab_path = std::filesystem::path(TOCK_SAMPLES_DIR) / (app + ".tab");
  const TbfApp from_tab = load_tbf_file(tab_path, s.arch);
  EXPECT_EQ(from_tab.bytes, test::read_bytes(sample(app, s.arch, ".tbf")));
  EXPECT_EQ(from_tab.arch, s.arm ? Arch::ArmV7M : Arch::Rv32);
  EXPECT_EQ(from_tab.name, tab_path.string() + ":" + s.arch + ".tbf");
  const Tab tab = read_tab(test::read_bytes(tab_path), "x.tab");
  EXPECT_EQ(tab.architectures(), (std::vector<std::string>{"cortex-m4", "rv32imac"}));
  EXPECT_NE(tab.metadata_toml.find("tab-version = 1"), std::string::npos);
  EXPECT_NE(tab.metadata_toml.find("name = \"" + app + "\""), std::string::npos);
  EXPECT_NE(tab.metadata_toml.find("minimum-tock-kernel-version = \"2.1\""), std::string::npos);
  // A fixed-address pick that does not match is refused; the right one is found.
  EXPECT_EQ(select_tab_app(tab, "x.tab", s.arch, s.flash).bytes, from_tab.bytes);
  EXPECT_THROW(select_tab_app(tab, "x.tab", s.arch, s.flash + 0x100), LoadError);
}

INSTANTIATE_TEST_SUITE_P(Apps, TbfSample,
                         ::testing::Combine(::testing::ValuesIn(kApps), ::testing::ValuesIn(kSamples)),
                         [](const auto& p) {
                           std::string n =
                               std::string(std::get<0>(p.param)) + "_" + std::get<1>(p.param).arch;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(TbfTab, MissingArchitectureNamesThoseAvailable) {
  if (!have_samples()) GTEST_SKIP() << "firmware samples not built";
  const auto tab_path = std::filesystem::path(TOCK_SAMPLES_DIR) / "tock_hello.tab";
  try {
    load_tbf_file(tab_path, "cortex-m0");
    ADD_FAILURE() << "loaded";
  } catch (const LoadError& e) {
    EXPECT_NE(
        std::string(e.what()).find("no TBF for architecture 'cortex-m0' (the TAB has: cortex-m4, rv32imac)"),
        std::string::npos)
        << e.what();
  }
  EXPECT_THROW(load_tbf_file(tab_path), LoadError);  // a .tab needs an architecture
}

// ---- hand-made TBFs

TEST(TbfParse, SmallAppDecodesEveryField) {
  const Bytes b = small_app();
  const TbfApp t = parse_tbf(b, "small.tbf");
  EXPECT_EQ(t.header.header_size, 56);
  EXPECT_EQ(t.header.total_size, b.size());
  EXPECT_EQ(t.header.app_version, 7u);
  EXPECT_EQ(t.header.binary_end_offset, 56u + 36u);
  EXPECT_FALSE(t.header.has_fixed_addresses);
  EXPECT_EQ(t.header.fixed_flash_address(), std::nullopt);
  EXPECT_EQ(t.binary().size(), 32u);
  EXPECT_FALSE(t.arch.has_value());
}

TEST(TbfParse, ProgramWinsOverMainAndUnknownTlvsAreSkipped) {
  Bytes body(64, 0);
  Bytes perms;
  put16(perms, 0);  // a Permissions TLV with no entries
  Bytes name = {'a', 'p', 'p'};
  Bytes fixed;
  put32(fixed, tbf::kNoFixedAddress);
  put32(fixed, 0x40080);
  Bytes kv;
  put16(kv, 2);
  put16(kv, 3);
  const Bytes b = make_tbf({main_tlv(0x10, 0, 111),
                            {0x8001, {1, 2, 3}},
                            program_tlv(4, 0, 0, 9),
                            {tbf::kPermissions, perms},
                            {tbf::kPackageName, name},
                            {tbf::kFixedAddresses, fixed},
                            {tbf::kKernelVersion, kv}},
                           body, tbf::kFlagEnabled | tbf::kFlagSticky);
  Bytes fixed_up = b;
  const std::uint32_t hs = fixed_up[2] | fixed_up[3] << 8;
  set32(fixed_up, 16 + 16 + 8 + 4 + 12, hs + 64);  // Program binary_end_offset = total
  fix_checksum(fixed_up);
  const TbfHeader h = parse_tbf(fixed_up, "x").header;
  EXPECT_EQ(h.init_fn_offset, 4u);
  EXPECT_EQ(h.minimum_ram_size, 4096u);  // Program's, not Main's 111
  EXPECT_EQ(h.app_version, 9u);
  EXPECT_EQ(h.skipped_tlvs, (std::vector<std::uint16_t>{0x8001, tbf::kPermissions}));
  EXPECT_EQ(h.package_name, "app");
  EXPECT_EQ(h.fixed_ram_address(), std::nullopt);
  EXPECT_EQ(h.fixed_flash_address(), 0x40080u);
  EXPECT_EQ(h.kernel_version, (TbfKernelVersion{2, 3}));
  EXPECT_TRUE(h.sticky());
}

TEST(TbfParse, PaddingHasNoMainOrProgram) {
  const Bytes b = make_tbf({}, Bytes(48, 0), 0);
  const TbfApp t = parse_tbf(b, "pad");
  EXPECT_TRUE(t.header.is_padding());
  EXPECT_FALSE(t.header.enabled());
  EXPECT_TRUE(t.binary().empty());
}

TEST(TbfParse, BytesPastTotalSizeAreTheNextApp) {
  Bytes b = small_app();
  const std::size_t n = b.size();
  b.resize(n + 100, 0xEE);
  EXPECT_EQ(parse_tbf(b, "x").bytes.size(), n);
}

TEST(TbfParse, RelocationsAreReadBackToTheSizeWord) {
  Bytes body(32, 0x11);
  put32(body, 16);
  for (std::uint32_t v : {0x20000004u, 0x17u, 0x20000010u, 0x117u}) put32(body, v);  // R_ARM_RELATIVE
  const std::uint32_t hs = 56;
  const Bytes b = make_tbf({main_tlv(0), program_tlv(0, hs + 32 + 4 + 16)}, body);
  const TbfApp t = parse_tbf(b, "rel");
  ASSERT_TRUE(t.relocations.has_value());
  EXPECT_EQ(t.relocations->size_bytes, 16u);
  EXPECT_EQ(t.relocations->word_offset, hs + 32);
  EXPECT_EQ(t.relocations->entries, (std::vector<TbfRelocation>{{0x20000004, 0x17}, {0x20000010, 0x117}}));
  EXPECT_EQ(t.binary().size(), 32u);
}

TEST(TbfMalformed, EachDefectHasItsMessage) {
  const Bytes good = small_app();
  expect_tbf_error(Bytes(good.begin(), good.begin() + 10),
                   {"truncated TBF: 10 bytes, the base header needs 16"});
  {
    Bytes b = good;
    b[0] = 3;
    expect_tbf_error(b, {"unsupported TBF version 3"});
  }
  {
    Bytes b = good;
    b[2] = 12;
    expect_tbf_error(b, {"header_size 12 is smaller than the 16-byte base header"});
  }
  {
    Bytes b = good;
    b[2] = 18;
    expect_tbf_error(b, {"header_size 18 is not a multiple of 4"});
  }
  {
    Bytes b = good;
    set32(b, 4, 40);
    fix_checksum(b);
    expect_tbf_error(b, {"header_size 56 is larger than total_size 40"});
  }
  {
    Bytes b = good;
    b.pop_back();
    expect_tbf_error(b, {"truncated TBF: total_size is 92 bytes but only 91 are present"});
  }
  {
    Bytes b = good;
    set32(b, 12, 0x12345678);
    expect_tbf_error(b, {"checksum mismatch", "0x12345678", fmt::format("{:#010x}", header_xor(good, 56))});
  }
  {
    Bytes b = make_tbf({{0x42, Bytes(8, 0), 200}}, Bytes(8, 0));
    expect_tbf_error(b, {"TLV type 66 at header offset 16 has length 200: it runs past the header"});
  }
  expect_tbf_error(make_tbf({{tbf::kMain, Bytes(8, 0)}}, Bytes(8, 0)),
                   {"Main TLV (type 1) at header offset 16 has length 8, expected 12"});
  expect_tbf_error(make_tbf({{tbf::kProgram, Bytes(12, 0)}}, Bytes(8, 0)),
                   {"Program TLV (type 9)", "expected 20"});
  expect_tbf_error(make_tbf({{tbf::kFixedAddresses, Bytes(4, 0)}}, Bytes(8, 0)),
                   {"FixedAddresses TLV (type 5)", "has length 4, expected 8"});
  expect_tbf_error(make_tbf({{tbf::kKernelVersion, Bytes(8, 0)}}, Bytes(8, 0)),
                   {"KernelVersion TLV (type 8)", "expected 4"});
  expect_tbf_error(make_tbf({main_tlv(0), main_tlv(0)}, Bytes(8, 0)),
                   {"duplicate Main TLV (type 1) at header offset 32"});
  expect_tbf_error(make_tbf({{tbf::kPackageName, {'a', 0xC3, 0x28}}}, Bytes(8, 0)),
                   {"package name at header offset 20 is not valid UTF-8"});
  expect_tbf_error(
      make_tbf({main_tlv(64)}, Bytes(16, 0)),
      {"init_fn_offset 0x40 puts the entry at TBF offset 0x60, outside the application binary [0x20, 0x30)"});
  expect_tbf_error(make_tbf({main_tlv(0, 100)}, Bytes(16, 0)),
                   {"protected region (header 32 + trailer 100) is larger than total_size 48"});
  expect_tbf_error(make_tbf({program_tlv(0, 500)}, Bytes(16, 0)), {"binary_end_offset 500 is outside"});
}

// ---- building from hand-made ELFs

TEST(TbfBuild, FixedFlashNeedsRoomForTheHeaderBelowIt) {
  const Bytes elf = test::build_elf({.phdrs = {{.vaddr = 0x8000, .filesz = 0x40, .memsz = 0x40}}});
  try {
    build_tbf_from_elf_bytes(elf, "app.elf");
    ADD_FAILURE() << "built";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("protected region of 0 bytes is too small for the"),
              std::string::npos)
        << e.what();
  }
  TbfBuildOptions opts;
  opts.protected_region_size = 0x100;
  const TbfApp t = build_tbf_from_elf_bytes(elf, "app.elf", opts);
  EXPECT_EQ(t.header.package_name, "app");
  EXPECT_EQ(t.header.protected_size(), 0x100u);
  EXPECT_EQ(t.header.fixed_flash_address(), 0x8000u);
  EXPECT_EQ(t.header.fixed_ram_address(), std::nullopt);
  EXPECT_EQ(t.header.init_offset_in_tbf(), 0x101u);
  EXPECT_EQ(t.header.minimum_ram_size, 2048u + 1024u + 1024u);  // no .stack section: elf2tab's defaults
  EXPECT_EQ(t.header.total_size, 512u);                         // Arm: padded to a power of two >= 512
  EXPECT_EQ(t.binary().size(), 0x40u);
  // The padding holds a Reserved credentials footer right after the binary.
  EXPECT_EQ(t.bytes[t.header.binary_end_offset], tbf::kCredentials);
  EXPECT_EQ(parse_tbf(t.bytes, "again").header, t.header);
}

TEST(TbfBuild, CodeAtThePicAddressGetsNoFixedAddresses) {
  const Bytes elf = test::build_elf({.machine = EM_RISCV,
                                     .entry = 0x80000000,
                                     .flags = 0,
                                     .phdrs = {{.vaddr = 0x80000000, .filesz = 0x20, .memsz = 0x20}}});
  const TbfApp t = build_tbf_from_elf_bytes(elf, "pic.elf");
  EXPECT_FALSE(t.header.has_fixed_addresses);
  EXPECT_EQ(t.header.protected_size(), t.header.header_size);
  EXPECT_EQ(t.header.total_size, t.header.binary_end_offset);  // RISC-V: no padding
  EXPECT_EQ(t.arch, Arch::Rv32);
  TbfBuildOptions never;
  never.fixed_addresses = TbfBuildOptions::Fixed::Never;
  never.disabled = true;
  const TbfApp d = build_tbf_from_elf_bytes(elf, "pic.elf", never);
  EXPECT_FALSE(d.header.enabled());
}

TEST(TbfBuild, BadElfIsALoadError) {
  Bytes elf = test::build_elf({});
  elf[0] = 0;
  EXPECT_THROW(build_tbf_from_elf_bytes(elf, "x.elf"), LoadError);
}

// ---- tar

Bytes tar_header(const std::string& name, char type, std::size_t size,
                 const char* magic =
                     "ustar\0"
                     "00") {
  Bytes h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  const std::string sz = fmt::format("{:011o}", size);
  std::memcpy(h.data() + 124, sz.data(), 11);
  std::memcpy(h.data() + 100, "0000644", 7);
  h[156] = static_cast<std::uint8_t>(type);
  std::memcpy(h.data() + 257, magic, 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (auto c : h) sum += c;
  const std::string cs = fmt::format("{:06o}", sum);
  std::memcpy(h.data() + 148, cs.data(), 6);
  h[154] = 0;
  return h;
}
void append_data(Bytes& tar, const std::string& data) {
  tar.insert(tar.end(), data.begin(), data.end());
  tar.resize((tar.size() + 511) / 512 * 512, 0);
}

TEST(Tar, WriteThenReadRoundTrips) {
  const std::vector<TarEntry> in = {{"metadata.toml", {'a'}},
                                    {"empty.tbf", {}},
                                    {"block.tbf", Bytes(512, 7)},
                                    {"dir/odd.tbf", Bytes(513, 9)}};
  const Bytes tar = write_tar(in);
  EXPECT_EQ(tar.size() % 512, 0u);
  const auto out = read_tar(tar, "t.tar");
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].name, in[i].name);
    EXPECT_EQ(out[i].data, in[i].data);
  }
}

TEST(Tar, GnuLongNamesPaxPathsAndDirectories) {
  const std::string long_name = std::string(120, 'n') + ".tbf";
  Bytes tar = tar_header("././@LongLink", 'L', long_name.size() + 1, "ustar  \0");
  append_data(tar, long_name + '\0');
  auto h = tar_header("short", '0', 3, "ustar  \0");
  tar.insert(tar.end(), h.begin(), h.end());
  append_data(tar, "abc");
  h = tar_header("somedir/", '5', 0);
  tar.insert(tar.end(), h.begin(), h.end());
  const std::string pax = "21 path=pax-name.tbf\n";
  h = tar_header("PaxHeader", 'x', pax.size());
  tar.insert(tar.end(), h.begin(), h.end());
  append_data(tar, pax);
  h = tar_header("ignored", '0', 1);
  tar.insert(tar.end(), h.begin(), h.end());
  append_data(tar, "z");
  tar.resize(tar.size() + 1024, 0);
  const auto out = read_tar(tar, "gnu.tar");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, long_name);
  EXPECT_EQ(std::string(out[0].data.begin(), out[0].data.end()), "abc");
  EXPECT_EQ(out[1].name, "pax-name.tbf");
}

void expect_tar_error(const Bytes& b, const std::string& fragment) {
  try {
    read_tar(b, "bad.tab");
    ADD_FAILURE() << "read, expected '" << fragment << "'";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Tar, DefectsAreReported) {
  const Bytes good = write_tar(std::vector<TarEntry>{{"a.tbf", Bytes(600, 1)}});
  expect_tar_error(Bytes(good.begin(), good.begin() + 100),
                   "truncated tar: the header block at offset 0 needs 512 bytes, 100 remain");
  {
    Bytes b = good;
    b[0] ^= 1;
    expect_tar_error(b, "tar header at offset 0 has a bad checksum");
  }
  expect_tar_error(Bytes(good.begin(), good.begin() + 700),
                   "tar entry 'a.tbf' at offset 0 is 600 bytes but only 188 remain");
  {
    Bytes b = tar_header("x", '0', 0);
    std::memcpy(b.data() + 124, "zz", 2);
    std::memset(b.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (auto c : b) sum += c;
    const std::string cs = fmt::format("{:06o}", sum);
    std::memcpy(b.data() + 148, cs.data(), 6);
    b[154] = 0;
    expect_tar_error(b, "unreadable size field");
  }
  try {
    read_tab(write_tar(std::vector<TarEntry>{{"metadata.toml", {'x'}}}), "no.tab");
    ADD_FAILURE();
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("no .tbf entry"), std::string::npos);
  }
}

TEST(Tar, ArchitectureNames) {
  EXPECT_EQ(arch_from_tab_name("cortex-m4.tbf"), Arch::ArmV7M);
  EXPECT_EQ(arch_from_tab_name("cortex-m7.tbf"), Arch::ArmV7M);
  EXPECT_EQ(arch_from_tab_name("cortex-m33.tbf"), Arch::ArmV8M);
  EXPECT_EQ(arch_from_tab_name("rv32imac.0x20040080.0x80004000.tbf"), Arch::Rv32);
  EXPECT_EQ(arch_from_tab_name("dir/rv32imc.tbf"), Arch::Rv32);
  EXPECT_EQ(arch_from_tab_name("cortex-m0.tbf"), std::nullopt);
  EXPECT_EQ(arch_from_tab_name("metadata.toml"), std::nullopt);
}

// ---- random mutation: a TbfApp or a LoadError, never a crash, hang or out-of-bounds read (run under ASan in
// the asan preset).

TEST(TbfFuzz, MutatedTbfsParseOrThrowLoadError) {
  std::vector<Bytes> seeds = {small_app()};
  for (const Sample& s : kSamples) {
    if (!have_samples()) break;
    for (const char* app : {"tock_hello", "tock_alarm"}) {
      const Bytes b = test::read_bytes(sample(app, s.arch, ".tbf"));
      if (!b.empty()) seeds.push_back(b);
    }
  }
  std::mt19937 rng(8);
  int parsed = 0;
  int rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 6000; ++round) {
    Bytes b = seeds[round % seeds.size()];
    const std::size_t hs = std::min<std::size_t>(b[2] | b[3] << 8, b.size());
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 6) {
        case 0:  // a header byte
          b[rng() % hs] = static_cast<std::uint8_t>(rng());
          break;
        case 1:  // a header bit
          b[rng() % hs] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 2:  // a TLV length or type (16-bit fields past the base header)
          if (hs > 16) {
            const std::size_t at = 16 + (rng() % ((hs - 16) / 2)) * 2;
            b[at] = static_cast<std::uint8_t>(rng());
            b[at + 1] = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() : 0);
          }
          break;
        case 3:  // anywhere
          b[rng() % b.size()] = static_cast<std::uint8_t>(rng());
          break;
        case 4:  // truncate
          b.resize(rng() % b.size());
          if (b.empty()) b.push_back(2);
          break;
        default:  // a size word near the real one
          if (b.size() >= 8) set32(b, 4, get32(b, 4) + static_cast<std::uint32_t>(rng() % 64) - 32);
          break;
      }
    }
    // Most rounds get a valid checksum so that the checks behind it are reached.
    if (rng() % 8 != 0 && b.size() >= 16) fix_checksum(b);
    try {
      const TbfApp t = parse_tbf(b, "fuzz.tbf");
      ++parsed;
      EXPECT_EQ(t.bytes.size(), t.header.total_size);
      const auto bin = t.binary();
      if (!bin.empty()) {
        EXPECT_GE(bin.data(), t.bytes.data());
        EXPECT_LE(bin.data() + bin.size(), t.bytes.data() + t.bytes.size());
      }
      if (t.relocations) {
        EXPECT_EQ(t.relocations->entries.size() * 8, t.relocations->size_bytes);
      }
    } catch (const LoadError& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.tbf: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(parsed, 100);
  EXPECT_GT(rejected, 100);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(TbfFuzz, MutatedTabsReadOrThrowLoadError) {
  const Bytes seed = write_tar(std::vector<TarEntry>{
      {"metadata.toml", {'m'}}, {"cortex-m4.tbf", small_app()}, {"rv32imac.tbf", small_app()}});
  std::mt19937 rng(9);
  int ok = 0;
  int rejected = 0;
  for (int round = 0; round < 3000; ++round) {
    Bytes b = seed;
    for (int e = 0, n = 1 + static_cast<int>(rng() % 3); e < n; ++e) {
      const std::size_t block = (rng() % (b.size() / 512)) * 512;
      const std::size_t at = rng() % 2 ? block + 124 + rng() % 12 : rng() % b.size();  // often the size field
      b[at] = static_cast<std::uint8_t>(rng() % 2 ? '0' + rng() % 8 : rng());
    }
    if (rng() % 8 == 0) b.resize(rng() % b.size());
    // Re-sum the first header half the time so that the size and name paths are reached.
    if (rng() % 2 && b.size() >= 512) {
      std::memset(b.data() + 148, ' ', 8);
      unsigned sum = 0;
      for (std::size_t i = 0; i < 512; ++i) sum += b[i];
      const std::string cs = fmt::format("{:06o}", sum);
      std::memcpy(b.data() + 148, cs.data(), 6);
      b[154] = 0;
    }
    try {
      const Tab tab = read_tab(b, "fuzz.tab");
      for (const auto& a : tab.architectures()) {
        try {
          (void)select_tab_app(tab, "fuzz.tab", a);
        } catch (const LoadError&) {
        }
      }
      ++ok;
    } catch (const LoadError& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.tab: ", 0), 0u) << e.what();
    }
  }
  EXPECT_GT(ok, 50);
  EXPECT_GT(rejected, 50);
}

}  // namespace
}  // namespace bulkhead::loader
