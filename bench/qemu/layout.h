/* The two protection layouts of the benchmark, as the bare-metal QEMU kernels program them. The host harness
 * (bench/layouts.cpp) builds the same rules for Bulkhead; keep the two in step (docs/performance.md).
 *
 * A layout is a list of rules, each a naturally aligned power-of-two range with what unprivileged code may do
 * in it. A later rule takes precedence over an earlier one where they overlap (PMSAv7: a higher region
 * number; PMP: a lower entry number, so the RISC-V kernel programs the list backwards). */
#ifndef BENCH_LAYOUT_H
#define BENCH_LAYOUT_H

#include <stdint.h>

enum bench_access { BENCH_NONE, BENCH_RO, BENCH_RW, BENCH_RX };

struct bench_rule {
  uint32_t base;
  uint32_t size;
  enum bench_access access;
};

#define BENCH_MAX_RULES 8
#define BENCH_FLASH_SIZE 0x10000u /* the code region: the whole image's code and read-only data */
#define BENCH_RAM_SIZE 0x4000u    /* the module's RAM region: .data, .bss and the stack */
#define BENCH_RED_ZONE 32u
#define BENCH_STACK_GUARD_DEPTH 0x400u /* the worst case's guard sits this far below the stack top */

extern const uint32_t bench_red_zones[]; /* from bench_mix.c, 0-terminated */
extern char __stack_top[];

/* Fills `out` (BENCH_MAX_RULES entries) and returns the number of rules.
 * Realistic: code, the module's RAM, and six regions of other partitions, the kernel and devices, none of
 * them in a page the module uses. Worst case: code, RAM, a no-access 32-byte region on each red zone of
 * bench_mix, one 1 KiB below the stack top and one just above it: every page of hot data is split. */
static inline int bench_layout(struct bench_rule* out, int worst, uint32_t flash, uint32_t ram,
                               uint32_t peripherals) {
  int n = 0;
  out[n++] = (struct bench_rule){flash, BENCH_FLASH_SIZE, BENCH_RX};
  out[n++] = (struct bench_rule){ram, BENCH_RAM_SIZE, BENCH_RW};
  if (!worst) {
    out[n++] = (struct bench_rule){peripherals, 0x1000u, BENCH_RW};            /* a UART */
    out[n++] = (struct bench_rule){ram + 0x8000u, 0x1000u, BENCH_RO};          /* a shared buffer */
    out[n++] = (struct bench_rule){ram + 0x10000u, 0x4000u, BENCH_NONE};       /* another module's RAM */
    out[n++] = (struct bench_rule){flash + 0x10000u, 0x10000u, BENCH_NONE};    /* another module's code */
    out[n++] = (struct bench_rule){ram + 0x100000u, 0x8000u, BENCH_NONE};      /* the kernel's RAM */
    out[n++] = (struct bench_rule){peripherals + 0x10000u, 0x1000u, BENCH_RW}; /* a timer */
    return n;
  }
  for (const uint32_t* z = bench_red_zones; *z != 0 && n < BENCH_MAX_RULES - 2; ++z)
    out[n++] = (struct bench_rule){*z, BENCH_RED_ZONE, BENCH_NONE};
  uint32_t top = (uint32_t)(uintptr_t)__stack_top;
  out[n++] = (struct bench_rule){(top - BENCH_STACK_GUARD_DEPTH) & ~(BENCH_RED_ZONE - 1u), BENCH_RED_ZONE,
                                 BENCH_NONE};
  out[n++] =
      (struct bench_rule){(top + BENCH_RED_ZONE - 1u) & ~(BENCH_RED_ZONE - 1u), BENCH_RED_ZONE, BENCH_NONE};
  return n;
}

#endif
