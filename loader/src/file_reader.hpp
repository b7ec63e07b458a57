// Reading a whole image file into memory with a size cap.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

namespace bulkhead::loader::detail {

// The file's bytes. Throws LoadError naming the file when it is missing, not a regular file (a directory,
// a FIFO that could block forever...), unreadable, or larger than `max_size`.
std::vector<char> read_file_capped(const std::filesystem::path& path, std::size_t max_size);

}  // namespace bulkhead::loader::detail
