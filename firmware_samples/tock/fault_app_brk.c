/* tock_fault_app_brk: writes the last byte below the app break (allowed), then the byte at the break: the
 * memory between the break and the grant region is not the app's. Exit 1 if it survives. */
#include "tock.h"

int main(void) {
  const tock_ret_t brk = tock_memop(TOCK_MEMOP_SBRK, 0);
  if (brk.variant != TOCK_SUCCESS_U32) return 2;
  tock_put_labeled("writing at app break", brk.r1);
  tock_write8(brk.r1 - 1, 0);
  tock_write8(brk.r1, 0); /* faults */
  tock_puts("NOT FAULTED\n");
  return 1;
}
