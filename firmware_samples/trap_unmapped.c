/* Stores to an address where nothing is mapped: a bus fault at this function's store. */
#include <stdint.h>

#include "bulkhead.h"

__attribute__((noinline)) void poke(volatile uint32_t* p) { *p = 0xDEADBEEFu; }

int main(void) {
  bh_puts("storing to unmapped memory\n");
  poke((volatile uint32_t*)0x30000000u);
  bh_puts("not reached\n");
  return 0;
}
