/* tock_fault_flash_end: reads the last byte of the process's flash (allowed), then the first byte past it
 * (memop flash end): the kernel must stop the app with a fault at that address. Exit 1 if it survives. */
#include "tock.h"

int main(void) {
  const tock_ret_t end = tock_memop(TOCK_MEMOP_FLASH_END, 0);
  if (end.variant != TOCK_SUCCESS_U32) return 2;
  tock_put_labeled("reading flash end", end.r1);
  (void)tock_read8(end.r1 - 1);
  (void)tock_read8(end.r1); /* faults */
  tock_puts("NOT FAULTED\n");
  return 1;
}
