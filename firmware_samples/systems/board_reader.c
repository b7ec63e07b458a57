/* Reads `writer`'s board through its read-only share once told to, and checks the kernel honours the share
 * both ways: it may pass the board to write(), and may not pass it as a receive buffer (read-only). */
#include "system.h"

int main(void) {
  bh_wait(1u, BH_FOREVER);
  uint32_t size = 0;
  const char* board = bh_region("writer.board", &size);
  if (!board) {
    printf("reader: no share\n");
    return 1;
  }
  printf("reader: board says %s\n", board);
  bh_puts("reader: echo via the share: ");
  bh_write(board, 17);
  bh_puts("\n");
  int32_t from;
  const int32_t r = bh_receive((void*)board, 16, &from, 0);
  printf("reader: receive into the read-only share: %s\n", r == BH_EFAULT ? "EFAULT" : "accepted!");
  bh_notify(bh_lookup("writer"), 2u);
  return 0;
}
