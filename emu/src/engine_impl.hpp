// Private engine state shared by the engine's translation units. Never included outside emu/src.
#pragma once

#include <array>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <unicorn/unicorn.h>

#include "bulkhead/emu/engine.hpp"
#include "bulkhead/emu/tracer.hpp"

namespace bulkhead::emu {

// Closes the engine after its hooks: ~Impl deletes every hook first (unicorn-facts: hooks before uc_close).
struct UcClose {
  void operator()(uc_engine* uc) const noexcept { uc_close(uc); }
};

struct HostFree {
  void operator()(std::uint8_t* p) const noexcept;
};

// A mapped region and the host memory behind it (uc_mem_map_ptr), so that the checked bus can perform the
// allowed accesses of a split page itself.
struct HostRegion {
  MemoryRegion region;
  std::unique_ptr<std::uint8_t, HostFree> host;
};

// The physical window where split pages are aliased to MMIO (see bus.cpp). No guest virtual address reaches
// it: the TLB-fill hook only maps mapped regions to themselves.
constexpr std::uint32_t kReservedBase = 0xF000'0000;
constexpr std::uint32_t kReservedSize = 0x0100'0000;
constexpr std::uint32_t kAliasBase = kReservedBase;
constexpr std::uint32_t kAliasSize = kReservedSize - 0x1000;
// A physical page nothing is mapped at: a refused fetch is pointed here, so that Unicorn reports it as a
// precise FETCH_UNMAPPED at the instruction instead of a refused fill. A refused fill would also refuse the
// fetch fill Unicorn asks for the page before a block that starts a page and faults at translation.
constexpr std::uint32_t kNowhere = kAliasBase + kAliasSize;

// A direct-mapped cache of per-page answers that are pure functions of the unit's programming, the page and
// the privilege: a miss recomputes, so a collision costs only time. clear() is O(1) (an epoch), which a
// context switch needs: clearing hash maps memset their bucket arrays and freed every node on each switch.
template <typename V, std::size_t N>
class PageAnswerCache {
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  const V* find(std::uint64_t key) const {
    const Entry& e = slots_[index(key)];
    return e.epoch == epoch_ && e.key == key ? &e.value : nullptr;
  }
  void put(std::uint64_t key, V value) { slots_[index(key)] = {key, epoch_, std::move(value)}; }
  void clear() {
    if (++epoch_ != 0) return;
    for (Entry& e : slots_) e.epoch = 0;  // the epoch wrapped: no stale entry may match
    epoch_ = 1;
  }

