/* tock_restart: prints a line, then asks to be restarted (exit-restart, TRD104 4.7). The kernel reloads its
 * RAM and enters it again, so it prints the line once per life until the run's budget ends. */
#include "tock.h"

int main(void) {
  tock_puts("restart: a new life\n");
  tock_restart(7);
}
