// The Bulkhead syscall ABI, as the module runtime (firmware_samples/runtime/bulkhead.h) uses it.
// docs/abi.md is the reference; keep the three in step.
#pragma once

#include <cstdint>

namespace bulkhead::kernel_shim::abi {

// Arm: `svc #0`, call number in r7, arguments r0-r3, result r0. Any other SVC immediate is a trap the kernel
// does not know. RISC-V: `ecall`, call number in a7, arguments a0-a3, result a0.
constexpr std::uint32_t kSvcImmediate = 0;

enum class Call : std::uint32_t {
  Exit = 0,   // (code) -> does not return
  Write = 1,  // (buf, len) -> len | error
};

// Errors are returned as negative values in r0/a0.
constexpr std::int32_t kENoSys = -1;  // unknown call number
constexpr std::int32_t kEFault = -2;  // a pointer argument the caller may not access
constexpr std::int32_t kEInval = -3;  // an argument out of range

constexpr std::uint32_t kMaxWrite = 64 * 1024;  // longest console write in one call

}  // namespace bulkhead::kernel_shim::abi
