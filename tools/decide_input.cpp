// Dump parsing for `bulkhead decide`: the model first (it decides which fields exist), then every other
// member.
#include "decide_input.hpp"

#include <cstdio>
#include <string>

namespace bulkhead::cli::decide {
namespace {

Model parse_model(const json& j, const std::string& path) {
  const std::string name = read_string(j, path);
  for (Model m : {Model::Pmsav7, Model::Pmsav8, Model::Pmp}) {
    if (name == to_string(m)) return m;
  }
  fail(path, "unknown model \"" + name + "\" (expected pmsav7, pmsav8 or pmp)");
}

void parse_v7_options(const json& j, const std::string& path, mpu::ArmMpuV7Options& o) {
  check_fields(j, path, {"regions", "min_region_size", "srd_below_256", "unaligned_base"});
  if (j.contains("regions"))
    o.regions = static_cast<int>(read_uint_in(j["regions"], child(path, "regions"), 0, 16));
  if (j.contains("min_region_size")) {
    const std::string p = child(path, "min_region_size");
    const std::uint64_t m = read_uint_in(j["min_region_size"], p, 32, 256);
    // ArmMpuV7Options: a power of two (32 on ARMv7-M, 256 on ARMv6-M); the model would throw otherwise.
    if ((m & (m - 1)) != 0) fail(p, "must be a power of two (32, 64, 128 or 256), got " + std::to_string(m));
    o.min_region_size = static_cast<std::uint32_t>(m);
  }
  if (j.contains("srd_below_256")) {
    const std::string p = child(path, "srd_below_256");
    const std::string v = read_string(j["srd_below_256"], p);
    if (v == "ignore") {
      o.srd_below_256 = mpu::SrdBelow256Policy::Ignore;
    } else if (v == "honour") {
      o.srd_below_256 = mpu::SrdBelow256Policy::Honour;
    } else {
      fail(p, "must be \"ignore\" or \"honour\", got \"" + v + "\"");
    }
  }
  if (j.contains("unaligned_base")) {
    const std::string p = child(path, "unaligned_base");
    const std::string v = read_string(j["unaligned_base"], p);
    if (v == "mask_low_bits") {
      o.unaligned_base = mpu::UnalignedBasePolicy::MaskLowBits;
    } else if (v == "skip_region") {
      o.unaligned_base = mpu::UnalignedBasePolicy::SkipRegion;
    } else {
      fail(p, "must be \"mask_low_bits\" or \"skip_region\", got \"" + v + "\"");
    }
  }
}

void parse_v8_options(const json& j, const std::string& path, mpu::ArmMpuV8Options& o) {
  check_fields(j, path, {"regions", "v81m"});
  if (j.contains("regions"))
    o.regions = static_cast<int>(read_uint_in(j["regions"], child(path, "regions"), 0, 16));
  if (j.contains("v81m")) o.v81m = read_bool(j["v81m"], child(path, "v81m"));
}

void parse_pmp_options(const json& j, const std::string& path, pmp::PmpOptions& o) {
  check_fields(j, path, {"entries", "granularity", "smepmp", "unimplemented_csrs_read_zero"});
  if (j.contains("entries"))
    o.entries = static_cast<unsigned>(read_uint_in(j["entries"], child(path, "entries"), 0, 64));
  if (j.contains("granularity")) {
    o.granularity = static_cast<unsigned>(read_uint_in(j["granularity"], child(path, "granularity"), 0, 30));
  }
  if (j.contains("smepmp")) o.smepmp = read_bool(j["smepmp"], child(path, "smepmp"));
  if (j.contains("unimplemented_csrs_read_zero")) {
    o.unimplemented_csrs_read_zero =
        read_bool(j["unimplemented_csrs_read_zero"], child(path, "unimplemented_csrs_read_zero"));
  }
}

std::uint32_t arm_target(const json& w, const std::string& path, Model model) {
  const bool has_reg = w.contains("reg");
  if (has_reg == w.contains("addr")) fail(path, "give exactly one of \"reg\" (a register name) or \"addr\"");
  if (has_reg) {
    const std::string p = child(path, "reg");
    const std::string name = read_string(w["reg"], p);
    if (auto a = arm_register_address(model, name)) return *a;
    fail(p, "unknown " + std::string(to_string(model)) + " register \"" + name +
                "\" (expected one of: " + arm_register_names(model) + ")");
  }
  const std::string p = child(path, "addr");
  const auto a = static_cast<std::uint32_t>(read_uint(w["addr"], p, 32));
  if (arm_register_name(model, a).empty()) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(a));
    fail(p, std::string(buf) + " is not a writable " + std::string(to_string(model)) +
                " MPU register (MPU_CTRL 0xE000ED94 .. " +
                (model == Model::Pmsav7 ? "MPU_RASR_A3 0xE000EDB8" : "MPU_MAIR1 0xE000EDC4") + ")");
  }
  return a;
}

