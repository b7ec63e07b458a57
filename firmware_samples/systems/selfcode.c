/* Misbehaves: writes to its own code (read-only). Its policy restarts it, twice, then kills it. */
#include "system.h"

static uint32_t starts; /* .bss: zero again after every restart */

int main(void) {
  ++starts;
  printf("selfcode: start (starts in this life: %lu)\n", (unsigned long)starts);
  *(volatile uint32_t*)(uintptr_t)&main = 0;
  printf("selfcode: code changed (must not happen)\n");
  return 0;
}
