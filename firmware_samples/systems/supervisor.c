/* Watches the others: waits for the fault notification the kernel posts, then reports who faulted where. */
#include "system.h"

int main(void) {
  printf("supervisor: watching\n");
  const int32_t bits = bh_wait(BH_NOTE_FAULT, 2000);
  if (bits != (int32_t)BH_NOTE_FAULT) {
    printf("supervisor: no fault notification (%ld)\n", (long)bits);
    return 1;
  }
  const int32_t xn = bh_lookup("xn");
  uint32_t detail = 0;
  const int32_t state = bh_status(xn, &detail);
  printf("supervisor: `xn` %s at %08lx\n", state == 2 ? "faulted" : "did not fault", (unsigned long)detail);
  return 0;
}
