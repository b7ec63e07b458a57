// Layout files: TOML (toml++) in, a Layout out. Strict: unknown keys, wrong types and out-of-range values are
// errors with the file, line and column, because a typo must never fall back to a default.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "bulkhead/layout/layout.hpp"
#include "bulkhead/layout/tock.hpp"
#include "bulkhead/loader/elf.hpp"

namespace bulkhead::layout {

LayoutError::LayoutError(std::string file, SourcePos pos, std::string message)
    : std::runtime_error(
          file +
          (pos.line > 0 ? ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) : std::string()) +
          ": " + message),
      file_(std::move(file)),
      pos_(pos),
      message_(std::move(message)) {}

std::string_view to_string(MemoryKind k) {
  switch (k) {
    case MemoryKind::Flash:
      return "flash";
    case MemoryKind::Ram:
      return "ram";
    case MemoryKind::Peripheral:
      return "peripheral";
  }
  return "?";
}

std::string_view to_string(RegionKind k) {
  switch (k) {
    case RegionKind::Code:
      return "code";
    case RegionKind::Data:
      return "data";
    case RegionKind::Stack:
      return "stack";
    case RegionKind::Peripheral:
      return "peripheral";
    case RegionKind::Shared:
      return "shared";
  }
  return "?";
}

std::optional<Perms> parse_access(std::string_view text) {
  if (text.empty() || text == "-" || text == "---" || text == "none") return Perms::None;
  Perms p = Perms::None;
  for (char c : text) {
    Perms bit = Perms::None;
    if (c == 'r') bit = Perms::R;
    if (c == 'w') bit = Perms::W;
    if (c == 'x') bit = Perms::X;
    if (c == '-') continue;
    if (bit == Perms::None || has(p, bit)) return std::nullopt;
    p |= bit;
  }
  return p;
}

std::string_view to_string(FaultAction a) {
  switch (a) {
    case FaultAction::Kill:
      return "kill";
    case FaultAction::Restart:
      return "restart";
    case FaultAction::Halt:
      return "halt";
    case FaultAction::Notify:
      return "notify";
    case FaultAction::Audit:
      return "audit";
  }
  return "?";
}

