// Register name tables for `bulkhead decide`. The addresses come from the models' own headers, so a dump
// names exactly the registers the register face implements.
#include "decide_registers.hpp"

#include <array>
#include <cctype>
#include <cstdio>

#include "bulkhead/mpu/registers.hpp"
#include "bulkhead/pmp/csr.hpp"

namespace bulkhead::cli::decide {
namespace {

struct NamedRegister {
  std::string_view name;
  std::uint32_t addr;
};

// ARMv7-M B3.5.4 Table B3-14. MPU_TYPE is left out: it is read-only, so a dump writing it is a mistake.
constexpr std::array<NamedRegister, 10> kV7 = {{
    {"MPU_CTRL", mpu::addr::MPU_CTRL},
    {"MPU_RNR", mpu::addr::MPU_RNR},
    {"MPU_RBAR", mpu::addr::MPU_RBAR},
    {"MPU_RASR", mpu::addr::MPU_RASR},
    {"MPU_RBAR_A1", mpu::addr::MPU_RBAR_A1},
    {"MPU_RASR_A1", mpu::addr::MPU_RASR_A1},
    {"MPU_RBAR_A2", mpu::addr::MPU_RBAR_A2},
    {"MPU_RASR_A2", mpu::addr::MPU_RASR_A2},
    {"MPU_RBAR_A3", mpu::addr::MPU_RBAR_A3},
    {"MPU_RASR_A3", mpu::addr::MPU_RASR_A3},
}};

// ARMv8-M ARM D1.2: RLAR takes RASR's place, and MAIR0/1 are new.
constexpr std::array<NamedRegister, 12> kV8 = {{
    {"MPU_CTRL", mpu::addr::MPU_CTRL},
    {"MPU_RNR", mpu::addr::MPU_RNR},
    {"MPU_RBAR", mpu::addr::MPU_RBAR},
    {"MPU_RLAR", mpu::addr::MPU_RLAR},
    {"MPU_RBAR_A1", mpu::addr::MPU_RBAR_A1},
    {"MPU_RLAR_A1", mpu::addr::MPU_RLAR_A1},
    {"MPU_RBAR_A2", mpu::addr::MPU_RBAR_A2},
    {"MPU_RLAR_A2", mpu::addr::MPU_RLAR_A2},
    {"MPU_RBAR_A3", mpu::addr::MPU_RBAR_A3},
    {"MPU_RLAR_A3", mpu::addr::MPU_RLAR_A3},
    {"MPU_MAIR0", mpu::addr::MPU_MAIR0},
    {"MPU_MAIR1", mpu::addr::MPU_MAIR1},
}};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <typename F>
void for_each_register(Model model, F f) {
  if (model == Model::Pmsav7) {
    for (const auto& r : kV7) f(r);
  } else if (model == Model::Pmsav8) {
    for (const auto& r : kV8) f(r);
  }
}

// "pmpaddr13" -> 13 when `name` is `prefix` followed by a decimal index without leading zeros, up to `max`.
std::optional<unsigned> indexed(std::string_view name, std::string_view prefix, unsigned max) {
  if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size());
  if (digits.size() > 2 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  unsigned n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

}  // namespace

std::string_view to_string(Model m) {
  switch (m) {
    case Model::Pmsav7:
      return "pmsav7";
    case Model::Pmsav8:
      return "pmsav8";
    case Model::Pmp:
      return "pmp";
  }
  return "?";
}

std::optional<std::uint32_t> arm_register_address(Model model, std::string_view name) {
  std::string wanted = upper(name);
  if (wanted.rfind("MPU_", 0) != 0) wanted = "MPU_" + wanted;
  std::optional<std::uint32_t> found;
  for_each_register(model, [&](const NamedRegister& r) {
    if (r.name == wanted) found = r.addr;
  });
  return found;
}

std::string arm_register_names(Model model) {
  std::string out;
  for_each_register(model,
                    [&](const NamedRegister& r) { out += (out.empty() ? "" : ", ") + std::string(r.name); });
  return out;
}

std::string arm_register_name(Model model, std::uint32_t addr) {
  std::string out;
  for_each_register(model, [&](const NamedRegister& r) {
    if (r.addr == addr) out = r.name;
  });
  return out;
}

std::optional<std::uint16_t> pmp_csr_number(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "mseccfg") return pmp::csr::MSECCFG;
  if (lower == "mseccfgh") return pmp::csr::MSECCFGH;
  // Priv. spec 2.2 Table 2.5: pmpcfg0..15 and pmpaddr0..63 are consecutive CSR numbers.
  if (auto n = indexed(lower, "pmpcfg", 15)) return static_cast<std::uint16_t>(pmp::csr::PMPCFG0 + *n);
  if (auto n = indexed(lower, "pmpaddr", 63)) return static_cast<std::uint16_t>(pmp::csr::PMPADDR0 + *n);
  return std::nullopt;
}

std::string pmp_csr_name(std::uint16_t csr) {
  if (csr == pmp::csr::MSECCFG) return "mseccfg";
  if (csr == pmp::csr::MSECCFGH) return "mseccfgh";
  if (csr >= pmp::csr::PMPCFG0 && csr <= pmp::csr::PMPCFG15)
    return "pmpcfg" + std::to_string(csr - pmp::csr::PMPCFG0);
  if (csr >= pmp::csr::PMPADDR0 && csr <= pmp::csr::PMPADDR63) {
    return "pmpaddr" + std::to_string(csr - pmp::csr::PMPADDR0);
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%03X", static_cast<unsigned>(csr));
  return buf;
}

}  // namespace bulkhead::cli::decide
