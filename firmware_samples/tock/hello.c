/* tock_hello: one console write (allow-ro + subscribe + command + yield-wait), then exit-terminate 0. */
#include "tock.h"

int main(void) {
#if defined(__arm__)
  tock_puts("Hello from a Tock app on Cortex-M (TRD104)!\n");
#else
  tock_puts("Hello from a Tock app on RV32 (TRD104)!\n");
#endif
  return 0;
}
