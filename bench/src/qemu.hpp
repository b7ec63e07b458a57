// The QEMU column: the same workload source, built bare-metal with a small kernel that programs the MPU/PMP
// (bench/qemu/), run under QEMU system emulation as a child process and timed from spawn to exit.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bulkhead/emu/engine.hpp"

namespace bulkhead::bench {

// The QEMU binary and machine options for a profile, or nullopt when this profile has no QEMU image or the
// binary is not on PATH.
struct QemuCommand {
  std::filesystem::path binary;
  std::vector<std::string> options;  // everything but `-kernel IMAGE`
  std::string machine;               // for reports: "mps2-an386", "virt"
};
std::optional<QemuCommand> qemu_for(emu::CpuProfile profile);

struct ProcessOutcome {
  int exit_status = -1;  // -1: killed or did not exit normally
  std::string output;    // stdout and stderr together
  double seconds = 0;
};

// Runs argv[0] with argv (PATH is not searched), collects its output, kills it (by its pid) after `timeout`.
ProcessOutcome run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout);

// Runs a QEMU image; throws std::runtime_error naming the image when QEMU does not exit 0.
ProcessOutcome run_qemu(const QemuCommand& qemu, const std::filesystem::path& image,
                        std::chrono::seconds timeout);

}  // namespace bulkhead::bench
