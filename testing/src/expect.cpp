// Matching a run against its expectations. Defaults are strict: a partition must exit or fault (anything
// else, e.g. running out of its budget, must be expected with `outcome`), and any fault not listed fails the
// case.
#include "bulkhead/testing/expect.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>

namespace bulkhead::testing {

std::string_view to_string(FailureKind k) {
  switch (k) {
    case FailureKind::Error:
      return "error";
    case FailureKind::Timeout:
      return "timeout";
    case FailureKind::Output:
      return "output";
    case FailureKind::Exit:
      return "exit";
    case FailureKind::Outcome:
      return "outcome";
    case FailureKind::MissingFault:
      return "missing-fault";
    case FailureKind::UnexpectedFault:
      return "unexpected-fault";
  }
  return "?";
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\\' || ch == '"') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

namespace {

// Lines with their newline ("a\nb" -> "a\n", "b").
std::vector<std::string_view> chunks(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::size_t n = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  for (auto c : chunks(text)) out.push_back(c.ends_with('\n') ? c.substr(0, c.size() - 1) : c);
  return out;
}

// The output, indented, for a message (at most 20 lines).
std::string excerpt(std::string_view output) {
  if (output.empty()) return "  (the output was empty)";
  std::string out = "  the output was:";
  const auto ls = lines_of(output);
  for (std::size_t i = 0; i < ls.size() && i < 20; ++i) out += "\n    | " + std::string(ls[i]);
  if (ls.size() > 20) out += "\n    | ... (" + std::to_string(ls.size() - 20) + " more lines)";
  return out;
}

std::string at(const Case& c, SourcePos pos) {
  return pos.line > 0 ? " (" + c.suite_file + ":" + std::to_string(pos.line) + ")" : std::string();
}

std::string hex(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string describe(const FaultExpectation& f) {
  std::string d;
  auto add = [&](const std::string& s) { d += (d.empty() ? "" : " ") + s; };
  add(f.kind ? std::string(to_string(*f.kind)) : "any fault");
  if (f.access) add(std::string(to_string(*f.access)));
  if (f.address) add("at " + hex(*f.address));
  if (!f.symbol.empty()) add("in `" + f.symbol + "`");
  if (f.pc) add("pc " + hex(*f.pc));
  if (!f.pc_symbol.empty()) add("pc in `" + f.pc_symbol + "`");
  if (!f.policy.empty()) add("policy " + f.policy);
  return d;
}

// "" when `image` holds `name` and `addr` lies in it; else why not.
std::string in_symbol(const PartitionRun& p, const std::string& name, std::uint32_t addr,
                      const std::string& what) {
  if (!p.image) return "the ELF of `" + p.name + "` could not be read for symbol `" + name + "`";
  const loader::Symbol* s = p.image->find_symbol(name);
  if (s == nullptr) return "no symbol `" + name + "` in " + p.image->path;
  const std::uint64_t end = std::uint64_t{s->value} + std::max<std::uint32_t>(s->size, 1);
  if (addr >= s->value && addr < end) return "";
  return what + " " + hex(addr) + " is outside `" + name + "` [" + hex(s->value) + ", " +
         hex(static_cast<std::uint32_t>(end)) + ")";
}

// "" when the event matches; else the first field that differs.
std::string mismatch(const kernel_shim::FaultEvent& e, const FaultExpectation& f, const PartitionRun& p) {
  if (f.kind && e.fault.kind != *f.kind)
    return "kind is " + std::string(to_string(e.fault.kind)) + ", expected " +
           std::string(to_string(*f.kind));
  if (f.access && e.fault.access != *f.access)
    return "access is " + std::string(to_string(e.fault.access)) + ", expected " +
           std::string(to_string(*f.access));
  if (f.address && e.fault.address != *f.address)
    return "address is " + hex(e.fault.address) + ", expected " + hex(*f.address);
  if (!f.symbol.empty())
    if (auto why = in_symbol(p, f.symbol, e.fault.address, "address"); !why.empty()) return why;
  if (f.pc && e.fault.pc != *f.pc) return "pc is " + hex(e.fault.pc) + ", expected " + hex(*f.pc);
  if (!f.pc_symbol.empty())
    if (auto why = in_symbol(p, f.pc_symbol, e.fault.pc, "pc"); !why.empty()) return why;
  if (!f.policy.empty() && f.policy != layout::to_string(e.action) && f.policy != e.outcome)
    return "policy outcome is \"" + e.outcome + "\" (" + std::string(layout::to_string(e.action)) +
           "), expected \"" + f.policy + "\"";
  return "";
}

std::string event_line(const kernel_shim::FaultEvent& e) {
  return e.report + (e.outcome.empty() ? "" : " [" + e.outcome + "]");
}

void check_output(const Case& c, const CaseRun& run, std::vector<Failure>& out) {
  for (std::size_t i = 0; i < c.expect.output.size(); ++i) {
    const OutputExpectation& o = c.expect.output[i];
    Failure f{FailureKind::Output, "", o.pos, static_cast<int>(i)};
    const PartitionRun* p = run.partition(o.partition);
    const std::string where = at(c, o.pos);
    if (p == nullptr) {
      f.message = "no partition `" + o.partition + "` ran" + where;
      out.push_back(f);
      continue;
    }
    const std::string& actual = p->output;
    const std::string of = "output of `" + o.partition + "`";
    switch (o.match) {
      case OutputMatch::Exact:
      case OutputMatch::Golden: {
        if (o.match == OutputMatch::Golden && o.golden_missing) {
          f.message = "golden file " + o.golden.string() + " does not exist" + where +
                      " (--update writes it)\n" + excerpt(actual);
        } else if (actual != o.text) {
          const std::string name =
              o.match == OutputMatch::Golden ? "golden file " + o.golden.string() : std::string("`exact`");
          f.message = of + " differs from " + name + where + " at " + first_difference(o.text, actual);
        }
        break;
      }
      case OutputMatch::Contains:
        if (actual.find(o.text) == std::string::npos)
          f.message = of + " does not contain " + quote(o.text) + where + "\n" + excerpt(actual);
        break;
      case OutputMatch::Excludes:
        if (const std::size_t pos = actual.find(o.text); pos != std::string::npos) {
          const auto line =
              1 + std::count(actual.begin(), actual.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
          f.message = of + " contains " + quote(o.text) + " at line " + std::to_string(line) + where;
        }
        break;
      case OutputMatch::Regex:
        if (!std::regex_search(actual, std::regex(o.text, std::regex::ECMAScript | std::regex::multiline)))
          f.message = of + " has no match for /" + o.text + "/" + where + "\n" + excerpt(actual);
        break;
      case OutputMatch::Lines: {
        const auto ls = lines_of(actual);
        std::size_t next = 0;
        for (std::size_t k = 0; k < o.lines.size(); ++k) {
          std::size_t j = next;
          while (j < ls.size() && ls[j] != o.lines[k]) ++j;
          if (j == ls.size()) {
            f.message = of + ": line " + std::to_string(k + 1) + " of `lines` " + quote(o.lines[k]) +
                        " not found" +
                        (next > 0 ? " after output line " + std::to_string(next) + " (where line " +
                                        std::to_string(k) + " of `lines` matched)"
                                  : std::string()) +
                        where + "\n" + excerpt(actual);
            break;
          }
          next = j + 1;
        }
        break;
      }
    }
    if (!f.message.empty()) out.push_back(f);
  }
}

void check_outcomes(const Case& c, const CaseRun& run, std::vector<Failure>& out) {
  using kernel_shim::Outcome;
  for (const auto& [name, code] : c.expect.exit)
    if (run.partition(name) == nullptr)
      out.push_back(
          {FailureKind::Exit, "no partition `" + name + "` ran" + at(c, c.expect.pos), c.expect.pos});
  for (const auto& [name, o] : c.expect.outcome)
    if (run.partition(name) == nullptr && !c.expect.exit.contains(name))
      out.push_back(
          {FailureKind::Outcome, "no partition `" + name + "` ran" + at(c, c.expect.pos), c.expect.pos});

  for (const PartitionRun& p : run.partitions) {
    const Outcome actual = p.result.outcome;
    std::optional<Outcome> expected;
    if (auto it = c.expect.outcome.find(p.name); it != c.expect.outcome.end()) expected = it->second;
    const auto exit = c.expect.exit.find(p.name);
    if (exit != c.expect.exit.end()) expected = Outcome::Exited;
    const std::string ended =
        "partition `" + p.name + "` ended " + std::string(outcome_keyword(actual)) +
        (actual == Outcome::Exited ? " with " + std::to_string(p.result.exit_code) : "") +
        (p.result.report.empty() ? "" : ": " + p.result.report);
    if (expected) {
      if (actual != *expected) {
        out.push_back({FailureKind::Outcome,
                       ended + "\n  expected: " + std::string(outcome_keyword(*expected)) +
                           (exit != c.expect.exit.end() ? " with " + std::to_string(exit->second) : "") +
                           at(c, c.expect.pos),
                       c.expect.pos});
      } else if (exit != c.expect.exit.end() && p.result.exit_code != exit->second) {
        out.push_back({FailureKind::Exit,
                       "partition `" + p.name + "` exited with " + std::to_string(p.result.exit_code) +
                           ", expected " + std::to_string(exit->second) + at(c, c.expect.pos),
                       c.expect.pos});
      }
    } else if (actual != Outcome::Exited && actual != Outcome::Faulted) {
      out.push_back({FailureKind::Outcome,
                     ended +
                         "\n  (a partition must exit or fault; if this is intended, expect it with outcome = "
                         "{ " +
                         p.name + " = \"" + std::string(outcome_keyword(actual)) + "\" })",
                     c.expect.pos});
    }
  }
}

void check_faults(const Case& c, const CaseRun& run, std::vector<Failure>& out) {
  std::map<std::string, std::vector<bool>> used;
  std::map<std::string, std::size_t> cursor;  // expected faults of a partition match its events in order
  for (const auto& p : run.partitions) used[p.name].assign(p.faults.size(), false);

  for (const FaultExpectation& f : c.expect.faults) {
    const PartitionRun* p = run.partition(f.partition);
    if (p == nullptr) {
      out.push_back(
          {FailureKind::MissingFault, "no partition `" + f.partition + "` ran" + at(c, f.pos), f.pos});
      continue;
    }
    for (std::uint32_t n = 0; n < f.count; ++n) {
      std::size_t& from = cursor[p->name];
      std::size_t j = from;
      while (j < p->faults.size() && (used[p->name][j] || !mismatch(p->faults[j], f, *p).empty())) ++j;
      if (j < p->faults.size()) {
        used[p->name][j] = true;
        from = j + 1;
        continue;
      }
      std::string msg =
          "expected fault in `" + f.partition + "` did not happen: " + describe(f) +
          (f.count > 1 ? " (occurrence " + std::to_string(n + 1) + " of " + std::to_string(f.count) + ")"
                       : "") +
          at(c, f.pos);
      if (p->faults.empty()) msg += "\n  `" + p->name + "` took no fault";
      for (std::size_t k = 0; k < p->faults.size(); ++k) {
        const std::string why = k < from ? "matched an earlier expectation" : mismatch(p->faults[k], f, *p);
        msg += "\n  fault " + std::to_string(k + 1) + ": " + event_line(p->faults[k]) + "\n    " +
               (why.empty() ? "already matched" : why);
      }
      out.push_back({FailureKind::MissingFault, msg, f.pos});
      break;
    }
  }
  if (c.expect.ignore_other_faults) return;
  for (const auto& p : run.partitions)
    for (std::size_t k = 0; k < p.faults.size(); ++k)
      if (!used[p.name][k])
        out.push_back({FailureKind::UnexpectedFault,
                       "unexpected fault in `" + p.name + "`: " + event_line(p.faults[k]),
                       {}});
}

}  // namespace

std::string first_difference(std::string_view expected, std::string_view actual) {
  const auto e = chunks(expected);
  const auto a = chunks(actual);
  for (std::size_t i = 0; i < std::max(e.size(), a.size()); ++i) {
    const bool he = i < e.size();
    const bool ha = i < a.size();
    if (he && ha && e[i] == a[i]) continue;
    return "line " + std::to_string(i + 1) + ":\n  expected: " + (he ? quote(e[i]) : "(end of output)") +
           "\n  actual:   " + (ha ? quote(a[i]) : "(end of output)");
  }
  return "";
}

std::vector<Failure> check_case(const Case& c, const CaseRun& run) {
  if (run.status == RunStatus::Error) return {{FailureKind::Error, run.error, c.pos}};
  if (run.status == RunStatus::Timeout) return {{FailureKind::Timeout, run.error, c.pos}};
  std::vector<Failure> out;
  check_output(c, run, out);
  check_outcomes(c, run, out);
  check_faults(c, run, out);
  return out;
}

}  // namespace bulkhead::testing
