/* Misbehaves: a 4-byte load whose first half is the end of its data region and whose second half is not. */
#include "system.h"

int main(void) {
  uint32_t size = 0;
  char* data = bh_region("data", &size);
  volatile uint32_t* p = (volatile uint32_t*)(data + size - 2);
  printf("straddle: loading 4 bytes at %08lx\n", (unsigned long)(uintptr_t)p);
  printf("straddle: %08lx (must not happen)\n", (unsigned long)*p);
  return 0;
}
