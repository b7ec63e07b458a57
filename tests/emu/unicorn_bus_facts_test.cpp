// Pins, on raw Unicorn, the behaviours the checked bus (emu/src/bus.cpp) is built on. A Unicorn build that
// behaves differently fails here, by name, before the bus tests fail for reasons harder to read.
// (The only test that includes Unicorn directly: the product keeps it inside emu/.)
#include <gtest/gtest.h>
#include <unicorn/unicorn.h>

#include <cstdint>
#include <vector>

namespace {

constexpr std::uint64_t kCode = 0x0800'0000;
constexpr std::uint64_t kRam = 0x2000'0000;
constexpr std::uint64_t kAlias = 0x6000'0000;

struct Probe {
  std::vector<std::pair<std::uint64_t, unsigned>> reads, writes;
  std::uint64_t stop_at = ~0ull;
  std::vector<std::uint64_t> hooked_reads;
};

std::uint64_t mmio_read(uc_engine* uc, std::uint64_t off, unsigned size, void* user) {
  auto* p = static_cast<Probe*>(user);
  p->reads.emplace_back(off, size);
  if (off == p->stop_at) uc_emu_stop(uc);
  return 0x1111'1111;
}

void mmio_write(uc_engine* uc, std::uint64_t off, unsigned size, std::uint64_t, void* user) {
  auto* p = static_cast<Probe*>(user);
  p->writes.emplace_back(off, size);
  if (off == p->stop_at) uc_emu_stop(uc);
}

bool fill_alias(uc_engine*, std::uint64_t va, uc_mem_type, uc_tlb_entry* e, void*) {
  e->paddr = va == kRam ? kAlias : va;  // the first RAM page goes to the MMIO window
  e->perms = UC_PROT_ALL;
  return true;
}

void nop_code(uc_engine*, std::uint64_t, std::uint32_t, void*) {}

bool mem_hook(uc_engine*, uc_mem_type, std::uint64_t address, int, std::int64_t, void* user) {
  static_cast<Probe*>(user)->hooked_reads.push_back(address);
  return true;
}

struct Arm {
  uc_engine* uc = nullptr;
  Probe probe;
  uc_hook fill{}, code{};
  explicit Arm(const std::vector<std::uint16_t>& prog, bool code_hook) {
    EXPECT_EQ(uc_open(UC_ARCH_ARM, UC_MODE_THUMB, &uc), UC_ERR_OK);
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_M4);
    uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
    uc_mem_map(uc, kCode, 0x1000, UC_PROT_ALL);
    uc_mem_map(uc, kRam, 0x1000, UC_PROT_ALL);
    uc_mmio_map(uc, kAlias, 0x1000, mmio_read, &probe, mmio_write, &probe);
    uc_mem_write(uc, kCode, prog.data(), prog.size() * 2);
    uc_hook_add(uc, &fill, UC_HOOK_TLB_FILL, reinterpret_cast<void*>(&fill_alias), nullptr, 1, 0);
    if (code_hook)
      uc_hook_add(uc, &code, UC_HOOK_CODE, reinterpret_cast<void*>(&nop_code), nullptr, kCode, kCode + 0xFFF);
  }
  ~Arm() { uc_close(uc); }
  std::uint32_t reg(int id) const {
    std::uint32_t v = 0;
    uc_reg_read(uc, id, &v);
    return v;
  }
  void set(int id, std::uint32_t v) { uc_reg_write(uc, id, &v); }
};

// movs r2,#1; adds r3,#1; ldr r0,[r1]; movs r4,#7; str r2,[r1,#4]; movs r5,#9; nop; nop
const std::vector<std::uint16_t> kProg = {0x2201, 0x3301, 0x6808, 0x2407, 0x604A, 0x2509, 0xBF00, 0xBF00};

// bus.cpp relies on: uc_emu_stop inside an MMIO callback abandons the instruction at once (the load's
// destination is not written, nothing after it runs, earlier instructions are done) ...
TEST(UnicornBusFacts, StopInsideAnMmioLoadAbandonsTheInstruction) {
  Arm a(kProg, false);
  a.probe.stop_at = 0x10;
  a.set(UC_ARM_REG_R1, kRam + 0x10);
  a.set(UC_ARM_REG_R0, 0x5555);
  EXPECT_EQ(uc_emu_start(a.uc, kCode | 1, kCode + 0x10, 0, 0), UC_ERR_OK);
  EXPECT_EQ(a.reg(UC_ARM_REG_R0), 0x5555u);
  EXPECT_EQ(a.reg(UC_ARM_REG_R2), 1u);
  EXPECT_EQ(a.reg(UC_ARM_REG_R4), 0u);
  // ... but PC is not synced there without a code hook (it reads as the block start) ...
  EXPECT_EQ(a.reg(UC_ARM_REG_PC), kCode);
}