std::optional<FaultAction> parse_fault_action(std::string_view text) {
  for (FaultAction a :
       {FaultAction::Kill, FaultAction::Restart, FaultAction::Halt, FaultAction::Notify, FaultAction::Audit})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

namespace {

constexpr std::uint64_t kSpaceEnd = std::uint64_t{1} << 32;

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  SourcePos pos(const toml::node& n) const {
    return {static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
  }
  [[noreturn]] void fail(SourcePos p, const std::string& message) const {
    throw LayoutError(file_, p, message);
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& message) const { fail(pos(n), message); }

  void check_keys(const toml::table& t, const std::string& what,
                  std::initializer_list<std::string_view> known) const {
    for (const auto& [key, value] : t) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || key.str() == k;
      if (ok) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(value, what + ": unknown key `" + std::string(key.str()) + "` (expected one of: " + list + ")");
    }
  }

  const toml::table& table(const toml::node& n, const std::string& what) const {
    if (const auto* t = n.as_table()) return *t;
    fail(n, what + ": expected a table, got " + type_name(n));
  }

  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view key,
                                         const std::string& what) const {
    std::vector<const toml::table*> out;
    const toml::node* n = parent.get(key);
    if (n == nullptr) return out;
    const auto* arr = n->as_array();
    if (arr == nullptr) fail(*n, what + ": expected an array of tables ([[...]]), got " + type_name(*n));
    for (const toml::node& e : *arr) out.push_back(&table(e, what));
    return out;
  }

  std::string string(const toml::table& t, std::string_view key, const std::string& what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) fail(pos(t), what + ": missing `" + std::string(key) + "`");
    if (const auto* s = n->as_string()) return s->get();
    fail(*n, what + ": `" + std::string(key) + "` must be a string, got " + type_name(*n));
  }

  std::optional<std::string> opt_string(const toml::table& t, std::string_view key,
                                        const std::string& what) const {
    if (t.get(key) == nullptr) return std::nullopt;
    return string(t, key, what);
  }

  bool boolean(const toml::table& t, std::string_view key, const std::string& what, bool fallback) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return fallback;
    if (const auto* b = n->as_boolean()) return b->get();
    fail(*n, what + ": `" + std::string(key) + "` must be true or false, got " + type_name(*n));
  }

  // An integer, or a string holding one with an optional K/KiB/M/MiB/G/GiB suffix ("16 KiB", "0x4000").
  std::uint64_t number(const toml::node& n, const std::string& what, std::uint64_t lo,
                       std::uint64_t hi) const {
    std::uint64_t v = 0;
    if (const auto* i = n.as_integer()) {
      if (i->get() < 0) fail(n, what + " must not be negative, got " + std::to_string(i->get()));
      v = static_cast<std::uint64_t>(i->get());
    } else if (const auto* s = n.as_string()) {
      const auto parsed = parse_number_text(s->get());
      if (!parsed) fail(n, what + ": \"" + s->get() + "\" is not a number (e.g. 4096, 0x1000, \"4 KiB\")");
      v = *parsed;
    } else {
      fail(n, what + " must be an integer, got " + type_name(n));
    }
    if (v < lo || v > hi)
      fail(n, what + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                  std::to_string(v));
    return v;
  }

  std::optional<std::uint64_t> opt_number(const toml::table& t, std::string_view key, const std::string& what,
                                          std::uint64_t lo, std::uint64_t hi) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    return number(*n, what + ": `" + std::string(key) + "`", lo, hi);
  }

  Perms access(const toml::table& t, std::string_view key, const std::string& what, Perms fallback) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return fallback;
    const auto* s = n->as_string();
    if (s == nullptr)
      fail(*n, what + ": `" + std::string(key) + "` must be a string like \"rw\", got " + type_name(*n));
    const auto p = parse_access(s->get());
    if (!p)
      fail(*n, what + ": `" + std::string(key) + "` \"" + s->get() + "\" is not an access (letters r, w, x)");
    return *p;
  }

  std::string name(const toml::table& t, const std::string& what) const {
    const std::string v = string(t, "name", what);
    if (v.empty()) fail(*t.get("name"), what + ": `name` must not be empty");
    for (char c : v) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
      if (!ok)
        fail(*t.get("name"), what + ": name \"" + v + "\" may only use letters, digits, '_', '-' and '.'");
    }
    return v;
  }

  static std::string type_name(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::table:
        return "a table";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a float";
      case toml::node_type::boolean:
        return "a boolean";
      default:
        return "a date/time";
    }
  }

  static std::optional<std::uint64_t> parse_number_text(std::string_view text) {
    std::string s;
    for (char c : text) {
      if (c != '_' && c != ' ') s += c;
    }
    std::uint64_t scale = 1;
    for (auto [suffix, mult] : {std::pair{"KiB", 1ull << 10},
                                {"MiB", 1ull << 20},
                                {"GiB", 1ull << 30},
                                {"K", 1ull << 10},
                                {"M", 1ull << 20},
                                {"G", 1ull << 30}}) {
      const std::string_view suf(suffix);
      if (s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
        s.resize(s.size() - suf.size());
        scale = mult;
        break;
      }
    }
    if (s.empty()) return std::nullopt;
    int radix = 10;
    std::size_t at = 0;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      radix = 16;
      at = 2;
    } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
      radix = 2;
      at = 2;
    }
    std::uint64_t v = 0;
    for (; at < s.size(); ++at) {
      const char c = s[at];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0 || d >= radix) return std::nullopt;
      if (v > (kSpaceEnd << 8)) return std::nullopt;  // far out of range anyway; stop before overflow
      v = v * static_cast<std::uint64_t>(radix) + static_cast<std::uint64_t>(d);
    }
    return v * scale;
  }

 private:
  std::string file_;
};

Arch parse_arch(const Reader& r, const toml::table& t) {
  const std::string v = r.string(t, "arch", "[target]");
  if (v == "armv7m") return Arch::ArmV7M;
  if (v == "armv8m") return Arch::ArmV8M;
  if (v == "rv32") return Arch::Rv32;
  r.fail(*t.get("arch"), "[target]: unknown arch \"" + v + "\" (expected armv7m, armv8m or rv32)");
}

