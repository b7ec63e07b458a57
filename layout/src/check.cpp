// check_layout: placement, validation, compilation, and the isolation proof read back through the models.
#include "bulkhead/layout/check.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "bulkhead/core/log.hpp"
#include "check_internal.hpp"

namespace bulkhead::layout {
namespace detail {

void Context::error(std::string code, const std::string& partition, const std::string& region, SourcePos pos,
                    std::string message) {
  log::get("layout")->debug("{}: {}", code, message);
  result.diagnostics.push_back(
      {Severity::Error, std::move(code), partition, region, pos.line, std::move(message)});
}

void Context::warning(std::string code, const std::string& partition, const std::string& region,
                      SourcePos pos, std::string message) {
  result.diagnostics.push_back(
      {Severity::Warning, std::move(code), partition, region, pos.line, std::move(message)});
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string range_text(AddressRange r) {
  return hex(r.base) + "+" + hex(r.size);
}

std::string region_text(const std::string& partition, const PlacedRegion& r) {
  return "partition `" + partition + "`: region `" + r.name + "` " + range_text(r.range);
}

namespace {

std::string unit_text(const Context& ctx, int n) {
  return std::to_string(n) + (ctx.layout.target.unit.arch == Arch::Rv32
                                  ? (n == 1 ? " PMP entry" : " PMP entries")
                                  : (n == 1 ? " MPU region" : " MPU regions"));
}

// Why one range costs more than one region/entry, and the nearest range that would not.
std::string shape_hint(const Context& ctx, AddressRange r, int cost) {
  const UnitConfig& unit = ctx.layout.target.unit;
  const AddressRange near = nearest_single_region(unit, r);
  std::string why;
  const bool pow2 = (r.size & (r.size - 1)) == 0;
  if (unit.arch == Arch::ArmV8M) {
    why = "is not on 32-byte granules";
  } else if (!pow2) {
    why = "is not a power of two";
  } else {
    why = "is not aligned to its size";
  }
  return range_text(r) + " " + why + " on " + ctx.arch() + " and takes " + unit_text(ctx, cost) +
         "; nearest encodable as one: " + range_text(near);
}

// Names the region (or share) behind a grant index of a partition.
struct GrantName {
  std::string region;
  SourcePos pos;
};

}  // namespace

void compile_partitions(Context& ctx) {
  const UnitConfig& unit = ctx.layout.target.unit;
  std::vector<int> slots;
  std::set<int> reserved;
  for (const ReservedRegion& k : ctx.layout.target.reserved) reserved.insert(k.slot);
  for (int s = 0; s < unit.slots(); ++s) {
    if (!reserved.count(s)) slots.push_back(s);
  }

  std::vector<KernelRegion> kernel;
  std::vector<const ReservedRegion*> kernel_src;
  for (const ReservedRegion& k : ctx.layout.target.reserved) {
    if (!k.range) continue;
    kernel.push_back({k.slot, *k.range, k.privileged});
    kernel_src.push_back(&k);
  }
  EncodeResult kr = encode_kernel(unit, kernel);
  if (kr.encoding) {
    ctx.result.kernel = std::move(kr.encoding);
  } else {
    const ReservedRegion& k = *kernel_src[static_cast<std::size_t>(kr.failure.grant)];
    ctx.error("reserved", "", k.name, k.pos,
              "kernel region `" + k.name + "` " + range_text(*k.range) + " " + kr.failure.message);
  }

  std::string reserved_names;
  for (const ReservedRegion& k : ctx.layout.target.reserved) {
    reserved_names += (reserved_names.empty() ? "`" : ", `") + k.name + "`";
  }

  for (std::size_t p = 0; p < ctx.result.partitions.size(); ++p) {
    CompiledPartition& cp = ctx.result.partitions[p];
    cp.slots = slots;
    std::vector<GrantName> names;
    for (const PlacedRegion& r : cp.regions) {
      if (r.range.empty()) continue;
      cp.grants.push_back(
          {r.range, r.access, r.kind == RegionKind::Peripheral ? MemoryAttr::Device : MemoryAttr::Normal});
      names.push_back({"region `" + r.name + "`", r.pos});
    }
    for (const ResolvedShare& s : cp.shares) {
      cp.grants.push_back({s.range, s.access, MemoryAttr::Normal});
      names.push_back({"share `" + s.partition + "." + s.region + "`", {}});
    }
    // Overlapping grants inside one partition are already errors; do not encode a layout that has them.
    const bool overlapping =
        std::any_of(ctx.result.diagnostics.begin(), ctx.result.diagnostics.end(), [&](const Diagnostic& d) {
          return d.severity == Severity::Error && d.code == "overlap" && d.partition == cp.name &&
                 d.message.find("overlaps its region") != std::string::npos;
        });
    if (overlapping) continue;
    cp.needed = regions_needed(unit, cp.grants);
    EncodeResult er = encode(unit, cp.grants, slots);
    if (er.encoding) {
      cp.encoding = std::move(er.encoding);
      continue;
    }
    const EncodeFailure& f = er.failure;
    const std::string prefix = "partition `" + cp.name + "`: ";
    if (f.kind == EncodeFailureKind::Budget) {
      std::string hints;
      std::string first_region;
      SourcePos first_pos = ctx.layout.partitions[p].pos;
      for (std::size_t g = 0; g < cp.grants.size(); ++g) {
        const Grant one[] = {cp.grants[g]};
        const int cost = regions_needed(unit, one);
        if (cost <= 1) continue;
        hints += "; " + names[g].region + " " + shape_hint(ctx, cp.grants[g].range, cost);
        if (first_region.empty()) {
          first_region = names[g].region.substr(names[g].region.find('`') + 1);
          first_region.pop_back();
          first_pos = names[g].pos;
        }
      }
      ctx.error("budget", cp.name, first_region, first_pos,
                prefix + "needs " + unit_text(ctx, f.needed) + " on " + ctx.arch() + " but " +
                    std::to_string(slots.size()) + " are free (" + std::to_string(unit.slots()) + " in all" +
                    (reserved_names.empty() ? std::string() : ", the kernel keeps " + reserved_names) + ")" +
                    hints);
      continue;
    }
    const std::size_t g = static_cast<std::size_t>(std::max(f.grant, 0));
    const std::string who = g < names.size() ? names[g].region : std::string("a region");
    const SourcePos pos = g < names.size() ? names[g].pos : SourcePos{};
    std::string region = who.substr(who.find('`') + 1);
    if (!region.empty()) region.pop_back();
    std::string msg = prefix + who + (g < cp.grants.size() ? " " + range_text(cp.grants[g].range) : "") +
                      " cannot be encoded on " + ctx.arch() + ": " + f.message;
    if (f.kind == EncodeFailureKind::Misaligned && g < cp.grants.size()) {
      const std::uint64_t gr = granule(unit);
      const AddressRange r = cp.grants[g].range;
      const std::uint64_t lo = r.base / gr * gr;
      const std::uint64_t hi = (r.end() + gr - 1) / gr * gr;
      msg += "; nearest encodable: " + range_text({lo, hi - lo});
      const std::uint64_t ilo = (r.base + gr - 1) / gr * gr;
      const std::uint64_t ihi = r.end() / gr * gr;
      if (ihi > ilo) msg += " or " + range_text({ilo, ihi - ilo});
    }
    ctx.error("encoding", cp.name, region, pos, msg);
  }
}

void prove_isolation(Context& ctx) {
  auto& parts = ctx.result.partitions;
  const int n = static_cast<int>(parts.size());
  for (const CompiledPartition& cp : parts) {
    if (!cp.encoding) return;  // nothing to prove until every partition compiles
  }
  constexpr std::uint64_t kSpace = std::uint64_t{1} << 32;
  for (int a = 0; a < n; ++a) {
    const auto unit = programmed_unit(ctx.result, a);
    const std::vector<MapPiece> map = effective_map(*unit, {0, kSpace}, Privilege::Unprivileged);
    // What the layout says `a` gets, byte by byte.
    std::vector<Grant> want = parts[static_cast<std::size_t>(a)].grants;
    std::sort(want.begin(), want.end(),
              [](const Grant& x, const Grant& y) { return x.range.base < y.range.base; });
    auto wanted = [&](std::uint64_t addr) {
      for (const Grant& g : want) {
        if (g.range.contains(addr)) return g.perms;
      }
      return Perms::None;
    };
    // Compare at every edge of either map.
    std::vector<std::uint64_t> edges{0, kSpace};
    for (const MapPiece& m : map) edges.push_back(m.range.base);
    for (const Grant& g : want) {
      edges.push_back(g.range.base);
      edges.push_back(g.range.end());
    }
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
    std::size_t m = 0;
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      while (m + 1 < map.size() && map[m].range.end() <= edges[i]) ++m;
      const Perms got = map[m].perms;
      const Perms expect = wanted(edges[i]);
      if (got == expect) continue;
      const std::string& name = parts[static_cast<std::size_t>(a)].name;
      ctx.error("isolation", name, "", {},
                "partition `" + name + "`: its compiled programming grants " + to_string(got) + " at " +
                    range_text({edges[i], edges[i + 1] - edges[i]}) + " where the layout grants " +
                    to_string(expect) + " (read back through the " + std::string(unit->name()) + " model)");
    }
    for (int b = 0; b < n; ++b) {
      IsolationCell cell;
      cell.from = a;
      cell.to = b;
      for (const PlacedRegion& r : parts[static_cast<std::size_t>(b)].regions) {
        for (const MapPiece& piece : map) {
          if (!piece.range.overlaps(r.range) || piece.perms == Perms::None) continue;
          const std::uint64_t lo = std::max(piece.range.base, r.range.base);
          const std::uint64_t hi = std::min(piece.range.end(), r.range.end());
          cell.parts.push_back({r.name, {lo, hi - lo}, piece.perms});
          cell.perms |= piece.perms;
        }
      }
      ctx.result.matrix.push_back(std::move(cell));
    }
  }
}

}  // namespace detail

bool CheckResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(),
                      [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

std::uint64_t CheckResult::padding() const {
  std::uint64_t total = 0;
  for (const CompiledPartition& p : partitions) {
    for (const PlacedRegion& r : p.regions) total += r.placed && !r.range.empty() ? r.padding() : 0;
  }
  return total;
}

const IsolationCell* CheckResult::cell(int from, int to) const {
  const auto n = static_cast<int>(partitions.size());
  const auto i = static_cast<std::size_t>(from * n + to);
  return i < matrix.size() ? &matrix[i] : nullptr;
}

CheckResult check_layout(const Layout& layout) {
  CheckResult result;
  result.layout = layout;
  detail::Context ctx(result.layout, result);
  detail::place_regions(ctx);
  detail::validate(ctx);
  detail::compile_partitions(ctx);
  detail::prove_isolation(ctx);
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.severity < b.severity;  // errors first, each group in check order
                   });
  return result;
}

std::vector<Diagnostic> prove_isolation(CheckResult& result) {
  result.matrix.clear();
  const std::size_t before = result.diagnostics.size();
  detail::Context ctx(result.layout, result);
  detail::prove_isolation(ctx);
  return {result.diagnostics.begin() + static_cast<long>(before), result.diagnostics.end()};
}

std::unique_ptr<ProtectionUnit> programmed_unit(const CheckResult& result, int partition) {
  const auto& parts = result.partitions;
  if (partition < 0 || static_cast<std::size_t>(partition) >= parts.size()) return nullptr;
  const CompiledPartition& cp = parts[static_cast<std::size_t>(partition)];
  if (!cp.encoding) return nullptr;
  auto unit = make_unit(result.layout.target.unit);
  if (result.kernel) apply(result.kernel->programming, *unit);
  apply(cp.encoding->programming, *unit);
  return unit;
}

}  // namespace bulkhead::layout
