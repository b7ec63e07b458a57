// Capstone behind a per-address cache: each distinct instruction is disassembled once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "bulkhead/core/types.hpp"

namespace bulkhead::trace {

class Disassembler {
 public:
  // Arm: Thumb + M-class. RISC-V: Capstone 4.0.2 has no RISC-V support, so the text is the raw encoding as
  // an assembler directive (.2byte / .4byte).
  explicit Disassembler(Arch arch);
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // The disassembly of `bytes` at `pc`. `fresh` is set when this pc had not been seen with this encoding
  // (first execution, or code that changed since).
  const std::string& text(std::uint32_t pc, std::span<const std::uint8_t> bytes, bool& fresh);
  bool has_disassembler() const { return handle_ != 0; }

 private:
  std::string decode(std::uint32_t pc, std::span<const std::uint8_t> bytes);

  Arch arch_;
  std::size_t handle_ = 0;  // csh
  struct Entry {
    std::uint32_t word = 0;
    std::uint32_t size = 0;
    std::string text;
  };
  std::unordered_map<std::uint32_t, Entry> cache_;  // nodes never move: the slots below point into it
  // A direct-mapped front for the hot loop: a hash look-up per instruction cost as much as the rest of the
  // compact writer.
  struct Slot {
    std::uint32_t pc = 1;  // no instruction is at an odd address on Thumb; RISC-V parcels are 2-aligned too
    Entry* entry = nullptr;
  };
  static constexpr std::size_t kSlots = 8192;  // a power of two
  std::vector<Slot> slots_ = std::vector<Slot>(kSlots);
};

}  // namespace bulkhead::trace
