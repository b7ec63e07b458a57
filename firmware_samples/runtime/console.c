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

int32_t bh_lookup(const char* name) {
  return bh_syscall(BH_SYS_LOOKUP, (uint32_t)(uintptr_t)name, (uint32_t)strlen(name), 0, 0);
}

void* bh_region(const char* name, uint32_t* size) {
  bh_result r = bh_syscall6(BH_SYS_REGION, (uint32_t)(uintptr_t)name, (uint32_t)strlen(name), 0, 0, 0, 0);
  if (size) *size = r.r1;
  return r.r1 == 0 ? (void*)0 : (void*)(uintptr_t)(uint32_t)r.r0; /* size 0: no such region */
}