std::uint32_t pmp_target(const json& w, const std::string& path) {
  if (!w.contains("csr")) fail(child(path, "csr"), "required field missing (a PMP CSR name or number)");
  const std::string p = child(path, "csr");
  const json& c = w["csr"];
  if (c.is_string()) {
    const std::string name = c.get<std::string>();
    if (auto n = pmp_csr_number(name)) return *n;
    std::uint64_t ignored = 0;
    bool overflow = false;
    if (!parse_uint_text(name, ignored, overflow) && !overflow) {
      fail(p, "unknown CSR \"" + name +
                  "\" (expected pmpcfg0..15, pmpaddr0..63, mseccfg, mseccfgh or a CSR number)");
    }
  } else if (!c.is_number()) {
    fail(p, std::string("expected a CSR name or number, got ") + c.type_name());
  }
  const std::uint64_t n = read_uint(c, p, 12);  // CSR numbers are 12 bits (priv. spec 2.1)
  const auto csr = static_cast<std::uint16_t>(n);
  if (!pmp::RiscvPmp::is_pmp_csr(csr)) fail(p, pmp_csr_name(csr) + " is not a PMP CSR");
  return csr;
}

std::vector<Write> parse_writes(const json& j, const std::string& path, Model model) {
  expect_array(j, path);
  std::vector<Write> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string p = child(path, i);
    const json& w = j[i];
    expect_object(w, p);
    if (model == Model::Pmp) {
      check_fields(w, p, {"csr", "value"});
    } else {
      check_fields(w, p, {"reg", "addr", "value"});
    }
    Write write;
    write.path = p;
    write.target = model == Model::Pmp ? pmp_target(w, p) : arm_target(w, p, model);
    if (!w.contains("value")) fail(child(p, "value"), "required field missing");
    write.value = static_cast<std::uint32_t>(read_uint(w["value"], child(p, "value"), 32));
    out.push_back(write);
  }
  return out;
}

Access parse_access_kind(const std::string& name, const std::string& path) {
  if (name == "read") return Access::Read;
  if (name == "write") return Access::Write;
  if (name == "execute") return Access::Execute;
  fail(path, "must be read, write or execute, got \"" + name + "\"");
}

Privilege parse_privilege(const std::string& name, const std::string& path, Model model) {
  if (name == "privileged") return Privilege::Privileged;
  if (name == "unprivileged") return Privilege::Unprivileged;
  // RISC-V names: PMP treats S and U alike (priv. spec 3.7.1), and M is the privileged level.
  if (model == Model::Pmp) {
    if (name == "machine") return Privilege::Privileged;
    if (name == "supervisor" || name == "user") return Privilege::Unprivileged;
    fail(path, "must be machine, supervisor, user, privileged or unprivileged, got \"" + name + "\"");
  }
  fail(path, "must be privileged or unprivileged, got \"" + name + "\"");
}

// The vector-table flag depends on the model and the access kind, so it is checked last.
void finish_access(const AccessRequest& a, const std::string& vt_path, Model model) {
  if (!a.vector_table) return;
  if (model == Model::Pmp) fail(vt_path, "vector-table reads exist only on the Arm models");
  if (a.access != Access::Read) fail(vt_path, "a vector-table access is a read");
}

