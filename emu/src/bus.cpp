// The checked bus: every guest fetch, load and store is decided by the protection unit (docs/design.md,
// "The checked bus").
//
// - A page one rule decides (ProtectionUnit::uniform_perms) is granted at TLB fill with exactly those
//   permissions and costs nothing afterwards. A denied access to it is refused at TLB fill, which Unicorn
//   makes precise: PC at the instruction, registers and memory as before it (unicorn-facts).
// - A page a rule edge splits is aliased to an MMIO window: every access to it calls alias_read/alias_write
//   with its exact guest address and size, and the unit decides it. A code hook over all code (installed
//   when the first split page appears; code_hooks.cpp) makes PC exact there; a denial stops the engine inside
//   the access, before the instruction completes (pinned in tests/emu/unicorn_facts_test.cpp).
// - Any denial is then replayed once, alone, with temporary memory hooks that see the instruction's own
//   accesses in order (probe_protection_fault in fault_probe.cpp): the first denied beat is the fault.
#include <bit>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine_impl.hpp"

namespace bulkhead::emu {

static_assert(std::endian::native == std::endian::little,
              "the alias window copies guest words as host words");

void HostFree::operator()(std::uint8_t* p) const noexcept {
  std::free(p);
}

namespace {

uc_prot uc_perms(Perms p) {
  int out = UC_PROT_NONE;
  if (has(p, Perms::R)) out |= UC_PROT_READ;
  if (has(p, Perms::W)) out |= UC_PROT_WRITE;
  if (has(p, Perms::X)) out |= UC_PROT_EXEC;
  return static_cast<uc_prot>(out);
}

constexpr uc_prot kReadWrite = static_cast<uc_prot>(UC_PROT_READ | UC_PROT_WRITE);

// ---- MMIO alias window: the split pages ----

// A guest load of 1, 2, 4 or 8 bytes from host memory (fixed-size copies compile to single moves; a copy of
// a runtime size was a library call on every split-page load).
std::uint64_t load_le(const std::uint8_t* p, unsigned size) {
  switch (size) {
    case 1:
      return *p;
    case 2: {
      std::uint16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      std::uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      std::uint64_t v = 0;
      std::memcpy(&v, p, size < 8 ? size : 8);
      return v;
    }
  }
}

// The store twin of load_le.
void store_le(std::uint8_t* p, unsigned size, std::uint64_t value) {
  switch (size) {
    case 1:
      *p = static_cast<std::uint8_t>(value);
      return;
    case 2: {
      const auto v = static_cast<std::uint16_t>(value);
      std::memcpy(p, &v, 2);
      return;
    }
    case 4: {
      const auto v = static_cast<std::uint32_t>(value);
      std::memcpy(p, &v, 4);
      return;
    }
    default:
      std::memcpy(p, &value, size < 8 ? size : 8);
      return;
  }
}

std::uint64_t alias_read(uc_engine*, std::uint64_t offset, unsigned size, void* user) {
  Engine::Impl* s = impl_of(user);
  return guarded(
      s,
      [&]() -> std::uint64_t {
        const auto slot = static_cast<std::uint32_t>(offset >> s->page_shift);
        const auto addr = s->alias_slots[slot] + (static_cast<std::uint32_t>(offset) & (s->page_size - 1));
        if (!s->prot_probe && !s->trust_active) {
          auto q = s->quick_check(s->slot_granules[slot], s->alias_slots[slot], addr, size, Access::Read);
          if (q == Engine::Impl::Quick::Unknown)
            q = s->unit->check(addr, size, Access::Read, s->run_priv).allowed ? Engine::Impl::Quick::Allow
                                                                              : Engine::Impl::Quick::Deny;
          const bool allowed = q == Engine::Impl::Quick::Allow;
          // Unicorn splits an unaligned MMIO load into two aligned loads of the same size, so this may be
          // wider than the guest's access: an allowed superset is fine; a denial is settled by the probe.
          // RISC-V: two loads in one instruction can only be such a split, and PMP decides the whole access
          // by one entry (priv. spec 3.7.1), so that is settled by the probe as well.
          const bool second_access = s->arch == Arch::Rv32 && s->alias_accesses_this_insn > 0;
          ++s->alias_accesses_this_insn;
          if (!allowed || second_access) {
            s->settle_pc = s->cur_pc;
            s->stop(StopReason::Fault);  // no fault yet: run() replays the instruction to decide
            return 0;
          }
        }
        return load_le(s->slot_host[slot] + (addr - s->alias_slots[slot]), size);
      },
      std::uint64_t{0});
}

void alias_write(uc_engine*, std::uint64_t offset, unsigned size, std::uint64_t value, void* user) {
  Engine::Impl* s = impl_of(user);
  guarded(
      s,
      [&] {
        const auto slot = static_cast<std::uint32_t>(offset >> s->page_shift);
        const auto addr = s->alias_slots[slot] + (static_cast<std::uint32_t>(offset) & (s->page_size - 1));
        if (s->prot_probe) return 0;  // the probe never writes
        if (!s->trust_active) {
          // Unicorn splits an unaligned MMIO store into byte stores at their exact addresses: right for Arm,
          // which checks every byte, but PMP decides the whole access by one entry (priv. spec 3.7.1), so
          // on RISC-V a second store in one instruction is settled by the probe.
          auto q = s->quick_check(s->slot_granules[slot], s->alias_slots[slot], addr, size, Access::Write);
          if (q == Engine::Impl::Quick::Unknown)
            q = s->unit->check(addr, size, Access::Write, s->run_priv).allowed ? Engine::Impl::Quick::Allow
                                                                               : Engine::Impl::Quick::Deny;
          const bool allowed = q == Engine::Impl::Quick::Allow;
          const bool second_access = s->arch == Arch::Rv32 && s->alias_accesses_this_insn > 0;
          ++s->alias_accesses_this_insn;
          if (!allowed || second_access) {
            s->settle_pc = s->cur_pc;
            s->stop(StopReason::Fault);
            return 0;
          }
        }
        s->pending_stores.push_back({s->slot_host[slot] + (addr - s->alias_slots[slot]), size, value});
        return 0;
      },
      0);
}

}  // namespace

void Engine::Impl::commit_stores() {
  for (const auto& st : pending_stores) store_le(st.host, st.size, st.value);
  pending_stores.clear();
}

Privilege Engine::Impl::privilege() const {
  if (arch == Arch::Rv32) return priv;
  // ARMv7-M ARM B1.4.4: thread mode with CONTROL.nPRIV = 1 is unprivileged; handler mode never is.
  std::uint32_t control = 0;
  std::uint32_t ipsr = 0;
  uc_reg_read(uc.get(), UC_ARM_REG_CONTROL, &control);
  uc_reg_read(uc.get(), UC_ARM_REG_IPSR, &ipsr);
  return (control & 1u) && (ipsr & 0x1FFu) == 0 ? Privilege::Unprivileged : Privilege::Privileged;
}

void Engine::Impl::flush_tlb() {
  if (tlb_filled) uc_ctl_flush_tlb(uc.get());
  tlb_filled = false;
  page_perms.clear();
  crossing_alias.clear();
  if (!alias_slots.empty()) {
    alias_slots.clear();
    slot_granules.clear();
    slot_host.clear();
    alias_of.clear();
  }
  // unordered containers' clear() writes every bucket even when empty
  if (!page_granules.empty()) page_granules.clear();
  if (!fetch_split_pages.empty()) fetch_split_pages.clear();
  last_code_page = 1;
  last_x_granule = 1;
}

void Engine::Impl::sync_protection() {
  if (!unit) return;
  const std::uint64_t g = unit->generation();
  if (g != unit_generation) {
    flush_tlb();
    unit_generation = g;
  }
}

std::optional<Perms> Engine::Impl::perms_of_page(std::uint32_t page, Privilege p) {
  const std::uint64_t key = std::uint64_t{page} << 1 | (p == Privilege::Privileged ? 1u : 0u);
  if (const auto* hit = page_perms.find(key)) return *hit;
  const auto perms = unit->uniform_perms({page, page_size}, p);
  page_perms.put(key, perms);
  return perms;
}

std::uint8_t* Engine::Impl::host_pointer(std::uint32_t address) {
  for (auto& r : host_regions) {
    if (address >= r.region.base && address - r.region.base < r.region.size)
      return r.host.get() + (address - r.region.base);
  }
  throw EngineError("checked bus: no host memory at " + std::to_string(address));
}

std::uint32_t Engine::Impl::alias_slot(std::uint32_t page) {
  if (auto it = alias_of.find(page); it != alias_of.end()) return it->second;
  const auto slot = static_cast<std::uint32_t>(alias_slots.size());
  if (std::uint64_t{slot + 1} * page_size > kAliasSize) {
    // Out of alias slots: start afresh (a TLB flush drops every alias entry).
    flush_tlb();
    return alias_slot(page);
  }
  alias_slots.push_back(page);
  slot_granules.emplace_back(page_size / granule, kGranuleUnknown);
  slot_host.push_back(host_pointer(page));
  alias_of.emplace(page, slot);
  return slot;
}

Fault Engine::Impl::protection_fault(const Verdict& v, Access access, std::uint32_t address,
                                     std::uint32_t size, std::uint32_t pc) const {
  Fault f = make_fault(arch == Arch::Rv32 ? FaultKind::AccessFault : FaultKind::MemManage, pc);
  f.access = access;
  f.address = v.fault_address;
  f.size = size;
  f.privilege = privilege();
  f.verdict = v;
  f.syndrome = unit->syndrome(v, access, address);
  f.detail = std::string(to_string(access)) + " denied by " + std::string(unit->name());
  return f;
}

// Decides one TLB fill. Returns false to refuse it (a precise stop at the instruction).
bool Engine::Impl::fill(std::uint32_t page, uc_mem_type type, uc_tlb_entry* entry) {
  const Access a = access_of(type);
  entry->paddr = page;
  const bool mapped = find_region(page) != nullptr;
  if (host_fill) {  // see drop_translations: the host's own translation, dropped right after
    entry->perms = UC_PROT_ALL;
    return mapped;
  }
  if (a == Access::Execute && !prot_probe && !probing) {
    if (!mapped || !may_fetch_from(page)) {
      entry->paddr = kNowhere;  // see kNowhere: a precise FETCH_UNMAPPED if anything is fetched here
      entry->perms = UC_PROT_EXEC;
      return true;
    }
  }
  if (!mapped) {
    if (probing) {  // the bus-fault probe lets the access through to the UNMAPPED hook
      entry->perms = UC_PROT_ALL;
      return true;
    }
    if (denied_page || denied_prot_page) return false;  // the first denial stopped the run; keep its record
    denied_page = page;
    denied_access = a;
    return false;
  }
  if (arch == Arch::Rv32 && a == Access::Execute && !scanned_pages.contains(page))
    scan_system_instructions(page);
  if (options.bus != BusMode::Checked || !unit) {
    entry->perms = UC_PROT_ALL;
    return true;
  }
  if (prot_probe && a != Access::Execute) {
    // The probe sees every data access of the instruction through the alias window, so that an access
    // crossing from a page one rule decides into a split one is seen whole.
    entry->paddr = kAliasBase + alias_slot(page) * page_size;
    entry->perms = kReadWrite;
    return true;
  }
  const Privilege p = privilege();
  if (const auto perms = perms_of_page(page, p)) {
    if (has(*perms, perm_for(a))) {
      if (alias_for_crossings(page, *perms, p)) {
        if (a == Access::Execute) {  // code from here; its data accesses must still come to the alias
          entry->perms = UC_PROT_EXEC;
          return true;
        }
        if (!exact_pc_hook) {
          need_exact_pc_hook = true;
          need_exact_access = a;
          return false;
        }
        entry->paddr = kAliasBase + alias_slot(page) * page_size;
        entry->perms = kReadWrite;
        return true;
      }
      entry->perms = uc_perms(*perms);
      return true;
    }
    if (!denied_page && !denied_prot_page) {
      denied_prot_page = page;
      denied_access = a;
    }
    return false;
  }
  // A split page.
  if (!exact_pc_hook) {
    need_exact_pc_hook = true;  // refused now; run() installs the hook and resumes at this instruction
    need_exact_access = a;
    return false;
  }
  if (a == Access::Execute) {
    fetch_split_pages.insert(page);
    last_code_page = 1;
    entry->perms = UC_PROT_EXEC;
    return true;
  }
  entry->paddr = kAliasBase + alias_slot(page) * page_size;
  entry->perms = kReadWrite;
  return true;
}

// The fast path of every per-access check: the granule table answers without building a Verdict. Unknown
// for what it cannot decide exactly (an access leaving the page; on RISC-V one spanning granules, which PMP
// decides as a whole).
Engine::Impl::Quick Engine::Impl::quick_check(std::vector<std::uint8_t>& table, std::uint32_t page,
                                              std::uint32_t address, std::uint32_t size, Access access) {
  const std::uint64_t end = std::uint64_t{address} + size;
  if (address < page || end > std::uint64_t{page} + page_size || size == 0) return Quick::Unknown;
  const std::uint32_t first = (address - page) >> granule_shift;
  const std::uint32_t last = static_cast<std::uint32_t>(end - 1 - page) >> granule_shift;
  if (arch == Arch::Rv32 && first != last) return Quick::Unknown;
  const auto need = static_cast<std::uint8_t>(perm_for(access));
  for (std::uint32_t i = first; i <= last; ++i) {
    std::uint8_t& g = table[i];
    if (g == kGranuleUnknown) {
      const auto p = unit->uniform_perms({page + i * granule, granule}, run_priv);
      g = p ? static_cast<std::uint8_t>(*p) : kGranuleMixed;
    }
    if (g == kGranuleMixed) return Quick::Unknown;
    if ((g & need) != need) return Quick::Deny;  // ARMv7-M ARM B3.5: any denied byte denies the access
  }
  return Quick::Allow;
}

std::vector<std::uint8_t>& Engine::Impl::granules_of(std::uint32_t page) {
  auto it = page_granules.find(page);
  if (it == page_granules.end())
    it = page_granules.emplace(page, std::vector<std::uint8_t>(page_size / granule, kGranuleUnknown)).first;
  return it->second;
}

bool Engine::Impl::alias_allows(std::uint32_t slot, std::uint32_t address, std::uint32_t size,
                                Access access) {
  const Quick q = quick_check(slot_granules[slot], alias_slots[slot], address, size, access);
  if (q != Quick::Unknown) return q == Quick::Allow;
  return unit->check(address, size, access, run_priv).allowed;
}

bool Engine::Impl::allows(std::uint32_t address, std::uint32_t size, Access access) {
  const std::uint32_t page = address & ~(page_size - 1);
  const Quick q = quick_check(granules_of(page), page, address, size, access);
  if (q != Quick::Unknown) return q == Quick::Allow;
  return unit->check(address, size, access, run_priv).allowed;
}

// Whether a page one rule decides must still go through the alias window because an unaligned access can
// cross from it into a neighbour decided otherwise, and Unicorn would not let the engine see that access
// whole:
// - Arm checks every byte (ARMv7-M ARM B3.5: the MPU checks each byte), so only stores matter: Unicorn stores
// an unaligned MMIO
//   access byte by byte, and a denied byte on a split neighbour cannot stop the bytes stored here. Aliased,
//   they are held with the instruction's other stores.
// - PMP decides a whole access by one entry (priv. spec 3.7.1, partial match fails), so any access crossing
//   into a page decided by another rule must be seen whole.
bool Engine::Impl::alias_for_crossings(std::uint32_t page, Perms perms, Privilege p) {
  const std::uint64_t key = std::uint64_t{page} << 1 | (p == Privilege::Privileged ? 1u : 0u);
  if (const bool* hit = crossing_alias.find(key)) return *hit;
  bool alias = false;
  for (const std::uint64_t n : {std::uint64_t{page} + page_size, std::uint64_t{page} - page_size}) {
    if (n >= (1ull << 32) || !find_region(n)) continue;
    if (arch == Arch::Rv32) {
      // A neighbour no access is allowed on refuses its part at fill, and Unicorn (QEMU 5's load/store
      // helpers) fills the second page of a crossing access before performing any part of it: the access
      // faults whole, precisely. Only a neighbour decided otherwise but accessible can let a crossing access
      // through that PMP fails.
      if (const auto np = perms_of_page(static_cast<std::uint32_t>(n), p); np && *np == Perms::None) continue;
      const std::uint64_t lo = std::min<std::uint64_t>(n, page);
      alias = alias || !unit->uniform_perms({lo, 2ull * page_size}, p);
    } else {
      alias = alias || (has(perms, Perms::W) && !perms_of_page(static_cast<std::uint32_t>(n), p));
    }
  }
  crossing_alias.put(key, alias);
  return alias;
}

// Whether fetches from `page` may be let through at TLB fill (all of it executable, or split: checked
// instruction by instruction by the exact-PC code hook).
bool Engine::Impl::may_fetch_from(std::uint32_t page) {
  if (options.bus != BusMode::Checked || !unit) return true;
  const auto perms = perms_of_page(page, privilege());
  return !perms || has(*perms, Perms::X);
}

void Engine::Impl::install_alias_window() {
  check_uc(uc_mmio_map(uc.get(), kAliasBase, kAliasSize, &alias_read, this, &alias_write, this),
           "uc_mmio_map");
}

}  // namespace bulkhead::emu