Target parse_target(const Reader& r, const toml::table& t) {
  Target target;
  target.pos = r.pos(t);
  UnitConfig& u = target.unit;
  u.arch = parse_arch(r, t);
  const std::string what = "[target]";
  switch (u.arch) {
    case Arch::ArmV7M:
      r.check_keys(t, what, {"arch", "regions", "min_region_size", "memory", "reserved"});
      u.v7.regions = static_cast<int>(r.opt_number(t, "regions", what, 1, 16).value_or(8));
      if (const toml::node* n = t.get("min_region_size")) {
        const std::uint64_t m = r.number(*n, what + ": `min_region_size`", 32, 256);
        if ((m & (m - 1)) != 0)
          r.fail(*n, what + ": `min_region_size` must be 32, 64, 128 or 256, got " + std::to_string(m));
        u.v7.min_region_size = static_cast<std::uint32_t>(m);
      }
      break;
    case Arch::ArmV8M:
      r.check_keys(t, what, {"arch", "regions", "v81m", "memory", "reserved"});
      u.v8.regions = static_cast<int>(r.opt_number(t, "regions", what, 1, 16).value_or(8));
      u.v8.v81m = r.boolean(t, "v81m", what, false);
      break;
    case Arch::Rv32:
      r.check_keys(t, what, {"arch", "entries", "granularity", "memory", "reserved"});
      u.pmp.entries = static_cast<unsigned>(r.opt_number(t, "entries", what, 1, 64).value_or(16));
      u.pmp.granularity = static_cast<unsigned>(r.opt_number(t, "granularity", what, 0, 30).value_or(0));
      break;
  }

  std::set<std::string> names;
  for (const toml::table* m : r.tables(t, "memory", "[[target.memory]]")) {
    const std::string mw = "[[target.memory]]";
    r.check_keys(*m, mw, {"name", "kind", "base", "size"});
    Memory mem;
    mem.pos = r.pos(*m);
    mem.name = r.name(*m, mw);
    if (!names.insert(mem.name).second) r.fail(*m, mw + ": memory `" + mem.name + "` is declared twice");
    const std::string kind = r.string(*m, "kind", mw + " `" + mem.name + "`");
    if (kind == "flash") {
      mem.kind = MemoryKind::Flash;
    } else if (kind == "ram") {
      mem.kind = MemoryKind::Ram;
    } else if (kind == "peripheral") {
      mem.kind = MemoryKind::Peripheral;
    } else {
      r.fail(*m->get("kind"),
             mw + " `" + mem.name + "`: unknown kind \"" + kind + "\" (expected flash, ram or peripheral)");
    }
    const std::string named = mw + " `" + mem.name + "`";
    if (m->get("base") == nullptr || m->get("size") == nullptr)
      r.fail(*m, named + ": needs `base` and `size`");
    mem.range.base = r.number(*m->get("base"), named + ": `base`", 0, kSpaceEnd - 1);
    mem.range.size = r.number(*m->get("size"), named + ": `size`", 1, kSpaceEnd - mem.range.base);
    target.memories.push_back(mem);
  }

  std::set<int> slots;
  const auto max_slot = static_cast<std::uint64_t>(u.slots() - 1);
  for (const toml::table* k : r.tables(t, "reserved", "[[target.reserved]]")) {
    const std::string kw = "[[target.reserved]]";
    r.check_keys(*k, kw, {"index", "name", "base", "size", "access"});
    ReservedRegion rr;
    rr.pos = r.pos(*k);
    rr.name = r.name(*k, kw);
    const std::string named = kw + " `" + rr.name + "`";
    if (k->get("index") == nullptr)
      r.fail(*k, named + ": missing `index` (the region/entry number the kernel keeps)");
    rr.slot = static_cast<int>(r.number(*k->get("index"), named + ": `index`", 0, max_slot));
    if (!slots.insert(rr.slot).second)
      r.fail(*k->get("index"), named + ": index " + std::to_string(rr.slot) + " is reserved twice");
    const bool has_base = k->get("base") != nullptr;
    if (has_base != (k->get("size") != nullptr))
      r.fail(*k, named + ": give both `base` and `size`, or neither");
    if (has_base) {
      AddressRange range;
      range.base = r.number(*k->get("base"), named + ": `base`", 0, kSpaceEnd - 1);
      range.size = r.number(*k->get("size"), named + ": `size`", 1, kSpaceEnd - range.base);
      rr.range = range;
    }
    rr.privileged = r.access(*k, "access", named, Perms::RW);
    if (!has(rr.privileged, Perms::R))
      r.fail(*k->get("access"), named + ": `access` must include r (the kernel's privileged access)");
    target.reserved.push_back(rr);
  }
  if (static_cast<int>(target.reserved.size()) >= u.slots()) {
    r.fail(t, what + ": the kernel reserves all " + std::to_string(u.slots()) +
                  " regions; none are left for partitions");
  }
  return target;
}

