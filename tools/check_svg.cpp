// `bulkhead check --svg`: the layout as a memory map. Addresses run down the left; each partition has a
// column; rows are the address intervals between region edges, their height growing with log2(size), and
// unused gaps collapse to a thin break so that flash, RAM and peripherals fit on one page.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "check_report.hpp"

namespace bulkhead::cli::check {
namespace {

using layout::CheckResult;

constexpr double kAxis = 120;      // width of the address axis
constexpr double kColumn = 170;    // width of one partition column
constexpr double kGap = 14;        // height of a collapsed unused gap
constexpr double kHeader = 56;     // column titles
constexpr double kRegionPad = 10;  // horizontal inset of a region inside its column

std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
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
        // Control characters are not allowed in XML 1.0 text.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string fill_for(Perms p) {
  switch (p) {
    case Perms::R:
      return "#9ecae1";
    case Perms::RW:
      return "#a1d99b";
    case Perms::RX:
      return "#fdd0a2";
    case Perms::RWX:
      return "#fb6a4a";
    case Perms::None:
      return "#f0f0f0";
    default:
      return "#d9d9d9";
  }
}

std::string perm_class(Perms p) {
  std::string s = to_string(p);
  std::replace(s.begin(), s.end(), '-', '_');
  return "perm-" + s;
}

struct Column {
  std::string title;
  std::vector<std::tuple<std::string, AddressRange, Perms, std::uint64_t, bool>>
      regions;  // name, range, perms,
                // requested, error
};

}  // namespace

