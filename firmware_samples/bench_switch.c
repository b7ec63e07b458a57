/* bench_switch: the module of the context-switch benchmark (bench/, docs/performance.md).
 *
 * It never ends: it does a little work on its stack and its data, then yields to the kernel with a syscall
 * (a write of zero bytes, which the kernel answers with 0), over and over. The benchmark runs two copies of
 * it, linked at different addresses, and switches from one to the other at every yield. */
#include <stdint.h>

#include "bulkhead.h"

static uint32_t counters[16];

__attribute__((noinline)) static uint32_t step(uint32_t acc, uint32_t i) {
  uint32_t local[4] = {acc, i, acc ^ i, acc + i}; /* a frame on the stack */
  counters[i & 15u] += local[(acc >> 5) & 3u];
  return acc * 1103515245u + counters[(i + 7u) & 15u];
}

int main(void) {
  uint32_t acc = 1;
  for (uint32_t i = 0;; ++i) {
    acc = step(acc, i);
    if ((i & 3u) == 3u) bh_write(&acc, 0); /* yield: a syscall that writes nothing */
  }
}
