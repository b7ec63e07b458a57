// Placement of regions given only a size, as Hubris does at build time: each gets the shape one region/entry
// can grant (PMSAv7: a 2^n block, rounded to whole subregions from 256 bytes; PMSAv8: 32-byte granules; PMP:
// a NAPOT block), the largest alignments go first to keep holes small, first fit in the region's memory.
#include <algorithm>
#include <cstdio>

#include "bulkhead/core/log.hpp"
#include "check_internal.hpp"
#include "encode_internal.hpp"

namespace bulkhead::layout::detail {
namespace {

struct Shape {
  std::uint64_t size = 0;
  std::uint64_t align = 0;
};

Shape shape_for(const UnitConfig& unit, std::uint64_t size) {
  switch (unit.arch) {
    case Arch::ArmV7M: {
      const std::uint64_t s =
          std::max<std::uint64_t>(pow2_ceil(size), std::max<std::uint32_t>(unit.v7.min_region_size, 32));
      if (s < 256) return {s, s};
      const std::uint64_t sub = s / 8;  // B3.5.9: the unused top eighths are disabled, left to others
      return {(size + sub - 1) / sub * sub, s};
    }
    case Arch::ArmV8M:
      return {(size + 31) / 32 * 32, 32};  // D1.2: RBAR.BASE / RLAR.LIMIT granules
    case Arch::Rv32: {
      const std::uint64_t grain = granule(unit);
      if (unit.pmp.granularity == 0 && size <= 4) return {4, 4};  // NA4
      const std::uint64_t s = std::max<std::uint64_t>(pow2_ceil(size), std::max<std::uint64_t>(grain, 8));
      return {s, s};  // NAPOT
    }
  }
  return {size, 1};
}

const Memory* default_memory(const Layout& layout, RegionKind kind) {
  const MemoryKind want = kind == RegionKind::Code ? MemoryKind::Flash : MemoryKind::Ram;
  for (const Memory& m : layout.target.memories) {
    if (m.kind == want) return &m;
  }
  if (kind == RegionKind::Code) {
    for (const Memory& m : layout.target.memories) {
      if (m.kind == MemoryKind::Ram) return &m;
    }
  }
  return nullptr;
}

}  // namespace

void place_regions(Context& ctx) {
  const Layout& layout = ctx.layout;
  std::vector<AddressRange> taken;
  for (const ReservedRegion& k : layout.target.reserved) {
    if (k.range) taken.push_back(*k.range);
  }
  struct Todo {
    std::size_t partition;
    std::size_t region;
    const Memory* memory;
    Shape shape;
  };
  std::vector<Todo> todo;
  for (std::size_t p = 0; p < layout.partitions.size(); ++p) {
    const Partition& part = layout.partitions[p];
    CompiledPartition cp;
    cp.name = part.name;
    cp.elf = part.elf_path.string();
    for (std::size_t r = 0; r < part.regions.size(); ++r) {
      const Region& reg = part.regions[r];
      PlacedRegion pr{reg.name, reg.kind,  reg.access, {reg.base.value_or(0), reg.size},
                      reg.size, !reg.base, reg.pos};
      cp.regions.push_back(pr);
      if (reg.base) {
        taken.push_back(pr.range);
        continue;
      }
      const std::string named = "partition `" + part.name + "`: region `" + reg.name + "`";
      const Memory* mem = nullptr;
      if (!reg.memory.empty()) {
        for (const Memory& m : layout.target.memories) {
          if (m.name == reg.memory) mem = &m;
        }
        if (mem == nullptr) {
          ctx.error("memory", part.name, reg.name, reg.pos,
                    named + ": memory `" + reg.memory + "` is not declared in [[target.memory]]");
          continue;
        }
      } else if (reg.kind == RegionKind::Peripheral) {
        ctx.error(
            "placement", part.name, reg.name, reg.pos,
            named + ": a peripheral region needs a `base` (peripherals are where the hardware put them)");
        continue;
      } else {
        mem = default_memory(layout, reg.kind);
        if (mem == nullptr) {
          ctx.error("placement", part.name, reg.name, reg.pos,
                    named + " has no `base` and the target declares no " +
                        (reg.kind == RegionKind::Code ? "flash or ram" : "ram") + " memory to place it in");
          continue;
        }
      }
      todo.push_back({p, r, mem, shape_for(layout.target.unit, reg.size)});
    }
    ctx.result.partitions.push_back(std::move(cp));
  }

  std::stable_sort(todo.begin(), todo.end(), [](const Todo& a, const Todo& b) {
    if (a.shape.align != b.shape.align) return a.shape.align > b.shape.align;
    return a.shape.size > b.shape.size;
  });
  for (const Todo& t : todo) {
    PlacedRegion& pr = ctx.result.partitions[t.partition].regions[t.region];
    const AddressRange mem = t.memory->range;
    // Free blocks of the memory: its range minus everything taken, in address order.
    std::vector<AddressRange> busy;
    for (const AddressRange& r : taken) {
      if (r.overlaps(mem)) busy.push_back(r);
    }
    std::sort(busy.begin(), busy.end(),
              [](const AddressRange& a, const AddressRange& b) { return a.base < b.base; });
    std::optional<std::uint64_t> found;
    std::uint64_t largest = 0;
    std::uint64_t at = mem.base;
    auto try_gap = [&](std::uint64_t lo, std::uint64_t hi) {
      if (found || hi <= lo) return;
      largest = std::max(largest, hi - lo);
      const std::uint64_t a = (lo + t.shape.align - 1) / t.shape.align * t.shape.align;
      if (a + t.shape.size <= hi) found = a;
    };
    for (const AddressRange& b : busy) {
      try_gap(at, std::min(b.base, mem.end()));
      at = std::max(at, b.end());
    }
    try_gap(at, mem.end());
    const std::string& pname = ctx.result.partitions[t.partition].name;
    if (!found) {
      char buf[200];
      std::snprintf(buf, sizeof buf, " (0x%llx bytes aligned to 0x%llx) does not fit in memory `%s` %s",
                    static_cast<unsigned long long>(t.shape.size),
                    static_cast<unsigned long long>(t.shape.align), t.memory->name.c_str(),
                    range_text(mem).c_str());
      ctx.error("placement", pname, pr.name, pr.pos,
                "partition `" + pname + "`: region `" + pr.name + "` of " + hex(pr.requested_size) + buf +
                    "; largest free block " + hex(largest));
      pr.range = {0, 0};
      continue;
    }
    pr.range = {*found, t.shape.size};
    taken.push_back(pr.range);
    log::get("layout")->debug("placed {} {} at {}", pname, pr.name, range_text(pr.range));
  }
}

}  // namespace bulkhead::layout::detail
