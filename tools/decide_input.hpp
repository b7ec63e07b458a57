// `bulkhead decide` input: the JSON register dump (docs/decide.md) and the --access arguments, validated
// into plain values. Nothing here touches a model; every defect is an InputError naming its JSON path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulkhead/core/types.hpp"
#include "bulkhead/mpu/arm_mpu_v7.hpp"
#include "bulkhead/mpu/arm_mpu_v8.hpp"
#include "bulkhead/pmp/riscv_pmp.hpp"
#include "decide_json.hpp"
#include "decide_registers.hpp"

namespace bulkhead::cli::decide {

// One register write, resolved to what the model's register face takes.
struct Write {
  std::uint32_t target = 0;  // Arm: SCS address; PMP: CSR number
  std::uint32_t value = 0;
  std::string path;  // JSON path of the write, for defects only applying it reveals (a missing CSR)
};

struct AccessRequest {
  std::uint32_t address = 0;
  std::uint32_t size = 1;
  Access access = Access::Read;
  Privilege privilege = Privilege::Unprivileged;
  std::string privilege_name;  // as spelt in the input ("user", "machine", ...), echoed in the output
  bool vector_table = false;   // Arm: a vector-table read on exception entry
};

struct Dump {
  Model model = Model::Pmsav7;
  mpu::ArmMpuV7Options v7;
  mpu::ArmMpuV8Options v8;
  pmp::PmpOptions pmp;
  bool negative_priority = false;  // Arm: execution priority < 0 (HardFault, NMI, FAULTMASK)
  std::vector<Write> writes;
  std::vector<AccessRequest> accesses;
};

// Parses and validates a whole dump. `text` is the file's content.
Dump parse_dump(std::string_view text);

// Parses one --access argument, "ADDRESS:SIZE:ACCESS:PRIVILEGE[:vector_table]".
AccessRequest parse_access_arg(std::string_view arg, Model model);

}  // namespace bulkhead::cli::decide
