// Reports: the entry table as RegionInfo rows.
#include <cstdio>

#include "bulkhead/pmp/riscv_pmp.hpp"
#include "decode.hpp"

namespace bulkhead::pmp {
namespace {

std::string hex(std::uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

// "pmp3 NAPOT 0x80000000+0x1000 r-x L": index, mode, range, the pmpcfg R/W/X bits, L when locked.
std::string describe(unsigned index, const PmpEntry& e) {
  std::string s = "pmp" + std::to_string(index) + " " + std::string(detail::to_string(e.mode));
  if (e.mode != AddressMatching::Off) {
    s += e.range.empty() ? std::string(" (matches nothing)")
                         : " " + hex(e.range.base) + "+" + hex(e.range.size);
  }
  s += " " + to_string(static_cast<Perms>(e.cfg & pmpcfg::RWX));
  if (e.locked()) s += " L";
  return s;
}

}  // namespace

std::vector<RegionInfo> RiscvPmp::regions() const {
  ensure_decoded();
  std::vector<RegionInfo> rows;
  rows.reserve(table_.size());
  for (std::size_t i = 0; i < table_.size(); ++i) {
    const PmpEntry& e = table_[i];
    RegionInfo r;
    r.index = static_cast<int>(i);
    r.enabled = !e.range.empty();
    r.range = e.range;
    r.privileged = e.machine;
    r.unprivileged = e.user;
    r.description = describe(static_cast<unsigned>(i), e);
    if (mml()) r.description += " (MML)";
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace bulkhead::pmp
