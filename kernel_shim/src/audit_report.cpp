// The audit policy's final report (kernel_shim::audit_report).
#include <algorithm>
#include <sstream>

#include "system_internal.hpp"

namespace bulkhead::kernel_shim {

namespace {

std::string access_text(Perms p) {
  std::string s;
  if (has(p, Perms::R) || has(p, Perms::X)) s += 'r';  // execute needs read on Arm and PMP alike
  if (has(p, Perms::W)) s += 'w';
  if (has(p, Perms::X)) s += 'x';
  return s;
}

}  // namespace

std::string audit_report(const layout::CheckResult& checked, const std::vector<PartitionResult>& results) {
  // Grouping key: which partition's region (or which unclaimed 4 KiB page) an audited access touched.
  struct Group {
    std::string owner, region;  // empty owner: memory no partition claims
    AddressRange claimed;       // the region, or the span of the accesses for unclaimed memory
    Perms need = Perms::None;
    std::uint64_t lo = ~0ull, hi = 0, count = 0;
    std::vector<const AuditRecord*> records;
  };
  const std::uint64_t g =
      checked.layout.target.unit.arch == Arch::Rv32 ? 4 : 32;  // PMP NA4 / Arm MPU granule
  std::ostringstream out;
  for (const PartitionResult& pr : results) {
    if (pr.audited.empty()) continue;
    std::vector<Group> groups;
    for (const AuditRecord& r : pr.audited) {
      std::string owner, region;
      AddressRange claimed{};
      for (const auto& cp : checked.partitions)
        for (const auto& reg : cp.regions)
          if (reg.range.contains(r.address)) {
            owner = cp.name;
            region = reg.name;
            claimed = reg.range;
          }
      if (owner.empty()) {
        claimed = {r.address / kPage * kPage, kPage};
        region = hex(claimed.base);
      }
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const Group& x) { return x.owner == owner && x.region == region; });
      if (it == groups.end()) {
        groups.push_back({owner, region, claimed, Perms::None, ~0ull, 0, 0, {}});
        it = groups.end() - 1;
      }
      it->need = it->need | perm_for(r.access);
      it->lo = std::min<std::uint64_t>(it->lo, r.address);
      it->hi = std::max<std::uint64_t>(it->hi, std::uint64_t{r.address} + std::max(r.size, 1u));
      it->count += r.count;
      it->records.push_back(&r);
    }
    out << "audit: partition `" << pr.name << "`: " << pr.audited.size() << " distinct out-of-layout access"
        << (pr.audited.size() == 1 ? "" : "es") << "\n";
    for (const Group& grp : groups) {
      if (grp.owner == pr.name) {
        out << "  its own region `" << grp.region << "` " << hex(grp.claimed.base) << "+"
            << hex(grp.claimed.size) << ": needs " << access_text(grp.need) << " (" << grp.count << " time"
            << (grp.count == 1 ? "" : "s") << ")\n    smallest change: in partition `" << pr.name
            << "`, region `" << grp.region << "`: access = \"" << access_text(grp.need)
            << "\" (merged with what it has)\n";
      } else if (!grp.owner.empty()) {
        out << "  partition `" << grp.owner << "`'s region `" << grp.region << "` " << hex(grp.claimed.base)
            << "+" << hex(grp.claimed.size) << ": " << access_text(grp.need) << " (" << grp.count << " time"
            << (grp.count == 1 ? "" : "s") << ")\n    smallest change: make `" << grp.owner << "."
            << grp.region << "` kind = \"shared\" (if it is not) and give `" << pr.name
            << "` [[partition.share]] partition = \"" << grp.owner << "\", region = \"" << grp.region
            << "\", access = \"" << (has(grp.need, Perms::W) ? "rw" : "r") << "\"\n";
      } else {
        const std::uint64_t lo = grp.lo / g * g;
        const std::uint64_t hi = (grp.hi + g - 1) / g * g;
        out << "  memory no partition claims, " << hex(grp.lo) << "-" << hex(grp.hi - 1) << ": "
            << access_text(grp.need) << " (" << grp.count << " time" << (grp.count == 1 ? "" : "s")
            << ")\n    smallest change: give `" << pr.name << "` [[partition.region]] base = " << hex(lo)
            << ", size = " << hex(hi - lo) << ", access = \"" << access_text(grp.need) << "\""
            << (lo >= 0x4000'0000 && lo < 0x6000'0000 ? ", kind = \"peripheral\"" : "") << "\n";
      }
      for (const AuditRecord* r : grp.records)
        out << "      " << to_string(r->access) << " " << hex(r->address) << " size " << r->size << " at pc "
            << hex(r->pc) << " x" << r->count << "\n";
    }
  }
  return out.str();
}

}  // namespace bulkhead::kernel_shim