// ... and with a code hook covering the instruction, PC is exactly the instruction.
TEST(UnicornBusFacts, WithACodeHookPcIsExactAtAnMmioStop) {
  Arm a(kProg, true);
  a.probe.stop_at = 0x14;  // the store
  a.set(UC_ARM_REG_R1, kRam + 0x10);
  EXPECT_EQ(uc_emu_start(a.uc, kCode | 1, kCode + 0x10, 0, 0), UC_ERR_OK);
  EXPECT_EQ(a.reg(UC_ARM_REG_PC), kCode + 8);
  EXPECT_EQ(a.reg(UC_ARM_REG_R4), 7u);
  EXPECT_EQ(a.reg(UC_ARM_REG_R5), 0u);
}

// Unicorn splits an unaligned MMIO load into two aligned loads of the same size, and an unaligned MMIO store
// into byte stores; a memory hook on the window sees the original access first.
TEST(UnicornBusFacts, UnalignedMmioAccessesAreSplitAndHooksSeeTheOriginal) {
  Arm a({0x6808, 0x600A, 0xBF00, 0xBF00}, false);  // ldr r0,[r1]; str r2,[r1]
  uc_hook h{};
  uc_hook_add(a.uc, &h, UC_HOOK_MEM_READ, reinterpret_cast<void*>(&mem_hook), &a.probe, kAlias,
              kAlias + 0xFFF);
  a.set(UC_ARM_REG_R1, kRam + 0x13);
  EXPECT_EQ(uc_emu_start(a.uc, kCode | 1, kCode + 4, 0, 0), UC_ERR_OK);
  ASSERT_EQ(a.probe.reads.size(), 2u);
  EXPECT_EQ(a.probe.reads[0], (std::pair<std::uint64_t, unsigned>{0x10, 4}));
  EXPECT_EQ(a.probe.reads[1], (std::pair<std::uint64_t, unsigned>{0x14, 4}));
  ASSERT_FALSE(a.probe.hooked_reads.empty());
  EXPECT_EQ(a.probe.hooked_reads.front(), kAlias + 0x13);
  ASSERT_EQ(a.probe.writes.size(), 4u);
  for (unsigned i = 0; i < 4; ++i)
    EXPECT_EQ(a.probe.writes[i], (std::pair<std::uint64_t, unsigned>{0x13 + i, 1}));
}

// A code hook added after code has run reaches blocks already translated once uc_ctl_remove_cache drops them
// (uc_ctl_flush_tb does too, at 0.25-1.6 s here).
int g_hook_calls = 0;
void counting_code(uc_engine*, std::uint64_t, std::uint32_t, void*) {
  ++g_hook_calls;
}

TEST(UnicornBusFacts, RemoveCacheMakesALateCodeHookEffective) {
  // As the engine runs: `until` far away (a block holding `until` is retranslated anyway), the run ended by
  // an undefined instruction.
  Arm a({0x2201, 0x2202, 0xDE00, 0xBF00}, false);
  constexpr std::uint64_t kFar = 0xFFFF'FFF0;
  ASSERT_EQ(uc_emu_start(a.uc, kCode | 1, kFar, 0, 0), UC_ERR_INSN_INVALID);
  uc_hook h{};
  uc_hook_add(a.uc, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&counting_code), nullptr, 1, 0);
  g_hook_calls = 0;
  ASSERT_EQ(uc_emu_start(a.uc, kCode | 1, kFar, 0, 0), UC_ERR_INSN_INVALID);
  EXPECT_EQ(g_hook_calls, 0);  // the cached block has no hook call
  ASSERT_EQ(uc_ctl_remove_cache(a.uc, kCode, kCode + 0x1000), UC_ERR_OK);
  ASSERT_EQ(uc_emu_start(a.uc, kCode | 1, kFar, 0, 0), UC_ERR_INSN_INVALID);
  EXPECT_GE(g_hook_calls, 2);
}

// RV32: a block that starts a page and faults at translation makes Unicorn ask a FETCH fill for the page
// before it (why bus.cpp never refuses a fetch at fill).
std::vector<std::uint64_t> g_fetch_fills;
bool record_fetch(uc_engine*, std::uint64_t va, uc_mem_type t, uc_tlb_entry* e, void*) {
  if (t == UC_MEM_FETCH) g_fetch_fills.push_back(va);
  e->paddr = va;
  e->perms = UC_PROT_ALL;
  return true;
}

TEST(UnicornBusFacts, RiscvEmptyBlockAtAPageStartAsksForThePreviousPage) {
  uc_engine* uc = nullptr;
  ASSERT_EQ(uc_open(UC_ARCH_RISCV, UC_MODE_RISCV32, &uc), UC_ERR_OK);
  uc_ctl_set_cpu_model(uc, UC_CPU_RISCV32_SIFIVE_E31);
  uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
  uc_mem_map(uc, 0x2000'0000, 0x1000, UC_PROT_ALL);  // zeros: c.unimp, illegal at translation
  uc_hook h{};
  uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, reinterpret_cast<void*>(&record_fetch), nullptr, 1, 0);
  g_fetch_fills.clear();
  uc_emu_start(uc, 0x2000'0000, 0x2000'0100, 0, 0);
  bool asked_previous = false;
  for (auto va : g_fetch_fills) asked_previous = asked_previous || va == 0x1FFF'F000;
  EXPECT_TRUE(asked_previous);
  uc_close(uc);
}

}  // namespace
