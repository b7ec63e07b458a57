// Register names a `bulkhead decide` dump may use: the Arm MPU registers (by name or SCS address) and the
// PMP CSRs (by name or number), per model.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkhead::cli::decide {

enum class Model : std::uint8_t { Pmsav7, Pmsav8, Pmp };
std::string_view to_string(Model m);  // "pmsav7", "pmsav8", "pmp": the names the dump's "model" takes

// The SCS address of a writable MPU register of `model` ("MPU_RBAR", case-insensitive, "MPU_" optional),
// or nullopt. MPU_TYPE is read-only and therefore not listed.
std::optional<std::uint32_t> arm_register_address(Model model, std::string_view name);
// The writable register names of `model`, for error messages.
std::string arm_register_names(Model model);
// The name of the register at `addr` on `model` ("MPU_RBAR_A1"), or "" if there is none.
std::string arm_register_name(Model model, std::uint32_t addr);

// The CSR number of a PMP CSR name ("pmpcfg2", "pmpaddr13", "mseccfg", "mseccfgh"; case-insensitive).
std::optional<std::uint16_t> pmp_csr_number(std::string_view name);
// The name of a PMP CSR number ("pmpaddr13"), or the number in hex when it is not one.
std::string pmp_csr_name(std::uint16_t csr);

}  // namespace bulkhead::cli::decide
