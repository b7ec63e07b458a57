// The layout's rules, checked on placed regions before anything is encoded (docs/layout.md "Checks").
#include <algorithm>

#include "bulkhead/loader/elf.hpp"
#include "check_internal.hpp"

namespace bulkhead::layout::detail {
namespace {

constexpr std::uint64_t kArmSystemBase = 0xE000'0000;  // ARMv7-M B3.1: PPB and System, not MPU-controlled

void check_memories(Context& ctx, const CompiledPartition& cp) {
  const Target& t = ctx.layout.target;
  const bool any_peripheral_memory = std::any_of(
      t.memories.begin(), t.memories.end(), [](const Memory& m) { return m.kind == MemoryKind::Peripheral; });
  for (const PlacedRegion& r : cp.regions) {
    if (r.range.empty()) continue;  // placement failed, already reported
    if (ctx.layout.target.unit.arch != Arch::Rv32 && r.range.end() > kArmSystemBase) {
      ctx.error("memory", cp.name, r.name, r.pos,
                region_text(cp.name, r) +
                    " reaches 0xE0000000: the PPB and System space always use the default "
                    "map, the MPU cannot grant them (ARMv7-M B3.1)");
      continue;
    }
    if (r.kind == RegionKind::Peripheral && !any_peripheral_memory) {
      ctx.error("peripheral", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " is a peripheral, but the target declares no peripheral memory");
      continue;
    }
    if (t.memories.empty()) continue;
    const Memory* inside = nullptr;
    for (const Memory& m : t.memories) {
      if (m.range.contains(r.range)) inside = &m;
    }
    if (inside == nullptr) {
      ctx.error(r.kind == RegionKind::Peripheral ? "peripheral" : "memory", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " is not inside any memory the target declares");
      continue;
    }
    const bool is_peripheral = r.kind == RegionKind::Peripheral;
    if (is_peripheral != (inside->kind == MemoryKind::Peripheral)) {
      ctx.error("peripheral", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " (" + std::string(to_string(r.kind)) + ") lies in " +
                    std::string(to_string(inside->kind)) + " memory `" + inside->name + "`" +
                    (is_peripheral ? ": peripherals only where the target declares peripheral memory"
                                   : ": peripheral memory only through regions of kind \"peripheral\""));
    }
  }
}

void check_wx(Context& ctx, const Partition& part, const CompiledPartition& cp) {
  for (std::size_t i = 0; i < cp.regions.size(); ++i) {
    const PlacedRegion& r = cp.regions[i];
    if (has(r.access, Perms::W | Perms::X) && !part.regions[i].allow_wx) {
      ctx.error("wx", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " is writable and executable (" + to_string(r.access) +
                    "); set allow_wx = true if that is intended");
    }
  }
}

// Shares resolve to the owner's region; a grant names where its bytes come from, for the overlap rule.
struct Source {
  int partition = -1;
  std::string region;  // the region granting the bytes
  int owner = -1;      // partition owning that region
  std::string owner_region;
  AddressRange range;
  Perms perms = Perms::None;
  bool shared = false;
  SourcePos pos;
};

std::vector<Source> resolve(Context& ctx) {
  std::vector<Source> out;
  auto& parts = ctx.result.partitions;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (const PlacedRegion& r : parts[p].regions) {
      if (r.range.empty()) continue;
      out.push_back({static_cast<int>(p), r.name, static_cast<int>(p), r.name, r.range, r.access,
                     r.kind == RegionKind::Shared, r.pos});
    }
    for (const Share& s : ctx.layout.partitions[p].shares) {
      const std::string named =
          "partition `" + parts[p].name + "`: share of `" + s.partition + "." + s.region + "`";
      auto owner = std::find_if(parts.begin(), parts.end(),
                                [&](const CompiledPartition& c) { return c.name == s.partition; });
      if (owner == parts.end()) {
        ctx.error("share", parts[p].name, s.region, s.pos,
                  named + ": there is no partition `" + s.partition + "`");
        continue;
      }
      if (owner - parts.begin() == static_cast<long>(p)) {
        ctx.error("share", parts[p].name, s.region, s.pos,
                  named + ": a partition cannot share its own region with itself");
        continue;
      }
      auto reg = std::find_if(owner->regions.begin(), owner->regions.end(),
                              [&](const PlacedRegion& r) { return r.name == s.region; });
      if (reg == owner->regions.end()) {
        ctx.error("share", parts[p].name, s.region, s.pos,
                  named + ": partition `" + s.partition + "` has no region `" + s.region + "`");
        continue;
      }
      if (reg->kind != RegionKind::Shared) {
        ctx.error("share", parts[p].name, s.region, s.pos,
                  named + ": region `" + s.region + "` of partition `" + s.partition + "` is " +
                      std::string(to_string(reg->kind)) + ", not kind \"shared\"");
        continue;
      }
      if (reg->range.empty()) continue;
      parts[p].shares.push_back({s.partition, s.region, reg->range, s.access});
      out.push_back({static_cast<int>(p), s.partition + "." + s.region,
                     static_cast<int>(owner - parts.begin()), s.region, reg->range, s.access, true, s.pos});
    }
  }
  return out;
}

void check_overlaps(Context& ctx, const std::vector<Source>& sources) {
  auto& parts = ctx.result.partitions;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    for (std::size_t j = i + 1; j < sources.size(); ++j) {
      const Source& a = sources[i];
      const Source& b = sources[j];
      if (!a.range.overlaps(b.range)) continue;
      const std::uint64_t lo = std::max(a.range.base, b.range.base);
      const std::uint64_t hi = std::min(a.range.end(), b.range.end());
      const std::string where = range_text({lo, hi - lo});
      const std::string& pa = parts[static_cast<std::size_t>(a.partition)].name;
      const std::string& pb = parts[static_cast<std::size_t>(b.partition)].name;
      if (a.partition == b.partition) {
        ctx.error("overlap", pa, b.region, b.pos,
                  "partition `" + pa + "`: region `" + b.region + "` " + range_text(b.range) +
                      " overlaps its region `" + a.region + "` " + range_text(a.range) + " at " + where);
        continue;
      }
      const bool same_shared = a.shared && b.shared && a.owner == b.owner && a.owner_region == b.owner_region;
      if (same_shared) continue;
      const bool writable = has(a.perms, Perms::W) || has(b.perms, Perms::W);
      const std::string msg = "partition `" + pb + "`: region `" + b.region + "` " + range_text(b.range) +
                              " overlaps partition `" + pa + "`'s region `" + a.region + "` " +
                              range_text(a.range) + " at " + where;
      if (writable) {
        ctx.error("overlap", pb, b.region, b.pos,
                  msg + ", writable by " + (has(a.perms, Perms::W) ? "`" + pa + "`" : "`" + pb + "`") +
                      " (only a region of kind \"shared\" and its [[partition.share]] grants may overlap)");
      } else {
        ctx.warning("overlap", pb, b.region, b.pos,
                    msg + " (read-only on both sides; declare a shared region)");
      }
    }
  }
}

