// TBF v2 parsing and .tab (tar) reading. Field layouts: Tock doc/TockBinaryFormat.md; checks follow tock-tbf
// parse.rs (parse_tbf_header_lengths, parse_tbf_header) and are stricter where it would read garbage.
#include "bulkhead/loader/tbf.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <spdlog/fmt/fmt.h>

#include "file_reader.hpp"

namespace bulkhead::loader {

namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint16_t le16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8));
}
std::uint32_t le32(Bytes b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}

// RFC 3629 UTF-8: no overlongs, no surrogates, nothing above U+10FFFF.
bool valid_utf8(Bytes s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t c = s[i];
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

std::string_view tlv_name(std::uint16_t type) {
  switch (type) {
    case tbf::kMain:
      return "Main";
    case tbf::kProgram:
      return "Program";
    case tbf::kPackageName:
      return "PackageName";
    case tbf::kFixedAddresses:
      return "FixedAddresses";
    case tbf::kKernelVersion:
      return "KernelVersion";
    default:
      return "TLV";
  }
}

// The relocation size word: see parse_tbf's comment in tbf.hpp.
std::optional<TbfRelocations> find_relocations(Bytes tbf, std::uint32_t binary_start,
                                               std::uint32_t binary_end) {
  if (binary_end < binary_start || binary_end - binary_start < 4) return std::nullopt;
  for (std::uint32_t size = 0; size <= binary_end - binary_start - 4; size += 8) {
    const std::uint32_t word_at = binary_end - 4 - size;
    if (le32(tbf, word_at) != size) continue;
    TbfRelocations r;
    r.word_offset = word_at;
    r.size_bytes = size;
    for (std::uint32_t at = word_at + 4; at < binary_end; at += 8)
      r.entries.push_back({le32(tbf, at), le32(tbf, at + 4)});
    return r;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::uint32_t> TbfHeader::fixed_ram_address() const {
  if (!has_fixed_addresses || fixed_ram == tbf::kNoFixedAddress) return std::nullopt;
  return fixed_ram;
}
std::optional<std::uint32_t> TbfHeader::fixed_flash_address() const {
  if (!has_fixed_addresses || fixed_flash == tbf::kNoFixedAddress) return std::nullopt;
  return fixed_flash;
}

std::span<const std::uint8_t> TbfApp::binary() const {
  if (header.is_padding()) return {};
  const std::size_t start = std::min<std::size_t>(header.protected_size(), bytes.size());
  std::size_t end = relocations ? relocations->word_offset : header.binary_end_offset;
  end = std::clamp(end, start, bytes.size());
  return std::span<const std::uint8_t>(bytes).subspan(start, end - start);
}

TbfApp parse_tbf(std::span<const std::uint8_t> bytes, std::string name) {
  auto fail = [&](std::string defect) { return LoadError(name, std::move(defect)); };
  // Base header (TockBinaryFormat.md "TBF Header Base"): version u16, header_size u16, total_size u32,
  // flags u32, checksum u32, little-endian.
  if (bytes.size() < tbf::kBaseHeaderSize) {
    throw fail(
        fmt::format("truncated TBF: {} bytes, the base header needs {}", bytes.size(), tbf::kBaseHeaderSize));
  }
  TbfHeader h;
  h.version = le16(bytes, 0);
  h.header_size = le16(bytes, 2);
  h.total_size = le32(bytes, 4);
  h.flags = le32(bytes, 8);
  h.checksum = le32(bytes, 12);
  if (h.version != tbf::kVersion) {
    throw fail(fmt::format("unsupported TBF version {} (Bulkhead reads version 2)", h.version));
  }
  if (h.header_size < tbf::kBaseHeaderSize) {
    throw fail(fmt::format("header_size {} is smaller than the 16-byte base header", h.header_size));
  }
  if (h.header_size % 4 != 0) {
    throw fail(fmt::format("header_size {} is not a multiple of 4 (the header is a sequence of words)",
                           h.header_size));
  }
  if (h.header_size > h.total_size) {
    throw fail(fmt::format("header_size {} is larger than total_size {}", h.header_size, h.total_size));
  }
  if (h.total_size > bytes.size()) {
    throw fail(fmt::format("truncated TBF: total_size is {} bytes but only {} are present", h.total_size,
                           bytes.size()));
  }
  const Bytes tbf = bytes.first(h.total_size);

  // Checksum (TockBinaryFormat.md): XOR of every 4-byte header word except the checksum word (index 3).
  std::uint32_t sum = 0;
  for (std::uint32_t at = 0; at < h.header_size; at += 4) {
    if (at != 12) sum ^= le32(tbf, at);
  }
  if (sum != h.checksum) {
    throw fail(fmt::format("header checksum mismatch: the header says {:#010x}, its words XOR to {:#010x}",
                           h.checksum, sum));
  }

  // TLVs (TockBinaryFormat.md "TLV Elements"): type u16, length u16, data padded to 4 bytes.
  std::uint32_t at = tbf::kBaseHeaderSize;
  bool seen_fixed = false;
  bool seen_name = false;
  while (at < h.header_size) {
    if (h.header_size - at < 4) {
      throw fail(
          fmt::format("TLV at header offset {} is cut off: its type and length need 4 bytes, the "
                      "header ends at {}",
                      at, h.header_size));
    }
    const std::uint16_t type = le16(tbf, at);
    const std::uint16_t length = le16(tbf, at + 2);
    const std::uint32_t data = at + 4;
    const std::uint32_t padded = (static_cast<std::uint32_t>(length) + 3u) & ~3u;
    if (padded > h.header_size - data) {
      throw fail(
          fmt::format("TLV type {} at header offset {} has length {}: it runs past the header "
                      "(ends at {}, header_size {})",
                      type, at, length, data + padded, h.header_size));
    }
    auto expect_length = [&](std::uint32_t want) {
      if (length != want) {
        throw fail(fmt::format("{} TLV (type {}) at header offset {} has length {}, expected {}",
                               tlv_name(type), type, at, length, want));
      }
    };
    auto once = [&](bool& seen) {
      if (seen)
        throw fail(fmt::format("duplicate {} TLV (type {}) at header offset {}", tlv_name(type), type, at));
      seen = true;
    };
    switch (type) {
      case tbf::kMain:  // init_fn_offset, protected_trailer_size, minimum_ram_size
        expect_length(12);
        once(h.has_main);
        if (!h.has_program) {
          h.init_fn_offset = le32(tbf, data);
          h.protected_trailer_size = le32(tbf, data + 4);
          h.minimum_ram_size = le32(tbf, data + 8);
        }
        break;
      case tbf::kProgram:  // the Main fields, then binary_end_offset and version
        expect_length(20);
        once(h.has_program);
        h.init_fn_offset = le32(tbf, data);
        h.protected_trailer_size = le32(tbf, data + 4);
        h.minimum_ram_size = le32(tbf, data + 8);
        h.binary_end_offset = le32(tbf, data + 12);
        h.app_version = le32(tbf, data + 16);
        break;
      case tbf::kPackageName: {
        once(seen_name);
        const Bytes s = tbf.subspan(data, length);
        if (!valid_utf8(s))
          throw fail(fmt::format("package name at header offset {} is not valid UTF-8", data));
        h.package_name.assign(s.begin(), s.end());
        break;
      }
      case tbf::kFixedAddresses:  // start_process_ram, start_process_flash
        expect_length(8);
        once(seen_fixed);
        h.has_fixed_addresses = true;
        h.fixed_ram = le32(tbf, data);
        h.fixed_flash = le32(tbf, data + 4);
        break;
      case tbf::kKernelVersion:  // major u16, minor u16
        expect_length(4);
        if (h.kernel_version)
          throw fail(fmt::format("duplicate KernelVersion TLV (type 8) at header offset {}", at));
        h.kernel_version = TbfKernelVersion{le16(tbf, data), le16(tbf, data + 2)};
        break;
      default:  // WriteableFlashRegions, Permissions, StoragePermissions, ShortId, out-of-tree...
        h.skipped_tlvs.push_back(type);
        break;
    }
    at = data + padded;
  }
  if (!h.has_program) h.binary_end_offset = h.total_size;

  TbfApp app;
  if (!h.is_padding()) {
    const std::uint64_t protected_end = std::uint64_t{h.header_size} + h.protected_trailer_size;
    if (protected_end > h.total_size) {
      throw fail(fmt::format("protected region (header {} + trailer {}) is larger than total_size {}",
                             h.header_size, h.protected_trailer_size, h.total_size));
    }
    if (h.binary_end_offset < protected_end || h.binary_end_offset > h.total_size) {
      throw fail(fmt::format("binary_end_offset {} is outside [end of protected region {}, total_size {}]",
                             h.binary_end_offset, protected_end, h.total_size));
    }
    // The first instruction must lie in the binary (Arm: the Thumb bit may be set in the offset).
    const std::uint64_t init = (std::uint64_t{h.header_size} + h.init_fn_offset) & ~std::uint64_t{1};
    if (init < protected_end || init >= h.binary_end_offset) {
      throw fail(
          fmt::format("init_fn_offset {:#x} puts the entry at TBF offset {:#x}, outside the application "
                      "binary [{:#x}, {:#x})",
                      h.init_fn_offset, init, protected_end, h.binary_end_offset));
    }
    if (h.has_program) {
      app.relocations = find_relocations(tbf, static_cast<std::uint32_t>(protected_end), h.binary_end_offset);
    }
  }
  app.header = std::move(h);
  app.bytes.assign(tbf.begin(), tbf.end());
  app.name = std::move(name);  // last: `fail` uses it
  return app;
}

// ---- tar (POSIX.1-1988 ustar, as GNU tar and Rust's tar crate write it)

namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kMaxEntries = 4096;

// A NUL- or length-terminated header string field.
std::string field(Bytes hdr, std::size_t at, std::size_t len) {
  const auto* p = hdr.data() + at;
  std::size_t n = 0;
  while (n < len && p[n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(p), n);
}

// Octal number field (spaces/NULs around it), or GNU base-256 when the top bit of the first byte is set.
std::optional<std::uint64_t> number_field(Bytes hdr, std::size_t at, std::size_t len) {
  const auto* p = hdr.data() + at;
  if (p[0] & 0x80) {
    if (p[0] != 0x80) return std::nullopt;  // negative or absurdly large
    std::uint64_t v = 0;
    for (std::size_t i = 1; i < len; ++i) {
      if (v >> 55) return std::nullopt;
      v = (v << 8) | p[i];
    }
    return v;
  }
  std::size_t i = 0;
  while (i < len && p[i] == ' ') ++i;
  std::uint64_t v = 0;
  bool any = false;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + (p[i] - '0');
    any = true;
  }
  for (; i < len; ++i) {
    if (p[i] != ' ' && p[i] != 0) return std::nullopt;
  }
  if (!any) return std::nullopt;
  return v;
}

// pax extended header records: "<len> <key>=<value>\n". Returns the "path" value if present and well formed.
std::optional<std::string> pax_path(Bytes data) {
  std::optional<std::string> path;
  std::size_t at = 0;
  while (at < data.size()) {
    std::size_t len = 0;
    std::size_t i = at;
    while (i < data.size() && data[i] >= '0' && data[i] <= '9' && len < data.size())
      len = len * 10 + (data[i++] - '0');
    if (i >= data.size() || data[i] != ' ' || len == 0 || len > data.size() - at) return path;
    const std::string rec(reinterpret_cast<const char*>(data.data()) + i + 1, at + len - i - 1);
    if (rec.rfind("path=", 0) == 0 && !rec.empty() && rec.back() == '\n')
      path = rec.substr(5, rec.size() - 6);
    at += len;
  }
  return path;
}

}  // namespace

std::vector<TarEntry> read_tar(std::span<const std::uint8_t> bytes, const std::string& name) {
  auto fail = [&](std::string defect) { return LoadError(name, std::move(defect)); };
  std::vector<TarEntry> out;
  std::optional<std::string> next_name;  // from a GNU 'L' or pax 'x' entry, for the entry after it
  std::size_t at = 0;
  std::size_t headers = 0;
  while (true) {
    if (bytes.size() - at < kBlock) {
      if (at == bytes.size() && headers > 0) break;  // no end-of-archive blocks: tolerated
      throw fail(fmt::format("truncated tar: the header block at offset {} needs 512 bytes, {} remain", at,
                             bytes.size() - at));
    }
    const Bytes hdr = bytes.subspan(at, kBlock);
    if (std::all_of(hdr.begin(), hdr.end(), [](std::uint8_t b) { return b == 0; })) break;  // end of archive
    if (++headers > kMaxEntries) throw fail(fmt::format("tar has more than {} entries", kMaxEntries));
    // Checksum: the sum of the header bytes with the checksum field read as 8 spaces (unsigned; some old
    // tars summed signed chars, also accepted).
    const auto stored = number_field(hdr, 148, 8);
    std::uint64_t usum = 0;
    std::int64_t ssum = 0;
    for (std::size_t i = 0; i < kBlock; ++i) {
      const std::uint8_t b = (i >= 148 && i < 156) ? ' ' : hdr[i];
      usum += b;
      ssum += static_cast<std::int8_t>(b);
    }
    if (!stored || (*stored != usum && static_cast<std::int64_t>(*stored) != ssum)) {
      throw fail(fmt::format("tar header at offset {} has a bad checksum (stored {}, computed {})", at,
                             stored ? fmt::format("{:o}", *stored) : std::string("unreadable"), usum));
    }
    const auto size = number_field(hdr, 124, 12);
    if (!size) throw fail(fmt::format("tar header at offset {} has an unreadable size field", at));
    const std::size_t data_at = at + kBlock;
    if (*size > bytes.size() - data_at) {
      throw fail(fmt::format("tar entry '{}' at offset {} is {} bytes but only {} remain", field(hdr, 0, 100),
                             at, *size, bytes.size() - data_at));
    }
    const Bytes data = bytes.subspan(data_at, static_cast<std::size_t>(*size));
    const bool ustar = std::memcmp(hdr.data() + 257, "ustar\0", 6) == 0;  // POSIX: prefix field is valid
    std::string entry_name = field(hdr, 0, 100);
    if (ustar) {
      const std::string prefix = field(hdr, 345, 155);
      if (!prefix.empty()) entry_name = prefix + "/" + entry_name;
    }
    const char type = static_cast<char>(hdr[156]);
    switch (type) {
      case 'L':  // GNU long name for the next entry
        next_name = std::string(reinterpret_cast<const char*>(data.data()), data.size());
        next_name->erase(std::find(next_name->begin(), next_name->end(), '\0'), next_name->end());
        break;
      case 'x':  // pax extended header for the next entry
        if (auto p = pax_path(data)) next_name = std::move(*p);
        break;
      case '0':
      case '\0':
      case '7':  // contiguous file: a regular file to every reader but one
        out.push_back({next_name ? std::move(*next_name) : std::move(entry_name),
                       std::vector<std::uint8_t>(data.begin(), data.end())});
        next_name.reset();
        break;
      default:  // directories, links, devices, pax globals: nothing to load
        next_name.reset();
        break;
    }
    const std::size_t padded = (static_cast<std::size_t>(*size) + kBlock - 1) / kBlock * kBlock;
    at = data_at + std::min(padded, bytes.size() - data_at);
  }
  return out;
}

std::vector<std::uint8_t> write_tar(std::span<const TarEntry> entries) {
  std::vector<std::uint8_t> out;
  for (const TarEntry& e : entries) {
    std::array<std::uint8_t, kBlock> h{};
    std::memcpy(h.data(), e.name.data(), std::min<std::size_t>(e.name.size(), 100));
    auto octal = [&](std::size_t at, std::size_t len, std::uint64_t v) {
      const std::string s = fmt::format("{:0{}o}", v, len - 1);
      std::memcpy(h.data() + at, s.data(), std::min(s.size(), len - 1));
    };
    octal(100, 8, 0644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, e.data.size());
    octal(136, 12, 0);
    h[156] = '0';
    std::memcpy(h.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(h.data() + 148, ' ', 8);
    std::uint32_t sum = 0;
    for (std::uint8_t b : h) sum += b;
    const std::string s = fmt::format("{:06o}", sum);
    std::memcpy(h.data() + 148, s.data(), 6);
    h[154] = 0;
    h[155] = ' ';
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), e.data.begin(), e.data.end());
    out.resize((out.size() + kBlock - 1) / kBlock * kBlock, 0);
  }
  out.resize(out.size() + 2 * kBlock, 0);
  return out;
}

std::optional<Arch> arch_from_tab_name(std::string_view entry_name) {
  const auto slash = entry_name.rfind('/');
  if (slash != std::string_view::npos) entry_name.remove_prefix(slash + 1);
  const std::string_view arch = entry_name.substr(0, entry_name.find('.'));
  if (arch == "cortex-m3" || arch == "cortex-m4" || arch == "cortex-m7") return Arch::ArmV7M;
  if (arch == "cortex-m33") return Arch::ArmV8M;
  if (arch.rfind("rv32", 0) == 0) return Arch::Rv32;
  return std::nullopt;
}

namespace {
std::string_view entry_arch(std::string_view entry_name) {
  const auto slash = entry_name.rfind('/');
  if (slash != std::string_view::npos) entry_name.remove_prefix(slash + 1);
  return entry_name.substr(0, entry_name.find('.'));
}
}  // namespace

std::vector<std::string> Tab::architectures() const {
  std::vector<std::string> out;
  for (const auto& t : tbfs) out.emplace_back(entry_arch(t.name));
  return out;
}

Tab read_tab(std::span<const std::uint8_t> bytes, const std::string& name) {
  Tab tab;
  for (TarEntry& e : read_tar(bytes, name)) {
    const std::string_view n = e.name;
    if (n == "metadata.toml" || n.ends_with("/metadata.toml")) {
      tab.metadata_toml.assign(e.data.begin(), e.data.end());
    } else if (n.ends_with(".tbf")) {
      tab.tbfs.push_back(std::move(e));
    }
  }
  if (tab.tbfs.empty()) throw LoadError(name, "no .tbf entry in the TAB archive");
  return tab;
}

TbfApp select_tab_app(const Tab& tab, const std::string& name, std::string_view arch,
                      std::optional<std::uint32_t> flash_address) {
  std::optional<TbfApp> first;
  for (const TarEntry& e : tab.tbfs) {
    if (entry_arch(e.name) != arch) continue;
    TbfApp app = parse_tbf(e.data, name + ":" + e.name);
    app.arch = arch_from_tab_name(e.name);
    if (!flash_address) return app;
    if (app.header.fixed_flash_address() == flash_address) return app;
    if (!first) first = std::move(app);
  }
  std::string have;
  for (const auto& a : tab.architectures()) have += (have.empty() ? "" : ", ") + a;
  if (first) {
    throw LoadError(name,
                    fmt::format("no {} TBF is linked for flash address {:#010x}", arch, *flash_address));
  }
  throw LoadError(name, fmt::format("no TBF for architecture '{}' (the TAB has: {})", arch, have));
}

TbfApp load_tbf_file(const std::filesystem::path& path, std::optional<std::string_view> arch,
                     std::size_t max_file_size) {
  const std::vector<char> raw = detail::read_file_capped(path, max_file_size);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
  const std::string name = path.string();
  const bool is_tar = bytes.size() >= kBlock && std::memcmp(bytes.data() + 257, "ustar", 5) == 0;
  if (is_tar) {
    if (!arch) throw LoadError(name, "a TAB archive holds one TBF per architecture: name the architecture");
    return select_tab_app(read_tab(bytes, name), name, *arch);
  }
  return parse_tbf(bytes, name);
}

}  // namespace bulkhead::loader