Region parse_region(const Reader& r, const toml::table& t, const std::string& partition) {
  const std::string what = "partition `" + partition + "`: [[partition.region]]";
  r.check_keys(t, what, {"name", "kind", "access", "base", "size", "memory", "allow_wx"});
  Region reg;
  reg.pos = r.pos(t);
  reg.name = r.name(t, what);
  const std::string named = "partition `" + partition + "`: region `" + reg.name + "`";
  const std::string kind = r.string(t, "kind", named);
  Perms fallback = Perms::RW;
  if (kind == "code") {
    reg.kind = RegionKind::Code;
    fallback = Perms::RX;
  } else if (kind == "data") {
    reg.kind = RegionKind::Data;
  } else if (kind == "stack") {
    reg.kind = RegionKind::Stack;
  } else if (kind == "peripheral") {
    reg.kind = RegionKind::Peripheral;
  } else if (kind == "shared") {
    reg.kind = RegionKind::Shared;
  } else {
    r.fail(*t.get("kind"),
           named + ": unknown kind \"" + kind + "\" (expected code, data, stack, peripheral or shared)");
  }
  reg.access = r.access(t, "access", named, fallback);
  if (t.get("size") == nullptr) r.fail(t, named + ": missing `size`");
  reg.base = r.opt_number(t, "base", named, 0, kSpaceEnd - 1);
  reg.size = r.number(*t.get("size"), named + ": `size`", 1, kSpaceEnd - reg.base.value_or(0));
  reg.memory = r.opt_string(t, "memory", named).value_or("");
  reg.allow_wx = r.boolean(t, "allow_wx", named, false);
  return reg;
}

Partition parse_partition(const Reader& r, const toml::table& t, const std::filesystem::path& elf_base,
                          Arch arch) {
  const std::string what = "[[partition]]";
  r.check_keys(
      t, what,
      {"name", "elf", "abi", "flash", "ram", "region", "share", "fault", "max_restarts", "supervisor"});
  Partition p;
  p.pos = r.pos(t);
  p.name = r.name(t, what);
  const std::string named = "partition `" + p.name + "`";
  p.elf = r.opt_string(t, "elf", named).value_or("");
  if (!p.elf.empty()) {
    const std::filesystem::path e(p.elf);
    p.elf_path = e.is_absolute() ? e : elf_base / e;
  }
  // docs/tock.md: `abi` picks the syscall personality; without it a .tbf/.tab module means Tock.
  if (const toml::node* a = t.get("abi")) {
    const std::string text = r.string(t, "abi", named);
    if (text == "tock")
      p.abi = Abi::Tock;
    else if (text != "bulkhead")
      r.fail(*a, named + ": `abi` must be \"bulkhead\" or \"tock\", got \"" + text + "\"");
  } else if (!p.elf.empty() && is_tock_image_path(p.elf)) {
    p.abi = Abi::Tock;
  }
  std::set<std::string> names;
  for (const toml::table* reg : r.tables(t, "region", named + ": [[partition.region]]")) {
    Region parsed = parse_region(r, *reg, p.name);
    if (!names.insert(parsed.name).second)
      r.fail(*reg, named + ": region `" + parsed.name + "` is declared twice");
    p.regions.push_back(std::move(parsed));
  }
  for (const toml::table* s : r.tables(t, "share", named + ": [[partition.share]]")) {
    const std::string sw = named + ": [[partition.share]]";
    r.check_keys(*s, sw, {"partition", "region", "access"});
    Share share;
    share.pos = r.pos(*s);
    share.partition = r.string(*s, "partition", sw);
    share.region = r.string(*s, "region", sw);
    share.access = r.access(*s, "access", sw, Perms::R);
    if (share.access != Perms::R && share.access != Perms::RW) {
      r.fail(*s->get("access"),
             sw + ": `access` must be \"r\" or \"rw\", got \"" + to_string(share.access) + "\"");
    }
    p.shares.push_back(std::move(share));
  }
  if (p.abi != Abi::Tock)
    for (const char* key : {"flash", "ram"})
      if (const toml::node* n = t.get(key))
        r.fail(*n, named + ": `" + key +
                       "` places a Tock process (abi = \"tock\"); a Bulkhead module is placed by its ELF");
  if (p.abi == Abi::Tock) {
    // A Tock process's memory is its TBF's (flash = the whole TBF, RAM = its block with the grant region at
    // the top); the regions are derived from it, so the layout names none.
    if (p.elf.empty())
      r.fail(t, named + ": abi = \"tock\" needs `elf` naming a .tbf, a .tab or the app's ELF");
    if (!p.regions.empty())
      r.fail(t,
             named + ": a Tock process's regions come from its TBF; remove its [[partition.region]] tables");
    if (!p.shares.empty()) r.fail(t, named + ": a Tock process cannot take shares");
    // A position-independent app goes where the layout says: `flash` (its TBF's first byte) and `ram`.
    TockPlacement where;
    if (const auto f = r.opt_number(t, "flash", named, 0, kSpaceEnd - 1))
      where.flash = static_cast<std::uint32_t>(*f);
    if (const auto m = r.opt_number(t, "ram", named, 0, kSpaceEnd - 1))
      where.ram = static_cast<std::uint32_t>(*m);
    try {
      p.tock = place_tock_app(load_tock_app(p.elf_path, arch), arch, where);
    } catch (const loader::LoadError& e) {
      r.fail(t, named + ": " + e.what());
    }
    p.regions = tock_regions(*p.tock, r.pos(t));
  }
  if (const toml::node* f = t.get("fault")) {
    p.fault.pos = r.pos(*f);
    const std::string text = r.string(t, "fault", named);
    const auto action = parse_fault_action(text);
    if (!action)
      r.fail(*f, named + ": `fault` must be one of kill, restart, halt, notify, audit; got \"" + text + "\"");
    p.fault.action = *action;
  }
  if (const toml::node* n = t.get("max_restarts")) {
    if (p.fault.action != FaultAction::Restart)
      r.fail(*n, named + ": `max_restarts` needs fault = \"restart\"");
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < 0 || i->get() > 1'000'000)
      r.fail(*n, named + ": `max_restarts` must be an integer from 0 to 1000000");
    p.fault.max_restarts = static_cast<std::uint32_t>(i->get());
  }
  if (const toml::node* n = t.get("supervisor")) {
    if (p.fault.action != FaultAction::Notify) r.fail(*n, named + ": `supervisor` needs fault = \"notify\"");
    p.fault.supervisor = r.string(t, "supervisor", named);
  } else if (p.fault.action == FaultAction::Notify) {
    r.fail(p.fault.pos, named + ": fault = \"notify\" needs a `supervisor` partition");
  }
  return p;
}

}  // namespace