void check_kernel_ranges(Context& ctx) {
  for (const ReservedRegion& k : ctx.layout.target.reserved) {
    if (!k.range) continue;
    for (const CompiledPartition& cp : ctx.result.partitions) {
      for (const PlacedRegion& r : cp.regions) {
        if (r.range.empty() || r.placed || !r.range.overlaps(*k.range)) continue;
        ctx.error("reserved", cp.name, r.name, r.pos,
                  region_text(cp.name, r) + " overlaps the kernel's reserved region `" + k.name + "` " +
                      range_text(*k.range));
      }
    }
  }
}

// Is [lo, hi) covered by the partition's code/data/stack regions that grant at least `need`?
std::optional<AddressRange> uncovered(const CompiledPartition& cp, AddressRange seg, Perms need) {
  std::vector<AddressRange> ok;
  for (const PlacedRegion& r : cp.regions) {
    const bool memory =
        r.kind == RegionKind::Code || r.kind == RegionKind::Data || r.kind == RegionKind::Stack;
    if (memory && has(r.access, need) && !r.range.empty()) ok.push_back(r.range);
  }
  std::sort(ok.begin(), ok.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.base < b.base; });
  std::uint64_t at = seg.base;
  for (const AddressRange& r : ok) {
    if (r.base > at) break;
    at = std::max(at, r.end());
    if (at >= seg.end()) return std::nullopt;
  }
  if (at >= seg.end()) return std::nullopt;
  // The first uncovered byte up to the next covering region (or the segment end).
  std::uint64_t stop = seg.end();
  for (const AddressRange& r : ok) {
    if (r.base > at) stop = std::min(stop, r.base);
  }
  return AddressRange{at, stop - at};
}

