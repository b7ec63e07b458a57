#include "bulkhead/testing/shard.hpp"

#include <charconv>
#include <stdexcept>

namespace bulkhead::testing {

namespace {

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Shard parse_shard(std::string_view text) {
  const std::size_t slash = text.find('/');
  const auto i = slash == std::string_view::npos ? std::nullopt : number(text.substr(0, slash));
  const auto n = slash == std::string_view::npos ? std::nullopt : number(text.substr(slash + 1));
  if (!i || !n || *n == 0 || *i == 0 || *i > *n)
    throw std::invalid_argument("--shard \"" + std::string(text) +
                                "\": expected I/N with 1 <= I <= N (e.g. 2/4: the second of four shards)");
  return {*i - 1, *n};
}

std::optional<Shard> shard_from_env(const char* total, const char* index) {
  if (total == nullptr || *total == '\0') return std::nullopt;
  const auto n = number(total);
  if (!n || *n == 0)
    throw std::invalid_argument("TEST_TOTAL_SHARDS=\"" + std::string(total) + "\" is not a count");
  const auto i = index == nullptr ? std::optional<std::uint32_t>(0) : number(index);
  if (!i || *i >= *n)
    throw std::invalid_argument("TEST_SHARD_INDEX=\"" + std::string(index == nullptr ? "" : index) +
                                "\" must be 0.." + std::to_string(*n - 1));
  return Shard{*i, *n};
}

std::string to_string(Shard s) {
  return std::to_string(s.index + 1) + "/" + std::to_string(s.total);
}

}  // namespace bulkhead::testing