std::string format_svg(const CheckResult& r) {
  // Which (partition, region) pairs the errors name.
  std::set<std::pair<std::string, std::string>> bad;
  std::set<std::string> bad_partitions;
  for (const layout::Diagnostic& d : r.diagnostics) {
    if (d.severity != layout::Severity::Error) continue;
    bad.insert({d.partition, d.region});
    if (d.region.empty()) bad_partitions.insert(d.partition);
  }

  std::vector<std::uint64_t> edges;
  auto add_range = [&](AddressRange a) {
    if (a.empty()) return;
    edges.push_back(a.base);
    edges.push_back(a.end());
  };
  for (const layout::CompiledPartition& p : r.partitions) {
    for (const layout::PlacedRegion& reg : p.regions) {
      add_range(reg.range);
      if (reg.placed && reg.padding() > 0) edges.push_back(reg.range.base + reg.requested_size);
    }
  }
  bool kernel_column = false;
  for (const layout::ReservedRegion& k : r.layout.target.reserved) {
    if (k.range) {
      add_range(*k.range);
      kernel_column = true;
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());

  auto covered = [&](std::uint64_t lo, std::uint64_t hi) {
    for (const layout::CompiledPartition& p : r.partitions) {
      for (const layout::PlacedRegion& reg : p.regions) {
        if (reg.range.overlaps({lo, hi - lo})) return true;
      }
    }
    for (const layout::ReservedRegion& k : r.layout.target.reserved) {
      if (k.range && k.range->overlaps({lo, hi - lo})) return true;
    }
    return false;
  };

  // y of every edge.
  std::map<std::uint64_t, double> y;
  std::string axis;
  double at = kHeader;
  for (std::size_t i = 0; i < edges.size(); ++i) {
    y[edges[i]] = at;
    axis += "<text class=\"address\" x=\"" + num(kAxis - 8) + "\" y=\"" + num(at + 4) +
            "\" text-anchor=\"end\">" + hex(edges[i]) + "</text>\n";
    axis += "<line class=\"tick\" x1=\"" + num(kAxis - 4) + "\" y1=\"" + num(at) + "\" x2=\"" + num(kAxis) +
            "\" y2=\"" + num(at) + "\" stroke=\"#555\"/>\n";
    if (i + 1 == edges.size()) break;
    const std::uint64_t size = edges[i + 1] - edges[i];
    if (covered(edges[i], edges[i + 1])) {
      at += std::clamp(16.0 + 6.0 * std::log2(static_cast<double>(size) / 32.0), 18.0, 90.0);
    } else {
      axis += "<text class=\"gap\" x=\"" + num(kAxis + 6) + "\" y=\"" + num(at + kGap / 2 + 4) +
              "\">\u2026 " + std::to_string(size) + " bytes not in the layout</text>\n";
      at += kGap;
    }
  }
  const double map_bottom = at;

  std::vector<Column> columns;
  for (const layout::CompiledPartition& p : r.partitions) {
    Column c;
    c.title = p.name;
    for (const layout::PlacedRegion& reg : p.regions) {
      if (reg.range.empty()) continue;
      const bool err = bad.count({p.name, reg.name}) > 0;
      c.regions.emplace_back(reg.name, reg.range, reg.access,
                             reg.placed ? reg.requested_size : reg.range.size, err);
    }
    columns.push_back(std::move(c));
  }
  if (kernel_column) {
    Column c;
    c.title = "kernel";
    for (const layout::ReservedRegion& k : r.layout.target.reserved) {
      if (k.range)
        c.regions.emplace_back(k.name, *k.range, Perms::None, k.range->size, bad.count({"", k.name}) > 0);
    }
    columns.push_back(std::move(c));
  }

  std::vector<std::string> errors;
  for (const layout::Diagnostic& d : r.diagnostics) {
    if (d.severity == layout::Severity::Error) errors.push_back(d.message);
  }
  const double width = kAxis + kColumn * static_cast<double>(std::max<std::size_t>(columns.size(), 1)) + 20;
  const double legend_y = map_bottom + 30;
  const double height = legend_y + 50 + 18.0 * static_cast<double>(errors.size()) + 10;

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" + num(height) +
         "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
         "\" font-family=\"monospace\" font-size=\"11\">\n";
  out += "<title>" + esc("bulkhead check " + r.layout.file) + "</title>\n";
  out +=
      "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#777\" "
      "stroke-width=\"2\"/></pattern></defs>\n";
  out +=
      "<rect x=\"0\" y=\"0\" width=\"" + num(width) + "\" height=\"" + num(height) + "\" fill=\"white\"/>\n";
  out += "<text class=\"heading\" x=\"8\" y=\"18\" font-size=\"13\" font-weight=\"bold\">" +
         esc(r.layout.file + " \u2014 " + std::string(layout::target_name(r.layout.target.unit.arch)) +
             (r.ok() ? " \u2014 valid" : " \u2014 INVALID")) +
         "</text>\n";
  out += "<line class=\"axis\" x1=\"" + num(kAxis) + "\" y1=\"" + num(kHeader) + "\" x2=\"" + num(kAxis) +
         "\" y2=\"" + num(map_bottom) + "\" stroke=\"#555\"/>\n";
  out += axis;

  std::map<std::pair<std::string, std::string>, std::pair<double, double>>
      centre;  // (partition, region) -> x, y
  for (std::size_t ci = 0; ci < columns.size(); ++ci) {
    const Column& c = columns[ci];
    const double x0 = kAxis + kColumn * static_cast<double>(ci);
    const bool column_bad = bad_partitions.count(c.title) > 0;
    out += "<g class=\"partition\" data-partition=\"" + esc(c.title) + "\">\n";
    out += "<text class=\"partition-name\" x=\"" + num(x0 + kColumn / 2) + "\" y=\"" + num(kHeader - 14) +
           "\" text-anchor=\"middle\" font-weight=\"bold\"" + (column_bad ? " fill=\"#c00\"" : "") + ">" +
           esc(c.title) + (column_bad ? " \u26a0" : "") + "</text>\n";
    out += "<line class=\"column\" x1=\"" + num(x0 + kColumn) + "\" y1=\"" + num(kHeader - 8) + "\" x2=\"" +
           num(x0 + kColumn) + "\" y2=\"" + num(map_bottom) + "\" stroke=\"#ddd\"/>\n";
    for (const auto& [name, range, perms, requested, err] : c.regions) {
      const double top = y.at(range.base);
      const double bottom = y.at(range.end());
      const double x = x0 + kRegionPad;
      const double w = kColumn - 2 * kRegionPad;
      const std::string tip = c.title + "." + name + " " + hex(range.base) + "+" +
                              std::to_string(range.size) + " " + to_string(perms);
      out += "<rect class=\"region " + perm_class(perms) + (err ? " error" : "") + "\" data-region=\"" +
             esc(name) + "\" x=\"" + num(x) + "\" y=\"" + num(top) + "\" width=\"" + num(w) + "\" height=\"" +
             num(std::max(bottom - top, 2.0)) + "\" fill=\"" + fill_for(perms) + "\" stroke=\"" +
             (err ? "#c00" : "#333") + "\" stroke-width=\"" + (err ? "3" : "1") + "\"><title>" + esc(tip) +
             "</title></rect>\n";
      if (requested < range.size) {
        const double ptop = y.at(range.base + requested);
        out += "<rect class=\"padding\" x=\"" + num(x) + "\" y=\"" + num(ptop) + "\" width=\"" + num(w) +
               "\" height=\"" + num(std::max(bottom - ptop, 2.0)) +
               "\" fill=\"url(#hatch)\" opacity=\"0.6\"><title>" +
               esc(std::to_string(range.size - requested) + " bytes of placement padding") +
               "</title></rect>\n";
      }
      out += "<text class=\"region-label\" x=\"" + num(x + 4) + "\" y=\"" + num(top + 13) + "\">" +
             esc(name + " " + to_string(perms)) + (err ? " \u26a0" : "") + "</text>\n";
      centre[{c.title, name}] = {x + w / 2, (top + bottom) / 2};
    }
    out += "</g>\n";
  }

  // Shares: a dashed outline in the grantee's column, linked to the owner's region.
  for (std::size_t ci = 0; ci < r.partitions.size(); ++ci) {
    const layout::CompiledPartition& p = r.partitions[ci];
    const double x0 = kAxis + kColumn * static_cast<double>(ci);
    for (const layout::ResolvedShare& s : p.shares) {
      const double top = y.at(s.range.base);
      const double bottom = y.at(s.range.end());
      const double x = x0 + kRegionPad;
      const double w = kColumn - 2 * kRegionPad;
      out += "<rect class=\"share " + perm_class(s.access) + "\" data-share=\"" +
             esc(s.partition + "." + s.region) + "\" x=\"" + num(x) + "\" y=\"" + num(top) + "\" width=\"" +
             num(w) + "\" height=\"" + num(std::max(bottom - top, 2.0)) + "\" fill=\"" + fill_for(s.access) +
             "\" fill-opacity=\"0.5\" stroke=\"#333\" stroke-dasharray=\"4 3\"><title>" +
             esc(p.name + " shares " + s.partition + "." + s.region + " " + to_string(s.access)) +
             "</title></rect>\n";
      out += "<text class=\"region-label\" x=\"" + num(x + 4) + "\" y=\"" + num(top + 13) + "\">" +
             esc(s.partition + "." + s.region + " " + to_string(s.access)) + "</text>\n";
      const auto owner = centre.find({s.partition, s.region});
      if (owner != centre.end()) {
        out += "<line class=\"share-link\" x1=\"" + num(owner->second.first) + "\" y1=\"" +
               num(owner->second.second) + "\" x2=\"" + num(x + w / 2) + "\" y2=\"" +
               num((top + bottom) / 2) +
               "\" stroke=\"#6a3d9a\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>\n";
      }
    }
  }

  // Legend and errors.
  double lx = 8;
  for (Perms p : {Perms::R, Perms::RW, Perms::RX, Perms::RWX, Perms::None}) {
    out += "<rect class=\"legend\" x=\"" + num(lx) + "\" y=\"" + num(legend_y) +
           "\" width=\"14\" height=\"14\" fill=\"" + fill_for(p) + "\" stroke=\"#333\"/><text x=\"" +
           num(lx + 18) + "\" y=\"" + num(legend_y + 11) + "\">" +
           (p == Perms::None ? std::string("kernel") : to_string(p)) + "</text>\n";
    lx += 80;
  }
  out += "<rect class=\"legend\" x=\"" + num(lx) + "\" y=\"" + num(legend_y) +
         "\" width=\"14\" height=\"14\" fill=\"url(#hatch)\" stroke=\"#333\"/><text x=\"" + num(lx + 18) +
         "\" y=\"" + num(legend_y + 11) + "\">padding</text>\n";
  double ey = legend_y + 40;
  for (const std::string& e : errors) {
    out += "<text class=\"error\" x=\"8\" y=\"" + num(ey) + "\" fill=\"#c00\">" + esc("\u26a0 " + e) +
           "</text>\n";
    ey += 18;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace bulkhead::cli::check