void check_elf(Context& ctx, const Partition& part, const CompiledPartition& cp) {
  if (part.elf.empty() || part.abi == Abi::Tock) return;  // a TBF: placed and checked when parsed
  loader::Image image;
  try {
    image = loader::load_elf(part.elf_path);
  } catch (const loader::LoadError& e) {
    ctx.error("elf", cp.name, "", part.pos, "partition `" + cp.name + "`: module " + e.what());
    return;
  }
  const Arch arch = ctx.layout.target.unit.arch;
  // An ARMv7-M image runs on ARMv8-M Mainline; the other way round it may not.
  const bool fits = image.arch == arch || (arch == Arch::ArmV8M && image.arch == Arch::ArmV7M);
  if (!fits) {
    ctx.error("elf", cp.name, "", part.pos,
              "partition `" + cp.name + "`: module " + part.elf + " is built for " +
                  std::string(target_name(image.arch)) + ", the target is " + ctx.arch());
    return;
  }
  std::optional<std::uint64_t> stack_top;
  for (std::size_t i = 0; i < image.segments.size(); ++i) {
    const loader::Segment& s = image.segments[i];
    if (s.memsz == 0) continue;
    const Perms need = s.perms & Perms::RWX;
    if (has(s.perms, Perms::W)) stack_top = s.range().end();
    if (const auto gap = uncovered(cp, s.range(), need)) {
      ctx.error("elf", cp.name, "", part.pos,
                "partition `" + cp.name + "`: module " + part.elf + " segment " + std::to_string(i) + " " +
                    range_text(s.range()) + " (" + to_string(need) +
                    ") is not inside the partition's code/data/stack "
                    "regions granting " +
                    to_string(need) + ": " + range_text(*gap) + " is not covered");
    }
  }
  // module.ld puts .stack last in the writable segment: the initial stack pointer is that segment's end.
  for (const PlacedRegion& r : cp.regions) {
    if (r.kind != RegionKind::Stack || r.range.empty()) continue;
    if (!stack_top) {
      ctx.error(
          "stack", cp.name, r.name, r.pos,
          region_text(cp.name, r) + ": module " + part.elf + " has no writable segment to hold a stack");
    } else if (!(*stack_top > r.range.base && *stack_top <= r.range.end())) {
      ctx.error("stack", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " does not hold the module's stack: its initial stack pointer is " +
                    hex(*stack_top) + " (the end of " + part.elf + "'s writable segment)");
    }
    if (!has(r.access, Perms::RW)) {
      ctx.error("stack", cp.name, r.name, r.pos,
                region_text(cp.name, r) + " is a stack but not rw (" + to_string(r.access) + ")");
    }
  }
}

}  // namespace

void validate(Context& ctx) {
  for (std::size_t p = 0; p < ctx.layout.partitions.size(); ++p) {
    const Partition& part = ctx.layout.partitions[p];
    const CompiledPartition& cp = ctx.result.partitions[p];
    check_memories(ctx, cp);
    check_wx(ctx, part, cp);
  }
  const std::vector<Source> sources = resolve(ctx);
  check_overlaps(ctx, sources);
  check_kernel_ranges(ctx);
  for (std::size_t p = 0; p < ctx.layout.partitions.size(); ++p) {
    check_elf(ctx, ctx.layout.partitions[p], ctx.result.partitions[p]);
  }
}

}  // namespace bulkhead::layout::detail
