/* tock_fault_ram_start: writes the first byte of the process's RAM (allowed: the bottom of the stack), then
 * the byte before it: the kernel must stop the app with a fault there. Exit 1 if it survives. */
#include "tock.h"

int main(void) {
  const tock_ret_t start = tock_memop(TOCK_MEMOP_MEMORY_START, 0);
  if (start.variant != TOCK_SUCCESS_U32) return 2;
  tock_put_labeled("writing below RAM start", start.r1);
  tock_write8(start.r1, 0);
  tock_write8(start.r1 - 1, 0); /* faults */
  tock_puts("NOT FAULTED\n");
  return 1;
}
