#include "bulkhead/testing/report.hpp"

#include <cstdio>
#include <map>

namespace bulkhead::testing {

namespace {

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == '/' || c == '+' || c == ':' || c == '=' || c == ',';
    plain = plain && ok;
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string indent(const std::string& text, const std::string& by) {
  std::string out = by;
  for (char c : text) {
    out += c;
    if (c == '\n') out += by;
  }
  return out;
}

// A failure message on one line (JUnit's `message` attribute), at most 400 characters.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += out.ends_with(':') ? " " : "; ";
    } else if (c != ' ' || (!out.empty() && out.back() != ' ')) {
      out += c;
    }
  }
  return out.size() > 400 ? out.substr(0, 397) + "..." : out;
}

// The faults the case's partitions took, one line each.
std::string fault_lines(const CaseResult& r) {
  std::string out;
  for (const auto& p : r.run.partitions)
    for (const auto& e : p.faults)
      out += "\n  `" + p.name + "`: " + e.report + (e.outcome.empty() ? "" : " [" + e.outcome + "]");
  return out.empty() ? out : "faults taken:" + out;
}

// XML 1.0 text: markup escaped; control characters (not allowed in XML 1.0) as \xNN.
std::string xml(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

struct Counts {
  std::size_t total = 0, passed = 0, failed = 0, errors = 0, timeouts = 0;
  std::chrono::milliseconds time{0};
  void add(const CaseResult& r) {
    ++total;
    time += r.run.elapsed;
    switch (r.status()) {
      case CaseStatus::Pass:
        ++passed;
        break;
      case CaseStatus::Fail:
        ++failed;
        break;
      case CaseStatus::Error:
        ++errors;
        break;
      case CaseStatus::Timeout:
        ++timeouts;
        break;
    }
  }
};

std::string classname(const std::string& suite_file) {
  std::string s = suite_file;
  if (s.ends_with(".toml")) s.resize(s.size() - 5);
  while (s.starts_with("./") || s.starts_with("../")) s.erase(0, s.find('/') + 1);
  for (char& c : s)
    if (c == '/') c = '.';
  return s;
}

}  // namespace

std::string rerun_command(const Case& c, const ReportContext& ctx) {
  std::string cmd = "bulkhead test " + shell_quote(c.suite_file) + " --filter " + shell_quote(c.name);
  if (ctx.elf_dir) cmd += " --elf-dir " + shell_quote(*ctx.elf_dir);
  return cmd;
}

std::string case_line(const CaseResult& r) {
  switch (r.status()) {
    case CaseStatus::Pass:
      return "PASS  " + r.c->name;
    case CaseStatus::Fail:
      return "FAIL  " + r.c->name;
    case CaseStatus::Error:
      return "ERROR " + r.c->name;
    case CaseStatus::Timeout:
      return "TIME  " + r.c->name;
  }
  return "?";
}

std::string failure_details(const CaseResult& r, const ReportContext& ctx) {
  std::string out = case_line(r) + " (" + r.c->suite_file + ":" + std::to_string(r.c->pos.line) + ")\n";
  for (const auto& f : r.failures) out += indent(f.message, "  ") + "\n";
  bool faults_shown = false;  // fault failures quote the reports already
  for (const auto& f : r.failures)
    faults_shown =
        faults_shown || f.kind == FailureKind::MissingFault || f.kind == FailureKind::UnexpectedFault;
  if (const std::string faults = fault_lines(r); !faults.empty() && !faults_shown)
    out += indent(faults, "  ") + "\n";
  for (const auto& n : r.notes) out += "  note: " + n + "\n";
  out += "  rerun: " + rerun_command(*r.c, ctx) + "\n";
  return out;
}

std::string summary(const std::vector<CaseResult>& results, const ReportContext& ctx) {
  Counts n;
  for (const auto& r : results) n.add(r);
  std::string out = std::to_string(n.total) + (n.total == 1 ? " case" : " cases");
  if (ctx.shard.total > 1)
    out += " (shard " + to_string(ctx.shard) + " of " + std::to_string(ctx.selected) + " selected)";
  out += ": " + std::to_string(n.passed) + " passed";
  if (n.failed > 0) out += ", " + std::to_string(n.failed) + " failed";
  if (n.errors > 0) out += ", " + std::to_string(n.errors) + " could not run";
  if (n.timeouts > 0) out += ", " + std::to_string(n.timeouts) + " timed out";
  return out + "\n";
}

std::string human_report(const std::vector<CaseResult>& results, const ReportContext& ctx, bool case_lines) {
  std::string out;
  if (case_lines)
    for (const auto& r : results) out += case_line(r) + "\n";
  for (const auto& r : results) {
    if (!r.passed()) {
      out += "\n" + failure_details(r, ctx);
    } else if (!r.notes.empty()) {
      out += "\n" + case_line(r) + "\n";
      for (const auto& note : r.notes) out += "  note: " + note + "\n";
    }
  }
  return out + "\n" + summary(results, ctx);
}

