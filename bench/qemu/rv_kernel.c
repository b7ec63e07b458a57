/* A minimal bare-metal kernel that runs one Bulkhead module on QEMU's RISC-V virt board (rv32, `-bios none`)
 * with PMP on, for the benchmark's QEMU column (docs/performance.md).
 *
 * Reset (in M-mode): program PMP with the layout of bench/qemu/layout.h (BENCH_WORST selects the worst case),
 * then mret into the module's _start in U-mode. The module's syscalls (ecall, call number in a7, see
 * firmware_samples/runtime/bulkhead.h) trap to M-mode and are served with RISC-V semihosting: write goes to
 * QEMU's stdout and exit ends QEMU. Any other trap prints mcause/mtval and exits with status 1. */
#include <stdint.h>

#include "bulkhead.h"
#include "layout.h"

#ifndef BENCH_WORST
#define BENCH_WORST 0
#endif

/* rv32imac without Zicsr is what selects picolibc's multilib; the CSR instructions are enabled locally. */
#define CSR_WRITE(csr, value) \
  __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrw " #csr ", %0\n\t.option pop" : : "r"(value))
#define CSR_READ(csr, out) \
  __asm__ volatile(".option push\n\t.option arch, +zicsr\n\tcsrr %0, " #csr "\n\t.option pop" : "=r"(out))

extern char __flash[];
extern char __ram[];
extern char __kernel_stack_top[];
void _start(void); /* the module's entry (firmware_samples/runtime/crt0.c) */

/* ---- semihosting (RISC-V Semihosting spec: the uncompressed slli/ebreak/srai sequence, a0 = op, a1 = arg) */
#define SYS_OPEN 0x01u
#define SYS_WRITE 0x05u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR 0x20023u

static uint32_t semihost(uint32_t op, const void* arg) {
  register uint32_t a0 __asm__("a0") = op;
  register const void* a1 __asm__("a1") = arg;
  __asm__ volatile(
      ".option push\n\t"
      ".option norvc\n\t"
      ".balign 16\n\t" /* the three instructions must not straddle a page */
      "slli x0, x0, 0x1f\n\t"
      "ebreak\n\t"
      "srai x0, x0, 7\n\t"
      ".option pop"
      : "+r"(a0)
      : "r"(a1)
      : "memory");
  return a0;
}

static uint32_t console = UINT32_MAX;

static void host_write(const void* buf, uint32_t len) {
  if (console == UINT32_MAX) {
    const uint32_t args[3] = {(uint32_t)(uintptr_t)":tt", 4 /* "w" */, 3};
    console = semihost(SYS_OPEN, args);
  }
  const uint32_t args[3] = {console, (uint32_t)(uintptr_t)buf, len};
  semihost(SYS_WRITE, args);
}

__attribute__((noreturn)) static void host_exit(int code) {
  /* RV32 SYS_EXIT takes the reason alone: QEMU exits 0 for ApplicationExit, 1 otherwise */
  semihost(SYS_EXIT, (const void*)(uintptr_t)(code == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
  for (;;) {
  }
}

static void host_hex(const char* label, uint32_t value) {
  static const char hex[] = "0123456789abcdef";
  char text[9];
  uint32_t n = 0;
  while (label[n]) ++n;
  host_write(label, n);
  for (int i = 0; i < 8; ++i) text[i] = hex[(value >> (28 - 4 * i)) & 15u];
  text[8] = ' ';
  host_write(text, 9);
}

/* ---- traps ---- */
/* Register slots saved by trap_entry: ra, t0-t6, a0-a7 (the callee-saved ones survive the C call). */
enum { SLOT_RA, SLOT_T0, SLOT_A0 = 8, SLOT_A1, SLOT_A2, SLOT_A3, SLOT_A4, SLOT_A5, SLOT_A6, SLOT_A7, SLOTS };

__attribute__((used)) static void trap_dispatch(uint32_t* frame) {
  uint32_t mcause, mepc, mtval;
  CSR_READ(mcause, mcause);
  CSR_READ(mepc, mepc);
  if (mcause != 8) { /* anything but an ecall from U-mode */
    CSR_READ(mtval, mtval);
    host_hex("bench kernel: trap, mcause=", mcause);
    host_hex("mepc=", mepc);
    host_hex("mtval=", mtval);
    host_write("\n", 1);
    host_exit(1);
  }
  switch (frame[SLOT_A7]) {
    case BH_SYS_EXIT:
      host_exit((int)frame[SLOT_A0]);
    case BH_SYS_WRITE:
      host_write((const void*)(uintptr_t)frame[SLOT_A0], frame[SLOT_A1]);
      break; /* a0 = len: already there */
    default:
      frame[SLOT_A0] = (uint32_t)BH_ENOSYS;
      break;
  }
  CSR_WRITE(mepc, mepc + 4);
}

/* Swap to the kernel stack (mscratch holds its top while the module runs), save the caller-saved registers,
 * dispatch, restore, return to U-mode. */
__attribute__((naked, aligned(4))) static void trap_entry(void) {
  __asm__ volatile(
      ".option push\n\t"
      ".option arch, +zicsr\n\t"
      "csrrw sp, mscratch, sp\n\t"
      "addi sp, sp, -64\n\t"
      "sw ra, 0(sp)\n\tsw t0, 4(sp)\n\tsw t1, 8(sp)\n\tsw t2, 12(sp)\n\t"
      "sw t3, 16(sp)\n\tsw t4, 20(sp)\n\tsw t5, 24(sp)\n\tsw t6, 28(sp)\n\t"
      "sw a0, 32(sp)\n\tsw a1, 36(sp)\n\tsw a2, 40(sp)\n\tsw a3, 44(sp)\n\t"
      "sw a4, 48(sp)\n\tsw a5, 52(sp)\n\tsw a6, 56(sp)\n\tsw a7, 60(sp)\n\t"
      "mv a0, sp\n\t"
      "call trap_dispatch\n\t"
      "lw ra, 0(sp)\n\tlw t0, 4(sp)\n\tlw t1, 8(sp)\n\tlw t2, 12(sp)\n\t"
      "lw t3, 16(sp)\n\tlw t4, 20(sp)\n\tlw t5, 24(sp)\n\tlw t6, 28(sp)\n\t"
      "lw a0, 32(sp)\n\tlw a1, 36(sp)\n\tlw a2, 40(sp)\n\tlw a3, 44(sp)\n\t"
      "lw a4, 48(sp)\n\tlw a5, 52(sp)\n\tlw a6, 56(sp)\n\tlw a7, 60(sp)\n\t"
      "addi sp, sp, 64\n\t"
      "csrrw sp, mscratch, sp\n\t"
      "mret\n\t"
      ".option pop");
}

/* ---- PMP (priv. spec 3.7) ---- */
#define PMP_R 1u
#define PMP_W 2u
#define PMP_X 4u
#define PMP_NAPOT (3u << 3)

static void program_pmp(void) {
  struct bench_rule rules[BENCH_MAX_RULES];
  int n = bench_layout(rules, BENCH_WORST, (uint32_t)(uintptr_t)__flash, (uint32_t)(uintptr_t)__ram, 0x10000000u);
  static const uint32_t perms[] = {[BENCH_NONE] = 0, [BENCH_RO] = PMP_R, [BENCH_RW] = PMP_R | PMP_W,
                                   [BENCH_RX] = PMP_R | PMP_X};
  uint32_t addr[8] = {0}, cfg[2] = {0, 0};
  /* The lowest-numbered matching entry decides: the last rule goes into entry 0. */
  for (int i = 0; i < n; ++i) {
    const struct bench_rule* r = &rules[n - 1 - i];
    addr[i] = (r->base + r->size / 2u - 1u) >> 2; /* NAPOT: base | (size/2 - 1), in 4-byte units */
    cfg[i / 4] |= (PMP_NAPOT | perms[r->access]) << (8 * (i % 4));
  }
  /* pmpaddr first: QEMU 7.2 flushes its TLB on pmpcfg writes only */
  CSR_WRITE(pmpaddr0, addr[0]);
  CSR_WRITE(pmpaddr1, addr[1]);
  CSR_WRITE(pmpaddr2, addr[2]);
  CSR_WRITE(pmpaddr3, addr[3]);
  CSR_WRITE(pmpaddr4, addr[4]);
  CSR_WRITE(pmpaddr5, addr[5]);
  CSR_WRITE(pmpaddr6, addr[6]);
  CSR_WRITE(pmpaddr7, addr[7]);
  CSR_WRITE(pmpcfg0, cfg[0]);
  CSR_WRITE(pmpcfg1, cfg[1]);
}

__attribute__((noreturn, used)) static void bench_main(void) {
  program_pmp();
  CSR_WRITE(mtvec, (uint32_t)(uintptr_t)trap_entry);
  CSR_WRITE(mscratch, (uint32_t)(uintptr_t)__kernel_stack_top);
  uint32_t mstatus;
  CSR_READ(mstatus, mstatus);
  mstatus &= ~(3u << 11); /* MPP = U */
  CSR_WRITE(mstatus, mstatus);
  CSR_WRITE(mepc, (uint32_t)(uintptr_t)_start);
  __asm__ volatile("mret");
  __builtin_unreachable();
}

/* QEMU's reset vector jumps here (the start of DRAM): kernel stack, global pointer, then C. */
__attribute__((naked, noreturn, section(".text.reset"))) void bench_reset(void) {
  __asm__ volatile(
      ".option push\n\t"
      ".option norelax\n\t"
      "la gp, __global_pointer$\n\t"
      ".option pop\n\t"
      "la sp, __kernel_stack_top\n\t"
      "j bench_main");
}
