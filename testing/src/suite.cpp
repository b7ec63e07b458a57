// Suite files: TOML (toml++) in, a Suite out. Strict: unknown keys, wrong types, missing fields and names
// that do not exist are errors with the file, line and column.
#include "bulkhead/testing/suite.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace bulkhead::testing {

SuiteError::SuiteError(std::string file, SourcePos pos, std::string message)
    : std::runtime_error(
          file +
          (pos.line > 0 ? ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column) : std::string()) +
          ": " + message),
      file_(std::move(file)),
      pos_(pos),
      message_(std::move(message)) {}

std::string_view to_string(OutputMatch m) {
  switch (m) {
    case OutputMatch::Exact:
      return "exact";
    case OutputMatch::Golden:
      return "golden";
    case OutputMatch::Contains:
      return "contains";
    case OutputMatch::Excludes:
      return "excludes";
    case OutputMatch::Regex:
      return "regex";
    case OutputMatch::Lines:
      return "lines";
  }
  return "?";
}

std::string_view outcome_keyword(kernel_shim::Outcome o) {
  using kernel_shim::Outcome;
  switch (o) {
    case Outcome::Exited:
      return "exited";
    case Outcome::Faulted:
      return "faulted";
    case Outcome::UnknownTrap:
      return "unknown-trap";
    case Outcome::BudgetExhausted:
      return "budget-exhausted";
    case Outcome::Halted:
      return "halted";
    case Outcome::Stopped:
      return "stopped";
    case Outcome::Deadlocked:
      return "deadlocked";
  }
  return "?";
}

std::optional<kernel_shim::Outcome> parse_outcome_keyword(std::string_view text) {
  using kernel_shim::Outcome;
  for (Outcome o : {Outcome::Exited, Outcome::Faulted, Outcome::UnknownTrap, Outcome::BudgetExhausted,
                    Outcome::Halted, Outcome::Stopped, Outcome::Deadlocked})
    if (outcome_keyword(o) == text) return o;
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::string s;
  for (char c : text)
    if (c != ' ' && c != '_') s += c;
  double scale = 1000.0;  // seconds by default
  for (auto [suffix, mult] : {std::pair{"ms", 1.0}, {"min", 60'000.0}, {"s", 1000.0}, {"m", 60'000.0}}) {
    const std::string_view suf(suffix);
    if (s.size() > suf.size() && s.ends_with(suf)) {
      s.resize(s.size() - suf.size());
      scale = mult;
      break;
    }
  }
  if (s.empty()) return std::nullopt;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != s.size() || !(v > 0) || v * scale > 1e9) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(v * scale + 0.5));
}

namespace {

namespace fs = std::filesystem;

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  static SourcePos pos(const toml::node& n) {
    return {static_cast<int>(n.source().begin.line), static_cast<int>(n.source().begin.column)};
  }
  [[noreturn]] void fail(SourcePos p, const std::string& message) const {
    throw SuiteError(file_, p, message);
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

  std::string string(const toml::node& n, const std::string& what) const {
    if (const auto* s = n.as_string()) return s->get();
    fail(n, what + " must be a string, got " + type_name(n));
  }

  std::optional<std::string> opt_string(const toml::table& t, std::string_view key,
                                        const std::string& what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    return string(*n, what + ": `" + std::string(key) + "`");
  }

  std::optional<bool> opt_bool(const toml::table& t, std::string_view key, const std::string& what) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    if (const auto* b = n->as_boolean()) return b->get();
    fail(*n, what + ": `" + std::string(key) + "` must be true or false, got " + type_name(*n));
  }

