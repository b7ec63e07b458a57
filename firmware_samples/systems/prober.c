/* The randomised isolation test's module (tests/e2e/isolation_fuzz_test.cpp): makes pseudo-random reads of
 * every slot's code, data and pool, and writes to every slot's pool area, logging each access as
 * "R xxxxxxxx" / "W xxxxxxxx". It runs under the audit policy, so the kernel records every access its layout
 * does not grant and lets it through; the test compares that record with what the layout predicts. The seed
 * comes from console input. Built once per slot (PROBER_SLOT). */
#include "system.h"

static void put_line(char kind, uint32_t addr) {
  static const char hex[] = "0123456789abcdef";
  char line[11];
  line[0] = kind;
  line[1] = ' ';
  for (int i = 0; i < 8; ++i) line[2 + i] = hex[(addr >> (28 - 4 * i)) & 0xF];
  line[10] = '\n';
  bh_write(line, sizeof line);
}

int main(void) {
  char in[12] = {0};
  bh_read(in, sizeof in - 1);
  uint32_t x = 0;
  for (const char* p = in; *p >= '0' && *p <= '9'; ++p) x = x * 10u + (uint32_t)(*p - '0');
  x = x * 2654435761u + (uint32_t)bh_id();
  for (int i = 0; i < 160; ++i) {
    x = x * 1664525u + 1013904223u;
    uint32_t r = x >> 6;
    /* Half the time its own slot (the test's layouts put partition k in slot k), else any of slots 0-7. */
    const uint32_t slot = (r & 1u) ? (uint32_t)bh_id() : (r >> 1) % 8u;
    r >>= 4;
    const uint32_t kind = r % 4u;
    r /= 4u;
    if (kind == 2) { /* a write into some slot's pool area (never into anyone's data or stack) */
      const uint32_t addr = SLOT_RAM(slot) + 0x2000u + (r % 0x400u) * 4u;
      *(volatile uint32_t*)addr = x;
      put_line('W', addr);
      continue;
    }
    uint32_t addr = kind == 0 ? SLOT_FLASH(slot) + (r % 0x400u) * 4u : SLOT_RAM(slot) + (r % 0x1000u) * 4u;
    if (kind == 3) addr = SLOT_RAM(slot) + 0x2000u + (r % 0x400u) * 4u;
    (void)*(volatile uint32_t*)addr;
    put_line('R', addr);
    if (i % 16 == 15) bh_yield();
  }
  return 0;
}
