/* Misbehaves: reads system space. Arm: the PPB (CPUID at 0xE000ED00), which unprivileged code may not read;
 * RISC-V: the kernel's own RAM. */
#include "system.h"

int main(void) {
#if defined(__riscv)
  const uint32_t where = KERNEL_RAM;
#else
  const uint32_t where = 0xE000ED00u;
#endif
  printf("peek: reading %08lx\n", (unsigned long)where);
  printf("peek: %08lx (must not happen)\n", (unsigned long)*(volatile uint32_t*)where);
  return 0;
}
