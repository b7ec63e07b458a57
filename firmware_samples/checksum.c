/* A CPU-bound module: CRC-32 over a generated buffer, table look-ups, function calls and copies. Its output is
 * deterministic, so a run can be compared across CPU profiles and Bulkhead versions. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bulkhead.h"

static uint32_t table[256];
static uint8_t buffer[2048];
static uint8_t copy[2048];

static void make_table(void) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
}

static uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n--) c = table[(c ^ *p++) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

int main(void) {
  make_table();
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof buffer; ++i) {
    x = x * 1103515245u + 12345u;
    buffer[i] = (uint8_t)(x >> 16);
  }
  uint32_t acc = 0;
  for (int round = 0; round < 50; ++round) {
    memcpy(copy, buffer, sizeof copy);
    copy[round] ^= (uint8_t)round;
    acc ^= crc32(copy, sizeof copy) + (uint32_t)round;
  }
  printf("checksum %08lx\n", (unsigned long)acc);
  return 0;
}
