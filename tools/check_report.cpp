// `bulkhead check` text and JSON reports.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "bulkhead/pmp/csr.hpp"
#include "check_report.hpp"

namespace bulkhead::cli::check {
namespace {

using layout::CheckResult;
using layout::CompiledPartition;
using layout::Diagnostic;
using layout::PlacedRegion;
using ojson = nlohmann::ordered_json;

std::string hex(std::uint64_t v, int width = 0) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", width, static_cast<unsigned long long>(v));
  return buf;
}

std::string range_text(AddressRange r) {
  return hex(r.base, 8) + "+" + hex(r.size);
}

bool rv(const CheckResult& r) {
  return r.layout.target.unit.arch == Arch::Rv32;
}

std::string slot_name(const CheckResult& r, int slot) {
  return (rv(r) ? "pmp" : "region ") + std::to_string(slot);
}

std::string units(const CheckResult& r) {
  return rv(r) ? "PMP entries" : "MPU regions";
}

// The register values of one slot, as the programming writes them.
std::string registers(const layout::Programming& p, int slot) {
  for (const layout::V7Region& v : p.v7) {
    if (v.region == slot) return "RBAR=" + hex(v.rbar, 8) + " RASR=" + hex(v.rasr, 8);
  }
  for (const layout::V8Region& v : p.v8) {
    if (v.region == slot) return "RBAR=" + hex(v.rbar, 8) + " RLAR=" + hex(v.rlar, 8);
  }
  std::string out;
  for (const layout::PmpAddrWrite& w : p.pmpaddr) {
    if (w.csr == pmp::csr::PMPADDR0 + slot) out = "pmpaddr" + std::to_string(slot) + "=" + hex(w.value, 8);
  }
  for (const layout::PmpCfgWrite& w : p.pmpcfg) {
    if (w.csr != pmp::csr::PMPCFG0 + slot / 4) continue;
    const unsigned shift = 8u * static_cast<unsigned>(slot % 4);
    if (((w.mask >> shift) & 0xFFu) == 0) continue;
    out += " pmp" + std::to_string(slot) + "cfg=" + hex((w.value >> shift) & 0xFFu, 2);
  }
  return out;
}

std::string hardware_text(const layout::HardwareRegion& h) {
  if (h.mode == "TOR base") return "base of the TOR above: " + hex(h.range.base, 8);
  std::string out =
      h.mode + " " + range_text(h.range) + " " + (h.perms == Perms::None ? "deny" : to_string(h.perms));
  if (h.srd != 0) out += " SRD=" + hex(h.srd, 2);
  if (h.attr == layout::MemoryAttr::Device) out += " device";
  return out;
}

std::string diagnostic_text(const CheckResult& r, const Diagnostic& d) {
  std::string where = r.layout.file + (d.line > 0 ? ":" + std::to_string(d.line) : "");
  return where + ": " + (d.severity == layout::Severity::Error ? "error" : "warning") + ": " + d.message;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string probe_text(const CheckResult& r, const Probe& p) {
  std::string out =
      "probe `" + p.partition + "`: " + decide::format_text(p.decision, model_for(r.layout.target.unit.arch));
  out += "\n  address is in " + (p.where.empty() ? std::string("no partition's region") : p.where) + "\n";
  return out;
}

}  // namespace

decide::Model model_for(Arch arch) {
  switch (arch) {
    case Arch::ArmV7M:
      return decide::Model::Pmsav7;
    case Arch::ArmV8M:
      return decide::Model::Pmsav8;
    case Arch::Rv32:
      return decide::Model::Pmp;
  }
  return decide::Model::Pmsav7;
}

std::string format_text(const CheckResult& r, const std::optional<Probe>& probe) {
  const layout::Target& t = r.layout.target;
  std::string out = "layout " + r.layout.file + (r.layout.name.empty() ? "" : " (" + r.layout.name + ")") +
                    ": " + std::string(layout::target_name(t.unit.arch)) + ", " +
                    std::to_string(t.unit.slots()) + " " + units(r);
  for (const layout::ReservedRegion& k : t.reserved) {
    out += "; kernel keeps " + slot_name(r, k.slot) + " `" + k.name + "`" +
           (k.range ? " " + range_text(*k.range) + " (privileged " + to_string(k.privileged) + ")" : "");
  }
  out += "\n";
  for (const CompiledPartition& p : r.partitions) {
    out += "\npartition `" + p.name + "`" + (p.elf.empty() ? "" : " (" + p.elf + ")") + ": ";
    if (p.encoding) {
      out += std::to_string(p.encoding->programming.used) + " of " + std::to_string(p.slots.size()) +
             " free " + units(r) + "\n";
    } else {
      out += "not compiled\n";
    }
    for (const PlacedRegion& reg : p.regions) {
      out += "  " + pad("region `" + reg.name + "`", 24) + pad(std::string(to_string(reg.kind)), 11) +
             pad(range_text(reg.range), 22) + to_string(reg.access);
      if (reg.placed) out += "  placed, padding " + hex(reg.padding());
      out += "\n";
    }
    for (const layout::ResolvedShare& s : p.shares) {
      out += "  " + pad("share `" + s.partition + "." + s.region + "`", 35) + pad(range_text(s.range), 22) +
             to_string(s.access) + "\n";
    }
    if (p.encoding) {
      for (const layout::HardwareRegion& h : p.encoding->regions) {
        out += "    " + pad(slot_name(r, h.slot) + ":", 11) +
               pad(registers(p.encoding->programming, h.slot), 40) + hardware_text(h) + "\n";
      }
    }
  }
  if (r.kernel && !r.kernel->regions.empty()) {
    out += "\nkernel\n";
    for (const layout::HardwareRegion& h : r.kernel->regions) {
      out += "    " + pad(slot_name(r, h.slot) + ":", 11) +
             pad(registers(r.kernel->programming, h.slot), 40) + h.mode + " " + range_text(h.range) +
             " unprivileged deny\n";
    }
  }

  const auto n = static_cast<int>(r.partitions.size());
  if (!r.matrix.empty()) {
    out +=
        "\nisolation: what each row's code may do to each column's memory (unprivileged, read back through "
        "the " +
        std::string(decide::to_string(model_for(t.unit.arch))) + " model)\n";
    std::size_t w = 6;
    for (const CompiledPartition& p : r.partitions) w = std::max(w, p.name.size() + 2);
    out += pad("", w + 2);
    for (const CompiledPartition& p : r.partitions) out += pad(p.name, w);
    out += "\n";
    for (int a = 0; a < n; ++a) {
      out += "  " + pad(r.partitions[static_cast<std::size_t>(a)].name, w);
      for (int b = 0; b < n; ++b) out += pad(to_string(r.cell(a, b)->perms), w);
      out += "\n";
    }
    for (int a = 0; a < n; ++a) {
      for (int b = 0; b < n; ++b) {
        if (a == b) continue;
        for (const layout::IsolationCell::Part& part : r.cell(a, b)->parts) {
          out += "  " + r.partitions[static_cast<std::size_t>(a)].name + " -> " +
                 r.partitions[static_cast<std::size_t>(b)].name + ": " + to_string(part.perms) +
                 " on region `" + part.region + "` " + range_text(part.range) + "\n";
        }
      }
    }
  }
  if (probe) out += "\n" + probe_text(r, *probe);

  int errors = 0;
  int warnings = 0;
  if (!r.diagnostics.empty()) out += "\n";
  for (const Diagnostic& d : r.diagnostics) {
    (d.severity == layout::Severity::Error ? errors : warnings)++;
    out += diagnostic_text(r, d) + "\n";
  }
  out += "\n" + std::string(r.ok() ? "OK" : "INVALID") + ": " + std::to_string(n) + " partitions, " +
         std::to_string(errors) + " errors, " + std::to_string(warnings) + " warnings, " + hex(r.padding()) +
         " bytes of placement padding\n";
  return out;
}

std::string format_json(const CheckResult& r, const std::optional<Probe>& probe) {
  const layout::Target& t = r.layout.target;
  ojson j = ojson::object();
  j["layout"] = r.layout.file;
  j["name"] = r.layout.name;
  j["valid"] = r.ok();
  ojson target = {{"arch", layout::target_name(t.unit.arch)}, {"slots", t.unit.slots()}};
  ojson reserved = ojson::array();
  for (const layout::ReservedRegion& k : t.reserved) {
    ojson e = {{"index", k.slot}, {"name", k.name}};
    e["base"] = k.range ? ojson(k.range->base) : ojson(nullptr);
    e["size"] = k.range ? ojson(k.range->size) : ojson(nullptr);
    e["privileged"] = to_string(k.privileged);
    reserved.push_back(e);
  }
  target["reserved"] = reserved;
  j["target"] = target;

  auto hardware_json = [](const layout::Encoding& e) {
    ojson rows = ojson::array();
    for (const layout::HardwareRegion& h : e.regions) {
      rows.push_back({{"index", h.slot},
                      {"mode", h.mode},
                      {"base", h.range.base},
                      {"size", h.range.size},
                      {"perms", to_string(h.perms)},
                      {"srd", h.srd},
                      {"device", h.attr == layout::MemoryAttr::Device}});
    }
    return rows;
  };
  auto programming_json = [](const layout::Programming& p) {
    ojson o = ojson::object();
    if (p.arch == Arch::Rv32) {
      ojson addrs = ojson::array();
      for (const layout::PmpAddrWrite& w : p.pmpaddr) addrs.push_back({{"csr", w.csr}, {"value", w.value}});
      ojson cfgs = ojson::array();
      for (const layout::PmpCfgWrite& w : p.pmpcfg)
        cfgs.push_back({{"csr", w.csr}, {"value", w.value}, {"mask", w.mask}});
      o["pmpaddr"] = addrs;
      o["pmpcfg"] = cfgs;
    } else {
      o["mpu_ctrl"] = p.mpu_ctrl;
      if (p.arch == Arch::ArmV8M) o["mair"] = {p.mair[0], p.mair[1]};
      ojson regs = ojson::array();
      for (const layout::V7Region& v : p.v7)
        regs.push_back({{"region", v.region}, {"rbar", v.rbar}, {"rasr", v.rasr}});
      for (const layout::V8Region& v : p.v8)
        regs.push_back({{"region", v.region}, {"rbar", v.rbar}, {"rlar", v.rlar}});
      o["regions"] = regs;
    }
    o["used"] = p.used;
    return o;
  };

  ojson parts = ojson::array();
  for (const CompiledPartition& p : r.partitions) {
    ojson pj = ojson::object();
    pj["name"] = p.name;
    pj["elf"] = p.elf.empty() ? ojson(nullptr) : ojson(p.elf);
    pj["free"] = p.slots.size();
    pj["needed"] = p.needed;
    ojson regions = ojson::array();
    for (const PlacedRegion& reg : p.regions) {
      regions.push_back({{"name", reg.name},
                         {"kind", to_string(reg.kind)},
                         {"access", to_string(reg.access)},
                         {"base", reg.range.base},
                         {"size", reg.range.size},
                         {"requested_size", reg.requested_size},
                         {"placed", reg.placed},
                         {"padding", reg.placed ? reg.padding() : 0},
                         {"line", reg.pos.line}});
    }
    pj["regions"] = regions;
    ojson shares = ojson::array();
    for (const layout::ResolvedShare& s : p.shares) {
      shares.push_back({{"partition", s.partition},
                        {"region", s.region},
                        {"base", s.range.base},
                        {"size", s.range.size},
                        {"access", to_string(s.access)}});
    }
    pj["shares"] = shares;
    pj["programming"] = p.encoding ? programming_json(p.encoding->programming) : ojson(nullptr);
    pj["hardware"] = p.encoding ? hardware_json(*p.encoding) : ojson(nullptr);
    parts.push_back(pj);
  }
  j["partitions"] = parts;
  j["kernel"] = r.kernel ? ojson{{"programming", programming_json(r.kernel->programming)},
                                 {"hardware", hardware_json(*r.kernel)}}
                         : ojson(nullptr);

  ojson matrix = ojson::array();
  for (const layout::IsolationCell& c : r.matrix) {
    ojson cell = {{"from", r.partitions[static_cast<std::size_t>(c.from)].name},
                  {"to", r.partitions[static_cast<std::size_t>(c.to)].name},
                  {"perms", to_string(c.perms)},
                  {"read", has(c.perms, Perms::R)},
                  {"write", has(c.perms, Perms::W)},
                  {"execute", has(c.perms, Perms::X)}};
    ojson detail = ojson::array();
    for (const layout::IsolationCell::Part& part : c.parts) {
      detail.push_back({{"region", part.region},
                        {"base", part.range.base},
                        {"size", part.range.size},
                        {"perms", to_string(part.perms)}});
    }
    cell["parts"] = detail;
    matrix.push_back(cell);
  }
  j["isolation"] = matrix;

  ojson diags = ojson::array();
  for (const Diagnostic& d : r.diagnostics) {
    diags.push_back({{"severity", d.severity == layout::Severity::Error ? "error" : "warning"},
                     {"code", d.code},
                     {"partition", d.partition.empty() ? ojson(nullptr) : ojson(d.partition)},
                     {"region", d.region.empty() ? ojson(nullptr) : ojson(d.region)},
                     {"line", d.line > 0 ? ojson(d.line) : ojson(nullptr)},
                     {"message", d.message}});
  }
  j["diagnostics"] = diags;
  j["padding"] = r.padding();
  if (probe) {
    ojson pj = ojson::parse(decide::format_json(probe->decision, model_for(t.unit.arch)));
    pj["partition"] = probe->partition;
    pj["in"] = probe->where.empty() ? ojson(nullptr) : ojson(probe->where);
    j["probe"] = pj;
  }
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace bulkhead::cli::check
