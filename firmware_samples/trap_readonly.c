/* Stores into its own read-only code segment: the MPU/PMP `bulkhead run` programs from the ELF's segments
 * denies it (Arm MemManage DACCVIOL, RISC-V store access fault) at this function's store. */
#include <stdint.h>

#include "bulkhead.h"

static const uint32_t table[4] = {1, 2, 3, 4}; /* .rodata: in the R-X segment */

__attribute__((noinline)) void poke(volatile uint32_t* p) { *p = 0xDEADBEEFu; }

int main(void) {
  bh_puts("storing to read-only memory\n");
  poke((volatile uint32_t*)(uintptr_t)&table[1]);
  bh_puts("not reached\n");
  return (int)table[0];
}
