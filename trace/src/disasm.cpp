#include "disasm.hpp"

#include <capstone/capstone.h>

#include <cstdio>
#include <cstring>

namespace bulkhead::trace {

Disassembler::Disassembler(Arch arch) : arch_(arch) {
  if (arch == Arch::Rv32) return;  // Capstone 4.0.2 has no RISC-V (added in 5.0)
  csh h = 0;
  if (cs_open(CS_ARCH_ARM, static_cast<cs_mode>(CS_MODE_THUMB | CS_MODE_MCLASS), &h) == CS_ERR_OK)
    handle_ = h;
}

Disassembler::~Disassembler() {
  if (handle_ != 0) {
    csh h = handle_;
    cs_close(&h);
  }
}

const std::string& Disassembler::text(std::uint32_t pc, std::span<const std::uint8_t> bytes, bool& fresh) {
  std::uint32_t word = 0;
  std::memcpy(&word, bytes.data(), std::min<std::size_t>(bytes.size(), sizeof word));
  const auto size = static_cast<std::uint32_t>(bytes.size());
  Slot& slot = slots_[(pc >> 1) & (kSlots - 1)];
  if (slot.pc != pc) {
    auto [it, inserted] = cache_.try_emplace(pc);
    slot = {pc, &it->second};
    if (inserted) {
      fresh = true;
      *slot.entry = {word, size, decode(pc, bytes)};
      return slot.entry->text;
    }
  }
  Entry& e = *slot.entry;
  fresh = e.word != word || e.size != size;
  if (fresh) e = {word, size, decode(pc, bytes)};
  return e.text;
}

std::string Disassembler::decode(std::uint32_t pc, std::span<const std::uint8_t> bytes) {
  char buf[32];
  if (bytes.empty()) return "(unreadable)";
  if (handle_ != 0) {
    cs_insn* insn = nullptr;
    const std::size_t n = cs_disasm(handle_, bytes.data(), bytes.size(), pc, 1, &insn);
    if (n == 1) {
      std::string s = insn[0].mnemonic;
      if (insn[0].op_str[0] != '\0') {
        s += ' ';
        s += insn[0].op_str;
      }
      cs_free(insn, n);
      return s;
    }
  }
  // No disassembler for this architecture, or an encoding Capstone does not know: the raw encoding.
  std::uint32_t word = 0;
  std::memcpy(&word, bytes.data(), std::min<std::size_t>(bytes.size(), sizeof word));
  if (bytes.size() == 2)
    std::snprintf(buf, sizeof buf, ".2byte 0x%04x", static_cast<unsigned>(word));
  else
    std::snprintf(buf, sizeof buf, ".4byte 0x%08x", static_cast<unsigned>(word));
  return arch_ == Arch::Rv32 ? std::string(buf) : std::string(buf) + " (unknown to capstone)";
}

}  // namespace bulkhead::trace
