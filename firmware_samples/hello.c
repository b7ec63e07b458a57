/* The first module: prints a greeting that names the CPU it was built for, and exits 0. */
#include <stdio.h>

#include "bulkhead.h"

#if defined(__riscv)
#define CPU_NAME "rv32imac"
#elif defined(__ARM_ARCH_8M_MAIN__)
#define CPU_NAME "cortex-m33 (ARMv8-M)"
#else
#define CPU_NAME "cortex-m4 (ARMv7-M)"
#endif

int main(void) {
  printf("Hello from a Bulkhead module on %s!\n", CPU_NAME);
  return 0;
}