std::string junit_xml(const std::vector<CaseResult>& results, const ReportContext& ctx) {
  Counts all;
  std::map<std::string, std::vector<const CaseResult*>> by_suite;
  for (const auto& r : results) {
    all.add(r);
    by_suite[r.c->suite_file].push_back(&r);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"bulkhead\" tests=\"" + std::to_string(all.total) + "\" failures=\"" +
         std::to_string(all.failed) + "\" errors=\"" + std::to_string(all.errors + all.timeouts) +
         "\" skipped=\"0\" time=\"" + seconds(all.time) + "\">\n";
  for (const std::string& file : ctx.suite_files) {
    auto it = by_suite.find(file);
    const std::vector<const CaseResult*> rs =
        it == by_suite.end() ? std::vector<const CaseResult*>{} : it->second;
    Counts n;
    for (const auto* r : rs) n.add(*r);
    out += "  <testsuite name=\"" + xml(file) + "\" tests=\"" + std::to_string(n.total) + "\" failures=\"" +
           std::to_string(n.failed) + "\" errors=\"" + std::to_string(n.errors + n.timeouts) +
           "\" skipped=\"0\" time=\"" + seconds(n.time) + "\">\n";
    for (const auto* r : rs) {
      out += "    <testcase name=\"" + xml(r->c->name) + "\" classname=\"" + xml(classname(file)) +
             "\" file=\"" + xml(file) + "\" line=\"" + std::to_string(r->c->pos.line) + "\" time=\"" +
             seconds(r->run.elapsed) + "\"";
      if (r->passed() && r->run.partitions.empty()) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      if (!r->passed()) {
        const bool error = r->status() == CaseStatus::Error || r->status() == CaseStatus::Timeout;
        const std::string tag = error ? "error" : "failure";
        const std::string message =
            r->failures.empty() ? std::string("failed") : one_line(r->failures[0].message);
        const std::string type =
            r->failures.empty() ? std::string("failure") : std::string(to_string(r->failures[0].kind));
        out += "      <" + tag + " message=\"" + xml(message) + "\" type=\"" + xml(type) + "\">" +
               xml(failure_details(*r, ctx)) + "</" + tag + ">\n";
      }
      std::string console;
      for (const auto& p : r->run.partitions) {
        if (p.output.empty()) continue;
        console += "[" + p.name + "]\n" + p.output + (p.output.ends_with('\n') ? "" : "\n");
      }
      if (!console.empty()) out += "      <system-out>" + xml(console) + "</system-out>\n";
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

nlohmann::json json_report(const std::vector<CaseResult>& results, const ReportContext& ctx) {
  using nlohmann::json;
  Counts n;
  json cases = json::array();
  for (const auto& r : results) {
    n.add(r);
    json c = {{"name", r.c->name},
              {"suite", r.c->suite_file},
              {"line", r.c->pos.line},
              {"status", to_string(r.status())},
              {"instructions", r.run.instructions}};
    if (!r.run.error.empty()) c["error"] = r.run.error;
    json failures = json::array();
    for (const auto& f : r.failures) {
      json jf = {{"kind", to_string(f.kind)}, {"message", f.message}};
      if (f.pos.line > 0) jf["line"] = f.pos.line;
      failures.push_back(jf);
    }
    c["failures"] = failures;
    json parts = json::array();
    for (const auto& p : r.run.partitions) {
      json jp = {{"name", p.name},
                 {"outcome", outcome_keyword(p.result.outcome)},
                 {"instructions", p.result.instructions},
                 {"syscalls", p.result.syscalls},
                 {"output", p.output}};
      if (p.result.outcome == kernel_shim::Outcome::Exited) jp["exit_code"] = p.result.exit_code;
      if (!p.result.report.empty()) jp["report"] = p.result.report;
      json faults = json::array();
      for (const auto& e : p.faults)
        faults.push_back({{"kind", to_string(e.fault.kind)},
                          {"access", to_string(e.fault.access)},
                          {"address", e.fault.address},
                          {"pc", e.fault.pc},
                          {"action", layout::to_string(e.action)},
                          {"outcome", e.outcome},
                          {"report", e.report}});
      jp["faults"] = faults;
      parts.push_back(jp);
    }
    c["partitions"] = parts;
    if (!r.notes.empty()) c["notes"] = r.notes;
    if (!r.passed()) c["rerun"] = rerun_command(*r.c, ctx);
    cases.push_back(c);
  }
  json summary_json = {{"cases", n.total},
                       {"passed", n.passed},
                       {"failed", n.failed},
                       {"errors", n.errors},
                       {"timeouts", n.timeouts}};
  json out = {{"suites", ctx.suite_files}, {"summary", summary_json}, {"cases", cases}};
  if (ctx.shard.total > 1) out["shard"] = {{"index", ctx.shard.index}, {"total", ctx.shard.total}};
  return out;
}

std::string json_text(const std::vector<CaseResult>& results, const ReportContext& ctx) {
  return json_report(results, ctx).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace bulkhead::testing
