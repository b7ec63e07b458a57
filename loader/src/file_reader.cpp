#include "file_reader.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include <spdlog/fmt/fmt.h>

#include "bulkhead/loader/elf.hpp"

namespace bulkhead::loader::detail {

std::vector<char> read_file_capped(const std::filesystem::path& path, std::size_t max_size) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    throw LoadError(name, ec && ec != std::errc::no_such_file_or_directory
                              ? "cannot access file: " + ec.message()
                              : std::string("no such file"));
  }
  if (std::filesystem::is_directory(status)) throw LoadError(name, "is a directory, not an ELF file");
  if (!std::filesystem::is_regular_file(status)) throw LoadError(name, "is not a regular file");

  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw LoadError(name, "cannot determine file size: " + ec.message());
  if (size > max_size) {
    throw LoadError(name, fmt::format("file is {} bytes, larger than the {} byte limit", size, max_size));
  }

  std::ifstream in(path, std::ios::binary);
  if (!in) throw LoadError(name, std::string("cannot open file: ") + std::strerror(errno));
  std::vector<char> bytes(static_cast<std::size_t>(size));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    // The file shrank under us or the read failed; either way we do not have the image.
    throw LoadError(name, fmt::format("read {} of {} bytes", in.gcount(), bytes.size()));
  }
  return bytes;
}

}  // namespace bulkhead::loader::detail
