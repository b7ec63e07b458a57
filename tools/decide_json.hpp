// Strict readers for the `bulkhead decide` JSON dump. Every error names the JSON path (RFC 6901 pointer) of
// the offending value, because a dump is pasted by hand and the user must find the typo without a debugger.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace bulkhead::cli::decide {

using json = nlohmann::json;

// A defect in the input; what() is "PATH: message". The command turns it into exit status 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& path, const std::string& message);

// JSON pointer of a member or an element of the value at `path` ("~" and "/" escaped as RFC 6901 says).
std::string child(const std::string& path, std::string_view key);
std::string child(const std::string& path, std::size_t index);

// Fails on the first member of `object` whose name is not in `known`, listing the accepted names.
void check_fields(const json& object, const std::string& path, std::initializer_list<std::string_view> known);

// The value at `path` must be an object / array / string / boolean.
void expect_object(const json& j, const std::string& path);
void expect_array(const json& j, const std::string& path);
std::string read_string(const json& j, const std::string& path);
bool read_bool(const json& j, const std::string& path);

// An unsigned integer given as a JSON integer or as a string: decimal, 0x hex or 0b binary, with optional
// "_" digit separators (so "0x2000_0000" can be copied from a datasheet). Fails when it exceeds `bits` bits.
std::uint64_t read_uint(const json& j, const std::string& path, unsigned bits);
// The same, limited to lo..hi (inclusive); the message states the range.
std::uint64_t read_uint_in(const json& j, const std::string& path, std::uint64_t lo, std::uint64_t hi);

// Parses the string forms above; false when `text` is not a number or exceeds 64 bits (`overflow` set).
bool parse_uint_text(std::string_view text, std::uint64_t& value, bool& overflow);

}  // namespace bulkhead::cli::decide
