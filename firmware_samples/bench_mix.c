/* bench_mix: the CPU-bound workload of the benchmark (bench/, docs/performance.md).
 *
 * Each round mixes what firmware spends its time on: block copies (memcpy), table look-ups, integer
 * arithmetic with data-dependent branches, direct and indirect function calls, and work on locals on the
 * stack. The output is one checksum line, so that every mode of the benchmark (and QEMU, which runs the same
 * source bare-metal) can be checked against the others.
 *
 * BENCH_ITERATIONS (a compile-time define) sets the length: the default gives ~100M guest instructions, the
 * short variant ~1M, and 0 gives a near-empty run that measures start-up alone.
 *
 * Memory use is deliberately realistic: a global look-up table and two copy buffers in .bss, small arrays on
 * the stack, and 32-byte red zones between the buffers. A red zone is never touched by this program; the
 * benchmark's worst-case layout covers each with a no-access MPU region / PMP entry (as a layout that packs
 * small regions of several partitions into shared pages would), which puts a region edge inside every page
 * holding hot data. bench_red_zones lists them so that the host harness and the bare-metal QEMU kernel can
 * find them without knowing this file's layout. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead.h"

#ifndef BENCH_ITERATIONS
#define BENCH_ITERATIONS 21000
#endif

static const uint32_t rounds = BENCH_ITERATIONS; /* a variable: no "always false" warning when 0 */

#define RED_ZONE 32   /* bytes: the smallest PMSAv7 region, a PMSAv8 granule, a NAPOT-32 PMP entry */
#define BUF_SIZE 512  /* bytes per copy buffer */
#define TABLE_SIZE 128

/* Red zones every 544 bytes: any 1 KiB page (Arm) or 4 KiB page (RV32) that holds part of the arena holds a
 * whole red zone too. */
static struct {
  uint8_t red0[RED_ZONE];
  uint32_t table[TABLE_SIZE]; /* 512 B look-up table, filled at start-up */
  uint8_t red1[RED_ZONE];
  uint8_t src[BUF_SIZE]; /* copy source, perturbed every round */
  uint8_t red2[RED_ZONE];
  uint8_t dst[BUF_SIZE]; /* copy destination */
  uint8_t red3[RED_ZONE];
} arena __attribute__((aligned(RED_ZONE)));

/* Read by the benchmark harness from the ELF image (symbol bench_red_zones) and by the bare-metal QEMU kernel
 * (bench/qemu/), never by this program itself: main() only names it so that --gc-sections keeps it. */
const uint32_t bench_red_zones[] = {
    (uint32_t)(uintptr_t)arena.red0, (uint32_t)(uintptr_t)arena.red1, (uint32_t)(uintptr_t)arena.red2,
    (uint32_t)(uintptr_t)arena.red3, 0 /* end */
};

/* Small arithmetic kernels, called through a table so that the compiler cannot inline them and the guest
 * executes indirect branches. */
typedef uint32_t (*op_fn)(uint32_t acc, uint32_t k);

__attribute__((noinline)) static uint32_t op_mul(uint32_t acc, uint32_t k) {
  return acc * 2654435761u + k;
}

__attribute__((noinline)) static uint32_t op_div(uint32_t acc, uint32_t k) {
  /* hardware divide on both targets (Cortex-M4 UDIV, RV32M DIVU) */
  return acc / (k % 13u + 3u) + (acc % 97u) * 31u + (acc << 7);
}

__attribute__((noinline)) static uint32_t op_rot(uint32_t acc, uint32_t k) {
  uint32_t s = (k & 15u) + 1u;
  uint32_t r = (acc << s) | (acc >> (32u - s));
  return (r & 1u) ? r ^ 0xA5A5A5A5u : r + k;
}

__attribute__((noinline)) static uint32_t op_branchy(uint32_t acc, uint32_t k) {
  /* data-dependent branches the host's branch predictor cannot learn */
  switch ((acc >> 11) & 3u) {
    case 0:
      acc += k * 3u;
      break;
    case 1:
      acc ^= acc >> 9;
      break;
    case 2:
      acc -= (acc & 0xFFu) * k;
      break;
    default:
      if (acc & 0x100u)
        acc = ~acc;
      else
        acc += 0x9E3779B9u;
      break;
  }
  return acc;
}

static op_fn const ops[4] = {op_mul, op_div, op_rot, op_branchy};

/* Table look-ups: a CRC-style fold of `n` bytes through the 128-entry table. */
__attribute__((noinline)) static uint32_t fold(const uint8_t* p, size_t n, uint32_t c) {
  while (n--) c = arena.table[(c ^ *p++) & (TABLE_SIZE - 1u)] ^ (c >> 7);
  return c;
}

/* Insertion sort of a small array on the caller's stack: loads, stores and unpredictable branches. */
__attribute__((noinline)) static void sort16(uint16_t* v) {
  for (int i = 1; i < 16; ++i) {
    uint16_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

/* One round: copy, look up, sort a window on the stack, then a chain of indirect calls. */
__attribute__((noinline)) static uint32_t round_once(uint32_t acc, uint32_t i) {
  uint16_t window[16]; /* locals on the stack */
  uint8_t scratch[64];

  memcpy(arena.dst, arena.src, sizeof arena.dst);
  uint32_t start = (acc ^ i) % (BUF_SIZE - sizeof scratch);
  memcpy(scratch, arena.dst + start, sizeof scratch);

  acc = fold(scratch, sizeof scratch, acc);
  acc = fold(arena.dst + (i & 255u), 128, acc);

  for (int k = 0; k < 16; ++k) window[k] = (uint16_t)(scratch[k * 2] | (scratch[k * 2 + 1] << 8)) ^ (uint16_t)acc;
  sort16(window);
  acc += (uint32_t)window[0] + ((uint32_t)window[15] << 16);

  for (uint32_t k = 0; k < 24; ++k) acc = ops[(acc >> 3) & 3u](acc, k + i);

  /* feed the result back so that every round depends on the previous ones */
  arena.src[acc % BUF_SIZE] ^= (uint8_t)acc;
  arena.src[(acc >> 9) % BUF_SIZE] += (uint8_t)(acc >> 24);
  return acc;
}

int main(void) {
  __asm__ volatile("" : : "r"(bench_red_zones)); /* keep bench_red_zones in the image; emits no access */

  /* The table and the source buffer come from a linear congruential generator: deterministic everywhere. */
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < TABLE_SIZE; ++i) {
    x = x * 1664525u + 1013904223u;
    arena.table[i] = x;
  }
  for (size_t i = 0; i < BUF_SIZE; ++i) {
    x = x * 1664525u + 1013904223u;
    arena.src[i] = (uint8_t)(x >> 24);
  }

  uint32_t acc = 0x12345678u;
  for (uint32_t i = 0; i < rounds; ++i) acc = round_once(acc, i);

  printf("bench_mix %lu rounds checksum %08lx\n", (unsigned long)rounds, (unsigned long)acc);
  return 0;
}
