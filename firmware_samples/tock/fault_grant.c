/* tock_fault_grant: moves the break as close to the grant region as the kernel allows, then reads the first
 * byte of the grant region (kernel-owned): the kernel must stop the app there. Exit 1 if it survives. */
#include "tock.h"

int main(void) {
  const tock_ret_t grant = tock_memop(TOCK_MEMOP_GRANT_START, 0);
  if (grant.variant != TOCK_SUCCESS_U32) return 2;
  if (tock_memop(TOCK_MEMOP_BRK, grant.r1).variant != TOCK_SUCCESS) return 3; /* brk up to the grant start */
  tock_put_labeled("reading grant start", grant.r1);
  tock_write8(grant.r1 - 1, 0); /* ours now */
  (void)tock_read8(grant.r1);   /* faults */
  tock_puts("NOT FAULTED\n");
  return 1;
}
