/* The GDB stub's test module (tests/gdbstub/): a function to break at, a global variable to read, and at the
 * end a store into its own read-only segment, which the MPU/PMP `bulkhead run` programs denies (Arm
 * MemManage, RISC-V store access fault): GDB sees SIGSEGV at that store. */
#include <stdint.h>

#include "bulkhead.h"

volatile uint32_t gdb_value = 41;                  /* .data: 42 by the time gdb_mark runs */
static const uint32_t gdb_sealed[2] = {0x5EA1ED, 0}; /* .rodata: in the R-X segment */

__attribute__((noinline)) uint32_t gdb_mark(uint32_t step) { return gdb_value + step; }

__attribute__((noinline)) void gdb_poke(volatile uint32_t* p) { *p = 0xBADu; }

int main(void) {
  bh_puts("gdb target running\n");
  gdb_value = 42;
  const uint32_t sum = gdb_mark(1);
  gdb_poke((volatile uint32_t*)(uintptr_t)&gdb_sealed[1]);
  return (int)(sum + gdb_sealed[0]);
}