  // An integer, or a string holding one ("0x2000_0000", "10 M").
  std::uint64_t number(const toml::node& n, const std::string& what, std::uint64_t lo,
                       std::uint64_t hi) const {
    std::uint64_t v = 0;
    if (const auto* i = n.as_integer()) {
      if (i->get() < 0) fail(n, what + " must not be negative, got " + std::to_string(i->get()));
      v = static_cast<std::uint64_t>(i->get());
    } else if (const auto* s = n.as_string()) {
      const auto parsed = parse_number_text(s->get());
      if (!parsed) fail(n, what + ": \"" + s->get() + "\" is not a number (e.g. 4096, 0x1000, \"10 M\")");
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
    for (char c : text)
      if (c != '_' && c != ' ') s += c;
    std::uint64_t scale = 1;
    for (auto [suffix, mult] : {std::pair{"KiB", 1ull << 10},
                                {"MiB", 1ull << 20},
                                {"GiB", 1ull << 30},
                                {"K", 1'000ull},
                                {"M", 1'000'000ull},
                                {"G", 1'000'000'000ull}}) {
      const std::string_view suf(suffix);
      if (s.size() > suf.size() && s.ends_with(suf)) {
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
    }
    std::uint64_t v = 0;
    for (; at < s.size(); ++at) {
      const char c = s[at];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0 || d >= radix) return std::nullopt;
      if (v > (std::uint64_t{1} << 48)) return std::nullopt;
      v = v * static_cast<std::uint64_t>(radix) + static_cast<std::uint64_t>(d);
    }
    return v * scale;
  }

 private:
  std::string file_;
};

constexpr std::uint64_t kU32Max = 0xFFFF'FFFFull;

std::string dquote(const std::string& s) {
  return "\"" + s + "\"";
}

bool valid_case_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == '/' || c == '+' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::optional<FaultKind> parse_fault_kind(std::string_view text) {
  for (FaultKind k :
       {FaultKind::MemManage, FaultKind::BusFault, FaultKind::UsageFault, FaultKind::AccessFault,
        FaultKind::IllegalInstruction, FaultKind::Breakpoint, FaultKind::HardFault})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

std::optional<Access> parse_access_kind(std::string_view text) {
  for (Access a : {Access::Read, Access::Write, Access::Execute})
    if (to_string(a) == text) return a;
  return std::nullopt;
}

// Settings a case inherits from [defaults].
struct Defaults {
  std::optional<std::uint64_t> max_instructions;
  std::optional<std::uint64_t> slice;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<fs::path> elf_dir;
  std::optional<emu::CpuProfile> cpu;
  std::optional<bool> protect;
};

class SuiteParser {
 public:
  SuiteParser(std::string file, fs::path dir, const SuiteOptions& options)
      : r_(file), file_(std::move(file)), dir_(std::move(dir)), options_(options) {}

  Suite parse(const toml::table& root) {
    r_.check_keys(root, "suite", {"name", "defaults", "case"});
    if (const toml::node* n = root.get("name")) (void)r_.string(*n, "suite: `name`");
    Defaults defaults;
    if (const toml::node* n = root.get("defaults")) defaults = parse_settings(r_.table(*n, "[defaults]"));
    Suite suite;
    suite.file = file_;
    const auto cases = r_.tables(root, "case", "[[case]]");
    if (cases.empty()) r_.fail(SourcePos{1, 1}, "the suite has no [[case]]");
    std::set<std::string> names;
    for (const toml::table* t : cases) {
      Case c = parse_case(*t, defaults);
      if (!names.insert(c.name).second) r_.fail(*t->get("name"), "case \"" + c.name + "\" is defined twice");
      suite.cases.push_back(std::move(c));
    }
    return suite;
  }

 private:
  Defaults parse_settings(const toml::table& t, const std::string& what = "[defaults]") {
    if (what == "[defaults]")
      r_.check_keys(t, what, {"max_instructions", "slice", "timeout", "elf_dir", "cpu", "protect"});
    Defaults d;
    d.max_instructions = r_.opt_number(t, "max_instructions", what, 1, std::uint64_t{1} << 48);
    d.slice = r_.opt_number(t, "slice", what, 1, std::uint64_t{1} << 40);
    if (const toml::node* n = t.get("timeout")) {
      std::optional<std::chrono::milliseconds> ms;
      if (const auto* i = n->as_integer(); i != nullptr && i->get() > 0 && i->get() < 1'000'000)
        ms = std::chrono::milliseconds(i->get() * 1000);
      else if (const auto* f = n->as_floating_point(); f != nullptr && f->get() > 0 && f->get() < 1e6)
        ms = std::chrono::milliseconds(static_cast<std::int64_t>(f->get() * 1000 + 0.5));
      else if (const auto* s = n->as_string())
        ms = parse_duration(s->get());
      if (!ms) r_.fail(*n, what + ": `timeout` must be a duration like \"10 s\", \"500 ms\" or \"2 min\"");
      d.timeout = ms;
    }
    if (auto s = r_.opt_string(t, "elf_dir", what)) d.elf_dir = dir_ / *s;
    if (auto s = r_.opt_string(t, "cpu", what)) {
      d.cpu = emu::parse_profile(*s);
      if (!d.cpu)
        r_.fail(*t.get("cpu"), what + ": unknown cpu \"" + *s + "\" (cortex-m4, cortex-m33, rv32imac)");
    }
    d.protect = r_.opt_bool(t, "protect", what);
    return d;
  }

  Case parse_case(const toml::table& t, const Defaults& defaults) {
    const std::string what = "[[case]]";
    r_.check_keys(t, what,
                  {"name", "layout", "elf", "module", "cpu", "protect", "input", "max_instructions", "slice",
                   "timeout", "elf_dir", "expect"});
    Case c;
    c.suite_file = file_;
    c.pos = Reader::pos(t);
    const toml::node* name = t.get("name");
    if (name == nullptr) r_.fail(t, what + ": missing `name`");
    c.name = r_.string(*name, what + ": `name`");
    if (!valid_case_name(c.name))
      r_.fail(*name, what + ": name \"" + c.name +
                         "\" may only use letters, digits and _ - . / + : (it is typed in --filter)");
    const std::string named = "case \"" + c.name + "\"";

    const Defaults own = parse_settings(t, named);
    c.max_instructions =
        own.max_instructions.value_or(defaults.max_instructions.value_or(c.max_instructions));
    c.slice = own.slice.value_or(defaults.slice.value_or(c.slice));
    c.timeout = own.timeout.value_or(defaults.timeout.value_or(c.timeout));
    c.cpu = own.cpu ? own.cpu : defaults.cpu;
    c.protect = own.protect.value_or(defaults.protect.value_or(true));
    std::optional<fs::path> elf_dir = options_.elf_dir ? options_.elf_dir
                                      : own.elf_dir    ? own.elf_dir
                                                       : defaults.elf_dir;

    const auto layout_text = r_.opt_string(t, "layout", named);
    const auto elf_text = r_.opt_string(t, "elf", named);
    if (layout_text.has_value() == elf_text.has_value())
      r_.fail(t, named + ": give exactly one of `layout` (a layout file) and `elf` (a single module)");
    std::vector<std::string> partitions;  // known partition names (empty: unknown)
    if (layout_text) {
      c.layout = dir_ / *layout_text;
      c.elf_dir = elf_dir;
      for (std::string_view key : {"cpu", "protect", "module"})
        if (const toml::node* n = t.get(key))
          r_.fail(*n, named + ": `" + std::string(key) + "` is for single-ELF cases (the layout decides)");
      partitions = layout_partitions(c);
    } else {
      const fs::path elf(*elf_text);
      c.elf = elf.is_absolute() ? elf : (elf_dir ? *elf_dir : dir_) / elf;
      c.module_name = r_.opt_string(t, "module", named).value_or(elf.stem().string());
      partitions.push_back(c.module_name);
    }

    if (const toml::node* n = t.get("input")) {
      if (!c.is_layout())
        r_.fail(*n, named + ": `input` needs a layout case (a single module has no console input)");
      for (const auto& [key, value] : r_.table(*n, named + ": `input`")) {
        const std::string p(key.str());
        check_partition(value, named + ": `input`", p, partitions);
        c.input[p] = r_.string(value, named + ": `input." + p + "`");
      }
    }
    if (const toml::node* n = t.get("expect"))
      c.expect = parse_expect(r_.table(*n, named + ": `expect`"), c, named, partitions);
    return c;
  }

  // The layout's partitions that name a module, when the layout parses; else empty (the case will fail with
  // the layout's own error when it runs).
  std::vector<std::string> layout_partitions(const Case& c) const {
    std::vector<std::string> out;
    try {
      layout::ParseOptions po;
      po.elf_dir = c.elf_dir;
      for (const auto& p : layout::parse_layout_file(c.layout, po).partitions)
        if (!p.elf.empty()) out.push_back(p.name);
    } catch (const std::exception&) {
      out.clear();
    }
    return out;
  }

  void check_partition(const toml::node& n, const std::string& what, const std::string& name,
                       const std::vector<std::string>& partitions) const {
    if (partitions.empty()) return;
    for (const auto& p : partitions)
      if (p == name) return;
    std::string list;
    for (const auto& p : partitions) list += (list.empty() ? "" : ", ") + p;
    r_.fail(n, what + ": no partition \"" + name + "\" runs in this case (partitions: " + list + ")");
  }

  // `partition = "..."`, or the only partition when there is one.
  std::string partition_of(const toml::table& t, const std::string& what,
                           const std::vector<std::string>& partitions) const {
    if (const toml::node* n = t.get("partition")) {
      const std::string p = r_.string(*n, what + ": `partition`");
      check_partition(*n, what, p, partitions);
      return p;
    }
    if (partitions.size() == 1) return partitions.front();
    r_.fail(t, what + ": missing `partition` (the case runs more than one)");
  }

  Expectations parse_expect(const toml::table& t, const Case& c, const std::string& named,
                            const std::vector<std::string>& partitions) {
    const std::string what = named + ": [case.expect]";
    r_.check_keys(t, what, {"exit", "outcome", "output", "fault", "ignore_other_faults"});
    Expectations e;
    e.pos = Reader::pos(t);
    if (const toml::node* n = t.get("exit")) {
      if (n->is_integer() && partitions.size() == 1) {
        e.exit[partitions.front()] = static_cast<std::int32_t>(
            static_cast<std::int64_t>(r_.number(*n, what + ": `exit`", 0, 0x7FFF'FFFF)));
      } else {
        for (const auto& [key, value] : r_.table(*n, what + ": `exit` (partition = code)")) {
          const std::string p(key.str());
          check_partition(value, what + ": `exit`", p, partitions);
          const auto* i = value.as_integer();
          if (i == nullptr || i->get() < INT32_MIN || i->get() > INT32_MAX)
            r_.fail(value,
                    what + ": `exit." + p + "` must be a 32-bit integer, got " + Reader::type_name(value));
          e.exit[p] = static_cast<std::int32_t>(i->get());
        }
      }
    }
    if (const toml::node* n = t.get("outcome")) {
      auto one = [&](const toml::node& v, const std::string& p) {
        const std::string s = r_.string(v, what + ": `outcome`");
        const auto o = parse_outcome_keyword(s);
        if (!o)
          r_.fail(v, what + ": unknown outcome \"" + s +
                         "\" (exited, faulted, unknown-trap, budget-exhausted, halted, stopped, deadlocked)");
        e.outcome[p] = *o;
      };
      if (n->is_string() && partitions.size() == 1) {
        one(*n, partitions.front());
      } else {
        for (const auto& [key, value] : r_.table(*n, what + ": `outcome` (partition = \"outcome\")")) {
          const std::string p(key.str());
          check_partition(value, what + ": `outcome`", p, partitions);
          one(value, p);
        }
      }
    }
    for (const auto& [p, code] : e.exit) {
      auto it = e.outcome.find(p);
      if (it != e.outcome.end() && it->second != kernel_shim::Outcome::Exited)
        r_.fail(*t.get("exit"), what + ": partition \"" + p + "\" cannot both exit with " +
                                    std::to_string(code) + " and end " +
                                    std::string(outcome_keyword(it->second)));
    }
    for (const toml::table* o : r_.tables(t, "output", what + ": [[case.expect.output]]"))
      e.output.push_back(parse_output(*o, c, named + ": [[case.expect.output]]", partitions));
    for (const toml::table* f : r_.tables(t, "fault", what + ": [[case.expect.fault]]"))
      e.faults.push_back(parse_fault(*f, named + ": [[case.expect.fault]]", partitions));
    e.ignore_other_faults = r_.opt_bool(t, "ignore_other_faults", what).value_or(false);
    return e;
  }

  OutputExpectation parse_output(const toml::table& t, const Case& c, const std::string& what,
                                 const std::vector<std::string>& partitions) {
    (void)c;
    r_.check_keys(t, what, {"partition", "exact", "golden", "contains", "excludes", "regex", "lines"});
    OutputExpectation o;
    o.pos = Reader::pos(t);
    o.partition = partition_of(t, what, partitions);
    int kinds = 0;
    for (std::string_view k : {"exact", "golden", "contains", "excludes", "regex", "lines"})
      kinds += t.get(k) != nullptr ? 1 : 0;
    if (kinds != 1)
      r_.fail(t, what + ": give exactly one of exact, golden, contains, excludes, regex, lines");
    if (const toml::node* n = t.get("exact")) {
      o.match = OutputMatch::Exact;
      o.text = r_.string(*n, what + ": `exact`");
      o.value_pos = Reader::pos(*n);
    } else if (const toml::node* g = t.get("golden")) {
      o.match = OutputMatch::Golden;
      o.golden = dir_ / r_.string(*g, what + ": `golden`");
      std::ifstream in(o.golden, std::ios::binary);
      if (in) {
        std::stringstream ss;
        ss << in.rdbuf();
        o.text = ss.str();
      } else {
        o.golden_missing = true;  // a failure when the case runs, or written by --update
      }
    } else if (const toml::node* s = t.get("contains")) {
      o.match = OutputMatch::Contains;
      o.text = r_.string(*s, what + ": `contains`");
    } else if (const toml::node* x = t.get("excludes")) {
      o.match = OutputMatch::Excludes;
      o.text = r_.string(*x, what + ": `excludes`");
    } else if (const toml::node* re = t.get("regex")) {
      o.match = OutputMatch::Regex;
      o.text = r_.string(*re, what + ": `regex`");
      try {
        std::regex compiled(o.text, std::regex::ECMAScript | std::regex::multiline);
      } catch (const std::regex_error& err) {
        r_.fail(*re,
                what + ": `regex` " + dquote(o.text) + " is not a valid regular expression: " + err.what());
      }
    } else {
      const toml::node* l = t.get("lines");
      o.match = OutputMatch::Lines;
      const auto* arr = l->as_array();
      if (arr == nullptr)
        r_.fail(*l, what + ": `lines` must be an array of strings, got " + Reader::type_name(*l));
      for (const toml::node& e : *arr) o.lines.push_back(r_.string(e, what + ": each of `lines`"));
      if (o.lines.empty()) r_.fail(*l, what + ": `lines` is empty");
    }
    return o;
  }

  FaultExpectation parse_fault(const toml::table& t, const std::string& what,
                               const std::vector<std::string>& partitions) {
    r_.check_keys(t, what,
                  {"partition", "kind", "access", "address", "symbol", "pc", "pc_symbol", "policy", "count"});
    FaultExpectation f;
    f.pos = Reader::pos(t);
    f.partition = partition_of(t, what, partitions);
    if (auto s = r_.opt_string(t, "kind", what)) {
      f.kind = parse_fault_kind(*s);
      if (!f.kind)
        r_.fail(*t.get("kind"), what + ": unknown fault kind \"" + *s +
                                    "\" (MemManage, BusFault, UsageFault, AccessFault, IllegalInstruction, "
                                    "Breakpoint, HardFault)");
    }
    if (auto s = r_.opt_string(t, "access", what)) {
      f.access = parse_access_kind(*s);
      if (!f.access)
        r_.fail(*t.get("access"), what + ": unknown access \"" + *s + "\" (read, write, execute)");
    }
    if (auto v = r_.opt_number(t, "address", what, 0, kU32Max)) f.address = static_cast<std::uint32_t>(*v);
    f.symbol = r_.opt_string(t, "symbol", what).value_or("");
    if (f.address && !f.symbol.empty())
      r_.fail(*t.get("symbol"), what + ": give `address` or `symbol`, not both");
    if (auto v = r_.opt_number(t, "pc", what, 0, kU32Max)) f.pc = static_cast<std::uint32_t>(*v);
    f.pc_symbol = r_.opt_string(t, "pc_symbol", what).value_or("");
    if (f.pc && !f.pc_symbol.empty())
      r_.fail(*t.get("pc_symbol"), what + ": give `pc` or `pc_symbol`, not both");
    if (auto s = r_.opt_string(t, "policy", what)) {
      if (s->empty()) r_.fail(*t.get("policy"), what + ": `policy` is empty");
      f.policy = *s;
    }
    if (auto v = r_.opt_number(t, "count", what, 1, 1'000'000)) f.count = static_cast<std::uint32_t>(*v);
    return f;
  }

  Reader r_;
  std::string file_;
  fs::path dir_;
  const SuiteOptions& options_;
};

}  // namespace

Suite parse_suite(std::string_view text, const std::string& file, const std::filesystem::path& dir,
                  const SuiteOptions& options) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw SuiteError(file, {static_cast<int>(b.line), static_cast<int>(b.column)},
                     std::string(e.description()));
  }
  return SuiteParser(file, dir, options).parse(root);
}

Suite parse_suite_file(const std::filesystem::path& path, const SuiteOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SuiteError(path.string(), {}, std::string("cannot read: ") + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_suite(ss.str(), path.string(), path.parent_path(), options);
}

}  // namespace bulkhead::testing