 private:
  struct Entry {
    std::uint64_t key = 0;
    std::uint32_t epoch = 0;
    V value{};
  };
  static std::size_t index(std::uint64_t key) {
    return static_cast<std::size_t>((key * 0x9E37'79B9'7F4A'7C15ull) >> 40) & (N - 1);
  }
  std::array<Entry, N> slots_{};
  std::uint32_t epoch_ = 1;
};

constexpr std::uint8_t kGranuleUnknown = 0xFF;
constexpr std::uint8_t kGranuleMixed = 0xFE;

struct Engine::Impl {
  CpuProfile profile;
  Arch arch;
  EngineOptions options;
  std::uint32_t page_size;  // Unicorn's TLB page: 1 KiB Arm M-profile, 4 KiB RV32 (unicorn-facts)
  std::uint32_t granule;    // the smallest range a rule decides: 32 B (PMSAv7/v8), 4 B (PMP)
  // log2 of both: the per-access paths of split pages divide by them (a runtime division cost ~10 % there)
  unsigned page_shift;
  unsigned granule_shift;
  std::unique_ptr<uc_engine, UcClose> uc;
  std::vector<uc_hook> hooks;
  std::vector<MemoryRegion> regions;  // sorted by base
  std::vector<HostRegion> host_regions;
  std::chrono::microseconds time_limit{0};

  // ---- The checked bus (bus.cpp) ----
  const ProtectionUnit* unit = nullptr;
  bool tearing_down = false;  // ~Impl: hooks are being deleted
  std::uint64_t unit_generation = ~0ull;
  Privilege priv = Privilege::Privileged;
  // Per page and privilege: the unit's uniform permissions, or nullopt for a page a rule edge splits.
  PageAnswerCache<std::optional<Perms>, 512> page_perms;
  PageAnswerCache<bool, 256> crossing_alias;  // see alias_for_crossings
  // Whether the TLB may hold an entry: every entry comes from a fill, so a flush with none since the last
  // one is skipped (a context switch used to flush twice: restore_context, then the unit's new generation;
  // each uc_ctl_flush_tlb memsets every MMU index's table).
  bool tlb_filled = true;
  // Split pages currently aliased to the MMIO window: slot -> guest page, and its granule table.
  std::vector<std::uint32_t> alias_slots;
  std::vector<std::vector<std::uint8_t>> slot_granules;
  std::vector<std::uint8_t*> slot_host;  // host memory behind each aliased page
  // Granule tables of pages checked access by access outside the alias window (fetch-split pages, the
  // naive bus). A granule (32 B Arm, 4 B RISC-V) is the smallest unit a rule can decide; each entry is the
  // unit's uniform Perms for it, kGranuleUnknown until asked, or kGranuleMixed.
  std::unordered_map<std::uint32_t, std::vector<std::uint8_t>> page_granules;
  Privilege run_priv = Privilege::Privileged;  // the privilege of the current run, for per-access checks
  std::unordered_map<std::uint32_t, std::uint32_t> alias_of;  // guest page -> slot
  // Split pages the engine grants fetches on; every instruction there is checked by the code hook.
  std::unordered_set<std::uint32_t> fetch_split_pages;
  std::uint32_t last_code_page = 1;  // a cache for the code hook (1: no page)
  bool last_code_page_split = false;
  std::uint32_t last_x_granule = 1;  // the granule the last instruction on a split page was allowed from
  // A code hook over all code makes PC exact at every access; it is installed when the first split page
  // appears (docs/design.md).
  bool exact_pc_hook = false;
  bool need_exact_pc_hook = false;
  Access need_exact_access = Access::Read;  // the access whose fill asked for it
  std::uint32_t cur_pc = 0;
  // A protection denial at TLB fill (uniform page) waiting for its exact address.
  std::optional<std::uint32_t> denied_prot_page;
  // RISC-V: code pages scanned for M-mode-only instructions, and the addresses hooked.
  std::unordered_set<std::uint32_t> scanned_pages;
  std::unordered_set<std::uint32_t> system_hooked;
  // The probe of a protection denial (bus.cpp): replays the instruction through the alias window.
  bool prot_probe = false;
  std::optional<Fault> probe_fault;
  std::uint32_t probe_pc = 0;
  int probe_skip = 0;
  // An alias access the fast check could not settle (a denial, or a possibly split unaligned load): the
  // engine stopped inside it, before the instruction completed; run() probes the instruction at settle_pc.
  std::optional<std::uint32_t> settle_pc;
  std::uint32_t alias_accesses_this_insn = 0;
  // Stores to split pages are held until the instruction completes (the next code hook, or the end of the
  // run), so that a denied beat leaves nothing written: Unicorn splits an unaligned MMIO store into byte
  // stores, and a denial can come after some of them.
  struct PendingStore {
    std::uint8_t* host;
    std::uint32_t size;
    std::uint64_t value;
  };
  std::vector<PendingStore> pending_stores;
  void commit_stores();
  // The probe found the instruction's accesses allowed: let it through the alias checks once.
  bool trust_armed = false;
  bool trust_active = false;
  std::uint32_t trust_pc = 0;

  // Budget accounting (see hooks.cpp): instructions per translated block, in a direct-mapped cache keyed by
  // (address, size). A hash map here cost as much as Unicorn's own hook dispatch on every block.
  struct BlockCount {
    std::uint64_t key = ~0ull;
    std::uint32_t insns = 0;
  };
  static constexpr std::size_t kBlockCacheSize = 4096;  // a power of two
  std::vector<BlockCount> block_insns = std::vector<BlockCount>(kBlockCacheSize);
  std::uint64_t total_instructions = 0;
  std::uint64_t run_instructions = 0;
  std::uint64_t run_budget = 0;
  std::uint32_t pending_block_insns = 0;  // the block being entered; counted once it is known to complete
  std::uint32_t pending_block_start = 0;
  std::uint32_t pending_block_size = 0;
  // With the exact-PC code hook: the instruction of the current block before which the budget stops the
  // run (set by the block hook), or kNoStop.
  static constexpr std::uint64_t kNoStop = ~0ull;
  std::optional<std::uint32_t> block_stop_pc;  // the block a budget stop from the block hook stopped before
  std::uint64_t budget_stop_pc = kNoStop;
  std::uint64_t nth_instruction(std::uint32_t start, std::uint32_t n);  // the address n instructions on
  std::uint32_t insn_length_at(std::uint32_t address);  // from guest memory; 0 where nothing can be read

  // A page the TLB-fill hook refused because nothing is mapped there (a precise bus fault).
  std::optional<std::uint32_t> denied_page;
  Access denied_access = Access::Read;

  // Probing a denied access for its exact address (see fault_probe.cpp).
  bool probing = false;
  bool probe_hit = false;
  std::uint32_t probe_address = 0;
  std::uint32_t probe_size = 0;
  Access probe_access = Access::Read;

  // Debugger breakpoints (checked by the exact-PC code hook); bp_skip exempts the next instruction the hook
  // sees (the one a debugger resumes at, or one a run() resumes internally after it was interrupted).
  std::unordered_set<std::uint32_t> breakpoints;
  bool bp_skip = false;
  bool at_breakpoint = false;

  // Tracing (trace.cpp). The instruction the code hook saw last is held with its accesses until the next
  // one starts (it completed) or the run ends, so that an instruction a stop interrupted is never reported.
  Tracer* tracer = nullptr;
  std::optional<uc_hook> trace_mem_hook;
  struct TracedAccess {
    Access access;
    std::uint32_t address;
    std::uint32_t size;
    std::uint64_t value;
  };
  // The end of the instruction the code hook saw last, and the block it was in: an instruction of that block
  // between it and the next one seen had its IT condition fail (Unicorn calls no code hook for it).
  std::uint64_t trace_next_pc = ~0ull;
  std::uint32_t trace_block = 0;
  void trace_condition_failed(std::uint32_t from, std::uint32_t to);
  bool trace_pending = false;
  std::uint32_t trace_pc = 0;
  std::uint32_t trace_size = 0;
  std::uint8_t trace_bytes[4] = {};
  std::vector<TracedAccess> trace_accesses;
  std::uint32_t trace_split_skip = 0;  // the pieces of an unaligned alias access Unicorn splits (trace.cpp)
  std::uint32_t trace_split_lo = 0;
  std::uint32_t trace_split_hi = 0;
  // A cache for reading instruction bytes: the region the last one came from (host memory never moves).
  std::uint64_t trace_code_base = 1;
  std::uint64_t trace_code_end = 0;
  const std::uint8_t* trace_code_host = nullptr;
  void trace_instruction(std::uint32_t pc, std::uint32_t size);
  void trace_access(Access a, std::uint32_t address, std::uint32_t size, std::uint64_t value);
  void trace_emit();
  void trace_drop();
  void trace_finish(const RunResult& r);
  std::uint32_t read_code(std::uint32_t pc, std::uint32_t size, std::uint8_t* out);
  std::uint32_t read_instruction(std::uint32_t pc, std::uint8_t (&out)[4]);  // its encoding; 0: unreadable

  // What stopped the run, recorded by the hooks.
  std::optional<StopReason> stop_reason;
  std::optional<Fault> fault;
  std::uint32_t trap_imm = 0;
  std::exception_ptr hook_exception;

  Impl(CpuProfile p, EngineOptions o);
  ~Impl();

  // The mapped region holding `address`, or nullptr.
  const MemoryRegion* find_region(std::uint64_t address) const;

  void install_hooks();
  // bus.cpp
  void sync_protection();
  void flush_tlb();
  std::optional<Perms> perms_of_page(std::uint32_t page, Privilege p);
  Privilege privilege() const;
  void install_alias_window();
  bool fill(std::uint32_t page, uc_mem_type type, uc_tlb_entry* entry);
  std::uint8_t* host_pointer(std::uint32_t address);
  std::uint32_t alias_slot(std::uint32_t page);
  enum class Quick : std::uint8_t { Allow, Deny, Unknown };
  Quick quick_check(std::vector<std::uint8_t>& table, std::uint32_t page, std::uint32_t address,
                    std::uint32_t size, Access access);
  bool allows(std::uint32_t address, std::uint32_t size, Access access);  // exact, cheap when it can be
  bool alias_allows(std::uint32_t slot, std::uint32_t address, std::uint32_t size, Access access);
  std::vector<std::uint8_t>& granules_of(std::uint32_t page);
  Fault fetch_fault(std::uint32_t pc);
  bool may_fetch_from(std::uint32_t page);
  bool alias_for_crossings(std::uint32_t page, Perms perms, Privilege p);
  Fault protection_fault(const Verdict& v, Access access, std::uint32_t address, std::uint32_t size,
                         std::uint32_t pc) const;
  void install_exact_pc_hook();
  // Drops the translated blocks of [begin, end) (uc_ctl_remove_cache), then the TLB. Unicorn finds the
  // blocks by translating `begin` as a fetch through the fill hook, at the current privilege and unit: a
  // page the unit does not let that code execute (another partition's code) was pointed at kNowhere, and
  // its blocks survived. While host_fill is set, fills map mapped pages to themselves; the flush after it
  // drops those entries before any guest instruction can use them.
  void drop_translations(std::uint32_t begin, std::uint64_t end);
  void drop_all_translations();
  bool host_fill = false;
  // Pages code was ever translated from (fetch fills mapped to themselves): only a host write there can
  // leave stale translated blocks behind.
  std::unordered_set<std::uint32_t> code_pages;
  bool holds_code(std::uint32_t begin, std::uint64_t end) const;
  void install_naive_hooks();
  void scan_system_instructions(std::uint32_t page);
  std::optional<Fault> probe_protection_fault(std::uint32_t pc);
  // Runs the instruction at `pc` once, alone, and puts the CPU context back (fault_probe.cpp). False when
  // the context cannot be saved.
  bool replay_alone(std::uint32_t pc);
  void add_hook(uc_hook h) { hooks.push_back(h); }
  std::uint32_t count_block(std::uint64_t address, std::uint32_t size);
  std::uint32_t insn_length(std::uint16_t first_halfword) const;
  std::uint32_t count_instructions(std::uint32_t start, std::uint32_t bytes);
  void account_partial_block(std::uint32_t pc);
  void record_fault(Fault f);
  Fault make_fault(FaultKind kind, std::uint32_t pc) const;
  void stop(StopReason reason);
};

void check_uc(uc_err err, const char* what);

// The engine behind a hook's user data.
inline Engine::Impl* impl_of(void* user) {
  return static_cast<Engine::Impl*>(user);
}

// Runs a hook body; an exception is recorded (run() rethrows it), the engine stopped, and `on_error`
// returned, so that no exception crosses Unicorn.
template <typename F, typename R>
R guarded(Engine::Impl* impl, F&& body, R on_error) noexcept {
  try {
    return body();
  } catch (...) {
    if (!impl->hook_exception) impl->hook_exception = std::current_exception();
    impl->stop(StopReason::HostError);
    return on_error;
  }
}

inline Access access_of(uc_mem_type t) {
  switch (t) {
    case UC_MEM_FETCH:
    case UC_MEM_FETCH_UNMAPPED:
    case UC_MEM_FETCH_PROT:
      return Access::Execute;
    case UC_MEM_WRITE:
    case UC_MEM_WRITE_UNMAPPED:
    case UC_MEM_WRITE_PROT:
      return Access::Write;
    default:
      return Access::Read;
  }
}

inline int pc_reg_id(Arch arch) {
  return arch == Arch::Rv32 ? static_cast<int>(UC_RISCV_REG_PC) : static_cast<int>(UC_ARM_REG_PC);
}

}  // namespace bulkhead::emu
