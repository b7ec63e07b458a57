// Option parsing for traces: formats and address ranges.
#include <charconv>

#include "bulkhead/trace/trace.hpp"

namespace bulkhead::trace {
namespace {

std::optional<std::uint64_t> parse_number(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || v > 0xFFFF'FFFFull) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") return Format::Text;
  if (name == "compact") return Format::Compact;
  return std::nullopt;
}

Range parse_range(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  const auto dash = text.find('-');
  if (dash == std::string_view::npos)
    throw std::invalid_argument("trace range " + quoted + ": expected LO-HI, e.g. 0x20000000-0x20003fff");
  const auto lo = parse_number(text.substr(0, dash));
  const auto hi = parse_number(text.substr(dash + 1));
  if (!lo || !hi)
    throw std::invalid_argument("trace range " + quoted +
                                ": LO and HI must be numbers below 2^32 (decimal or 0x hex)");
  if (*lo > *hi) throw std::invalid_argument("trace range " + quoted + ": LO is above HI");
  return Range{static_cast<std::uint32_t>(*lo), static_cast<std::uint32_t>(*hi)};
}

}  // namespace bulkhead::trace