Layout parse_layout(std::string_view text, const std::string& file, const std::filesystem::path& dir,
                    const ParseOptions& options) {
  Reader r(file);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    throw LayoutError(file,
                      {static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column)},
                      "invalid TOML: " + std::string(e.description()));
  }
  r.check_keys(root, "layout", {"name", "elf_dir", "target", "partition"});
  Layout layout;
  layout.file = file;
  layout.name = r.opt_string(root, "name", "layout").value_or("");
  std::filesystem::path elf_base = dir;
  if (const auto d = r.opt_string(root, "elf_dir", "layout")) elf_base = dir / *d;
  if (options.elf_dir) elf_base = *options.elf_dir;

  const toml::node* target = root.get("target");
  if (target == nullptr)
    r.fail(SourcePos{}, "missing [target] table (arch, regions/entries, memory, reserved)");
  layout.target = parse_target(r, r.table(*target, "[target]"));

  std::set<std::string> names;
  for (const toml::table* p : r.tables(root, "partition", "[[partition]]")) {
    Partition parsed = parse_partition(r, *p, elf_base, layout.target.unit.arch);
    if (!names.insert(parsed.name).second) r.fail(*p, "partition `" + parsed.name + "` is declared twice");
    layout.partitions.push_back(std::move(parsed));
  }
  if (layout.partitions.empty())
    r.fail(SourcePos{}, "no [[partition]]: a layout needs at least one partition");
  for (const Partition& p : layout.partitions) {
    if (p.fault.action != FaultAction::Notify) continue;
    if (p.fault.supervisor == p.name)
      r.fail(p.fault.pos, "partition `" + p.name + "`: it cannot be its own supervisor");
    if (!names.contains(p.fault.supervisor))
      r.fail(p.fault.pos,
             "partition `" + p.name + "`: supervisor `" + p.fault.supervisor + "` is not a partition");
  }
  return layout;
}

Layout parse_layout_file(const std::filesystem::path& path, const ParseOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw LayoutError(path.string(), {}, "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LayoutError(path.string(), {}, std::string("cannot open: ") + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw LayoutError(path.string(), {}, std::string("cannot read: ") + std::strerror(errno));
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  return parse_layout(ss.str(), path.string(), dir, options);
}

}  // namespace bulkhead::layout