std::vector<AccessRequest> parse_accesses(const json& j, const std::string& path, Model model) {
  expect_array(j, path);
  std::vector<AccessRequest> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string p = child(path, i);
    const json& e = j[i];
    expect_object(e, p);
    check_fields(e, p, {"address", "size", "access", "privilege", "vector_table"});
    for (const char* required : {"address", "size", "access", "privilege"}) {
      if (!e.contains(required)) fail(child(p, required), "required field missing");
    }
    AccessRequest a;
    a.address = static_cast<std::uint32_t>(read_uint(e["address"], child(p, "address"), 32));
    // ProtectionUnit::check takes accesses of 1..8 bytes.
    a.size = static_cast<std::uint32_t>(read_uint_in(e["size"], child(p, "size"), 1, 8));
    a.access = parse_access_kind(read_string(e["access"], child(p, "access")), child(p, "access"));
    a.privilege_name = read_string(e["privilege"], child(p, "privilege"));
    a.privilege = parse_privilege(a.privilege_name, child(p, "privilege"), model);
    if (e.contains("vector_table")) a.vector_table = read_bool(e["vector_table"], child(p, "vector_table"));
    finish_access(a, child(p, "vector_table"), model);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Dump parse_dump(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // what() is "[json.exception.parse_error.101] parse error at line L, column C: ..."; keep the readable
    // part.
    std::string what = e.what();
    if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw InputError("invalid JSON at byte " + std::to_string(e.byte) + ": " + what);
  }
  expect_object(root, "");
  check_fields(root, "", {"model", "options", "state", "writes", "accesses"});
  if (!root.contains("model")) fail("/model", "required field missing (pmsav7, pmsav8 or pmp)");

  Dump dump;
  dump.model = parse_model(root["model"], "/model");
  if (root.contains("options")) {
    const json& o = root["options"];
    expect_object(o, "/options");
    switch (dump.model) {
      case Model::Pmsav7:
        parse_v7_options(o, "/options", dump.v7);
        break;
      case Model::Pmsav8:
        parse_v8_options(o, "/options", dump.v8);
        break;
      case Model::Pmp:
        parse_pmp_options(o, "/options", dump.pmp);
        break;
    }
  }
  if (root.contains("state")) {
    const json& s = root["state"];
    expect_object(s, "/state");
    if (dump.model == Model::Pmp) {
      if (!s.empty()) fail("/state", "only the Arm models have state (negative_priority)");
    } else {
      check_fields(s, "/state", {"negative_priority"});
      if (s.contains("negative_priority")) {
        dump.negative_priority = read_bool(s["negative_priority"], "/state/negative_priority");
      }
    }
  }
  if (root.contains("writes")) dump.writes = parse_writes(root["writes"], "/writes", dump.model);
  if (root.contains("accesses")) dump.accesses = parse_accesses(root["accesses"], "/accesses", dump.model);
  return dump;
}

AccessRequest parse_access_arg(std::string_view arg, Model model) {
  const std::string where = "--access " + std::string(arg);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = arg.find(':', start);
    parts.emplace_back(
        arg.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 4 || parts.size() > 5 || (parts.size() == 5 && parts[4] != "vector_table")) {
    throw InputError(where + ": expected ADDRESS:SIZE:ACCESS:PRIVILEGE[:vector_table]");
  }
  AccessRequest a;
  a.address = static_cast<std::uint32_t>(read_uint(json(parts[0]), where + " (address)", 32));
  a.size = static_cast<std::uint32_t>(read_uint_in(json(parts[1]), where + " (size)", 1, 8));
  a.access = parse_access_kind(parts[2], where + " (access)");
  a.privilege_name = parts[3];
  a.privilege = parse_privilege(parts[3], where + " (privilege)", model);
  a.vector_table = parts.size() == 5;
  finish_access(a, where, model);
  return a;
}

}  // namespace bulkhead::cli::decide
