#include "bulkhead/core/log.hpp"

#include <map>
#include <mutex>
#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace bulkhead::log {
namespace {

struct Registry {
  std::mutex mutex;
  spdlog::level::level_enum level = spdlog::level::warn;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> sink =
      std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(std::string_view component) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.loggers.find(component); it != r.loggers.end()) return it->second;
  auto logger = std::make_shared<spdlog::logger>(std::string(component), r.sink);
  logger->set_level(r.level);
  logger->set_pattern("[%n] %^%l%$: %v");
  r.loggers.emplace(std::string(component), logger);
  return logger;
}

void set_level(spdlog::level::level_enum level) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.level = level;
  for (auto& [name, logger] : r.loggers) logger->set_level(level);
}

bool parse_level(std::string_view name, spdlog::level::level_enum& out) {
  auto level = spdlog::level::from_str(std::string(name));
  // from_str maps unknown names to off; accept "off" only when it was asked for.
  if (level == spdlog::level::off && name != "off") return false;
  out = level;
  return true;
}

}  // namespace bulkhead::log
