/* A well-behaved module that others try to reach: works over many time slices, sleeping now and then, and
 * checks at the end that nobody changed its secret. */
#include "system.h"

volatile uint32_t secret = 0x5ec2e7u;

int main(void) {
  printf("victim: working\n");
  uint32_t acc = 0;
  for (uint32_t round = 0; round < 20; ++round) {
    for (uint32_t i = 0; i < 5000; ++i) acc = acc * 33u + i;
    if (round % 5 == 4) bh_sleep(1);
  }
  printf("victim: done (%08lx), secret %s\n", (unsigned long)acc, secret == 0x5ec2e7u ? "intact" : "CHANGED");
  return secret == 0x5ec2e7u ? 0 : 1;
}
