// `bulkhead check` end to end: the bundled example layouts, the JSON keys, the SVG, --probe verdicts and the
// exit statuses.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_bulkhead.hpp"

namespace {

using bulkhead_test::bulkhead;
using bulkhead_test::Outcome;
using bulkhead_test::scratch_dir;
using bulkhead_test::write_file;
using nlohmann::json;

std::string example(const std::string& name) {
  return std::string(LAYOUTS_DIR) + "/" + name + ".toml --elf-dir " + FIRMWARE_DIR;
}

// A small XML 1.0 well-formedness check: one root, balanced and properly nested tags, quoted attributes
// without duplicates, known entities, no stray '<' or '&'. Returns "" or the first defect.
std::string xml_defect(const std::string& s) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  int roots = 0;
  auto name_at = [&](std::size_t& j) {
    const std::size_t start = j;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '-' || s[j] == '_' ||
                            s[j] == ':' || s[j] == '.'))
      ++j;
    return s.substr(start, j - start);
  };
  auto entity_ok = [&](std::size_t j) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (s.compare(j, std::string(e).size(), e) == 0) return true;
    }
    return s.compare(j, 2, "&#") == 0;
  };
  while (i < s.size()) {
    if (s[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (s[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(s[i]))) return "text outside the root";
      ++i;
      continue;
    }
    if (s.compare(i, 5, "<?xml") == 0) {
      i = s.find("?>", i);
      if (i == std::string::npos) return "unterminated declaration";
      i += 2;
      continue;
    }
    if (s.compare(i, 4, "<!--") == 0) {
      i = s.find("-->", i);
      if (i == std::string::npos) return "unterminated comment";
      i += 3;
      continue;
    }
    if (s.compare(i, 2, "</") == 0) {
      std::size_t j = i + 2;
      const std::string n = name_at(j);
      if (stack.empty() || stack.back() != n) return "mismatched </" + n + ">";
      stack.pop_back();
      if (j >= s.size() || s[j] != '>') return "bad end tag </" + n;
      i = j + 1;
      continue;
    }
    std::size_t j = i + 1;
    const std::string n = name_at(j);
    if (n.empty()) return "bad tag at " + std::to_string(i);
    if (stack.empty() && ++roots > 1) return "more than one root";
    std::vector<std::string> attrs;
    for (;;) {
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      if (j >= s.size()) return "unterminated <" + n;
      if (s[j] == '>' || s.compare(j, 2, "/>") == 0) break;
      const std::string a = name_at(j);
      if (a.empty() || j >= s.size() || s[j] != '=') return "bad attribute in <" + n + ">";
      for (const std::string& seen : attrs) {
        if (seen == a) return "duplicate attribute " + a + " in <" + n + ">";
      }
      attrs.push_back(a);
      const char q = s[++j];
      if (q != '"' && q != '\'') return "unquoted attribute " + a;
      const std::size_t end = s.find(q, j + 1);
      if (end == std::string::npos) return "unterminated attribute " + a;
      const std::string v = s.substr(j + 1, end - j - 1);
      if (v.find('<') != std::string::npos) return "'<' in attribute " + a;
      j = end + 1;
    }
    if (s[j] == '/') {
      i = j + 2;
    } else {
      stack.push_back(n);
      i = j + 1;
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  return roots == 1 ? "" : "no root element";
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(CheckCommand, BundledExamplesCheckClean) {
  for (const char* name : {"armv7m", "armv8m", "rv32"}) {
    const Outcome o = bulkhead("check " + example(name));
    EXPECT_EQ(o.status, 0) << name << "\n" << o.out << o.err;
    EXPECT_NE(o.out.find("OK: 2 partitions, 0 errors"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("app -> sensor: r-- on region `readings`"), std::string::npos) << o.out;
  }
}

TEST(CheckCommand, JsonHasTheDocumentedKeys) {
  const Outcome o = bulkhead("check " + example("armv7m") + " --json");
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  for (const char* k :
       {"layout", "name", "valid", "target", "partitions", "kernel", "isolation", "diagnostics", "padding"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["target"]["arch"], "armv7m");
  EXPECT_EQ(j["target"]["slots"], 8);
  EXPECT_EQ(j["target"]["reserved"][0]["index"], 0);
  ASSERT_EQ(j["partitions"].size(), 2u);
  const json& app = j["partitions"][0];
  for (const char* k : {"name", "elf", "free", "needed", "regions", "shares", "programming", "hardware"})
    EXPECT_TRUE(app.contains(k)) << k;
  EXPECT_EQ(app["free"], 7);
  for (const char* k :
       {"name", "kind", "access", "base", "size", "requested_size", "placed", "padding", "line"})
    EXPECT_TRUE(app["regions"][0].contains(k)) << k;
  EXPECT_EQ(app["programming"]["mpu_ctrl"], 5);
  EXPECT_EQ(app["programming"]["regions"].size(), 7u);  // every slot the partition owns
  ASSERT_EQ(j["isolation"].size(), 4u);
  const json& cell = j["isolation"][1];  // app -> sensor
  EXPECT_EQ(cell["from"], "app");
  EXPECT_EQ(cell["to"], "sensor");
  EXPECT_EQ(cell["perms"], "r--");
  EXPECT_EQ(cell["read"], true);
  EXPECT_EQ(cell["write"], false);
  EXPECT_EQ(cell["parts"][0]["region"], "readings");
  EXPECT_EQ(j["isolation"][2]["perms"], "---");  // sensor -> app: nothing
}

TEST(CheckCommand, SvgIsWellFormedWithTheExpectedElements) {
  const std::string svg = (scratch_dir() / "map.svg").string();
  const Outcome o = bulkhead("check " + example("rv32") + " --svg " + svg);
  ASSERT_EQ(o.status, 0) << o.err;
  const std::string s = bulkhead_test::slurp(svg);
  EXPECT_EQ(xml_defect(s), "");
  EXPECT_NE(s.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_EQ(count(s, "<g class=\"partition\""), 3u);  // app, sensor, kernel
  EXPECT_EQ(count(s, "class=\"region "), 8u);         // app 3, sensor 4, kernel 1
  EXPECT_EQ(count(s, "class=\"share-link\""), 1u);
  EXPECT_EQ(count(s, "class=\"address\"") > 5, true);
}

TEST(CheckCommand, SvgMarksPaddingAndErrors) {
  const std::string layout = (scratch_dir() / "l.toml").string();
  write_file(layout, R"([target]
arch = "armv7m"
[[target.memory]]
name = "ram"
kind = "ram"
base = 0x20000000
size = 0x10000
[[partition]]
name = "a<&>"
[[partition.region]]
name = "buf"
kind = "data"
size = 0x2f0
[[partition.region]]
name = "jit"
kind = "data"
base = 0x20008000
size = 0x100
access = "rwx"
)");
  const std::string svg = (scratch_dir() / "map.svg").string();
  const Outcome o = bulkhead("check " + layout + " --svg " + svg);
  EXPECT_EQ(o.status, 2);  // the name is refused before anything is drawn
  EXPECT_NE(o.err.find("may only use letters"), std::string::npos) << o.err;

  std::string text = bulkhead_test::slurp(layout);
  text.replace(text.find("a<&>"), 4, "a");
  write_file(layout, text);
  const Outcome o2 = bulkhead("check " + layout + " --svg " + svg);
  EXPECT_EQ(o2.status, 1) << o2.out;
  const std::string s = bulkhead_test::slurp(svg);
  EXPECT_EQ(xml_defect(s), "");
  EXPECT_EQ(count(s, "class=\"padding\""), 1u);
  EXPECT_NE(s.find("class=\"region perm-rwx error\""), std::string::npos);
  EXPECT_NE(s.find("class=\"error\""), std::string::npos);
}

TEST(CheckCommand, ProbeGivesTheModelsVerdict) {
  Outcome o = bulkhead("check " + example("armv7m") + " --probe app 0x20000010 write");
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_NE(o.out.find("probe `app`: 0x20000010 +4 write unprivileged: ALLOWED by region 2"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("address is in partition `app`: region `data`"), std::string::npos);
  // The shared readings are read-only for app.
  o = bulkhead("check " + example("armv7m") + " --probe app 0x20000900 write 1");
  EXPECT_NE(o.out.find("DENIED"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("MMFSR=0x82"), std::string::npos);
  o = bulkhead("check " + example("rv32") + " --probe sensor 0x80100000 read --json");
  ASSERT_EQ(o.status, 0) << o.err;
  const json j = json::parse(o.out);
  EXPECT_EQ(j["probe"]["allowed"], false);
  EXPECT_EQ(j["probe"]["partition"], "sensor");
  EXPECT_EQ(j["probe"]["syndrome"]["mcause"], 5);
  EXPECT_EQ(j["probe"]["in"], "partition `app`: region `data`");
}

TEST(CheckCommand, ExitStatuses) {
  const std::string dir = scratch_dir().string();
  write_file(dir + "/bad.toml", "[target]\narch = \"armv7m\"\nregions = = 8\n");
  Outcome o = bulkhead("check " + dir + "/bad.toml");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("bulkhead: error: " + dir + "/bad.toml:3:"), std::string::npos) << o.err;
  o = bulkhead("check " + dir + "/missing.toml");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("cannot open"), std::string::npos) << o.err;
  o = bulkhead("check " + example("armv7m") + " --probe nobody 0 read");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("no partition `nobody`"), std::string::npos) << o.err;
  write_file(dir + "/invalid.toml", R"([target]
arch = "rv32"
[[partition]]
name = "sensor"
[[partition.region]]
name = "stack"
kind = "stack"
base = 0x80001002
size = 0x300
)");
  o = bulkhead("check " + dir + "/invalid.toml");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(
      o.out.find(
          "invalid.toml:5: error: partition `sensor`: region `stack` 0x80001002+0x300 cannot be encoded "
          "on rv32: 0x80001002 is not a multiple of 4 bytes"),
      std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("INVALID"), std::string::npos);
}

}  // namespace
