// Strict JSON readers with JSON-path errors for `bulkhead decide`.
#include "decide_json.hpp"

#include <limits>

namespace bulkhead::cli::decide {

void fail(const std::string& path, const std::string& message) {
  throw InputError((path.empty() ? std::string("/") : path) + ": " + message);
}

std::string child(const std::string& path, std::string_view key) {
  std::string out = path + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string child(const std::string& path, std::size_t index) {
  return path + "/" + std::to_string(index);
}

void check_fields(const json& object, const std::string& path,
                  std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key == k;
    if (ok) continue;
    std::string expected;
    for (std::string_view k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
    fail(child(path, key), "unknown field (expected one of: " + expected + ")");
  }
}

void expect_object(const json& j, const std::string& path) {
  if (!j.is_object()) fail(path, std::string("expected an object, got ") + j.type_name());
}

void expect_array(const json& j, const std::string& path) {
  if (!j.is_array()) fail(path, std::string("expected an array, got ") + j.type_name());
}

std::string read_string(const json& j, const std::string& path) {
  if (!j.is_string()) fail(path, std::string("expected a string, got ") + j.type_name());
  return j.get<std::string>();
}

bool read_bool(const json& j, const std::string& path) {
  if (!j.is_boolean()) fail(path, std::string("expected true or false, got ") + j.type_name());
  return j.get<bool>();
}

bool parse_uint_text(std::string_view text, std::uint64_t& value, bool& overflow) {
  overflow = false;
  value = 0;
  unsigned base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
    base = 2;
    text.remove_prefix(2);
  }
  bool any_digit = false;
  char previous = '_';
  for (char c : text) {
    if (c == '_') {
      if (previous == '_') return false;  // no leading or doubled separators
      previous = c;
      continue;
    }
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a') + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A') + 10;
    } else {
      return false;
    }
    if (digit >= base) return false;
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / base) overflow = true;
    value = value * base + digit;
    any_digit = true;
    previous = c;
  }
  return any_digit && previous != '_' && !overflow;
}

namespace {

// The value and its spelling as the user wrote it (echoed in range errors).
struct Number {
  std::uint64_t value = 0;
  bool too_big = false;  // beyond 64 bits
  std::string text;
};

Number read_number(const json& j, const std::string& path) {
  Number n;
  if (j.is_number_unsigned()) {
    n.value = j.get<std::uint64_t>();
    n.text = std::to_string(n.value);
  } else if (j.is_number_integer()) {
    fail(path, std::to_string(j.get<std::int64_t>()) + " is negative");
  } else if (j.is_number_float()) {
    // nlohmann parses integers beyond 64 bits as floats too; either way it is not a register value.
    fail(path, j.dump() + " is not an integer (or does not fit in 64 bits)");
  } else if (j.is_string()) {
    n.text = j.get<std::string>();
    if (!parse_uint_text(n.text, n.value, n.too_big) && !n.too_big) {
      fail(path, "\"" + n.text + "\" is not a number (decimal, 0x hex or 0b binary)");
    }
  } else {
    fail(path, std::string("expected an integer or a string holding one, got ") + j.type_name());
  }
  return n;
}

}  // namespace

std::uint64_t read_uint(const json& j, const std::string& path, unsigned bits) {
  const Number n = read_number(j, path);
  if (n.too_big || (bits < 64 && (n.value >> bits) != 0)) {
    fail(path, n.text + " does not fit in " + std::to_string(bits) + " bits");
  }
  return n.value;
}

std::uint64_t read_uint_in(const json& j, const std::string& path, std::uint64_t lo, std::uint64_t hi) {
  const Number n = read_number(j, path);
  if (n.too_big || n.value < lo || n.value > hi) {
    fail(path, "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + n.text);
  }
  return n.value;
}

}  // namespace bulkhead::cli::decide
