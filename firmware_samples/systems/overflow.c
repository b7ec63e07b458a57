/* Misbehaves: recurses on a stack placed just above a guard that its layout does not grant. */
#include "system.h"

__attribute__((noinline)) static uint32_t dive(uint32_t n) {
  volatile uint32_t frame[16];
  frame[0] = n;
  return n == 0 ? frame[0] : dive(n - 1) + frame[0];
}

__attribute__((noreturn, noinline, used)) static void on_new_stack(void) {
  printf("overflow: recursing\n");
  printf("overflow: %lu (must not happen)\n", (unsigned long)dive(100000));
  bh_exit(0);
}

int main(void) {
  uint32_t size = 0;
  char* stack = bh_region("guarded", &size);
  if (!stack) {
    printf("overflow: no region `guarded`\n");
    return 1;
  }
  printf("overflow: moving to a %lu-byte stack\n", (unsigned long)size);
  char* top = stack + size;
#if defined(__riscv)
  __asm__ volatile("mv sp, %0\n\tj on_new_stack" : : "r"(top));
#else
  __asm__ volatile("mov sp, %0\n\tb on_new_stack" : : "r"(top));
#endif
  __builtin_unreachable();
}
