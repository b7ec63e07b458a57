// Sharding for CI fleets: N machines each run every N-th case. Bazel's convention (TEST_TOTAL_SHARDS,
// TEST_SHARD_INDEX, 0-based; touch TEST_SHARD_STATUS_FILE to say sharding is supported) and `--shard I/N`
// (1-based, as GitLab's CI_NODE_INDEX/CI_NODE_TOTAL and most runners' --shard flags). Case k of the selected
// list (after --filter, in suite order) runs in shard k mod N: every case in exactly one shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulkhead::testing {

struct Shard {
  std::uint32_t index = 0;  // 0-based
  std::uint32_t total = 1;
  bool operator==(const Shard&) const = default;
};

// "I/N" with 1 <= I <= N. Throws std::invalid_argument with a message naming the text.
Shard parse_shard(std::string_view text);

// From TEST_TOTAL_SHARDS and TEST_SHARD_INDEX (either may be null: no sharding). Throws
// std::invalid_argument for values that are not numbers or an index out of range.
std::optional<Shard> shard_from_env(const char* total, const char* index);

inline bool in_shard(std::size_t position, Shard s) {
  return position % s.total == s.index;
}

// "I/N" (1-based), for messages.
std::string to_string(Shard s);

}  // namespace bulkhead::testing
