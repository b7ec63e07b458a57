/* picolibc stdio on the Bulkhead console: stdout/stderr buffer a line and write it with one syscall. */
#include <stdio.h>
#include <string.h>

#include "bulkhead.h"

static char line[128];
static size_t used;

static int flush_line(FILE* f) {
  (void)f;
  if (used > 0) bh_write(line, used);
  used = 0;
  return 0;
}

static int put_char(char c, FILE* f) {
  line[used++] = c;
  if (c == '\n' || used == sizeof line) flush_line(f);
  return (unsigned char)c;
}

static FILE console = FDEV_SETUP_STREAM(put_char, NULL, flush_line, _FDEV_SETUP_WRITE);
FILE* const stdout = &console;
FILE* const stderr = &console;
FILE* const stdin = NULL;

int32_t bh_puts(const char* s) {
  fflush(stdout); /* keep ordering with buffered printf output */
  return bh_write(s, strlen(s));
}
