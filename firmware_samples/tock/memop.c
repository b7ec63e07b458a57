/* tock_memop: every memop the samples rely on -- memory/flash bounds, grant start, sbrk/brk, the debug hints
 * -- checked against each other and against the entry arguments, plus a low-level-debug print. Exit code 0,
 * or the failed step. */
#include "tock.h"

extern char _sram_origin[], _app_ram_end[];

static uint32_t memop_u32(uint32_t op, uint32_t arg, int* bad) {
  const tock_ret_t r = tock_memop(op, arg);
  if (r.variant != TOCK_SUCCESS_U32) *bad = 1;
  return r.r1;
}

int main(void) {
  int bad = 0;
  const uint32_t mem_start = memop_u32(TOCK_MEMOP_MEMORY_START, 0, &bad);
  const uint32_t mem_end = memop_u32(TOCK_MEMOP_MEMORY_END, 0, &bad);
  const uint32_t flash_start = memop_u32(TOCK_MEMOP_FLASH_START, 0, &bad);
  const uint32_t flash_end = memop_u32(TOCK_MEMOP_FLASH_END, 0, &bad);
  const uint32_t grant = memop_u32(TOCK_MEMOP_GRANT_START, 0, &bad);
  if (bad) return 1;
  tock_put_labeled("memory start", mem_start);
  tock_put_labeled("memory end  ", mem_end);
  tock_put_labeled("flash start ", flash_start);
  tock_put_labeled("flash end   ", flash_end);
  tock_put_labeled("grant start ", grant);
  if (mem_start != (uint32_t)(uintptr_t)_sram_origin || mem_start != tock_entry_mem_start) return 2;
  if (mem_end != mem_start + tock_entry_mem_len) return 3;
  if (flash_start > (uint32_t)(uintptr_t)&main || flash_end <= (uint32_t)(uintptr_t)&main) return 4;
  if (grant > mem_end || grant < (uint32_t)(uintptr_t)_app_ram_end) return 5;

  /* sbrk(0) is the current break; sbrk(n) returns the old one and moves it. */
  const tock_ret_t cur = tock_memop(TOCK_MEMOP_SBRK, 0);
  if (cur.variant != TOCK_SUCCESS_U32 || cur.r1 < (uint32_t)(uintptr_t)_app_ram_end) return 6;
  const tock_ret_t grow = tock_memop(TOCK_MEMOP_SBRK, 256);
  if (grow.variant != TOCK_SUCCESS_U32 || grow.r1 != cur.r1) return 7;
  for (uint32_t a = cur.r1; a < cur.r1 + 256; ++a) tock_write8(a, (uint8_t)a); /* the new heap is ours */
  for (uint32_t a = cur.r1; a < cur.r1 + 256; ++a) {
    if (tock_read8(a) != (uint8_t)a) return 8;
  }
  tock_put_labeled("heap grown to", cur.r1 + 256);
  /* brk back down, then past the grant region: refused with NOMEM. */
  if (tock_memop(TOCK_MEMOP_BRK, cur.r1).variant != TOCK_SUCCESS) return 9;
  const tock_ret_t over = tock_memop(TOCK_MEMOP_BRK, grant + 4);
  if (over.variant != TOCK_FAILURE || over.r1 != TOCK_ENOMEM) return 10;
  /* Debug hints: Success, no value. */
  if (tock_memop(TOCK_MEMOP_STACK_TOP_HINT, (uint32_t)(uintptr_t)_sram_origin).variant != TOCK_SUCCESS) return 11;
  if (tock_memop(TOCK_MEMOP_HEAP_START_HINT, (uint32_t)(uintptr_t)_app_ram_end).variant != TOCK_SUCCESS) return 12;
  /* Low-level debug (driver 0x8): the kernel prints the number itself. */
  (void)tock_command(TOCK_DRIVER_LOW_LEVEL_DEBUG, TOCK_LLD_CMD_PRINT1, 0x600d, 0);
  tock_puts("memop done\n");
  return 0;
}
