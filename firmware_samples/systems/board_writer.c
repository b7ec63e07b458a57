/* Publishes a reading in its shared region `board`, tells `reader`, and waits for the acknowledgement. */
#include <string.h>

#include "system.h"

int main(void) {
  uint32_t size = 0;
  char* board = bh_region("board", &size);
  if (!board) {
    printf("writer: no board\n");
    return 1;
  }
  strcpy(board, "temperature=21.5C");
  printf("writer: published %lu-byte board\n", (unsigned long)size);
  bh_notify(bh_lookup("reader"), 1u);
  bh_wait(2u, BH_FOREVER);
  printf("writer: acknowledged\n");
  return 0;
}
