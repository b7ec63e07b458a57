// Logging: one spdlog logger per component ("emu", "mpu", "pmp", "loader", "kernel", "cli"), quiet by
// default.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

namespace bulkhead::log {

// Returns the component's logger, creating it (stderr, shared level) on first use. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view component);

// Sets the level of every component logger, present and future. Default: warn.
void set_level(spdlog::level::level_enum level);

// Parses "trace|debug|info|warn|error|critical|off"; returns false on an unknown name.
bool parse_level(std::string_view name, spdlog::level::level_enum& out);

}  // namespace bulkhead::log
