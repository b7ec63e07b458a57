#include "bulkhead/testing/update.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace bulkhead::testing {

namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot read for --update");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error(p.string() + ": cannot write for --update");
}

// Byte offset of toml++'s (line, column): columns count code points from 1.
std::size_t offset_of(const std::string& text, SourcePos pos) {
  std::size_t at = 0;
  for (int line = 1; line < pos.line; ++line) {
    at = text.find('\n', at);
    if (at == std::string::npos)
      throw std::runtime_error("--update: position past the end of the suite file");
    ++at;
  }
  for (int col = 1; col < pos.column && at < text.size(); ++col) {
    ++at;
    while (at < text.size() && (static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) ++at;
  }
  return at;
}

// The end (one past) of the TOML string literal starting at `begin`.
std::size_t literal_end(const std::string& text, std::size_t begin) {
  auto starts = [&](std::size_t at, std::string_view s) { return text.compare(at, s.size(), s) == 0; };
  for (std::string_view delim : {"\"\"\"", "'''"}) {
    if (!starts(begin, delim)) continue;
    const bool escapes = delim[0] == '"';
    for (std::size_t at = begin + 3; at < text.size(); ++at) {
      if (escapes && text[at] == '\\') {
        ++at;
        continue;
      }
      if (starts(at, delim)) {
        std::size_t end = at + 3;
        for (int extra = 0; extra < 2 && end < text.size() && text[end] == delim[0]; ++extra) ++end;
        return end;
      }
    }
    throw std::runtime_error("--update: unterminated string in the suite file");
  }
  const char q = text[begin];
  if (q != '"' && q != '\'') throw std::runtime_error("--update: `exact` is not a string literal");
  for (std::size_t at = begin + 1; at < text.size(); ++at) {
    if (q == '"' && text[at] == '\\') {
      ++at;
      continue;
    }
    if (text[at] == q) return at + 1;
  }
  throw std::runtime_error("--update: unterminated string in the suite file");
}

struct Edit {
  std::size_t begin = 0, end = 0;
  std::string replacement;
};

}  // namespace

std::string toml_string(const std::string& text) {
  // One line ending in a newline stays a one-line "...\n"; more lines read better as the text itself.
  const auto newlines = std::count(text.begin(), text.end(), '\n');
  const bool multi = newlines > 1 || (newlines == 1 && !text.ends_with('\n'));
  std::string body;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '\\') {
      body += "\\\\";
    } else if (ch == '"') {
      body += "\\\"";
    } else if (ch == '\n') {
      body += multi ? "\n" : "\\n";
    } else if (ch == '\t') {
      body += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      body += buf;
    } else {
      body += ch;
    }
  }
  // A newline right after the opening """ is trimmed by TOML, so the text starts on its own line.
  return multi ? "\"\"\"\n" + body + "\"\"\"" : "\"" + body + "\"";
}

UpdateSummary apply_update(std::vector<CaseResult>& results) {
  UpdateSummary summary;
  std::map<std::string, std::vector<Edit>> edits;  // suite file -> edits
  std::map<std::string, std::string> texts;        // suite file -> original text
  std::map<fs::path, std::string> goldens;

  for (auto& r : results) {
    if (r.run.status != RunStatus::Ran) continue;
    std::vector<Failure> kept;
    bool refused_fault = false;
    for (auto& f : r.failures) {
      const OutputExpectation* o = f.kind == FailureKind::Output && f.output_index >= 0
                                       ? &r.c->expect.output[static_cast<std::size_t>(f.output_index)]
                                       : nullptr;
      const PartitionRun* p = o != nullptr ? r.run.partition(o->partition) : nullptr;
      if (o != nullptr && p != nullptr && o->match == OutputMatch::Exact) {
        std::string& text = texts[r.c->suite_file];
        if (text.empty()) text = read_file(r.c->suite_file);
        const std::size_t begin = offset_of(text, o->value_pos);
        edits[r.c->suite_file].push_back({begin, literal_end(text, begin), toml_string(p->output)});
        r.notes.push_back("updated `exact` output of `" + o->partition + "` (" + r.c->suite_file + ":" +
                          std::to_string(o->value_pos.line) + ")");
        ++summary.rewritten;
        continue;
      }
      if (o != nullptr && p != nullptr && o->match == OutputMatch::Golden) {
        goldens[o->golden] = p->output;
        r.notes.push_back("wrote golden file " + o->golden.string() + " from the output of `" + o->partition +
                          "`");
        ++summary.rewritten;
        continue;
      }
      if (f.kind == FailureKind::MissingFault || f.kind == FailureKind::UnexpectedFault) refused_fault = true;
      if (f.kind == FailureKind::Output && o != nullptr)
        r.notes.push_back("--update rewrites only `exact` and `golden` output, not `" +
                          std::string(to_string(o->match)) + "` (" + r.c->suite_file + ":" +
                          std::to_string(o->pos.line) + ")");
      kept.push_back(std::move(f));
    }
    if (refused_fault)
      r.notes.push_back("--update never changes expected faults: a fault expectation failed; fix it by hand");
    r.failures = std::move(kept);
  }

  for (auto& [file, list] : edits) {
    std::string text = texts[file];
    std::sort(list.begin(), list.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
    for (const Edit& e : list) text.replace(e.begin, e.end - e.begin, e.replacement);
    try {
      (void)parse_suite(text, file, fs::path(file).parent_path());
    } catch (const SuiteError& err) {
      throw std::runtime_error("--update: the rewritten suite would not parse, left unchanged: " +
                               std::string(err.what()));
    }
    write_file(file, text);
    summary.written.push_back(file);
  }
  for (const auto& [path, text] : goldens) {
    write_file(path, text);
    summary.written.push_back(path.string());
  }
  return summary;
}

}  // namespace bulkhead::testing
