// Formatting for `bulkhead decide`. The text form is for people pasting a dump; the JSON form is the oracle
// interface, so it carries every Verdict field and the syndrome as plain integers.
#include "decide_output.hpp"

#include <cstdio>

namespace bulkhead::cli::decide {
namespace {

std::string hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(value));
  return buf;
}

// Arm numbers regions; PMP numbers entries, named pmpN as in the spec and in the model's details.
std::string unit_name(Model model, int index) {
  return model == Model::Pmp ? "pmp" + std::to_string(index) : "region " + std::to_string(index);
}

std::string deciding_rule(const Verdict& v, Model model) {
  if (v.region < 0) return "";
  if (v.other_region >= 0) {
    return " by regions " + std::to_string(v.region) + " and " + std::to_string(v.other_region);
  }
  return " by " + unit_name(model, v.region);
}

std::string syndrome_text(const Syndrome& s, Access access, Model model) {
  char buf[96];
  if (model == Model::Pmp) {
    static constexpr const char* kNames[3] = {"load access fault", "store access fault",
                                              "instruction access fault"};
    std::snprintf(buf, sizeof buf, "mcause=%u (%s) mtval=%s", static_cast<unsigned>(s.mcause),
                  kNames[static_cast<int>(access)], hex(s.mtval).c_str());
    return buf;
  }
  std::string bits;
  if (s.mmfsr & mmfsr::IACCVIOL) bits += " IACCVIOL";
  if (s.mmfsr & mmfsr::DACCVIOL) bits += " DACCVIOL";
  if (s.mmfsr & mmfsr::MMARVALID) bits += " MMARVALID";
  std::snprintf(buf, sizeof buf, "MMFSR=0x%02x (%s)", static_cast<unsigned>(s.mmfsr),
                bits.empty() ? "" : bits.c_str() + 1);
  std::string out = buf;
  // B3.2.15: MMFAR holds an address only when MMARVALID says so.
  if (s.mmfsr & mmfsr::MMARVALID) out += " MMFAR=" + hex(s.mmfar);
  return out;
}

}  // namespace

std::string_view reason_key(Reason r) {
  switch (r) {
    case Reason::RegionMatch:
      return "region_match";
    case Reason::NoMatch:
      return "no_match";
    case Reason::SubregionDisabled:
      return "subregion_disabled";
    case Reason::BackgroundMap:
      return "background_map";
    case Reason::UnitDisabled:
      return "unit_disabled";
    case Reason::SystemSpace:
      return "system_space";
    case Reason::SystemExecuteNever:
      return "system_execute_never";
    case Reason::VectorTable:
      return "vector_table";
    case Reason::Overlap:
      return "overlap";
    case Reason::PartialMatch:
      return "partial_match";
    case Reason::MachineDefault:
      return "machine_default";
    case Reason::LockedEntry:
      return "locked_entry";
    case Reason::MmlRule:
      return "mml_rule";
    case Reason::ReservedEncoding:
      return "reserved_encoding";
    case Reason::Straddle:
      return "straddle";
  }
  return "unknown";
}

std::string format_text(const Decision& d, Model model) {
  const AccessRequest& a = d.request;
  const Verdict& v = d.verdict;
  std::string out = hex(a.address) + " +" + std::to_string(a.size) + " " + std::string(to_string(a.access)) +
                    " " + a.privilege_name + (a.vector_table ? " vector-table" : "") + ": " +
                    (v.allowed ? "ALLOWED" : "DENIED") + deciding_rule(v, model) + " (" +
                    std::string(to_string(v.reason)) + ")";
  if (!v.detail.empty()) out += " \u2014 " + v.detail;
  if (d.syndrome) out += " [" + syndrome_text(*d.syndrome, a.access, model) + "]";
  return out;
}

std::string format_json(const Decision& d, Model model) {
  const AccessRequest& a = d.request;
  const Verdict& v = d.verdict;
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["address"] = a.address;
  j["size"] = a.size;
  j["access"] = to_string(a.access);
  j["privilege"] = a.privilege_name;
  if (a.vector_table) j["vector_table"] = true;
  j["allowed"] = v.allowed;
  j["reason"] = reason_key(v.reason);
  j["reason_text"] = to_string(v.reason);
  j["region"] = v.region >= 0 ? nlohmann::ordered_json(v.region) : nlohmann::ordered_json(nullptr);
  j["other_region"] =
      v.other_region >= 0 ? nlohmann::ordered_json(v.other_region) : nlohmann::ordered_json(nullptr);
  j["granted"] = to_string(v.granted);
  j["fault_address"] = v.fault_address;
  j["detail"] = v.detail;
  if (d.syndrome) {
    if (model == Model::Pmp) {
      j["syndrome"] = nlohmann::ordered_json{{"mcause", d.syndrome->mcause}, {"mtval", d.syndrome->mtval}};
    } else {
      j["syndrome"] = nlohmann::ordered_json{{"mmfsr", d.syndrome->mmfsr}, {"mmfar", d.syndrome->mmfar}};
    }
  }
  // Details are model text, but replace rather than throw should one ever hold invalid UTF-8.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string format_region_text(const RegionInfo& r, Model model) {
  const bool pmp = model == Model::Pmp;
  return unit_name(model, r.index) + ": " + (r.enabled ? "on" : "off") + ", " + (pmp ? "M " : "privileged ") +
         to_string(r.privileged) + ", " + (pmp ? "S/U " : "unprivileged ") + to_string(r.unprivileged) +
         ": " + r.description;
}

std::string format_regions_json(const std::vector<RegionInfo>& rows) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const RegionInfo& r : rows) {
    list.push_back(nlohmann::ordered_json{{"index", r.index},
                                          {"enabled", r.enabled},
                                          {"base", r.range.base},
                                          {"size", r.range.size},
                                          {"privileged", to_string(r.privileged)},
                                          {"unprivileged", to_string(r.unprivileged)},
                                          {"description", r.description}});
  }
  return nlohmann::ordered_json{{"regions", list}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace bulkhead::cli::decide
