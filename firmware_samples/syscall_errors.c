/* Calls the kernel with an unknown call number and with a pointer the module does not own: both must come back
 * as error codes, not crash anything. On Arm, finally raises an SVC the kernel does not know (svc #7), which
 * the runner reports as an unknown trap. */
#include <stdio.h>

#include "bulkhead.h"

int main(void) {
  int32_t unknown = bh_syscall(0x7777u, 0, 0, 0, 0);
  int32_t bad_pointer = bh_write((const void*)0x30000000u, 16);
  printf("unknown=%ld bad_pointer=%ld\n", (long)unknown, (long)bad_pointer);
#if defined(__arm__)
  __asm__ volatile("svc #7");
#endif
  return 0;
}
