/* Misbehaves: executes from its own data (execute-never). Its policy notifies the supervisor. */
#include "system.h"

#if defined(__riscv)
static uint32_t code[] = {0x00008067u}; /* ret */
#else
static uint16_t code[] = {0x4770u}; /* bx lr */
#endif

int main(void) {
  printf("xn: jumping into data\n");
  uintptr_t target = (uintptr_t)code;
#if defined(__arm__)
  target |= 1u; /* Thumb */
#endif
  ((void (*)(void))target)();
  printf("xn: executed data (must not happen)\n");
  return 0;
}
