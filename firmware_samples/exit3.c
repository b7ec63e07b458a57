/* Exits with code 3: the runner must pass a module's exit code through. */
#include "bulkhead.h"

int main(void) {
  bh_puts("exiting with 3\n");
  return 3;
}
